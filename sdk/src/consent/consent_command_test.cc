// Runs the real tacetctl binary: `tacetctl consent show|grant|deny|history|receipt|verify`.

#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/device_schema.h"
#include "consent/consent_test_util.h"
#include "policy/policy_test_util.h"
#include "store/database.h"
#include "testing/run_command.h"
#include "testing/test_util.h"

namespace tacet::consent {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
namespace pt = tacet::policy::testing;

using Result = tacet::testing::CommandResult;

Result Tacetctl(const std::string& args) {
  return tacet::testing::RunCommand(std::string("'") + TACETCTL_PATH + "' consent " + args);
}

class ConsentCommandTest : public ::testing::Test {
 protected:
  std::string Db() const {
    return " --db '" + dir_.File("device.db") + "' --keystore '" + dir_.File("keys") + "'";
  }
  void Tamper(const std::string& sql) {
    store::OpenOptions options;
    options.schema = &agent::DeviceSchema();  // the schema tacetctl opens the file with
    auto db = store::Database::Open(dir_.File("device.db"), options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Exec(sql).ok());
  }
  tacet::testing::TempDir dir_;
};

TEST_F(ConsentCommandTest, ShowOnANewDevice) {
  // A reading command never creates a device: a mistyped --db must not leave a database behind.
  Result r = Tacetctl("show" + Db());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("no device database at"));
  struct stat st {};
  EXPECT_NE(::stat(dir_.File("device.db").c_str(), &st), 0) << "show created a database";
  EXPECT_NE(::stat(dir_.File("keys").c_str(), &st), 0) << "show created a key store";
  // The first write creates it; every other subject keeps its policy default.
  r = Tacetctl("grant location:none" + Db());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Tacetctl("show" + Db());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("policy streaming_service v1 (sha256 "));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*  voice_features +unknown +blocked +\\(policy_default; consent\\)(.|\n)*"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*  provide_service +granted +allowed +\\(policy_default; contract, not refusable\\)(.|\n)*"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*  email +unknown(.|\n)*"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*  voice +not asked(.|\n)*"));
  EXPECT_THAT(r.output, HasSubstr("location: none (user)"));
  EXPECT_THAT(r.output, HasSubstr("needs category 'voice' (not asked)"));
}

TEST_F(ConsentCommandTest, GrantDenyHistoryReceiptVerify) {
  Result r = Tacetctl("grant purpose:voice_features" + Db());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "purpose:voice_features: granted (history entry 1)\n");
  r = Tacetctl("grant category:voice" + Db());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Tacetctl("deny channel:email" + Db());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "channel:email: denied (history entry 3)\n");
  r = Tacetctl("grant location:approximate" + Db());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "location: approximate (history entry 4)\n");

  r = Tacetctl("show" + Db());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*  voice_features +granted +allowed +\\(user; consent\\)(.|\n)*"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*  email +denied +\\(user\\)(.|\n)*"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*  voice +provided +\\(user\\)(.|\n)*"));
  EXPECT_THAT(r.output, HasSubstr("location: approximate (user)"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*  voice_features +available\n(.|\n)*"));

  r = Tacetctl("history" + Db());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("#1 "));
  EXPECT_THAT(r.output, HasSubstr(" purpose:voice_features granted source=user policy=streaming_service v1 "));
  EXPECT_THAT(r.output, HasSubstr(" location granted precision=approximate source=user"));
  EXPECT_THAT(r.output, HasSubstr("    prev " + std::string(64, '0')));
  EXPECT_THAT(r.output, HasSubstr("4 entries\n"));
  r = Tacetctl("history channel:email" + Db());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("1 entries\n"));

  r = Tacetctl("receipt 3" + Db());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.output;
  EXPECT_EQ(j["subject"], "channel:email");
  EXPECT_EQ(j["decision"], "denied");
  EXPECT_EQ(j["source"], "user");

  r = Tacetctl("verify" + Db());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("ok: 4 history entries"));

  // Someone edits the database behind the ledger's back.
  Tamper("UPDATE consent_history SET state = 2 WHERE seq = 2");
  r = Tacetctl("verify" + Db());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("data loss: consent history: entry 2 does not match its hash"));
}

// The keyed head: a history whose head was deleted fails `verify`, and no write re-anchors it.
TEST_F(ConsentCommandTest, VerifyChecksTheKeyedHead) {
  ASSERT_EQ(Tacetctl("grant purpose:advertising" + Db()).exit_code, 0);
  ASSERT_EQ(Tacetctl("deny purpose:advertising" + Db()).exit_code, 0);
  Result r = Tacetctl("verify" + Db());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("ok: 2 history entries, chain, current state and keyed head agree"));
  Tamper("DELETE FROM consent_head");
  r = Tacetctl("verify" + Db());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("the keyed head is missing but the history has 2 entries"));
  r = Tacetctl("grant purpose:advertising" + Db());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(Tacetctl("verify" + Db()).exit_code, 1);
}

TEST_F(ConsentCommandTest, RefusalsAndUsageErrors) {
  Result r = Tacetctl("grant purpose:no_such" + Db());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("has no purpose 'no_such'"));
  r = Tacetctl("deny purpose:provide_service" + Db());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("cannot be refused"));
  r = Tacetctl("grant voice" + Db());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("'voice' is not a subject"));
  r = Tacetctl("grant location:everywhere" + Db());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = Tacetctl("show");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--db FILE and --keystore DIR are required"));
  // The key store holds the history head's key: no ledger without it.
  r = Tacetctl("show --db '" + dir_.File("device.db") + "'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--keystore DIR are required"));
  r = Tacetctl("show --frobnicate" + Db());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = Tacetctl("receipt 0" + Db());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = Tacetctl("receipt 9" + Db());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("entry 9 does not exist"));
  r = Tacetctl("dance" + Db());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  // None of the refused commands wrote anything.
  r = Tacetctl("history" + Db());
  EXPECT_THAT(r.output, HasSubstr("0 entries"));
}

TEST_F(ConsentCommandTest, APolicyUpdateReasksWidenedPurposes) {
  ASSERT_EQ(Tacetctl("grant purpose:advertising" + Db()).exit_code, 0);
  ASSERT_EQ(Tacetctl("grant purpose:voice_features" + Db()).exit_code, 0);
  auto tree = pt::ShippedPolicyT();
  tree->version = 2;
  pt::PurposeIn(*tree, "advertising").categories.push_back("contact");
  const std::string v2 = dir_.File("v2.bin");
  tacet::testing::WriteFileOrDie(v2, pt::Pack(*tree));
  const Result r = Tacetctl("show --policy '" + v2 + "'" + Db());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("policy streaming_service v2"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*  advertising +unknown +blocked +\\(policy_update; consent\\)(.|\n)*"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*  voice_features +granted +allowed +\\(user; consent\\)(.|\n)*"));
  EXPECT_EQ(Tacetctl("verify --policy '" + v2 + "'" + Db()).exit_code, 0);
}

}  // namespace
}  // namespace tacet::consent
