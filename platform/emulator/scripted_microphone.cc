#include "emulator/scripted_microphone.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace tacet::platform {
namespace {

constexpr double kPi = 3.14159265358979323846;

// SplitMix64's output function (Steele, Lea, Flood: "Fast splittable pseudorandom number
// generators", OOPSLA 2014), used here as a counter-based generator.
uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

int16_t Scale(double unit, double amplitude) {
  double v = std::round(unit * amplitude * 32767.0);
  return static_cast<int16_t>(std::clamp(v, -32768.0, 32767.0));
}

}  // namespace

AudioScript& AudioScript::Silence(int64_t ms) {
  Segment s;
  s.ms = std::max<int64_t>(ms, 0);
  segments_.push_back(s);
  return *this;
}

AudioScript& AudioScript::Tone(double hz, double amplitude, int64_t ms) {
  Segment s;
  s.kind = Kind::kTone;
  s.ms = std::max<int64_t>(ms, 0);
  s.hz = hz;
  s.amplitude = std::clamp(amplitude, 0.0, 1.0);
  segments_.push_back(s);
  return *this;
}

AudioScript& AudioScript::Noise(uint64_t seed, double amplitude, int64_t ms) {
  Segment s;
  s.kind = Kind::kNoise;
  s.ms = std::max<int64_t>(ms, 0);
  s.amplitude = std::clamp(amplitude, 0.0, 1.0);
  s.seed = seed;
  segments_.push_back(s);
  return *this;
}

AudioScript& AudioScript::Clip(std::shared_ptr<const WavAudio> clip) {
  Segment s;
  s.kind = Kind::kClip;
  s.clip = std::move(clip);
  segments_.push_back(s);
  return *this;
}

Status AudioScript::CheckFormat(const AudioFormat& format) const {
  for (size_t i = 0; i < segments_.size(); ++i) {
    const Segment& s = segments_[i];
    if (s.kind != Kind::kClip) continue;
    if (!s.clip || s.clip->sample_rate_hz != format.sample_rate_hz || s.clip->channels != format.channels) {
      return InvalidArgumentError(
          "scripted microphone: clip " + std::to_string(i) + " is " +
          (s.clip ? std::to_string(s.clip->sample_rate_hz) + " Hz, " +
                        std::to_string(s.clip->channels) + " channel(s)"
                  : std::string("missing")) +
          "; the capture asks for " + std::to_string(format.sample_rate_hz) + " Hz, " +
          std::to_string(format.channels) + " channel(s)");
    }
  }
  return OkStatus();
}

int64_t AudioScript::FramesOf(const Segment& s, int32_t rate) {
  if (s.kind == Kind::kClip) return s.clip ? static_cast<int64_t>(s.clip->frames()) : 0;
  return s.ms * rate / 1000;
}

int16_t AudioScript::SampleOf(const Segment& s, int64_t frame, int32_t channel, const AudioFormat& f) {
  switch (s.kind) {
    case Kind::kSilence:
      return 0;
    case Kind::kTone:
      return Scale(std::sin(2 * kPi * s.hz * static_cast<double>(frame) / f.sample_rate_hz), s.amplitude);
    case Kind::kNoise: {
      uint64_t index = static_cast<uint64_t>(frame) * static_cast<uint64_t>(f.channels) +
                       static_cast<uint64_t>(channel);
      uint64_t r = SplitMix64(s.seed ^ SplitMix64(index));
      double unit = static_cast<double>(r >> 11) / 4503599627370496.0 - 1.0;  // [-1, 1)
      return Scale(unit, s.amplitude);
    }
    case Kind::kClip:
      return s.clip->samples[static_cast<size_t>(frame) * static_cast<size_t>(f.channels) +
                             static_cast<size_t>(channel)];
  }
  return 0;
}

void AudioScript::Render(int64_t first_frame, const AudioFormat& format, int16_t* out,
                         size_t count) const {
  const size_t channels = static_cast<size_t>(format.channels);
  size_t seg = 0;
  int64_t seg_start = 0;
  for (size_t k = 0; k < count / channels; ++k) {
    int64_t frame = first_frame + static_cast<int64_t>(k);
    while (seg < segments_.size() && frame >= seg_start + FramesOf(segments_[seg], format.sample_rate_hz)) {
      seg_start += FramesOf(segments_[seg], format.sample_rate_hz);
      ++seg;
    }
    for (size_t c = 0; c < channels; ++c) {
      out[k * channels + c] = (frame < 0 || seg == segments_.size())
                                  ? int16_t{0}
                                  : SampleOf(segments_[seg], frame - seg_start,
                                             static_cast<int32_t>(c), format);
    }
  }
}

Status ScriptedMicrophone::Start(const AudioFormat& format, MicrophoneSink* sink) {
  TACET_RETURN_IF_ERROR(ValidateAudioFormat(format));
  {
    std::lock_guard<std::mutex> lock(mu_);
    TACET_RETURN_IF_ERROR(script_.CheckFormat(format));
  }
  // The driver is never called under mu_: a sink holding the driver's lock may call Stop().
  TACET_RETURN_IF_ERROR(driver_.Start(format, sink));
  std::lock_guard<std::mutex> lock(mu_);
  ScheduleFrameLocked(++generation_, format.frame_ms);
  return OkStatus();
}

void ScriptedMicrophone::Stop() {
  driver_.Stop();
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_;
  scheduler_->Cancel(next_frame_);
  next_frame_ = 0;
}

void ScriptedMicrophone::ScheduleFrameLocked(uint64_t generation, int64_t delay_ms) {
  scheduler_->Cancel(next_frame_);
  next_frame_ = scheduler_->ScheduleAfter(delay_ms, [this, generation] { DeliverFrame(generation); });
}

void ScriptedMicrophone::Play(AudioScript script) {
  std::lock_guard<std::mutex> lock(mu_);
  script_ = std::move(script);
  script_start_ns_ = clock_->MonotonicNanos();
}

Status ScriptedMicrophone::SetHardwareMutedAt(int64_t at_ms, bool muted) {
  if (at_ms < clock_->MonotonicMillis()) {
    return InvalidArgumentError("scripted microphone: mute toggle at " + std::to_string(at_ms) +
                                " ms is in the past (now " +
                                std::to_string(clock_->MonotonicMillis()) + " ms)");
  }
  scheduler_->ScheduleAtNanos(at_ms * 1000000, [this, muted] { driver_.SetHardwareMuted(muted); });
  return OkStatus();
}

void ScriptedMicrophone::DeliverFrame(uint64_t generation) {
  bool capturing = driver_.capturing();
  AudioFormat format = driver_.format();
  int64_t start_ns;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (generation != generation_) return;  // a later Start or a Stop superseded this chain
    next_frame_ = 0;
    if (!capturing) return;  // muted, or stopped by the driver: the chain ends
    start_ns = clock_->MonotonicNanos() - int64_t{format.frame_ms} * 1000000;
    // Whole milliseconds of a valid format are whole sample frames, so this is exact.
    int64_t first = (start_ns - script_start_ns_) / 1000000 * format.sample_rate_hz / 1000;
    buffer_.resize(format.SamplesPerFrame());
    script_.Render(first, format, buffer_.data(), buffer_.size());
    ScheduleFrameLocked(generation, format.frame_ms);
  }
  // Outside mu_: the sink may call Stop() or Start() from OnFrame.
  driver_.Push(buffer_.data(), buffer_.size(), start_ns).IgnoreError();
}

}  // namespace tacet::platform
