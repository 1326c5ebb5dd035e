// UTF-8 well-formedness, for every module that accepts text from outside (vault values, audit
// subjects, export strings).
#ifndef TACET_BASE_UTF8_H_
#define TACET_BASE_UTF8_H_

#include <cstddef>
#include <string_view>

namespace tacet {

// True when `s` is well-formed UTF-8 as RFC 3629 §4 defines it: no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence. Pure; thread-safe.
bool IsValidUtf8(std::string_view s);

// Number of code points in `s`, which must be valid UTF-8 (IsValidUtf8). Pure; thread-safe.
size_t Utf8CodePointCount(std::string_view s);

}  // namespace tacet

#endif  // TACET_BASE_UTF8_H_
