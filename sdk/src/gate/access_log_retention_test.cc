// Retention of the access log: rows past kAccessLogRetentionDays are purged with one audit entry
// per purge; "erase everything" empties the log (but for captures running right now), audited.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "emulator/emulated_device.h"
#include "gate/access_log.h"
#include "store/database.h"
#include "testing/status_matchers.h"

namespace tacet::gate {
namespace {

using ::testing::ElementsAre;
using platform::LocationPrecision;

constexpr int64_t kDay = 24LL * 60 * 60 * 1000;
constexpr int64_t kT0 = 1700000000000;  // some day in 2023, wall clock

class AccessLogRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& group : {GateMigrations(), audit::AuditMigrations()}) {
      for (store::Migration m : group) {
        m.to_version = static_cast<int>(schema_.migrations.size()) + 1;
        schema_.migrations.push_back(m);
      }
    }
    ASSERT_OK_AND_ASSIGN(db_, store::Database::OpenInMemory({.schema = &schema_}));
    ASSERT_OK_AND_ASSIGN(drbg_, crypto::Drbg::Create(device_.entropy(), "access log retention"));
    ASSERT_OK_AND_ASSIGN(audit_, audit::AuditLog::Open(*db_, device_.clock(), device_.key_store(),
                                                       *drbg_));
    ASSERT_OK_AND_ASSIGN(log_, AccessLog::Open(*db_));
  }

  int64_t Capture(std::string_view purpose, int64_t start, int64_t end) {
    auto id = log_->RecordStart({CaptureKind::kVoice, purpose, LocationPrecision::kNone, start});
    EXPECT_OK(id.status());
    CaptureEnd e;
    e.ended_unix_ms = end;
    e.outcome = CaptureOutcome::kCompleted;
    EXPECT_OK(log_->RecordEnd(*id, e));
    return *id;
  }

  std::vector<std::string> Purposes() {
    auto rows = log_->Entries(INT64_MIN, INT64_MAX);
    EXPECT_OK(rows.status());
    std::vector<std::string> out;
    for (const AccessLogEntry& e : *rows) out.push_back(e.purpose_id);
    return out;
  }

  std::vector<audit::AuditEntry> AuditEntries() {
    std::vector<audit::AuditEntry> out;
    EXPECT_OK(audit_->ForEach([&](const audit::AuditEntry& e) {
      out.push_back(e);
      return OkStatus();
    }));
    return out;
  }

  platform::EmulatedDevice device_;
  store::Schema schema_{"device", {}};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<crypto::Drbg> drbg_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<AccessLog> log_;
};

TEST_F(AccessLogRetentionTest, PurgesRowsPastTheRetentionWithOneAuditEntryPerPurge) {
  // Ended at T0 (expires first), a capture that started before T0 but ended a day later, a
  // refusal a day after T0, an interrupted capture started at T0 (counted from its start), a
  // capture still running since T0 (never purged), a recent one.
  Capture("ended_at_t0", kT0 - 1000, kT0);
  Capture("ended_day_1", kT0 - kDay, kT0 + kDay);
  ASSERT_OK(log_->RecordDenial({CaptureKind::kLocation, "denied_day_1", LocationPrecision::kPrecise,
                                kT0 + kDay},
                               DenialReason::kNotACollectionBasis));
  ASSERT_OK(log_->RecordStart({CaptureKind::kVoice, "interrupted_t0", LocationPrecision::kNone, kT0})
                .status());
  ASSERT_OK_AND_ASSIGN(log_, AccessLog::Open(*db_));  // a restart: that row is now interrupted
  ASSERT_EQ(log_->interrupted_at_open(), 1);
  ASSERT_OK_AND_ASSIGN(int64_t running, log_->RecordStart({CaptureKind::kVoice, "running_since_t0",
                                                           LocationPrecision::kNone, kT0}));
  Capture("recent", kT0 + 300 * kDay, kT0 + 300 * kDay + 5000);

  // 365 days and 12 hours after T0: what ended (or, interrupted, started) by T0 + 12 h goes.
  const int64_t now = kT0 + kAccessLogRetentionDays * kDay + kDay / 2;
  ASSERT_OK_AND_ASSIGN(AccessLogPurge purge, PurgeExpiredAccessLog(*db_, *audit_, now));
  EXPECT_EQ(purge.rows, 2);
  EXPECT_THAT(Purposes(), ElementsAre("ended_day_1", "running_since_t0", "denied_day_1", "recent"));
  std::vector<audit::AuditEntry> entries = AuditEntries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].kind, audit::AuditKind::kRetentionPurge);
  EXPECT_EQ(entries[0].subject, "gate_access_log");
  EXPECT_EQ(entries[0].detail, "rows=2 retention_days=365");

  // Nothing more expired at the same time: no entry.
  ASSERT_OK_AND_ASSIGN(purge, PurgeExpiredAccessLog(*db_, *audit_, now));
  EXPECT_EQ(purge.rows, 0);
  EXPECT_EQ(AuditEntries().size(), 1u);

  // A day later the captures that ended on day 1 go; the running one stays however old.
  ASSERT_OK_AND_ASSIGN(purge, PurgeExpiredAccessLog(*db_, *audit_, now + kDay));
  EXPECT_EQ(purge.rows, 2);
  EXPECT_THAT(Purposes(), ElementsAre("running_since_t0", "recent"));
  EXPECT_EQ(AuditEntries().size(), 2u);
  // The running capture still closes normally.
  CaptureEnd end;
  end.ended_unix_ms = now + kDay;
  end.outcome = CaptureOutcome::kCompleted;
  EXPECT_OK(log_->RecordEnd(running, end));
  // A shorter period, as a caller may choose: 1 day.
  ASSERT_OK_AND_ASSIGN(purge, PurgeExpiredAccessLog(*db_, *audit_, now + 3 * kDay, 1));
  EXPECT_EQ(purge.rows, 2);
  EXPECT_THAT(Purposes(), ::testing::IsEmpty());
  EXPECT_EQ(AuditEntries().back().detail, "rows=2 retention_days=1");
  EXPECT_OK(audit_->Verify());
}

TEST_F(AccessLogRetentionTest, BadRetentionIsRefusedAndDeletesNothing) {
  Capture("old", kT0, kT0 + 1);
  for (int64_t days : {int64_t{0}, int64_t{-1}, kMaxAccessLogRetentionDays + 1}) {
    EXPECT_THAT(PurgeExpiredAccessLog(*db_, *audit_, kT0 + 100000 * kDay, days),
                StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("retention")))
        << days;
  }
  EXPECT_THAT(Purposes(), ElementsAre("old"));
  EXPECT_TRUE(AuditEntries().empty());
  // The ends of the clock do not overflow.
  ASSERT_OK_AND_ASSIGN(AccessLogPurge purge,
                       PurgeExpiredAccessLog(*db_, *audit_, INT64_MIN, kMaxAccessLogRetentionDays));
  EXPECT_EQ(purge.rows, 0);
}

// A purge or an erasure is never blocked by a damaged audit anchor (someone deleted the head):
// the rows go, the audit entry is chained on without re-making the head, and the audit log keeps
// reporting the damage (audit_log.h). Keeping what must be destroyed is the worse failure.
TEST_F(AccessLogRetentionTest, ADamagedAuditAnchorDoesNotKeepWhatMustBeDestroyed) {
  ASSERT_OK(audit_->Append(audit::AuditKind::kExport, "privacy_report", "records=0"));
  Capture("old", kT0, kT0 + 1);
  ASSERT_OK(db_->Exec("DELETE FROM audit_head"));
  ASSERT_OK_AND_ASSIGN(AccessLogPurge purge, PurgeExpiredAccessLog(*db_, *audit_, kT0 + 400 * kDay));
  EXPECT_EQ(purge.rows, 1);
  EXPECT_TRUE(Purposes().empty());
  Capture("recent", kT0 + 400 * kDay, kT0 + 400 * kDay + 1);
  ASSERT_OK(EraseAccessLog(*db_, *audit_).status());
  EXPECT_TRUE(Purposes().empty());
  EXPECT_THAT(audit_->Verify(), StatusIs(StatusCode::kDataLoss));
}

TEST_F(AccessLogRetentionTest, EraseEverythingEmptiesTheLogButForRunningCaptures) {
  Capture("voice_features", kT0, kT0 + 1000);
  ASSERT_OK(log_->RecordDenial({CaptureKind::kVoice, "legal_obligation", LocationPrecision::kNone,
                                kT0 + 2000},
                               DenialReason::kNotACollectionBasis));
  ASSERT_OK_AND_ASSIGN(int64_t running, log_->RecordStart({CaptureKind::kLocation,
                                                           "location_features",
                                                           LocationPrecision::kApproximate,
                                                           kT0 + 3000}));
  ASSERT_OK_AND_ASSIGN(AccessLogPurge erased, EraseAccessLog(*db_, *audit_));
  EXPECT_EQ(erased.rows, 2);
  EXPECT_EQ(erased.kept_open, 1);
  EXPECT_THAT(Purposes(), ElementsAre("location_features"));
  std::vector<audit::AuditEntry> entries = AuditEntries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].kind, audit::AuditKind::kErasure);
  EXPECT_EQ(entries[0].subject, "gate_access_log");
  EXPECT_EQ(entries[0].detail, "rows=2 kept_open=1");
  // The running capture ends and keeps its row; erasing again leaves nothing.
  CaptureEnd end;
  end.ended_unix_ms = kT0 + 4000;
  end.outcome = CaptureOutcome::kCompleted;
  ASSERT_OK(log_->RecordEnd(running, end));
  ASSERT_OK_AND_ASSIGN(erased, EraseAccessLog(*db_, *audit_));
  EXPECT_EQ(erased.rows, 1);
  EXPECT_EQ(erased.kept_open, 0);
  EXPECT_THAT(Purposes(), ::testing::IsEmpty());
  // Erasing an empty log is still recorded: the user asked.
  ASSERT_OK_AND_ASSIGN(erased, EraseAccessLog(*db_, *audit_));
  EXPECT_EQ(erased.rows, 0);
  EXPECT_EQ(AuditEntries().size(), 3u);
  EXPECT_EQ(AuditEntries().back().detail, "rows=0 kept_open=0");
  EXPECT_OK(audit_->Verify());
}

}  // namespace
}  // namespace tacet::gate
