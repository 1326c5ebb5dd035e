// Microphone: a source of PCM audio frames that the voice gate opens and closes.
//
// The platform only transports audio: it never decides whether capture is allowed. The gate
// checks consent and permissions before Start() and ends capture with Stop().
#ifndef TACET_PLATFORM_MICROPHONE_H_
#define TACET_PLATFORM_MICROPHONE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace tacet::platform {

// Signed 16-bit PCM, interleaved when channels > 1. The default is what speech models expect:
// 16 kHz mono in 20 ms frames of 320 samples.
struct AudioFormat {
  int32_t sample_rate_hz = 16000;
  int32_t channels = 1;
  int32_t frame_ms = 20;

  // Samples in one frame, all channels counted (320 for the default).
  size_t SamplesPerFrame() const {
    return static_cast<size_t>(sample_rate_hz) * static_cast<size_t>(frame_ms) / 1000 *
           static_cast<size_t>(channels);
  }
};

// 8 kHz .. 48 kHz, 1 or 2 channels, 10 .. 100 ms frames holding a whole number of samples.
inline Status ValidateAudioFormat(const AudioFormat& f) {
  if (f.sample_rate_hz < 8000 || f.sample_rate_hz > 48000 || f.channels < 1 || f.channels > 2 ||
      f.frame_ms < 10 || f.frame_ms > 100 || (f.sample_rate_hz * f.frame_ms) % 1000 != 0) {
    return InvalidArgumentError(
        "microphone: unsupported audio format " + std::to_string(f.sample_rate_hz) + " Hz, " +
        std::to_string(f.channels) + " channel(s), " + std::to_string(f.frame_ms) +
        " ms frames (supported: 8000..48000 Hz, 1..2 channels, 10..100 ms frames holding a whole "
        "number of samples)");
  }
  return OkStatus();
}

// One frame of captured audio. `samples` is valid only during the OnFrame call that receives
// it (the platform reuses the buffer); copy what must outlive the call.
struct AudioFrame {
  const int16_t* samples = nullptr;
  size_t count = 0;                  // == AudioFormat::SamplesPerFrame()
  int64_t capture_monotonic_ns = 0;  // Clock::MonotonicNanos() when the first sample was captured
};

// Why capture ended without the caller asking for it.
enum class MicrophoneStopReason : uint8_t {
  kHardwareMuted,     // the physical mute switch cut the microphone
  kPermissionRevoked, // the OS withdrew access (or another app took the device)
  kDeviceError,       // the driver failed
};

// Receives frames. Both calls run on the platform's audio thread (posix: the thread that calls
// InjectedMicrophone::Push; emulator: the thread running EmulatedDevice::AdvanceBy), one at a
// time. Neither may block: a sink that stalls loses audio. A sink may call Microphone::Stop()
// from inside OnFrame. The sink is not owned by the microphone.
class MicrophoneSink {
 public:
  virtual ~MicrophoneSink() = default;
  virtual void OnFrame(const AudioFrame& frame) = 0;
  // Capture ended for `reason`; no further OnFrame follows. Not called after Stop().
  virtual void OnStopped(MicrophoneStopReason reason) = 0;
};

// Told when the hardware mute switch changes, on the thread that observed the change (posix: the
// thread calling InjectedMicrophone::SetHardwareMuted; emulator: the AdvanceBy thread). Must not
// block and must not call SetMuteListener(). When muting ends an open capture, the sink's
// OnStopped(kHardwareMuted) runs before this.
class MuteListener {
 public:
  virtual ~MuteListener() = default;
  virtual void OnHardwareMuteChanged(bool muted) = 0;
};

// All calls are safe from any thread. At most one capture is open at a time.
class Microphone {
 public:
  virtual ~Microphone() = default;
  // Opens capture in `format`, delivering frames to `sink` (not owned; must stay valid until
  // Stop() returns or OnStopped() has been called). kInvalidArgument for a bad format or a null
  // sink; kFailedPrecondition when already capturing or muted in hardware.
  virtual Status Start(const AudioFormat& format, MicrophoneSink* sink) = 0;
  // Ends capture. Once Stop returns, the sink receives no further call. Idempotent. May be
  // called from inside the sink's OnFrame.
  virtual void Stop() = 0;
  // True while the physical mute switch is engaged. Never blocks.
  virtual bool HardwareMuted() = 0;
  // Registers the single mute listener (nullptr removes it); not owned. Once this returns, the
  // previous listener is not called again.
  virtual void SetMuteListener(MuteListener* listener) = 0;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_MICROPHONE_H_
