// The device harness itself: an Agent on the emulated device, reopened like a process restart,
// with the rows tests inspect.
#include "testing/device_harness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace tacet::testing {
namespace {

using consent::ConsentState;
using consent::DecisionSource;

TEST(DeviceHarnessTest, OpensAnAgentOnTheEmulatedDeviceAndKeepsDataAcrossAReopen) {
  DeviceHarness h;
  ASSERT_NE(h.agent(), nullptr);
  EXPECT_EQ(h.agent(), h.agent()) << "one agent until Reopen";
  h.GrantEverything(*h.agent());
  ASSERT_OK_AND_ASSIGN(int64_t id, h.agent()->SetValue("contact", "email_address",
                                                       "ada@example.org",
                                                       vault::ChangeSource::kUser));
  // The agent's keys are in the emulated device's key store.
  EXPECT_GT(h.device().key_store().size(), 0u);
  h.Reopen();
  ASSERT_NE(h.agent(), nullptr);
  ASSERT_OK_AND_ASSIGN(vault::Record record, h.agent()->GetValue(id));
  EXPECT_EQ(record.value, "ada@example.org");
  const consent::ConsentSnapshot& s = h.agent()->consent();
  EXPECT_EQ(s.purpose(s.PurposeIndex("voice_features")), ConsentState::kGranted);
  EXPECT_EQ(s.location_precision(), platform::LocationPrecision::kPrecise);
  // The folder is the harness's: a second agent on it waits for the first, then gives up.
  EXPECT_EQ(h.Open(h.Options()).status().code(), StatusCode::kUnavailable);
  h.CloseAgent();
  EXPECT_NE(h.MustOpen(), nullptr);
}

TEST(DeviceHarnessTest, AllowVoiceGrantsWhatTheVoiceGateChecks) {
  DeviceHarness h;
  ASSERT_NE(h.agent(), nullptr);
  EXPECT_EQ(h.agent()->voice_gate()->Check("voice_features"), gate::DenialReason::kConsentUnknown);
  h.AllowVoice(*h.agent());
  EXPECT_EQ(h.agent()->voice_gate()->Check("voice_features"), gate::DenialReason::kNone);
  EXPECT_TRUE(h.AccessLogRows().empty());
  std::unique_ptr<store::Database> db = h.Inspect();
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(db->read_only());
}

}  // namespace
}  // namespace tacet::testing
