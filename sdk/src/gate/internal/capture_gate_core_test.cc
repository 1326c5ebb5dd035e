// The shared session life cycle (CaptureGateCore) through both gates on an emulated device with
// the real ledger: the same scenario must end the same way for a voice and a location session.
// Each test here covers a case the two gates once handled differently, or both got wrong.
#include "gate/internal/capture_gate_core.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "gate/gate_test_util.h"

namespace tacet::gate {
namespace {

using consent::ConsentState;
using consent::DecisionSource;
using platform::LocationPrecision;
using platform::Permission;
using platform::PermissionState;
using testing::GateHarness;
using testing::RecordingLocationSink;
using testing::RecordingVoiceSink;

class CaptureGateCoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.device().microphone().Play(platform::AudioScript().Tone(440, 0.3, 600000));
    ASSERT_OK(h_.device().location().PlayTrack(platform::ScriptedLocation::CityWalk(30000)));
  }

  void AllowBoth() {
    h_.AllowVoice();
    h_.AllowLocation(LocationPrecision::kPrecise, LocationPrecision::kPrecise);
  }
  VoiceCaptureSession MustAcquireVoice(RecordingVoiceSink* sink) {
    VoiceAcquireResult r = h_.voice().Acquire("voice_features", sink);
    EXPECT_TRUE(r.granted()) << DenialReasonName(r.denial());
    return std::move(r.session());
  }
  LocationSession MustAcquireLocation(RecordingLocationSink* sink) {
    LocationAcquireResult r =
        h_.location().Acquire("location_features", LocationPrecision::kPrecise, sink);
    EXPECT_TRUE(r.granted()) << DenialReasonName(r.denial());
    return std::move(r.session());
  }
  // The OS takes both permissions away and nobody is told (no permission listener).
  void LoseBothPermissionsSilently() {
    ASSERT_OK(h_.device().permissions().Set(Permission::kMicrophone, PermissionState::kDenied));
    ASSERT_OK(h_.device().permissions().Set(Permission::kLocation, PermissionState::kDenied));
  }
  // Both sessions ended for the lost permission, their sinks told once, their rows closed, and
  // neither device left running.
  void ExpectBothEndedForPermissionLoss(const RecordingVoiceSink& voice_sink,
                                        const VoiceCaptureSession& voice,
                                        const RecordingLocationSink& location_sink,
                                        const LocationSession& location) {
    EXPECT_FALSE(voice.active());
    EXPECT_EQ(voice.end_reason(), EndReason::kOsPermissionLost);
    EXPECT_EQ(voice_sink.ended_calls(), 1);
    EXPECT_EQ(voice_sink.reason(), EndReason::kOsPermissionLost);
    EXPECT_FALSE(location.active());
    EXPECT_EQ(location.end_reason(), EndReason::kOsPermissionLost);
    EXPECT_EQ(location_sink.ended_calls, 1);
    EXPECT_EQ(location_sink.reason, EndReason::kOsPermissionLost);
    EXPECT_FALSE(h_.voice().microphone_open());
    EXPECT_EQ(h_.location().provider_precision(), LocationPrecision::kNone);
  }
  size_t RowsWithOutcome(CaptureKind kind, CaptureOutcome outcome) {
    size_t n = 0;
    for (const AccessLogEntry& e : h_.Log()) n += e.kind == kind && e.outcome == outcome ? 1 : 0;
    return n;
  }

  GateHarness h_;
};

// The location gate re-checked the OS permission on every consent change and ended its session;
// the voice gate re-checked consent only and then closed the microphone under a session it left
// open: active, its sink never told, its access-log row 'open'. Both now end it.
TEST_F(CaptureGateCoreTest, ConsentChangeAfterASilentPermissionLossEndsBothSessions) {
  h_.UnregisterPermissionListener();
  AllowBoth();
  RecordingVoiceSink voice_sink;
  RecordingLocationSink location_sink;
  VoiceCaptureSession voice = MustAcquireVoice(&voice_sink);
  LocationSession location = MustAcquireLocation(&location_sink);
  h_.device().AdvanceBy(40000);
  LoseBothPermissionsSilently();
  // Any consent change, even one neither session depends on.
  ASSERT_OK(h_.ledger().SetPurpose("analytics", ConsentState::kGranted, DecisionSource::kUser));
  ExpectBothEndedForPermissionLoss(voice_sink, voice, location_sink, location);
  EXPECT_EQ(RowsWithOutcome(CaptureKind::kVoice, CaptureOutcome::kEndedByPermissionLoss), 1u);
  EXPECT_EQ(RowsWithOutcome(CaptureKind::kLocation, CaptureOutcome::kEndedByPermissionLoss), 1u);
  EXPECT_TRUE(voice_sink.contract_kept());
  EXPECT_FALSE(location_sink.fix_after_end);
}

// Ending one session reconciles the gate. Both gates used to stop their device there for a
// session whose permission had gone silently, and leave that session open without frames or
// fixes, forever. It is ended instead.
TEST_F(CaptureGateCoreTest, ReleasingOneSessionEndsAnotherThatLostItsPermission) {
  h_.UnregisterPermissionListener();
  AllowBoth();
  RecordingVoiceSink voice_sinks[2];
  RecordingLocationSink location_sinks[2];
  VoiceCaptureSession voice_first = MustAcquireVoice(&voice_sinks[0]);
  VoiceCaptureSession voice = MustAcquireVoice(&voice_sinks[1]);
  LocationSession location_first = MustAcquireLocation(&location_sinks[0]);
  LocationSession location = MustAcquireLocation(&location_sinks[1]);
  h_.device().AdvanceBy(40000);
  LoseBothPermissionsSilently();
  voice_first.End();
  location_first.End();
  ExpectBothEndedForPermissionLoss(voice_sinks[1], voice, location_sinks[1], location);
  EXPECT_EQ(voice_sinks[0].ended_calls(), 0);  // ended by its owner: no callback
  EXPECT_EQ(location_sinks[0].ended_calls, 0);
  EXPECT_EQ(RowsWithOutcome(CaptureKind::kVoice, CaptureOutcome::kCompleted), 1u);
  EXPECT_EQ(RowsWithOutcome(CaptureKind::kVoice, CaptureOutcome::kEndedByPermissionLoss), 1u);
  EXPECT_EQ(RowsWithOutcome(CaptureKind::kLocation, CaptureOutcome::kCompleted), 1u);
  EXPECT_EQ(RowsWithOutcome(CaptureKind::kLocation, CaptureOutcome::kEndedByPermissionLoss), 1u);
  voice = VoiceCaptureSession();
  location = LocationSession();
  EXPECT_EQ(h_.voice().sessions_in_use(), 0u);
  EXPECT_EQ(h_.location().sessions_in_use(), 0u);
}

// A revocation committed on another thread while a fix is inside the sink returns at once, as it
// does for a voice frame (VoiceGateTest.RevocationDuringADeliveryLetsOnlyThatFrameFinish): the
// location gate used to stop the provider from the revoking thread, which waits for the fix in
// flight, so the consent commit waited for the sink. The sink waits for the revoker (up to 5 s)
// only to pin the race down; real sinks must not block.
TEST_F(CaptureGateCoreTest, RevocationDuringAFixDeliveryDoesNotWaitForTheSink) {
  h_.AllowLocation(LocationPrecision::kPrecise, LocationPrecision::kPrecise);
  RecordingLocationSink sink;
  std::atomic<bool> revoked{false};
  bool returned_while_in_sink = false;
  std::thread revoker;
  sink.on_fix = [&](int n) {
    if (n != 2) return;
    revoker = std::thread([&] {
      ASSERT_OK(h_.ledger().SetPurpose("location_features", ConsentState::kDenied,
                                       DecisionSource::kUser));
      revoked.store(true);
    });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!revoked.load() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    returned_while_in_sink = revoked.load();
    EXPECT_EQ(sink.ended_calls, 0);  // not while this fix is being delivered
  };
  LocationSession session = MustAcquireLocation(&sink);
  h_.device().AdvanceBy(300000);
  revoker.join();
  EXPECT_TRUE(returned_while_in_sink);
  EXPECT_EQ(sink.fixes.size(), 2u);
  EXPECT_EQ(sink.ended_calls, 1);
  EXPECT_EQ(sink.reason, EndReason::kConsentWithdrawn);
  EXPECT_FALSE(sink.fix_after_end);
  EXPECT_EQ(h_.location().provider_precision(), LocationPrecision::kNone);
  ASSERT_EQ(h_.Log().size(), 1u);
  EXPECT_EQ(h_.Log()[0].outcome, CaptureOutcome::kEndedByRevocation);
  EXPECT_EQ(h_.Log()[0].fixes, 2);
}

// Check answers what Acquire would: a precision Acquire refuses is kInvalidRequest for both.
TEST_F(CaptureGateCoreTest, LocationCheckRefusesWhatAcquireRefuses) {
  h_.AllowLocation(LocationPrecision::kPrecise, LocationPrecision::kPrecise);
  RecordingLocationSink sink;
  const auto beyond_precise = static_cast<LocationPrecision>(3);
  for (LocationPrecision bad : {LocationPrecision::kNone, beyond_precise}) {
    LocationPrecision effective = LocationPrecision::kPrecise;
    EXPECT_EQ(h_.location().Check("location_features", bad, &effective),
              DenialReason::kInvalidRequest);
    EXPECT_EQ(effective, LocationPrecision::kNone);
    EXPECT_EQ(h_.location().Acquire("location_features", bad, &sink).denial(),
              DenialReason::kInvalidRequest);
  }
  EXPECT_TRUE(h_.Log().empty());  // a caller bug is not an access attempt
}

}  // namespace
}  // namespace tacet::gate
