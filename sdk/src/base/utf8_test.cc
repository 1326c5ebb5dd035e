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

}  // namespace
}  // namespace tacet
