#include "audit/audit_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "emulator/emulated_device.h"
#include "store/database.h"
#include "testing/status_matchers.h"

namespace tacet::audit {
namespace {

using ::testing::HasSubstr;

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    schema_ = store::Schema{"audit", AuditMigrations()};
    ASSERT_OK_AND_ASSIGN(db_, store::Database::OpenInMemory({.schema = &schema_}));
    ASSERT_OK_AND_ASSIGN(drbg_, crypto::Drbg::Create(device_.entropy(), "audit test"));
    ASSERT_OK_AND_ASSIGN(log_, AuditLog::Open(*db_, device_.clock(), device_.key_store(), *drbg_));
  }

  void AppendSome(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_OK(log_->Append(AuditKind::kCorrection, "contact.email_address",
                             "record " + std::to_string(i)));
      device_.clock().AdvanceBy(1000);
    }
  }

  void Exec(const std::string& sql) { ASSERT_OK(db_->Exec(sql)); }

  platform::EmulatedDevice device_;
  store::Schema schema_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<crypto::Drbg> drbg_;
  std::unique_ptr<AuditLog> log_;
};

TEST(AuditKindTest, NamesRoundTrip) {
  for (AuditKind k : {AuditKind::kCorrection, AuditKind::kExport, AuditKind::kErasure,
                      AuditKind::kRetentionPurge, AuditKind::kDisclosure}) {
    ASSERT_OK_AND_ASSIGN(AuditKind back, ParseAuditKind(AuditKindName(k)));
    EXPECT_EQ(back, k);
  }
  EXPECT_THAT(ParseAuditKind("nonsense"), StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(AuditLogTest, EmptyLogVerifies) { EXPECT_OK(log_->Verify()); }

TEST_F(AuditLogTest, AppendedEntriesVerifyAndReadBackInOrder) {
  AppendSome(5);
  ASSERT_OK(log_->Append(AuditKind::kErasure, "category voice", "records=3"));
  EXPECT_OK(log_->Verify());
  ASSERT_OK_AND_ASSIGN(int64_t count, log_->Count());
  EXPECT_EQ(count, 6);
  std::vector<AuditEntry> seen;
  ASSERT_OK(log_->ForEach([&](const AuditEntry& e) {
    seen.push_back(e);
    return OkStatus();
  }));
  ASSERT_EQ(seen.size(), 6u);
  std::array<uint8_t, 32> prev{};
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(seen[i].hash, ChainHash(prev, seen[i].seq, seen[i].time_unix_ms, seen[i].kind,
                                      seen[i].subject, seen[i].detail));
    prev = seen[i].hash;
  }
  EXPECT_EQ(seen[5].kind, AuditKind::kErasure);
  EXPECT_EQ(seen[5].subject, "category voice");
  EXPECT_EQ(seen[1].time_unix_ms - seen[0].time_unix_ms, 1000);
}

TEST_F(AuditLogTest, ChainHashBindsEveryPart) {
  std::array<uint8_t, 32> zero{};
  auto base = ChainHash(zero, 1, 5, AuditKind::kExport, "s", "d");
  EXPECT_NE(base, ChainHash(zero, 2, 5, AuditKind::kExport, "s", "d"));
  EXPECT_NE(base, ChainHash(zero, 1, 6, AuditKind::kExport, "s", "d"));
  EXPECT_NE(base, ChainHash(zero, 1, 5, AuditKind::kErasure, "s", "d"));
  EXPECT_NE(base, ChainHash(zero, 1, 5, AuditKind::kExport, "sd", ""));  // length prefixes
  EXPECT_NE(base, ChainHash(base, 1, 5, AuditKind::kExport, "s", "d"));
}

TEST_F(AuditLogTest, EditedRowIsNamed) {
  AppendSome(5);
  Exec("UPDATE audit_entries SET detail = 'record 99' WHERE seq = 3");
  EXPECT_THAT(log_->Verify(), StatusIs(StatusCode::kDataLoss, HasSubstr("entry 3 does not match")));
}

TEST_F(AuditLogTest, EditedTimeIsNamed) {
  AppendSome(4);
  Exec("UPDATE audit_entries SET time_unix_ms = time_unix_ms + 1 WHERE seq = 2");
  EXPECT_THAT(log_->Verify(), StatusIs(StatusCode::kDataLoss, HasSubstr("entry 2 does not match")));
}

TEST_F(AuditLogTest, RemovedRowIsNamed) {
  AppendSome(5);
  Exec("DELETE FROM audit_entries WHERE seq = 2");
  EXPECT_THAT(log_->Verify(), StatusIs(StatusCode::kDataLoss, HasSubstr("entry 2 is missing")));
}

TEST_F(AuditLogTest, ReorderedRowsAreDetected) {
  AppendSome(5);
  // Swap the contents (and hashes) of entries 2 and 3, keeping the numbering.
  Exec("CREATE TEMP TABLE t AS SELECT * FROM audit_entries WHERE seq IN (2, 3);"
       "UPDATE audit_entries SET time_unix_ms = (SELECT time_unix_ms FROM t WHERE seq = 5 - "
       "audit_entries.seq), detail = (SELECT detail FROM t WHERE seq = 5 - audit_entries.seq), "
       "hash = (SELECT hash FROM t WHERE seq = 5 - audit_entries.seq) WHERE seq IN (2, 3);");
  EXPECT_THAT(log_->Verify(), StatusIs(StatusCode::kDataLoss, HasSubstr("entry 2 does not match")));
}

TEST_F(AuditLogTest, InsertedRowIsDetected) {
  AppendSome(3);
  // A forged entry in the middle, renumbering the rest: the chain breaks where it starts.
  Exec("UPDATE audit_entries SET seq = seq + 10 WHERE seq >= 2;"
       "UPDATE audit_entries SET seq = seq - 9 WHERE seq >= 12;");
  Exec("INSERT INTO audit_entries VALUES (2, 0, 'export', 'forged', '', zeroblob(32))");
  EXPECT_THAT(log_->Verify(), StatusIs(StatusCode::kDataLoss, HasSubstr("entry 2 does not match")));
}

TEST_F(AuditLogTest, TruncatedTailIsDetectedByTheAnchor) {
  AppendSome(5);
  Exec("DELETE FROM audit_entries WHERE seq >= 4");
  EXPECT_THAT(log_->Verify(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("ends at entry 3 but the anchor records "
                                                        "entry 5")));
}

TEST_F(AuditLogTest, RecomputedChainWithForgedHeadIsDetected) {
  AppendSome(3);
  // Someone who can write the database appends a well-chained entry and moves the head to it,
  // but cannot compute the anchor's MAC without the key store.
  std::array<uint8_t, 32> prev{};
  ASSERT_OK(log_->ForEach([&](const AuditEntry& e) {
    prev = e.hash;
    return OkStatus();
  }));
  auto forged = ChainHash(prev, 4, 0, AuditKind::kExport, "forged", "");
  ASSERT_OK_AND_ASSIGN(auto ins, db_->Prepare("INSERT INTO audit_entries VALUES (4, 0, 'export', "
                                              "'forged', '', ?1)"));
  ASSERT_OK(ins.BindBlob(1, forged));
  ASSERT_OK(ins.Step().status());
  EXPECT_THAT(log_->Verify(), StatusIs(StatusCode::kDataLoss, HasSubstr("anchor records entry 3")));
  ASSERT_OK_AND_ASSIGN(auto head, db_->Prepare("UPDATE audit_head SET seq = 4, hash = ?1"));
  ASSERT_OK(head.BindBlob(1, forged));
  ASSERT_OK(head.Step().status());
  EXPECT_THAT(log_->Verify(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("head anchor fails authentication")));
}

TEST_F(AuditLogTest, MissingHeadIsDetected) {
  AppendSome(2);
  Exec("DELETE FROM audit_head");
  EXPECT_THAT(log_->Verify(), StatusIs(StatusCode::kDataLoss, HasSubstr("head anchor is missing")));
}

TEST_F(AuditLogTest, EntryAppendedInACallersTransactionRollsBackWithIt) {
  AppendSome(1);
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store::Transaction::Begin(*db_, store::Durability::kNormal));
    ASSERT_OK(log_->AppendInTransaction(txn, AuditKind::kExport, "everything", "records=0"));
    // Not committed: the destructor rolls back.
  }
  ASSERT_OK_AND_ASSIGN(int64_t count, log_->Count());
  EXPECT_EQ(count, 1);
  EXPECT_OK(log_->Verify());
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store::Transaction::Begin(*db_, store::Durability::kNormal));
    ASSERT_OK(log_->AppendInTransaction(txn, AuditKind::kExport, "everything", "records=0"));
    ASSERT_OK(txn.Commit());
  }
  ASSERT_OK_AND_ASSIGN(count, log_->Count());
  EXPECT_EQ(count, 2);
  EXPECT_OK(log_->Verify());
}

TEST_F(AuditLogTest, RefusesOversizedOrMalformedText) {
  EXPECT_THAT(log_->Append(AuditKind::kExport, std::string(kMaxAuditSubject + 1, 'x'), ""),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("subject")));
  EXPECT_THAT(log_->Append(AuditKind::kExport, "s", "\xC0\xAF"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("detail is not valid UTF-8")));
  ASSERT_OK_AND_ASSIGN(int64_t count, log_->Count());
  EXPECT_EQ(count, 0);
}

TEST_F(AuditLogTest, ReopenKeepsTheKeyAndTheChain) {
  AppendSome(2);
  log_.reset();
  ASSERT_OK_AND_ASSIGN(log_, AuditLog::Open(*db_, device_.clock(), device_.key_store(), *drbg_));
  AppendSome(1);
  EXPECT_OK(log_->Verify());
}

TEST_F(AuditLogTest, LostAnchorKeyIsReportedOnOpen) {
  AppendSome(1);
  log_.reset();
  ASSERT_OK(device_.key_store().Delete(kAuditHeadKeyName));
  EXPECT_THAT(AuditLog::Open(*db_, device_.clock(), device_.key_store(), *drbg_),
              StatusIs(StatusCode::kDataLoss, HasSubstr("anchor key")));
}

}  // namespace
}  // namespace tacet::audit
