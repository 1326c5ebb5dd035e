#include "base/time_format.h"

#include "testing/status_matchers.h"

namespace tacet {
namespace {

TEST(FormatRfc3339UtcTest, Dates) {
  EXPECT_EQ(*FormatRfc3339Utc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(*FormatRfc3339Utc(951782400123), "2000-02-29T00:00:00.123Z");
  EXPECT_EQ(*FormatRfc3339Utc(1704067200000), "2024-01-01T00:00:00.000Z");
  EXPECT_EQ(*FormatRfc3339Utc(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(*FormatRfc3339Utc(-62167219200000), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(*FormatRfc3339Utc(253402300799999), "9999-12-31T23:59:59.999Z");
}

TEST(FormatRfc3339UtcTest, RefusesYearsTheFormatCannotWrite) {
  EXPECT_THAT(FormatRfc3339Utc(253402300800000), StatusIs(StatusCode::kOutOfRange));
  EXPECT_THAT(FormatRfc3339Utc(-62167219200001),
              StatusIs(StatusCode::kOutOfRange, ::testing::HasSubstr("0000-9999")));
}

}  // namespace
}  // namespace tacet
