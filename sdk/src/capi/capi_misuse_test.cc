// Misuse of the C API: NULL arguments, freed and closed handles, enum values out of range,
// identifiers that are not NUL-terminated or not UTF-8, bad platform tables, and callbacks that
// call back into the SDK. Each gets a clear status and message; none crashes (the asan preset
// runs these under ASan and UBSan).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "tacet/tacet.h"
#include "testing/capi_fixture.h"

extern "C" {
tacet_status misuse_set_purpose_state(tacet_agent_t* agent, int state);
tacet_status misuse_set_purpose_source(tacet_agent_t* agent, int source);
tacet_status misuse_consent_get_kind(tacet_agent_t* agent, int kind);
tacet_status misuse_set_location_precision(tacet_agent_t* agent, int precision);
tacet_status misuse_vault_set_source(tacet_agent_t* agent, int source);
tacet_status misuse_set_os_permission(tacet_agent_t* agent, int permission, int state);
tacet_status misuse_set_log_level(tacet_options_t* options, int level);
const char* misuse_denial_name(int reason);
tacet_status misuse_fill_with_status_42(void* ctx, uint8_t* out, size_t len);
}

namespace {

using ::testing::HasSubstr;

// The status, and that the thread's message names `what`.
#define EXPECT_FAILS(expr, status, what)                     \
  do {                                                        \
    EXPECT_EQ((expr), (status));                              \
    EXPECT_THAT(tacet_last_error_message(), HasSubstr(what)); \
  } while (0)

// Every test starts with an open agent, and the SDK's log is off (the misuse is deliberate).
class CapiMisuseTest : public tacet::testing::CapiFixture {
 protected:
  void SetUp() override {
    CapiFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TOK(tacet_options_set_log_level(options_, TACET_LOG_NONE));
    Open();
  }
};

TEST_F(CapiMisuseTest, NullArgumentsAreRefusedByName) {
  tacet_consent_state state;
  EXPECT_FAILS(tacet_consent_get(nullptr, TACET_SUBJECT_PURPOSE, "analytics", &state),
               TACET_ERR_INVALID_ARGUMENT, "tacet_consent_get: agent is NULL");
  EXPECT_FAILS(tacet_consent_get(agent_, TACET_SUBJECT_PURPOSE, nullptr, &state),
               TACET_ERR_INVALID_ARGUMENT, "id is NULL");
  EXPECT_FAILS(tacet_consent_get(agent_, TACET_SUBJECT_PURPOSE, "analytics", nullptr),
               TACET_ERR_INVALID_ARGUMENT, "out_state is NULL");
  EXPECT_FAILS(tacet_options_new(nullptr), TACET_ERR_INVALID_ARGUMENT, "out_options is NULL");
  EXPECT_FAILS(tacet_options_set_data_dir(options_, nullptr), TACET_ERR_INVALID_ARGUMENT,
               "path is NULL");
  EXPECT_FAILS(tacet_agent_open(nullptr, &agent_), TACET_ERR_INVALID_ARGUMENT, "options is NULL");
  EXPECT_FAILS(tacet_agent_open(options_, nullptr), TACET_ERR_INVALID_ARGUMENT, "out_agent");
  EXPECT_FAILS(tacet_policy_id(agent_, nullptr), TACET_ERR_INVALID_ARGUMENT, "out_id");
  EXPECT_FAILS(tacet_policy_apply_update(agent_, nullptr, 10, nullptr, 0, nullptr),
               TACET_ERR_INVALID_ARGUMENT, "policy is NULL but its length is 10");
  EXPECT_FAILS(tacet_consent_history(agent_, nullptr, nullptr, nullptr),
               TACET_ERR_INVALID_ARGUMENT, "fn is NULL");
  EXPECT_FAILS(tacet_consent_add_listener(agent_, nullptr, nullptr, nullptr, nullptr),
               TACET_ERR_INVALID_ARGUMENT, "fn is NULL");
  EXPECT_FAILS(tacet_vault_set(agent_, "contact", "email_address", nullptr, 3, TACET_CHANGE_USER,
                               nullptr),
               TACET_ERR_INVALID_ARGUMENT, "value is NULL but its length is 3");
  EXPECT_FAILS(tacet_vault_list(agent_, "contact", nullptr, nullptr), TACET_ERR_INVALID_ARGUMENT,
               "field is NULL");
  EXPECT_FAILS(tacet_voice_session_open(agent_, "voice_features", nullptr, nullptr, nullptr),
               TACET_ERR_INVALID_ARGUMENT, "callbacks is NULL");
  EXPECT_FAILS(tacet_voice_push_frame(agent_, nullptr, 320, 0), TACET_ERR_INVALID_ARGUMENT,
               "samples is NULL");
  EXPECT_FAILS(tacet_location_push_fix(agent_, nullptr), TACET_ERR_INVALID_ARGUMENT,
               "fix is NULL");
  EXPECT_FAILS(tacet_export_to_writer(agent_, nullptr, nullptr, nullptr),
               TACET_ERR_INVALID_ARGUMENT, "write is NULL");
  EXPECT_FAILS(tacet_export_to_file(agent_, nullptr, nullptr), TACET_ERR_INVALID_ARGUMENT,
               "path is NULL");
  EXPECT_FAILS(tacet_voice_session_end(nullptr), TACET_ERR_INVALID_ARGUMENT, "session is NULL");
  EXPECT_FAILS(tacet_voice_session_state(nullptr, nullptr, nullptr), TACET_ERR_INVALID_ARGUMENT,
               "session is NULL");
  // Every _free and _close accepts NULL.
  tacet_options_free(nullptr);
  tacet_agent_free(nullptr);
  EXPECT_EQ(tacet_agent_close(nullptr), TACET_OK);
  tacet_voice_session_free(nullptr);
  tacet_location_session_free(nullptr);
  tacet_free(nullptr);
}

TEST_F(CapiMisuseTest, FreedHandlesAreRefusedNotUsed) {
  tacet_options_t* options = nullptr;
  ASSERT_TOK(tacet_options_new(&options));
  tacet_options_free(options);
  EXPECT_FAILS(tacet_options_set_create(options, 1), TACET_ERR_INVALID_ARGUMENT,
               "not a live tacet_options_t");
  tacet_options_free(options);  // a double free is refused too
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("not a live tacet_options_t"));

  tacet_agent_free(agent_);
  tacet_agent_t* freed = agent_;
  agent_ = nullptr;
  EXPECT_FAILS(tacet_consent_verify(freed), TACET_ERR_INVALID_ARGUMENT,
               "not a live tacet_agent_t");
  tacet_agent_free(freed);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("not a live tacet_agent_t"));
  // A handle of another kind is not an agent.
  EXPECT_FAILS(tacet_consent_verify(reinterpret_cast<tacet_agent_t*>(options_)),
               TACET_ERR_INVALID_ARGUMENT, "not a live tacet_agent_t");
}

TEST_F(CapiMisuseTest, AClosedAgentRefusesEveryCall) {
  ASSERT_TOK(tacet_agent_close(agent_));
  tacet_consent_state state;
  EXPECT_FAILS(tacet_consent_get(agent_, TACET_SUBJECT_PURPOSE, "analytics", &state),
               TACET_ERR_FAILED_PRECONDITION, "the agent is closed");
  EXPECT_FAILS(tacet_vault_set(agent_, "contact", "email_address", "a@b.example", 11,
                               TACET_CHANGE_USER, nullptr),
               TACET_ERR_FAILED_PRECONDITION, "the agent is closed");
  EXPECT_FAILS(tacet_export_to_writer(
                   agent_, [](const uint8_t*, size_t, void*) { return TACET_OK; }, nullptr,
                   nullptr),
               TACET_ERR_FAILED_PRECONDITION, "the agent is closed");
  uint64_t id;
  EXPECT_FAILS(tacet_consent_add_listener(
                   agent_, [](uint64_t, void*) {}, nullptr, nullptr, &id),
               TACET_ERR_FAILED_PRECONDITION, "the agent is closed");
  EXPECT_FAILS(tacet_voice_set_hardware_muted(agent_, 1), TACET_ERR_FAILED_PRECONDITION,
               "the agent is closed");
}

TEST_F(CapiMisuseTest, EnumsOutOfRangeAreRefused) {
  EXPECT_FAILS(misuse_set_purpose_state(agent_, 3), TACET_ERR_INVALID_ARGUMENT, "state is 3");
  EXPECT_FAILS(misuse_set_purpose_state(agent_, -1), TACET_ERR_INVALID_ARGUMENT, "state is -1");
  EXPECT_FAILS(misuse_set_purpose_source(agent_, 0), TACET_ERR_INVALID_ARGUMENT, "source is 0");
  EXPECT_FAILS(misuse_set_purpose_source(agent_, 6), TACET_ERR_INVALID_ARGUMENT, "source is 6");
  EXPECT_FAILS(misuse_consent_get_kind(agent_, 99), TACET_ERR_INVALID_ARGUMENT, "kind is 99");
  EXPECT_FAILS(misuse_set_location_precision(agent_, 3), TACET_ERR_INVALID_ARGUMENT,
               "precision is 3");
  EXPECT_FAILS(misuse_vault_set_source(agent_, 4), TACET_ERR_INVALID_ARGUMENT, "source is 4");
  EXPECT_FAILS(misuse_set_os_permission(agent_, 2, TACET_PERMISSION_GRANTED),
               TACET_ERR_INVALID_ARGUMENT, "permission is 2");
  EXPECT_FAILS(misuse_set_os_permission(agent_, TACET_OS_PERMISSION_MICROPHONE, 1000),
               TACET_ERR_INVALID_ARGUMENT, "state is 1000");
  EXPECT_FAILS(misuse_set_log_level(options_, 5), TACET_ERR_INVALID_ARGUMENT, "level is 5");
  EXPECT_STREQ(misuse_denial_name(13), "invalid");
  EXPECT_STREQ(misuse_denial_name(-5), "invalid");
  // Nothing was recorded.
  int entries = 0;
  ASSERT_TOK(tacet_consent_history(
      agent_, nullptr,
      [](const tacet_consent_entry*, void* user_data) {
        ++*static_cast<int*>(user_data);
        return 0;
      },
      &entries));
  EXPECT_EQ(entries, 0);
}

TEST_F(CapiMisuseTest, IdentifiersMustBeTerminatedUtf8OfBoundedLength) {
  std::vector<char> unterminated(TACET_MAX_ID_LENGTH + 40, 'a');
  EXPECT_FAILS(tacet_consent_set_purpose(agent_, unterminated.data(), TACET_CONSENT_GRANTED,
                                         TACET_SOURCE_USER),
               TACET_ERR_INVALID_ARGUMENT, "purpose_id is not NUL-terminated within 255 bytes");
  std::string longest(TACET_MAX_ID_LENGTH, 'a');
  EXPECT_FAILS(tacet_consent_set_purpose(agent_, longest.c_str(), TACET_CONSENT_GRANTED,
                                         TACET_SOURCE_USER),
               TACET_ERR_NOT_FOUND, "aaaa");  // long but well-formed: the policy lacks it
  EXPECT_FAILS(tacet_consent_set_purpose(agent_, "voice_\xff\xfe", TACET_CONSENT_GRANTED,
                                         TACET_SOURCE_USER),
               TACET_ERR_INVALID_ARGUMENT, "purpose_id is not valid UTF-8");
  EXPECT_FAILS(tacet_consent_set_purpose(agent_, "", TACET_CONSENT_GRANTED, TACET_SOURCE_USER),
               TACET_ERR_INVALID_ARGUMENT, "purpose_id is empty");
  EXPECT_FAILS(tacet_vault_list(agent_, "contact\xc0\x80", "email_address", nullptr),
               TACET_ERR_INVALID_ARGUMENT, "category is not valid UTF-8");
  // A value is bytes with a length: malformed text is the vault's to refuse, by field.
  ASSERT_TOK(tacet_consent_set_category_provided(agent_, "contact", 1, TACET_SOURCE_USER));
  EXPECT_FAILS(tacet_vault_set(agent_, "contact", "email_address", "a\xff@b.example", 12,
                               TACET_CHANGE_USER, nullptr),
               TACET_ERR_INVALID_ARGUMENT, "email_address");
  std::vector<char> path(TACET_MAX_PATH_LENGTH + 10, 'p');
  EXPECT_FAILS(tacet_options_set_data_dir(options_, path.data()), TACET_ERR_INVALID_ARGUMENT,
               "path is not NUL-terminated within 4095 bytes");
}

TEST_F(CapiMisuseTest, BadOptionsAndTablesAreRefusedBeforeOpening) {
  tacet_options_t* options = nullptr;
  ASSERT_TOK(tacet_options_new(&options));
  tacet_agent_t* agent = nullptr;
  EXPECT_FAILS(tacet_agent_open(options, &agent), TACET_ERR_INVALID_ARGUMENT,
               "no data directory");
  const uint8_t short_key[33] = {0x02};
  EXPECT_FAILS(tacet_options_set_policy_update_key(options, short_key, sizeof short_key),
               TACET_ERR_INVALID_ARGUMENT, "65 bytes");
  EXPECT_FAILS(tacet_options_set_audio_format(options, 44100, 3, 20), TACET_ERR_INVALID_ARGUMENT,
               "unsupported audio format");
  EXPECT_FAILS(tacet_options_set_lock_timeout_ms(options, -1), TACET_ERR_INVALID_ARGUMENT,
               "timeout_ms is -1");
  tacet_key_store ks{};
  EXPECT_FAILS(tacet_options_set_key_store(options, &ks), TACET_ERR_INVALID_ARGUMENT,
               "tacet_key_store.struct_size is 0");
  ks.struct_size = sizeof ks;
  EXPECT_FAILS(tacet_options_set_key_store(options, &ks), TACET_ERR_INVALID_ARGUMENT,
               "tacet_key_store.put is NULL");
  tacet_clock clock{};
  clock.struct_size = sizeof clock;
  clock.now_unix_ms = [](void*) -> int64_t { return 0; };
  EXPECT_FAILS(tacet_options_set_clock(options, &clock), TACET_ERR_INVALID_ARGUMENT,
               "tacet_clock.monotonic_ns is NULL");
  ASSERT_TOK(tacet_options_set_clock(options, nullptr));  // back to the default
  tacet_options_free(options);
}

TEST_F(CapiMisuseTest, APlatformTableThatFailsIsAClearError) {
  tacet_options_t* options = nullptr;
  ASSERT_TOK(tacet_options_new(&options));
  ASSERT_TOK(tacet_options_set_data_dir(options, dir_.File("other").c_str()));
  tacet_entropy entropy{sizeof(tacet_entropy),
                        [](void*, uint8_t*, size_t) { return TACET_ERR_UNAVAILABLE; }, nullptr};
  ASSERT_TOK(tacet_options_set_entropy(options, &entropy));
  tacet_agent_t* agent = nullptr;
  EXPECT_FAILS(tacet_agent_open(options, &agent), TACET_ERR_UNAVAILABLE, "entropy");
  EXPECT_EQ(agent, nullptr);
  // A status outside the enum is not passed on as if it were one.
  entropy.fill = misuse_fill_with_status_42;
  ASSERT_TOK(tacet_options_set_entropy(options, &entropy));
  EXPECT_FAILS(tacet_agent_open(options, &agent), TACET_ERR_INTERNAL, "not a tacet_status");
  tacet_options_free(options);
}

// ---- callbacks that re-enter the SDK ------------------------------------------------------------

struct Reentry {
  tacet_agent_t* agent = nullptr;
  tacet_voice_session_t* session = nullptr;
  tacet_status nested = TACET_OK;
  std::string message;
  tacet_status allowed = TACET_ERR_INTERNAL;
  int calls = 0;
  int in_callback = -1;
};

TEST_F(CapiMisuseTest, AListenerThatCallsBackIsRefusedButMayRead) {
  Reentry r;
  r.agent = agent_;
  uint64_t id = 0;
  ASSERT_TOK(tacet_consent_add_listener(
      agent_,
      [](uint64_t, void* user_data) {
        auto* self = static_cast<Reentry*>(user_data);
        ++self->calls;
        self->in_callback = tacet_in_callback();
        self->nested = tacet_consent_set_purpose(self->agent, "advertising",
                                                 TACET_CONSENT_GRANTED, TACET_SOURCE_USER);
        self->message = tacet_last_error_message();
        tacet_consent_state s;
        self->allowed = tacet_consent_get(self->agent, TACET_SUBJECT_PURPOSE, "analytics", &s);
      },
      &r, nullptr, &id));
  ASSERT_TOK(tacet_consent_set_purpose(agent_, "analytics", TACET_CONSENT_GRANTED,
                                       TACET_SOURCE_USER));
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.in_callback, 1) << "a binding asks this before freeing from a destructor";
  EXPECT_EQ(tacet_in_callback(), 0);
  EXPECT_EQ(r.nested, TACET_ERR_FAILED_PRECONDITION);
  EXPECT_THAT(r.message, HasSubstr("tacet_consent_set_purpose: called from inside a Tacet callback"));
  EXPECT_EQ(r.allowed, TACET_OK);
  // The outer call succeeded and its own outcome is what the thread sees.
  EXPECT_STREQ(tacet_last_error_message(), "");
  tacet_consent_state s;
  ASSERT_TOK(tacet_consent_get(agent_, TACET_SUBJECT_PURPOSE, "advertising", &s));
  EXPECT_EQ(s, TACET_CONSENT_UNKNOWN) << "the nested call was carried out";
  // Nor may a listener close or free the agent.
  ASSERT_TOK(tacet_consent_remove_listener(agent_, id));
  ASSERT_TOK(tacet_consent_add_listener(
      agent_,
      [](uint64_t, void* user_data) {
        auto* self = static_cast<Reentry*>(user_data);
        self->nested = tacet_agent_close(self->agent);
        tacet_agent_free(self->agent);  // refused: the handle stays
      },
      &r, nullptr, &id));
  ASSERT_TOK(tacet_consent_set_purpose(agent_, "analytics", TACET_CONSENT_DENIED,
                                       TACET_SOURCE_USER));
  EXPECT_EQ(r.nested, TACET_ERR_FAILED_PRECONDITION);
  ASSERT_TOK(tacet_consent_verify(agent_));
}

TEST_F(CapiMisuseTest, AFrameCallbackMayEndItsSessionButNotWriteOrFreeIt) {
  AllowVoice();
  Reentry r;
  r.agent = agent_;
  tacet_voice_callbacks cb{};
  cb.struct_size = sizeof cb;
  cb.user_data = &r;
  cb.on_frame = [](const int16_t*, size_t, int64_t, void* user_data) {
    auto* self = static_cast<Reentry*>(user_data);
    ++self->calls;
    self->nested = tacet_vault_set(self->agent, "voice", "voice_commands", "x", 1,
                                   TACET_CHANGE_APP, nullptr);
    tacet_voice_session_free(self->session);  // refused inside its own callback
    self->allowed = tacet_voice_session_end(self->session);
  };
  ASSERT_TOK(tacet_voice_session_open(agent_, "voice_features", &cb, &r.session, nullptr));
  std::vector<int16_t> frame(320, 5);
  ASSERT_TOK(tacet_voice_push_frame(agent_, frame.data(), frame.size(), 0));
  ASSERT_TOK(tacet_voice_push_frame(agent_, frame.data(), frame.size(), 1));
  EXPECT_EQ(r.calls, 1) << "a session that ended itself still got frames";
  EXPECT_EQ(r.nested, TACET_ERR_FAILED_PRECONDITION);
  EXPECT_EQ(r.allowed, TACET_OK);
  tacet_end_reason reason = TACET_END_NONE;
  ASSERT_TOK(tacet_voice_session_state(r.session, &reason, nullptr));
  EXPECT_EQ(reason, TACET_END_COMPLETED_BY_CALLER);
  tacet_voice_session_free(r.session);  // now it goes
  EXPECT_FAILS(tacet_voice_session_end(r.session), TACET_ERR_INVALID_ARGUMENT,
               "not a live tacet_voice_session_t");
}

TEST_F(CapiMisuseTest, AWriteCallbackThatCallsBackIsRefused) {
  Reentry r;
  r.agent = agent_;
  EXPECT_EQ(tacet_export_to_writer(
                agent_,
                [](const uint8_t*, size_t, void* user_data) {
                  auto* self = static_cast<Reentry*>(user_data);
                  tacet_erasure_result erased;
                  self->nested = tacet_vault_erase_all(self->agent, &erased);
                  return self->nested;
                },
                &r, nullptr),
            TACET_ERR_FAILED_PRECONDITION);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("write callback"));
  EXPECT_EQ(r.nested, TACET_ERR_FAILED_PRECONDITION);
}

TEST_F(CapiMisuseTest, FramesOfTheWrongSizeAreRefused) {
  std::vector<int16_t> frame(319, 0);
  EXPECT_FAILS(tacet_voice_push_frame(agent_, frame.data(), frame.size(), 0),
               TACET_ERR_INVALID_ARGUMENT, "a frame has 320 samples");
  tacet_voice_callbacks cb{};
  cb.struct_size = 4;
  cb.on_frame = [](const int16_t*, size_t, int64_t, void*) {};
  tacet_voice_session_t* session = nullptr;
  EXPECT_FAILS(tacet_voice_session_open(agent_, "voice_features", &cb, &session, nullptr),
               TACET_ERR_INVALID_ARGUMENT, "struct_size is 4");
}

}  // namespace
