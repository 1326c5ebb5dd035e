// ScriptedMicrophone: what the emulated device's microphone hears, and when.
#ifndef TACET_PLATFORM_EMULATOR_SCRIPTED_MICROPHONE_H_
#define TACET_PLATFORM_EMULATOR_SCRIPTED_MICROPHONE_H_

#include <memory>
#include <mutex>
#include <vector>

#include "emulator/emulator_scheduler.h"
#include "emulator/virtual_clock.h"
#include "emulator/wav.h"
#include "posix/injected_microphone.h"

namespace tacet::platform {

// A sequence of sounds, played one after the other; silence after the last. Generated sounds
// render at whatever format the microphone is opened in; a clip plays only into a capture with
// its own sample rate and channel count. Copyable value; immutable once handed to the microphone.
class AudioScript {
 public:
  AudioScript& Silence(int64_t ms);
  // A sine of `hz` at `amplitude` (0..1 of full scale), the same on every channel.
  AudioScript& Tone(double hz, double amplitude, int64_t ms);
  // Uniform white noise at `amplitude` (0..1), reproducible from `seed` (SplitMix64 keyed by
  // seed and sample index, so any stretch renders the same whatever the frame boundaries).
  AudioScript& Noise(uint64_t seed, double amplitude, int64_t ms);
  // The whole clip, once.
  AudioScript& Clip(std::shared_ptr<const WavAudio> clip);

  // kInvalidArgument naming the first clip whose rate or channel count differs from `format`.
  Status CheckFormat(const AudioFormat& format) const;
  // Writes the `count` interleaved samples heard from sample frame `first_frame` on (counted
  // from the start of the script at `format`'s rate; negative frames are before it: silence).
  void Render(int64_t first_frame, const AudioFormat& format, int16_t* out, size_t count) const;

 private:
  enum class Kind { kSilence, kTone, kNoise, kClip };
  struct Segment {
    Kind kind = Kind::kSilence;
    int64_t ms = 0;        // duration, except for clips, which last as long as they are
    double hz = 0;         // tone
    double amplitude = 0;  // tone, noise
    uint64_t seed = 0;     // noise
    std::shared_ptr<const WavAudio> clip;
  };
  static int64_t FramesOf(const Segment& s, int32_t rate);
  static int16_t SampleOf(const Segment& s, int64_t frame, int32_t channel, const AudioFormat& f);

  std::vector<Segment> segments_;
};

// A Microphone driven by the emulator's timeline: while capture is open and the hardware is not
// muted, one frame is delivered every frame_ms of virtual time, the first frame_ms after Start.
// A frame delivered at time T holds the audio of [T - frame_ms, T) and is stamped T - frame_ms.
// Frames, OnStopped and mute notifications run on the emulator thread (inside AdvanceBy).
//
// Flipping the OS microphone permission does not stop this microphone by itself, so a test
// proves the core reacts to the permission listener; call ReportStopped(kPermissionRevoked) to
// emulate an OS that also cuts the stream.
class ScriptedMicrophone final : public Microphone {
 public:
  // Neither is owned; both must outlive the microphone.
  ScriptedMicrophone(VirtualClock* clock, EmulatorScheduler* scheduler)
      : clock_(clock), scheduler_(scheduler) {}

  // Microphone; thread-safe. Start also fails (kInvalidArgument) when the playing script holds a
  // clip in another format.
  Status Start(const AudioFormat& format, MicrophoneSink* sink) override;
  void Stop() override;
  bool HardwareMuted() override { return driver_.HardwareMuted(); }
  void SetMuteListener(MuteListener* listener) override { driver_.SetMuteListener(listener); }

  // --- scripting (emulator thread) ---

  // Starts `script` playing now, replacing what was playing.
  void Play(AudioScript script);
  // Flips the hardware mute switch now, or at virtual time `at_ms` (not in the past).
  void SetHardwareMuted(bool muted) { driver_.SetHardwareMuted(muted); }
  Status SetHardwareMutedAt(int64_t at_ms, bool muted);
  // The driver ends capture on its own now (device error, OS revocation).
  void ReportStopped(MicrophoneStopReason reason) { driver_.ReportStopped(reason); }
  bool capturing() { return driver_.capturing(); }

 private:
  void DeliverFrame(uint64_t generation);
  void ScheduleFrameLocked(uint64_t generation, int64_t delay_ms);

  VirtualClock* const clock_;
  EmulatorScheduler* const scheduler_;
  InjectedMicrophone driver_;
  std::mutex mu_;  // guards the fields below; never held while calling the driver or the sink
  AudioScript script_;
  int64_t script_start_ns_ = 0;
  TaskId next_frame_ = 0;
  uint64_t generation_ = 0;  // bumped by Start and Stop; a frame task of an older one is void
  std::vector<int16_t> buffer_;  // emulator thread only
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_EMULATOR_SCRIPTED_MICROPHONE_H_
