// The speaker shape: wake-word detection on the device, the utterance captured only with voice
// consent.
#include "gate/speaker_pipeline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "gate/gate_test_util.h"

namespace tacet::gate {
namespace {

using consent::ConsentState;
using consent::DecisionSource;
using platform::AudioScript;
using testing::GateHarness;

class RecordingSpeakerListener : public SpeakerListener {
 public:
  explicit RecordingSpeakerListener(platform::VirtualClock& clock) : clock_(clock) {}
  void OnWakeWord() override { wake_ms.push_back(clock_.MonotonicMillis()); }
  void OnUtteranceDenied(DenialReason reason) override { denials.push_back(reason); }
  void OnUtteranceFrame(const platform::AudioFrame& frame) override {
    frame_capture_ms.push_back(frame.capture_monotonic_ns / 1000000);
  }
  void OnUtteranceEnded(EndReason reason) override { ends.push_back(reason); }

  std::vector<int64_t> wake_ms;
  std::vector<DenialReason> denials;
  std::vector<int64_t> frame_capture_ms;
  std::vector<EndReason> ends;

 private:
  platform::VirtualClock& clock_;
};

// 500 ms of quiet room, a 400 ms "wake word" (loud tone), 2 s of speech-level noise, another
// wake word, then quiet.
AudioScript Scene() {
  return AudioScript()
      .Noise(7, 0.02, 500)
      .Tone(880, 0.5, 400)
      .Noise(8, 0.04, 2000)
      .Tone(880, 0.5, 400)
      .Noise(9, 0.02, 3000);
}

TEST(EnergyWakeWordDetectorTest, NeedsSustainedLoudAudio) {
  EnergyWakeWordDetector detector({-20.0, 100});
  std::vector<int16_t> loud(320), quiet(320, 30);
  for (size_t i = 0; i < loud.size(); ++i) loud[i] = (i % 2) ? 16000 : -16000;  // about -6 dBFS
  platform::AudioFrame l{loud.data(), loud.size(), 0}, q{quiet.data(), quiet.size(), 0};
  EXPECT_NEAR(EnergyWakeWordDetector::LevelDbfs(l), -6.2, 0.1);
  EXPECT_LT(EnergyWakeWordDetector::LevelDbfs(q), -60);
  EXPECT_FALSE(detector.Process(l, 20));
  EXPECT_FALSE(detector.Process(l, 20));
  EXPECT_FALSE(detector.Process(q, 20));  // a gap restarts the count
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(detector.Process(l, 20));
  EXPECT_TRUE(detector.Process(l, 20));   // the fifth 20 ms loud frame in a row
  // One sound is one detection: nothing more until a quiet frame re-arms the detector.
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(detector.Process(l, 20));
  EXPECT_FALSE(detector.Process(q, 20));
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(detector.Process(l, 20));
  EXPECT_TRUE(detector.Process(l, 20));
}

class SpeakerPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(h_.device().permissions().Set(platform::Permission::kMicrophone,
                                            platform::PermissionState::kGranted));
    h_.device().microphone().Play(Scene());
  }
  GateHarness h_;
};

TEST_F(SpeakerPipelineTest, WithVoiceConsentTheUtteranceAfterTheWakeWordIsCaptured) {
  h_.AllowVoice();
  RecordingSpeakerListener listener(h_.device().clock());
  SpeakerPipelineOptions options;
  options.utterance_ms = 1000;
  SpeakerPipeline pipeline(h_.voice(), h_.device().scheduler(), &listener, options);
  ASSERT_OK(pipeline.Start());
  EXPECT_TRUE(h_.device().microphone().capturing());  // listening on the device
  h_.device().AdvanceBy(6000);
  pipeline.Stop();

  // Two wake words: the tone starts at 500 ms (frame delivered at 520 ms), so ten loud frames
  // (200 ms) complete at the frame delivered at 700 ms; the second tone starts at 2900 ms.
  EXPECT_EQ(pipeline.wake_words_detected(), 2u);
  EXPECT_THAT(listener.wake_ms, ::testing::ElementsAre(700, 3100));
  EXPECT_TRUE(listener.denials.empty());
  ASSERT_EQ(listener.frame_capture_ms.size(), 100u);  // 2 utterances × 1000 ms
  // Nothing captured before the wake word reached the listener.
  EXPECT_EQ(listener.frame_capture_ms.front(), 700);
  EXPECT_EQ(listener.frame_capture_ms[50], 3100);
  EXPECT_THAT(listener.ends, ::testing::ElementsAre(EndReason::kCompletedByCaller,
                                                    EndReason::kCompletedByCaller));
  auto log = h_.Log();
  ASSERT_EQ(log.size(), 2u);
  for (const auto& e : log) {
    EXPECT_EQ(e.purpose_id, "voice_features");
    EXPECT_EQ(e.outcome, CaptureOutcome::kCompleted);
    EXPECT_EQ(e.frames, 50);
    EXPECT_EQ(e.audio_ms, 1000);
  }
  EXPECT_FALSE(h_.device().microphone().capturing());
}

TEST_F(SpeakerPipelineTest, WithoutVoiceConsentTheWakeWordIsHeardButNothingIsCaptured) {
  ASSERT_OK(h_.ledger().SetCategoryProvided("voice", true, DecisionSource::kUser));
  ASSERT_OK(h_.ledger().SetPurpose("voice_features", ConsentState::kDenied, DecisionSource::kUser));
  RecordingSpeakerListener listener(h_.device().clock());
  SpeakerPipeline pipeline(h_.voice(), h_.device().scheduler(), &listener);
  ASSERT_OK(pipeline.Start());
  h_.device().AdvanceBy(6000);
  EXPECT_EQ(pipeline.wake_words_detected(), 2u);
  EXPECT_THAT(listener.denials, ::testing::ElementsAre(DenialReason::kNoConsent, DenialReason::kNoConsent));
  EXPECT_TRUE(listener.frame_capture_ms.empty());
  EXPECT_TRUE(listener.ends.empty());
  auto log = h_.Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].outcome, CaptureOutcome::kDenied);
  EXPECT_EQ(log[0].reason, DenialReason::kNoConsent);
  EXPECT_TRUE(h_.device().microphone().capturing());  // still listening for the wake word
  pipeline.Stop();
  EXPECT_FALSE(h_.device().microphone().capturing());
}

TEST_F(SpeakerPipelineTest, MuteStopsListeningAndUnmuteResumes) {
  h_.AllowVoice();
  RecordingSpeakerListener listener(h_.device().clock());
  SpeakerPipelineOptions options;
  options.utterance_ms = 1000;
  SpeakerPipeline pipeline(h_.voice(), h_.device().scheduler(), &listener, options);
  ASSERT_OK(pipeline.Start());
  // Muted during the utterance after the first wake word, unmuted before the second.
  ASSERT_OK(h_.device().microphone().SetHardwareMutedAt(1000, true));
  ASSERT_OK(h_.device().microphone().SetHardwareMutedAt(2000, false));
  h_.device().AdvanceBy(6000);
  pipeline.Stop();
  EXPECT_EQ(pipeline.wake_words_detected(), 2u);
  EXPECT_THAT(listener.ends, ::testing::ElementsAre(EndReason::kHardwareMuted, EndReason::kCompletedByCaller));
  // First utterance: frames stamped 700..960 (14); the frame stamped 980 is due at 1000 ms, after
  // the mute. Second utterance: 50 frames.
  EXPECT_EQ(listener.frame_capture_ms.size(), 64u);
  auto log = h_.Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].outcome, CaptureOutcome::kEndedByMute);
  EXPECT_EQ(log[0].frames, 14);
}

}  // namespace
}  // namespace tacet::gate
