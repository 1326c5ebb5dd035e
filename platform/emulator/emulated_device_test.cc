// The emulated device's timeline: microphone frames, mute switch, permission flips, GPS track
// and network script, all in virtual time.
#include "emulator/emulated_device.h"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "testing/test_util.h"

namespace tacet::platform {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Frame {
  int64_t delivered_ms;
  int64_t capture_ns;
  std::vector<int16_t> samples;
};

struct RecordingSink : MicrophoneSink {
  explicit RecordingSink(VirtualClock* c) : clock(c) {}
  void OnFrame(const AudioFrame& f) override {
    frames.push_back(Frame{clock->MonotonicMillis(), f.capture_monotonic_ns,
                           std::vector<int16_t>(f.samples, f.samples + f.count)});
  }
  void OnStopped(MicrophoneStopReason r) override {
    stops.emplace_back(clock->MonotonicMillis(), r);
  }
  VirtualClock* clock;
  std::vector<Frame> frames;
  std::vector<std::pair<int64_t, MicrophoneStopReason>> stops;
};

TEST(EmulatedMicrophoneTest, FiftyFramesPerVirtualSecondWithTimestamps) {
  EmulatedDevice device;
  RecordingSink sink(&device.clock());
  device.AdvanceBy(7);  // start off the 20 ms grid
  ASSERT_OK(device.microphone().Start(AudioFormat{}, &sink));
  device.AdvanceBy(19);
  EXPECT_TRUE(sink.frames.empty());  // the first frame is complete 20 ms after Start
  device.AdvanceBy(981);
  ASSERT_EQ(sink.frames.size(), 50u);
  for (size_t i = 0; i < sink.frames.size(); ++i) {
    EXPECT_EQ(sink.frames[i].samples.size(), 320u);
    EXPECT_EQ(sink.frames[i].capture_ns, (7 + 20 * static_cast<int64_t>(i)) * 1000000);
    EXPECT_EQ(sink.frames[i].delivered_ms, 7 + 20 * (static_cast<int64_t>(i) + 1));
  }
  device.microphone().Stop();
  device.AdvanceBy(1000);
  EXPECT_EQ(sink.frames.size(), 50u);
  EXPECT_TRUE(sink.stops.empty());
}

TEST(EmulatedMicrophoneTest, OtherFormatsDeliverTheirFrameSize) {
  EmulatedDevice device;
  RecordingSink sink(&device.clock());
  ASSERT_OK(device.microphone().Start(AudioFormat{48000, 2, 10}, &sink));
  device.AdvanceBy(100);
  ASSERT_EQ(sink.frames.size(), 10u);
  EXPECT_EQ(sink.frames[0].samples.size(), 960u);
}

TEST(EmulatedMicrophoneTest, HearsTheScriptAtItsVirtualTime) {
  EmulatedDevice device;
  RecordingSink sink(&device.clock());
  device.microphone().Play(AudioScript().Silence(40).Tone(1000, 0.5, 40).Noise(9, 0.25, 40));
  ASSERT_OK(device.microphone().Start(AudioFormat{}, &sink));
  device.AdvanceBy(140);
  ASSERT_EQ(sink.frames.size(), 7u);
  auto peak = [](const std::vector<int16_t>& s) {
    int m = 0;
    for (int16_t v : s) m = std::max(m, std::abs(int{v}));
    return m;
  };
  EXPECT_EQ(peak(sink.frames[0].samples), 0);  // silence
  EXPECT_EQ(peak(sink.frames[1].samples), 0);
  // 1 kHz at 16 kHz: sample 4 of the tone is the crest, 16384 at half scale.
  EXPECT_EQ(sink.frames[2].samples[0], 0);
  EXPECT_EQ(sink.frames[2].samples[4], 16384);
  EXPECT_EQ(peak(sink.frames[3].samples), 16384);
  int noise_peak = peak(sink.frames[4].samples);  // noise at a quarter scale
  EXPECT_GT(noise_peak, 4000);
  EXPECT_LE(noise_peak, 8192);
  EXPECT_NE(sink.frames[4].samples, sink.frames[5].samples);
  EXPECT_EQ(peak(sink.frames[6].samples), 0);  // after the script: silence

  // The same script on another device renders the same bytes: the noise is seeded.
  EmulatedDevice twin;
  RecordingSink twin_sink(&twin.clock());
  twin.microphone().Play(AudioScript().Silence(40).Tone(1000, 0.5, 40).Noise(9, 0.25, 40));
  ASSERT_OK(twin.microphone().Start(AudioFormat{}, &twin_sink));
  twin.AdvanceBy(140);
  ASSERT_EQ(twin_sink.frames.size(), 7u);
  for (size_t i = 0; i < 7; ++i) EXPECT_EQ(twin_sink.frames[i].samples, sink.frames[i].samples);
}

TEST(EmulatedMicrophoneTest, PlaysAWavClip) {
  ASSERT_OK_AND_ASSIGN(WavAudio wav, ReadWavFile(testing::SourceDir() +
                                                 "/platform/emulator/testdata/tone_440hz_16k_mono.wav"));
  auto clip = std::make_shared<const WavAudio>(std::move(wav));
  EmulatedDevice device;
  RecordingSink sink(&device.clock());
  device.microphone().Play(AudioScript().Clip(clip));
  ASSERT_OK(device.microphone().Start(AudioFormat{}, &sink));
  device.AdvanceBy(1020);
  ASSERT_EQ(sink.frames.size(), 51u);
  for (size_t i = 0; i < 50; ++i) {
    ASSERT_TRUE(std::equal(sink.frames[i].samples.begin(), sink.frames[i].samples.end(),
                           clip->samples.begin() + static_cast<std::ptrdiff_t>(320 * i)))
        << "frame " << i;
  }
  EXPECT_EQ(sink.frames[50].samples, std::vector<int16_t>(320, 0));  // the clip has ended
  device.microphone().Stop();

  // A clip only plays into a capture of its own format.
  EXPECT_THAT(device.microphone().Start(AudioFormat{8000, 1, 20}, &sink),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("clip 0 is 16000 Hz, 1 channel(s)")));
}

struct MuteRecorder : MuteListener {
  explicit MuteRecorder(VirtualClock* c) : clock(c) {}
  void OnHardwareMuteChanged(bool muted) override { changes.emplace_back(clock->MonotonicMillis(), muted); }
  VirtualClock* clock;
  std::vector<std::pair<int64_t, bool>> changes;
};

TEST(EmulatedMicrophoneTest, HardwareMuteStopsFramesAndNotifies) {
  EmulatedDevice device;
  RecordingSink sink(&device.clock());
  MuteRecorder mute(&device.clock());
  device.microphone().SetMuteListener(&mute);
  ASSERT_OK(device.microphone().SetHardwareMutedAt(110, true));
  ASSERT_OK(device.microphone().SetHardwareMutedAt(300, false));
  EXPECT_THAT(device.microphone().SetHardwareMutedAt(-1, true), StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK(device.microphone().Start(AudioFormat{}, &sink));
  device.AdvanceBy(200);
  EXPECT_EQ(sink.frames.size(), 5u);  // 20, 40, 60, 80, 100 ms; none after the mute at 110
  using Stop = std::pair<int64_t, MicrophoneStopReason>;
  EXPECT_EQ(sink.stops, (std::vector<Stop>{{110, MicrophoneStopReason::kHardwareMuted}}));
  EXPECT_TRUE(device.microphone().HardwareMuted());
  EXPECT_THAT(device.microphone().Start(AudioFormat{}, &sink), StatusIs(StatusCode::kFailedPrecondition));
  device.AdvanceBy(200);
  EXPECT_FALSE(device.microphone().HardwareMuted());
  EXPECT_EQ(sink.frames.size(), 5u);  // unmuting does not reopen capture by itself
  EXPECT_EQ(mute.changes, (std::vector<std::pair<int64_t, bool>>{{110, true}, {300, false}}));

  ASSERT_OK(device.microphone().Start(AudioFormat{}, &sink));
  device.AdvanceBy(40);
  EXPECT_EQ(sink.frames.size(), 7u);
  EXPECT_EQ(sink.frames.back().capture_ns, 420 * 1000000);
}

TEST(EmulatedMicrophoneTest, SinkStoppingAndRestartingInsideOnFrameKeepsOneFrameStream) {
  struct Restarter : MicrophoneSink {
    void OnFrame(const AudioFrame& f) override {
      times.push_back(f.capture_monotonic_ns / 1000000);
      if (times.size() == 2) {
        mic->Stop();
        EXPECT_OK(mic->Start(AudioFormat{}, this));
      }
    }
    void OnStopped(MicrophoneStopReason) override {}
    Microphone* mic = nullptr;
    std::vector<int64_t> times;
  } sink;
  EmulatedDevice device;
  sink.mic = &device.microphone();
  ASSERT_OK(device.microphone().Start(AudioFormat{}, &sink));
  device.AdvanceBy(100);
  // Restarted at 40 ms (inside the second frame): the new capture's frames start at 40, 60, 80,
  // and the first capture's pending frame does not also arrive (no doubled stream).
  EXPECT_EQ(sink.times, (std::vector<int64_t>{0, 20, 40, 60, 80}));
}

TEST(EmulatedMicrophoneTest, DriverFailureEndsCaptureWithAReason) {
  EmulatedDevice device;
  RecordingSink sink(&device.clock());
  ASSERT_OK(device.microphone().Start(AudioFormat{}, &sink));
  device.AdvanceBy(50);
  device.microphone().ReportStopped(MicrophoneStopReason::kPermissionRevoked);
  device.AdvanceBy(100);
  EXPECT_EQ(sink.frames.size(), 2u);
  ASSERT_EQ(sink.stops.size(), 1u);
  EXPECT_EQ(sink.stops[0].second, MicrophoneStopReason::kPermissionRevoked);
}

struct PermissionRecorder : PermissionListener {
  PermissionRecorder(VirtualClock* c, PermissionProvider* p) : clock(c), provider(p) {}
  void OnPermissionChanged(Permission perm, PermissionState state) override {
    changes.push_back({clock->MonotonicMillis(), perm, state, provider->LocationPermissionPrecision()});
  }
  struct Change {
    int64_t at_ms;
    Permission permission;
    PermissionState state;
    LocationPrecision precision;
    bool operator==(const Change& o) const {
      return at_ms == o.at_ms && permission == o.permission && state == o.state && precision == o.precision;
    }
  };
  VirtualClock* clock;
  PermissionProvider* provider;
  std::vector<Change> changes;
};

TEST(EmulatedPermissionsTest, FlipsNotifyTheListenerAtTheScriptedTime) {
  EmulatedDevice device;
  ScriptedPermissions& perms = device.permissions();
  PermissionRecorder rec(&device.clock(), &perms);
  perms.SetListener(&rec);
  EXPECT_EQ(perms.Query(Permission::kMicrophone), PermissionState::kNotDetermined);
  ASSERT_OK(perms.Set(Permission::kMicrophone, PermissionState::kGranted));
  ASSERT_OK(perms.SetAt(1000, Permission::kLocation, PermissionState::kGranted, LocationPrecision::kPrecise));
  ASSERT_OK(perms.SetAt(2500, Permission::kLocation, PermissionState::kGranted, LocationPrecision::kApproximate));
  ASSERT_OK(perms.SetAt(4000, Permission::kMicrophone, PermissionState::kDenied));
  EXPECT_THAT(perms.SetAt(5000, Permission::kLocation, PermissionState::kGranted),
              StatusIs(StatusCode::kInvalidArgument));

  device.AdvanceBy(999);
  EXPECT_EQ(perms.Query(Permission::kLocation), PermissionState::kNotDetermined);
  EXPECT_EQ(rec.changes.size(), 1u);
  device.AdvanceBy(1);
  EXPECT_EQ(perms.LocationPermissionPrecision(), LocationPrecision::kPrecise);
  device.AdvanceBy(5000);
  using C = PermissionRecorder::Change;
  EXPECT_EQ(rec.changes,
            (std::vector<C>{{0, Permission::kMicrophone, PermissionState::kGranted, LocationPrecision::kNone},
                            {1000, Permission::kLocation, PermissionState::kGranted, LocationPrecision::kPrecise},
                            {2500, Permission::kLocation, PermissionState::kGranted, LocationPrecision::kApproximate},
                            {4000, Permission::kMicrophone, PermissionState::kDenied, LocationPrecision::kApproximate}}));
  EXPECT_THAT(perms.SetAt(10, Permission::kMicrophone, PermissionState::kGranted),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("in the past")));
}

struct FixRecorder : LocationSink {
  explicit FixRecorder(VirtualClock* c) : clock(c) {}
  void OnFix(const LocationFix& f) override { fixes.emplace_back(clock->MonotonicMillis(), f); }
  VirtualClock* clock;
  std::vector<std::pair<int64_t, LocationFix>> fixes;
};

TEST(EmulatedLocationTest, ReplaysTheTrackWhileStarted) {
  EmulatedDevice device;
  FixRecorder sink(&device.clock());
  std::vector<TrackPoint> walk = ScriptedLocation::CityWalk(1000);
  ASSERT_EQ(walk.size(), 21u);
  ASSERT_OK(device.location().PlayTrack(walk));
  ASSERT_OK(device.location().Start(LocationPrecision::kPrecise, &sink));
  device.AdvanceBy(1000 + 30000 * 4);  // points 0..4
  device.location().Stop();
  device.AdvanceBy(30000 * 5);  // points 5..9 are lost: nobody listens
  ASSERT_OK(device.location().Start(LocationPrecision::kApproximate, &sink));
  EXPECT_EQ(device.location().requested_precision(), LocationPrecision::kApproximate);
  device.AdvanceBy(30000 * 20);

  ASSERT_EQ(sink.fixes.size(), 5u + 11u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(sink.fixes[i].first, walk[i].at_ms);
    EXPECT_EQ(sink.fixes[i].second.latitude_deg, walk[i].latitude_deg);
    EXPECT_EQ(sink.fixes[i].second.longitude_deg, walk[i].longitude_deg);
    EXPECT_EQ(sink.fixes[i].second.accuracy_m, walk[i].accuracy_m);
    EXPECT_EQ(sink.fixes[i].second.unix_millis, kEmulatorEpochUnixMillis + walk[i].at_ms);
  }
  EXPECT_EQ(sink.fixes[5].first, walk[10].at_ms);
  // Full precision is passed on even when approximate was requested: the gate coarsens.
  EXPECT_EQ(sink.fixes.back().second.latitude_deg, walk.back().latitude_deg);
}

TEST(EmulatedLocationTest, RejectsBadTracksWhole) {
  EmulatedDevice device;
  EXPECT_THAT(device.location().PlayTrack({{10, 45, 4, 5}, {5, 45, 4, 5}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("point 1 at 5 ms is earlier")));
  EXPECT_THAT(device.location().PlayTrack({{10, 45, 4, 5}, {20, 45, 200, 5}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("point 1")));
  EXPECT_EQ(device.scheduler().pending(), 0u);
}

TEST(EmulatedTransportTest, ScriptedOutcomesThenDefaultDelivered) {
  EmulatedDevice device;
  ScriptedTransport& net = device.transport();
  net.set_latency_ms(30);
  net.QueueResults({{SendOutcome::kRetryLater, 5000, "HTTP 503"}, {SendOutcome::kRejected, 0, "HTTP 400"}});
  std::vector<std::pair<int64_t, SendResult>> answers;
  auto record = [&](const SendResult& r) { answers.emplace_back(device.now_ms(), r); };
  const Bytes a = {1}, b = {2, 2}, c = {3, 3, 3};
  net.Send(a, record);
  net.Send(b, record);
  EXPECT_TRUE(answers.empty());  // never answered inside Send
  device.AdvanceBy(10);
  net.Send(c, record);
  device.AdvanceBy(29);
  ASSERT_EQ(answers.size(), 2u);
  device.AdvanceBy(1);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].first, 30);
  EXPECT_EQ(answers[0].second.outcome, SendOutcome::kRetryLater);
  EXPECT_EQ(answers[0].second.retry_after_ms, 5000);
  EXPECT_EQ(answers[1].second.outcome, SendOutcome::kRejected);
  EXPECT_EQ(answers[1].second.detail, "HTTP 400");
  EXPECT_EQ(answers[2].first, 40);
  EXPECT_EQ(answers[2].second.outcome, SendOutcome::kDelivered);

  auto sent = net.sent();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].payload, a);
  EXPECT_EQ(sent[2].payload, c);
  EXPECT_EQ(sent[2].at_ms, 10);
  EXPECT_EQ(sent[1].result.outcome, SendOutcome::kRejected);
}

TEST(EmulatedTransportTest, NetworkDownWindowAndInProcessReceiver) {
  EmulatedDevice device;
  ScriptedTransport& net = device.transport();
  std::vector<Bytes> received;
  net.SetReceiver([&](ByteView payload) {
    received.push_back(payload.ToBytes());
    return SendResult{SendOutcome::kDelivered, 0, "stored"};
  });
  net.SetNetworkDown(1000, 3000);
  std::vector<SendResult> answers;
  auto record = [&](const SendResult& r) { answers.push_back(r); };
  auto send_at = [&](int64_t at_ms, uint8_t tag) {
    device.AdvanceBy(at_ms - device.now_ms());
    net.Send(Bytes{tag}, record);
  };
  send_at(999, 1);
  send_at(1000, 2);
  send_at(2999, 3);
  send_at(3000, 4);
  device.AdvanceBy(0);
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_EQ(answers[0].outcome, SendOutcome::kDelivered);
  EXPECT_EQ(answers[0].detail, "stored");
  EXPECT_EQ(answers[1].outcome, SendOutcome::kRetryLater);
  EXPECT_EQ(answers[1].detail, "network down");
  EXPECT_EQ(answers[2].outcome, SendOutcome::kRetryLater);
  EXPECT_EQ(answers[3].outcome, SendOutcome::kDelivered);
  // Payloads sent while the network was down never reached the collector.
  EXPECT_THAT(received, ElementsAre(Bytes{1}, Bytes{4}));
  EXPECT_EQ(net.sent().size(), 4u);
}

TEST(EmulatedDeviceTest, EverythingRunsInVirtualTimeOrder) {
  EmulatedDevice device;
  std::vector<std::string> log;
  struct Sink : MicrophoneSink, PermissionListener, MuteListener {
    std::vector<std::string>* log;
    VirtualClock* clock;
    void Add(const std::string& s) { log->push_back(std::to_string(clock->MonotonicMillis()) + " " + s); }
    void OnFrame(const AudioFrame&) override { Add("frame"); }
    void OnStopped(MicrophoneStopReason) override { Add("stopped"); }
    void OnPermissionChanged(Permission, PermissionState s) override { Add(PermissionStateName(s)); }
    void OnHardwareMuteChanged(bool m) override { Add(m ? "muted" : "unmuted"); }
  } sink;
  sink.log = &log;
  sink.clock = &device.clock();
  device.permissions().SetListener(&sink);
  device.microphone().SetMuteListener(&sink);
  ASSERT_OK(device.permissions().SetAt(30, Permission::kMicrophone, PermissionState::kDenied));
  ASSERT_OK(device.microphone().SetHardwareMutedAt(50, true));
  device.scheduler().ScheduleAfter(45, [&] { sink.Add("task"); });
  ASSERT_OK(device.microphone().Start(AudioFormat{}, &sink));
  device.AdvanceBy(100);
  EXPECT_EQ(log, (std::vector<std::string>{"20 frame", "30 denied", "40 frame", "45 task",
                                           "50 stopped", "50 muted"}));
  EXPECT_EQ(device.now_ms(), 100);
  EXPECT_EQ(device.clock().NowUnixMillis(), kEmulatorEpochUnixMillis + 100);
}

TEST(EmulatedTransportTest, RequestMediaTypeAndDeliveredResponseBody) {
  EmulatedDevice device;
  ScriptedTransport& net = device.transport();
  const Bytes ack = {0xac, 0x4b};
  int calls = 0;
  net.SetReceiver([&](ByteView) {
    // The first answer is delivered with a body; the second is refused and its body is dropped.
    return ++calls == 1 ? SendResult::Delivered(ack, std::string(kOhttpResponseMediaType))
                        : SendResult::Delivered(ack, "text/plain", "refused");
  });
  std::vector<SendResult> answers;
  auto record = [&](const SendResult& r) { answers.push_back(r); };
  const Bytes sealed = {9, 9, 9};
  net.Send(SendRequest{sealed, kOhttpRequestMediaType}, record);
  net.Send(ByteView(sealed), record);
  device.AdvanceBy(0);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].outcome, SendOutcome::kDelivered);
  EXPECT_EQ(answers[0].body, ack);
  EXPECT_EQ(answers[0].content_type, "message/ohttp-res");
  EXPECT_EQ(answers[1].body, ack);
  auto sent = net.sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].content_type, "message/ohttp-req");
  EXPECT_EQ(sent[1].content_type, "application/octet-stream");
  EXPECT_EQ(sent[0].payload, sealed);
}

TEST(EmulatedTransportTest, OnlyDeliveredAnswersCarryABody) {
  EmulatedDevice device;
  ScriptedTransport& net = device.transport();
  net.SetReceiver([&](ByteView) {
    SendResult r = SendResult::Delivered({1, 2, 3}, "text/plain");
    r.outcome = SendOutcome::kRejected;
    return r;
  });
  std::vector<SendResult> answers;
  net.Send(Bytes{1}, [&](const SendResult& r) { answers.push_back(r); });
  device.AdvanceBy(0);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].outcome, SendOutcome::kRejected);
  EXPECT_TRUE(answers[0].body.empty());
  EXPECT_TRUE(answers[0].content_type.empty());
}

}  // namespace
}  // namespace tacet::platform
