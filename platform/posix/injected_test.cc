// The push-driven services the firmware feeds: microphone, location, permissions; and the logger.
#include <unistd.h>

#include <atomic>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "posix/injected_location.h"
#include "posix/injected_microphone.h"
#include "posix/static_permissions.h"
#include "posix/stderr_logger.h"
#include "testing/test_util.h"

namespace tacet::platform {
namespace {

using ::testing::HasSubstr;

struct RecordingSink : MicrophoneSink {
  void OnFrame(const AudioFrame& f) override {
    first_samples.push_back(f.samples[0]);
    counts.push_back(f.count);
    times.push_back(f.capture_monotonic_ns);
    if (stop_from_inside != nullptr) stop_from_inside->Stop();
  }
  void OnStopped(MicrophoneStopReason r) override { stops.push_back(r); }
  std::vector<int16_t> first_samples;
  std::vector<size_t> counts;
  std::vector<int64_t> times;
  std::vector<MicrophoneStopReason> stops;
  Microphone* stop_from_inside = nullptr;
};

struct RecordingMuteListener : MuteListener {
  void OnHardwareMuteChanged(bool m) override { changes.push_back(m); }
  std::vector<bool> changes;
};

TEST(InjectedMicrophoneTest, DeliversPushedFramesOnlyWhileCapturing) {
  InjectedMicrophone mic;
  RecordingSink sink;
  std::vector<int16_t> frame(320, 7);
  ASSERT_OK(mic.Push(frame.data(), frame.size(), 1));  // nobody listening: dropped
  ASSERT_OK(mic.Start(AudioFormat{}, &sink));
  EXPECT_TRUE(mic.capturing());
  ASSERT_OK(mic.Push(frame.data(), frame.size(), 2));
  EXPECT_THAT(mic.Push(frame.data(), 160, 3),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("160 samples")));
  mic.Stop();
  ASSERT_OK(mic.Push(frame.data(), frame.size(), 4));
  EXPECT_EQ(sink.times, (std::vector<int64_t>{2}));
  EXPECT_EQ(sink.counts, (std::vector<size_t>{320}));
  EXPECT_TRUE(sink.stops.empty());  // Stop() is not reported back
}

TEST(InjectedMicrophoneTest, StartChecksArguments) {
  InjectedMicrophone mic;
  RecordingSink sink;
  EXPECT_THAT(mic.Start(AudioFormat{}, nullptr), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(mic.Start(AudioFormat{96000, 1, 20}, &sink),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("96000 Hz")));
  // 44.1 kHz in 15 ms frames would be 661.5 samples.
  EXPECT_THAT(mic.Start(AudioFormat{44100, 1, 15}, &sink), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(mic.Start(AudioFormat{16000, 3, 20}, &sink), StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK(mic.Start(AudioFormat{48000, 2, 10}, &sink));
  EXPECT_EQ(mic.format().SamplesPerFrame(), 960u);
  EXPECT_THAT(mic.Start(AudioFormat{}, &sink),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("already open")));
}

TEST(InjectedMicrophoneTest, MuteEndsCaptureThenNotifies) {
  InjectedMicrophone mic;
  RecordingSink sink;
  RecordingMuteListener listener;
  mic.SetMuteListener(&listener);
  ASSERT_OK(mic.Start(AudioFormat{}, &sink));
  mic.SetHardwareMuted(true);
  mic.SetHardwareMuted(true);  // unchanged: no second notification
  EXPECT_TRUE(mic.HardwareMuted());
  EXPECT_FALSE(mic.capturing());
  EXPECT_EQ(sink.stops, (std::vector<MicrophoneStopReason>{MicrophoneStopReason::kHardwareMuted}));
  EXPECT_THAT(mic.Start(AudioFormat{}, &sink),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("muted")));
  mic.SetHardwareMuted(false);
  EXPECT_EQ(listener.changes, (std::vector<bool>{true, false}));
  ASSERT_OK(mic.Start(AudioFormat{}, &sink));
  mic.SetMuteListener(nullptr);
  mic.SetHardwareMuted(true);
  EXPECT_EQ(listener.changes.size(), 2u);
}

TEST(InjectedMicrophoneTest, SinkMayStopFromInsideOnFrameAndDriverMayReportFailure) {
  InjectedMicrophone mic;
  RecordingSink sink;
  sink.stop_from_inside = &mic;
  std::vector<int16_t> frame(320, 1);
  ASSERT_OK(mic.Start(AudioFormat{}, &sink));
  ASSERT_OK(mic.Push(frame.data(), frame.size(), 1));
  ASSERT_OK(mic.Push(frame.data(), frame.size(), 2));
  EXPECT_EQ(sink.times.size(), 1u);

  sink.stop_from_inside = nullptr;
  ASSERT_OK(mic.Start(AudioFormat{}, &sink));
  mic.ReportStopped(MicrophoneStopReason::kDeviceError);
  mic.ReportStopped(MicrophoneStopReason::kDeviceError);  // not capturing any more: ignored
  EXPECT_EQ(sink.stops, (std::vector<MicrophoneStopReason>{MicrophoneStopReason::kDeviceError}));
}

TEST(InjectedMicrophoneTest, StopFromAnotherThreadEndsDeliveryForGood) {
  struct CountingSink : MicrophoneSink {
    void OnFrame(const AudioFrame&) override { frames++; }
    void OnStopped(MicrophoneStopReason) override {}
    std::atomic<int> frames{0};
  } sink;
  InjectedMicrophone mic;
  ASSERT_OK(mic.Start(AudioFormat{}, &sink));
  std::atomic<bool> done{false};
  std::thread audio([&] {
    std::vector<int16_t> frame(320, 3);
    for (int64_t t = 0; !done; ++t) mic.Push(frame.data(), frame.size(), t).IgnoreError();
  });
  while (sink.frames < 10) std::this_thread::yield();
  mic.Stop();
  int at_stop = sink.frames;  // no callback may run once Stop has returned
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(sink.frames, at_stop);
  done = true;
  audio.join();
}

struct RecordingLocationSink : LocationSink {
  void OnFix(const LocationFix& f) override { fixes.push_back(f); }
  std::vector<LocationFix> fixes;
};

TEST(InjectedLocationProviderTest, ForwardsValidFixesWhileStarted) {
  InjectedLocationProvider gps;
  RecordingLocationSink sink;
  LocationFix fix{48.8584, 2.2945, 12.5, 1700000000000};
  ASSERT_OK(gps.Push(fix));
  EXPECT_THAT(gps.Start(LocationPrecision::kNone, &sink), StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK(gps.Start(LocationPrecision::kApproximate, &sink));
  EXPECT_EQ(gps.requested_precision(), LocationPrecision::kApproximate);
  EXPECT_THAT(gps.Start(LocationPrecision::kPrecise, &sink), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK(gps.Push(fix));
  EXPECT_THAT(gps.Push(LocationFix{91, 0, 1, 0}), StatusIs(StatusCode::kInvalidArgument, HasSubstr("latitude 91")));
  EXPECT_THAT(gps.Push(LocationFix{0, 0, -1, 0}), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(gps.Push(LocationFix{0, std::numeric_limits<double>::quiet_NaN(), 1, 0}),
              StatusIs(StatusCode::kInvalidArgument));
  gps.Stop();
  EXPECT_EQ(gps.requested_precision(), LocationPrecision::kNone);
  ASSERT_OK(gps.Push(fix));
  ASSERT_EQ(sink.fixes.size(), 1u);
  EXPECT_EQ(sink.fixes[0].latitude_deg, 48.8584);
  EXPECT_EQ(sink.fixes[0].accuracy_m, 12.5);
}

struct RecordingPermissionListener : PermissionListener {
  void OnPermissionChanged(Permission p, PermissionState s) override { changes.emplace_back(p, s); }
  std::vector<std::pair<Permission, PermissionState>> changes;
};

TEST(StaticPermissionProviderTest, StartsUndeterminedAndNotifiesChanges) {
  StaticPermissionProvider perms;
  RecordingPermissionListener listener;
  perms.SetListener(&listener);
  EXPECT_EQ(perms.Query(Permission::kMicrophone), PermissionState::kNotDetermined);
  EXPECT_EQ(perms.Query(Permission::kLocation), PermissionState::kNotDetermined);
  EXPECT_EQ(perms.LocationPermissionPrecision(), LocationPrecision::kNone);

  ASSERT_OK(perms.Set(Permission::kMicrophone, PermissionState::kGranted));
  ASSERT_OK(perms.Set(Permission::kMicrophone, PermissionState::kGranted));  // no change
  ASSERT_OK(perms.Set(Permission::kLocation, PermissionState::kGranted, LocationPrecision::kPrecise));
  ASSERT_OK(perms.Set(Permission::kLocation, PermissionState::kGranted, LocationPrecision::kApproximate));
  EXPECT_EQ(perms.LocationPermissionPrecision(), LocationPrecision::kApproximate);
  ASSERT_OK(perms.Set(Permission::kLocation, PermissionState::kDenied));
  EXPECT_EQ(perms.LocationPermissionPrecision(), LocationPrecision::kNone);
  EXPECT_EQ(perms.Query(Permission::kMicrophone), PermissionState::kGranted);

  using P = std::pair<Permission, PermissionState>;
  EXPECT_EQ(listener.changes, (std::vector<P>{{Permission::kMicrophone, PermissionState::kGranted},
                                              {Permission::kLocation, PermissionState::kGranted},
                                              {Permission::kLocation, PermissionState::kGranted},
                                              {Permission::kLocation, PermissionState::kDenied}}));
}

TEST(StaticPermissionProviderTest, RejectsInconsistentPrecision) {
  StaticPermissionProvider perms;
  EXPECT_THAT(perms.Set(Permission::kLocation, PermissionState::kGranted),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("approximate or precise")));
  EXPECT_THAT(perms.Set(Permission::kLocation, PermissionState::kDenied, LocationPrecision::kPrecise),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("location denied")));
  EXPECT_THAT(perms.Set(Permission::kMicrophone, PermissionState::kGranted, LocationPrecision::kPrecise),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(perms.Query(Permission::kLocation), PermissionState::kNotDetermined);
}

TEST(StderrLoggerTest, WritesOneLinePerMessageAboveTheThreshold) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  {
    StderrLogger logger(LogLevel::kInfo, fds[1]);
    logger.Log(LogLevel::kDebug, "hidden");
    logger.Log(LogLevel::kWarning, "consent: ledger reopened");
    logger.Log(LogLevel::kError, "vault: record 3 failed authentication");
  }
  close(fds[1]);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  EXPECT_EQ(out, "tacet W consent: ledger reopened\ntacet E vault: record 3 failed authentication\n");
}

}  // namespace
}  // namespace tacet::platform
