// The consent ledger: initial states, decisions and their sources, persistence, durability of
// failed writes, history, receipts and policy updates.
#include "consent/consent_ledger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "consent/consent_test_util.h"
#include "policy/diff.h"
#include "policy/policy_test_util.h"
#include "testing/status_matchers.h"

namespace tacet::consent {
namespace {

using ::testing::HasSubstr;
using platform::LocationPrecision;
using testing::LedgerHarness;

constexpr auto kUnknown = ConsentState::kUnknown;
constexpr auto kGranted = ConsentState::kGranted;
constexpr auto kDenied = ConsentState::kDenied;
constexpr auto kUser = DecisionSource::kUser;

ConsentState Purpose(const ConsentSnapshot& s, std::string_view id) {
  const int index = s.PurposeIndex(id);
  EXPECT_GE(index, 0) << id;
  return s.purpose(index);
}
bool Allows(const ConsentSnapshot& s, std::string_view purpose, std::string_view category = {}) {
  return s.Allows(s.PurposeIndex(purpose), category.empty() ? -1 : s.CategoryIndex(category));
}

TEST(ConsentLedgerTest, InitialStatesFollowTheLegalBasis) {
  LedgerHarness h;
  const ConsentSnapshot& s = h.snapshot();
  EXPECT_EQ(s.generation(), 1u);
  // Consent-based: unknown, never allowed.
  for (const char* id : {"voice_features", "location_features", "advertising",
                         "location_advertising", "marketing_communications"}) {
    EXPECT_EQ(Purpose(s, id), kUnknown) << id;
    EXPECT_FALSE(Allows(s, id)) << id;
    EXPECT_EQ(s.purpose_source(s.PurposeIndex(id)), DecisionSource::kPolicyDefault);
  }
  // Contract / non-refusable: allowed by their legal basis.
  for (const char* id : {"provide_service", "service_communications",
                         "payments_and_fraud_prevention", "content_performance_reporting"}) {
    EXPECT_EQ(Purpose(s, id), kGranted) << id;
    EXPECT_TRUE(Allows(s, id)) << id;
  }
  // Refusable legitimate interest: the policy's default_state (Granted) until the user objects.
  EXPECT_EQ(Purpose(s, "analytics"), kGranted);
  EXPECT_TRUE(Allows(s, "analytics"));
  // Optional categories unknown, the others provided; channels unknown; no location.
  EXPECT_EQ(s.category(s.CategoryIndex("voice")), kUnknown);
  EXPECT_EQ(s.category(s.CategoryIndex("usage")), kGranted);
  EXPECT_EQ(s.channel(s.ChannelIndex("email")), kUnknown);
  EXPECT_EQ(s.location_precision(), LocationPrecision::kNone);
  // Out of range and unknown ids.
  EXPECT_EQ(s.PurposeIndex("no_such_purpose"), -1);
  EXPECT_EQ(s.purpose(-1), kUnknown);
  EXPECT_EQ(s.purpose(1000), kUnknown);
  EXPECT_FALSE(s.Allows(-1));
  EXPECT_FALSE(s.Allows(1000));
  EXPECT_OK(h.ledger().Verify());
}

TEST(ConsentLedgerTest, SetPurposePublishesANewSnapshotAndKeepsTheOldOneValid) {
  LedgerHarness h;
  const ConsentSnapshot& before = h.snapshot();
  ASSERT_OK(h.ledger().SetPurpose("voice_features", kGranted, kUser));
  const ConsentSnapshot& after = h.snapshot();
  EXPECT_NE(&before, &after);
  EXPECT_EQ(after.generation(), before.generation() + 1);
  EXPECT_EQ(Purpose(after, "voice_features"), kGranted);
  EXPECT_EQ(after.purpose_source(after.PurposeIndex("voice_features")), kUser);
  EXPECT_EQ(Purpose(before, "voice_features"), kUnknown);  // immutable
  // Granted purpose, but the optional category was never provided.
  EXPECT_TRUE(Allows(after, "voice_features"));
  EXPECT_FALSE(Allows(after, "voice_features", "voice"));
  ASSERT_OK(h.ledger().SetCategoryProvided("voice", true, kUser));
  EXPECT_TRUE(Allows(h.snapshot(), "voice_features", "voice"));
  // The policy does not let voice_features use location, whatever the user chose.
  ASSERT_OK(h.ledger().SetCategoryProvided("location", true, kUser));
  EXPECT_FALSE(Allows(h.snapshot(), "voice_features", "location"));
  ASSERT_OK(h.ledger().SetPurpose("voice_features", kDenied, kUser));
  EXPECT_FALSE(Allows(h.snapshot(), "voice_features", "voice"));
  EXPECT_EQ(h.ledger().retained_snapshots(), 5u);
}

// docs/consent.md states the memory kept per change from this size.
static_assert(sizeof(ConsentSnapshot) <= 160, "update the memory bound in docs/consent.md");

TEST(ConsentLedgerTest, DecisionsSurviveAProcessRestart) {
  LedgerHarness h;
  ASSERT_OK(h.ledger().SetPurpose("advertising", kGranted, kUser));
  ASSERT_OK(h.ledger().SetPurpose("analytics", kDenied, kUser));
  ASSERT_OK(h.ledger().SetChannel("push", kGranted, DecisionSource::kImport));
  ASSERT_OK(h.ledger().SetCategoryProvided("voice", false, kUser));
  ASSERT_OK(h.ledger().SetLocationPrecision(LocationPrecision::kApproximate,
                                            DecisionSource::kOsPermission));
  h.Reopen();
  const ConsentSnapshot& s = h.snapshot();
  EXPECT_EQ(s.generation(), 1u);  // generations count within one ledger's lifetime
  EXPECT_EQ(Purpose(s, "advertising"), kGranted);
  EXPECT_EQ(Purpose(s, "analytics"), kDenied);
  EXPECT_EQ(Purpose(s, "voice_features"), kUnknown);
  EXPECT_EQ(s.channel(s.ChannelIndex("push")), kGranted);
  EXPECT_EQ(s.channel_source(s.ChannelIndex("push")), DecisionSource::kImport);
  EXPECT_EQ(s.channel(s.ChannelIndex("email")), kUnknown);
  EXPECT_EQ(s.category(s.CategoryIndex("voice")), kDenied);
  EXPECT_EQ(s.location_precision(), LocationPrecision::kApproximate);
  EXPECT_EQ(s.location_source(), DecisionSource::kOsPermission);
  EXPECT_OK(h.ledger().Verify());
}

TEST(ConsentLedgerTest, UnknownIsNeverAllowedAndRefusalsAreChecked) {
  LedgerHarness h;
  ConsentLedger& ledger = h.ledger();
  // Explicitly set back to unknown (e.g. an import that carries no answer): still not allowed.
  ASSERT_OK(ledger.SetPurpose("voice_features", kGranted, kUser));
  ASSERT_OK(ledger.SetPurpose("voice_features", kUnknown, DecisionSource::kImport));
  EXPECT_FALSE(Allows(h.snapshot(), "voice_features"));
  EXPECT_THAT(ledger.SetPurpose("no_such_purpose", kGranted, kUser),
              StatusIs(StatusCode::kNotFound, HasSubstr("no purpose 'no_such_purpose'")));
  EXPECT_THAT(ledger.SetChannel("fax", kGranted, kUser),
              StatusIs(StatusCode::kNotFound, HasSubstr("no channel 'fax'")));
  EXPECT_THAT(ledger.SetCategoryProvided("dna", true, kUser),
              StatusIs(StatusCode::kNotFound, HasSubstr("no category 'dna'")));
  EXPECT_THAT(ledger.SetPurpose("provide_service", kDenied, kUser),
              StatusIs(StatusCode::kFailedPrecondition,
                       HasSubstr("'provide_service' cannot be refused (legal basis contract)")));
  EXPECT_THAT(ledger.SetCategoryProvided("usage", false, kUser),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("'usage' is not optional")));
  EXPECT_THAT(ledger.SetPurpose("advertising", static_cast<ConsentState>(7), kUser),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ledger.SetLocationPrecision(static_cast<LocationPrecision>(9), kUser),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(h.snapshot().generation(), 3u);  // the refused calls published nothing
  ASSERT_OK_AND_ASSIGN(auto history, ledger.History());
  EXPECT_EQ(history.size(), 2u);
}

TEST(ConsentLedgerTest, ObjectingToALegitimateInterestPurpose) {
  LedgerHarness h;
  ASSERT_OK(h.ledger().SetPurpose("analytics", kDenied, kUser));
  EXPECT_FALSE(Allows(h.snapshot(), "analytics"));
  h.Reopen();
  EXPECT_FALSE(Allows(h.snapshot(), "analytics"));
}

TEST(ConsentLedgerTest, ChannelsAreSeparatePermissions) {
  LedgerHarness h;
  ASSERT_OK(h.ledger().SetPurpose("marketing_communications", kGranted, kUser));
  ASSERT_OK(h.ledger().SetChannel("email", kGranted, kUser));
  ASSERT_OK(h.ledger().SetChannel("push", kDenied, kUser));
  const ConsentSnapshot& s = h.snapshot();
  const int marketing = s.PurposeIndex("marketing_communications");
  const int email = s.ChannelIndex("email"), push = s.ChannelIndex("push"),
            other = s.ChannelIndex("in_app_other");
  EXPECT_EQ(s.channel(email), kGranted);
  EXPECT_EQ(s.channel(push), kDenied);
  EXPECT_EQ(s.channel(other), kUnknown);
  EXPECT_TRUE(s.AllowsChannel(marketing, email));
  EXPECT_FALSE(s.AllowsChannel(marketing, push));
  EXPECT_FALSE(s.AllowsChannel(marketing, other));
  EXPECT_FALSE(s.AllowsChannel(marketing, -1));
  // Service messages are a contract purpose: every channel it lists, whatever marketing says.
  const int service = s.PurposeIndex("service_communications");
  EXPECT_TRUE(s.AllowsChannel(service, push));
  // A purpose that lists no channel reaches none.
  EXPECT_FALSE(s.AllowsChannel(s.PurposeIndex("advertising"), email));
  // Withdrawing marketing closes every channel, but keeps the per-channel answers.
  ASSERT_OK(h.ledger().SetPurpose("marketing_communications", kDenied, kUser));
  EXPECT_FALSE(h.snapshot().AllowsChannel(marketing, email));
  EXPECT_EQ(h.snapshot().channel(email), kGranted);
}

TEST(ConsentLedgerTest, RequiredPurposesAndCategories) {
  LedgerHarness h;
  ConsentLedger& ledger = h.ledger();
  ASSERT_OK(ledger.SetPurpose("location_advertising", kGranted, kUser));
  ASSERT_OK(ledger.SetCategoryProvided("location", true, kUser));
  // location_advertising requires location_features and advertising.
  EXPECT_FALSE(Allows(h.snapshot(), "location_advertising", "location"));
  ASSERT_OK(ledger.SetPurpose("location_features", kGranted, kUser));
  EXPECT_FALSE(Allows(h.snapshot(), "location_advertising", "location"));
  ASSERT_OK(ledger.SetPurpose("advertising", kGranted, kUser));
  EXPECT_TRUE(Allows(h.snapshot(), "location_advertising", "location"));
  EXPECT_TRUE(Allows(h.snapshot(), "location_advertising", "usage"));
  // Not a category the purpose uses.
  EXPECT_FALSE(Allows(h.snapshot(), "location_advertising", "voice"));
  EXPECT_FALSE(h.snapshot().Allows(h.snapshot().PurposeIndex("location_advertising"), 1000));
  // The optional category declined: every purpose loses it, the purposes stay granted.
  ASSERT_OK(ledger.SetCategoryProvided("location", false, kUser));
  EXPECT_FALSE(Allows(h.snapshot(), "location_advertising", "location"));
  EXPECT_FALSE(Allows(h.snapshot(), "location_features", "location"));
  EXPECT_TRUE(Allows(h.snapshot(), "location_advertising", "usage"));
  ASSERT_OK(ledger.SetCategoryProvided("location", true, kUser));
  // Withdrawing one required purpose withdraws the dependent one.
  ASSERT_OK(ledger.SetPurpose("advertising", kDenied, kUser));
  EXPECT_FALSE(Allows(h.snapshot(), "location_advertising", "location"));
  EXPECT_TRUE(Allows(h.snapshot(), "location_features", "location"));
}

TEST(ConsentLedgerTest, LocationPrecision) {
  LedgerHarness h;
  ConsentLedger& ledger = h.ledger();
  ASSERT_OK(ledger.SetLocationPrecision(LocationPrecision::kPrecise, kUser));
  EXPECT_EQ(h.snapshot().location_precision(), LocationPrecision::kPrecise);
  ASSERT_OK(ledger.SetLocationPrecision(LocationPrecision::kApproximate,
                                        DecisionSource::kOsPermission));
  EXPECT_EQ(h.snapshot().location_precision(), LocationPrecision::kApproximate);
  ASSERT_OK(ledger.SetLocationPrecision(LocationPrecision::kNone, kUser));
  EXPECT_EQ(h.snapshot().location_precision(), LocationPrecision::kNone);
  ASSERT_OK_AND_ASSIGN(auto history, ledger.History("location"));
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].precision, LocationPrecision::kPrecise);
  EXPECT_EQ(history[0].state, kGranted);
  EXPECT_EQ(history[1].source, DecisionSource::kOsPermission);
  EXPECT_EQ(history[2].state, kDenied);
  h.Reopen();
  EXPECT_EQ(h.snapshot().location_precision(), LocationPrecision::kNone);
}

// A failed write changes nothing: not the database, not the snapshot, not the chain's tail.
TEST(ConsentLedgerTest, FailedCommitLeavesStateAndSnapshotUnchanged) {
  LedgerHarness h;
  ConsentLedger& ledger = h.ledger();
  ASSERT_OK(ledger.SetPurpose("advertising", kDenied, kUser));
  const ConsentSnapshot* before = &h.snapshot();

  // 1. The database refuses writes.
  ASSERT_OK(h.db().Exec("PRAGMA query_only = ON"));
  EXPECT_FALSE(ledger.SetPurpose("advertising", kGranted, kUser).ok());
  ASSERT_OK(h.db().Exec("PRAGMA query_only = OFF"));
  // 2. The history row is written, then the state row fails: the transaction rolls back whole.
  ASSERT_OK(h.db().Exec(
      "CREATE TRIGGER consent_test_fail BEFORE INSERT ON consent_state "
      "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"));
  const Status aborted = ledger.SetPurpose("advertising", kGranted, kUser);
  EXPECT_FALSE(aborted.ok());
  EXPECT_THAT(aborted.message(), HasSubstr("disk on fire"));
  // 3. The database file is full.
  ASSERT_OK(h.db().Exec("DROP TRIGGER consent_test_fail"));
  ASSERT_OK(h.db().Exec(
      "CREATE TABLE consent_test_filler (b BLOB); "
      "PRAGMA max_page_count = 1"));  // clamps to the current size: no page may be added
  ASSERT_OK(h.db().Exec(
      "CREATE TRIGGER consent_test_grow BEFORE INSERT ON consent_history "
      "BEGIN INSERT INTO consent_test_filler VALUES (zeroblob(100000)); END"));
  EXPECT_THAT(ledger.SetPurpose("advertising", kGranted, kUser),
              StatusIs(StatusCode::kResourceExhausted));
  ASSERT_OK(h.db().Exec("DROP TRIGGER consent_test_grow; PRAGMA max_page_count = 1000000"));

  EXPECT_EQ(&h.snapshot(), before);
  EXPECT_EQ(Purpose(h.snapshot(), "advertising"), kDenied);
  ASSERT_OK_AND_ASSIGN(auto history, ledger.History());
  EXPECT_EQ(history.size(), 1u);
  EXPECT_OK(ledger.Verify());
  // The chain continues from the last committed entry.
  ASSERT_OK(ledger.SetPurpose("advertising", kGranted, kUser));
  EXPECT_OK(ledger.Verify());
  h.Reopen();
  EXPECT_EQ(Purpose(h.snapshot(), "advertising"), kGranted);
  ASSERT_OK_AND_ASSIGN(history, h.ledger().History());
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1].seq, 2);
}

// A prompt that is shown and never answered (the app is killed mid-dialog) leaves nothing behind:
// there is no pending state, only committed decisions.
TEST(ConsentLedgerTest, InterruptedPromptLeavesNoImplicitConsent) {
  LedgerHarness h;
  // The prompt for voice is on screen; the process dies before the answer is recorded.
  EXPECT_EQ(Purpose(h.snapshot(), "voice_features"), kUnknown);
  h.Reopen();
  EXPECT_EQ(Purpose(h.snapshot(), "voice_features"), kUnknown);
  EXPECT_FALSE(Allows(h.snapshot(), "voice_features"));
  // The answer's write is torn by a crash inside the transaction (simulated by a failing
  // statement after the history insert): still unknown after a restart.
  ASSERT_OK(h.db().Exec(
      "CREATE TRIGGER consent_test_crash BEFORE INSERT ON consent_state "
      "BEGIN SELECT RAISE(ABORT, 'power cut'); END"));
  EXPECT_FALSE(h.ledger().SetPurpose("voice_features", kGranted, kUser).ok());
  ASSERT_OK(h.db().Exec("DROP TRIGGER consent_test_crash"));
  h.Reopen();
  EXPECT_EQ(Purpose(h.snapshot(), "voice_features"), kUnknown);
  ASSERT_OK_AND_ASSIGN(auto history, h.ledger().History());
  EXPECT_TRUE(history.empty());
}

class ConsentHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ConsentLedger& ledger = h_.ledger();
    ASSERT_OK(ledger.SetPurpose("voice_features", kGranted, kUser));
    h_.clock().AdvanceBy(1000);
    ASSERT_OK(ledger.SetCategoryProvided("voice", true, kUser));
    h_.clock().AdvanceBy(1000);
    ASSERT_OK(ledger.SetChannel("email", kDenied, kUser));
    h_.clock().AdvanceBy(1000);
    ASSERT_OK(ledger.SetPurpose("voice_features", kDenied, kUser));
    ASSERT_OK(ledger.Verify());
  }
  // Raw SQL, as an attacker with the file would do it.
  void Tamper(const std::string& sql) { ASSERT_OK(h_.db().Exec(sql)); }

  LedgerHarness h_;
};

TEST_F(ConsentHistoryTest, ChainsEveryEntry) {
  ASSERT_OK_AND_ASSIGN(auto history, h_.ledger().History());
  ASSERT_EQ(history.size(), 4u);
  Hash prev{};
  for (size_t i = 0; i < history.size(); ++i) {
    EXPECT_EQ(history[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(history[i].prev_hash, prev);
    EXPECT_EQ(ComputeEntryHash(history[i]), history[i].entry_hash);
    EXPECT_EQ(history[i].policy_hash, h_.policy()->hash());
    EXPECT_EQ(history[i].policy_id, "streaming_service");
    EXPECT_EQ(history[i].policy_version, 1u);
    EXPECT_EQ(history[i].time_unix_ms,
              platform::kEmulatorEpochUnixMillis + 1000 * static_cast<int64_t>(i));
    prev = history[i].entry_hash;
  }
  EXPECT_EQ(history[1].subject, "category:voice");
  EXPECT_EQ(history[2].subject, "channel:email");
  ASSERT_OK_AND_ASSIGN(auto voice, h_.ledger().History("purpose:voice_features"));
  ASSERT_EQ(voice.size(), 2u);
  EXPECT_EQ(voice[0].state, kGranted);
  EXPECT_EQ(voice[1].state, kDenied);
  // Every field is covered by the hash.
  HistoryEntry e = history[0];
  const Hash original = ComputeEntryHash(e);
  e.time_unix_ms += 1;
  EXPECT_NE(ComputeEntryHash(e), original);
  e = history[0];
  e.policy_hash[0] ^= 1;
  EXPECT_NE(ComputeEntryHash(e), original);
  e = history[0];
  e.source = DecisionSource::kImport;
  EXPECT_NE(ComputeEntryHash(e), original);
  e = history[0];
  e.prev_hash[31] ^= 1;
  EXPECT_NE(ComputeEntryHash(e), original);
}

TEST_F(ConsentHistoryTest, VerifySurvivesRestart) {
  h_.Reopen();
  EXPECT_OK(h_.ledger().Verify());
  ASSERT_OK(h_.ledger().SetPurpose("advertising", kGranted, kUser));
  EXPECT_OK(h_.ledger().Verify());
}

TEST_F(ConsentHistoryTest, DetectsAnEditedEntry) {
  Tamper("UPDATE consent_history SET state = 1 WHERE seq = 4");
  EXPECT_THAT(h_.ledger().Verify(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("entry 4 does not match its hash")));
  EXPECT_THAT(h_.ledger().Receipt(4), StatusIs(StatusCode::kDataLoss));
}

TEST_F(ConsentHistoryTest, DetectsAnEditedTimestamp) {
  Tamper("UPDATE consent_history SET decided_at_ms = decided_at_ms - 5 WHERE seq = 2");
  EXPECT_THAT(h_.ledger().Verify(), StatusIs(StatusCode::kDataLoss, HasSubstr("entry 2 ")));
}

TEST_F(ConsentHistoryTest, DetectsARemovedEntry) {
  Tamper("DELETE FROM consent_history WHERE seq = 2");
  EXPECT_THAT(h_.ledger().Verify(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("entry 3 is out of sequence")));
}

TEST_F(ConsentHistoryTest, DetectsARemovedAndRenumberedEntry) {
  Tamper("DELETE FROM consent_history WHERE seq = 2; "
         "UPDATE consent_history SET seq = seq - 1 WHERE seq > 2");
  EXPECT_THAT(h_.ledger().Verify(), StatusIs(StatusCode::kDataLoss, HasSubstr("entry 2 ")));
}

TEST_F(ConsentHistoryTest, DetectsARemovedLastEntry) {
  // The chain itself stays consistent; the current state no longer has its entry.
  Tamper("DELETE FROM consent_history WHERE seq = 4");
  EXPECT_THAT(h_.ledger().Verify(),
              StatusIs(StatusCode::kDataLoss,
                       HasSubstr("'purpose:voice_features' does not match its last history entry 1")));
}

TEST_F(ConsentHistoryTest, DetectsSwappedEntries) {
  Tamper("UPDATE consent_history SET seq = -2 WHERE seq = 2; "
         "UPDATE consent_history SET seq = 2 WHERE seq = 3; "
         "UPDATE consent_history SET seq = 3 WHERE seq = -2");
  EXPECT_THAT(h_.ledger().Verify(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("entry 2 does not chain to entry 1")));
}

TEST_F(ConsentHistoryTest, DetectsAForgedEntry) {
  // A forged "granted" appended with a made-up hash, and the current state moved along with it.
  Tamper("INSERT INTO consent_history SELECT 5, subject, 1, precision, decided_at_ms, policy_id, "
         "policy_version, policy_hash, source, entry_hash, zeroblob(32) FROM consent_history "
         "WHERE seq = 4; "
         "UPDATE consent_state SET state = 1, seq = 5 WHERE subject = 'purpose:voice_features'");
  EXPECT_THAT(h_.ledger().Verify(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("entry 5 does not match its hash")));
}

TEST_F(ConsentHistoryTest, DetectsAnEditedCurrentState) {
  Tamper("UPDATE consent_state SET state = 1 WHERE subject = 'purpose:voice_features'");
  EXPECT_THAT(h_.ledger().Verify(),
              StatusIs(StatusCode::kDataLoss,
                       HasSubstr("consent_state for 'purpose:voice_features' does not match its "
                                 "last history entry 4")));
}

TEST_F(ConsentHistoryTest, DetectsAMissingOrExtraCurrentState) {
  Tamper("DELETE FROM consent_state WHERE subject = 'channel:email'");
  EXPECT_THAT(h_.ledger().Verify(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("no row for 'channel:email'")));
}

TEST_F(ConsentHistoryTest, DetectsACurrentStateWithoutHistory) {
  Tamper("INSERT INTO consent_state SELECT 'channel:push', state, precision, decided_at_ms, "
         "policy_id, policy_version, policy_hash, source, seq FROM consent_state "
         "WHERE subject = 'channel:email'");
  EXPECT_THAT(h_.ledger().Verify(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("'channel:push' has no history entry")));
}

TEST_F(ConsentHistoryTest, ReceiptIsJsonWithTheEntryHash) {
  ASSERT_OK_AND_ASSIGN(auto history, h_.ledger().History());
  for (const HistoryEntry& e : history) {
    ASSERT_OK_AND_ASSIGN(std::string text, h_.ledger().Receipt(e.seq));
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << text;
    EXPECT_EQ(j["seq"], e.seq);
    EXPECT_EQ(j["subject"], e.subject);
    EXPECT_EQ(j["entry_hash"], HexEncode(e.entry_hash));
    EXPECT_EQ(j["prev_hash"], HexEncode(e.prev_hash));
    EXPECT_EQ(j["policy"]["id"], "streaming_service");
    EXPECT_EQ(j["policy"]["version"], 1);
    EXPECT_EQ(j["policy"]["hash"], HexEncode(h_.policy()->hash()));
    EXPECT_EQ(j["source"], "user");
    EXPECT_EQ(j["time_unix_ms"], e.time_unix_ms);
  }
  ASSERT_OK_AND_ASSIGN(std::string first, h_.ledger().Receipt(1));
  const nlohmann::json j = nlohmann::json::parse(first);
  EXPECT_EQ(j["decision"], "granted");
  EXPECT_EQ(j["state"], "granted");
  EXPECT_EQ(j["subject_kind"], "purpose");
  EXPECT_EQ(j["subject_id"], "voice_features");
  EXPECT_EQ(j["time"], "2024-01-01T00:00:00.000Z");
  EXPECT_EQ(j["prev_hash"], std::string(64, '0'));
  ASSERT_OK_AND_ASSIGN(std::string second, h_.ledger().Receipt(2));
  EXPECT_EQ(nlohmann::json::parse(second)["decision"], "provided");
  EXPECT_EQ(nlohmann::json::parse(second)["time"], "2024-01-01T00:00:01.000Z");
  EXPECT_THAT(h_.ledger().Receipt(99), StatusIs(StatusCode::kNotFound, HasSubstr("entry 99")));
}

TEST(ConsentReceiptTest, TimesAndEscaping) {
  HistoryEntry e;
  e.seq = 7;
  e.subject = std::string("purpose:we\"ird\\\n\x01 \xc3\xa9 \xff", 22);
  e.policy_id = "p";
  e.time_unix_ms = 951782400123;  // 2000-02-29T00:00:00.123Z
  ASSERT_OK_AND_ASSIGN(std::string text, ReceiptJson(e));
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << text;
  EXPECT_EQ(j["subject"], "purpose:we\"ird\\\n\x01 \xc3\xa9 \xef\xbf\xbd");
  EXPECT_EQ(j["time"], "2000-02-29T00:00:00.123Z");
  e.time_unix_ms = -1;
  ASSERT_OK_AND_ASSIGN(text, ReceiptJson(e));
  EXPECT_EQ(nlohmann::json::parse(text)["time"], "1969-12-31T23:59:59.999Z");
  e.time_unix_ms = 253402300799999;
  ASSERT_OK_AND_ASSIGN(text, ReceiptJson(e));
  EXPECT_EQ(nlohmann::json::parse(text)["time"], "9999-12-31T23:59:59.999Z");
  e.time_unix_ms += 1;
  EXPECT_THAT(ReceiptJson(e), StatusIs(StatusCode::kOutOfRange));
}

class RecordingListener : public ConsentListener {
 public:
  void OnConsentChanged(const ConsentSnapshot& snapshot) override {
    generations.push_back(snapshot.generation());
    voice.push_back(snapshot.purpose(snapshot.PurposeIndex("voice_features")));
  }
  std::vector<uint64_t> generations;
  std::vector<ConsentState> voice;
};

TEST(ConsentLedgerTest, ListenersHearCommittedChangesOnly) {
  LedgerHarness h;
  RecordingListener listener;
  h.ledger().AddListener(&listener);
  ASSERT_OK(h.ledger().SetPurpose("voice_features", kGranted, kUser));
  ASSERT_OK(h.db().Exec("PRAGMA query_only = ON"));
  EXPECT_FALSE(h.ledger().SetPurpose("voice_features", kDenied, kUser).ok());
  ASSERT_OK(h.db().Exec("PRAGMA query_only = OFF"));
  ASSERT_OK(h.ledger().SetPurpose("voice_features", kDenied, kUser));
  h.ledger().RemoveListener(&listener);
  ASSERT_OK(h.ledger().SetPurpose("voice_features", kGranted, kUser));
  EXPECT_EQ(listener.generations, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(listener.voice, (std::vector<ConsentState>{kGranted, kDenied}));
}

namespace pt = tacet::policy::testing;

std::shared_ptr<const policy::Policy> LoadTree(const fb::PolicyT& tree) {
  auto policy = policy::Policy::Load(pt::Pack(tree));
  EXPECT_TRUE(policy.ok()) << policy.status().ToString();
  return policy.ok() ? *policy : nullptr;
}

// Version 2 of the shipped policy: advertising and analytics widened (a new category), a new
// consent purpose and a new legitimate-interest one, academic_research removed.
std::shared_ptr<const policy::Policy> UpdatedPolicy() {
  auto tree = pt::ShippedPolicyT();
  tree->version = 2;
  pt::PurposeIn(*tree, "advertising").categories.push_back("contact");
  pt::PurposeIn(*tree, "analytics").categories.push_back("contact");
  for (const char* id : {"podcast_recommendations", "service_quality"}) {
    auto purpose = std::make_unique<fb::PurposeT>();
    purpose->id = id;
    purpose->display_name = id;
    purpose->description = id;
    purpose->source = "test";
    purpose->categories = {"usage"};
    if (std::string(id) == "service_quality") {
      purpose->legal_basis = fb::LegalBasis::LegitimateInterest;
      purpose->default_state = fb::DefaultState::Granted;
    }
    tree->purposes.push_back(std::move(purpose));
  }
  auto& purposes = tree->purposes;
  purposes.erase(std::remove_if(purposes.begin(), purposes.end(),
                                [](const auto& p) { return p->id == "academic_research"; }),
                 purposes.end());
  for (auto& recipient : tree->recipients) {
    for (auto& grant : recipient->grants) {
      auto& ps = grant->purposes;
      ps.erase(std::remove(ps.begin(), ps.end(), "academic_research"), ps.end());
    }
    auto& grants = recipient->grants;
    grants.erase(std::remove_if(grants.begin(), grants.end(),
                                [](const auto& g) { return g->purposes.empty(); }),
                 grants.end());
  }
  tree->recipients.erase(
      std::remove_if(tree->recipients.begin(), tree->recipients.end(),
                     [](const auto& r) { return r->grants.empty(); }),
      tree->recipients.end());
  return LoadTree(*tree);
}

void ExpectUpdated(const ConsentSnapshot& s) {
  EXPECT_EQ(s.policy().version(), 2u);
  EXPECT_EQ(Purpose(s, "advertising"), kUnknown);     // widened: asked again
  EXPECT_EQ(s.purpose_source(s.PurposeIndex("advertising")), DecisionSource::kPolicyUpdate);
  EXPECT_EQ(Purpose(s, "analytics"), kUnknown);       // widened legitimate interest too
  EXPECT_EQ(Purpose(s, "voice_features"), kGranted);  // unchanged: the user's choice stands
  EXPECT_EQ(Purpose(s, "location_features"), kDenied);
  EXPECT_EQ(Purpose(s, "podcast_recommendations"), kUnknown);  // new, consent
  EXPECT_EQ(Purpose(s, "service_quality"), kGranted);          // new, legitimate interest
  EXPECT_EQ(s.PurposeIndex("academic_research"), -1);          // removed
  EXPECT_EQ(s.channel(s.ChannelIndex("email")), kGranted);
}

TEST(ConsentPolicyUpdateTest, ReasksOnlyWidenedPurposes) {
  LedgerHarness h;
  ConsentLedger& ledger = h.ledger();
  ASSERT_OK(ledger.SetPurpose("advertising", kGranted, kUser));
  ASSERT_OK(ledger.SetPurpose("voice_features", kGranted, kUser));
  ASSERT_OK(ledger.SetPurpose("location_features", kDenied, kUser));
  ASSERT_OK(ledger.SetPurpose("academic_research", kDenied, kUser));
  ASSERT_OK(ledger.SetChannel("email", kGranted, kUser));
  auto v2 = UpdatedPolicy();
  ASSERT_NE(v2, nullptr);
  const policy::PolicyDiff diff = policy::DiffPolicies(*h.policy(), *v2);
  ASSERT_TRUE(diff.IsWidened("advertising"));
  RecordingListener listener;
  ledger.AddListener(&listener);
  ASSERT_OK(ledger.ApplyPolicyUpdate(v2, diff));
  ledger.RemoveListener(&listener);
  EXPECT_EQ(listener.generations.size(), 1u);
  ExpectUpdated(h.snapshot());

  ASSERT_OK_AND_ASSIGN(auto history, ledger.History());
  ASSERT_EQ(history.size(), 7u);  // five decisions, then advertising and analytics re-opened
  // In the new policy's purpose order.
  EXPECT_EQ(history[5].subject, "purpose:analytics");
  EXPECT_EQ(history[6].subject, "purpose:advertising");
  for (size_t i = 5; i < 7; ++i) {
    EXPECT_EQ(history[i].state, kUnknown);
    EXPECT_EQ(history[i].source, DecisionSource::kPolicyUpdate);
    EXPECT_EQ(history[i].policy_version, 2u);
    EXPECT_EQ(history[i].policy_hash, v2->hash());
  }
  EXPECT_OK(ledger.Verify());
  // Later decisions are recorded under the new policy.
  ASSERT_OK(ledger.SetPurpose("advertising", kGranted, kUser));
  ASSERT_OK_AND_ASSIGN(history, ledger.History("purpose:advertising"));
  EXPECT_EQ(history.back().policy_version, 2u);
  // A restart with the new policy keeps everything.
  h.Reopen(v2);
  EXPECT_EQ(Purpose(h.snapshot(), "advertising"), kGranted);
  EXPECT_EQ(Purpose(h.snapshot(), "analytics"), kUnknown);
  EXPECT_OK(h.ledger().Verify());
  // A diff for another pair of versions is refused.
  EXPECT_THAT(h.ledger().ApplyPolicyUpdate(v2, diff), StatusIs(StatusCode::kInvalidArgument));
}

TEST(ConsentPolicyUpdateTest, AnUpdateNotAppliedBeforeACrashIsAppliedOnOpen) {
  LedgerHarness h;
  ASSERT_OK(h.ledger().SetPurpose("advertising", kGranted, kUser));
  ASSERT_OK(h.ledger().SetPurpose("voice_features", kGranted, kUser));
  ASSERT_OK(h.ledger().SetPurpose("location_features", kDenied, kUser));
  ASSERT_OK(h.ledger().SetChannel("email", kGranted, kUser));
  // The policy manager switched to v2, then the process died before the ledger heard of it.
  auto v2 = UpdatedPolicy();
  ASSERT_NE(v2, nullptr);
  h.Reopen(v2);
  ExpectUpdated(h.snapshot());
  EXPECT_OK(h.ledger().Verify());
  h.Reopen(v2);
  ASSERT_OK_AND_ASSIGN(auto history, h.ledger().History());
  EXPECT_EQ(history.size(), 6u);  // applied once
}

}  // namespace
}  // namespace tacet::consent
