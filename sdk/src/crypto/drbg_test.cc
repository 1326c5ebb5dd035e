#include "crypto/drbg.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "crypto/crypto_test_util.h"
#include "posix/posix_entropy.h"
#include "testing/status_matchers.h"

namespace tacet::crypto {
namespace {

using ::testing::HasSubstr;

// An entropy source that fails, as a device whose RNG is not ready yet does.
class BrokenEntropy final : public platform::EntropySource {
 public:
  Status Fill(uint8_t*, size_t) override { return UnavailableError("rng not ready"); }
};

// Wraps the real source and counts the bytes drawn from it.
class CountingEntropy final : public platform::EntropySource {
 public:
  Status Fill(uint8_t* out, size_t len) override {
    drawn += len;
    return real.Fill(out, len);
  }
  platform::PosixEntropy real;
  std::atomic<size_t> drawn{0};
};

TEST(DrbgTest, SeedsFromTheEntropySource) {
  CountingEntropy entropy;
  ASSERT_OK_AND_ASSIGN(auto drbg, Drbg::Create(entropy, "drbg test"));
  EXPECT_GE(entropy.drawn.load(), 32u);
  ASSERT_OK_AND_ASSIGN(Bytes a, drbg->RandomBytes(32));
  ASSERT_OK_AND_ASSIGN(Bytes b, drbg->RandomBytes(32));
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_NE(a, Bytes(32, 0));
}

TEST(DrbgTest, BrokenEntropyFailsCreateWithTheSourcesError) {
  BrokenEntropy entropy;
  auto drbg = Drbg::Create(entropy, "drbg test");
  EXPECT_THAT(drbg, StatusIs(StatusCode::kUnavailable, HasSubstr("rng not ready")));
}

TEST(DrbgTest, RejectsOverlongPersonalization) {
  platform::PosixEntropy entropy;
  EXPECT_THAT(Drbg::Create(entropy, std::string(1000, 'p')),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("personalization")));
}

TEST(DrbgTest, ChunksLargeRequests) {
  Drbg& drbg = testing::TestDrbg();
  const size_t n = 3 * MBEDTLS_CTR_DRBG_MAX_REQUEST + 17;
  ASSERT_OK_AND_ASSIGN(Bytes big, drbg.RandomBytes(n));
  ASSERT_EQ(big.size(), n);
  // Each chunk is fresh output: no two 1 KiB chunks coincide, and the tail is not all zero.
  EXPECT_NE(Bytes(big.begin(), big.begin() + 1024), Bytes(big.begin() + 1024, big.begin() + 2048));
  EXPECT_NE(Bytes(big.end() - 17, big.end()), Bytes(17, 0));
}

TEST(DrbgTest, MbedtlsRandomFillsTheBuffer) {
  Drbg& drbg = testing::TestDrbg();
  unsigned char out[64] = {};
  ASSERT_EQ(Drbg::MbedtlsRandom(&drbg, out, sizeof(out)), 0);
  EXPECT_NE(Bytes(out, out + 64), Bytes(64, 0));
  EXPECT_NE(Drbg::MbedtlsRandom(nullptr, out, sizeof(out)), 0);
}

TEST(DrbgTest, ConcurrentCallersGetDistinctOutput) {
  Drbg& drbg = testing::TestDrbg();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  std::vector<std::vector<Bytes>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = drbg.RandomBytes(16);
        if (r.ok()) results[t].push_back(std::move(r).value());
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<Bytes> all;
  for (const auto& r : results) {
    EXPECT_EQ(r.size(), static_cast<size_t>(kPerThread));
    all.insert(r.begin(), r.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace tacet::crypto
