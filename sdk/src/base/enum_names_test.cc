#include "base/enum_names.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace tacet {
namespace {

enum class Colour : uint8_t { kRed = 0, kGreen = 3, kBlue = 7 };

constexpr EnumName<Colour> kColours[] = {
    {Colour::kRed, "red"}, {Colour::kGreen, "green"}, {Colour::kBlue, "blue"}};

// Usable at compile time.
static_assert(EnumNamesAreUnique(kColours));
static_assert(std::string_view(NameOf(kColours, Colour::kGreen, "?")) == "green");
static_assert(ParseName(kColours, "blue") == Colour::kBlue);
static_assert(!ParseName(kColours, "Blue").has_value());

TEST(EnumNamesTest, NameOfFindsEveryRowAndFallsBack) {
  EXPECT_STREQ(NameOf(kColours, Colour::kRed, "invalid"), "red");
  EXPECT_STREQ(NameOf(kColours, Colour::kGreen, "invalid"), "green");
  EXPECT_STREQ(NameOf(kColours, Colour::kBlue, "invalid"), "blue");
  EXPECT_STREQ(NameOf(kColours, static_cast<Colour>(1), "invalid"), "invalid");
  EXPECT_STREQ(NameOf(kColours, static_cast<Colour>(255), "unknown"), "unknown");
}

TEST(EnumNamesTest, ParseNameIsExact) {
  EXPECT_EQ(ParseName(kColours, "red"), Colour::kRed);
  EXPECT_EQ(ParseName(kColours, "green"), Colour::kGreen);
  EXPECT_FALSE(ParseName(kColours, "").has_value());
  EXPECT_FALSE(ParseName(kColours, "RED").has_value());
  EXPECT_FALSE(ParseName(kColours, "re").has_value());
  EXPECT_FALSE(ParseName(kColours, "redd").has_value());
  EXPECT_FALSE(ParseName(kColours, std::string_view("red\0", 4)).has_value());
  EXPECT_FALSE(ParseName(kColours, "invalid").has_value()) << "the fallback is not a name";
}

TEST(EnumNamesTest, ParseNameIntoLeavesTheOutputAloneOnFailure) {
  Colour c = Colour::kRed;
  EXPECT_TRUE(ParseName(kColours, "blue", &c));
  EXPECT_EQ(c, Colour::kBlue);
  EXPECT_FALSE(ParseName(kColours, "purple", &c));
  EXPECT_EQ(c, Colour::kBlue);
}

TEST(EnumNamesTest, RowsMayCarryMoreColumns) {
  struct Row {
    Colour value;
    const char* name;
    const char* text;
  };
  static constexpr Row kRows[] = {{Colour::kRed, "red", "stop"}, {Colour::kGreen, "green", "go"}};
  static_assert(EnumNamesAreUnique(kRows));
  EXPECT_STREQ(NameOf(kRows, Colour::kGreen, "?"), "green");
  EXPECT_EQ(ParseName(kRows, "red"), Colour::kRed);
  const Row* row = FindEnumRow(kRows, Colour::kGreen);
  ASSERT_NE(row, nullptr);
  EXPECT_STREQ(row->text, "go");
  EXPECT_EQ(FindEnumRow(kRows, Colour::kBlue), nullptr);
}

TEST(EnumNamesTest, DuplicatesAreDetected) {
  constexpr EnumName<Colour> kSameValue[] = {{Colour::kRed, "red"}, {Colour::kRed, "rouge"}};
  constexpr EnumName<Colour> kSameName[] = {{Colour::kRed, "red"}, {Colour::kBlue, "red"}};
  static_assert(!EnumNamesAreUnique(kSameValue));
  static_assert(!EnumNamesAreUnique(kSameName));
  EXPECT_FALSE(EnumNamesAreUnique(kSameValue));
  EXPECT_FALSE(EnumNamesAreUnique(kSameName));
  EXPECT_TRUE(EnumNamesAreUnique(kColours));
}

}  // namespace
}  // namespace tacet
