#include "base/status.h"

#include <iterator>
#include <memory>
#include <string>

#include "testing/status_matchers.h"

namespace tacet {
namespace {

using ::testing::HasSubstr;

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "ok");
  EXPECT_EQ(s.c_code(), TACET_OK);
}

TEST(StatusTest, CarriesCodeAndMessage) {
  Status s = DataLossError("record 7 failed authentication");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.c_code(), TACET_ERR_DATA_LOSS);
  EXPECT_EQ(s.ToString(), "data loss: record 7 failed authentication");
  EXPECT_THAT(s, StatusIs(StatusCode::kDataLoss, HasSubstr("record 7")));
}

TEST(StatusTest, OkCodeDropsMessage) {
  Status s(StatusCode::kOk, "ignored");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
}

TEST(StatusTest, WithContextPrefixesErrorsOnly) {
  EXPECT_EQ(NotFoundError("no row").WithContext("vault").message(), "vault: no row");
  EXPECT_TRUE(OkStatus().WithContext("vault").ok());
}

TEST(StatusTest, CNamesMatchCppNames) {
  for (int c = TACET_OK; c <= TACET_ERR_UNIMPLEMENTED; ++c) {
    EXPECT_STREQ(tacet_status_name(static_cast<tacet_status>(c)),
                 StatusCodeName(static_cast<StatusCode>(c)));
  }
  EXPECT_STREQ(tacet_status_name(static_cast<tacet_status>(15)), "unknown status");
}

TEST(StatusTest, EveryCodeNameParsesBack) {
  const StatusCode all[] = {
      StatusCode::kOk,           StatusCode::kInvalidArgument,   StatusCode::kNotFound,
      StatusCode::kAlreadyExists, StatusCode::kPermissionDenied, StatusCode::kFailedPrecondition,
      StatusCode::kOutOfRange,   StatusCode::kResourceExhausted, StatusCode::kUnavailable,
      StatusCode::kDataLoss,     StatusCode::kInternal,          StatusCode::kUnimplemented};
  for (StatusCode code : all) {
    const std::string name = StatusCodeName(code);
    EXPECT_NE(name, "unknown status");
    EXPECT_EQ(ParseName(kStatusCodeNames, name), code) << name;
  }
  EXPECT_EQ(std::size(kStatusCodeNames), std::size(all)) << "a row for a code that does not exist";
  EXPECT_STREQ(StatusCodeName(static_cast<StatusCode>(99)), "unknown status");
}

TEST(StatusOrTest, HoldsValue) {
  StatusOr<std::string> v = std::string("abc");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "abc");
  EXPECT_EQ(v->size(), 3u);
}

TEST(StatusOrTest, HoldsError) {
  StatusOr<int> v = PermissionDeniedError("voice consent denied");
  EXPECT_FALSE(v.ok());
  EXPECT_THAT(v, StatusIs(StatusCode::kPermissionDenied));
}

TEST(StatusOrTest, OkStatusWithoutValueBecomesInternal) {
  StatusOr<int> v = OkStatus();
  EXPECT_THAT(v, StatusIs(StatusCode::kInternal));
}

TEST(StatusOrTest, MoveOnlyValues) {
  StatusOr<std::unique_ptr<int>> v = std::make_unique<int>(5);
  ASSERT_TRUE(v.ok());
  std::unique_ptr<int> p = std::move(v).value();
  EXPECT_EQ(*p, 5);
  StatusOr<std::unique_ptr<int>> w = std::move(v);
  w = NotFoundError("gone");
  EXPECT_FALSE(w.ok());
}

TEST(StatusOrTest, CopyAndAssign) {
  StatusOr<std::string> a = std::string("x");
  StatusOr<std::string> b = a;
  EXPECT_EQ(*b, "x");
  b = InvalidArgumentError("bad");
  EXPECT_FALSE(b.ok());
  b = a;
  EXPECT_EQ(*b, "x");
}

StatusOr<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd: " + std::to_string(x));
  return x / 2;
}

Status Quarter(int x, int* out) {
  TACET_ASSIGN_OR_RETURN(int h, Half(x));
  TACET_ASSIGN_OR_RETURN(*out, Half(h));
  return OkStatus();
}

TEST(StatusMacrosTest, AssignOrReturnPropagates) {
  int out = 0;
  EXPECT_OK(Quarter(8, &out));
  EXPECT_EQ(out, 2);
  EXPECT_THAT(Quarter(6, &out), StatusIs(StatusCode::kInvalidArgument, HasSubstr("odd: 3")));
}

Status FailIfNegative(int x) {
  if (x < 0) return OutOfRangeError("negative");
  return OkStatus();
}

Status Chain(int x) {
  TACET_RETURN_IF_ERROR(FailIfNegative(x));
  return OkStatus();
}

TEST(StatusMacrosTest, ReturnIfError) {
  EXPECT_OK(Chain(1));
  EXPECT_THAT(Chain(-1), StatusIs(StatusCode::kOutOfRange));
}

TEST(StatusDeathTest, ValueOfErrorAborts) {
  StatusOr<int> v = NotFoundError("missing");
  EXPECT_DEATH((void)v.value(), "missing");
}

}  // namespace
}  // namespace tacet
