// The decision path allocates nothing: this executable replaces the global operator new/delete
// with counting versions (so the replacement affects no other test binary) and makes 10,000
// decisions.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "consent/consent_ledger.h"
#include "consent/consent_test_util.h"
#include "testing/status_matchers.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  std::abort();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return ::operator new(size, tag);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace tacet::consent {
namespace {

TEST(ConsentAllocationTest, TheCounterCounts) {
  const long before = g_allocations.load();
  auto* p = new int(7);
  EXPECT_EQ(g_allocations.load(), before + 1);
  delete p;
}

TEST(ConsentAllocationTest, DecisionsDoNotAllocate) {
  testing::LedgerHarness h;
  ConsentLedger& ledger = h.ledger();
  ASSERT_OK(ledger.SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
  ASSERT_OK(ledger.SetCategoryProvided("voice", true, DecisionSource::kUser));
  ASSERT_OK(ledger.SetLocationPrecision(LocationPrecision::kApproximate, DecisionSource::kUser));

  int allowed = 0;
  const long before = g_allocations.load();
  for (int i = 0; i < 10000; ++i) {
    const ConsentSnapshot& s = ledger.snapshot();
    const int voice = s.PurposeIndex("voice_features");
    const int category = s.CategoryIndex("voice");
    allowed += s.Allows(voice, category);
    allowed += s.Allows(s.PurposeIndex("location_advertising"), s.CategoryIndex("location"));
    allowed += s.AllowsChannel(s.PurposeIndex("marketing_communications"), s.ChannelIndex("push"));
    allowed += s.purpose(voice) == ConsentState::kGranted;
    allowed += s.category(category) == ConsentState::kGranted;
    allowed += s.location_precision() == LocationPrecision::kApproximate;
    allowed += s.generation() > 0;
  }
  const long after = g_allocations.load();
  EXPECT_EQ(after - before, 0) << "allocations on the decision path";
  EXPECT_EQ(allowed, 10000 * 5);
}

}  // namespace
}  // namespace tacet::consent
