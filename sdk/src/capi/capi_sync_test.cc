// tacet_options_set_sync and tacet_sync_now through the C API (sync contract §4). A round against
// the in-process gateway is covered at the C++ level (agent/sync_test.cc); here the agent builds
// its own posix HttpsTransport from the config, to a loopback port nothing listens on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <cstring>
#include <string>
#include <vector>

#include "tacet/tacet.h"
#include "testing/capi_fixture.h"

namespace {

using ::testing::HasSubstr;

// A key configuration (RFC 9458 §3.1): key id 1, DHKEM(X25519, HKDF-SHA256), the public key
// u = 9 (the X25519 base point), HKDF-SHA256 with AES-128-GCM.
std::vector<uint8_t> KeyConfig() {
  std::vector<uint8_t> c = {0x01, 0x00, 0x20, 0x09};
  c.resize(3 + 32, 0x00);
  const uint8_t algorithms[] = {0x00, 0x04, 0x00, 0x01, 0x00, 0x01};
  c.insert(c.end(), algorithms, algorithms + sizeof algorithms);
  return c;
}

const uint8_t kPin[32] = {1, 2, 3};
const tacet_event_field kVoice[] = {{"voice.voice_commands", "play jazz", 9}};

class CapiSyncTest : public tacet::testing::CapiFixture {
 protected:
  tacet_sync_config Config() {
    tacet_sync_config c;
    std::memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    c.url = "https://127.0.0.1:1/gateway";  // nothing listens there: connection refused
    c.spki_sha256 = kPin;
    c.key_config = key_config_.data();
    c.key_config_len = key_config_.size();
    c.timeout_ms = 2000;
    return c;
  }
  std::vector<uint8_t> key_config_ = KeyConfig();
};

TEST_F(CapiSyncTest, SyncNowWithoutSyncIsAFailedPrecondition) {
  Open();
  tacet_sync_result r;
  r.struct_size = sizeof r;
  EXPECT_EQ(tacet_sync_now(agent_, &r), TACET_ERR_FAILED_PRECONDITION);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("sync is not configured"));
}

TEST_F(CapiSyncTest, BadConfigsAreRefusedNamingTheField) {
  EXPECT_EQ(tacet_options_set_sync(options_, nullptr), TACET_ERR_INVALID_ARGUMENT);
  tacet_sync_config c = Config();
  c.struct_size = 4;
  EXPECT_EQ(tacet_options_set_sync(options_, &c), TACET_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("struct_size"));
  c = Config();
  c.key_config_len = 0;
  EXPECT_EQ(tacet_options_set_sync(options_, &c), TACET_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("key_config"));
  c = Config();
  c.spki_sha256 = nullptr;
  EXPECT_EQ(tacet_options_set_sync(options_, &c), TACET_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("spki_sha256"));
  // Checked at open: a URL that is not https, a key configuration that does not parse.
  c = Config();
  c.url = "http://127.0.0.1:1/gateway";
  ASSERT_TOK(tacet_options_set_sync(options_, &c));
  EXPECT_EQ(tacet_agent_open(options_, &agent_), TACET_ERR_INVALID_ARGUMENT);
  c = Config();
  const uint8_t short_config[] = {1, 0x00, 0x20, 9};
  c.key_config = short_config;
  c.key_config_len = sizeof short_config;
  ASSERT_TOK(tacet_options_set_sync(options_, &c));
  EXPECT_EQ(tacet_agent_open(options_, &agent_), TACET_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("key configuration"));
}

TEST_F(CapiSyncTest, ARoundThatCannotConnectKeepsTheBatchAndIsNotAnError) {
  tacet_sync_config c = Config();
  ASSERT_TOK(tacet_options_set_sync(options_, &c));
  Open();
  AllowVoice();
  ASSERT_TOK(tacet_record(agent_, "voice_features", kVoice, 1, 1700000000000, 0, nullptr, nullptr));
  tacet_sync_result r;
  std::memset(&r, 0xff, sizeof r);
  r.struct_size = sizeof r;
  ASSERT_TOK(tacet_sync_now(agent_, &r));
  EXPECT_EQ(r.batches_sent, 1);
  EXPECT_EQ(r.batches_acknowledged, 0);
  EXPECT_EQ(r.events_delivered, 0);
  EXPECT_EQ(r.batches_rejected, 0);
  EXPECT_EQ(r.batches_pending, 1);
  EXPECT_GT(r.next_attempt_unix_ms, 0);
  tacet_record_counts2 counts;
  counts.struct_size = sizeof counts;
  ASSERT_TOK(tacet_record_counts2_get(agent_, &counts));
  EXPECT_EQ(counts.queued, 1);  // kept until acknowledged
}

TEST_F(CapiSyncTest, AnEventWhoseSealDoesNotOpenIsCountedQuarantined) {
  tacet_sync_config c = Config();
  ASSERT_TOK(tacet_options_set_sync(options_, &c));
  Open();
  AllowVoice();
  int64_t altered = 0;
  ASSERT_TOK(tacet_record(agent_, "voice_features", kVoice, 1, 1700000000000, 0, &altered, nullptr));
  ASSERT_TOK(tacet_record(agent_, "voice_features", kVoice, 1, 1700000000001, 0, nullptr, nullptr));
  tacet_agent_free(agent_);
  agent_ = nullptr;
  // Flip the last byte of one event's sealed fields (its AES-GCM tag) behind the agent's back.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.File("device/tacet.db").c_str(), &db), SQLITE_OK);
  const std::string flip =
      "UPDATE outbox_events SET sealed = CAST(substr(sealed, 1, length(sealed) - 1) || "
      "CASE WHEN substr(sealed, -1) = x'00' THEN x'01' ELSE x'00' END AS BLOB) WHERE id = " +
      std::to_string(altered);
  EXPECT_EQ(sqlite3_exec(db, flip.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);
  Open();
  tacet_sync_result r;
  r.struct_size = sizeof r;
  ASSERT_TOK(tacet_sync_now(agent_, &r));  // reading the queue finds the row that does not open
  tacet_record_counts2 counts;
  counts.struct_size = sizeof counts;
  ASSERT_TOK(tacet_record_counts2_get(agent_, &counts));
  EXPECT_EQ(counts.quarantined, 1);
  EXPECT_EQ(counts.queued, 2);  // the quarantined row is kept, not deleted
}

}  // namespace
