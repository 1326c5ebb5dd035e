// The key-store helpers of tacet/platform/key_store.h, over the emulator's MemoryKeyStore.
#include <gtest/gtest.h>

#include <string>

#include "emulator/memory_key_store.h"
#include "tacet/platform/key_store.h"
#include "testing/status_matchers.h"

namespace tacet::platform {
namespace {

Bytes Filled(size_t n, uint8_t v) { return Bytes(n, v); }

TEST(CheckKeyMaterialTest, RefusesWrongLengthAndAllZeros) {
  EXPECT_TRUE(CheckKeyMaterial("k", Filled(32, 7), 32).ok());
  EXPECT_EQ(CheckKeyMaterial("k", Filled(31, 7), 32).code(), StatusCode::kDataLoss);
  const Status zero = CheckKeyMaterial("vault_kek", Filled(32, 0), 32);
  EXPECT_EQ(zero.code(), StatusCode::kDataLoss);
  EXPECT_NE(zero.message().find("vault_kek"), std::string::npos) << zero.message();
  Bytes one_bit = Filled(32, 0);
  one_bit[31] = 1;
  EXPECT_TRUE(CheckKeyMaterial("k", one_bit, 32).ok());
}

// A KeyStore whose Put always loses the race: another writer stored the name just before.
class RacingKeyStore final : public KeyStore {
 public:
  Status Put(std::string_view name, ByteView secret) override {
    (void)secret;
    Bytes winner = Filled(32, 0xAB);
    Status s = inner.Put(name, winner);
    if (!s.ok()) return s;
    return AlreadyExistsError("lost the race");
  }
  StatusOr<Bytes> Get(std::string_view name) override { return inner.Get(name); }
  Status Delete(std::string_view name) override { return inner.Delete(name); }
  MemoryKeyStore inner;
};

TEST(GetOrCreateSecretTest, CreatesOnceAndReadsBack) {
  MemoryKeyStore keys;
  int made = 0;
  auto make = [&]() -> StatusOr<Bytes> {
    ++made;
    return Filled(32, 0x11);
  };
  auto first = GetOrCreateSecret(keys, "k", make);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, Filled(32, 0x11));
  auto second = GetOrCreateSecret(keys, "k", [&]() -> StatusOr<Bytes> { return Filled(32, 0x22); });
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, Filled(32, 0x11)) << "an existing secret is never replaced";
  EXPECT_EQ(made, 1);
}

TEST(GetOrCreateSecretTest, LosingThePutRaceReturnsTheWinnersSecret) {
  RacingKeyStore keys;
  auto got = GetOrCreateSecret(keys, "k", []() -> StatusOr<Bytes> { return Filled(32, 0x33); });
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, Filled(32, 0xAB)) << "both writers must end up with the stored secret";
}

TEST(GetOrCreateSecretTest, PassesOnMakeErrors) {
  MemoryKeyStore keys;
  auto got = GetOrCreateSecret(keys, "k", []() -> StatusOr<Bytes> {
    return UnavailableError("no entropy");
  });
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(keys.Get("k").status().code(), StatusCode::kNotFound);
}

TEST(CounterTest, StartsAtZeroNeverGoesDownAndAlternatesSlots) {
  MemoryKeyStore keys;
  EXPECT_EQ(*ReadCounter(keys, "gen"), 0u);
  ASSERT_TRUE(AdvanceCounter(keys, "gen", 5).ok());
  EXPECT_EQ(*ReadCounter(keys, "gen"), 5u);
  ASSERT_TRUE(AdvanceCounter(keys, "gen", 3).ok());
  EXPECT_EQ(*ReadCounter(keys, "gen"), 5u) << "a counter never goes down";
  ASSERT_TRUE(AdvanceCounter(keys, "gen", 6).ok());
  ASSERT_TRUE(AdvanceCounter(keys, "gen", 0x0102030405060708ull).ok());
  EXPECT_EQ(*ReadCounter(keys, "gen"), 0x0102030405060708ull);
  // Both slots are in use now, and the older one holds the previous value: losing the newer slot
  // (a crash between its Delete and Put) leaves the counter at its previous value, not lower.
  ASSERT_TRUE(keys.Delete("gen_a").ok() || keys.Delete("gen_b").ok());
  const uint64_t after_loss = *ReadCounter(keys, "gen");
  EXPECT_TRUE(after_loss == 6u || after_loss == 0x0102030405060708ull) << after_loss;
}

TEST(CounterTest, RefusesAMalformedSlot) {
  MemoryKeyStore keys;
  ASSERT_TRUE(keys.Put("gen_b", Filled(3, 1)).ok());
  EXPECT_EQ(ReadCounter(keys, "gen").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(AdvanceCounter(keys, "gen", 1).code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace tacet::platform
