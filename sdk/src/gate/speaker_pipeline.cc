#include "gate/speaker_pipeline.h"

#include <cmath>
#include <limits>

namespace tacet::gate {

double EnergyWakeWordDetector::LevelDbfs(const platform::AudioFrame& frame) noexcept {
  if (frame.samples == nullptr || frame.count == 0) return -std::numeric_limits<double>::infinity();
  double sum = 0;
  for (size_t i = 0; i < frame.count; ++i) {
    double s = frame.samples[i] / 32768.0;
    sum += s * s;
  }
  double rms = std::sqrt(sum / static_cast<double>(frame.count));
  return rms > 0 ? 20 * std::log10(rms) : -std::numeric_limits<double>::infinity();
}

bool EnergyWakeWordDetector::Process(const platform::AudioFrame& frame, int32_t frame_ms) noexcept {
  if (LevelDbfs(frame) < options_.threshold_dbfs) {
    loud_ms_ = 0;
    armed_ = true;
    return false;
  }
  if (!armed_) return false;
  loud_ms_ += frame_ms;
  if (loud_ms_ < options_.min_loud_ms) return false;
  loud_ms_ = 0;
  armed_ = false;
  return true;
}

SpeakerPipeline::SpeakerPipeline(VoiceGate& gate, platform::Scheduler& scheduler,
                                 SpeakerListener* listener, SpeakerPipelineOptions options)
    : gate_(gate),
      scheduler_(scheduler),
      listener_(listener),
      options_(std::move(options)),
      detector_(options_.wake_word) {}

SpeakerPipeline::~SpeakerPipeline() { Stop(); }

Status SpeakerPipeline::Start() {
  if (listener_ == nullptr) return InvalidArgumentError("speaker pipeline: needs a listener");
  int expected = kIdle;
  if (!state_.compare_exchange_strong(expected, kListening)) {
    return FailedPreconditionError("speaker pipeline: already started");
  }
  detector_.Reset();  // not armed yet, so the audio thread is not using it
  gate_.SetOnDeviceProcessor(this);
  return OkStatus();
}

void SpeakerPipeline::Stop() {
  state_.store(kIdle);
  gate_.SetOnDeviceProcessor(nullptr);
  scheduler_.Cancel(acquire_task_.exchange(0));
  scheduler_.Cancel(finish_task_.exchange(0));
  std::lock_guard<std::mutex> lock(mu_);
  session_.End();
}

void SpeakerPipeline::ProcessOnDevice(const platform::AudioFrame& frame) {
  if (state_.load() != kListening) return;
  if (!detector_.Process(frame, gate_.format().frame_ms)) return;
  int expected = kListening;
  if (!state_.compare_exchange_strong(expected, kAcquiring)) return;
  detections_.fetch_add(1);
  // Acquire cannot run on the audio thread (it may wait for the microphone's lock): hand over.
  // The std::function allocates here, once per wake word, not per frame.
  acquire_task_.store(scheduler_.ScheduleAfter(0, [this] { AcquireUtterance(); }));
}

void SpeakerPipeline::AcquireUtterance() {
  acquire_task_.store(0);
  if (state_.load() != kAcquiring) return;
  listener_->OnWakeWord();
  utterance_frames_.store(0);
  end_reported_.store(false);
  VoiceAcquireResult result = gate_.Acquire(options_.purpose_id, this);
  if (!result.granted()) {
    listener_->OnUtteranceDenied(result.denial());
    int expected = kAcquiring;
    state_.compare_exchange_strong(expected, kListening);
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  session_ = std::move(result.session());
  int expected = kAcquiring;
  state_.compare_exchange_strong(expected, kCapturing);
}

void SpeakerPipeline::OnVoiceFrame(const platform::AudioFrame& frame) {
  int64_t limit = options_.utterance_ms / gate_.format().frame_ms;
  int64_t n = utterance_frames_.fetch_add(1) + 1;
  if (n > limit) return;  // the utterance is complete; the session ends shortly
  listener_->OnUtteranceFrame(frame);
  if (n == limit) {
    finish_task_.store(scheduler_.ScheduleAfter(0, [this] { FinishUtterance(EndReason::kCompletedByCaller); }));
  }
}

void SpeakerPipeline::OnSessionEnded(EndReason reason) {
  if (!end_reported_.exchange(true)) listener_->OnUtteranceEnded(reason);
  finish_task_.store(scheduler_.ScheduleAfter(0, [this] { FinishUtterance(EndReason::kNone); }));
}

void SpeakerPipeline::FinishUtterance(EndReason reason) {
  finish_task_.store(0);
  {
    std::lock_guard<std::mutex> lock(mu_);
    session_.End();
  }
  if (reason != EndReason::kNone && !end_reported_.exchange(true)) {
    listener_->OnUtteranceEnded(reason);
  }
  int expected = kCapturing;
  state_.compare_exchange_strong(expected, kListening);
}

}  // namespace tacet::gate
