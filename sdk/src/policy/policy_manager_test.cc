#include "policy/policy_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>

#include "crypto/crypto_test_util.h"
#include "crypto/ecdsa.h"
#include "policy/embedded_policy.h"
#include "policy/policy_test_util.h"
#include "posix/file_key_store.h"
#include "testing/test_util.h"

namespace tacet::policy {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using tacet::testing::TempDir;

struct SignedPolicy {
  Bytes bytes;
  Bytes signature;
};

class PolicyManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Keys are generated per test run; none is checked in.
    ASSERT_OK_AND_ASSIGN(key_, crypto::EcdsaP256Generate(crypto::testing::TestDrbg()));
    ASSERT_OK_AND_ASSIGN(other_key_, crypto::EcdsaP256Generate(crypto::testing::TestDrbg()));
  }

  PolicyManagerOptions Options(std::string state_path = "") const {
    PolicyManagerOptions options;
    options.update_public_key = key_.public_key;
    options.state_path = std::move(state_path);
    return options;
  }

  std::unique_ptr<PolicyManager> NewManager(std::string state_path = "") {
    auto manager = PolicyManager::Create(Options(std::move(state_path)));
    EXPECT_OK(manager);
    return manager.ok() ? std::move(manager).value() : nullptr;
  }

  SignedPolicy Sign(Bytes bytes, const crypto::EcdsaP256KeyPair& key) {
    auto signature = crypto::EcdsaP256Sign(key.private_key.view(), bytes, crypto::testing::TestDrbg());
    EXPECT_OK(signature);
    return {std::move(bytes), signature.ok() ? *signature : Bytes{}};
  }
  SignedPolicy Sign(const fb::PolicyT& tree) { return Sign(testing::Pack(tree), key_); }

  // The shipped policy at `version`.
  std::unique_ptr<fb::PolicyT> Version(uint64_t version) {
    auto tree = testing::ShippedPolicyT();
    tree->version = version;
    return tree;
  }

  crypto::EcdsaP256KeyPair key_, other_key_;
};

TEST_F(PolicyManagerTest, StartsWithTheEmbeddedPolicy) {
  auto manager = NewManager();
  ASSERT_NE(manager, nullptr);
  EXPECT_EQ(manager->active()->bytes().ToBytes(), EmbeddedPolicyBytes().ToBytes());
  EXPECT_FALSE(manager->notice_required());
  EXPECT_TRUE(manager->Disclosure("usage", "analytics", "group_companies").allowed);
}

TEST_F(PolicyManagerTest, RefusesAMalformedPinnedKey) {
  PolicyManagerOptions options;
  options.update_public_key = Bytes(33, 0x02);
  EXPECT_THAT(PolicyManager::Create(options),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("65-byte")));
}

TEST_F(PolicyManagerTest, AcceptsANewerSignedPolicyAndReportsTheDiff) {
  auto manager = NewManager();
  ASSERT_NE(manager, nullptr);
  std::vector<PolicyDiff> seen;
  manager->AddPolicyChangedListener([&](const PolicyDiff& diff) { seen.push_back(diff); });

  auto tree = Version(2);
  testing::PurposeIn(*tree, "advertising").categories.push_back("location");
  testing::RecipientIn(*tree, "controller").grants[6]->purposes.push_back("advertising");
  const SignedPolicy update = Sign(*tree);
  ASSERT_OK_AND_ASSIGN(PolicyDiff diff, manager->ApplySignedUpdate(update.bytes, update.signature));

  EXPECT_EQ(manager->active()->version(), 2u);
  EXPECT_EQ(manager->active()->bytes().ToBytes(), update.bytes);
  // Re-ask for the widened purpose only; every other choice stands.
  EXPECT_THAT(diff.PurposesNeedingConsent(), ElementsAre("advertising"));
  EXPECT_THAT(diff.unchanged_purposes, Contains("marketing_communications"));
  EXPECT_THAT(diff.unchanged_purposes, Contains("location_features"));
  EXPECT_EQ(diff.unchanged_purposes.size(), tree->purposes.size() - 1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].widened_purposes[0].purpose, "advertising");
  EXPECT_FALSE(manager->notice_required());
  EXPECT_TRUE(manager->MayUse("location", "advertising").allowed);
}

TEST_F(PolicyManagerTest, RejectsTamperedBytes) {
  auto manager = NewManager();
  ASSERT_NE(manager, nullptr);
  SignedPolicy update = Sign(*Version(2));
  // Change one character of the privacy contact's e-mail address after signing.
  const std::string email = "privacy@spotify.com";
  auto at = std::search(update.bytes.begin(), update.bytes.end(), email.begin(), email.end());
  ASSERT_NE(at, update.bytes.end());
  *at = 'P';
  EXPECT_THAT(manager->ApplySignedUpdate(update.bytes, update.signature),
              StatusIs(StatusCode::kDataLoss, HasSubstr("policy update signature")));
  EXPECT_EQ(manager->active()->version(), 1u);

  // Appended bytes are tampering too.
  SignedPolicy longer = Sign(*Version(2));
  longer.bytes.push_back(0);
  EXPECT_THAT(manager->ApplySignedUpdate(longer.bytes, longer.signature),
              StatusIs(StatusCode::kDataLoss));
  EXPECT_EQ(manager->active()->bytes().ToBytes(), EmbeddedPolicyBytes().ToBytes());
}

TEST_F(PolicyManagerTest, RejectsAWrongSignature) {
  auto manager = NewManager();
  ASSERT_NE(manager, nullptr);
  const SignedPolicy v2 = Sign(*Version(2));
  const SignedPolicy v3 = Sign(*Version(3));
  EXPECT_THAT(manager->ApplySignedUpdate(v2.bytes, v3.signature), StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(manager->ApplySignedUpdate(v2.bytes, Bytes{}), StatusIs(StatusCode::kDataLoss));
  Bytes garbage(70, 0x30);
  EXPECT_THAT(manager->ApplySignedUpdate(v2.bytes, garbage), StatusIs(StatusCode::kDataLoss));
  EXPECT_EQ(manager->active()->version(), 1u);
}

TEST_F(PolicyManagerTest, RejectsASignatureByAnotherKey) {
  auto manager = NewManager();
  ASSERT_NE(manager, nullptr);
  const SignedPolicy update = Sign(testing::Pack(*Version(2)), other_key_);
  EXPECT_THAT(manager->ApplySignedUpdate(update.bytes, update.signature),
              StatusIs(StatusCode::kDataLoss));
  EXPECT_EQ(manager->active()->version(), 1u);
}

TEST_F(PolicyManagerTest, RejectsDowngradeAndReplay) {
  auto manager = NewManager();
  ASSERT_NE(manager, nullptr);
  const SignedPolicy v4 = Sign(*Version(4));
  const SignedPolicy v3 = Sign(*Version(3));
  ASSERT_OK(manager->ApplySignedUpdate(v4.bytes, v4.signature));
  EXPECT_THAT(manager->ApplySignedUpdate(v3.bytes, v3.signature),
              StatusIs(StatusCode::kOutOfRange,
                       HasSubstr("downgrade: version 3 is not newer than active version 4")));
  EXPECT_THAT(manager->ApplySignedUpdate(v4.bytes, v4.signature),
              StatusIs(StatusCode::kOutOfRange,
                       HasSubstr("downgrade: version 4 is not newer than active version 4")));
  EXPECT_EQ(manager->active()->version(), 4u);
  EXPECT_EQ(manager->active()->bytes().ToBytes(), v4.bytes);
}

TEST_F(PolicyManagerTest, RejectsSignedButInvalidPolicies) {
  auto manager = NewManager();
  ASSERT_NE(manager, nullptr);
  // Dangling reference.
  auto dangling = Version(2);
  testing::PurposeIn(*dangling, "analytics").categories.push_back("gps");
  SignedPolicy update = Sign(*dangling);
  EXPECT_THAT(manager->ApplySignedUpdate(update.bytes, update.signature),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("purpose 'analytics' refers to unknown category 'gps'")));
  // Duplicate ids.
  auto duplicate = Version(2);
  duplicate->channels.push_back(std::make_unique<fb::ChannelT>(*duplicate->channels[0]));
  update = Sign(*duplicate);
  EXPECT_THAT(manager->ApplySignedUpdate(update.bytes, update.signature),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("channel 'email' is defined more than once")));
  // Truncated and random bytes, signed by the right key: the signature is not enough.
  Bytes truncated = testing::Pack(*Version(2));
  truncated.resize(truncated.size() / 2);
  update = Sign(truncated, key_);
  EXPECT_THAT(manager->ApplySignedUpdate(update.bytes, update.signature),
              StatusIs(StatusCode::kInvalidArgument));
  auto random = crypto::testing::TestDrbg().RandomBytes(3000);
  ASSERT_OK(random);
  update = Sign(*random, key_);
  EXPECT_THAT(manager->ApplySignedUpdate(update.bytes, update.signature),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(manager->active()->version(), 1u);
}

TEST_F(PolicyManagerTest, RejectsOversizedUpdatesBeforeCheckingTheSignature) {
  auto manager = NewManager();
  ASSERT_NE(manager, nullptr);
  Bytes big = testing::Pack(*Version(2));
  big.resize(kMaxPolicyBytes + 1);
  EXPECT_THAT(manager->ApplySignedUpdate(big, Bytes(70, 0)),
              StatusIs(StatusCode::kResourceExhausted, HasSubstr("larger than the 1 MiB limit")));
  EXPECT_EQ(manager->active()->version(), 1u);
}

TEST_F(PolicyManagerTest, ControllerChangeWithholdsEveryDisclosureUntilAcknowledged) {
  auto manager = NewManager();
  ASSERT_NE(manager, nullptr);
  auto tree = Version(2);
  tree->controller->name = "Buyer Holdings B.V.";
  const SignedPolicy update = Sign(*tree);
  ASSERT_OK_AND_ASSIGN(PolicyDiff diff, manager->ApplySignedUpdate(update.bytes, update.signature));
  EXPECT_TRUE(diff.controller_changed);
  EXPECT_TRUE(manager->notice_required());

  for (const char* recipient : {"controller", "group_companies", "payment_processors"}) {
    const Decision d = manager->Disclosure("usage", "provide_service", recipient);
    EXPECT_FALSE(d.allowed) << recipient;
    EXPECT_EQ(d.reason, DecisionReason::kNoticeRequired) << recipient;
    EXPECT_EQ(d.transform, Transform::kDrop);
  }
  // On-device use is not a disclosure.
  EXPECT_TRUE(manager->MayUse("usage", "provide_service").allowed);

  // A later update without a controller change does not clear the pending notice.
  const SignedPolicy v3 = Sign([&] {
    auto t = Version(3);
    t->controller->name = "Buyer Holdings B.V.";
    return testing::Pack(*t);
  }(), key_);
  ASSERT_OK(manager->ApplySignedUpdate(v3.bytes, v3.signature));
  EXPECT_TRUE(manager->notice_required());

  ASSERT_OK(manager->AcknowledgeControllerNotice());
  EXPECT_FALSE(manager->notice_required());
  EXPECT_TRUE(manager->Disclosure("usage", "provide_service", "group_companies").allowed);
}

// The same (r, s) as the DER signature `der`, re-encoded in BER with `zeros` redundant 0x00 bytes
// in front of r and long-form lengths: anyone who sees a signed update can produce this.
Bytes ReencodeSignature(const Bytes& der, size_t zeros) {
  const size_t r_len = der[3];
  Bytes r_tlv = {0x02, 0x82};
  AppendU16Be(r_tlv, static_cast<uint16_t>(zeros + r_len));
  r_tlv.insert(r_tlv.end(), zeros, 0x00);
  r_tlv.insert(r_tlv.end(), der.begin() + 4, der.begin() + 4 + static_cast<ptrdiff_t>(r_len));
  const Bytes s_tlv(der.begin() + 4 + static_cast<ptrdiff_t>(r_len), der.end());
  Bytes out = {0x30, 0x82};
  AppendU16Be(out, static_cast<uint16_t>(r_tlv.size() + s_tlv.size()));
  Append(out, r_tlv);
  Append(out, s_tlv);
  return out;
}

// A re-encoded signature must not count as a signature: the state file keeps at most 256
// signature bytes, so an accepted 300-byte encoding would be persisted and then make every
// restart fail with kDataLoss.
TEST_F(PolicyManagerTest, RefusesAReencodedSignature) {
  TempDir dir;
  const std::string state = dir.File("policy.state");
  auto manager = NewManager(state);
  ASSERT_NE(manager, nullptr);
  const SignedPolicy update = Sign(*Version(2));
  const Bytes reencoded = ReencodeSignature(update.signature, 300);
  EXPECT_THAT(manager->ApplySignedUpdate(update.bytes, reencoded),
              StatusIs(StatusCode::kDataLoss, HasSubstr("signature does not verify")));
  EXPECT_EQ(manager->active()->version(), 1u);
  ASSERT_OK(manager->ApplySignedUpdate(update.bytes, update.signature));
  manager.reset();
  auto restarted = NewManager(state);
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->active()->version(), 2u);
}

TEST_F(PolicyManagerTest, SurvivesARestart) {
  TempDir dir;
  const std::string state = dir.File("policy.state");
  {
    auto manager = NewManager(state);
    ASSERT_NE(manager, nullptr);
    auto tree = Version(7);
    tree->controller->name = "Buyer Holdings B.V.";
    const SignedPolicy update = Sign(*tree);
    ASSERT_OK(manager->ApplySignedUpdate(update.bytes, update.signature));
  }
  {
    auto manager = NewManager(state);
    ASSERT_NE(manager, nullptr);
    EXPECT_EQ(manager->active()->version(), 7u);
    EXPECT_EQ(manager->active()->model().controller.name, "Buyer Holdings B.V.");
    EXPECT_TRUE(manager->notice_required());
    EXPECT_EQ(manager->Disclosure("usage", "analytics", "group_companies").reason,
              DecisionReason::kNoticeRequired);
    // The restarted manager still refuses downgrades.
    const SignedPolicy v5 = Sign(*Version(5));
    EXPECT_THAT(manager->ApplySignedUpdate(v5.bytes, v5.signature),
                StatusIs(StatusCode::kOutOfRange));
    ASSERT_OK(manager->AcknowledgeControllerNotice());
  }
  auto manager = NewManager(state);
  ASSERT_NE(manager, nullptr);
  EXPECT_EQ(manager->active()->version(), 7u);
  EXPECT_FALSE(manager->notice_required());
  EXPECT_FALSE(std::ifstream(state + ".tmp").good()) << "no temporary file left behind";
}

TEST_F(PolicyManagerTest, RestartRefusesATamperedStateFile) {
  TempDir dir;
  const std::string state = dir.File("policy.state");
  {
    auto manager = NewManager(state);
    ASSERT_NE(manager, nullptr);
    const SignedPolicy update = Sign(*Version(2));
    ASSERT_OK(manager->ApplySignedUpdate(update.bytes, update.signature));
  }
  Bytes bytes = tacet::testing::ReadFileOrDie(state);
  bytes[bytes.size() - 20] ^= 0x01;
  tacet::testing::WriteFileOrDie(state, bytes);
  EXPECT_THAT(PolicyManager::Create(Options(state)),
              StatusIs(StatusCode::kDataLoss, HasSubstr("policy.state")));

  bytes.resize(bytes.size() - 100);
  tacet::testing::WriteFileOrDie(state, bytes);
  EXPECT_THAT(PolicyManager::Create(Options(state)),
              StatusIs(StatusCode::kDataLoss, HasSubstr("truncated")));
}

TEST_F(PolicyManagerTest, RestartWithAnotherPinnedKeyRefusesTheState) {
  TempDir dir;
  const std::string state = dir.File("policy.state");
  {
    auto manager = NewManager(state);
    ASSERT_NE(manager, nullptr);
    const SignedPolicy update = Sign(*Version(2));
    ASSERT_OK(manager->ApplySignedUpdate(update.bytes, update.signature));
  }
  PolicyManagerOptions options = Options(state);
  options.update_public_key = other_key_.public_key;
  EXPECT_THAT(PolicyManager::Create(options), StatusIs(StatusCode::kDataLoss));
}

TEST_F(PolicyManagerTest, PersistFailureKeepsTheOldPolicy) {
  auto manager = NewManager("/nonexistent-dir/policy.state");
  ASSERT_NE(manager, nullptr);
  bool called = false;
  manager->AddPolicyChangedListener([&](const PolicyDiff&) { called = true; });
  const SignedPolicy update = Sign(*Version(2));
  EXPECT_THAT(manager->ApplySignedUpdate(update.bytes, update.signature),
              StatusIs(StatusCode::kUnavailable));
  EXPECT_EQ(manager->active()->version(), 1u);
  EXPECT_FALSE(called);
}

// ---- the version floor in the key store (issue 8, item 10) ----

class PolicyRollbackTest : public PolicyManagerTest {
 protected:
  void SetUp() override {
    PolicyManagerTest::SetUp();
    ASSERT_OK_AND_ASSIGN(keys_, platform::FileKeyStore::Open(dir_.File("keys")));
  }
  PolicyManagerOptions Guarded(const std::string& state_path) const {
    PolicyManagerOptions options = Options(state_path);
    options.keys = keys_.get();
    return options;
  }
  std::unique_ptr<PolicyManager> NewGuarded(const std::string& state_path) {
    auto manager = PolicyManager::Create(Guarded(state_path));
    EXPECT_OK(manager);
    return manager.ok() ? std::move(manager).value() : nullptr;
  }
  uint64_t Floor() {
    auto floor = platform::ReadCounter(*keys_, kPolicyVersionFloorName);
    EXPECT_OK(floor);
    return floor.ok() ? *floor : 0;
  }

  TempDir dir_;
  std::unique_ptr<platform::FileKeyStore> keys_;
};

TEST_F(PolicyRollbackTest, AStateFileReplacedByAnOlderSignedPolicyIsRefused) {
  const std::string state = dir_.File("policy.state");
  auto manager = NewGuarded(state);
  ASSERT_NE(manager, nullptr);
  const SignedPolicy v2 = Sign(*Version(2));
  ASSERT_OK(manager->ApplySignedUpdate(v2.bytes, v2.signature));
  const Bytes v2_state = tacet::testing::ReadFileOrDie(state);
  const SignedPolicy v3 = Sign(*Version(3));
  ASSERT_OK(manager->ApplySignedUpdate(v3.bytes, v3.signature));
  EXPECT_EQ(Floor(), 3u);
  manager.reset();

  // The attacker puts the saved v2 state back: its signature verifies, its version is above the
  // embedded v1. Without the floor it is what the app would run under.
  tacet::testing::WriteFileOrDie(state, v2_state);
  ASSERT_OK_AND_ASSIGN(auto unguarded, PolicyManager::Create(Options(state)));
  EXPECT_EQ(unguarded->active()->version(), 2u);
  EXPECT_THAT(PolicyManager::Create(Guarded(state)),
              StatusIs(StatusCode::kDataLoss,
                       AllOf(HasSubstr("holds version 2"), HasSubstr("version 3 was accepted"))));
  // The file is left as it was found (evidence, and the caller's to replace).
  EXPECT_EQ(tacet::testing::ReadFileOrDie(state), v2_state);
}

TEST_F(PolicyRollbackTest, ADeletedStateFileIsARollbackToo) {
  const std::string state = dir_.File("policy.state");
  {
    auto manager = NewGuarded(state);
    ASSERT_NE(manager, nullptr);
    const SignedPolicy v3 = Sign(*Version(3));
    ASSERT_OK(manager->ApplySignedUpdate(v3.bytes, v3.signature));
  }
  ASSERT_EQ(::unlink(state.c_str()), 0);
  EXPECT_THAT(PolicyManager::Create(Guarded(state)),
              StatusIs(StatusCode::kDataLoss,
                       AllOf(HasSubstr("is missing"), HasSubstr("version 3 was accepted"),
                             HasSubstr("embedded policy is only version 1"))));
}

TEST_F(PolicyRollbackTest, AFreshDeviceStartsWithTheEmbeddedPolicy) {
  auto manager = NewGuarded(dir_.File("policy.state"));
  ASSERT_NE(manager, nullptr);
  EXPECT_EQ(manager->active()->version(), 1u);
  EXPECT_EQ(Floor(), 0u);
}

TEST_F(PolicyRollbackTest, UpdatesAtOrBelowTheFloorAreRefused) {
  // Two managers on one device (say, two processes) with one key store: the one that is behind
  // must not accept what the other already moved past.
  auto ahead = NewGuarded(dir_.File("a.state"));
  auto behind = NewGuarded(dir_.File("b.state"));
  ASSERT_NE(ahead, nullptr);
  ASSERT_NE(behind, nullptr);
  const SignedPolicy v5 = Sign(*Version(5));
  ASSERT_OK(ahead->ApplySignedUpdate(v5.bytes, v5.signature));
  const SignedPolicy v4 = Sign(*Version(4));
  EXPECT_THAT(behind->ApplySignedUpdate(v4.bytes, v4.signature),
              StatusIs(StatusCode::kOutOfRange, HasSubstr("version 5 accepted before")));
  EXPECT_THAT(behind->ApplySignedUpdate(v5.bytes, v5.signature),
              StatusIs(StatusCode::kOutOfRange, HasSubstr("version 5 accepted before")));
  EXPECT_EQ(behind->active()->version(), 1u);
  const SignedPolicy v6 = Sign(*Version(6));
  ASSERT_OK(behind->ApplySignedUpdate(v6.bytes, v6.signature));
  EXPECT_EQ(Floor(), 6u);
}

TEST_F(PolicyRollbackTest, TheFloorMovesOnlyAfterTheStateWasPersisted) {
  auto manager = NewGuarded("/nonexistent-dir/policy.state");
  ASSERT_NE(manager, nullptr);
  const SignedPolicy v2 = Sign(*Version(2));
  EXPECT_THAT(manager->ApplySignedUpdate(v2.bytes, v2.signature),
              StatusIs(StatusCode::kUnavailable));
  EXPECT_EQ(Floor(), 0u);
}

TEST_F(PolicyRollbackTest, AKeyStoreNeedsAStatePath) {
  EXPECT_THAT(PolicyManager::Create(Guarded("")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("needs a state_path")));
}

TEST_F(PolicyManagerTest, ReadersSeeWholePoliciesDuringUpdates) {
  auto manager = NewManager();
  ASSERT_NE(manager, nullptr);
  std::vector<SignedPolicy> updates;
  for (uint64_t v = 2; v <= 12; ++v) updates.push_back(Sign(*Version(v)));
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!done.load()) {
        auto policy = manager->active();
        if (policy->FindPurpose("analytics") == nullptr) ++bad;
        if (!manager->Disclosure("usage", "academic_research", "academic_researchers").allowed) ++bad;
      }
    });
  }
  for (const SignedPolicy& u : updates) EXPECT_OK(manager->ApplySignedUpdate(u.bytes, u.signature));
  done = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(manager->active()->version(), 12u);
}

TEST(PolicyState, RoundTripsAndRefusesMalformedState) {
  PolicyState state{Bytes{1, 2, 3}, Bytes{4, 5}, true};
  const Bytes encoded = EncodePolicyState(state);
  ASSERT_OK_AND_ASSIGN(PolicyState decoded, DecodePolicyState(encoded));
  EXPECT_EQ(decoded.policy, state.policy);
  EXPECT_EQ(decoded.signature, state.signature);
  EXPECT_TRUE(decoded.notice_required);

  for (size_t len = 0; len < encoded.size(); ++len) {
    EXPECT_THAT(DecodePolicyState(ByteView(encoded).subview(0, len)), StatusIs(StatusCode::kDataLoss));
  }
  Bytes bad_flags = encoded;
  bad_flags[5] = 0x80;
  EXPECT_THAT(DecodePolicyState(bad_flags), StatusIs(StatusCode::kDataLoss, HasSubstr("flags")));
  Bytes bad_format = encoded;
  bad_format[4] = 9;
  EXPECT_THAT(DecodePolicyState(bad_format), StatusIs(StatusCode::kDataLoss, HasSubstr("format 9")));
}

}  // namespace
}  // namespace tacet::policy
