#include "audit/audit_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "emulator/emulated_device.h"
#include "emulator/memory_key_store.h"
#include "store/database.h"
#include "store/transaction.h"
#include "testing/status_matchers.h"

namespace tacet::audit {
namespace {

using ::testing::AllOf;
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
  const AuditKind all[] = {AuditKind::kCorrection, AuditKind::kExport, AuditKind::kErasure,
                           AuditKind::kRetentionPurge, AuditKind::kDisclosure};
  std::set<std::string> names;
  for (AuditKind k : all) {
    const std::string name = AuditKindName(k);
    EXPECT_NE(name, "unknown");
    EXPECT_TRUE(names.insert(name).second) << name;
    ASSERT_OK_AND_ASSIGN(AuditKind back, ParseAuditKind(name));
    EXPECT_EQ(back, k);
  }
  EXPECT_EQ(std::size(kAuditKindNames), std::size(all));
  EXPECT_STREQ(AuditKindName(static_cast<AuditKind>(5)), "unknown");
  EXPECT_THAT(ParseAuditKind("nonsense"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown entry kind 'nonsense'")));
  EXPECT_THAT(ParseAuditKind("unknown"), StatusIs(StatusCode::kInvalidArgument));
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

// Item 2/7: a wiped (all-zero) anchor key must not be used: with it anyone can compute the head's
// MAC. Open refuses it, naming the key, for a new log and for one with entries. (Before, a 32-byte
// zero key was accepted.)
TEST_F(AuditLogTest, AllZeroAnchorKeyIsRefused) {
  log_.reset();
  ASSERT_OK(device_.key_store().Delete(kAuditHeadKeyName));
  ASSERT_OK(device_.key_store().Put(kAuditHeadKeyName, Bytes(32, 0)));
  EXPECT_THAT(AuditLog::Open(*db_, device_.clock(), device_.key_store(), *drbg_),
              StatusIs(StatusCode::kDataLoss, AllOf(HasSubstr("audit_head_mac"),
                                                    HasSubstr("all zeros"))));
}

TEST_F(AuditLogTest, AllZeroAnchorKeyIsRefusedForALogWithEntries) {
  AppendSome(2);
  log_.reset();
  ASSERT_OK(device_.key_store().Delete(kAuditHeadKeyName));
  ASSERT_OK(device_.key_store().Put(kAuditHeadKeyName, Bytes(32, 0)));
  EXPECT_THAT(AuditLog::Open(*db_, device_.clock(), device_.key_store(), *drbg_),
              StatusIs(StatusCode::kDataLoss, HasSubstr("audit_head_mac")));
}

TEST_F(AuditLogTest, AnchorKeyOfTheWrongLengthIsRefused) {
  log_.reset();
  ASSERT_OK(device_.key_store().Delete(kAuditHeadKeyName));
  ASSERT_OK(device_.key_store().Put(kAuditHeadKeyName, Bytes(16, 0x5a)));
  EXPECT_THAT(AuditLog::Open(*db_, device_.clock(), device_.key_store(), *drbg_),
              StatusIs(StatusCode::kDataLoss, AllOf(HasSubstr("audit_head_mac"),
                                                    HasSubstr("16 bytes"))));
}

// A log with entries but neither head nor key is not new: no key is made for it. (Before, only
// the head was looked at, so deleting the head and the key made Open create a fresh key.)
TEST_F(AuditLogTest, LogWithEntriesButNoHeadAndNoKeyIsDataLoss) {
  AppendSome(2);
  log_.reset();
  Exec("DELETE FROM audit_head");
  ASSERT_OK(device_.key_store().Delete(kAuditHeadKeyName));
  EXPECT_THAT(AuditLog::Open(*db_, device_.clock(), device_.key_store(), *drbg_),
              StatusIs(StatusCode::kDataLoss, HasSubstr("anchor key")));
  EXPECT_THAT(device_.key_store().Get(kAuditHeadKeyName), StatusIs(StatusCode::kNotFound));
}

TEST_F(AuditLogTest, HeadWithoutEntriesAndNoKeyIsDataLoss) {
  AppendSome(2);
  log_.reset();
  Exec("DELETE FROM audit_entries");
  ASSERT_OK(device_.key_store().Delete(kAuditHeadKeyName));
  EXPECT_THAT(AuditLog::Open(*db_, device_.clock(), device_.key_store(), *drbg_),
              StatusIs(StatusCode::kDataLoss, HasSubstr("anchor key")));
}

// Another process stores the anchor key between our Get (not found) and our Put: Open reads the
// winner's key back and uses it, instead of failing with kAlreadyExists (as before).
class LosesTheFirstRace final : public platform::KeyStore {
 public:
  explicit LosesTheFirstRace(Bytes winner) : winner_(std::move(winner)) {}
  Status Put(std::string_view name, ByteView secret) override { return inner_.Put(name, secret); }
  StatusOr<Bytes> Get(std::string_view name) override {
    StatusOr<Bytes> got = inner_.Get(name);
    if (!raced_ && !got.ok() && got.status().code() == StatusCode::kNotFound) {
      raced_ = true;
      EXPECT_OK(inner_.Put(name, winner_));  // the other process wins meanwhile
    }
    return got;
  }
  Status Delete(std::string_view name) override { return inner_.Delete(name); }

 private:
  platform::MemoryKeyStore inner_;
  Bytes winner_;
  bool raced_ = false;
};

TEST_F(AuditLogTest, KeyCreatedByAnotherProcessMeanwhileIsUsed) {
  schema_ = store::Schema{"audit", AuditMigrations()};
  ASSERT_OK_AND_ASSIGN(auto db, store::Database::OpenInMemory({.schema = &schema_}));
  const Bytes winner(32, 0x42);
  LosesTheFirstRace keys(winner);
  ASSERT_OK_AND_ASSIGN(auto log, AuditLog::Open(*db, device_.clock(), keys, *drbg_));
  ASSERT_OK(log->Append(AuditKind::kExport, "everything", "records=0"));
  ASSERT_OK_AND_ASSIGN(auto head, db->Prepare("SELECT seq, hash, mac FROM audit_head"));
  ASSERT_OK_AND_ASSIGN(bool row, head.Step());
  ASSERT_TRUE(row);
  const auto mac = HeadMac(winner, head.ColumnInt64(0), head.ColumnBlob(1));
  EXPECT_EQ(Bytes(mac.begin(), mac.end()), head.ColumnBlob(2));
  ASSERT_OK_AND_ASSIGN(Bytes stored, keys.Get(kAuditHeadKeyName));
  EXPECT_EQ(stored, winner);
}

// Item 8: deleting the tail and the head, then making an ordinary write, must not re-anchor the
// cut chain. (Before, the append wrote a fresh head over entry 2 and Verify then passed.)
TEST_F(AuditLogTest, AppendAfterTailAndHeadWereDeletedIsRefused) {
  AppendSome(3);
  Exec("DELETE FROM audit_entries WHERE seq = 3; DELETE FROM audit_head;");
  EXPECT_THAT(log_->Append(AuditKind::kExport, "everything", "records=0"),
              StatusIs(StatusCode::kDataLoss,
                       AllOf(HasSubstr("refusing to append"), HasSubstr("head anchor is missing"))));
  ASSERT_OK_AND_ASSIGN(int64_t count, log_->Count());
  EXPECT_EQ(count, 2);  // nothing written
  EXPECT_THAT(log_->Verify(), StatusIs(StatusCode::kDataLoss, HasSubstr("head anchor is missing")));
}

TEST_F(AuditLogTest, AppendAfterTheTailWasCutIsRefused) {
  AppendSome(3);
  Exec("DELETE FROM audit_entries WHERE seq = 3");
  EXPECT_THAT(log_->Append(AuditKind::kExport, "everything", "records=0"),
              StatusIs(StatusCode::kDataLoss, HasSubstr("ends at entry 2 but the anchor records "
                                                        "entry 3")));
  ASSERT_OK_AND_ASSIGN(int64_t count, log_->Count());
  EXPECT_EQ(count, 2);
  EXPECT_THAT(log_->Verify(), StatusIs(StatusCode::kDataLoss));
}

TEST_F(AuditLogTest, AppendOverAForgedHeadIsRefused) {
  AppendSome(2);
  Exec("UPDATE audit_head SET mac = zeroblob(32)");
  EXPECT_THAT(log_->Append(AuditKind::kExport, "everything", "records=0"),
              StatusIs(StatusCode::kDataLoss, HasSubstr("head anchor fails authentication")));
  ASSERT_OK_AND_ASSIGN(int64_t count, log_->Count());
  EXPECT_EQ(count, 2);
}

TEST_F(AuditLogTest, AppendOverAReplacedNewestEntryIsRefused) {
  AppendSome(2);
  // The newest entry replaced by a well-formed one with another hash: seq matches, hash does not.
  Exec("UPDATE audit_entries SET hash = zeroblob(32) WHERE seq = 2");
  EXPECT_THAT(log_->Append(AuditKind::kExport, "everything", "records=0"),
              StatusIs(StatusCode::kDataLoss, HasSubstr("entry 2 differs from the anchored head")));
}

TEST_F(AuditLogTest, AppendWithAHeadButNoEntriesIsRefused) {
  AppendSome(2);
  Exec("DELETE FROM audit_entries");
  EXPECT_THAT(log_->Append(AuditKind::kExport, "everything", "records=0"),
              StatusIs(StatusCode::kDataLoss, HasSubstr("ends at entry 0 but the anchor records "
                                                        "entry 2")));
  ASSERT_OK_AND_ASSIGN(int64_t count, log_->Count());
  EXPECT_EQ(count, 0);
}

// What the refusal means for callers that append in their own transaction (erasure, purge,
// correction, export): their change fails with it and rolls back, so nothing is deleted.
TEST_F(AuditLogTest, RefusedAppendRollsBackTheCallersChange) {
  AppendSome(3);
  Exec("CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('still here');");
  Exec("DELETE FROM audit_entries WHERE seq = 3; DELETE FROM audit_head;");
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store::Transaction::Begin(*db_, store::Durability::kCritical));
    ASSERT_OK(db_->Exec("DELETE FROM kept"));  // the caller's correction
    ASSERT_THAT(log_->AppendInTransaction(txn, AuditKind::kCorrection, "contact.email", "v1 -> v2"),
                StatusIs(StatusCode::kDataLoss));
    // The caller returns the error without committing; the transaction rolls back.
  }
  ASSERT_OK_AND_ASSIGN(auto q, db_->Prepare("SELECT count(*) FROM kept"));
  ASSERT_OK_AND_ASSIGN(bool row, q.Step());
  ASSERT_TRUE(row);
  EXPECT_EQ(q.ColumnInt64(0), 1);
}

// Someone who can write the database deletes the head: that must not keep an erasure or a
// retention purge from destroying what it must (found by review). Their entries are chained on,
// the head is not re-made, and Verify keeps reporting the damage.
TEST_F(AuditLogTest, ADeletedHeadDoesNotBlockErasureOrPurgeAndIsNeverRemade) {
  AppendSome(3);
  Exec("DELETE FROM audit_head;");
  for (AuditKind kind : {AuditKind::kErasure, AuditKind::kRetentionPurge}) {
    ASSERT_OK_AND_ASSIGN(auto txn, store::Transaction::Begin(*db_, store::Durability::kCritical));
    ASSERT_OK(log_->AppendInTransaction(txn, kind, "category test", "records=1"));
    ASSERT_OK(txn.Commit());
  }
  EXPECT_EQ(*log_->Count(), 5);
  ASSERT_OK_AND_ASSIGN(auto head, db_->Prepare("SELECT count(*) FROM audit_head"));
  ASSERT_OK_AND_ASSIGN(bool row, head.Step());
  ASSERT_TRUE(row);
  EXPECT_EQ(head.ColumnInt64(0), 0) << "the head was re-made";
  EXPECT_THAT(log_->Verify(), StatusIs(StatusCode::kDataLoss, HasSubstr("anchor is missing")));
  // Everything else is still refused.
  EXPECT_THAT(log_->Append(AuditKind::kExport, "everything", "x"),
              StatusIs(StatusCode::kDataLoss));
}

}  // namespace
}  // namespace tacet::audit
