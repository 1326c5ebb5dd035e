// The consent history's keyed head (issue 8, item 9): what a writer of the database file without
// the key store can no longer do unnoticed, and the upgrade of a history written before the head.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/device_schema.h"
#include "consent/consent_ledger.h"
#include "consent/consent_test_util.h"
#include "crypto/crypto_test_util.h"
#include "emulator/memory_key_store.h"
#include "emulator/virtual_clock.h"
#include "store/database.h"
#include "testing/status_matchers.h"
#include "testing/test_util.h"

namespace tacet::consent {
namespace {

using ::testing::HasSubstr;
using testing::LedgerHarness;
constexpr ConsentState kGranted = ConsentState::kGranted;
constexpr ConsentState kDenied = ConsentState::kDenied;
constexpr DecisionSource kUser = DecisionSource::kUser;

int64_t Count(store::Database& db, const std::string& table) {
  auto st = db.Prepare("SELECT count(*) FROM " + table);
  EXPECT_OK(st.status());
  if (!st.ok()) return -1;
  auto row = st->Step();
  return row.ok() && *row ? st->ColumnInt64(0) : -1;
}

// Rewrites history rows from `from` on (and the matching consent_state rows) with the hashes
// recomputed by the documented formula: what someone who can write the file and read
// docs/consent.md can do.
void RewriteChain(store::Database& db, std::vector<HistoryEntry> history, size_t from) {
  for (size_t i = from; i < history.size(); ++i) {
    if (i > 0) history[i].prev_hash = history[i - 1].entry_hash;
    history[i].entry_hash = ComputeEntryHash(history[i]);
    ASSERT_OK_AND_ASSIGN(auto update,
                         db.Prepare("UPDATE consent_history SET state = ?1, prev_hash = ?2, "
                                    "entry_hash = ?3 WHERE seq = ?4"));
    ASSERT_OK(update.Bind(1, static_cast<int64_t>(history[i].state)));
    ASSERT_OK(update.BindBlob(2, history[i].prev_hash));
    ASSERT_OK(update.BindBlob(3, history[i].entry_hash));
    ASSERT_OK(update.Bind(4, history[i].seq));
    ASSERT_OK(update.Step().status());
    ASSERT_OK_AND_ASSIGN(auto state, db.Prepare("UPDATE consent_state SET state = ?1 "
                                                "WHERE subject = ?2 AND seq = ?3"));
    ASSERT_OK(state.Bind(1, static_cast<int64_t>(history[i].state)));
    ASSERT_OK(state.Bind(2, std::string_view(history[i].subject)));
    ASSERT_OK(state.Bind(3, history[i].seq));
    ASSERT_OK(state.Step().status());
  }
}

class ConsentHeadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(h_.ledger().SetPurpose("advertising", kGranted, kUser));
    ASSERT_OK(h_.ledger().SetChannel("email", kGranted, kUser));
    ASSERT_OK(h_.ledger().SetPurpose("advertising", kDenied, kUser));  // entry 3: the "no"
    ASSERT_OK(h_.ledger().SetCategoryProvided("voice", true, kUser));
    ASSERT_OK(h_.ledger().Verify());
  }
  void Tamper(const std::string& sql) { ASSERT_OK(h_.db().Exec(sql)); }
  // Opens the file again with `keys` instead of the harness's key store.
  StatusOr<std::unique_ptr<ConsentLedger>> OpenWith(platform::KeyStore& keys) {
    h_.Close();
    store::OpenOptions options;
    options.schema = &testing::ConsentSchema();
    TACET_ASSIGN_OR_RETURN(db_, store::Database::Open(h_.path(), options));
    return ConsentLedger::Open(*db_, h_.policy(), h_.clock(), keys, crypto::testing::TestDrbg());
  }

  LedgerHarness h_;
  std::unique_ptr<store::Database> db_;
};

TEST_F(ConsentHeadTest, AFreshLedgerKeepsItsHeadKeyInTheKeyStore) {
  ASSERT_OK_AND_ASSIGN(Bytes key, h_.keys().Get(kConsentHeadKeyName));
  EXPECT_OK(platform::CheckKeyMaterial("head key", key, kConsentHeadKeySize));
  EXPECT_OK(h_.keys().Get(kConsentAnchoredFlagName).status());
  ASSERT_OK_AND_ASSIGN(auto head,
                       h_.db().Prepare("SELECT seq, entry_hash, mac FROM consent_head"));
  ASSERT_OK_AND_ASSIGN(bool row, head.Step());
  ASSERT_TRUE(row);
  EXPECT_EQ(head.ColumnInt64(0), 4);
  ASSERT_OK_AND_ASSIGN(auto history, h_.ledger().History());
  const Hash last = history.back().entry_hash;
  EXPECT_EQ(head.ColumnBlob(1), Bytes(last.begin(), last.end()));
  const Hash mac = ComputeHeadMac(key, 4, last);
  EXPECT_EQ(head.ColumnBlob(2), Bytes(mac.begin(), mac.end()));
}

// The attack of issue 8: a deny flipped to grant, the chain recomputed from the documented
// formula. The chain and the current state agree again (the checks that were all there was before
// the head); the head's hash no longer matches.
TEST_F(ConsentHeadTest, AFlippedDenyWithTheChainRecomputedFailsVerify) {
  ASSERT_OK_AND_ASSIGN(auto history, h_.ledger().History());
  ASSERT_EQ(history[2].state, kDenied);
  history[2].state = kGranted;
  RewriteChain(h_.db(), history, 2);
  // The rewritten chain is self-consistent: every entry matches its hash and its predecessor.
  ASSERT_OK_AND_ASSIGN(auto forged, h_.ledger().History());
  Hash prev{};
  for (const HistoryEntry& e : forged) {
    EXPECT_EQ(e.prev_hash, prev);
    EXPECT_EQ(ComputeEntryHash(e), e.entry_hash);
    prev = e.entry_hash;
  }
  EXPECT_OK(h_.ledger().Receipt(3).status());  // a receipt only checks its own entry
  EXPECT_THAT(h_.ledger().Verify(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("entry 4 differs from the keyed head")));
  // A write does not build on the forged chain.
  EXPECT_THAT(h_.ledger().SetChannel("push", kGranted, kUser),
              StatusIs(StatusCode::kDataLoss, HasSubstr("keyed head")));
  EXPECT_EQ(Count(h_.db(), "consent_history"), 4);
}

TEST_F(ConsentHeadTest, AHeadMovedAlongWithoutTheKeyFailsAuthentication) {
  ASSERT_OK_AND_ASSIGN(auto history, h_.ledger().History());
  history[2].state = kGranted;
  RewriteChain(h_.db(), history, 2);
  Tamper("UPDATE consent_head SET entry_hash = (SELECT entry_hash FROM consent_history "
         "WHERE seq = 4)");
  EXPECT_THAT(h_.ledger().Verify(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("keyed head fails authentication")));
}

TEST_F(ConsentHeadTest, ACutOffTailIsDetected) {
  // The last entry removed and the current state set back to the entry before: chain and state
  // agree, only the head knows there was an entry 4.
  Tamper("DELETE FROM consent_history WHERE seq = 4; "
         "DELETE FROM consent_state WHERE subject = 'category:voice'");
  EXPECT_THAT(h_.ledger().Verify(),
              StatusIs(StatusCode::kDataLoss,
                       HasSubstr("the history ends at entry 3 but the keyed head records entry 4")));
}

TEST_F(ConsentHeadTest, AHeadOverAnEmptiedHistoryIsDetected) {
  Tamper("DELETE FROM consent_history; DELETE FROM consent_state");
  EXPECT_THAT(h_.ledger().Verify(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("ends at entry 0")));
}

TEST_F(ConsentHeadTest, ADeletedHeadIsDataLossAndNeverReanchored) {
  Tamper("DELETE FROM consent_head");
  EXPECT_THAT(h_.ledger().Verify(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("the keyed head is missing")));
  EXPECT_THAT(h_.ledger().SetPurpose("advertising", kGranted, kUser),
              StatusIs(StatusCode::kDataLoss, HasSubstr("the keyed head is missing")));
  // Neither a restart nor a write re-makes it.
  h_.Reopen();
  EXPECT_THAT(h_.ledger().Verify(), StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(h_.ledger().integrity(), StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(h_.ledger().SetChannel("push", kGranted, kUser), StatusIs(StatusCode::kDataLoss));
  // A refusal is never refused (issue 8 item 6): it is chained on, the head stays missing.
  EXPECT_OK(h_.ledger().SetChannel("push", kDenied, kUser));
  EXPECT_EQ(Count(h_.db(), "consent_head"), 0);
  EXPECT_EQ(Count(h_.db(), "consent_history"), 5);
  EXPECT_THAT(h_.ledger().Verify(), StatusIs(StatusCode::kDataLoss));
}

// Someone flips a stored "denied" to "granted" and deletes the head. The forged grant must not
// be enforced: while the stored decisions do not hold together, the ledger publishes fail-closed
// snapshots (found by review: the vault collected under the forged grant).
TEST_F(ConsentHeadTest, AForgedGrantIsNotEnforcedAndTheUserCanStillDeny) {
  ASSERT_OK(h_.ledger().SetPurpose("advertising", kDenied, kUser));
  Tamper("UPDATE consent_state SET state = 1 WHERE subject = 'purpose:advertising'; "
         "DELETE FROM consent_head");
  h_.Reopen();
  const ConsentSnapshot& s = h_.ledger().snapshot();
  EXPECT_NE(s.purpose(s.PurposeIndex("advertising")), kGranted);
  EXPECT_THAT(h_.ledger().integrity(), StatusIs(StatusCode::kDataLoss));
  EXPECT_OK(h_.ledger().SetPurpose("advertising", kDenied, kUser));
  const ConsentSnapshot& after = h_.ledger().snapshot();
  EXPECT_EQ(after.purpose(after.PurposeIndex("advertising")), kDenied);
}

// Every consent table emptied: without a seq-0 head written when the device was new, this reset
// every decision to the policy's defaults unnoticed (found by review).
TEST_F(ConsentHeadTest, EmptyingEveryConsentTableIsDetected) {
  Tamper("DELETE FROM consent_history; DELETE FROM consent_state; DELETE FROM consent_head");
  h_.Reopen();
  EXPECT_THAT(h_.ledger().Verify(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("the keyed head is missing")));
  EXPECT_THAT(h_.ledger().integrity(), StatusIs(StatusCode::kDataLoss));
}

TEST_F(ConsentHeadTest, AForgedUpgradeMarkerIsRefused) {
  // The head deleted and the "anchor pending" marker of the upgrade inserted by hand, so that the
  // next open would anchor whatever chain is there.
  Tamper("DELETE FROM consent_head; INSERT INTO consent_anchor_pending (id) VALUES (1)");
  // The ledger opens (a user's "no" must stay recordable) but anchors nothing and trusts nothing.
  ASSERT_OK_AND_ASSIGN(auto ledger, OpenWith(h_.keys()));
  EXPECT_THAT(ledger->integrity(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("anchored a consent history before")));
  EXPECT_THAT(ledger->Verify(), StatusIs(StatusCode::kDataLoss));
  EXPECT_EQ(Count(*db_, "consent_head"), 0);
}

TEST_F(ConsentHeadTest, AMissingHeadKeyIsDataLoss) {
  platform::MemoryKeyStore empty;
  EXPECT_THAT(OpenWith(empty),
              StatusIs(StatusCode::kDataLoss,
                       HasSubstr("the head key 'consent_head_mac' is missing from the key store")));
  EXPECT_EQ(empty.size(), 0u) << "no key may be made for an existing history";
}

TEST_F(ConsentHeadTest, AnotherKeyStoresKeyFailsAuthentication) {
  platform::MemoryKeyStore other;
  ASSERT_OK_AND_ASSIGN(Bytes key, crypto::testing::TestDrbg().RandomBytes(kConsentHeadKeySize));
  ASSERT_OK(other.Put(kConsentHeadKeyName, key));
  ASSERT_OK_AND_ASSIGN(auto ledger, OpenWith(other));
  EXPECT_THAT(ledger->Verify(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("fails authentication")));
  EXPECT_THAT(ledger->SetPurpose("advertising", kGranted, kUser), StatusIs(StatusCode::kDataLoss));
}

TEST_F(ConsentHeadTest, AnAllZeroHeadKeyIsRefused) {
  platform::MemoryKeyStore zeroed;
  ASSERT_OK(zeroed.Put(kConsentHeadKeyName, Bytes(kConsentHeadKeySize, 0)));
  EXPECT_THAT(OpenWith(zeroed), StatusIs(StatusCode::kDataLoss, HasSubstr("all zeros")));
}

// ---- the upgrade from device schema v4 (a history without a head) ----

// The device schema as it was before the keyed head: its first four steps.
const store::Schema& DeviceSchemaV4() {
  static const store::Schema* schema = [] {
    auto* s = new store::Schema{"tacet-device", {}};
    const auto& all = agent::DeviceSchema().migrations;
    s->migrations.assign(all.begin(), all.begin() + 4);
    return s;
  }();
  return *schema;
}

class ConsentUpgradeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto policy = policy::Policy::LoadEmbedded();
    ASSERT_OK(policy.status());
    policy_ = *policy;
  }
  std::string Path() const { return dir_.File("device.db"); }

  // Writes what the ledger before the keyed head left in a v4 database: two decisions chained
  // from the zero hash, their current state and the reconciled policy.
  void WriteV4Database(bool break_the_chain = false) {
    store::OpenOptions options;
    options.schema = &DeviceSchemaV4();
    ASSERT_OK_AND_ASSIGN(auto db, store::Database::Open(Path(), options));
    ASSERT_EQ(db->UserVersion(), 4);
    HistoryEntry e;
    e.policy_id = std::string(policy_->id());
    e.policy_version = policy_->version();
    e.policy_hash = policy_->hash();
    e.source = kUser;
    e.time_unix_ms = platform::kEmulatorEpochUnixMillis;
    Hash prev{};
    for (int seq = 1; seq <= 2; ++seq) {
      e.seq = seq;
      e.subject = seq == 1 ? "purpose:voice_features" : "location";
      e.state = kGranted;
      e.precision = seq == 1 ? LocationPrecision::kNone : LocationPrecision::kApproximate;
      e.prev_hash = prev;
      e.entry_hash = ComputeEntryHash(e);
      prev = e.entry_hash;
      ASSERT_OK_AND_ASSIGN(auto history, db->Prepare(
          "INSERT INTO consent_history (seq, subject, state, precision, decided_at_ms, policy_id, "
          "policy_version, policy_hash, source, prev_hash, entry_hash) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
      ASSERT_OK_AND_ASSIGN(auto state, db->Prepare(
          "INSERT INTO consent_state (seq, subject, state, precision, decided_at_ms, policy_id, "
          "policy_version, policy_hash, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
      for (store::Statement* st : {&history, &state}) {
        ASSERT_OK(st->Bind(1, e.seq));
        ASSERT_OK(st->Bind(2, std::string_view(e.subject)));
        ASSERT_OK(st->Bind(3, static_cast<int64_t>(e.state)));
        ASSERT_OK(st->Bind(4, static_cast<int64_t>(e.precision)));
        ASSERT_OK(st->Bind(5, e.time_unix_ms));
        ASSERT_OK(st->Bind(6, std::string_view(e.policy_id)));
        ASSERT_OK(st->Bind(7, static_cast<int64_t>(e.policy_version)));
        ASSERT_OK(st->BindBlob(8, e.policy_hash));
        ASSERT_OK(st->Bind(9, static_cast<int64_t>(e.source)));
      }
      Hash stored_hash = e.entry_hash;
      if (break_the_chain && seq == 2) stored_hash[0] ^= 1;
      ASSERT_OK(history.BindBlob(10, e.prev_hash));
      ASSERT_OK(history.BindBlob(11, stored_hash));
      ASSERT_OK(history.Step().status());
      ASSERT_OK(state.Step().status());
    }
    ASSERT_OK_AND_ASSIGN(auto record,
                         db->Prepare("INSERT INTO consent_policy (id, policy) VALUES (1, ?1)"));
    ASSERT_OK(record.BindBlob(1, policy_->bytes()));
    ASSERT_OK(record.Step().status());
  }

  // Opens at the current device schema (running step 5 if needed) and opens the ledger.
  StatusOr<std::unique_ptr<ConsentLedger>> Open() {
    ledger_.reset();
    db_.reset();
    store::OpenOptions options;
    options.schema = &agent::DeviceSchema();
    TACET_ASSIGN_OR_RETURN(db_, store::Database::Open(Path(), options));
    return ConsentLedger::Open(*db_, policy_, clock_, keys_, crypto::testing::TestDrbg());
  }

  tacet::testing::TempDir dir_;
  std::shared_ptr<const policy::Policy> policy_;
  platform::VirtualClock clock_;
  platform::MemoryKeyStore keys_;  // a device key store from before the head: no head key yet
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<ConsentLedger> ledger_;
};

TEST_F(ConsentUpgradeTest, AV4HistoryIsAnchoredOnceAtTheFirstOpen) {
  WriteV4Database();
  ASSERT_OK_AND_ASSIGN(ledger_, Open());
  EXPECT_EQ(db_->UserVersion(), static_cast<int>(agent::DeviceSchema().migrations.size()));
  EXPECT_OK(ledger_->Verify());
  EXPECT_EQ(Count(*db_, "consent_anchor_pending"), 0);
  EXPECT_EQ(Count(*db_, "consent_head"), 1);
  const ConsentSnapshot& s = ledger_->snapshot();
  EXPECT_EQ(s.purpose(s.PurposeIndex("voice_features")), kGranted);
  EXPECT_EQ(s.location_precision(), LocationPrecision::kApproximate);
  // The chain goes on from the anchored entry.
  ASSERT_OK(ledger_->SetPurpose("voice_features", kDenied, kUser));
  ASSERT_OK_AND_ASSIGN(auto history, ledger_->History());
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[2].seq, 3);
  EXPECT_OK(ledger_->Verify());

  // Anchoring happened once: a head deleted afterwards is data loss, also after a restart.
  ASSERT_OK(db_->Exec("DELETE FROM consent_head"));
  ASSERT_OK_AND_ASSIGN(ledger_, Open());
  EXPECT_THAT(ledger_->Verify(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("the keyed head is missing")));
  EXPECT_THAT(ledger_->SetPurpose("voice_features", kGranted, kUser),
              StatusIs(StatusCode::kDataLoss));
}

TEST_F(ConsentUpgradeTest, AnAnchoringInterruptedAfterTheKeyWasMadeResumes) {
  WriteV4Database();
  // A crash between storing the new key and committing the head: key there, marker still there.
  ASSERT_OK_AND_ASSIGN(Bytes key, crypto::testing::TestDrbg().RandomBytes(kConsentHeadKeySize));
  ASSERT_OK(keys_.Put(kConsentHeadKeyName, key));
  ASSERT_OK_AND_ASSIGN(ledger_, Open());
  EXPECT_OK(ledger_->Verify());
  EXPECT_EQ(Count(*db_, "consent_anchor_pending"), 0);
}

TEST_F(ConsentUpgradeTest, ABrokenV4ChainIsNotAnchored) {
  WriteV4Database(/*break_the_chain=*/true);
  EXPECT_THAT(Open(), StatusIs(StatusCode::kDataLoss,
                               HasSubstr("cannot anchor the history written before the keyed "
                                         "head: consent history: entry 2 does not match its hash")));
  // Nothing was anchored; the marker waits (and the evidence stays).
  EXPECT_EQ(Count(*db_, "consent_head"), 0);
  EXPECT_EQ(Count(*db_, "consent_anchor_pending"), 1);
  EXPECT_EQ(Count(*db_, "consent_history"), 2);
}

TEST_F(ConsentUpgradeTest, AV4DatabaseWithoutHistoryNeedsNoAnchor) {
  {
    store::OpenOptions options;
    options.schema = &DeviceSchemaV4();
    ASSERT_OK(store::Database::Open(Path(), options).status());
  }
  ASSERT_OK_AND_ASSIGN(ledger_, Open());
  EXPECT_EQ(Count(*db_, "consent_anchor_pending"), 0);
  EXPECT_OK(ledger_->Verify());
  ASSERT_OK(ledger_->SetPurpose("voice_features", kGranted, kUser));
  EXPECT_OK(ledger_->Verify());
}

}  // namespace
}  // namespace tacet::consent
