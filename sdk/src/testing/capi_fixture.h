// The fixture of the C API tests: a tacet_options_t on a temporary device folder with the posix
// default platform services, and the tacet_agent_t opened from it, freed after each test. Only
// tacet.h functions touch the agent, as in firmware.
//
//   class CapiTest : public tacet::testing::CapiFixture {};
//   TEST_F(CapiTest, Consent) {
//     Open();
//     ASSERT_TOK(tacet_consent_set_purpose(agent_, "analytics", TACET_CONSENT_GRANTED,
//                                          TACET_SOURCE_USER));
//   }
#ifndef TACET_TESTING_CAPI_FIXTURE_H_
#define TACET_TESTING_CAPI_FIXTURE_H_

#include <gtest/gtest.h>

#include "tacet/tacet.h"
#include "testing/test_util.h"

// A call that must return TACET_OK; on failure the thread's last error message is printed.
#define ASSERT_TOK(expr) ASSERT_EQ((expr), TACET_OK) << tacet_last_error_message()
#define EXPECT_TOK(expr) EXPECT_EQ((expr), TACET_OK) << tacet_last_error_message()

namespace tacet::testing {

class CapiFixture : public ::testing::Test {
 protected:
  // Options for "<temp>/device" at TACET_LOG_WARNING with a 100 ms lock timeout. Nothing is
  // opened: tests set more options first, then Open().
  void SetUp() override {
    ASSERT_TOK(tacet_options_new(&options_));
    ASSERT_TOK(tacet_options_set_data_dir(options_, dir_.File("device").c_str()));
    ASSERT_TOK(tacet_options_set_log_level(options_, TACET_LOG_WARNING));
    ASSERT_TOK(tacet_options_set_lock_timeout_ms(options_, 100));
  }
  // Frees the agent (ending its sessions) and the options; both may be null.
  void TearDown() override {
    tacet_agent_free(agent_);
    tacet_options_free(options_);
  }

  void Open() { ASSERT_TOK(tacet_agent_open(options_, &agent_)); }

  // Consent for voice capture (category voice provided, voice_features granted) and the OS
  // microphone permission, all through the C API.
  void AllowVoice() {
    ASSERT_TOK(tacet_consent_set_category_provided(agent_, "voice", 1, TACET_SOURCE_USER));
    ASSERT_TOK(tacet_consent_set_purpose(agent_, "voice_features", TACET_CONSENT_GRANTED,
                                         TACET_SOURCE_USER));
    ASSERT_TOK(tacet_agent_set_os_permission(agent_, TACET_OS_PERMISSION_MICROPHONE,
                                             TACET_PERMISSION_GRANTED, TACET_PRECISION_NONE));
  }

  TempDir dir_;
  tacet_options_t* options_ = nullptr;
  tacet_agent_t* agent_ = nullptr;
};

}  // namespace tacet::testing

#endif  // TACET_TESTING_CAPI_FIXTURE_H_
