// tacet_record through the C API: the recorder's decision, holding, the counts, and bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <map>
#include <string>

#include "tacet/tacet.h"
#include "tacet/tacet.hpp"
#include "testing/capi_fixture.h"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

class CapiRecordTest : public tacet::testing::CapiFixture {
 protected:
  tacet_record_counts2 Counts() {
    tacet_record_counts2 c;
    std::memset(&c, 0xff, sizeof c);
    c.struct_size = sizeof c;
    EXPECT_TOK(tacet_record_counts2_get(agent_, &c));
    return c;
  }
  // The refusals by reason, as a map.
  std::map<std::string, int64_t> Refusals() {
    tacet_record_refusal_list* list = nullptr;
    EXPECT_TOK(tacet_record_refusals_get(agent_, &list));
    std::map<std::string, int64_t> out;
    if (list == nullptr) return out;
    for (size_t i = 0; i < list->count; ++i) out[list->items[i].reason] = list->items[i].count;
    if (list->count == 0) {
      EXPECT_EQ(list->items, nullptr);
    }
    tacet_free(list);
    return out;
  }
};

// A wall clock the test moves (the monotonic clock is the real one).
int64_t g_now_unix_ms = 1700000000000;
tacet_clock MovableClock() {
  tacet_clock clock;
  std::memset(&clock, 0, sizeof clock);
  clock.struct_size = sizeof clock;
  clock.now_unix_ms = [](void*) { return g_now_unix_ms; };
  clock.monotonic_ns = [](void*) -> int64_t {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  return clock;
}

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
  tacet_record_counts2 c = Counts();
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
  tacet_record_counts2 c = Counts();
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
  tacet_record_counts2 c = Counts();
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
  tacet_record_counts2 c = Counts();
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

TEST_F(CapiRecordTest, CountsCarryExpiredAndTheRefusalsByReason) {
  const tacet_clock clock = MovableClock();
  g_now_unix_ms = 1700000000000;
  ASSERT_TOK(tacet_options_set_clock(options_, &clock));
  Open();
  EXPECT_THAT(Refusals(), ::testing::IsEmpty());
  // Three refusals for two reasons, and an argument error (not an event, not counted).
  EXPECT_EQ(tacet_record(agent_, "voice_features", kVoice, 1, 0, 0, nullptr, nullptr),
            TACET_ERR_PERMISSION_DENIED);
  EXPECT_EQ(tacet_record(agent_, "voice_features", kVoice, 1, 0, 0, nullptr, nullptr),
            TACET_ERR_PERMISSION_DENIED);
  EXPECT_EQ(tacet_record(agent_, "telemetry", kUsage, 2, 0, 0, nullptr, nullptr),
            TACET_ERR_NOT_FOUND);
  EXPECT_EQ(tacet_record(agent_, "analytics", kUsage, 0, 0, 0, nullptr, nullptr),
            TACET_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(Refusals(), ElementsAre(Pair("category_not_asked", 2), Pair("unknown_purpose", 1)));
  // usage is kept 365 days (the embedded policy): past that, the sweep expires the event.
  ASSERT_TOK(tacet_record(agent_, "analytics", kUsage, 2, g_now_unix_ms, 0, nullptr, nullptr));
  tacet_record_counts2 c = Counts();
  EXPECT_EQ(c.struct_size, sizeof c);
  EXPECT_EQ(c.refused, 3);
  EXPECT_EQ(c.queued, 1);
  EXPECT_EQ(c.expired, 0);
  EXPECT_EQ(c.quarantined, 0);
  g_now_unix_ms += 366LL * 86400000;
  ASSERT_TOK(tacet_vault_sweep(agent_, nullptr));
  c = Counts();
  EXPECT_EQ(c.expired, 1);
  EXPECT_EQ(c.queued, 0);
  EXPECT_EQ(c.refused, 3);
  EXPECT_EQ(tacet_record_refusals_get(agent_, nullptr), TACET_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("out_list"));
}

TEST_F(CapiRecordTest, Counts2ChecksStructSizeAndWritesNothingBeyondIt) {
  Open();
  ASSERT_TOK(tacet_record(agent_, "analytics", kUsage, 2, 1700000000000, 0, nullptr, nullptr));
  tacet_record_counts2 c;
  std::memset(&c, 0xab, sizeof c);
  c.struct_size = 0;
  EXPECT_EQ(tacet_record_counts2_get(agent_, &c), TACET_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("out_counts->struct_size is 0"));
  c.struct_size = TACET_RECORD_COUNTS2_V1_SIZE - 1;
  EXPECT_EQ(tacet_record_counts2_get(agent_, &c), TACET_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("TACET_RECORD_COUNTS2_V1_SIZE"));
  EXPECT_EQ(c.queued, static_cast<int64_t>(0xababababababababULL));  // nothing written
  EXPECT_EQ(tacet_record_counts2_get(agent_, nullptr), TACET_ERR_INVALID_ARGUMENT);
  // A caller built against a newer header (a larger struct): the fields this library knows are
  // written, the bytes after them are not, and struct_size says how many were written.
  struct Newer {
    tacet_record_counts2 known;
    int64_t appended_later;
  } newer;
  std::memset(&newer, 0xab, sizeof newer);
  newer.known.struct_size = sizeof newer;
  ASSERT_TOK(tacet_record_counts2_get(agent_, &newer.known));
  EXPECT_EQ(newer.known.struct_size, sizeof(tacet_record_counts2));
  EXPECT_EQ(newer.known.queued, 1);
  EXPECT_EQ(newer.known.quarantined, 0);
  EXPECT_EQ(newer.appended_later, static_cast<int64_t>(0xababababababababULL));
}

// The first version, without struct_size, stays for binaries built against it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
TEST_F(CapiRecordTest, TheFirstCountsStructStillWorks) {
  Open();
  ASSERT_TOK(tacet_record(agent_, "analytics", kUsage, 2, 1700000000000, 0, nullptr, nullptr));
  EXPECT_EQ(tacet_record(agent_, "telemetry", kUsage, 2, 0, 0, nullptr, nullptr),
            TACET_ERR_NOT_FOUND);
  tacet_record_counts c;
  std::memset(&c, 0xff, sizeof c);
  ASSERT_TOK(tacet_record_counts_get(agent_, &c));
  EXPECT_EQ(c.queued, 1);
  EXPECT_EQ(c.refused, 1);
  EXPECT_EQ(c.erased, 0);
  EXPECT_EQ(tacet_record_counts_get(agent_, nullptr), TACET_ERR_INVALID_ARGUMENT);
}
#pragma GCC diagnostic pop

TEST(CapiRecordHppTest, GetRecordCountsGivesTheTotalsAndTheRefusalsByReason) {
  tacet::testing::TempDir dir;
  auto agent = tacet::Agent::Open(
      tacet::Options().DataDir(dir.File("device")).LogLevel(TACET_LOG_WARNING));
  ASSERT_TRUE(agent.ok()) << agent.error().ToString();
  ASSERT_TRUE(agent->Record("analytics", {{"usage.interaction_events", "tap"}}, 1700000000000).ok());
  EXPECT_FALSE(agent->Record("voice_features", {{"voice.voice_commands", "hi"}}, 0).ok());
  EXPECT_FALSE(agent->Record("telemetry", {{"usage.interaction_events", "tap"}}, 0).ok());
  EXPECT_FALSE(agent->Record("telemetry", {{"usage.interaction_events", "tap"}}, 0).ok());
  auto counts = agent->GetRecordCounts();
  ASSERT_TRUE(counts.ok()) << counts.error().ToString();
  EXPECT_EQ(counts->totals.struct_size, sizeof(tacet_record_counts2));
  EXPECT_EQ(counts->totals.queued, 1);
  EXPECT_EQ(counts->totals.refused, 3);
  EXPECT_EQ(counts->totals.expired, 0);
  EXPECT_THAT(counts->refused_by_reason,
              ElementsAre(Pair("category_not_asked", 1), Pair("unknown_purpose", 2)));
}

}  // namespace
