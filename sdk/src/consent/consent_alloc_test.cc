// The decision path allocates nothing: this executable replaces the global operator new/delete
// with counting versions (so the replacement affects no other test binary) and makes 10,000
// decisions.
#include <gtest/gtest.h>

#include <new>

#include "consent/consent_ledger.h"
#include "consent/consent_test_util.h"
#include "testing/heap_counter.h"
#include "testing/status_matchers.h"

namespace tacet::consent {
namespace {

TEST(ConsentAllocationTest, TheCounterCounts) {
  const size_t before = ::tacet::testing::heap_counter::Allocations();
  auto* p = new int(7);
  EXPECT_EQ(::tacet::testing::heap_counter::Allocations(), before + 1);
  delete p;
}

TEST(ConsentAllocationTest, DecisionsDoNotAllocate) {
  testing::LedgerHarness h;
  ConsentLedger& ledger = h.ledger();
  ASSERT_OK(ledger.SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
  ASSERT_OK(ledger.SetCategoryProvided("voice", true, DecisionSource::kUser));
  ASSERT_OK(ledger.SetLocationPrecision(LocationPrecision::kApproximate, DecisionSource::kUser));

  int allowed = 0;
  const size_t before = ::tacet::testing::heap_counter::Allocations();
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
  const size_t after = ::tacet::testing::heap_counter::Allocations();
  EXPECT_EQ(after - before, 0u) << "allocations on the decision path";
  EXPECT_EQ(allowed, 10000 * 5);
}

}  // namespace
}  // namespace tacet::consent
