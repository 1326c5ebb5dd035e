#include "crypto/secure.h"

#include <gtest/gtest.h>

#include <type_traits>

namespace tacet::crypto {
namespace {

TEST(SecureZeroTest, ZeroesTheBuffer) {
  uint8_t buf[16];
  for (size_t i = 0; i < sizeof(buf); ++i) buf[i] = static_cast<uint8_t>(i + 1);
  SecureZero(buf, sizeof(buf));
  for (uint8_t b : buf) EXPECT_EQ(b, 0);
  SecureZero(nullptr, 0);  // allowed
}

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  const Bytes a = {1, 2, 3, 4};
  const Bytes same = {1, 2, 3, 4};
  const Bytes first_differs = {9, 2, 3, 4};
  const Bytes last_differs = {1, 2, 3, 5};
  const Bytes shorter = {1, 2, 3};
  EXPECT_TRUE(ConstantTimeEquals(a, same));
  EXPECT_FALSE(ConstantTimeEquals(a, first_differs));
  EXPECT_FALSE(ConstantTimeEquals(a, last_differs));
  EXPECT_FALSE(ConstantTimeEquals(a, shorter));
  EXPECT_FALSE(ConstantTimeEquals(shorter, a));
  EXPECT_TRUE(ConstantTimeEquals(ByteView(), ByteView()));
}

TEST(SecretBytesTest, HoldsACopyAndIsMoveOnly) {
  static_assert(!std::is_copy_constructible_v<SecretBytes>);
  static_assert(!std::is_copy_assignable_v<SecretBytes>);
  static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);
  const Bytes source = {0xaa, 0xbb, 0xcc};
  SecretBytes s(source);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.view().ToBytes(), source);

  SecretBytes moved(std::move(s));
  EXPECT_EQ(moved.view().ToBytes(), source);
  EXPECT_EQ(s.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_TRUE(s.empty());

  SecretBytes assigned(5);
  assigned = std::move(moved);
  EXPECT_EQ(assigned.view().ToBytes(), source);
}

TEST(SecretBytesTest, ResizeKeepsPrefixAndZeroFills) {
  SecretBytes s(Bytes{1, 2, 3});
  s.resize(5);
  EXPECT_EQ(s.view().ToBytes(), (Bytes{1, 2, 3, 0, 0}));
  s.resize(2);
  EXPECT_EQ(s.view().ToBytes(), (Bytes{1, 2}));
  s.clear();
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.data(), nullptr);
  SecretBytes zeros(4);
  EXPECT_EQ(zeros.view().ToBytes(), (Bytes{0, 0, 0, 0}));
}

}  // namespace
}  // namespace tacet::crypto
