// Agent::Record on an emulated device: the recorder's one decision, hold-until-decided, and the
// outbox following the user's choices (revocation, erasure) through the Agent.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>
#include <string>

#include "agent/agent.h"
#include "testing/device_harness.h"
#include "testing/status_matchers.h"

namespace tacet::agent {
namespace {

using consent::ConsentState;
using consent::DecisionSource;
using ::testing::HasSubstr;

outbox::Event Voice(std::string intent) {
  outbox::Event e;
  e.purpose = "voice_features";
  e.fields = {{"voice.voice_commands", std::move(intent)}};
  e.occurred_unix_ms = 1'700'000'000'000;
  return e;
}

outbox::Event Usage(std::string what, std::string purpose = "analytics") {
  outbox::Event e;
  e.purpose = std::move(purpose);
  e.fields = {{"usage.interaction_events", std::move(what)}};
  e.occurred_unix_ms = 1'700'000'000'000;
  return e;
}

class RecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agent_ = h_.agent();
    ASSERT_NE(agent_, nullptr);
  }
  void Reopen() {
    h_.Reopen();
    SetUp();
  }

  outbox::OutboxCounts Counts() {
    auto counts = agent_->RecordCounts();
    EXPECT_OK(counts.status());
    return counts.ok() ? *counts : outbox::OutboxCounts{};
  }

  tacet::testing::DeviceHarness h_;
  Agent* agent_ = nullptr;
};

TEST_F(RecordTest, NothingIsStoredForAPurposeTheUserHasNotGranted) {
  // Never asked about voice: refused, nothing stored, counted, and the reason named.
  EXPECT_THAT(agent_->Record(Voice("play jazz")),
              StatusIs(StatusCode::kPermissionDenied,
                       HasSubstr("purpose 'voice_features': category 'voice'")));
  ASSERT_OK(agent_->SetCategoryProvided("voice", true, DecisionSource::kUser));
  ASSERT_OK(agent_->SetPurpose("voice_features", ConsentState::kDenied, DecisionSource::kUser));
  EXPECT_THAT(agent_->Record(Voice("play jazz")),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("purpose_refused")));
  outbox::OutboxCounts counts = Counts();
  EXPECT_EQ(counts.queued + counts.held, 0);
  EXPECT_EQ(counts.refused, 2);
  // Granted: stored.
  ASSERT_OK(agent_->SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
  ASSERT_OK_AND_ASSIGN(RecordResult r, agent_->Record(Voice("play jazz")));
  EXPECT_FALSE(r.held);
  EXPECT_EQ(Counts().queued, 1);
}

TEST_F(RecordTest, ALegalObligationIsNoReasonToRecord) {
  EXPECT_THAT(agent_->Record(Usage("report", "legal_obligation")),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("not_a_collection_basis")));
  EXPECT_EQ(Counts().queued, 0);
}

TEST_F(RecordTest, UnknownPurposesAndFieldsAreRefusedByName) {
  EXPECT_THAT(agent_->Record(Usage("x", "selling_to_brokers")),
              StatusIs(StatusCode::kNotFound, HasSubstr("no such purpose")));
  outbox::Event e = Usage("x");
  e.fields[0].key = "usage.heartbeat";
  EXPECT_THAT(agent_->Record(e), StatusIs(StatusCode::kNotFound, HasSubstr("'usage.heartbeat'")));
  EXPECT_EQ(Counts().refused, 2);
}

TEST_F(RecordTest, HeldUntilDecidedThenReleasedByAGrant) {
  ASSERT_OK_AND_ASSIGN(RecordResult r, agent_->Record(Voice("wake"), /*hold_if_undecided=*/true));
  EXPECT_TRUE(r.held);
  EXPECT_EQ(Counts().held, 1);
  ASSERT_OK(agent_->SetCategoryProvided("voice", true, DecisionSource::kUser));
  ASSERT_OK(agent_->SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
  outbox::OutboxCounts counts = Counts();
  EXPECT_EQ(counts.held, 0);
  EXPECT_EQ(counts.queued, 1);
  EXPECT_EQ(counts.released, 1);
}

TEST_F(RecordTest, HeldEventsArePurgedByARefusalAndARefusedPurposeIsNeverHeld) {
  ASSERT_OK(agent_->Record(Voice("wake"), true).status());
  ASSERT_OK(agent_->SetPurpose("voice_features", ConsentState::kDenied, DecisionSource::kUser));
  EXPECT_EQ(Counts().held, 0);
  EXPECT_EQ(Counts().purged_by_consent, 1);
  // Refused is an answer: holding is for questions not yet asked.
  EXPECT_THAT(agent_->Record(Voice("again"), true), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_EQ(Counts().held, 0);
}

TEST_F(RecordTest, RevocationEmptiesTheQueueOfItsPurposeAndAReopenAgrees) {
  ASSERT_OK(agent_->SetCategoryProvided("voice", true, DecisionSource::kUser));
  ASSERT_OK(agent_->SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
  for (int i = 0; i < 5; ++i) ASSERT_OK(agent_->Record(Voice("cmd " + std::to_string(i))).status());
  ASSERT_OK(agent_->Record(Usage("tap")).status());
  EXPECT_EQ(Counts().queued, 6);
  ASSERT_OK(agent_->SetPurpose("voice_features", ConsentState::kDenied, DecisionSource::kUser));
  EXPECT_EQ(Counts().queued, 1);
  Reopen();
  outbox::OutboxCounts counts = Counts();
  EXPECT_EQ(counts.queued, 1);
  EXPECT_EQ(counts.purged_by_consent, 5);
}

TEST_F(RecordTest, ErasingACategoryEmptiesTheOutboxOfIt) {
  ASSERT_OK(agent_->SetCategoryProvided("voice", true, DecisionSource::kUser));
  ASSERT_OK(agent_->SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
  ASSERT_OK(agent_->Record(Voice("cmd")).status());
  ASSERT_OK(agent_->Record(Usage("tap")).status());
  ASSERT_OK(agent_->Erase("voice").status());
  EXPECT_EQ(Counts().queued, 1);
  EXPECT_EQ(Counts().erased, 1);
  ASSERT_OK(agent_->EraseAll().status());
  EXPECT_EQ(Counts().queued, 0);
}

// Found by review: the recorder took what the vault refuses and ignored the granted precision.
TEST_F(RecordTest, RawAudioCardNumbersAndUngrantedPrecisionAreRefused) {
  ASSERT_OK(agent_->SetCategoryProvided("voice", true, DecisionSource::kUser));
  ASSERT_OK(agent_->SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
  outbox::Event audio = Voice("x");
  audio.fields[0] = {"voice.voice_recordings", std::string("RIFF\0\x01", 6)};
  EXPECT_THAT(agent_->Record(audio), StatusIs(StatusCode::kPermissionDenied, HasSubstr("raw audio")));

  ASSERT_OK(agent_->SetCategoryProvided("payment", true, DecisionSource::kUser));
  outbox::Event card = Usage("x", "payments_and_fraud_prevention");
  card.fields[0] = {"payment.payment_token", "4111 1111 1111 1111"};
  EXPECT_THAT(agent_->Record(card), StatusIs(StatusCode::kInvalidArgument));

  ASSERT_OK(agent_->SetCategoryProvided("location", true, DecisionSource::kUser));
  ASSERT_OK(agent_->SetPurpose("location_features", ConsentState::kGranted, DecisionSource::kUser));
  outbox::Event here = Usage("x", "location_features");
  here.fields[0] = {"location.precise_location", "48.85837,2.29448"};
  ASSERT_OK(agent_->SetLocationPrecision(platform::LocationPrecision::kApproximate,
                                         DecisionSource::kUser));
  EXPECT_THAT(agent_->Record(here),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("precise location is not granted")));
  ASSERT_OK(agent_->SetLocationPrecision(platform::LocationPrecision::kPrecise, DecisionSource::kUser));
  ASSERT_OK(agent_->Record(here).status());
  EXPECT_EQ(Counts().queued, 1);
  // Turning location off takes the queued position with it, in the same transaction.
  ASSERT_OK(agent_->SetLocationPrecision(platform::LocationPrecision::kNone, DecisionSource::kUser));
  EXPECT_EQ(Counts().queued, 0);
  EXPECT_EQ(Counts().purged_by_consent, 1);
  EXPECT_EQ(Counts().refused, 2);  // audio and precision; the card number is an argument error
}

TEST_F(RecordTest, AClosedAgentRecordsNothing) {
  ASSERT_OK(agent_->Close());
  EXPECT_THAT(agent_->Record(Usage("tap")), StatusIs(StatusCode::kFailedPrecondition));
}

TEST_F(RecordTest, RecordBatchGivesEachEventItsOwnOutcomeAndStoresTheOthers) {
  outbox::Event unknown_field = Usage("x");
  unknown_field.fields[0].key = "usage.heartbeat";
  outbox::Event bad_key = Usage("x");
  bad_key.fields[0].key = "nodot";
  const std::vector<outbox::Event> events = {Usage("first"), Voice("refused: never asked"),
                                             unknown_field, bad_key, Usage("last")};
  ASSERT_OK_AND_ASSIGN(std::vector<RecordOutcome> out, agent_->RecordBatch(events));
  ASSERT_EQ(out.size(), 5u);
  ASSERT_OK(out[0].status);
  EXPECT_GT(out[0].id, 0);
  EXPECT_FALSE(out[0].held);
  EXPECT_THAT(out[1].status, StatusIs(StatusCode::kPermissionDenied,
                                      HasSubstr("purpose 'voice_features': category 'voice'")));
  EXPECT_EQ(out[1].id, 0);
  EXPECT_THAT(out[2].status, StatusIs(StatusCode::kNotFound, HasSubstr("'usage.heartbeat'")));
  EXPECT_THAT(out[3].status, StatusIs(StatusCode::kInvalidArgument, HasSubstr("'nodot'")));
  ASSERT_OK(out[4].status);
  EXPECT_GT(out[4].id, out[0].id);
  outbox::OutboxCounts counts = Counts();
  EXPECT_EQ(counts.queued, 2);
  // The two the recorder decided on are counted, by reason; an argument error is not an event.
  EXPECT_EQ(counts.refused, 2);
  EXPECT_EQ(counts.refused_by_reason.at("unknown_field"), 1);
  EXPECT_EQ(counts.refused_by_reason.at("category_not_asked"), 1);
  // The same decision as Record for each: the stored ones come back in order.
  ASSERT_OK_AND_ASSIGN(auto batches, agent_->RecordBatch({Usage("again")}));
  ASSERT_OK(batches[0].status);
  EXPECT_EQ(Counts().queued, 3);
}

TEST_F(RecordTest, RecordBatchHoldsUndecidedEventsAndAGrantReleasesThem) {
  ASSERT_OK_AND_ASSIGN(std::vector<RecordOutcome> out,
                       agent_->RecordBatch({Voice("wake"), Usage("tap"), Voice("stop")},
                                           /*hold_if_undecided=*/true));
  ASSERT_EQ(out.size(), 3u);
  for (const RecordOutcome& o : out) ASSERT_OK(o.status);
  EXPECT_TRUE(out[0].held);
  EXPECT_FALSE(out[1].held);
  EXPECT_TRUE(out[2].held);
  outbox::OutboxCounts counts = Counts();
  EXPECT_EQ(counts.held, 2);
  EXPECT_EQ(counts.queued, 1);
  ASSERT_OK(agent_->SetCategoryProvided("voice", true, DecisionSource::kUser));
  ASSERT_OK(agent_->SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
  counts = Counts();
  EXPECT_EQ(counts.held, 0);
  EXPECT_EQ(counts.queued, 3);
  EXPECT_EQ(counts.released, 2);
}

TEST_F(RecordTest, RefusalsAreCountedByReasonThroughRecord) {
  EXPECT_FALSE(agent_->Record(Usage("x", "selling_to_brokers")).ok());
  EXPECT_FALSE(agent_->Record(Voice("never asked")).ok());
  outbox::OutboxCounts counts = Counts();
  EXPECT_EQ(counts.refused, 2);
  EXPECT_EQ(counts.refused_by_reason,
            (std::map<std::string, int64_t>{{"category_not_asked", 1}, {"unknown_purpose", 1}}));
}

TEST_F(RecordTest, TheRetentionSweepDeletesRecordedEventsPastTheirRetention) {
  // usage is kept 365 days (the embedded policy).
  ASSERT_OK(agent_->Record(Usage("old")).status());
  h_.device().clock().SetWallClock(h_.device().clock().NowUnixMillis() + 200LL * 86'400'000);
  ASSERT_OK(agent_->Record(Usage("newer")).status());
  ASSERT_OK(agent_->SweepNow().status());
  EXPECT_EQ(Counts().expired, 0);
  h_.device().clock().SetWallClock(h_.device().clock().NowUnixMillis() + 166LL * 86'400'000);
  ASSERT_OK(agent_->SweepNow().status());
  outbox::OutboxCounts counts = Counts();
  EXPECT_EQ(counts.expired, 1);
  EXPECT_EQ(counts.queued, 1);
}

}  // namespace
}  // namespace tacet::agent
