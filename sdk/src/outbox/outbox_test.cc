#include "outbox/outbox.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "consent/consent_ledger.h"
#include "consent/consent_snapshot.h"
#include "crypto/crypto_test_util.h"
#include "emulator/memory_key_store.h"
#include "emulator/virtual_clock.h"
#include "policy/policy.h"
#include "store/database.h"
#include "store/statement.h"
#include "store/transaction.h"
#include "testing/status_matchers.h"
#include "testing/test_util.h"

namespace tacet::outbox {
namespace {

using consent::ConsentState;
using consent::DecisionSource;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// The consent ledger's steps and then the outbox's, as one schema (the device schema does the same
// with every module).
const store::Schema& TestSchema() {
  static const store::Schema* schema = [] {
    auto* s = new store::Schema{"outbox-test", {}};
    int version = 0;
    for (auto steps : {consent::ConsentMigrations(), OutboxMigrations()}) {
      for (store::Migration m : steps) {
        m.to_version = ++version;
        s->migrations.push_back(m);
      }
    }
    return s;
  }();
  return *schema;
}

Event UsageEvent(std::string value, std::string purpose = "analytics") {
  Event e;
  e.purpose = std::move(purpose);
  e.fields = {{"usage.interaction_events", std::move(value)}};
  e.occurred_unix_ms = 1'700'000'000'000;
  return e;
}

Event VoiceEvent(std::string intent) {
  Event e;
  e.purpose = "voice_features";
  e.fields = {{"voice.voice_commands", std::move(intent)}};
  e.occurred_unix_ms = 1'700'000'000'000;
  return e;
}

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(OutboxOptions options = {}) {
    outbox_.reset();
    ledger_.reset();
    db_.reset();
    store::OpenOptions db_options;
    db_options.schema = &TestSchema();
    ASSERT_OK_AND_ASSIGN(db_, store::Database::Open(path(), db_options));
    ASSERT_OK_AND_ASSIGN(auto policy, policy::Policy::LoadEmbedded());
    ASSERT_OK_AND_ASSIGN(ledger_, consent::ConsentLedger::Open(*db_, policy, clock_, keys_,
                                                               crypto::testing::TestDrbg()));
    ASSERT_OK_AND_ASSIGN(outbox_, Outbox::Open(*db_, keys_, crypto::testing::TestDrbg(), clock_,
                                               options));
    ledger_->SetCommitHook(outbox_.get());
  }

  void GrantVoice() {
    ASSERT_OK(ledger_->SetCategoryProvided("voice", true, DecisionSource::kUser));
    ASSERT_OK(ledger_->SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
  }

  int64_t Count(EventState state) {
    auto events = outbox_->List(state, 1'000'000);
    EXPECT_OK(events);
    return events.ok() ? static_cast<int64_t>(events->size()) : -1;
  }

  std::string path() const { return dir_.File("device.db"); }

  tacet::testing::TempDir dir_;
  platform::VirtualClock clock_;
  platform::MemoryKeyStore keys_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<consent::ConsentLedger> ledger_;
  std::unique_ptr<Outbox> outbox_;
};

TEST_F(OutboxTest, AnEventIsDurableAndOpensAfterAReopen) {
  ASSERT_OK_AND_ASSIGN(int64_t id, outbox_->Enqueue(UsageEvent("played track 42"), EventState::kQueued));
  EXPECT_GT(id, 0);
  ledger_->SetCommitHook(nullptr);
  Open();
  ASSERT_OK_AND_ASSIGN(auto events, outbox_->List(EventState::kQueued, 10));
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].id, id);
  EXPECT_EQ(events[0].event.purpose, "analytics");
  ASSERT_THAT(events[0].event.fields, SizeIs(1));
  EXPECT_EQ(events[0].event.fields[0].key, "usage.interaction_events");
  EXPECT_EQ(events[0].event.fields[0].value, "played track 42");
  EXPECT_EQ(events[0].event.occurred_unix_ms, 1'700'000'000'000);
  EXPECT_EQ(events[0].categories, std::vector<std::string>{"usage"});
}

TEST_F(OutboxTest, NoFieldValueIsOnDiskInPlaintext) {
  const std::string canary = "CANARY-outbox-7f3a9c-personal";
  ASSERT_OK(outbox_->Enqueue(UsageEvent(canary), EventState::kQueued).status());
  ASSERT_OK(db_->Checkpoint(store::CheckpointMode::kTruncate));
  for (const std::string& file : db_->Files()) {
    if (!std::filesystem::exists(file)) continue;  // the -wal after a truncating checkpoint
    const Bytes bytes = tacet::testing::ReadFileOrDie(file);
    const std::string text(bytes.begin(), bytes.end());
    EXPECT_EQ(text.find(canary), std::string::npos) << file;
  }
  // And the test could fail: the value is in what List opens.
  ASSERT_OK_AND_ASSIGN(auto events, outbox_->List(EventState::kQueued, 10));
  EXPECT_EQ(events.at(0).event.fields.at(0).value, canary);
}

TEST_F(OutboxTest, ObjectingToAPurposeDeletesItsQueueInTheSameCommit) {
  ASSERT_OK(outbox_->Enqueue(UsageEvent("a"), EventState::kQueued).status());
  ASSERT_OK(outbox_->Enqueue(UsageEvent("b"), EventState::kQueued).status());
  ASSERT_OK(outbox_->Enqueue(UsageEvent("c", "provide_service"), EventState::kQueued).status());
  ASSERT_OK(ledger_->SetPurpose("analytics", ConsentState::kDenied, DecisionSource::kUser));
  ASSERT_OK_AND_ASSIGN(auto left, outbox_->List(EventState::kQueued, 10));
  ASSERT_THAT(left, SizeIs(1));
  EXPECT_EQ(left[0].event.purpose, "provide_service");
  ASSERT_OK_AND_ASSIGN(OutboxCounts counts, outbox_->Counts());
  EXPECT_EQ(counts.purged_by_consent, 2);
  EXPECT_EQ(counts.queued, 1);
}

// The purge and the revocation are one transaction: when the purge cannot happen, neither does
// the revocation, and when the revocation is rolled back, the queue is as it was.
class FailingAfterOutbox final : public consent::ConsentCommitHook {
 public:
  explicit FailingAfterOutbox(Outbox* outbox) : outbox_(outbox) {}
  Status OnConsentCommitting(store::Database& db, const consent::ConsentSnapshot& next) override {
    TACET_RETURN_IF_ERROR(outbox_->OnConsentCommitting(db, next));
    return UnavailableError("injected: the disk is full");
  }

 private:
  Outbox* outbox_;
};

TEST_F(OutboxTest, ARevocationThatDoesNotCommitPurgesNothing) {
  GrantVoice();
  ASSERT_OK(outbox_->Enqueue(VoiceEvent("play jazz"), EventState::kQueued).status());
  FailingAfterOutbox failing(outbox_.get());
  ledger_->SetCommitHook(&failing);
  const Status revoked =
      ledger_->SetPurpose("voice_features", ConsentState::kDenied, DecisionSource::kUser);
  EXPECT_FALSE(revoked.ok());
  EXPECT_THAT(revoked.message(), HasSubstr("the disk is full"));
  EXPECT_EQ(ledger_->snapshot().purpose(ledger_->snapshot().PurposeIndex("voice_features")),
            ConsentState::kGranted);
  EXPECT_EQ(Count(EventState::kQueued), 1);
  ASSERT_OK_AND_ASSIGN(OutboxCounts counts, outbox_->Counts());
  EXPECT_EQ(counts.purged_by_consent, 0);  // the counter rolled back with the delete

  ledger_->SetCommitHook(outbox_.get());
  ASSERT_OK(ledger_->SetPurpose("voice_features", ConsentState::kDenied, DecisionSource::kUser));
  EXPECT_EQ(Count(EventState::kQueued), 0);
}

TEST_F(OutboxTest, DecliningAnOptionalCategoryDeletesEventsCarryingIt) {
  GrantVoice();
  ASSERT_OK(outbox_->Enqueue(VoiceEvent("next song"), EventState::kQueued).status());
  ASSERT_OK(outbox_->Enqueue(UsageEvent("kept"), EventState::kQueued).status());
  ASSERT_OK(ledger_->SetCategoryProvided("voice", false, DecisionSource::kUser));
  ASSERT_OK_AND_ASSIGN(auto left, outbox_->List(EventState::kQueued, 10));
  ASSERT_THAT(left, SizeIs(1));
  EXPECT_EQ(left[0].event.fields[0].value, "kept");
}

TEST_F(OutboxTest, HeldEventsWaitForTheirQuestionAndLeaveOnlyWhenGranted) {
  // voice_features has not been asked: the recorder holds such events.
  ASSERT_OK(outbox_->Enqueue(VoiceEvent("held 1"), EventState::kHeld).status());
  ASSERT_OK(outbox_->Enqueue(VoiceEvent("held 2"), EventState::kHeld).status());
  // An unrelated change keeps them held.
  ASSERT_OK(ledger_->SetChannel("email", ConsentState::kGranted, DecisionSource::kUser));
  EXPECT_EQ(Count(EventState::kHeld), 2);
  // Providing the category alone is not enough: the purpose is still not asked.
  ASSERT_OK(ledger_->SetCategoryProvided("voice", true, DecisionSource::kUser));
  EXPECT_EQ(Count(EventState::kHeld), 2);
  EXPECT_EQ(Count(EventState::kQueued), 0);
  ASSERT_OK(ledger_->SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
  EXPECT_EQ(Count(EventState::kHeld), 0);
  EXPECT_EQ(Count(EventState::kQueued), 2);
  ASSERT_OK_AND_ASSIGN(OutboxCounts counts, outbox_->Counts());
  EXPECT_EQ(counts.released, 2);
}

TEST_F(OutboxTest, HeldEventsArePurgedWhenTheAnswerIsNo) {
  ASSERT_OK(outbox_->Enqueue(VoiceEvent("held"), EventState::kHeld).status());
  ASSERT_OK(ledger_->SetPurpose("voice_features", ConsentState::kDenied, DecisionSource::kUser));
  EXPECT_EQ(Count(EventState::kHeld), 0);
  EXPECT_EQ(Count(EventState::kQueued), 0);
  ASSERT_OK_AND_ASSIGN(OutboxCounts counts, outbox_->Counts());
  EXPECT_EQ(counts.purged_by_consent, 1);
}

TEST_F(OutboxTest, TheCapEvictsTheOldestQueuedEventFirstAndCountsIt) {
  Open(OutboxOptions{3});
  ASSERT_OK(outbox_->Enqueue(VoiceEvent("held, kept"), EventState::kHeld).status());
  ASSERT_OK(outbox_->Enqueue(UsageEvent("oldest"), EventState::kQueued).status());
  ASSERT_OK(outbox_->Enqueue(UsageEvent("middle"), EventState::kQueued).status());
  ASSERT_OK(outbox_->Enqueue(UsageEvent("newest"), EventState::kQueued).status());
  ASSERT_OK_AND_ASSIGN(auto queued, outbox_->List(EventState::kQueued, 10));
  ASSERT_THAT(queued, SizeIs(2));
  EXPECT_EQ(queued[0].event.fields[0].value, "middle");
  EXPECT_EQ(queued[1].event.fields[0].value, "newest");
  EXPECT_EQ(Count(EventState::kHeld), 1);
  ASSERT_OK_AND_ASSIGN(OutboxCounts counts, outbox_->Counts());
  EXPECT_EQ(counts.evicted, 1);
  // The cap reads a row count kept by triggers; it must agree with the table after inserts,
  // evictions, purges and erasures.
  ASSERT_OK(ledger_->SetPurpose("voice_features", ConsentState::kDenied, DecisionSource::kUser));
  ASSERT_OK(outbox_->EraseCategories({"usage"}, false).status());
  ASSERT_OK(outbox_->Enqueue(UsageEvent("after"), EventState::kQueued).status());
  ASSERT_OK_AND_ASSIGN(auto q, db_->Prepare("SELECT (SELECT value FROM outbox_counters WHERE name "
                                            "= 'size'), (SELECT count(*) FROM outbox_events)"));
  ASSERT_OK_AND_ASSIGN(bool row, q.Step());
  ASSERT_TRUE(row);
  EXPECT_EQ(q.ColumnInt64(0), 1);
  EXPECT_EQ(q.ColumnInt64(1), 1);
}

TEST_F(OutboxTest, ErasureDeletesExactlyTheEventsCarryingTheCategory) {
  GrantVoice();
  ASSERT_OK(outbox_->Enqueue(VoiceEvent("voice"), EventState::kQueued).status());
  Event both = VoiceEvent("both");
  both.fields.push_back({"usage.interaction_events", "tap"});
  ASSERT_OK(outbox_->Enqueue(both, EventState::kQueued).status());
  ASSERT_OK(outbox_->Enqueue(UsageEvent("usage only"), EventState::kQueued).status());
  ASSERT_OK_AND_ASSIGN(int64_t erased, outbox_->EraseCategories({"voice"}, false));
  EXPECT_EQ(erased, 2);
  ASSERT_OK_AND_ASSIGN(auto left, outbox_->List(EventState::kQueued, 10));
  ASSERT_THAT(left, SizeIs(1));
  EXPECT_EQ(left[0].event.fields[0].value, "usage only");
  // "usage" must not match a category merely containing the word.
  ASSERT_OK_AND_ASSIGN(erased, outbox_->EraseCategories({"usag"}, false));
  EXPECT_EQ(erased, 0);
  ASSERT_OK_AND_ASSIGN(erased, outbox_->EraseCategories({}, true));
  EXPECT_EQ(erased, 1);
  ASSERT_OK_AND_ASSIGN(OutboxCounts counts, outbox_->Counts());
  EXPECT_EQ(counts.erased, 3);
}

TEST_F(OutboxTest, ARowThatDoesNotOpenIsQuarantinedNotFatalAndNotDeleted) {
  ASSERT_OK_AND_ASSIGN(int64_t moved, outbox_->Enqueue(UsageEvent("moved"), EventState::kQueued));
  ASSERT_OK_AND_ASSIGN(int64_t good, outbox_->Enqueue(UsageEvent("good"), EventState::kQueued));
  ASSERT_OK_AND_ASSIGN(int64_t altered, outbox_->Enqueue(UsageEvent("alt"), EventState::kQueued));
  ASSERT_OK(db_->Exec("UPDATE outbox_events SET purpose = 'provide_service' WHERE id = " +
                      std::to_string(moved)));
  ASSERT_OK(db_->Exec("UPDATE outbox_events SET sealed = "
                      "CAST(substr(sealed, 1, length(sealed) - 1) || x'00' AS BLOB) WHERE id = " +
                      std::to_string(altered)));
  // Both bad rows are skipped and reported; the good one is read; later reads keep working.
  std::vector<int64_t> quarantined;
  ASSERT_OK_AND_ASSIGN(auto events, outbox_->List(EventState::kQueued, 10, &quarantined));
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].id, good);
  EXPECT_EQ(quarantined, (std::vector<int64_t>{moved, altered}));
  quarantined.clear();
  ASSERT_OK_AND_ASSIGN(events, outbox_->List(EventState::kQueued, 10, &quarantined));
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_THAT(quarantined, IsEmpty());  // skipped from now on, reported once
  ASSERT_OK_AND_ASSIGN(auto unbatched, outbox_->ListUnbatched(10));
  ASSERT_THAT(unbatched, SizeIs(1));
  EXPECT_EQ(unbatched[0].id, good);
  ASSERT_OK_AND_ASSIGN(OutboxCounts counts, outbox_->Counts());
  EXPECT_EQ(counts.quarantined, 2);  // counted once per row
  // Kept, not deleted.
  ASSERT_OK_AND_ASSIGN(auto q, db_->Prepare("SELECT count(*) FROM outbox_events WHERE "
                                            "quarantined = 1"));
  ASSERT_OK_AND_ASSIGN(bool row, q.Step());
  ASSERT_TRUE(row);
  EXPECT_EQ(q.ColumnInt64(0), 2);
}

TEST_F(OutboxTest, EnqueueManyStoresAllInOneTransactionInOrder) {
  const Event a = UsageEvent("a"), b = VoiceEvent("b"), c = UsageEvent("c");
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> ids,
                       outbox_->EnqueueMany({{&a, EventState::kQueued}, {&b, EventState::kHeld},
                                             {&c, EventState::kQueued}}));
  ASSERT_THAT(ids, SizeIs(3));
  EXPECT_LT(ids[0], ids[1]);
  EXPECT_LT(ids[1], ids[2]);
  ASSERT_OK_AND_ASSIGN(auto queued, outbox_->List(EventState::kQueued, 10));
  ASSERT_THAT(queued, SizeIs(2));
  EXPECT_EQ(queued[0].event.fields[0].value, "a");
  EXPECT_EQ(queued[1].event.fields[0].value, "c");
  EXPECT_EQ(Count(EventState::kHeld), 1);
}

TEST_F(OutboxTest, EnqueueManyIsAllOrNothing) {
  ASSERT_OK(outbox_->Enqueue(UsageEvent("before"), EventState::kQueued).status());
  const Event a = UsageEvent("a"), bad = UsageEvent("v", "");
  // A shape error of one item: nothing stored, the item named.
  EXPECT_THAT(outbox_->EnqueueMany({{&a, EventState::kQueued}, {&bad, EventState::kQueued}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("event 1 of the batch")));
  EXPECT_EQ(Count(EventState::kQueued), 1);
  // A store error on the third insert (a failing statement): the first two are not kept either.
  ASSERT_OK(db_->Exec("CREATE TEMP TRIGGER fail_third BEFORE INSERT ON outbox_events WHEN "
                      "NEW.occurred_unix_ms = 3 BEGIN SELECT RAISE(ABORT, 'disk full'); END"));
  Event e1 = UsageEvent("1"), e2 = UsageEvent("2"), e3 = UsageEvent("3");
  e1.occurred_unix_ms = 1;
  e2.occurred_unix_ms = 2;
  e3.occurred_unix_ms = 3;
  EXPECT_FALSE(outbox_->EnqueueMany({{&e1, EventState::kQueued}, {&e2, EventState::kQueued},
                                     {&e3, EventState::kQueued}})
                   .ok());
  ASSERT_OK_AND_ASSIGN(auto left, outbox_->List(EventState::kQueued, 10));
  ASSERT_THAT(left, SizeIs(1));
  EXPECT_EQ(left[0].event.fields[0].value, "before");
  // The cached statements still work after the failure.
  ASSERT_OK(db_->Exec("DROP TRIGGER fail_third"));
  ASSERT_OK(outbox_->EnqueueMany({{&e1, EventState::kQueued}, {&e3, EventState::kQueued}}).status());
  EXPECT_EQ(Count(EventState::kQueued), 3);
  ASSERT_OK_AND_ASSIGN(auto q, db_->Prepare("SELECT value FROM outbox_counters WHERE name = 'size'"));
  ASSERT_OK_AND_ASSIGN(bool row, q.Step());
  ASSERT_TRUE(row);
  EXPECT_EQ(q.ColumnInt64(0), 3);
}

TEST_F(OutboxTest, EnqueueManyEvictsAtTheCapAndCountsIt) {
  Open(OutboxOptions{2});
  const Event a = UsageEvent("a"), b = UsageEvent("b"), c = UsageEvent("c");
  ASSERT_OK(outbox_->EnqueueMany({{&a, EventState::kQueued}, {&b, EventState::kQueued},
                                  {&c, EventState::kQueued}})
                .status());
  ASSERT_OK_AND_ASSIGN(auto queued, outbox_->List(EventState::kQueued, 10));
  ASSERT_THAT(queued, SizeIs(2));
  EXPECT_EQ(queued[0].event.fields[0].value, "b");
  ASSERT_OK_AND_ASSIGN(OutboxCounts counts, outbox_->Counts());
  EXPECT_EQ(counts.evicted, 1);
}

TEST_F(OutboxTest, WithNothingQueuedTheCapEvictsTheOldestHeldEvent) {
  Open(OutboxOptions{2});
  ASSERT_OK(outbox_->Enqueue(VoiceEvent("held oldest"), EventState::kHeld).status());
  ASSERT_OK(outbox_->Enqueue(VoiceEvent("held newer"), EventState::kHeld).status());
  ASSERT_OK(outbox_->Enqueue(UsageEvent("queued"), EventState::kQueued).status());
  ASSERT_OK_AND_ASSIGN(auto held, outbox_->List(EventState::kHeld, 10));
  ASSERT_THAT(held, SizeIs(1));
  EXPECT_EQ(held[0].event.fields[0].value, "held newer");
  EXPECT_EQ(Count(EventState::kQueued), 1);
  ASSERT_OK_AND_ASSIGN(OutboxCounts counts, outbox_->Counts());
  EXPECT_EQ(counts.evicted, 1);
}

TEST_F(OutboxTest, AConsentChangeReachesEveryGroupPastTheFirst) {
  // Three queued usage events (one group, first in index order), then two held groups of voice:
  // the loose scan must step over the first group's rows to each later group.
  for (const char* v : {"1", "2", "3"}) {
    ASSERT_OK(outbox_->Enqueue(UsageEvent(v), EventState::kQueued).status());
  }
  ASSERT_OK(outbox_->Enqueue(VoiceEvent("held a"), EventState::kHeld).status());
  ASSERT_OK(outbox_->Enqueue(VoiceEvent("held b"), EventState::kHeld).status());
  Event two = VoiceEvent("held two categories");
  two.purpose = "voice_features";
  two.fields.push_back({"usage.interaction_events", "tap"});
  ASSERT_OK(outbox_->Enqueue(two, EventState::kHeld).status());
  ASSERT_OK(ledger_->SetPurpose("voice_features", ConsentState::kDenied, DecisionSource::kUser));
  EXPECT_EQ(Count(EventState::kHeld), 0);
  EXPECT_EQ(Count(EventState::kQueued), 3);
  ASSERT_OK_AND_ASSIGN(OutboxCounts counts, outbox_->Counts());
  EXPECT_EQ(counts.purged_by_consent, 3);
}

// The hook runs at every Agent open: its cost must follow the number of (purpose, categories,
// state) groups, not the number of events queued in them. Counted in SQLite VM instructions, which
// do not depend on the machine: a statement that walks the rows of a group runs some per row.
TEST_F(OutboxTest, TheConsentHookCostsTheGroupsNotTheQueuedEvents) {
  const auto hook_cost = [this]() -> int64_t {
    auto txn = store::Transaction::Begin(*db_, store::Durability::kCritical);
    EXPECT_OK(txn);
    if (!txn.ok()) return -1;
    db_->StartCountingVmInstructions();
    EXPECT_OK(outbox_->OnConsentCommitting(*db_, ledger_->snapshot()));
    const int64_t cost = db_->vm_instructions_counted();
    EXPECT_OK(txn->Commit());
    return cost;
  };
  const auto enqueue = [this](int n) {
    std::vector<Event> events;
    for (int i = 0; i < n; ++i) events.push_back(UsageEvent("tap " + std::to_string(i)));
    std::vector<EnqueueItem> items;
    for (const Event& e : events) items.push_back({&e, EventState::kQueued});
    ASSERT_OK(outbox_->EnqueueMany(items).status());
  };
  // Two groups: queued usage events (first in index order, and the one that grows), then held
  // voice events (waiting for their question: kept).
  enqueue(10);
  ASSERT_OK(outbox_->Enqueue(VoiceEvent("held a"), EventState::kHeld).status());
  ASSERT_OK(outbox_->Enqueue(VoiceEvent("held b"), EventState::kHeld).status());
  const int64_t with_few = hook_cost();
  ASSERT_GT(with_few, 0);
  enqueue(5000);
  const int64_t with_many = hook_cost();
  // Nothing changed: the groups are kept, nothing purged or released.
  EXPECT_EQ(Count(EventState::kQueued), 5010);
  EXPECT_EQ(Count(EventState::kHeld), 2);
  // 5,000 more rows in the first group cost (next to) nothing more; walking them would cost
  // several instructions each.
  EXPECT_LE(with_many, with_few + 100) << "with 10 queued: " << with_few
                                       << " instructions; with 5,010: " << with_many;
}

TEST_F(OutboxTest, ExpiryDeletesEventsPastTheirCategoriesRetentionAndCountsIt) {
  const int64_t day = 86'400'000;
  ASSERT_OK(outbox_->Enqueue(VoiceEvent("old held"), EventState::kHeld).status());
  ASSERT_OK(outbox_->Enqueue(UsageEvent("old queued"), EventState::kQueued).status());
  clock_.AdvanceBy(20 * day);
  ASSERT_OK(outbox_->Enqueue(UsageEvent("new"), EventState::kQueued).status());
  const std::map<std::string, int64_t> retention = {{"voice", 30 * day}, {"usage", 25 * day}};
  // Nothing has reached its retention yet.
  ASSERT_OK_AND_ASSIGN(int64_t expired, outbox_->ExpireEvents(retention, clock_.NowUnixMillis()));
  EXPECT_EQ(expired, 0);
  clock_.AdvanceBy(6 * day);  // 26 days: the old usage event is past 25, the voice one not past 30
  ASSERT_OK_AND_ASSIGN(expired, outbox_->ExpireEvents(retention, clock_.NowUnixMillis()));
  EXPECT_EQ(expired, 1);
  ASSERT_OK_AND_ASSIGN(auto queued, outbox_->List(EventState::kQueued, 10));
  ASSERT_THAT(queued, SizeIs(1));
  EXPECT_EQ(queued[0].event.fields[0].value, "new");
  EXPECT_EQ(Count(EventState::kHeld), 1);
  clock_.AdvanceBy(5 * day);
  ASSERT_OK_AND_ASSIGN(expired, outbox_->ExpireEvents(retention, clock_.NowUnixMillis()));
  EXPECT_EQ(expired, 1);  // the held voice event
  EXPECT_EQ(Count(EventState::kHeld), 0);
  // No retention (absent or 0): kept.
  clock_.AdvanceBy(1000 * day);
  ASSERT_OK_AND_ASSIGN(expired, outbox_->ExpireEvents({{"usage", 0}}, clock_.NowUnixMillis()));
  EXPECT_EQ(expired, 0);
  ASSERT_OK_AND_ASSIGN(OutboxCounts counts, outbox_->Counts());
  EXPECT_EQ(counts.expired, 2);
  EXPECT_EQ(counts.queued, 1);
}

TEST_F(OutboxTest, RefusalsAreCountedByReason) {
  ASSERT_OK(outbox_->CountRefusals({"purpose_refused", "unknown_field", "purpose_refused"}));
  ASSERT_OK(outbox_->CountRefusal("raw_audio"));
  ASSERT_OK(outbox_->CountRefusal());
  ASSERT_OK_AND_ASSIGN(OutboxCounts counts, outbox_->Counts());
  EXPECT_EQ(counts.refused, 5);
  EXPECT_EQ(counts.refused_by_reason,
            (std::map<std::string, int64_t>{
                {"purpose_refused", 2}, {"raw_audio", 1}, {"unknown_field", 1}}));
}

TEST_F(OutboxTest, MalformedEventsAreRefusedNamingTheProblem) {
  Event none;
  none.purpose = "analytics";
  EXPECT_THAT(outbox_->Enqueue(none, EventState::kQueued),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("1 to 64 fields")));
  Event bad_key = UsageEvent("v");
  bad_key.fields[0].key = "nodot";
  EXPECT_THAT(outbox_->Enqueue(bad_key, EventState::kQueued),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("'nodot'")));
  Event big = UsageEvent(std::string(kMaxValueBytes + 1, 'x'));
  EXPECT_THAT(outbox_->Enqueue(big, EventState::kQueued),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("16384-byte limit")));
  Event no_purpose = UsageEvent("v", "");
  EXPECT_THAT(outbox_->Enqueue(no_purpose, EventState::kQueued),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(outbox_->Enqueue(UsageEvent("v"), static_cast<EventState>(7)),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(Count(EventState::kQueued), 0);
}

TEST_F(OutboxTest, AnAllZeroOrShortKeyIsRefused) {
  ASSERT_OK(keys_.Delete(kOutboxKeyName));
  ASSERT_OK(keys_.Put(kOutboxKeyName, Bytes(32, 0)));
  EXPECT_THAT(Outbox::Open(*db_, keys_, crypto::testing::TestDrbg(), clock_),
              StatusIs(StatusCode::kDataLoss));
  ASSERT_OK(keys_.Delete(kOutboxKeyName));
  ASSERT_OK(keys_.Put(kOutboxKeyName, Bytes(16, 1)));
  EXPECT_THAT(Outbox::Open(*db_, keys_, crypto::testing::TestDrbg(), clock_),
              StatusIs(StatusCode::kDataLoss));
}


// Finding 1: the cap never evicts an event in a batch, and a revocation purges batches found in
// outbox_batches itself, even when their events are gone.
NewBatch OneEventBatch(int64_t event_id, uint8_t id_byte) {
  NewBatch b;
  b.batch_id = Bytes(16, id_byte);
  b.recipient = "controller";
  b.purpose = "analytics";
  b.categories = {"usage"};
  b.forms = {"none"};
  b.event_ids = {event_id};
  b.wire = Bytes{1, 2, 3};
  return b;
}

TEST_F(OutboxTest, TheCapNeverEvictsAnEventInABatchAndARevocationPurgesTheBatch) {
  Open(OutboxOptions{2});
  ASSERT_OK(ledger_->SetPurpose("analytics", ConsentState::kGranted, DecisionSource::kUser));
  ASSERT_OK_AND_ASSIGN(int64_t a, outbox_->Enqueue(UsageEvent("a"), EventState::kQueued));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store::Transaction::Begin(*db_, store::Durability::kNormal));
    ASSERT_OK(outbox_->StoreBatchInTransaction(OneEventBatch(a, 7)));
    ASSERT_OK(outbox_->MarkBatchedInTransaction({a}));
    ASSERT_OK(txn.Commit());
  }
  ASSERT_OK(outbox_->Enqueue(UsageEvent("b", "provide_service"), EventState::kQueued).status());
  ASSERT_OK(outbox_->Enqueue(UsageEvent("c", "provide_service"), EventState::kQueued).status());
  ASSERT_OK_AND_ASSIGN(OutboxCounts c0, outbox_->Counts());
  EXPECT_EQ(c0.evicted, 1);  // "b", not the batched "a"
  ASSERT_OK_AND_ASSIGN(auto queued, outbox_->List(EventState::kQueued, 10));
  std::vector<std::string> values;
  for (const StoredEvent& e : queued) values.push_back(e.event.fields[0].value);
  EXPECT_THAT(values, ::testing::ElementsAre("a", "c"));
  ASSERT_OK(ledger_->SetPurpose("analytics", ConsentState::kDenied, DecisionSource::kUser));
  ASSERT_OK_AND_ASSIGN(auto batches, outbox_->ListBatches());
  EXPECT_THAT(batches, IsEmpty()) << "the analytics batch survived the revocation";
  ASSERT_OK_AND_ASSIGN(OutboxCounts c1, outbox_->Counts());
  EXPECT_EQ(c1.batches_purged, 1);
}

TEST_F(OutboxTest, ARevocationPurgesABatchWhoseEventsAreGoneAndLogsAnAttemptedOne) {
  Open();
  ASSERT_OK(ledger_->SetPurpose("analytics", ConsentState::kGranted, DecisionSource::kUser));
  ASSERT_OK_AND_ASSIGN(int64_t a, outbox_->Enqueue(UsageEvent("a"), EventState::kQueued));
  ASSERT_OK_AND_ASSIGN(int64_t b, outbox_->Enqueue(UsageEvent("b"), EventState::kQueued));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store::Transaction::Begin(*db_, store::Durability::kNormal));
    ASSERT_OK(outbox_->StoreBatchInTransaction(OneEventBatch(a, 7)));
    ASSERT_OK(outbox_->StoreBatchInTransaction(OneEventBatch(b, 8)));
    ASSERT_OK(outbox_->MarkBatchedInTransaction({a, b}));
    ASSERT_OK(outbox_->RecordAttemptInTransaction(Bytes(16, 8), 1000, 2000));
    ASSERT_OK(txn.Commit());
  }
  // The events go some other way (as an older eviction did): the batches stay.
  ASSERT_OK(db_->Exec("DELETE FROM outbox_events"));
  ASSERT_OK(ledger_->SetPurpose("analytics", ConsentState::kDenied, DecisionSource::kUser));
  ASSERT_OK_AND_ASSIGN(auto batches, outbox_->ListBatches());
  EXPECT_THAT(batches, IsEmpty());
  std::vector<SharingEntry> log;
  ASSERT_OK(outbox_->ForEachSharingEntry([&log](const SharingEntry& e) {
    log.push_back(e);
    return OkStatus();
  }));
  ASSERT_EQ(log.size(), 1u);  // only the attempted one
  EXPECT_EQ(log[0].batch_id, Bytes(16, 8));
  EXPECT_EQ(log[0].outcome, "withdrawn");
  EXPECT_EQ(log[0].attempts, 1);
}

// Migration 4 dropped the per-row insert trigger: Enqueue and EnqueueMany add their inserts to
// the stored size once per transaction, and the delete trigger takes every deletion off it. The
// cap reads that size, so it must equal the table's row count after every kind of change.
TEST_F(OutboxTest, TheStoredSizeEqualsTheRowCountAfterEveryChange) {
  Open(OutboxOptions{5});
  const auto expect_size_is_row_count = [this](const char* after) {
    ASSERT_OK_AND_ASSIGN(auto q, db_->Prepare("SELECT (SELECT value FROM outbox_counters WHERE "
                                              "name = 'size'), (SELECT count(*) FROM "
                                              "outbox_events)"));
    ASSERT_OK_AND_ASSIGN(bool row, q.Step());
    ASSERT_TRUE(row);
    EXPECT_EQ(q.ColumnInt64(0), q.ColumnInt64(1)) << "after " << after;
  };
  ASSERT_OK(outbox_->Enqueue(VoiceEvent("held"), EventState::kHeld).status());
  ASSERT_OK_AND_ASSIGN(int64_t first,
                       outbox_->Enqueue(UsageEvent("first"), EventState::kQueued));
  expect_size_is_row_count("Enqueue");
  std::vector<Event> events;
  for (int i = 0; i < 7; ++i) events.push_back(UsageEvent("many " + std::to_string(i)));
  std::vector<EnqueueItem> items;
  for (const Event& e : events) items.push_back({&e, EventState::kQueued});
  ASSERT_OK(outbox_->EnqueueMany(items).status());  // 9 inserts at a cap of 5: 4 evicted
  expect_size_is_row_count("EnqueueMany past the cap");
  ASSERT_OK_AND_ASSIGN(OutboxCounts counts, outbox_->Counts());
  EXPECT_EQ(counts.evicted, 4);
  EXPECT_EQ(counts.queued + counts.held, 5);
  // A transaction that fails after evicting and inserting keeps neither the rows nor the count.
  ASSERT_OK(db_->Exec("CREATE TEMP TRIGGER fail_last BEFORE INSERT ON outbox_events WHEN "
                      "NEW.occurred_unix_ms = 2 BEGIN SELECT RAISE(ABORT, 'disk full'); END"));
  Event ok = UsageEvent("ok"), failing = UsageEvent("fails");
  failing.occurred_unix_ms = 2;
  EXPECT_FALSE(outbox_->EnqueueMany({{&ok, EventState::kQueued}, {&failing, EventState::kQueued}})
                   .ok());
  ASSERT_OK(db_->Exec("DROP TRIGGER fail_last"));
  expect_size_is_row_count("a failed EnqueueMany");
  ASSERT_OK_AND_ASSIGN(counts, outbox_->Counts());
  EXPECT_EQ(counts.evicted, 4);
  // An acknowledged batch takes its event with it.
  Open(OutboxOptions{5});
  ASSERT_OK_AND_ASSIGN(auto queued, outbox_->List(EventState::kQueued, 1));
  ASSERT_THAT(queued, SizeIs(1));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store::Transaction::Begin(*db_, store::Durability::kNormal));
    ASSERT_OK(outbox_->StoreBatchInTransaction(OneEventBatch(queued[0].id, 9)));
    ASSERT_OK(outbox_->MarkBatchedInTransaction({queued[0].id}));
    ASSERT_OK(outbox_->AcknowledgeInTransaction(Bytes(16, 9), 1000, "ok").status());
    ASSERT_OK(txn.Commit());
  }
  expect_size_is_row_count("an acknowledgement");
  ASSERT_OK(ledger_->SetPurpose("voice_features", ConsentState::kDenied, DecisionSource::kUser));
  expect_size_is_row_count("a revocation");
  clock_.AdvanceBy(40LL * 86'400'000);
  ASSERT_OK(outbox_->Enqueue(UsageEvent("recent"), EventState::kQueued).status());
  ASSERT_OK_AND_ASSIGN(int64_t expired,
                       outbox_->ExpireEvents({{"usage", 30LL * 86'400'000}}, clock_.NowUnixMillis()));
  EXPECT_GT(expired, 0);
  expect_size_is_row_count("expiry");
  ASSERT_OK(outbox_->EraseCategories({}, /*everything=*/true).status());
  expect_size_is_row_count("erasing everything");
  ASSERT_OK_AND_ASSIGN(counts, outbox_->Counts());
  EXPECT_EQ(counts.queued + counts.held, 0);
  EXPECT_GT(first, 0);
}

// A database at outbox step 3 (size kept by the insert trigger) keeps its size through step 4,
// which drops the trigger; inserts after it are counted by the outbox itself.
TEST(OutboxMigrationTest, StepFourKeepsTheSizeOfAQueueStoredBeforeIt) {
  tacet::testing::TempDir dir;
  const store::Schema& full = TestSchema();
  store::Schema before_step_4{"outbox-test", full.migrations};
  before_step_4.migrations.pop_back();
  ASSERT_EQ(full.migrations.back().description,
            std::string("outbox: the queue's size is added once per transaction, not by a "
                        "trigger per row"));
  store::OpenOptions options;
  options.schema = &before_step_4;
  {
    ASSERT_OK_AND_ASSIGN(auto db, store::Database::Open(dir.File("device.db"), options));
    ASSERT_OK(db->Exec("INSERT INTO outbox_events (purpose, categories, state, occurred_unix_ms, "
                       "recorded_unix_ms, nonce, sealed) VALUES ('analytics', ',usage,', 1, 1, 1, "
                       "zeroblob(12), x'00'), ('analytics', ',usage,', 1, 2, 2, zeroblob(12), "
                       "x'00')"));
  }
  options.schema = &full;
  ASSERT_OK_AND_ASSIGN(auto db, store::Database::Open(dir.File("device.db"), options));
  const auto size_and_rows = [&db]() -> std::pair<int64_t, int64_t> {
    auto q = db->Prepare("SELECT (SELECT value FROM outbox_counters WHERE name = 'size'), "
                         "(SELECT count(*) FROM outbox_events)");
    EXPECT_OK(q);
    if (!q.ok()) return {-1, -1};
    auto row = q->Step();
    EXPECT_OK(row);
    return {q->ColumnInt64(0), q->ColumnInt64(1)};
  };
  EXPECT_EQ(size_and_rows(), std::make_pair(int64_t{2}, int64_t{2}));
  ASSERT_OK_AND_ASSIGN(auto trigger, db->Prepare("SELECT count(*) FROM sqlite_schema WHERE type = "
                                                 "'trigger' AND name = 'outbox_events_size_up'"));
  ASSERT_OK_AND_ASSIGN(bool row, trigger.Step());
  ASSERT_TRUE(row);
  EXPECT_EQ(trigger.ColumnInt64(0), 0) << "the per-row insert trigger is still there";
  platform::VirtualClock clock;
  platform::MemoryKeyStore keys;
  ASSERT_OK_AND_ASSIGN(auto outbox, Outbox::Open(*db, keys, crypto::testing::TestDrbg(), clock));
  ASSERT_OK(outbox->Enqueue(UsageEvent("after the step"), EventState::kQueued).status());
  EXPECT_EQ(size_and_rows(), std::make_pair(int64_t{3}, int64_t{3}));
}

}  // namespace
}  // namespace tacet::outbox
