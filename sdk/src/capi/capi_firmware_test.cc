// C API requests from firmware integrators, and what the call-sequence fuzzer
// (tests/fuzz/capi_sequence_fuzzer.cc) brought up: a key store directory apart from the data
// directory, a microphone driver error that ends voice sessions, and the one denial reason the
// gates could answer that tacet.h did not declare. Only tacet.h functions, on a real agent.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "tacet/tacet.h"
#include "testing/test_util.h"

namespace {

using ::testing::HasSubstr;

#define ASSERT_TOK(expr) ASSERT_EQ((expr), TACET_OK) << tacet_last_error_message()
#define EXPECT_TOK(expr) EXPECT_EQ((expr), TACET_OK) << tacet_last_error_message()

constexpr size_t kSamplesPerFrame = 320;  // the default format: 16 kHz mono, 20 ms

struct Seen {
  int frames = 0;
  int ended = 0;
  tacet_end_reason reason = TACET_END_NONE;
};

tacet_voice_callbacks VoiceCallbacks(Seen* seen) {
  tacet_voice_callbacks cb{};
  cb.struct_size = sizeof cb;
  cb.on_frame = [](const int16_t*, size_t, int64_t, void* user_data) {
    ++static_cast<Seen*>(user_data)->frames;
  };
  cb.on_ended = [](tacet_end_reason reason, void* user_data) {
    static_cast<Seen*>(user_data)->reason = reason;
    ++static_cast<Seen*>(user_data)->ended;
  };
  cb.user_data = seen;
  return cb;
}

bool IsDir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string ExportJson(tacet_agent_t* agent) {
  std::string json;
  EXPECT_TOK(tacet_export_to_writer(
      agent,
      [](const uint8_t* bytes, size_t len, void* user_data) {
        static_cast<std::string*>(user_data)->append(reinterpret_cast<const char*>(bytes), len);
        return TACET_OK;
      },
      &json, nullptr));
  return json;
}

class CapiFirmwareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TOK(tacet_options_new(&options_));
    ASSERT_TOK(tacet_options_set_data_dir(options_, data_dir_.c_str()));
    ASSERT_TOK(tacet_options_set_log_level(options_, TACET_LOG_NONE));
    ASSERT_TOK(tacet_options_set_lock_timeout_ms(options_, 0));
  }
  void TearDown() override {
    tacet_agent_free(agent_);
    tacet_options_free(options_);
  }
  void AllowVoice() {
    ASSERT_TOK(tacet_consent_set_category_provided(agent_, "voice", 1, TACET_SOURCE_USER));
    ASSERT_TOK(tacet_consent_set_purpose(agent_, "voice_features", TACET_CONSENT_GRANTED,
                                         TACET_SOURCE_USER));
    ASSERT_TOK(tacet_agent_set_os_permission(agent_, TACET_OS_PERMISSION_MICROPHONE,
                                             TACET_PERMISSION_GRANTED, TACET_PRECISION_NONE));
  }
  void PushFrames(int n) {
    std::vector<int16_t> frame(kSamplesPerFrame, 7);
    for (int i = 0; i < n; ++i) {
      ASSERT_TOK(tacet_voice_push_frame(agent_, frame.data(), frame.size(), i * 20000000LL));
    }
  }

  tacet::testing::TempDir dir_;
  const std::string data_dir_ = dir_.File("device");
  const std::string key_dir_ = dir_.File("secure-partition");
  tacet_options_t* options_ = nullptr;
  tacet_agent_t* agent_ = nullptr;
};

TEST_F(CapiFirmwareTest, TheKeyStoreCanLiveOutsideTheDataDirectory) {
  ASSERT_TOK(tacet_options_set_key_store_dir(options_, key_dir_.c_str()));
  ASSERT_TOK(tacet_agent_open(options_, &agent_));
  ASSERT_TOK(tacet_consent_set_category_provided(agent_, "contact", 1, TACET_SOURCE_USER));
  int64_t id = 0;
  ASSERT_TOK(tacet_vault_set(agent_, "contact", "email_address", "ada@example.org", 15,
                             TACET_CHANGE_USER, &id));
  EXPECT_TRUE(IsDir(key_dir_)) << "the key store directory was not created";
  EXPECT_FALSE(IsDir(data_dir_ + "/keys")) << "secrets were kept under the data directory";
  // Export and report files are refused inside the key store as inside the device folder.
  const std::string inside = key_dir_ + "/export.json";
  EXPECT_EQ(tacet_export_to_file(agent_, inside.c_str(), nullptr), TACET_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("key store directory"));
  EXPECT_EQ(tacet_report_to_file(agent_, inside.c_str(), nullptr), TACET_ERR_INVALID_ARGUMENT);
  tacet_agent_free(agent_);
  agent_ = nullptr;

  // Reopened with the same directory: the value decrypts.
  ASSERT_TOK(tacet_agent_open(options_, &agent_));
  tacet_vault_record* record = nullptr;
  ASSERT_TOK(tacet_vault_get(agent_, id, &record));
  EXPECT_EQ(std::string(record->value, record->value_len), "ada@example.org");
  tacet_free(record);
  tacet_agent_free(agent_);
  agent_ = nullptr;

  // The default (NULL restores it) or a mistyped directory: refused before any key is made.
  ASSERT_TOK(tacet_options_set_key_store_dir(options_, nullptr));
  EXPECT_EQ(tacet_agent_open(options_, &agent_), TACET_ERR_FAILED_PRECONDITION);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("key store"));
  EXPECT_EQ(agent_, nullptr);
  EXPECT_FALSE(IsDir(data_dir_ + "/keys"));
  const std::string typo = dir_.File("secure-partiton");
  ASSERT_TOK(tacet_options_set_key_store_dir(options_, typo.c_str()));
  EXPECT_EQ(tacet_agent_open(options_, &agent_), TACET_ERR_FAILED_PRECONDITION);
  EXPECT_FALSE(IsDir(typo));
}

TEST_F(CapiFirmwareTest, AKeyStoreDirectoryIsCheckedAndExclusiveWithAKeyStoreTable) {
  EXPECT_EQ(tacet_options_set_key_store_dir(nullptr, key_dir_.c_str()), TACET_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(tacet_options_set_key_store_dir(options_, ""), TACET_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("path is empty"));
  const char not_utf8[] = {'/', 't', 'm', 'p', '/', '\xff', '\0'};
  EXPECT_EQ(tacet_options_set_key_store_dir(options_, not_utf8), TACET_ERR_INVALID_ARGUMENT);

  tacet_key_store table{};
  table.struct_size = sizeof table;
  table.put = [](void*, const char*, const uint8_t*, size_t) { return TACET_ERR_UNAVAILABLE; };
  table.get = [](void*, const char*, uint8_t*, size_t, size_t*) { return TACET_ERR_NOT_FOUND; };
  table.del = [](void*, const char*) { return TACET_ERR_NOT_FOUND; };
  ASSERT_TOK(tacet_options_set_key_store(options_, &table));
  ASSERT_TOK(tacet_options_set_key_store_dir(options_, key_dir_.c_str()));
  EXPECT_EQ(tacet_agent_open(options_, &agent_), TACET_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(tacet_last_error_message(), HasSubstr("both a key store table"));
  EXPECT_FALSE(IsDir(data_dir_)) << "a refused open created the device folder";
  EXPECT_FALSE(IsDir(key_dir_));
}

TEST_F(CapiFirmwareTest, AMicrophoneErrorEndsVoiceSessionsAndIsLogged) {
  ASSERT_TOK(tacet_agent_open(options_, &agent_));
  // Nothing open: nothing to end, and nothing is logged.
  ASSERT_TOK(tacet_voice_report_device_error(agent_));
  AllowVoice();
  Seen first, second;
  tacet_voice_callbacks cb1 = VoiceCallbacks(&first);
  tacet_voice_callbacks cb2 = VoiceCallbacks(&second);
  tacet_voice_session_t* s1 = nullptr;
  tacet_voice_session_t* s2 = nullptr;
  ASSERT_TOK(tacet_voice_session_open(agent_, "voice_features", &cb1, &s1, nullptr));
  ASSERT_TOK(tacet_voice_session_open(agent_, "voice_features", &cb2, &s2, nullptr));
  PushFrames(2);
  ASSERT_EQ(first.frames, 2);

  ASSERT_TOK(tacet_voice_report_device_error(agent_));
  for (Seen* seen : {&first, &second}) {
    EXPECT_EQ(seen->ended, 1);
    EXPECT_EQ(seen->reason, TACET_END_DEVICE_ERROR);
  }
  tacet_end_reason reason = TACET_END_NONE;
  ASSERT_TOK(tacet_voice_session_state(s1, &reason, nullptr));
  EXPECT_EQ(reason, TACET_END_DEVICE_ERROR);
  EXPECT_STREQ(tacet_end_reason_name(reason), "device_error");
  PushFrames(2);
  EXPECT_EQ(first.frames, 2) << "a frame reached a session after the device error";
  EXPECT_EQ(second.frames, 2);
  tacet_voice_session_free(s1);
  tacet_voice_session_free(s2);
  EXPECT_EQ(first.ended, 1) << "freeing an ended session told on_ended again";

  // The access log says how both ended, distinct from the caller ending one.
  const std::string json = ExportJson(agent_);
  size_t count = 0;
  for (size_t at = json.find("ended_by_device_error"); at != std::string::npos;
       at = json.find("ended_by_device_error", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 2u) << json;

  // The driver works again: a new session captures.
  Seen third;
  tacet_voice_callbacks cb3 = VoiceCallbacks(&third);
  tacet_voice_session_t* s3 = nullptr;
  ASSERT_TOK(tacet_voice_session_open(agent_, "voice_features", &cb3, &s3, nullptr));
  PushFrames(1);
  EXPECT_EQ(third.frames, 1);
  tacet_voice_session_free(s3);
  EXPECT_TOK(tacet_audit_verify(agent_));

  ASSERT_TOK(tacet_agent_close(agent_));
  EXPECT_EQ(tacet_voice_report_device_error(agent_), TACET_ERR_FAILED_PRECONDITION);
  EXPECT_EQ(tacet_voice_report_device_error(nullptr), TACET_ERR_INVALID_ARGUMENT);
}

// Found while writing the call-sequence fuzzer's invariant "a denial is a declared
// tacet_denial_reason": a purpose whose legal basis is no reason to capture was refused with 12,
// which tacet.h did not declare (and tacet_denial_reason_name called "invalid").
TEST_F(CapiFirmwareTest, ALegalObligationIsRefusedWithADeclaredDenialReason) {
  ASSERT_TOK(tacet_agent_open(options_, &agent_));
  AllowVoice();
  Seen seen;
  tacet_voice_callbacks cb = VoiceCallbacks(&seen);
  tacet_voice_session_t* session = nullptr;
  tacet_denial_reason denial = TACET_DENIAL_NONE;
  EXPECT_EQ(tacet_voice_session_open(agent_, "legal_obligation", &cb, &session, &denial),
            TACET_ERR_PERMISSION_DENIED);
  EXPECT_EQ(session, nullptr);
  EXPECT_EQ(denial, TACET_DENIAL_NOT_A_COLLECTION_BASIS);
  EXPECT_STREQ(tacet_denial_reason_name(denial), "not_a_collection_basis");
  ASSERT_TOK(tacet_voice_check(agent_, "legal_obligation", &denial));
  EXPECT_EQ(denial, TACET_DENIAL_NOT_A_COLLECTION_BASIS);
}

}  // namespace
