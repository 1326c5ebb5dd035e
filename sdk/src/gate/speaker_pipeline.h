// SpeakerPipeline: the smart-speaker shape of voice capture.
//
//   microphone ──▶ VoiceGate ──▶ EnergyWakeWordDetector      (on the device only, always)
//                       │ wake word detected
//                       ▼
//                 VoiceGate::Acquire(purpose) ──granted──▶ utterance frames ──▶ SpeakerListener
//                                              └─denied──▶ OnUtteranceDenied(reason)
//
// Audio before the wake word goes to the detector inside the gate module and nowhere else: the
// detector's only output is "detected". Audio after the wake word is a normal voice capture for
// `purpose_id` ("voice_features" in the shipped policy), so it flows only with voice consent, is
// re-checked per frame and appears in the access log like any other capture.
#ifndef TACET_GATE_SPEAKER_PIPELINE_H_
#define TACET_GATE_SPEAKER_PIPELINE_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "base/status.h"
#include "gate/voice_gate.h"
#include "tacet/platform/scheduler.h"

namespace tacet::gate {

struct WakeWordOptions {
  double threshold_dbfs = -20.0;  // a frame is "loud" when its RMS level is at least this
  int32_t min_loud_ms = 200;      // this much consecutive loud audio is a detection
};

// A STAND-IN for a real keyword-spotting model: it "detects" any sustained loud sound (the
// emulator's generated tone), so the pipeline's privacy behaviour can be tested end to end. A
// product replaces it with a model that runs on the device under the same contract: frames in,
// "detected" out, no audio kept. Keeps one counter, never samples. Not thread-safe (audio thread).
class EnergyWakeWordDetector {
 public:
  explicit EnergyWakeWordDetector(WakeWordOptions options = {}) : options_(options) {}
  // True when this frame completes a detection. One sound is one detection: after it, the
  // detector waits for a quiet frame before counting again. Allocation-free.
  bool Process(const platform::AudioFrame& frame, int32_t frame_ms) noexcept;
  void Reset() noexcept {
    loud_ms_ = 0;
    armed_ = true;
  }
  // RMS level of a frame in dB relative to full scale (-inf for digital silence).
  static double LevelDbfs(const platform::AudioFrame& frame) noexcept;

 private:
  WakeWordOptions options_;
  int64_t loud_ms_ = 0;
  bool armed_ = true;
};

// Told what the pipeline does. OnUtteranceFrame runs on the audio thread (must not block);
// the others on the scheduler's thread, except OnUtteranceEnded for an end the gate decided
// (revocation, permission, mute), which runs on the thread that ended the session.
class SpeakerListener {
 public:
  virtual ~SpeakerListener() = default;
  virtual void OnWakeWord() = 0;
  virtual void OnUtteranceDenied(DenialReason reason) = 0;
  // Only while the utterance's voice session is valid; `frame` is valid during the call.
  virtual void OnUtteranceFrame(const platform::AudioFrame& frame) = 0;
  // kCompletedByCaller when utterance_ms of audio was captured.
  virtual void OnUtteranceEnded(EndReason reason) = 0;
};

struct SpeakerPipelineOptions {
  std::string purpose_id = "voice_features";
  WakeWordOptions wake_word;
  int64_t utterance_ms = 3000;  // audio captured after a wake word
};

// Gate, scheduler and listener are not owned and must outlive the pipeline. Start/Stop from any
// thread other than the gate's callbacks. Scheduler tasks refer to the pipeline and
// Scheduler::Cancel does not wait for a running task, so destroy the pipeline on the scheduler's
// thread or while no task runs (emulator: between AdvanceBy calls); the destructor stops.
class SpeakerPipeline final : private internal::OnDeviceAudioProcessor, private VoiceFrameSink {
 public:
  SpeakerPipeline(VoiceGate& gate, platform::Scheduler& scheduler, SpeakerListener* listener,
                  SpeakerPipelineOptions options = {});
  ~SpeakerPipeline() override;
  SpeakerPipeline(const SpeakerPipeline&) = delete;
  SpeakerPipeline& operator=(const SpeakerPipeline&) = delete;

  // Starts listening for the wake word (the gate opens the microphone when the OS permission and
  // the mute switch allow). kFailedPrecondition when already started.
  Status Start();
  // Stops listening and ends an utterance in progress. Idempotent.
  void Stop();

  uint64_t wake_words_detected() const { return detections_.load(); }

 private:
  enum State : int { kIdle, kListening, kAcquiring, kCapturing };

  void ProcessOnDevice(const platform::AudioFrame& frame) override;  // audio thread
  void OnVoiceFrame(const platform::AudioFrame& frame) override;    // audio thread
  void OnSessionEnded(EndReason reason) override;
  void AcquireUtterance();  // scheduler thread
  // Scheduler thread: releases the session; tells the listener `reason` unless kNone.
  void FinishUtterance(EndReason reason);

  VoiceGate& gate_;
  platform::Scheduler& scheduler_;
  SpeakerListener* const listener_;
  const SpeakerPipelineOptions options_;

  EnergyWakeWordDetector detector_;  // audio thread only
  std::atomic<int> state_{kIdle};
  std::atomic<int64_t> utterance_frames_{0};
  std::atomic<uint64_t> detections_{0};
  std::atomic<bool> end_reported_{false};  // one OnUtteranceEnded per utterance

  std::atomic<platform::TaskId> acquire_task_{0};
  std::atomic<platform::TaskId> finish_task_{0};

  std::mutex mu_;  // guards session_ (never taken on the audio thread)
  VoiceCaptureSession session_;
};

}  // namespace tacet::gate

#endif  // TACET_GATE_SPEAKER_PIPELINE_H_
