// UTF-8 well-formedness, for every module that accepts text from outside (vault values, audit
// subjects, export strings).
#ifndef TACET_BASE_UTF8_H_
#define TACET_BASE_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace tacet {

// True when `s` is well-formed UTF-8 as RFC 3629 §4 defines it: no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence. Pure; thread-safe.
bool IsValidUtf8(std::string_view s);

// Number of code points in `s`, which must be valid UTF-8 (IsValidUtf8). Pure; thread-safe.
size_t Utf8CodePointCount(std::string_view s);

// True for the code points that change the display order of the text around them: the Unicode
// bidirectional embeddings and overrides U+202A..U+202E, the isolates U+2066..U+2069 and the
// marks U+200E (LRM), U+200F (RLM) and U+061C (ALM). Unicode TR 9 §2.
bool IsBidiControl(char32_t code_point);

// `s` with every bidirectional control (IsBidiControl) replaced by a visible marker such as
// "⟨U+202E⟩", so that "Ada" U+202E "exe.gnp" is shown as "Ada⟨U+202E⟩exe.gnp" rather than as
// "Adapng.exe". For text shown to a person (tacetctl output, the privacy report). Everything
// else, malformed bytes included, is copied unchanged. Pure; thread-safe.
std::string ShowBidiControls(std::string_view s);

}  // namespace tacet

#endif  // TACET_BASE_UTF8_H_
