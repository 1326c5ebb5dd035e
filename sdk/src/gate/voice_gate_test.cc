// The voice gate on an emulated device with the real consent ledger: denials in order, the
// one-frame bound for revocation, OS permission loss and hardware mute, restarts, and the access
// log of each outcome.
#include "gate/voice_gate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "gate/gate_test_util.h"

namespace tacet::gate {
namespace {

using platform::AudioScript;
using testing::GateHarness;
using testing::RecordingVoiceSink;
using ::testing::ElementsAre;
using ::testing::Field;
using consent::ConsentState;
using consent::DecisionSource;
using platform::Permission;
using platform::PermissionState;

constexpr int64_t kFrameNs = 20 * 1000000;

class VoiceGateTest : public ::testing::Test {
 protected:
  void SetUp() override { h_.device().microphone().Play(AudioScript().Tone(440, 0.3, 60000)); }

  VoiceCaptureSession MustAcquire(RecordingVoiceSink* sink, std::string_view purpose = "voice_features") {
    VoiceAcquireResult r = h_.voice().Acquire(purpose, sink);
    EXPECT_TRUE(r.granted()) << DenialReasonName(r.denial());
    return std::move(r.session());
  }

  GateHarness h_;
};

TEST_F(VoiceGateTest, DeniesForEachCheckInOrderAndLogsEveryDenial) {
  RecordingVoiceSink sink;
  auto& voice = h_.voice();
  auto& ledger = h_.ledger();
  // 1. Policy: analytics may not use voice; an unknown purpose is not in the policy at all.
  EXPECT_EQ(voice.Acquire("analytics", &sink).denial(), DenialReason::kPurposeNotAllowedByPolicy);
  EXPECT_EQ(voice.Acquire("karaoke", &sink).denial(), DenialReason::kPurposeNotAllowedByPolicy);
  // 2. Voice data: never asked, then declined.
  EXPECT_EQ(voice.Acquire("voice_features", &sink).denial(), DenialReason::kConsentUnknown);
  ASSERT_OK(ledger.SetCategoryProvided("voice", false, DecisionSource::kUser));
  EXPECT_EQ(voice.Acquire("voice_features", &sink).denial(), DenialReason::kVoiceDataNotProvided);
  // 3. Consent: unknown, then refused.
  ASSERT_OK(ledger.SetCategoryProvided("voice", true, DecisionSource::kUser));
  EXPECT_EQ(voice.Acquire("voice_features", &sink).denial(), DenialReason::kConsentUnknown);
  ASSERT_OK(ledger.SetPurpose("voice_features", ConsentState::kDenied, DecisionSource::kUser));
  EXPECT_EQ(voice.Acquire("voice_features", &sink).denial(), DenialReason::kNoConsent);
  // 4. OS permission: not determined, then denied.
  ASSERT_OK(ledger.SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
  EXPECT_EQ(voice.Acquire("voice_features", &sink).denial(), DenialReason::kOsPermissionDenied);
  ASSERT_OK(h_.device().permissions().Set(Permission::kMicrophone, PermissionState::kDenied));
  EXPECT_EQ(voice.Acquire("voice_features", &sink).denial(), DenialReason::kOsPermissionDenied);
  // 5. Hardware mute.
  ASSERT_OK(h_.device().permissions().Set(Permission::kMicrophone, PermissionState::kGranted));
  h_.device().microphone().SetHardwareMuted(true);
  EXPECT_EQ(voice.Check("voice_features"), DenialReason::kHardwareMuted);
  EXPECT_EQ(voice.Acquire("voice_features", &sink).denial(), DenialReason::kHardwareMuted);
  EXPECT_FALSE(h_.device().microphone().capturing());
  // Everything allows it now.
  h_.device().microphone().SetHardwareMuted(false);
  VoiceAcquireResult ok = voice.Acquire("voice_features", &sink);
  ASSERT_TRUE(ok.granted());
  // A caller bug is refused but is not an access attempt.
  EXPECT_EQ(voice.Acquire("voice_features", nullptr).denial(), DenialReason::kInvalidRequest);

  std::vector<DenialReason> reasons;
  std::vector<CaptureOutcome> outcomes;
  for (const AccessLogEntry& e : h_.Log()) {
    EXPECT_EQ(e.kind, CaptureKind::kVoice);
    reasons.push_back(e.reason);
    outcomes.push_back(e.outcome);
  }
  EXPECT_THAT(reasons, ElementsAre(DenialReason::kPurposeNotAllowedByPolicy,
                                   DenialReason::kPurposeNotAllowedByPolicy,
                                   DenialReason::kConsentUnknown, DenialReason::kVoiceDataNotProvided,
                                   DenialReason::kConsentUnknown, DenialReason::kNoConsent,
                                   DenialReason::kOsPermissionDenied,
                                   DenialReason::kOsPermissionDenied, DenialReason::kHardwareMuted,
                                   DenialReason::kNone));
  EXPECT_EQ(outcomes.back(), CaptureOutcome::kOpen);
  EXPECT_EQ(outcomes.front(), CaptureOutcome::kDenied);
}

// Consent revoked at t = 1000 ms (on the emulator thread, ordered before the frame due then):
// frames stamped 0, 20, ..., 960 ms reach the sink (49 frames, all captured before the commit);
// the frame covering [980, 1000) and everything after are never delivered.
TEST_F(VoiceGateTest, RevocationMidCaptureEndsWithinOneFrame) {
  h_.AllowVoice();
  RecordingVoiceSink sink;
  int64_t revoked_ns = -1;
  h_.At(1000, [&] {
    ASSERT_OK(h_.ledger().SetPurpose("voice_features", ConsentState::kDenied, DecisionSource::kUser));
    revoked_ns = h_.device().clock().MonotonicNanos();
  });
  VoiceCaptureSession session = MustAcquire(&sink);
  h_.device().AdvanceBy(3000);

  EXPECT_EQ(revoked_ns, 1000 * 1000000);
  EXPECT_EQ(sink.frames(), 49);
  for (int64_t ns : sink.capture_ns()) EXPECT_LE(ns + kFrameNs, revoked_ns + kFrameNs);
  EXPECT_LT(sink.capture_ns().back(), revoked_ns);
  EXPECT_EQ(sink.ended_calls(), 1);
  EXPECT_EQ(sink.reason(), EndReason::kConsentWithdrawn);
  EXPECT_TRUE(sink.contract_kept());
  EXPECT_FALSE(session.active());
  EXPECT_EQ(session.end_reason(), EndReason::kConsentWithdrawn);
  EXPECT_EQ(session.delivered(), 49u);
  EXPECT_FALSE(h_.device().microphone().capturing());  // nobody needs the microphone

  auto log = h_.Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].outcome, CaptureOutcome::kEndedByRevocation);
  EXPECT_EQ(log[0].reason, DenialReason::kNoConsent);
  EXPECT_EQ(log[0].frames, 49);
  EXPECT_EQ(log[0].audio_ms, 980);
  EXPECT_EQ(log[0].started_unix_ms, h_.start_unix_ms());
  EXPECT_EQ(log[0].ended_unix_ms, h_.start_unix_ms() + 1000);
  session.End();
  EXPECT_EQ(h_.Log()[0].outcome, CaptureOutcome::kEndedByRevocation);  // End does not rewrite it
  EXPECT_EQ(h_.voice().sessions_in_use(), 0u);
}

// Declining voice data ends every capture that needs it, and names the failed check in the log.
TEST_F(VoiceGateTest, DecliningVoiceDataEndsTheSessionsThatNeedIt) {
  h_.AllowVoice();
  RecordingVoiceSink first, second;
  VoiceCaptureSession a = MustAcquire(&first);
  VoiceCaptureSession b = MustAcquire(&second);
  h_.At(400, [&] { ASSERT_OK(h_.ledger().SetCategoryProvided("voice", false, DecisionSource::kUser)); });
  h_.device().AdvanceBy(1200);
  EXPECT_EQ(first.frames(), 19);  // stamps 0..360
  EXPECT_EQ(second.frames(), 19);
  EXPECT_EQ(first.reason(), EndReason::kConsentWithdrawn);
  EXPECT_EQ(second.reason(), EndReason::kConsentWithdrawn);
  EXPECT_FALSE(h_.device().microphone().capturing());
  auto log = h_.Log();
  ASSERT_EQ(log.size(), 2u);
  for (const AccessLogEntry& e : log) {
    EXPECT_EQ(e.outcome, CaptureOutcome::kEndedByRevocation);
    EXPECT_EQ(e.reason, DenialReason::kVoiceDataNotProvided);
    EXPECT_EQ(e.frames, 19);
  }
}

// A legal obligation is a reason to hand over what is held, never to listen: legal_obligation may
// use voice under the policy and is granted by its legal basis, but it cannot open the
// microphone — not when only the voice category is provided (the case that used to capture), and
// not even while the user grants voice_features.
TEST_F(VoiceGateTest, LegalObligationNeverOpensTheMicrophone) {
  RecordingVoiceSink legal, assistant;
  auto& ledger = h_.ledger();
  ASSERT_OK(ledger.SetCategoryProvided("voice", true, DecisionSource::kUser));
  ASSERT_OK(h_.device().permissions().Set(Permission::kMicrophone, PermissionState::kGranted));
  EXPECT_EQ(h_.voice().Check("legal_obligation"), DenialReason::kNotACollectionBasis);
  EXPECT_EQ(h_.voice().Acquire("legal_obligation", &legal).denial(),
            DenialReason::kNotACollectionBasis);
  ASSERT_OK(ledger.SetPurpose("voice_features", ConsentState::kDenied, DecisionSource::kUser));
  EXPECT_EQ(h_.voice().Acquire("legal_obligation", &legal).denial(),
            DenialReason::kNotACollectionBasis);
  EXPECT_FALSE(h_.device().microphone().capturing());
  // The user's grant is for voice features, and only voice features capture.
  ASSERT_OK(ledger.SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
  EXPECT_EQ(h_.voice().Acquire("legal_obligation", &legal).denial(),
            DenialReason::kNotACollectionBasis);
  VoiceCaptureSession session = MustAcquire(&assistant);
  h_.device().AdvanceBy(200);
  EXPECT_EQ(legal.frames(), 0);
  EXPECT_GT(assistant.frames(), 0);
  std::vector<std::pair<std::string, DenialReason>> rows;
  for (const AccessLogEntry& e : h_.Log()) rows.emplace_back(e.purpose_id, e.reason);
  EXPECT_THAT(rows, ElementsAre(std::make_pair("legal_obligation", DenialReason::kNotACollectionBasis),
                                std::make_pair("legal_obligation", DenialReason::kNotACollectionBasis),
                                std::make_pair("legal_obligation", DenialReason::kNotACollectionBasis),
                                std::make_pair("voice_features", DenialReason::kNone)));
  EXPECT_STREQ(DenialReasonName(h_.Log()[0].reason), "not_a_collection_basis");
}

TEST_F(VoiceGateTest, OsPermissionLossMidCaptureEndsWithinOneFrame) {
  h_.AllowVoice();
  RecordingVoiceSink sink;
  ASSERT_OK(h_.device().permissions().SetAt(1000, Permission::kMicrophone, PermissionState::kDenied));
  VoiceCaptureSession session = MustAcquire(&sink);
  h_.device().AdvanceBy(2000);
  EXPECT_EQ(sink.frames(), 49);
  EXPECT_EQ(sink.reason(), EndReason::kOsPermissionLost);
  EXPECT_TRUE(sink.contract_kept());
  EXPECT_FALSE(h_.device().microphone().capturing());
  auto log = h_.Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].outcome, CaptureOutcome::kEndedByPermissionLoss);
  EXPECT_EQ(log[0].frames, 49);
}

// Without any permission listener the per-frame check alone keeps the bound: the first frame
// after the change is discarded and the session ends.
TEST_F(VoiceGateTest, PerFrameCheckEndsCaptureWhenNoNotificationArrives) {
  h_.UnregisterPermissionListener();
  h_.AllowVoice();
  RecordingVoiceSink sink;
  ASSERT_OK(h_.device().permissions().SetAt(500, Permission::kMicrophone, PermissionState::kDenied));
  VoiceCaptureSession session = MustAcquire(&sink);
  h_.device().AdvanceBy(1500);
  EXPECT_EQ(sink.frames(), 24);  // stamps 0..460; the frame stamped 480 is dropped
  EXPECT_LT(sink.capture_ns().back() + kFrameNs, 500 * 1000000 + 1);
  EXPECT_EQ(sink.reason(), EndReason::kOsPermissionLost);
  EXPECT_FALSE(h_.device().microphone().capturing());
  EXPECT_EQ(h_.Log().at(0).outcome, CaptureOutcome::kEndedByPermissionLoss);
}

// A revocation committed (on another thread) while a frame is inside the sink: that frame
// completes, no other starts, and OnSessionEnded comes only after the frame returned. The sink
// waits for the revoking thread here only to pin the race down; real sinks must not block.
TEST_F(VoiceGateTest, RevocationDuringADeliveryLetsOnlyThatFrameFinish) {
  h_.AllowVoice();
  RecordingVoiceSink sink;
  std::atomic<bool> revoked{false};
  std::thread revoker;
  sink.on_frame = [&](int n) {
    if (n != 10) return;
    revoker = std::thread([&] {
      ASSERT_OK(h_.ledger().SetPurpose("voice_features", ConsentState::kDenied, DecisionSource::kUser));
      revoked.store(true);
    });
    while (!revoked.load()) std::this_thread::yield();
    EXPECT_EQ(sink.ended_calls(), 0);  // not while this frame is being delivered
  };
  VoiceCaptureSession session = MustAcquire(&sink);
  h_.device().AdvanceBy(1000);
  revoker.join();
  EXPECT_EQ(sink.frames(), 10);
  EXPECT_EQ(sink.ended_calls(), 1);
  EXPECT_EQ(sink.reason(), EndReason::kConsentWithdrawn);
  EXPECT_TRUE(sink.contract_kept());
  EXPECT_FALSE(h_.device().microphone().capturing());
  EXPECT_EQ(h_.Log().at(0).frames, 10);
  EXPECT_EQ(h_.Log().at(0).outcome, CaptureOutcome::kEndedByRevocation);
}

TEST_F(VoiceGateTest, HardwareMuteMidCaptureEndsWithinOneFrame) {
  h_.AllowVoice();
  RecordingVoiceSink sink;
  ASSERT_OK(h_.device().microphone().SetHardwareMutedAt(1000, true));
  VoiceCaptureSession session = MustAcquire(&sink);
  h_.device().AdvanceBy(2000);
  EXPECT_EQ(sink.frames(), 49);
  EXPECT_EQ(sink.reason(), EndReason::kHardwareMuted);
  EXPECT_EQ(sink.ended_calls(), 1);
  EXPECT_FALSE(session.active());
  auto log = h_.Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].outcome, CaptureOutcome::kEndedByMute);
  EXPECT_EQ(log[0].frames, 49);
  RecordingVoiceSink again;
  EXPECT_EQ(h_.voice().Acquire("voice_features", &again).denial(), DenialReason::kHardwareMuted);
}

TEST_F(VoiceGateTest, CallerEndsTheCaptureAndTheLogSaysCompleted) {
  h_.AllowVoice();
  RecordingVoiceSink sink;
  VoiceCaptureSession session = MustAcquire(&sink);
  h_.device().AdvanceBy(500);
  session.End();
  h_.device().AdvanceBy(500);
  EXPECT_EQ(sink.frames(), 25);
  EXPECT_EQ(sink.ended_calls(), 0);  // the caller knows; no callback
  EXPECT_EQ(session.end_reason(), EndReason::kCompletedByCaller);
  EXPECT_FALSE(h_.device().microphone().capturing());
  auto log = h_.Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].outcome, CaptureOutcome::kCompleted);
  EXPECT_EQ(log[0].frames, 25);
  EXPECT_EQ(log[0].audio_ms, 500);
  EXPECT_EQ(log[0].ended_unix_ms, h_.start_unix_ms() + 500);
}

TEST_F(VoiceGateTest, SinkMayEndItsOwnSessionFromInsideAFrame) {
  h_.AllowVoice();
  RecordingVoiceSink sink;
  VoiceCaptureSession session;
  sink.on_frame = [&](int n) {
    if (n == 5) session.End();
  };
  session = MustAcquire(&sink);
  h_.device().AdvanceBy(500);
  EXPECT_EQ(sink.frames(), 5);
  EXPECT_FALSE(h_.device().microphone().capturing());
  EXPECT_EQ(h_.Log().at(0).outcome, CaptureOutcome::kCompleted);
  EXPECT_EQ(h_.Log().at(0).frames, 5);
  EXPECT_EQ(h_.voice().sessions_in_use(), 0u);
}

TEST_F(VoiceGateTest, ConsentSurvivesAProcessRestart) {
  h_.AllowVoice();
  h_.Reopen();
  RecordingVoiceSink sink;
  VoiceCaptureSession session = MustAcquire(&sink);
  h_.device().AdvanceBy(200);
  EXPECT_EQ(sink.frames(), 10);
  session.End();
  // A refusal survives too.
  ASSERT_OK(h_.ledger().SetPurpose("voice_features", ConsentState::kDenied, DecisionSource::kUser));
  h_.Reopen();
  EXPECT_EQ(h_.voice().Acquire("voice_features", &sink).denial(), DenialReason::kNoConsent);
  auto log = h_.Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].outcome, CaptureOutcome::kCompleted);
  EXPECT_EQ(log[1].outcome, CaptureOutcome::kDenied);
}

TEST_F(VoiceGateTest, CaptureOpenAtACrashIsLoggedAsInterrupted) {
  h_.AllowVoice();
  RecordingVoiceSink sink;
  VoiceAcquireResult r = h_.voice().Acquire("voice_features", &sink);
  ASSERT_TRUE(r.granted());
  // Simulate the process dying: the row stays open in the file; a new AccessLog finds it.
  auto db = store::Database::Open(h_.path(), store::OpenOptions{false, true, 5000, &testing::DeviceSchema()});
  ASSERT_OK(db.status());
  ASSERT_OK_AND_ASSIGN(auto log, AccessLog::Open(**db));
  EXPECT_EQ(log->interrupted_at_open(), 1);
}

TEST_F(VoiceGateTest, TooManySessions) {
  h_.AllowVoice();
  RecordingVoiceSink sinks[kMaxVoiceSessions + 1];
  std::vector<VoiceCaptureSession> sessions;
  for (size_t i = 0; i < kMaxVoiceSessions; ++i) sessions.push_back(MustAcquire(&sinks[i]));
  EXPECT_EQ(h_.voice().Acquire("voice_features", &sinks[kMaxVoiceSessions]).denial(),
            DenialReason::kTooManySessions);
  h_.device().AdvanceBy(100);
  for (size_t i = 0; i < kMaxVoiceSessions; ++i) EXPECT_EQ(sinks[i].frames(), 5);
  sessions.clear();
  EXPECT_EQ(h_.voice().sessions_in_use(), 0u);
  EXPECT_FALSE(h_.device().microphone().capturing());
}

// Another thread revokes while the emulator thread delivers frames (TSan runs this too): at most
// the frame in flight when SetPurpose returned is delivered after it.
TEST_F(VoiceGateTest, ConcurrentRevocationBoundsDeliveryToOneFrame) {
  for (int round = 0; round < 20; ++round) {
    h_.AllowVoice();
    RecordingVoiceSink sink;
    VoiceCaptureSession session = MustAcquire(&sink);
    std::atomic<bool> stop{false};
    std::thread audio([&] {
      while (!stop.load()) h_.device().AdvanceBy(20);
    });
    while (sink.frames() < 5 + round) std::this_thread::yield();
    ASSERT_OK(h_.ledger().SetPurpose("voice_features", ConsentState::kDenied, DecisionSource::kUser));
    int at_return = sink.frames();
    while (sink.ended_calls() == 0) std::this_thread::yield();
    int at_end = sink.frames();
    for (int i = 0; i < 50; ++i) std::this_thread::yield();
    stop.store(true);
    audio.join();
    EXPECT_LE(sink.frames(), at_return + 1) << round;
    EXPECT_EQ(sink.frames(), at_end);
    EXPECT_EQ(sink.reason(), EndReason::kConsentWithdrawn);
    EXPECT_TRUE(sink.contract_kept());
    session.End();
  }
  for (const AccessLogEntry& e : h_.Log()) EXPECT_EQ(e.outcome, CaptureOutcome::kEndedByRevocation);
}

}  // namespace
}  // namespace tacet::gate
