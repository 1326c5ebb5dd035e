// Runs the real tacetctl binary: `tacetctl consent show|grant|deny|history|receipt|verify`.

#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>
#include <nlohmann/json.hpp>
#include <string>

#include "policy/policy_test_util.h"
#include "testing/tacetctl_fixture.h"
#include "testing/test_util.h"

namespace tacet::consent {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
namespace pt = tacet::policy::testing;

using Result = tacet::testing::TacetctlResult;

class ConsentCommandTest : public tacet::testing::TacetctlFixture {
 protected:
  // tacetctl consent ARGS on the fixture's device.
  Result Consent(std::vector<std::string> args) {
    args.insert(args.begin(), "consent");
    return Run(std::move(args));
  }
};

TEST_F(ConsentCommandTest, ShowOnANewDevice) {
  // A reading command never creates a device: a mistyped --db must not leave a database behind.
  Result r = Consent({"show"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("no device database at"));
  struct stat st {};
  EXPECT_NE(::stat(File("device.db").c_str(), &st), 0) << "show created a database";
  EXPECT_NE(::stat(File("keys").c_str(), &st), 0) << "show created a key store";
  // The first write creates it; every other subject keeps its policy default.
  r = Consent({"grant", "location:none"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Consent({"show"});
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
  Result r = Consent({"grant", "purpose:voice_features"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "purpose:voice_features: granted (history entry 1)\n");
  r = Consent({"grant", "category:voice"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Consent({"deny", "channel:email"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "channel:email: denied (history entry 3)\n");
  r = Consent({"grant", "location:approximate"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "location: approximate (history entry 4)\n");

  r = Consent({"show"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*  voice_features +granted +allowed +\\(user; consent\\)(.|\n)*"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*  email +denied +\\(user\\)(.|\n)*"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*  voice +provided +\\(user\\)(.|\n)*"));
  EXPECT_THAT(r.output, HasSubstr("location: approximate (user)"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*  voice_features +available\n(.|\n)*"));

  r = Consent({"history"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("#1 "));
  EXPECT_THAT(r.output, HasSubstr(" purpose:voice_features granted source=user policy=streaming_service v1 "));
  EXPECT_THAT(r.output, HasSubstr(" location granted precision=approximate source=user"));
  EXPECT_THAT(r.output, HasSubstr("    prev " + std::string(64, '0')));
  EXPECT_THAT(r.output, HasSubstr("4 entries\n"));
  r = Consent({"history", "channel:email"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("1 entries\n"));

  r = Consent({"receipt", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = ParseJson(r.out);
  ASSERT_FALSE(j.is_discarded()) << r.output;
  EXPECT_EQ(j["subject"], "channel:email");
  EXPECT_EQ(j["decision"], "denied");
  EXPECT_EQ(j["source"], "user");

  r = Consent({"verify"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("ok: 4 history entries"));

  // Someone edits the database behind the ledger's back.
  Sql("UPDATE consent_history SET state = 2 WHERE seq = 2");
  r = Consent({"verify"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("data loss: consent history: entry 2 does not match its hash"));
}

// The keyed head: a history whose head was deleted fails `verify`, and no write re-anchors it.
TEST_F(ConsentCommandTest, VerifyChecksTheKeyedHead) {
  ASSERT_EQ(Consent({"grant", "purpose:advertising"}).exit_code, 0);
  ASSERT_EQ(Consent({"deny", "purpose:advertising"}).exit_code, 0);
  Result r = Consent({"verify"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("ok: 2 history entries, chain, current state and keyed head agree"));
  Sql("DELETE FROM consent_head");
  r = Consent({"verify"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("the keyed head is missing but the history has 2 entries"));
  r = Consent({"grant", "purpose:advertising"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(Consent({"verify"}).exit_code, 1);
}

TEST_F(ConsentCommandTest, RefusalsAndUsageErrors) {
  Result r = Consent({"grant", "purpose:no_such"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("has no purpose 'no_such'"));
  r = Consent({"deny", "purpose:provide_service"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("cannot be refused"));
  r = Consent({"grant", "voice"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("'voice' is not a subject"));
  r = Consent({"grant", "location:everywhere"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = RunBare({"consent", "show"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--db FILE and --keystore DIR are required"));
  // The key store holds the history head's key: no ledger without it.
  r = RunBare({"consent", "show", "--db", Db()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--keystore DIR are required"));
  r = Consent({"show", "--frobnicate"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = Consent({"receipt", "0"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = Consent({"receipt", "9"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("entry 9 does not exist"));
  r = Consent({"dance"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  // None of the refused commands wrote anything.
  r = Consent({"history"});
  EXPECT_THAT(r.output, HasSubstr("0 entries"));
}

TEST_F(ConsentCommandTest, APolicyUpdateReasksWidenedPurposes) {
  ASSERT_EQ(Consent({"grant", "purpose:advertising"}).exit_code, 0);
  ASSERT_EQ(Consent({"grant", "purpose:voice_features"}).exit_code, 0);
  auto tree = pt::ShippedPolicyT();
  tree->version = 2;
  pt::PurposeIn(*tree, "advertising").categories.push_back("contact");
  const std::string v2 = File("v2.bin");
  tacet::testing::WriteFileOrDie(v2, pt::Pack(*tree));
  const Result r = Consent({"show", "--policy", v2});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("policy streaming_service v2"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*  advertising +unknown +blocked +\\(policy_update; consent\\)(.|\n)*"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*  voice_features +granted +allowed +\\(user; consent\\)(.|\n)*"));
  EXPECT_EQ(Consent({"verify", "--policy", v2}).exit_code, 0);
}

}  // namespace
}  // namespace tacet::consent
