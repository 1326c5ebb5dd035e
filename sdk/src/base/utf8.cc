#include "base/utf8.h"

#include <cstdint>
#include <cstdio>

namespace tacet {

// RFC 3629 §4, the UTF8-octets ABNF: for each lead byte, the allowed range of the second byte
// (narrower than 80..BF after E0, ED, F0 and F4), then plain continuation bytes.
bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t b = p[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint8_t lo = 0x80, hi = 0xBF;  // range of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b == 0xE0) {
      len = 3, lo = 0xA0;
    } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
      len = 3;
    } else if (b == 0xED) {
      len = 3, hi = 0x9F;  // no surrogates
    } else if (b == 0xF0) {
      len = 4, lo = 0x90;
    } else if (b >= 0xF1 && b <= 0xF3) {
      len = 4;
    } else if (b == 0xF4) {
      len = 4, hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return false;  // 80..C1 (continuation or overlong lead) and F5..FF
    }
    if (n - i < len) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t k = 2; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

size_t Utf8CodePointCount(std::string_view s) {
  size_t count = 0;
  for (char c : s) {
    if ((static_cast<uint8_t>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

bool IsBidiControl(char32_t c) {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E ||
         c == 0x200F || c == 0x061C;
}

std::string ShowBidiControls(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    // Every bidi control is a 2-byte (U+061C) or 3-byte (U+200E..U+2069) sequence; decode just
    // those two shapes and copy everything else byte for byte.
    const auto b0 = static_cast<uint8_t>(s[i]);
    char32_t c = 0;
    size_t len = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF && i + 1 < s.size() &&
        (static_cast<uint8_t>(s[i + 1]) & 0xC0) == 0x80) {
      c = (char32_t{b0} & 0x1F) << 6 | (static_cast<uint8_t>(s[i + 1]) & 0x3F);
      len = 2;
    } else if (b0 == 0xE2 && i + 2 < s.size() && (static_cast<uint8_t>(s[i + 1]) & 0xC0) == 0x80 &&
               (static_cast<uint8_t>(s[i + 2]) & 0xC0) == 0x80) {
      c = (char32_t{b0} & 0x0F) << 12 | (char32_t{static_cast<uint8_t>(s[i + 1])} & 0x3F) << 6 |
          (static_cast<uint8_t>(s[i + 2]) & 0x3F);
      len = 3;
    }
    if (len > 0 && IsBidiControl(c)) {
      char marker[32];
      // U+27E8 and U+27E9, the mathematical angle brackets: rarely typed, so the marker is not
      // mistaken for part of the value.
      std::snprintf(marker, sizeof(marker), "\xE2\x9F\xA8U+%04X\xE2\x9F\xA9",
                    static_cast<unsigned>(c));
      out += marker;
      i += len;
      continue;
    }
    out += s[i];
    ++i;
  }
  return out;
}

}  // namespace tacet
