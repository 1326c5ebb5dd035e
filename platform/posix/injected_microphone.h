// InjectedMicrophone: a Microphone fed by the firmware's own audio driver.
//
// The firmware owns the audio hardware (ALSA, a DSP mailbox, I2S DMA); it calls Push() with each
// frame as it arrives and SetHardwareMuted() from its mute-switch GPIO handler. Tacet's voice
// gate opens and closes capture through the Microphone interface. Nothing here is Linux-specific;
// the emulator drives the same class from its timeline.
#ifndef TACET_PLATFORM_POSIX_INJECTED_MICROPHONE_H_
#define TACET_PLATFORM_POSIX_INJECTED_MICROPHONE_H_

#include <atomic>
#include <mutex>

#include "tacet/platform/microphone.h"

namespace tacet::platform {

class InjectedMicrophone final : public Microphone {
 public:
  // Microphone. Thread-safe. Sink callbacks run on the thread calling Push (frames) or
  // SetHardwareMuted / ReportStopped (OnStopped), under an internal recursive lock, which is
  // what lets Stop() promise that no callback follows it.
  Status Start(const AudioFormat& format, MicrophoneSink* sink) override;
  void Stop() override;
  bool HardwareMuted() override { return muted_.load(std::memory_order_acquire); }
  void SetMuteListener(MuteListener* listener) override;

  // --- the firmware side ---

  // Delivers one frame (`count` must be format().SamplesPerFrame(), else kInvalidArgument) to
  // the sink, if capture is open; otherwise drops it and returns OK. `samples` is borrowed for
  // the call. Call from the audio thread; never allocates on success.
  Status Push(const int16_t* samples, size_t count, int64_t capture_monotonic_ns);
  // The mute switch moved. Muting ends an open capture (sink OnStopped(kHardwareMuted)), then
  // the mute listener hears of the change. No effect if the state is unchanged.
  void SetHardwareMuted(bool muted);
  // The driver stopped on its own (kDeviceError, kPermissionRevoked): ends an open capture and
  // tells the sink why. No effect when not capturing.
  void ReportStopped(MicrophoneStopReason reason);
  // The format of the open capture (meaningful while capturing()).
  AudioFormat format();
  bool capturing();

 private:
  std::mutex notify_mu_;  // serialises mute changes and guards listener_; taken before mu_
  MuteListener* listener_ = nullptr;
  std::recursive_mutex mu_;  // guards sink_ and format_; held while calling the sink
  MicrophoneSink* sink_ = nullptr;
  AudioFormat format_;
  std::atomic<bool> muted_{false};
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_POSIX_INJECTED_MICROPHONE_H_
