// Readers on the lock-free decision path while a writer changes consent. Meant for the tsan
// preset (LABELS concurrency) but runs in every build.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "consent/consent_ledger.h"
#include "consent/consent_test_util.h"
#include "crypto/crypto_test_util.h"
#include "store/database.h"
#include "testing/status_matchers.h"

namespace tacet::consent {
namespace {

constexpr int kReaders = 8;
constexpr int kFlips = 200;

// After flip i (1-based) the snapshot's generation is i + 1 and voice is granted for odd i.
ConsentState ExpectedVoice(uint64_t generation) {
  if (generation == 1) return ConsentState::kUnknown;
  return (generation - 1) % 2 == 1 ? ConsentState::kGranted : ConsentState::kDenied;
}

class CountingListener : public ConsentListener {
 public:
  void OnConsentChanged(const ConsentSnapshot& snapshot) override {
    // Serialised by the ledger; generations strictly increase.
    EXPECT_GT(snapshot.generation(), last);
    last = snapshot.generation();
    ++calls;
  }
  uint64_t last = 0;
  int calls = 0;
};

TEST(ConsentConcurrencyTest, ReadersSeeOnlyCommittedStatesInOrder) {
  testing::LedgerHarness h;
  ASSERT_OK(h.ledger().SetCategoryProvided("voice", true, DecisionSource::kUser));
  h.Reopen();  // generation 1 again, with voice data provided
  ConsentLedger& fresh = h.ledger();
  const int purpose = fresh.snapshot().PurposeIndex("voice_features");
  const int category = fresh.snapshot().CategoryIndex("voice");
  ASSERT_GE(purpose, 0);
  ASSERT_GE(category, 0);

  CountingListener listener;
  fresh.AddListener(&listener);
  std::atomic<bool> done{false};
  std::atomic<int> ready{0};
  std::vector<uint64_t> reads(kReaders, 0), bad(kReaders, 0), backwards(kReaders, 0);
  std::vector<uint64_t> last_seen(kReaders, 0);
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      const ConsentSnapshot* held = &fresh.snapshot();  // kept across later changes
      uint64_t last = 0;
      ready.fetch_add(1);
      while (!done.load(std::memory_order_acquire)) {
        const ConsentSnapshot& s = fresh.snapshot();
        const uint64_t g = s.generation();
        const ConsentState voice = s.purpose(purpose);
        const bool allowed = s.Allows(purpose, category);
        if (g < last) ++backwards[r];
        if (voice != ExpectedVoice(g) || allowed != (voice == ConsentState::kGranted)) ++bad[r];
        last = g;
        ++reads[r];
      }
      // The snapshot read before the writer started is still intact.
      if (held->generation() != 1 || held->purpose(purpose) != ConsentState::kUnknown) ++bad[r];
      // `done` was set after the last commit returned: its snapshot is visible now.
      last_seen[r] = fresh.snapshot().generation();
      if (last_seen[r] < last) ++backwards[r];
    });
  }
  while (ready.load() < kReaders) std::this_thread::yield();
  for (int i = 1; i <= kFlips; ++i) {
    ASSERT_OK(fresh.SetPurpose("voice_features",
                               i % 2 == 1 ? ConsentState::kGranted : ConsentState::kDenied,
                               DecisionSource::kUser));
  }
  done.store(true, std::memory_order_release);
  for (std::thread& t : readers) t.join();
  fresh.RemoveListener(&listener);

  for (int r = 0; r < kReaders; ++r) {
    EXPECT_GT(reads[r], 0u) << "reader " << r;
    EXPECT_EQ(bad[r], 0u) << "reader " << r << " saw an uncommitted or inconsistent state";
    EXPECT_EQ(backwards[r], 0u) << "reader " << r << " saw generations go backwards";
    EXPECT_EQ(last_seen[r], static_cast<uint64_t>(kFlips + 1)) << "reader " << r;
  }
  EXPECT_EQ(listener.calls, kFlips);
  EXPECT_EQ(fresh.snapshot().generation(), static_cast<uint64_t>(kFlips + 1));
  EXPECT_EQ(fresh.retained_snapshots(), static_cast<size_t>(kFlips + 1));
  EXPECT_OK(fresh.Verify());
}

// Several writers at once: every change commits, the chain stays whole, listeners see a strictly
// increasing sequence.
TEST(ConsentConcurrencyTest, ConcurrentWritersKeepTheChainWhole) {
  testing::LedgerHarness h;
  ConsentLedger& ledger = h.ledger();
  CountingListener listener;
  ledger.AddListener(&listener);
  std::vector<std::thread> writers;
  const char* channels[] = {"email", "push", "in_app_other"};
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 20; ++i) {
        EXPECT_OK(ledger.SetChannel(channels[w],
                                    i % 2 ? ConsentState::kGranted : ConsentState::kDenied,
                                    DecisionSource::kUser));
      }
    });
  }
  for (std::thread& t : writers) t.join();
  ledger.RemoveListener(&listener);
  EXPECT_EQ(ledger.snapshot().generation(), 61u);
  EXPECT_GE(listener.calls, 1);
  EXPECT_EQ(listener.last, 61u);
  ASSERT_OK_AND_ASSIGN(auto history, ledger.History());
  EXPECT_EQ(history.size(), 60u);
  EXPECT_OK(ledger.Verify());
}

// Two ledgers on two connections to one file, written from two threads (what two processes do,
// where TSan can see it): no change is refused or lost, the sequence stays contiguous, and a
// ledger's snapshot after its commit holds what the other connection wrote before.
TEST(ConsentConcurrencyTest, TwoConnectionsLoseNoChange) {
  constexpr int kChanges = 200;  // per thread: 100 grants and 100 denies, alternating
  testing::LedgerHarness h;
  store::OpenOptions options;
  options.schema = &testing::ConsentSchema();
  ASSERT_OK_AND_ASSIGN(auto second_db, store::Database::Open(h.path(), options));
  ASSERT_OK_AND_ASSIGN(auto second, ConsentLedger::Open(*second_db, h.policy(), h.clock(),
                                                        h.keys(), crypto::testing::TestDrbg()));
  ConsentLedger& first = h.ledger();
  auto nth = [](int i) { return i % 2 == 0 ? ConsentState::kGranted : ConsentState::kDenied; };
  std::atomic<int> failures{0};
  std::thread a([&] {
    for (int i = 0; i < kChanges; ++i) {
      if (!first.SetPurpose("advertising", nth(i), DecisionSource::kUser).ok()) ++failures;
    }
  });
  std::thread b([&] {
    for (int i = 0; i < kChanges; ++i) {
      if (!second->SetChannel("email", nth(i), DecisionSource::kUser).ok()) ++failures;
    }
  });
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);

  ASSERT_OK_AND_ASSIGN(auto history, first.History());
  ASSERT_EQ(history.size(), 2u * kChanges);
  for (size_t i = 0; i < history.size(); ++i) {
    EXPECT_EQ(history[i].seq, static_cast<int64_t>(i + 1));
  }
  EXPECT_OK(first.Verify());
  EXPECT_OK(second->Verify());
  const ConsentState last = nth(kChanges - 1);
  EXPECT_EQ(first.snapshot().purpose(first.snapshot().PurposeIndex("advertising")), last);
  EXPECT_EQ(second->snapshot().channel(second->snapshot().ChannelIndex("email")), last);
  // One more change on each side: its snapshot now also holds the other side's last decision.
  ASSERT_OK(first.SetChannel("push", ConsentState::kGranted, DecisionSource::kUser));
  EXPECT_EQ(first.snapshot().channel(first.snapshot().ChannelIndex("email")), last);
  ASSERT_OK(second->SetChannel("push", ConsentState::kDenied, DecisionSource::kUser));
  EXPECT_EQ(second->snapshot().purpose(second->snapshot().PurposeIndex("advertising")), last);
  EXPECT_OK(first.Verify());
}

}  // namespace
}  // namespace tacet::consent
