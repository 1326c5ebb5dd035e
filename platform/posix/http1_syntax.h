// HTTP/1.1 grammar pieces (RFC 9110 section 5, RFC 9112), shared by the posix HTTPS transport and
// the loopback HTTPS server of examples/net.
#ifndef TACET_PLATFORM_POSIX_HTTP1_SYNTAX_H_
#define TACET_PLATFORM_POSIX_HTTP1_SYNTAX_H_

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tacet::platform::http1 {

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// tchar and token (RFC 9110 section 5.6.2).
inline bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
inline bool IsToken(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), IsTokenChar); }

// Strips OWS, i.e. SP and HTAB (RFC 9110 section 5.6.3).
inline std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

inline bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A field value holds visible characters, SP and HTAB only (RFC 9110 section 5.5).
inline bool IsFieldValue(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const unsigned char u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
  });
}

// A field line "name: value" (RFC 9112 section 5: no whitespace before the colon, no obsolete
// line folding). nullopt when malformed.
struct FieldLine {
  std::string_view name;
  std::string_view value;  // without surrounding OWS
};
inline std::optional<FieldLine> ParseFieldLine(std::string_view line) {
  if (line.empty() || line.front() == ' ' || line.front() == '\t') return std::nullopt;
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) return std::nullopt;
  const std::string_view value = TrimOws(line.substr(colon + 1));
  if (!IsFieldValue(value)) return std::nullopt;
  return FieldLine{line.substr(0, colon), value};
}

// Content-Length (RFC 9110 section 8.6): 1*DIGIT; a list of identical values counts as one.
// Merges into *length (from earlier field lines); false when invalid, conflicting or over 10^15.
inline bool MergeContentLength(std::string_view value, std::optional<uint64_t>* length) {
  for (;;) {
    const size_t comma = value.find(',');
    const std::string_view item = TrimOws(value.substr(0, comma));
    if (!AllDigits(item) || item.size() > 15) return false;
    uint64_t n = 0;
    for (char c : item) n = n * 10 + static_cast<uint64_t>(c - '0');
    if (length->has_value() && **length != n) return false;
    *length = n;
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace tacet::platform::http1

#endif  // TACET_PLATFORM_POSIX_HTTP1_SYNTAX_H_
