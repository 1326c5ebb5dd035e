#include "emulator/wav.h"

#include <cstdio>
#include <memory>

namespace tacet::platform {
namespace {

constexpr size_t kMaxWavFileSize = 16 * 1024 * 1024;

uint32_t U32Le(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
uint16_t U16Le(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

Status Bad(const std::string& what) { return InvalidArgumentError("wav: " + what); }

std::string Quoted(const uint8_t* id) {
  std::string s = "'";
  for (int i = 0; i < 4; ++i) {
    char c = static_cast<char>(id[i]);
    s += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return s + "'";
}

struct Fmt {
  uint16_t channels;
  uint32_t sample_rate;
  uint16_t block_align;
};

StatusOr<Fmt> ParseFmt(ByteView body) {
  if (body.size() != 16 && body.size() != 18) {
    return Bad("'fmt ' chunk has " + std::to_string(body.size()) +
               " bytes; expected 16 or 18 for plain PCM");
  }
  const uint8_t* p = body.data();
  uint16_t tag = U16Le(p);
  Fmt f{U16Le(p + 2), U32Le(p + 4), U16Le(p + 12)};
  uint32_t byte_rate = U32Le(p + 8);
  uint16_t bits = U16Le(p + 14);
  if (tag != 1) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%04X", tag);
    return Bad(std::string("format tag ") + hex + " is not PCM (0x0001)" +
               (tag == 0xFFFE ? "; WAVE_FORMAT_EXTENSIBLE is not supported" : ""));
  }
  if (body.size() == 18 && U16Le(p + 16) != 0) return Bad("PCM 'fmt ' chunk has a non-zero cbSize");
  if (bits != 16) return Bad(std::to_string(bits) + " bits per sample; only 16-bit PCM is supported");
  if (f.channels < 1 || f.channels > 8) return Bad(std::to_string(f.channels) + " channels; expected 1 to 8");
  if (f.sample_rate < 8000 || f.sample_rate > 192000) {
    return Bad("sample rate " + std::to_string(f.sample_rate) + " Hz; expected 8000 to 192000");
  }
  if (f.block_align != f.channels * 2) {
    return Bad("block align " + std::to_string(f.block_align) + " does not match " +
               std::to_string(f.channels) + " channel(s) of 16 bits");
  }
  if (byte_rate != f.sample_rate * f.block_align) {
    return Bad("byte rate " + std::to_string(byte_rate) + " does not match sample rate x block align (" +
               std::to_string(f.sample_rate * f.block_align) + ")");
  }
  return f;
}

}  // namespace

StatusOr<WavAudio> ParseWav(ByteView bytes) {
  if (bytes.size() < 12) return Bad("file has " + std::to_string(bytes.size()) + " bytes; too short for a RIFF header");
  if (bytes.AsStringView().substr(0, 4) != "RIFF") return Bad("missing 'RIFF' signature, found " + Quoted(bytes.data()));
  if (bytes.AsStringView().substr(8, 4) != "WAVE") return Bad("RIFF form is " + Quoted(bytes.data() + 8) + ", not 'WAVE'");
  uint64_t riff_size = U32Le(bytes.data() + 4);
  if (riff_size + 8 != bytes.size()) {
    return Bad("RIFF size says " + std::to_string(riff_size + 8) + " bytes but the file has " +
               std::to_string(bytes.size()) + (riff_size + 8 > bytes.size() ? " (truncated)" : " (trailing bytes)"));
  }

  bool have_fmt = false;
  bool have_data = false;
  Fmt fmt{};
  ByteView data;
  size_t pos = 12;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 8) return Bad("truncated chunk header at offset " + std::to_string(pos));
    const uint8_t* id = bytes.data() + pos;
    uint64_t size = U32Le(bytes.data() + pos + 4);
    size_t body_pos = pos + 8;
    if (size > bytes.size() - body_pos) {
      return Bad("chunk " + Quoted(id) + " at offset " + std::to_string(pos) + " declares " +
                 std::to_string(size) + " bytes but only " + std::to_string(bytes.size() - body_pos) +
                 " remain (truncated)");
    }
    ByteView body = bytes.subview(body_pos, static_cast<size_t>(size));
    std::string_view name(reinterpret_cast<const char*>(id), 4);
    if (name == "fmt ") {
      if (have_fmt) return Bad("more than one 'fmt ' chunk");
      TACET_ASSIGN_OR_RETURN(fmt, ParseFmt(body));
      have_fmt = true;
    } else if (name == "data") {
      if (!have_fmt) return Bad("'data' chunk before the 'fmt ' chunk");
      if (have_data) return Bad("more than one 'data' chunk");
      if (size % fmt.block_align != 0) {
        return Bad("'data' chunk has " + std::to_string(size) + " bytes, not a whole number of " +
                   std::to_string(fmt.block_align) + "-byte sample frames");
      }
      data = body;
      have_data = true;
    }
    pos = body_pos + static_cast<size_t>(size) + static_cast<size_t>(size & 1);
    if (pos > bytes.size()) return Bad("chunk " + Quoted(id) + " is missing its pad byte");
  }
  if (!have_fmt) return Bad("no 'fmt ' chunk");
  if (!have_data) return Bad("no 'data' chunk");

  WavAudio out;
  out.sample_rate_hz = static_cast<int32_t>(fmt.sample_rate);
  out.channels = fmt.channels;
  out.samples.resize(data.size() / 2);
  for (size_t i = 0; i < out.samples.size(); ++i) {
    out.samples[i] = static_cast<int16_t>(U16Le(data.data() + 2 * i));
  }
  return out;
}

StatusOr<WavAudio> ReadWavFile(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return NotFoundError("wav: cannot open '" + path + "'");
  Bytes data;
  uint8_t buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) {
    data.insert(data.end(), buf, buf + n);
    if (data.size() > kMaxWavFileSize) return Bad("'" + path + "' is larger than 16 MiB");
  }
  if (std::ferror(f.get())) return UnavailableError("wav: cannot read '" + path + "'");
  StatusOr<WavAudio> audio = ParseWav(data);
  if (!audio.ok()) return audio.status().WithContext(path);
  return audio;
}

}  // namespace tacet::platform
