// tacet_record through the C API: the recorder's decision, holding, the counts, and bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "tacet/tacet.h"
#include "testing/capi_fixture.h"

namespace {

using ::testing::HasSubstr;

class CapiRecordTest : public tacet::testing::CapiFixture {
 protected:
  tacet_record_counts Counts() {
    tacet_record_counts c;
    std::memset(&c, 0xff, sizeof c);
    EXPECT_TOK(tacet_record_counts_get(agent_, &c));
    return c;
  }
};

const tacet_event_field kVoice[] = {{"voice.voice_commands", "play jazz", 9}};
const tacet_event_field kUsage[] = {{"usage.interaction_events", "tap", 3},
                                    {"usage.device_information", "speaker", 7}};

TEST_F(CapiRecordTest, RecordsOnlyWithConsentAndSaysWhyNot) {
  Open();
  int64_t id = -1;
  int held = -1;
  EXPECT_EQ(tacet_record(agent_, "voice_features", kVoice, 1, 1700000000000, 0, &id, &held),
            TACET_ERR_PERMISSION_DENIED);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("category 'voice'"));
  EXPECT_EQ(id, -1);  // untouched on failure
  AllowVoice();
  ASSERT_TOK(tacet_record(agent_, "voice_features", kVoice, 1, 1700000000000, 0, &id, &held));
  EXPECT_GT(id, 0);
  EXPECT_EQ(held, 0);
  ASSERT_TOK(tacet_record(agent_, "analytics", kUsage, 2, 1700000000000, 0, nullptr, nullptr));
  tacet_record_counts c = Counts();
  EXPECT_EQ(c.queued, 2);
  EXPECT_EQ(c.refused, 1);
  // Revoking voice empties its queue.
  ASSERT_TOK(tacet_consent_set_purpose(agent_, "voice_features", TACET_CONSENT_DENIED,
                                       TACET_SOURCE_USER));
  c = Counts();
  EXPECT_EQ(c.queued, 1);
  EXPECT_EQ(c.purged_by_consent, 1);
}

TEST_F(CapiRecordTest, HoldsUntilTheUserAnswers) {
  Open();
  int held = 0;
  ASSERT_TOK(tacet_record(agent_, "voice_features", kVoice, 1, 1700000000000,
                          TACET_RECORD_HOLD_IF_UNDECIDED, nullptr, &held));
  EXPECT_EQ(held, 1);
  EXPECT_EQ(Counts().held, 1);
  AllowVoice();
  tacet_record_counts c = Counts();
  EXPECT_EQ(c.held, 0);
  EXPECT_EQ(c.queued, 1);
  EXPECT_EQ(c.released, 1);
}

TEST_F(CapiRecordTest, BadInputIsRefusedNamingIt) {
  Open();
  EXPECT_EQ(tacet_record(nullptr, "analytics", kUsage, 2, 0, 0, nullptr, nullptr),
            TACET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(tacet_record(agent_, nullptr, kUsage, 2, 0, 0, nullptr, nullptr),
            TACET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(tacet_record(agent_, "analytics", nullptr, 2, 0, 0, nullptr, nullptr),
            TACET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(tacet_record(agent_, "analytics", kUsage, 0, 0, 0, nullptr, nullptr),
            TACET_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("field_count is 0"));
  EXPECT_EQ(tacet_record(agent_, "analytics", kUsage, TACET_MAX_EVENT_FIELDS + 1, 0, 0, nullptr,
                         nullptr),
            TACET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(tacet_record(agent_, "analytics", kUsage, 2, 0, 4u, nullptr, nullptr),
            TACET_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("flags"));
  const tacet_event_field null_value[] = {{"usage.interaction_events", nullptr, 3}};
  EXPECT_EQ(tacet_record(agent_, "analytics", null_value, 1, 0, 0, nullptr, nullptr),
            TACET_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("fields[0].value"));
  const tacet_event_field null_key[] = {{nullptr, "x", 1}};
  EXPECT_EQ(tacet_record(agent_, "analytics", null_key, 1, 0, 0, nullptr, nullptr),
            TACET_ERR_INVALID_ARGUMENT);
  const tacet_event_field big[] = {{"usage.interaction_events", "x", TACET_MAX_EVENT_VALUE + 1}};
  EXPECT_EQ(tacet_record(agent_, "analytics", big, 1, 0, 0, nullptr, nullptr),
            TACET_ERR_INVALID_ARGUMENT);
  const tacet_event_field unknown[] = {{"usage.heartbeat", "x", 1}};
  EXPECT_EQ(tacet_record(agent_, "analytics", unknown, 1, 0, 0, nullptr, nullptr),
            TACET_ERR_NOT_FOUND);
  EXPECT_EQ(tacet_record(agent_, "telemetry", kUsage, 2, 0, 0, nullptr, nullptr),
            TACET_ERR_NOT_FOUND);
  EXPECT_EQ(tacet_record_counts_get(agent_, nullptr), TACET_ERR_INVALID_ARGUMENT);
  tacet_record_counts c = Counts();
  EXPECT_EQ(c.queued, 0);
  EXPECT_EQ(c.refused, 2);  // the two the recorder decided on; argument errors are not events
  ASSERT_TOK(tacet_agent_close(agent_));
  EXPECT_EQ(tacet_record(agent_, "analytics", kUsage, 2, 0, 0, nullptr, nullptr),
            TACET_ERR_FAILED_PRECONDITION);
}

TEST_F(CapiRecordTest, RecordBatchGivesAnOutcomePerEvent) {
  Open();
  const tacet_event_field null_key[] = {{nullptr, "x", 1}};
  const tacet_event events[] = {
      {"analytics", kUsage, 2, 1700000000000},
      {"voice_features", kVoice, 1, 1700000000001},  // never asked: refused (or held)
      {"analytics", null_key, 1, 1700000000002},     // an argument error of this event only
      {"analytics", kUsage, 2, 1700000000003},
  };
  tacet_record_outcome out[4];
  std::memset(out, 0xff, sizeof out);
  ASSERT_TOK(tacet_record_batch(agent_, events, 4, 0, out));
  EXPECT_EQ(out[0].status, TACET_OK);
  EXPECT_GT(out[0].event_id, 0);
  EXPECT_EQ(out[0].held, 0);
  EXPECT_EQ(out[1].status, TACET_ERR_PERMISSION_DENIED);
  EXPECT_EQ(out[1].event_id, 0);
  EXPECT_EQ(out[2].status, TACET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(out[3].status, TACET_OK);
  EXPECT_GT(out[3].event_id, out[0].event_id);
  tacet_record_counts c = Counts();
  EXPECT_EQ(c.queued, 2);
  EXPECT_EQ(c.refused, 1);
  // Held with the flag.
  ASSERT_TOK(tacet_record_batch(agent_, events + 1, 1, TACET_RECORD_HOLD_IF_UNDECIDED, out));
  EXPECT_EQ(out[0].status, TACET_OK);
  EXPECT_EQ(out[0].held, 1);
  EXPECT_EQ(Counts().held, 1);
  // Bad calls: nothing decided, nothing stored.
  EXPECT_EQ(tacet_record_batch(agent_, nullptr, 1, 0, out), TACET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(tacet_record_batch(agent_, events, 1, 0, nullptr), TACET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(tacet_record_batch(agent_, events, 0, 0, out), TACET_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("count is 0"));
  EXPECT_EQ(tacet_record_batch(agent_, events, TACET_MAX_RECORD_BATCH + 1, 0, out),
            TACET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(tacet_record_batch(agent_, events, 1, 8u, out), TACET_ERR_INVALID_ARGUMENT);
  c = Counts();
  EXPECT_EQ(c.queued, 2);
  EXPECT_EQ(c.held, 1);
  ASSERT_TOK(tacet_agent_close(agent_));
  EXPECT_EQ(tacet_record_batch(agent_, events, 1, 0, out), TACET_ERR_FAILED_PRECONDITION);
}

}  // namespace
