// Runs the tacetctl binary on good and bad policy files and checks exit codes and messages.
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "policy/embedded_policy.h"
#include "policy/policy.h"
#include "policy/policy_test_util.h"
#include "testing/tacetctl_fixture.h"
#include "testing/test_util.h"

namespace tacet::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using tacet::testing::WriteFileOrDie;
namespace pt = tacet::policy::testing;

using Result = tacet::testing::TacetctlResult;

// The policy commands need no device: every run is RunBare, and the fixture's folder holds the
// files the tests write.
class TacetctlTest : public tacet::testing::TacetctlFixture {
 protected:
  // Writes a variant of the shipped policy and returns its path.
  std::string WritePolicy(const std::string& name, const fb::PolicyT& tree) {
    return WriteBytes(name, pt::Pack(tree));
  }
  std::string WriteBytes(const std::string& name, ByteView bytes) {
    const std::string path = File(name);
    WriteFileOrDie(path, bytes);
    return path;
  }
};

TEST_F(TacetctlTest, ShowListsEveryCategoryPurposeRecipientAndChannel) {
  const Result r = RunBare({"policy", "show"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto policy = policy::Policy::LoadEmbedded();
  ASSERT_OK(policy);
  const fb::Policy& root = *fb::GetPolicy((*policy)->bytes().data());
  for (const auto* c : *root.categories()) EXPECT_THAT(r.output, HasSubstr("  " + c->id()->str() + " — "));
  for (const auto* p : *root.purposes()) EXPECT_THAT(r.output, HasSubstr("  " + p->id()->str() + " — "));
  for (const auto* p : *root.recipients()) EXPECT_THAT(r.output, HasSubstr("  " + p->id()->str() + " — "));
  for (const auto* c : *root.channels()) EXPECT_THAT(r.output, HasSubstr("  " + c->id()->str() + " — "));
  EXPECT_THAT(r.output, HasSubstr("Controller: Spotify USA Inc."));
  EXPECT_THAT(r.output, HasSubstr("Privacy contact: privacy@spotify.com"));
  EXPECT_THAT(r.output, HasSubstr("sensitivity special, optional, retention 90 days"));
  EXPECT_THAT(r.output, HasSubstr("without it: no voice_features"));
  EXPECT_THAT(r.output, HasSubstr("profile_picture (public)"));
  EXPECT_THAT(r.output, HasSubstr("basis consent, refusable, default denied"));
  EXPECT_THAT(r.output, HasSubstr("usage for academic_research as pseudonymise"));
  EXPECT_THAT(r.output, HasSubstr("valid legal process only"));
  EXPECT_THAT(r.output, HasSubstr("request_copy (copy, via the privacy contact)"));
  EXPECT_THAT(r.output, HasSubstr("encryption — "));
}

TEST_F(TacetctlTest, ShowJsonCompilesBackToTheSamePolicy) {
  const Result json = RunBare({"policy", "show", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  EXPECT_THAT(json.output, HasSubstr("\"id\": \"streaming_service\""));
  const std::string json_path = WriteBytes("policy.json", ByteView::FromString(json.out));
  const Result compiled = RunBare({"policy", "compile", json_path, File("out.bin")});
  ASSERT_EQ(compiled.exit_code, 0) << compiled.output;
  auto original = policy::Policy::LoadEmbedded();
  auto round_trip = policy::Policy::LoadFile(File("out.bin"));
  ASSERT_OK(original);
  ASSERT_OK(round_trip);
  // Same content: the object trees re-serialise to identical bytes.
  std::unique_ptr<fb::PolicyT> a(fb::GetPolicy((*original)->bytes().data())->UnPack());
  std::unique_ptr<fb::PolicyT> b(fb::GetPolicy((*round_trip)->bytes().data())->UnPack());
  EXPECT_EQ(pt::Pack(*a), pt::Pack(*b));
}

TEST_F(TacetctlTest, CompileTheShippedSourceAndRefuseABadOne) {
  const Result ok = RunBare({"policy", "compile", TACET_POLICY_JSON, File("p.bin")});
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(tacet::testing::ReadFileOrDie(File("p.bin")), policy::EmbeddedPolicyBytes().ToBytes());

  const std::string typo = WriteBytes("typo.json", ByteView::FromString(R"({ id: "x", verison: 2 })"));
  const Result bad = RunBare({"policy", "compile", typo, File("q.bin")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.output, HasSubstr("unknown field: verison"));
  EXPECT_FALSE(std::ifstream(File("q.bin")).good());
}

TEST_F(TacetctlTest, ShowAFile) {
  auto tree = pt::ShippedPolicyT();
  tree->version = 9;
  const Result r = RunBare({"policy", "show", WritePolicy("v9.bin", *tree)});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Policy streaming_service version 9"));
}

TEST_F(TacetctlTest, VerifyPassesOnTheShippedPolicy) {
  const Result r = RunBare({"policy", "verify", TACET_POLICY_BIN});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("policy 'streaming_service' version 1 is valid"));
}

TEST_F(TacetctlTest, VerifyFailsOnTruncatedRandomAndOversizedFiles) {
  const ByteView shipped = policy::EmbeddedPolicyBytes();
  Result r = RunBare({"policy", "verify", WriteBytes("truncated.bin", shipped.subview(0, shipped.size() / 3))});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("corrupt or truncated"));

  Bytes random(5000);
  uint32_t x = 2463534242u;  // xorshift: deterministic filler, not security-relevant
  for (uint8_t& b : random) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    b = static_cast<uint8_t>(x);
  }
  r = RunBare({"policy", "verify", WriteBytes("random.bin", random)});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("not a Tacet policy"));

  Bytes big = shipped.ToBytes();
  big.resize(3 * policy::kMaxPolicyBytes);
  r = RunBare({"policy", "verify", WriteBytes("big.bin", big)});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("larger than the 1 MiB limit"));
}

TEST_F(TacetctlTest, VerifyNamesEveryBadEntry) {
  auto tree = pt::ShippedPolicyT();
  pt::PurposeIn(*tree, "analytics").categories.push_back("gps");                  // dangling
  tree->categories.push_back(std::make_unique<fb::CategoryT>(pt::CategoryIn(*tree, "voice")));  // duplicate
  pt::RecipientIn(*tree, "music_industry_partners").grants[0]->transform = fb::Transform::None;
  pt::PurposeIn(*tree, "location_features").default_state = fb::DefaultState::Granted;
  pt::CategoryIn(*tree, "contact").retention_days = 0;
  const Result r = RunBare({"policy", "verify", WritePolicy("bad.bin", *tree)});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("INVALID: 5 problems"));
  EXPECT_THAT(r.output, HasSubstr("- purpose 'analytics' refers to unknown category 'gps'"));
  EXPECT_THAT(r.output, HasSubstr("- category 'voice' is defined more than once"));
  EXPECT_THAT(r.output, HasSubstr("- recipient 'music_industry_partners': grant of category 'usage' "
                                  "has transform 'none' but the recipient is pseudonymised-only"));
  EXPECT_THAT(r.output, HasSubstr("- purpose 'location_features' is consent-based but is not denied by default"));
  EXPECT_THAT(r.output, HasSubstr("- category 'contact' has no retention period"));
}

// O_CREAT's mode applies only to a new file: overwriting an existing world-readable file must
// not leave the new private key readable by others.
TEST_F(TacetctlTest, KeygenPrivateKeyIsOwnerOnlyEvenOverAnExistingFile) {
  const std::string priv = File("k.pem"), pub = File("p.pem");
  tacet::testing::WriteFileOrDie(priv, ByteView::FromString("old"));
  ASSERT_EQ(::chmod(priv.c_str(), 0644), 0);
  ASSERT_EQ(RunBare({"policy", "keygen", "--out-private", priv, "--out-public", pub}).exit_code, 0);
  struct stat st {};
  ASSERT_EQ(::stat(priv.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_THAT(std::string(ByteView(tacet::testing::ReadFileOrDie(priv)).AsStringView()),
              HasSubstr("PRIVATE KEY"));
}

// Keys, signatures and compiled policies are written beside their destination and renamed into
// place: a symbolic link there is refused (never followed into the file it points to), and so is
// a directory.
TEST_F(TacetctlTest, OutputsDoNotFollowSymbolicLinks) {
  const std::string precious = File("precious.txt");
  tacet::testing::WriteFileOrDie(precious, ByteView::FromString("keep me"));
  const std::string link = File("link.pem");
  ASSERT_EQ(::symlink(precious.c_str(), link.c_str()), 0);
  Result r = RunBare({"policy", "keygen", "--out-private", link, "--out-public", File("p.pem")});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("it is a symbolic link"));
  r = RunBare({"policy", "compile", TACET_POLICY_JSON, link});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("it is a symbolic link"));
  EXPECT_EQ(std::string(ByteView(tacet::testing::ReadFileOrDie(precious)).AsStringView()),
            "keep me");
  struct stat st {};
  ASSERT_EQ(::lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  r = RunBare({"policy", "compile", TACET_POLICY_JSON, path()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("it is a directory"));
}

TEST_F(TacetctlTest, KeygenSignAndVerifyTheSignature) {
  const std::string priv = File("k.pem"), pub = File("p.pem");
  const std::string other_priv = File("k2.pem"), other_pub = File("p2.pem");
  ASSERT_EQ(RunBare({"policy", "keygen", "--out-private", priv, "--out-public", pub}).exit_code, 0);
  ASSERT_EQ(RunBare({"policy", "keygen", "--out-private", other_priv, "--out-public", other_pub}).exit_code, 0);
  EXPECT_THAT(std::string(ByteView(tacet::testing::ReadFileOrDie(priv)).AsStringView()),
              HasSubstr("PRIVATE KEY"));

  auto tree = pt::ShippedPolicyT();
  tree->version = 2;
  const std::string file = WritePolicy("v2.bin", *tree);
  const std::string sig = File("v2.sig");
  Result r = RunBare({"policy", "sign", file, "--key", priv, "--out", sig});
  ASSERT_EQ(r.exit_code, 0) << r.output;

  r = RunBare({"policy", "verify", file, "--sig", sig, "--key", pub});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("signature by"));

  // Another key.
  r = RunBare({"policy", "verify", file, "--sig", sig, "--key", other_pub});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("BAD SIGNATURE"));

  // Tampered bytes: still a valid policy, but not what was signed.
  tree->version = 3;
  r = RunBare({"policy", "verify", WritePolicy("v2.bin", *tree), "--sig", sig, "--key", pub});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("BAD SIGNATURE"));
  EXPECT_THAT(r.output, HasSubstr("version 3 is valid"));

  // An invalid policy is not signed.
  pt::CategoryIn(*tree, "voice").retention_days = 0;
  r = RunBare({"policy", "sign", WritePolicy("bad.bin", *tree), "--key", priv, "--out", File("bad.sig")});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("category 'voice' has no retention period"));
}

TEST_F(TacetctlTest, DiffShowsReconsentAndControllerChange) {
  auto before = pt::ShippedPolicyT();
  auto after = pt::ShippedPolicyT();
  after->version = 2;
  after->controller->name = "Buyer Holdings B.V.";
  pt::PurposeIn(*after, "advertising").categories.push_back("location");
  const Result r = RunBare({"policy", "diff", WritePolicy("old.bin", *before),
                                   WritePolicy("new.bin", *after)});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("version 1 -> 'streaming_service' version 2"));
  EXPECT_THAT(r.output, HasSubstr("Controller changed: Spotify USA Inc. -> Buyer Holdings B.V."));
  EXPECT_THAT(r.output, HasSubstr("Re-consent needed (scope widened):\n  advertising\n"
                                  "    - now uses category 'location'"));
  EXPECT_THAT(r.output, HasSubstr("User's choice kept (scope unchanged or narrower):\n  provide_service"));
  EXPECT_THAT(r.output, Not(HasSubstr("WARNING")));
}

TEST_F(TacetctlTest, UsageErrors) {
  EXPECT_EQ(RunBare({}).exit_code, 2);
  EXPECT_EQ(RunBare({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(RunBare({"policy"}).exit_code, 2);
  EXPECT_EQ(RunBare({"policy", "verify"}).exit_code, 2);
  EXPECT_EQ(RunBare({"policy", "verify", "a", "b"}).exit_code, 2);
  EXPECT_EQ(RunBare({"policy", "show", "--yaml"}).exit_code, 2);
  const Result r = RunBare({"policy", "verify", "x", "--sig", "s"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--sig and --key go together"));
  const Result help = RunBare({"help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.output, HasSubstr("policy"));
  EXPECT_EQ(RunBare({"policy", "verify", "/nonexistent.bin"}).exit_code, 1);
}

}  // namespace
}  // namespace tacet::cli
