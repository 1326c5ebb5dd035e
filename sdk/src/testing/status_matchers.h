// GoogleTest matchers for tacet::Status and tacet::StatusOr<T>:
//   EXPECT_THAT(s, IsOk());
//   EXPECT_THAT(s, StatusIs(StatusCode::kDataLoss));
//   EXPECT_THAT(s, StatusIs(StatusCode::kInvalidArgument, HasSubstr("purpose 'ads'")));
//   ASSERT_OK_AND_ASSIGN(auto v, Foo());
#ifndef TACET_TESTING_STATUS_MATCHERS_H_
#define TACET_TESTING_STATUS_MATCHERS_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>

#include "base/status.h"

namespace tacet {

inline void PrintTo(const Status& s, std::ostream* os) { *os << s.ToString(); }
template <typename T>
void PrintTo(const StatusOr<T>& s, std::ostream* os) {
  *os << (s.ok() ? std::string("ok (has value)") : s.status().ToString());
}

namespace testing_internal {
inline const Status& GetStatus(const Status& s) { return s; }
template <typename T>
const Status& GetStatus(const StatusOr<T>& s) { return s.status(); }
}  // namespace testing_internal

MATCHER(IsOk, "is OK") {
  const Status& s = testing_internal::GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s.ToString();
  return s.ok();
}

MATCHER_P(StatusIs, code, std::string("has code ") + StatusCodeName(code)) {
  const Status& s = testing_internal::GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           std::string("has code ") + StatusCodeName(code) + " and a matching message") {
  const Status& s = testing_internal::GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, s.message(), result_listener);
}

}  // namespace tacet

#define TACET_TESTING_CONCAT_INNER_(a, b) a##b
#define TACET_TESTING_CONCAT_(a, b) TACET_TESTING_CONCAT_INNER_(a, b)
#define ASSERT_OK(expr) ASSERT_THAT((expr), ::tacet::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::tacet::IsOk())
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(TACET_TESTING_CONCAT_(tacet_statusor_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  ASSERT_THAT(tmp, ::tacet::IsOk());               \
  lhs = std::move(tmp).value()

#endif  // TACET_TESTING_STATUS_MATCHERS_H_
