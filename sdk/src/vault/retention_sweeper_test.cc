#include "vault/retention_sweeper.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "testing/status_matchers.h"
#include "vault/vault_test_util.h"

namespace tacet::vault {
namespace {

using consent::ConsentState;
using consent::DecisionSource;
using testing::VaultHarness;

constexpr int64_t kDay = 86400000;
constexpr int64_t kHour = 3600000;

TEST(RetentionSweeperTest, SweepsAtStartUpAndThenOnTheScheduler) {
  VaultHarness h;
  h.GrantEverything();
  ASSERT_OK_AND_ASSIGN(int64_t old_loc, h.vault().Add("location", "approximate_location", "Berlin",
                                                      ChangeSource::kApp));
  // The device was off for 40 days: only the clock moved, no task ran.
  h.device().clock().AdvanceBy(40 * kDay);
  ASSERT_OK_AND_ASSIGN(int64_t new_loc, h.vault().Add("location", "approximate_location", "Paris",
                                                      ChangeSource::kApp));
  std::vector<SweepResult> results;
  RetentionSweeper sweeper(h.vault(), h.device().scheduler(), h.device().clock(), 6 * kHour,
                           [&](const StatusOr<SweepResult>& r) {
                             ASSERT_OK(r.status());
                             results.push_back(*r);
                           });
  sweeper.Start();
  sweeper.Start();  // no second schedule
  h.device().AdvanceBy(0);  // the start-up sweep
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].records, 1);
  EXPECT_THAT(h.vault().Get(old_loc), StatusIs(StatusCode::kNotFound));
  ASSERT_OK(h.vault().Get(new_loc).status());

  // Paris was written at day 40; it must be gone within one interval after day 70.
  h.device().AdvanceBy(30 * kDay - 1);
  ASSERT_OK(h.vault().Get(new_loc).status());
  h.device().AdvanceBy(6 * kHour + 1);
  EXPECT_THAT(h.vault().Get(new_loc), StatusIs(StatusCode::kNotFound));
  // One sweep per 6 hours over 30 days, plus the start-up one.
  EXPECT_EQ(results.size(), 1u + (30 * kDay + 6 * kHour) / (6 * kHour));
  EXPECT_OK(h.audit().Verify());

  sweeper.Stop();
  const size_t runs = results.size();
  h.device().AdvanceBy(7 * kDay);
  EXPECT_EQ(results.size(), runs);
}

TEST(RetentionSweeperTest, DestroyingTheSweeperCancelsItsTask) {
  VaultHarness h;
  int runs = 0;
  {
    RetentionSweeper sweeper(h.vault(), h.device().scheduler(), h.device().clock(), kHour,
                             [&](const StatusOr<SweepResult>&) { ++runs; });
    sweeper.Start();
    h.device().AdvanceBy(kHour);
    EXPECT_EQ(runs, 2);
  }
  h.device().AdvanceBy(10 * kHour);
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(h.device().scheduler().pending(), 0u);
}

}  // namespace
}  // namespace tacet::vault
