#include "posix/injected_microphone.h"

#include <string>

namespace tacet::platform {

Status InjectedMicrophone::Start(const AudioFormat& format, MicrophoneSink* sink) {
  TACET_RETURN_IF_ERROR(ValidateAudioFormat(format));
  if (sink == nullptr) return InvalidArgumentError("microphone: Start needs a sink");
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (sink_ != nullptr) return FailedPreconditionError("microphone: capture is already open");
  if (HardwareMuted()) return FailedPreconditionError("microphone: muted in hardware");
  format_ = format;
  sink_ = sink;
  return OkStatus();
}

void InjectedMicrophone::Stop() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  sink_ = nullptr;
}

void InjectedMicrophone::SetMuteListener(MuteListener* listener) {
  std::lock_guard<std::mutex> lock(notify_mu_);
  listener_ = listener;
}

Status InjectedMicrophone::Push(const int16_t* samples, size_t count,
                                int64_t capture_monotonic_ns) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (sink_ == nullptr) return OkStatus();
  if (samples == nullptr || count != format_.SamplesPerFrame()) {
    return InvalidArgumentError("microphone: pushed a frame of " + std::to_string(count) +
                                " samples; the open capture expects " +
                                std::to_string(format_.SamplesPerFrame()));
  }
  sink_->OnFrame(AudioFrame{samples, count, capture_monotonic_ns});
  return OkStatus();
}

void InjectedMicrophone::SetHardwareMuted(bool muted) {
  std::lock_guard<std::mutex> notify_lock(notify_mu_);
  if (muted_.load(std::memory_order_relaxed) == muted) return;
  {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    muted_.store(muted, std::memory_order_release);
    if (muted && sink_ != nullptr) {
      MicrophoneSink* sink = sink_;
      sink_ = nullptr;  // before the call, so a sink that restarts from OnStopped is refused
      sink->OnStopped(MicrophoneStopReason::kHardwareMuted);
    }
  }
  if (listener_ != nullptr) listener_->OnHardwareMuteChanged(muted);
}

void InjectedMicrophone::ReportStopped(MicrophoneStopReason reason) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (sink_ == nullptr) return;
  MicrophoneSink* sink = sink_;
  sink_ = nullptr;
  sink->OnStopped(reason);
}

AudioFormat InjectedMicrophone::format() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  return format_;
}

bool InjectedMicrophone::capturing() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  return sink_ != nullptr;
}

}  // namespace tacet::platform
