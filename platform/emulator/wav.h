// A small, strict reader for RIFF/WAVE files holding 16-bit PCM, for the scripted microphone.
//
// Accepted: "RIFF" <size> "WAVE", then chunks; exactly one "fmt " chunk (format tag 1 = PCM,
// 16 bits per sample, 1..8 channels, 8000..192000 Hz, consistent block align and byte rate) before
// exactly one "data" chunk holding whole sample frames; other chunks (LIST, fact, ...) are
// skipped; odd-sized chunks are followed by a pad byte. The RIFF size must match the file size.
// Anything else is rejected with kInvalidArgument and a message that says what is wrong.
#ifndef TACET_PLATFORM_EMULATOR_WAV_H_
#define TACET_PLATFORM_EMULATOR_WAV_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace tacet::platform {

struct WavAudio {
  int32_t sample_rate_hz = 0;
  int32_t channels = 0;
  std::vector<int16_t> samples;  // interleaved

  // Sample frames (one sample per channel each).
  size_t frames() const { return channels > 0 ? samples.size() / static_cast<size_t>(channels) : 0; }
};

// Parses a whole file's bytes. Pure function; thread-safe.
StatusOr<WavAudio> ParseWav(ByteView bytes);
// Reads and parses `path` (at most 16 MiB). kNotFound if it cannot be opened.
StatusOr<WavAudio> ReadWavFile(const std::string& path);

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_EMULATOR_WAV_H_
