#include "base/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace tacet {
namespace {

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("Zo\xC3\xAB"));                 // U+00EB
  EXPECT_TRUE(IsValidUtf8("\xE2\x82\xAC"));               // U+20AC
  EXPECT_TRUE(IsValidUtf8("\xED\x9F\xBF"));               // U+D7FF, last before surrogates
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x8E\xB5"));           // U+1F3B5
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));           // U+10FFFF
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));       // NUL is a valid code point
}

TEST(Utf8Test, RefusesMalformedText) {
  EXPECT_FALSE(IsValidUtf8("\x80"));                      // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));                  // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xC1\xBF"));                  // overlong
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));              // overlong 3-byte
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));              // U+D800 surrogate
  EXPECT_FALSE(IsValidUtf8("\xF0\x8F\xBF\xBF"));          // overlong 4-byte
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));          // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));                  // truncated
  EXPECT_FALSE(IsValidUtf8("\xE2\x28\xA1"));              // bad continuation
  EXPECT_FALSE(IsValidUtf8("ok\xC3"));                    // truncated at the end
}

TEST(Utf8Test, CountsCodePoints) {
  EXPECT_EQ(Utf8CodePointCount(""), 0u);
  EXPECT_EQ(Utf8CodePointCount("abc"), 3u);
  EXPECT_EQ(Utf8CodePointCount("Zo\xC3\xAB"), 3u);
  EXPECT_EQ(Utf8CodePointCount("\xF0\x9F\x8E\xB5\xE2\x82\xAC"), 2u);
}

TEST(Utf8Test, BidiControlsAreShownAsVisibleMarkers) {
  // "Ada" RLO "exe.gnp" would display as "Adapng.exe".
  EXPECT_EQ(ShowBidiControls("Ada\xE2\x80\xAE" "exe.gnp"),
            "Ada\xE2\x9F\xA8U+202E\xE2\x9F\xA9" "exe.gnp");
  // Every embedding, override, isolate and mark.
  for (char32_t c : {0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069,
                     0x200E, 0x200F, 0x061C}) {
    EXPECT_TRUE(IsBidiControl(c)) << std::hex << static_cast<unsigned>(c);
  }
  EXPECT_EQ(ShowBidiControls("\xE2\x81\xA6x\xE2\x81\xA9"),
            "\xE2\x9F\xA8U+2066\xE2\x9F\xA9x\xE2\x9F\xA8U+2069\xE2\x9F\xA9");
  EXPECT_EQ(ShowBidiControls("\xE2\x80\x8F\xD8\x9C"),
            "\xE2\x9F\xA8U+200F\xE2\x9F\xA9\xE2\x9F\xA8U+061C\xE2\x9F\xA9");
  // Everything else is unchanged: neighbours of the controls, other scripts, right-to-left
  // letters themselves, malformed and truncated bytes.
  for (char32_t c : {0x2029, 0x202F, 0x2065, 0x206A, 0x200D, 0x061B}) {
    EXPECT_FALSE(IsBidiControl(c)) << std::hex << static_cast<unsigned>(c);
  }
  for (const char* s : {"", "plain", "Zo\xC3\xAB \xE2\x82\xAC", "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D",
                        "\xE2\x80\xAF", "\xE2\x80", "\xE2",
                        "\xFF\xFE"}) {
    EXPECT_EQ(ShowBidiControls(s), s);
  }
}

}  // namespace
}  // namespace tacet
