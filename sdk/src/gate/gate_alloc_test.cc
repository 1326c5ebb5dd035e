// The frame and fix paths allocate nothing: this executable replaces the global operator
// new/delete with counting versions (so no other test binary is affected) and pushes frames and
// fixes through open sessions, through the firmware-side injected microphone and location
// provider (which themselves never allocate on success).
#include <gtest/gtest.h>

#include <new>
#include <vector>

#include "gate/gate_test_util.h"
#include "posix/injected_location.h"
#include "posix/injected_microphone.h"
#include "posix/static_permissions.h"
#include "testing/heap_counter.h"

namespace tacet::gate {
namespace {

using platform::LocationPrecision;
using platform::Permission;
using platform::PermissionState;

class CountingVoiceSink : public VoiceFrameSink {
 public:
  void OnVoiceFrame(const platform::AudioFrame&) override { ++frames; }
  void OnSessionEnded(EndReason) override { ++ended; }
  int frames = 0, ended = 0;
};
class CountingFixSink : public LocationFixSink {
 public:
  void OnLocationFix(const platform::LocationFix& fix, LocationPrecision) override {
    ++fixes;
    last_lat = fix.latitude_deg;
  }
  void OnSessionEnded(EndReason) override { ++ended; }
  int fixes = 0, ended = 0;
  double last_lat = 0;
};

TEST(GateAllocationTest, TheCounterCounts) {
  const size_t before = ::tacet::testing::heap_counter::Allocations();
  auto* p = new int(7);
  EXPECT_EQ(::tacet::testing::heap_counter::Allocations(), before + 1);
  delete p;
}

TEST(GateAllocationTest, FramesAndFixesThroughOpenSessionsDoNotAllocate) {
  testing::GateHarness h;  // for the real ledger and access log on a device file
  h.AllowVoice();
  h.AllowLocation(LocationPrecision::kApproximate, LocationPrecision::kPrecise);
  platform::InjectedMicrophone mic;
  platform::InjectedLocationProvider provider;
  platform::StaticPermissionProvider permissions;
  ASSERT_OK(permissions.Set(Permission::kMicrophone, PermissionState::kGranted));
  ASSERT_OK(permissions.Set(Permission::kLocation, PermissionState::kGranted, LocationPrecision::kPrecise));
  VoiceGate voice(h.ledger(), mic, permissions, h.device().clock(), h.log());
  LocationGate location(h.ledger(), provider, permissions, h.device().clock(), h.log());
  CountingVoiceSink voice_sinks[2];
  CountingFixSink fix_sink;
  VoiceAcquireResult a = voice.Acquire("voice_features", &voice_sinks[0]);
  VoiceAcquireResult b = voice.Acquire("voice_features", &voice_sinks[1]);
  LocationAcquireResult l = location.Acquire("location_features", LocationPrecision::kPrecise, &fix_sink);
  ASSERT_TRUE(a.granted() && b.granted() && l.granted());

  std::vector<int16_t> samples(voice.format().SamplesPerFrame(), 1000);
  platform::LocationFix fix{45.7578, 4.8320, 5, 0};
  const size_t before = ::tacet::testing::heap_counter::Allocations();
  for (int i = 0; i < 5000; ++i) {
    ASSERT_TRUE(mic.Push(samples.data(), samples.size(), int64_t{i} * 20000000).ok());
  }
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(provider.Push(fix).ok());
  // The collection decision by id, allowed and refused (the refusal walks every check).
  for (int i = 0; i < 500; ++i) {
    ASSERT_EQ(voice.Check("voice_features"), DenialReason::kNone);
    ASSERT_EQ(voice.Check("legal_obligation"), DenialReason::kNotACollectionBasis);
    ASSERT_EQ(location.Check("safety_and_legal_claims", LocationPrecision::kPrecise),
              DenialReason::kNotACollectionBasis);
  }
  const size_t after = ::tacet::testing::heap_counter::Allocations();
  EXPECT_EQ(after - before, 0u) << "allocations on the frame and fix paths";
  EXPECT_EQ(voice_sinks[0].frames, 5000);
  EXPECT_EQ(voice_sinks[1].frames, 5000);
  EXPECT_EQ(fix_sink.fixes, 500);
  EXPECT_NE(fix_sink.last_lat, fix.latitude_deg);  // snapped
}

}  // namespace
}  // namespace tacet::gate
