// The C API driven the way firmware drives it: only tacet.h functions on a real agent in a
// temporary device folder (posix defaults or the caller's platform tables), with the firmware
// pushing microphone frames and location fixes.
#include "tacet/tacet.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/crypto_test_util.h"
#include "crypto/ecdsa.h"
#include "policy/policy_test_util.h"
#include "testing/capi_fixture.h"

namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr size_t kSamplesPerFrame = 320;  // 16 kHz mono, 20 ms

// What a session's callbacks saw.
struct Seen {
  std::atomic<int> frames{0};
  std::atomic<int> ended{0};
  std::atomic<int> reason{TACET_END_NONE};
  std::atomic<int> freed{0};
  std::atomic<int> last_precision{TACET_PRECISION_NONE};
  std::atomic<double> last_latitude{0};
};

void OnFrame(const int16_t* samples, size_t count, int64_t, void* user_data) {
  auto* seen = static_cast<Seen*>(user_data);
  EXPECT_NE(samples, nullptr);
  EXPECT_EQ(count, kSamplesPerFrame);
  seen->frames.fetch_add(1);
}
void OnFix(const tacet_location_fix* fix, tacet_location_precision precision, void* user_data) {
  auto* seen = static_cast<Seen*>(user_data);
  seen->last_precision.store(precision);
  seen->last_latitude.store(fix->latitude_deg);
  seen->frames.fetch_add(1);
}
void OnEnded(tacet_end_reason reason, void* user_data) {
  auto* seen = static_cast<Seen*>(user_data);
  seen->reason.store(reason);
  seen->ended.fetch_add(1);
}
void FreeSeen(void* user_data) { static_cast<Seen*>(user_data)->freed.fetch_add(1); }

tacet_voice_callbacks VoiceCallbacks(Seen* seen) {
  tacet_voice_callbacks cb{};
  cb.struct_size = sizeof cb;
  cb.on_frame = OnFrame;
  cb.on_ended = OnEnded;
  cb.user_data = seen;
  cb.free_user_data = FreeSeen;
  return cb;
}

tacet_location_callbacks LocationCallbacks(Seen* seen) {
  tacet_location_callbacks cb{};
  cb.struct_size = sizeof cb;
  cb.on_fix = OnFix;
  cb.on_ended = OnEnded;
  cb.user_data = seen;
  cb.free_user_data = FreeSeen;
  return cb;
}

class CapiTest : public tacet::testing::CapiFixture {
 protected:
  void PushFrames(int n) {
    std::vector<int16_t> frame(kSamplesPerFrame, 100);
    for (int i = 0; i < n; ++i) {
      ASSERT_TOK(tacet_voice_push_frame(agent_, frame.data(), frame.size(), i * 20000000LL));
    }
  }
};

TEST_F(CapiTest, VersionsAndNames) {
  EXPECT_EQ(tacet_abi_version(), static_cast<uint32_t>(TACET_ABI_VERSION));
  EXPECT_STRNE(tacet_version(), "");
  EXPECT_STREQ(tacet_consent_state_name(TACET_CONSENT_GRANTED), "granted");
  EXPECT_STREQ(tacet_decision_source_name(TACET_SOURCE_USER), "user");
  EXPECT_STREQ(tacet_denial_reason_name(TACET_DENIAL_NO_CONSENT), "no_consent");
  EXPECT_STREQ(tacet_end_reason_name(TACET_END_CONSENT_WITHDRAWN), "consent_withdrawn");
  EXPECT_STREQ(tacet_end_reason_name(TACET_END_AGENT_CLOSED), "agent_closed");
  EXPECT_STREQ(tacet_location_precision_name(TACET_PRECISION_APPROXIMATE), "approximate");
}

TEST_F(CapiTest, ShowsWhatToAskRecordsAnswersAndKeepsAVerifiableHistory) {
  Open();
  tacet_consent_list* purposes = nullptr;
  ASSERT_TOK(tacet_consent_items(agent_, TACET_SUBJECT_PURPOSE, &purposes));
  std::vector<std::string> to_ask;
  for (size_t i = 0; i < purposes->count; ++i) {
    const tacet_consent_item& p = purposes->items[i];
    EXPECT_STRNE(p.display_name, "") << p.id;
    EXPECT_STRNE(p.legal_basis, "") << p.id;
    if (p.askable && p.state == TACET_CONSENT_UNKNOWN) to_ask.push_back(p.id);
  }
  tacet_free(purposes);
  EXPECT_THAT(to_ask, Contains("voice_features"));

  tacet_consent_state state = TACET_CONSENT_GRANTED;
  ASSERT_TOK(tacet_consent_get(agent_, TACET_SUBJECT_PURPOSE, "voice_features", &state));
  EXPECT_EQ(state, TACET_CONSENT_UNKNOWN);
  ASSERT_TOK(tacet_consent_set_purpose(agent_, "voice_features", TACET_CONSENT_GRANTED,
                                       TACET_SOURCE_USER));
  ASSERT_TOK(tacet_consent_set_channel(agent_, "email", TACET_CONSENT_DENIED, TACET_SOURCE_USER));
  ASSERT_TOK(tacet_consent_set_location_precision(agent_, TACET_PRECISION_APPROXIMATE,
                                                  TACET_SOURCE_USER));
  ASSERT_TOK(tacet_consent_get(agent_, TACET_SUBJECT_PURPOSE, "voice_features", &state));
  EXPECT_EQ(state, TACET_CONSENT_GRANTED);
  ASSERT_TOK(tacet_consent_get(agent_, TACET_SUBJECT_CHANNEL, "email", &state));
  EXPECT_EQ(state, TACET_CONSENT_DENIED);
  ASSERT_TOK(tacet_consent_get(agent_, TACET_SUBJECT_LOCATION, nullptr, &state));
  EXPECT_EQ(state, TACET_CONSENT_GRANTED);
  tacet_location_precision precision = TACET_PRECISION_NONE;
  ASSERT_TOK(tacet_consent_location_precision(agent_, &precision));
  EXPECT_EQ(precision, TACET_PRECISION_APPROXIMATE);
  EXPECT_EQ(tacet_consent_get(agent_, TACET_SUBJECT_PURPOSE, "no_such_purpose", &state),
            TACET_ERR_NOT_FOUND);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("no_such_purpose"));

  struct History {
    std::vector<std::string> subjects;
    std::vector<int64_t> seqs;
  } history;
  ASSERT_TOK(tacet_consent_history(
      agent_, nullptr,
      [](const tacet_consent_entry* e, void* user_data) {
        auto* h = static_cast<History*>(user_data);
        h->subjects.push_back(e->subject);
        h->seqs.push_back(e->seq);
        EXPECT_EQ(e->source, TACET_SOURCE_USER);
        return 0;
      },
      &history));
  EXPECT_THAT(history.subjects,
              ElementsAre("purpose:voice_features", "channel:email", "location"));
  EXPECT_THAT(history.seqs, ElementsAre(1, 2, 3));
  // Only one subject's entries; a non-zero return stops the iteration.
  int calls = 0;
  ASSERT_TOK(tacet_consent_history(
      agent_, "channel:email",
      [](const tacet_consent_entry* e, void* user_data) {
        EXPECT_STREQ(e->subject, "channel:email");
        ++*static_cast<int*>(user_data);
        return 1;
      },
      &calls));
  EXPECT_EQ(calls, 1);

  char* receipt = nullptr;
  ASSERT_TOK(tacet_consent_receipt(agent_, 1, &receipt));
  EXPECT_THAT(receipt, StartsWith("{"));
  EXPECT_THAT(receipt, HasSubstr("voice_features"));
  tacet_free(receipt);
  EXPECT_EQ(tacet_consent_receipt(agent_, 99, &receipt), TACET_ERR_NOT_FOUND);
  EXPECT_TOK(tacet_consent_verify(agent_));
  // Refusing what cannot be refused is a clear error, and changes nothing.
  tacet_consent_list* categories = nullptr;
  ASSERT_TOK(tacet_consent_items(agent_, TACET_SUBJECT_CATEGORY, &categories));
  std::string fixed;
  for (size_t i = 0; i < categories->count; ++i) {
    if (!categories->items[i].askable) fixed = categories->items[i].id;
  }
  tacet_free(categories);
  ASSERT_FALSE(fixed.empty());
  EXPECT_EQ(tacet_consent_set_category_provided(agent_, fixed.c_str(), 0, TACET_SOURCE_USER),
            TACET_ERR_FAILED_PRECONDITION);
}

TEST_F(CapiTest, ConsentListenersHearEachChangeUntilRemoved) {
  Open();
  struct Heard {
    std::vector<uint64_t> generations;
    tacet_agent_t* agent;
    std::vector<int> states;
    int freed = 0;
  } heard;
  heard.agent = agent_;
  uint64_t id = 0;
  ASSERT_TOK(tacet_consent_add_listener(
      agent_,
      [](uint64_t generation, void* user_data) {
        auto* h = static_cast<Heard*>(user_data);
        h->generations.push_back(generation);
        // Reading consent is callback-safe.
        tacet_consent_state s = TACET_CONSENT_UNKNOWN;
        EXPECT_EQ(tacet_consent_get(h->agent, TACET_SUBJECT_PURPOSE, "analytics", &s), TACET_OK);
        h->states.push_back(s);
      },
      &heard, [](void* user_data) { ++static_cast<Heard*>(user_data)->freed; }, &id));
  ASSERT_TOK(tacet_consent_set_purpose(agent_, "analytics", TACET_CONSENT_GRANTED,
                                       TACET_SOURCE_USER));
  ASSERT_TOK(tacet_consent_set_purpose(agent_, "analytics", TACET_CONSENT_DENIED,
                                       TACET_SOURCE_USER));
  ASSERT_EQ(heard.generations.size(), 2u);
  EXPECT_LT(heard.generations[0], heard.generations[1]);
  EXPECT_THAT(heard.states, ElementsAre(TACET_CONSENT_GRANTED, TACET_CONSENT_DENIED));
  ASSERT_TOK(tacet_consent_remove_listener(agent_, id));
  EXPECT_EQ(heard.freed, 1);
  ASSERT_TOK(tacet_consent_set_purpose(agent_, "analytics", TACET_CONSENT_GRANTED,
                                       TACET_SOURCE_USER));
  EXPECT_EQ(heard.generations.size(), 2u) << "a removed listener was called";
  EXPECT_EQ(tacet_consent_remove_listener(agent_, id), TACET_ERR_NOT_FOUND);
}

TEST_F(CapiTest, FeaturesSayWhatIsAvailableAndWhy) {
  Open();
  tacet_feature_list* features = nullptr;
  ASSERT_TOK(tacet_features(agent_, &features));
  ASSERT_GT(features->count, 0u);
  bool found = false;
  for (size_t i = 0; i < features->count; ++i) {
    const tacet_feature& f = features->items[i];
    if (std::string(f.feature) != "voice_features") continue;
    found = true;
    EXPECT_EQ(f.availability, TACET_FEATURE_NOT_ASKED);
    EXPECT_STRNE(f.reason, "");
    ASSERT_EQ(f.missing_categories.count, 1u);
    EXPECT_STREQ(f.missing_categories.items[0], "voice");
  }
  tacet_free(features);
  EXPECT_TRUE(found);

  AllowVoice();
  ASSERT_TOK(tacet_features(agent_, &features));
  for (size_t i = 0; i < features->count; ++i) {
    if (std::string(features->items[i].feature) == "voice_features") {
      EXPECT_EQ(features->items[i].availability, TACET_FEATURE_AVAILABLE);
      EXPECT_EQ(features->items[i].missing_categories.count, 0u);
    }
  }
  tacet_free(features);
}

TEST_F(CapiTest, AVoiceSessionGetsPushedFramesAndEndsOnRevocation) {
  Open();
  Seen seen;
  tacet_voice_callbacks cb = VoiceCallbacks(&seen);
  tacet_voice_session_t* session = nullptr;
  tacet_denial_reason denial = TACET_DENIAL_NONE;
  // Nothing asked yet: denied, with the reason, and no session.
  EXPECT_EQ(tacet_voice_session_open(agent_, "voice_features", &cb, &session, &denial),
            TACET_ERR_PERMISSION_DENIED);
  EXPECT_EQ(session, nullptr);
  EXPECT_EQ(denial, TACET_DENIAL_CONSENT_UNKNOWN);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("consent_unknown"));
  EXPECT_EQ(seen.freed.load(), 0) << "a refused open must leave the user data to the caller";

  AllowVoice();
  ASSERT_TOK(tacet_voice_check(agent_, "voice_features", &denial));
  EXPECT_EQ(denial, TACET_DENIAL_NONE);
  ASSERT_TOK(tacet_voice_session_open(agent_, "voice_features", &cb, &session, &denial));
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(denial, TACET_DENIAL_NONE);
  PushFrames(3);
  EXPECT_EQ(seen.frames.load(), 3);

  // The user withdraws consent: the session ends at once, on this thread.
  ASSERT_TOK(tacet_consent_set_purpose(agent_, "voice_features", TACET_CONSENT_DENIED,
                                       TACET_SOURCE_USER));
  EXPECT_EQ(seen.ended.load(), 1);
  EXPECT_EQ(seen.reason.load(), TACET_END_CONSENT_WITHDRAWN);
  PushFrames(3);
  EXPECT_EQ(seen.frames.load(), 3) << "frames reached a revoked session";
  tacet_end_reason reason = TACET_END_NONE;
  uint64_t delivered = 0;
  ASSERT_TOK(tacet_voice_session_state(session, &reason, &delivered));
  EXPECT_EQ(reason, TACET_END_CONSENT_WITHDRAWN);
  EXPECT_EQ(delivered, 3u);
  tacet_voice_session_free(session);
  EXPECT_EQ(seen.freed.load(), 1);
  EXPECT_EQ(seen.ended.load(), 1);
  EXPECT_TOK(tacet_audit_verify(agent_));
}

TEST_F(CapiTest, MuteAndPermissionLossEndVoiceSessions) {
  Open();
  AllowVoice();
  Seen muted, lost;
  tacet_voice_callbacks cb = VoiceCallbacks(&muted);
  tacet_voice_session_t* session = nullptr;
  ASSERT_TOK(tacet_voice_session_open(agent_, "voice_features", &cb, &session, nullptr));
  ASSERT_TOK(tacet_voice_set_hardware_muted(agent_, 1));
  EXPECT_EQ(muted.reason.load(), TACET_END_HARDWARE_MUTED);
  tacet_voice_session_free(session);
  tacet_denial_reason denial = TACET_DENIAL_NONE;
  cb = VoiceCallbacks(&lost);
  EXPECT_EQ(tacet_voice_session_open(agent_, "voice_features", &cb, &session, &denial),
            TACET_ERR_PERMISSION_DENIED);
  EXPECT_EQ(denial, TACET_DENIAL_HARDWARE_MUTED);
  ASSERT_TOK(tacet_voice_set_hardware_muted(agent_, 0));

  ASSERT_TOK(tacet_voice_session_open(agent_, "voice_features", &cb, &session, &denial));
  ASSERT_TOK(tacet_agent_set_os_permission(agent_, TACET_OS_PERMISSION_MICROPHONE,
                                           TACET_PERMISSION_DENIED, TACET_PRECISION_NONE));
  EXPECT_EQ(lost.reason.load(), TACET_END_OS_PERMISSION_LOST);
  // The caller ending a session is no news to on_ended.
  tacet_voice_session_free(session);
  EXPECT_EQ(lost.ended.load(), 1);
}

TEST_F(CapiTest, ALocationSessionGetsFixesNoMorePreciseThanAllowed) {
  Open();
  ASSERT_TOK(tacet_consent_set_category_provided(agent_, "location", 1, TACET_SOURCE_USER));
  ASSERT_TOK(tacet_consent_set_purpose(agent_, "location_features", TACET_CONSENT_GRANTED,
                                       TACET_SOURCE_USER));
  ASSERT_TOK(tacet_consent_set_location_precision(agent_, TACET_PRECISION_APPROXIMATE,
                                                  TACET_SOURCE_USER));
  ASSERT_TOK(tacet_agent_set_os_permission(agent_, TACET_OS_PERMISSION_LOCATION,
                                           TACET_PERMISSION_GRANTED, TACET_PRECISION_PRECISE));
  tacet_denial_reason denial = TACET_DENIAL_INVALID_REQUEST;
  tacet_location_precision effective = TACET_PRECISION_NONE;
  ASSERT_TOK(tacet_location_check(agent_, "location_features", TACET_PRECISION_PRECISE, &denial,
                                  &effective));
  EXPECT_EQ(denial, TACET_DENIAL_NONE);
  EXPECT_EQ(effective, TACET_PRECISION_APPROXIMATE);

  Seen seen;
  tacet_location_callbacks cb = LocationCallbacks(&seen);
  tacet_location_session_t* session = nullptr;
  ASSERT_TOK(tacet_location_session_open(agent_, "location_features", TACET_PRECISION_PRECISE,
                                         &cb, &session, &denial));
  const tacet_location_fix fix{52.520008, 13.404954, 5.0, 1700000000000};
  ASSERT_TOK(tacet_location_push_fix(agent_, &fix));
  EXPECT_EQ(seen.frames.load(), 1);
  EXPECT_EQ(seen.last_precision.load(), TACET_PRECISION_APPROXIMATE);
  EXPECT_NE(seen.last_latitude.load(), fix.latitude_deg) << "a precise fix reached the caller";
  const tacet_location_fix bad{91.0, 0.0, 1.0, 0};
  EXPECT_EQ(tacet_location_push_fix(agent_, &bad), TACET_ERR_INVALID_ARGUMENT);

  ASSERT_TOK(tacet_consent_set_location_precision(agent_, TACET_PRECISION_NONE,
                                                  TACET_SOURCE_USER));
  EXPECT_EQ(seen.reason.load(), TACET_END_CONSENT_WITHDRAWN);
  ASSERT_TOK(tacet_location_push_fix(agent_, &fix));
  EXPECT_EQ(seen.frames.load(), 1);
  tacet_location_session_free(session);
  EXPECT_EQ(seen.freed.load(), 1);
}

TEST_F(CapiTest, VaultStoresCorrectsListsAndErases) {
  Open();
  int64_t id = 0;
  // Voice data needs the user's consent: refused, with the vault's reason, nothing stored.
  EXPECT_EQ(tacet_vault_add(agent_, "voice", "voice_commands", "play jazz", 9, TACET_CHANGE_APP,
                            &id),
            TACET_ERR_PERMISSION_DENIED);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("tacet_vault_add: vault"));
  ASSERT_TOK(tacet_consent_set_category_provided(agent_, "contact", 1, TACET_SOURCE_USER));
  // The value takes an explicit length: the bytes after it are not stored.
  ASSERT_TOK(tacet_vault_set(agent_, "contact", "email_address", "ada@example.orgXXXX", 15,
                             TACET_CHANGE_USER, &id));
  ASSERT_TOK(tacet_vault_set(agent_, "contact", "email_address", "ada@example.net", 15,
                             TACET_CHANGE_USER, nullptr));
  tacet_vault_record* record = nullptr;
  ASSERT_TOK(tacet_vault_get(agent_, id, &record));
  EXPECT_STREQ(record->value, "ada@example.net");
  EXPECT_EQ(record->value_len, 15u);
  EXPECT_EQ(record->version, 2);
  EXPECT_STREQ(record->category, "contact");
  EXPECT_STREQ(record->field, "email_address");
  EXPECT_EQ(record->source, TACET_CHANGE_USER);
  tacet_free(record);
  ASSERT_TOK(tacet_vault_correct(agent_, id, "ada@example.com", 15, TACET_CHANGE_APP));

  tacet_vault_record_list* list = nullptr;
  ASSERT_TOK(tacet_vault_list(agent_, "contact", "email_address", &list));
  ASSERT_EQ(list->count, 1u);
  EXPECT_STREQ(list->items[0].value, "ada@example.com");
  EXPECT_EQ(list->items[0].source, TACET_CHANGE_APP);
  tacet_free(list);

  tacet_vault_version_list* versions = nullptr;
  ASSERT_TOK(tacet_vault_history(agent_, "contact", "email_address", &versions));
  std::vector<std::string> values;
  for (size_t i = 0; i < versions->count; ++i) values.push_back(versions->items[i].value);
  EXPECT_THAT(values, ElementsAre("ada@example.org", "ada@example.net", "ada@example.com"));
  EXPECT_EQ(versions->items[2].replaced_unix_ms, 0);
  tacet_free(versions);
  EXPECT_TOK(tacet_vault_verify(agent_));

  EXPECT_EQ(tacet_vault_add(agent_, "contact", "email_address", "b@example.org", 13,
                            TACET_CHANGE_USER, nullptr),
            TACET_ERR_ALREADY_EXISTS);
  EXPECT_EQ(tacet_vault_set(agent_, "contact", "no_such_field", "x", 1, TACET_CHANGE_USER,
                            nullptr),
            TACET_ERR_NOT_FOUND);
  EXPECT_EQ(tacet_vault_get(agent_, 9999, &record), TACET_ERR_NOT_FOUND);

  tacet_erasure_result erased{};
  ASSERT_TOK(tacet_vault_erase(agent_, "contact", &erased));
  EXPECT_EQ(erased.records, 1);
  EXPECT_EQ(erased.history_entries, 2);
  ASSERT_TOK(tacet_vault_list(agent_, "contact", "email_address", &list));
  EXPECT_EQ(list->count, 0u);
  EXPECT_EQ(list->items, nullptr);
  tacet_free(list);
  ASSERT_TOK(tacet_vault_erase_all(agent_, &erased));
  ASSERT_TOK(tacet_vault_sweep(agent_, &erased));
  int64_t entries = 0;
  ASSERT_TOK(tacet_audit_entry_count(agent_, &entries));
  EXPECT_GT(entries, 0);
  EXPECT_TOK(tacet_audit_verify(agent_));
  EXPECT_TOK(tacet_consent_verify(agent_));
}

TEST_F(CapiTest, ExportAndReportStreamToAWriterOrAPrivateFile) {
  Open();
  ASSERT_TOK(tacet_consent_set_category_provided(agent_, "contact", 1, TACET_SOURCE_USER));
  ASSERT_TOK(tacet_vault_set(agent_, "contact", "email_address", "ada@example.org", 15,
                             TACET_CHANGE_USER, nullptr));
  std::string json;
  tacet_export_summary summary{};
  ASSERT_TOK(tacet_export_to_writer(
      agent_,
      [](const uint8_t* bytes, size_t len, void* user_data) {
        static_cast<std::string*>(user_data)->append(reinterpret_cast<const char*>(bytes), len);
        return TACET_OK;
      },
      &json, &summary));
  EXPECT_EQ(summary.records, 1);
  EXPECT_THAT(json, StartsWith("{"));
  EXPECT_THAT(json, HasSubstr("ada@example.org"));

  // A writer that fails stops the export with its status.
  EXPECT_EQ(tacet_export_to_writer(
                agent_,
                [](const uint8_t*, size_t, void*) { return TACET_ERR_RESOURCE_EXHAUSTED; },
                nullptr, nullptr),
            TACET_ERR_RESOURCE_EXHAUSTED);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("write callback"));

  const std::string path = dir_.File("export.json");
  ASSERT_TOK(tacet_export_to_file(agent_, path.c_str(), &summary));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  tacet::Bytes written = tacet::testing::ReadFileOrDie(path);
  EXPECT_EQ(std::string(written.begin(), written.end()).substr(0, 1), "{");

  const std::string report = dir_.File("report.html");
  tacet_report_summary report_summary{};
  ASSERT_TOK(tacet_report_to_file(agent_, report.c_str(), &report_summary));
  EXPECT_EQ(report_summary.records, 1);
  tacet::Bytes page = tacet::testing::ReadFileOrDie(report);
  EXPECT_THAT(std::string(page.begin(), page.end()), HasSubstr("<html"));
  ASSERT_EQ(::stat(report.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string html;
  ASSERT_TOK(tacet_report_to_writer(
      agent_,
      [](const uint8_t* bytes, size_t len, void* user_data) {
        static_cast<std::string*>(user_data)->append(reinterpret_cast<const char*>(bytes), len);
        return TACET_OK;
      },
      &html, nullptr));
  EXPECT_THAT(html, HasSubstr("</html>"));

  // Never into the device folder, and never half a file.
  const std::string inside = dir_.File("device/tacet.db");
  EXPECT_EQ(tacet_export_to_file(agent_, inside.c_str(), nullptr), TACET_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("device folder"));
  EXPECT_EQ(tacet_export_to_file(agent_, dir_.File("missing/export.json").c_str(), nullptr),
            TACET_ERR_NOT_FOUND);
}

class CapiPolicyUpdateTest : public CapiTest {
 protected:
  void SetUp() override {
    CapiTest::SetUp();
    auto key = tacet::crypto::EcdsaP256Generate(tacet::crypto::testing::TestDrbg());
    ASSERT_TRUE(key.ok());
    key_ = std::move(*key);
  }
  tacet::crypto::EcdsaP256KeyPair key_;
};

TEST_F(CapiPolicyUpdateTest, ASignedUpdateSaysWhatToAskAgain) {
  Open();
  uint64_t version = 0;
  ASSERT_TOK(tacet_policy_version(agent_, &version));
  char* id = nullptr;
  ASSERT_TOK(tacet_policy_id(agent_, &id));
  EXPECT_STRNE(id, "");
  tacet_free(id);
  uint8_t hash[32] = {0};
  ASSERT_TOK(tacet_policy_hash(agent_, hash));
  EXPECT_NE(std::vector<uint8_t>(hash, hash + 32), std::vector<uint8_t>(32, 0));

  auto tree = tacet::policy::testing::ShippedPolicyT();
  tree->version = version + 1;
  tacet::policy::testing::PurposeIn(*tree, "voice_features").categories.push_back("usage");
  const tacet::Bytes bytes = tacet::policy::testing::Pack(*tree);
  auto signature = tacet::crypto::EcdsaP256Sign(key_.private_key.view(), bytes,
                                                tacet::crypto::testing::TestDrbg());
  ASSERT_TRUE(signature.ok());

  // Without a key the agent refuses updates.
  tacet_policy_update_result* result = nullptr;
  EXPECT_EQ(tacet_policy_apply_update(agent_, bytes.data(), bytes.size(), signature->data(),
                                      signature->size(), &result),
            TACET_ERR_FAILED_PRECONDITION);
  tacet_agent_free(agent_);
  agent_ = nullptr;

  ASSERT_TOK(tacet_options_set_policy_update_key(options_, key_.public_key.data(),
                                                 key_.public_key.size()));
  Open();
  ASSERT_TOK(tacet_consent_set_purpose(agent_, "voice_features", TACET_CONSENT_GRANTED,
                                       TACET_SOURCE_USER));
  tacet::Bytes tampered = bytes;
  tampered[tampered.size() / 2] ^= 1;
  EXPECT_NE(tacet_policy_apply_update(agent_, tampered.data(), tampered.size(),
                                      signature->data(), signature->size(), &result),
            TACET_OK);
  ASSERT_TOK(tacet_policy_apply_update(agent_, bytes.data(), bytes.size(), signature->data(),
                                       signature->size(), &result));
  EXPECT_EQ(result->old_version, version);
  EXPECT_EQ(result->new_version, version + 1);
  ASSERT_EQ(result->purposes_to_ask.count, 1u);
  EXPECT_STREQ(result->purposes_to_ask.items[0], "voice_features");
  EXPECT_EQ(result->controller_notice_required, 0);
  tacet_free(result);
  tacet_consent_state state = TACET_CONSENT_GRANTED;
  ASSERT_TOK(tacet_consent_get(agent_, TACET_SUBJECT_PURPOSE, "voice_features", &state));
  EXPECT_EQ(state, TACET_CONSENT_UNKNOWN);
  int pending = 1;
  ASSERT_TOK(tacet_policy_controller_notice_pending(agent_, &pending));
  EXPECT_EQ(pending, 0);
  EXPECT_TOK(tacet_policy_acknowledge_controller_notice(agent_));
  // A replay changes nothing.
  EXPECT_EQ(tacet_policy_apply_update(agent_, bytes.data(), bytes.size(), signature->data(),
                                      signature->size(), nullptr),
            TACET_ERR_OUT_OF_RANGE);
}

TEST_F(CapiTest, CloseEndsSessionsAndRefusesLaterCalls) {
  Open();
  AllowVoice();
  Seen seen;
  tacet_voice_callbacks cb = VoiceCallbacks(&seen);
  tacet_voice_session_t* session = nullptr;
  ASSERT_TOK(tacet_voice_session_open(agent_, "voice_features", &cb, &session, nullptr));
  struct Freed {
    int count = 0;
  } freed;
  uint64_t listener = 0;
  ASSERT_TOK(tacet_consent_add_listener(
      agent_, [](uint64_t, void*) {}, &freed,
      [](void* user_data) { ++static_cast<Freed*>(user_data)->count; }, &listener));

  ASSERT_TOK(tacet_agent_close(agent_));
  EXPECT_EQ(seen.reason.load(), TACET_END_AGENT_CLOSED);
  EXPECT_EQ(seen.ended.load(), 1);
  EXPECT_EQ(freed.count, 1) << "the listener's user data was not released at close";
  ASSERT_TOK(tacet_agent_close(agent_));  // idempotent
  EXPECT_EQ(tacet_consent_set_purpose(agent_, "analytics", TACET_CONSENT_GRANTED,
                                      TACET_SOURCE_USER),
            TACET_ERR_FAILED_PRECONDITION);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("closed"));
  std::vector<int16_t> frame(kSamplesPerFrame, 1);
  EXPECT_EQ(tacet_voice_push_frame(agent_, frame.data(), frame.size(), 0),
            TACET_ERR_FAILED_PRECONDITION);
  // The session handle stays valid until freed.
  tacet_end_reason reason = TACET_END_NONE;
  ASSERT_TOK(tacet_voice_session_state(session, &reason, nullptr));
  EXPECT_EQ(reason, TACET_END_AGENT_CLOSED);
  ASSERT_TOK(tacet_voice_session_end(session));
  tacet_voice_session_free(session);
  EXPECT_EQ(seen.freed.load(), 1);
  tacet_agent_free(agent_);
  agent_ = nullptr;

  // The folder was released: it opens again, with what was recorded.
  Open();
  tacet_consent_state state = TACET_CONSENT_UNKNOWN;
  ASSERT_TOK(tacet_consent_get(agent_, TACET_SUBJECT_PURPOSE, "voice_features", &state));
  EXPECT_EQ(state, TACET_CONSENT_GRANTED);
}

TEST_F(CapiTest, FreeingTheAgentWithSessionsOpenEndsThem) {
  Open();
  AllowVoice();
  Seen seen;
  tacet_voice_callbacks cb = VoiceCallbacks(&seen);
  tacet_voice_session_t* session = nullptr;
  ASSERT_TOK(tacet_voice_session_open(agent_, "voice_features", &cb, &session, nullptr));
  tacet_agent_free(agent_);
  agent_ = nullptr;
  EXPECT_EQ(seen.reason.load(), TACET_END_AGENT_CLOSED);
  tacet_voice_session_free(session);
  EXPECT_EQ(seen.freed.load(), 1);
}

TEST_F(CapiTest, ASecondAgentOnTheSameFolderIsUnavailable) {
  Open();
  tacet_agent_t* second = nullptr;
  EXPECT_EQ(tacet_agent_open(options_, &second), TACET_ERR_UNAVAILABLE);
  EXPECT_EQ(second, nullptr);
  EXPECT_STRNE(tacet_last_error_message(), "");
}

TEST_F(CapiTest, AMissingDeviceWithoutCreateIsNotFound) {
  ASSERT_TOK(tacet_options_set_create(options_, 0));
  EXPECT_EQ(tacet_agent_open(options_, &agent_), TACET_ERR_NOT_FOUND);
  EXPECT_EQ(agent_, nullptr);
}

TEST_F(CapiTest, AReadOnlyAgentReadsButRefusesWritesAndCapture) {
  Open();
  ASSERT_TOK(tacet_consent_set_purpose(agent_, "analytics", TACET_CONSENT_GRANTED,
                                       TACET_SOURCE_USER));
  tacet_agent_free(agent_);
  agent_ = nullptr;
  ASSERT_TOK(tacet_options_set_read_only(options_, 1));
  Open();
  tacet_consent_state state = TACET_CONSENT_UNKNOWN;
  ASSERT_TOK(tacet_consent_get(agent_, TACET_SUBJECT_PURPOSE, "analytics", &state));
  EXPECT_EQ(state, TACET_CONSENT_GRANTED);
  EXPECT_EQ(tacet_consent_set_purpose(agent_, "analytics", TACET_CONSENT_DENIED,
                                      TACET_SOURCE_USER),
            TACET_ERR_FAILED_PRECONDITION);
  Seen seen;
  tacet_voice_callbacks cb = VoiceCallbacks(&seen);
  tacet_voice_session_t* session = nullptr;
  EXPECT_EQ(tacet_voice_session_open(agent_, "voice_features", &cb, &session, nullptr),
            TACET_ERR_FAILED_PRECONDITION);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("read-only"));
}

// ---- platform tables ----------------------------------------------------------------------------

struct Firmware {
  std::mutex mu;
  std::map<std::string, std::vector<uint8_t>> secrets;
  int puts = 0, gets = 0, dels = 0;
  std::atomic<int64_t> now_ms{1700000000000};
  std::atomic<int64_t> mono_ns{1};
  std::atomic<int> entropy_calls{0};
  std::atomic<int> mic{TACET_PERMISSION_NOT_DETERMINED};
  std::vector<std::string> log;
};

tacet_status KsPut(void* ctx, const char* name, const uint8_t* secret, size_t len) {
  auto* f = static_cast<Firmware*>(ctx);
  std::lock_guard<std::mutex> lock(f->mu);
  ++f->puts;
  if (f->secrets.count(name)) return TACET_ERR_ALREADY_EXISTS;
  f->secrets[name].assign(secret, secret + len);
  return TACET_OK;
}
tacet_status KsGet(void* ctx, const char* name, uint8_t* buffer, size_t buffer_len,
                   size_t* out_len) {
  auto* f = static_cast<Firmware*>(ctx);
  std::lock_guard<std::mutex> lock(f->mu);
  ++f->gets;
  auto it = f->secrets.find(name);
  if (it == f->secrets.end()) return TACET_ERR_NOT_FOUND;
  if (it->second.size() > buffer_len) return TACET_ERR_RESOURCE_EXHAUSTED;
  std::memcpy(buffer, it->second.data(), it->second.size());
  *out_len = it->second.size();
  return TACET_OK;
}
tacet_status KsDel(void* ctx, const char* name) {
  auto* f = static_cast<Firmware*>(ctx);
  std::lock_guard<std::mutex> lock(f->mu);
  ++f->dels;
  return f->secrets.erase(name) == 1 ? TACET_OK : TACET_ERR_NOT_FOUND;
}

TEST_F(CapiTest, FirmwareSuppliesItsPlatformServicesAsTables) {
  Firmware fw;
  tacet_key_store ks{sizeof(tacet_key_store), KsPut, KsGet, KsDel, &fw};
  tacet_clock clock{sizeof(tacet_clock),
                    [](void* ctx) { return static_cast<Firmware*>(ctx)->now_ms.load(); },
                    [](void* ctx) { return static_cast<Firmware*>(ctx)->mono_ns.fetch_add(1000); },
                    &fw};
  tacet_entropy entropy{sizeof(tacet_entropy),
                        [](void* ctx, uint8_t* out, size_t len) {
                          static_cast<Firmware*>(ctx)->entropy_calls.fetch_add(1);
                          // Not for production: a test's deterministic-but-varied bytes.
                          static std::atomic<uint32_t> x{0x9e3779b9u};
                          for (size_t i = 0; i < len; ++i) {
                            out[i] = static_cast<uint8_t>(x.fetch_add(0x6d2b79f5u) >> 24);
                          }
                          return TACET_OK;
                        },
                        &fw};
  tacet_permissions permissions{
      sizeof(tacet_permissions),
      [](void* ctx, tacet_os_permission p) {
        auto* f = static_cast<Firmware*>(ctx);
        return p == TACET_OS_PERMISSION_MICROPHONE
                   ? static_cast<tacet_permission_state>(f->mic.load())
                   : TACET_PERMISSION_DENIED;
      },
      [](void*) { return TACET_PRECISION_NONE; }, &fw};
  tacet_logger logger{sizeof(tacet_logger),
                      [](void* ctx, tacet_log_level, const char* message, size_t len) {
                        auto* f = static_cast<Firmware*>(ctx);
                        EXPECT_EQ(std::strlen(message), len);
                        std::lock_guard<std::mutex> lock(f->mu);
                        f->log.emplace_back(message, len);
                      },
                      &fw};
  ASSERT_TOK(tacet_options_set_key_store(options_, &ks));
  ASSERT_TOK(tacet_options_set_clock(options_, &clock));
  ASSERT_TOK(tacet_options_set_entropy(options_, &entropy));
  ASSERT_TOK(tacet_options_set_permissions(options_, &permissions));
  ASSERT_TOK(tacet_options_set_logger(options_, &logger));
  ASSERT_TOK(tacet_options_set_log_level(options_, TACET_LOG_DEBUG));
  // Copied when registered: the caller's struct may go away.
  std::memset(&ks, 0, sizeof ks);
  Open();
  EXPECT_GT(fw.entropy_calls.load(), 0);
  {
    std::lock_guard<std::mutex> lock(fw.mu);
    EXPECT_GT(fw.secrets.size(), 0u) << "the agent's keys did not go to the firmware's store";
  }
  struct stat st {};
  EXPECT_NE(::stat(dir_.File("device/keys").c_str(), &st), 0) << "a file key store was made";

  // The consent history carries the firmware's clock.
  ASSERT_TOK(tacet_consent_set_purpose(agent_, "analytics", TACET_CONSENT_GRANTED,
                                       TACET_SOURCE_USER));
  int64_t time = 0;
  ASSERT_TOK(tacet_consent_history(
      agent_, nullptr,
      [](const tacet_consent_entry* e, void* user_data) {
        *static_cast<int64_t*>(user_data) = e->time_unix_ms;
        return 0;
      },
      &time));
  EXPECT_EQ(time, fw.now_ms.load());

  // Permissions come from the table; a change is announced and ends the session at once.
  EXPECT_EQ(tacet_agent_set_os_permission(agent_, TACET_OS_PERMISSION_MICROPHONE,
                                          TACET_PERMISSION_GRANTED, TACET_PRECISION_NONE),
            TACET_ERR_FAILED_PRECONDITION);
  ASSERT_TOK(tacet_consent_set_category_provided(agent_, "voice", 1, TACET_SOURCE_USER));
  ASSERT_TOK(tacet_consent_set_purpose(agent_, "voice_features", TACET_CONSENT_GRANTED,
                                       TACET_SOURCE_USER));
  Seen seen;
  tacet_voice_callbacks cb = VoiceCallbacks(&seen);
  tacet_voice_session_t* session = nullptr;
  tacet_denial_reason denial = TACET_DENIAL_NONE;
  EXPECT_EQ(tacet_voice_session_open(agent_, "voice_features", &cb, &session, &denial),
            TACET_ERR_PERMISSION_DENIED);
  EXPECT_EQ(denial, TACET_DENIAL_OS_PERMISSION_DENIED);
  fw.mic.store(TACET_PERMISSION_GRANTED);
  ASSERT_TOK(tacet_voice_session_open(agent_, "voice_features", &cb, &session, &denial));
  PushFrames(2);
  EXPECT_EQ(seen.frames.load(), 2);
  fw.mic.store(TACET_PERMISSION_DENIED);
  ASSERT_TOK(tacet_agent_os_permission_changed(agent_, TACET_OS_PERMISSION_MICROPHONE));
  EXPECT_EQ(seen.reason.load(), TACET_END_OS_PERMISSION_LOST);
  tacet_voice_session_free(session);

  // Erasing a category destroys its key in the firmware's store.
  ASSERT_TOK(tacet_consent_set_category_provided(agent_, "contact", 1, TACET_SOURCE_USER));
  ASSERT_TOK(tacet_vault_set(agent_, "contact", "email_address", "a@b.example", 11,
                             TACET_CHANGE_USER, nullptr));
  const int dels_before = fw.dels;
  ASSERT_TOK(tacet_vault_erase(agent_, "contact", nullptr));
  EXPECT_GT(fw.dels, dels_before);
  tacet_agent_free(agent_);
  agent_ = nullptr;
  // A garbage permission answer is never read as granted.
  fw.mic.store(77);
  Open();
  ASSERT_TOK(tacet_voice_check(agent_, "voice_features", &denial));
  EXPECT_EQ(denial, TACET_DENIAL_OS_PERMISSION_DENIED);
  // The tables' context must outlive the agent.
  tacet_agent_free(agent_);
  agent_ = nullptr;
}

// The audio thread pushes frames while another thread revokes consent: the session ends, and no
// frame reaches it after on_ended (run under TSan by the tsan preset).
TEST_F(CapiTest, RevocationFromAnotherThreadEndsDeliveryOnTheAudioThread) {
  Open();
  AllowVoice();
  struct Watch {
    std::atomic<int> frames{0};
    std::atomic<int> after_end{0};
    std::atomic<bool> ended{false};
  } watch;
  tacet_voice_callbacks cb{};
  cb.struct_size = sizeof cb;
  cb.on_frame = [](const int16_t*, size_t, int64_t, void* user_data) {
    auto* w = static_cast<Watch*>(user_data);
    w->frames.fetch_add(1);
    if (w->ended.load()) w->after_end.fetch_add(1);
  };
  cb.on_ended = [](tacet_end_reason, void* user_data) {
    static_cast<Watch*>(user_data)->ended.store(true);
  };
  cb.user_data = &watch;
  tacet_voice_session_t* session = nullptr;
  ASSERT_TOK(tacet_voice_session_open(agent_, "voice_features", &cb, &session, nullptr));
  std::atomic<bool> stop{false};
  std::thread audio([&] {
    std::vector<int16_t> frame(kSamplesPerFrame, 7);
    int64_t t = 0;
    while (!stop.load()) {
      EXPECT_EQ(tacet_voice_push_frame(agent_, frame.data(), frame.size(), t += 20000000),
                TACET_OK);
    }
  });
  while (watch.frames.load() < 5) std::this_thread::yield();
  ASSERT_TOK(tacet_consent_set_purpose(agent_, "voice_features", TACET_CONSENT_DENIED,
                                       TACET_SOURCE_USER));
  const int at_revocation = watch.frames.load();
  // on_ended ran on this thread, or runs on the audio thread if a frame was in delivery: at
  // most that one frame follows the commit.
  while (!watch.ended.load()) std::this_thread::yield();
  for (int i = 0; i < 1000; ++i) std::this_thread::yield();
  stop.store(true);
  audio.join();
  EXPECT_EQ(watch.after_end.load(), 0) << "a frame reached the session after on_ended";
  EXPECT_LE(watch.frames.load(), at_revocation + 1);
  tacet_voice_session_free(session);
}

}  // namespace
