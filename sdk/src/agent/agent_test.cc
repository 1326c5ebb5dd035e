// The Agent on an emulated device: one object that opens a device folder, wires every module and
// closes in order. These tests drive it the way an app would: consent, a gated microphone
// session, the vault, the user's rights, a signed policy update, a read-only open, Close.
#include "agent/agent.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/byte_sink.h"
#include "crypto/crypto_test_util.h"
#include "crypto/ecdsa.h"
#include "emulator/emulated_device.h"
#include "gate/access_log.h"
#include "policy/policy_test_util.h"
#include "testing/device_harness.h"
#include "testing/status_matchers.h"
#include "testing/test_util.h"

namespace tacet::agent {
namespace {

using consent::ConsentState;
using consent::DecisionSource;
using platform::AudioScript;
using platform::Permission;
using platform::PermissionState;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kDayMs = 24LL * 60 * 60 * 1000;

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

class CountingSink final : public gate::VoiceFrameSink {
 public:
  void OnVoiceFrame(const platform::AudioFrame&) override { frames_.fetch_add(1); }
  void OnSessionEnded(gate::EndReason reason) override { reason_.store(reason); }
  int frames() const { return frames_.load(); }
  gate::EndReason reason() const { return reason_.load(); }

 private:
  std::atomic<int> frames_{0};
  std::atomic<gate::EndReason> reason_{gate::EndReason::kNone};
};

// Every test opens its own agents, with the options it needs, on the one device harness.
class AgentTest : public ::testing::Test {
 protected:
  AgentOptions Options() const { return h_.Options(); }
  tacet::testing::DeviceHarness h_;
};

TEST_F(AgentTest, OpenCloseReopenKeepsDataAndAdvancesTheGeneration) {
  auto agent = h_.MustOpen();
  ASSERT_NE(agent, nullptr);
  EXPECT_TRUE(Exists(h_.File("device/tacet.db")));
  EXPECT_TRUE(Exists(h_.File("device/tacet.db.lock")));
  ASSERT_OK(agent->SetCategoryProvided("contact", true, DecisionSource::kUser));
  ASSERT_OK_AND_ASSIGN(int64_t id, agent->SetValue("contact", "email_address", "ada@example.org",
                                                   vault::ChangeSource::kUser));
  const DeviceIdentity first = agent->identity();
  ASSERT_OK(agent->Close());
  EXPECT_TRUE(agent->closed());

  agent = h_.MustOpen();
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->identity().database_id, first.database_id);
  EXPECT_EQ(agent->identity().keystore_id, first.keystore_id);
  // identity() is the generation found at open: the first agent stepped it at open and at close.
  EXPECT_EQ(agent->identity().generation, first.generation + 2);
  ASSERT_OK_AND_ASSIGN(vault::Record record, agent->GetValue(id));
  EXPECT_EQ(record.value, "ada@example.org");
  EXPECT_EQ(agent->consent().category(agent->consent().CategoryIndex("contact")),
            ConsentState::kGranted);
  EXPECT_OK(agent->VerifyConsent());
  EXPECT_OK(agent->VerifyAudit());
  EXPECT_OK(agent->VerifyVault());
}

TEST_F(AgentTest, ASecondAgentOnTheSameFolderIsUnavailable) {
  auto agent = h_.MustOpen();
  ASSERT_NE(agent, nullptr);
  auto second = h_.Open(Options());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable) << second.status().ToString();
  ASSERT_OK(agent->Close());
  // Released at Close.
  EXPECT_NE(h_.MustOpen(), nullptr);
}

TEST_F(AgentTest, RefusesAnIncompletePlatformAndBadOptions) {
  platform::Platform platform = h_.device().platform();
  platform.scheduler = nullptr;
  auto agent = Agent::Open(Options(), platform);
  ASSERT_FALSE(agent.ok());
  EXPECT_EQ(agent.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(agent.status().message(), HasSubstr("scheduler"));
  AgentOptions options = Options();
  options.data_dir.clear();
  EXPECT_EQ(h_.Open(options).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(Exists(h_.File("device"))) << "a refused open created the folder";
}

TEST_F(AgentTest, WithoutCreateAMissingDeviceIsNotFoundAndNothingIsCreated) {
  AgentOptions options = Options();
  options.create = false;
  auto agent = h_.Open(options);
  ASSERT_FALSE(agent.ok());
  EXPECT_EQ(agent.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(Exists(h_.File("device")));
  EXPECT_EQ(h_.device().key_store().size(), 0u);
}

// The agent's own FileKeyStore (no key store in the platform): an existing database whose key
// store directory is gone is refused before any directory is made.
TEST_F(AgentTest, OwnKeyStoreIsMadeForANewDeviceButNeverForExistingData) {
  platform::Platform platform = h_.device().platform();
  platform.key_store = nullptr;
  {
    auto agent = Agent::Open(Options(), platform);
    ASSERT_OK(agent.status());
    EXPECT_TRUE(Exists(h_.File("device/keys")));
    ASSERT_OK((*agent)->SetCategoryProvided("contact", true, DecisionSource::kUser));
  }
  ASSERT_EQ(std::rename(h_.File("device/keys").c_str(), h_.File("device/keys-moved").c_str()),
            0);
  auto agent = Agent::Open(Options(), platform);
  ASSERT_FALSE(agent.ok());
  EXPECT_EQ(agent.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(agent.status().message(), HasSubstr("refusing to create new keys"));
  EXPECT_FALSE(Exists(h_.File("device/keys")));
  // A new database next to a key store bound to another database is refused before it exists.
  ASSERT_EQ(std::rename(h_.File("device/keys-moved").c_str(), h_.File("device/keys").c_str()),
            0);
  AgentOptions typo = Options();
  typo.database_path = h_.File("device/tacte.db");
  agent = Agent::Open(typo, platform);
  ASSERT_FALSE(agent.ok());
  EXPECT_THAT(agent.status().message(), HasSubstr("belongs to database"));
  EXPECT_FALSE(Exists(h_.File("device/tacte.db")));
}

TEST_F(AgentTest, AGatedVoiceSessionEndsWhenConsentIsRevokedThroughTheAgent) {
  auto agent = h_.MustOpen();
  ASSERT_NE(agent, nullptr);
  ASSERT_NE(agent->voice_gate(), nullptr);
  ASSERT_NE(agent->location_gate(), nullptr);
  h_.device().microphone().Play(AudioScript().Tone(440, 0.3, 60000));
  CountingSink sink;
  EXPECT_EQ(agent->voice_gate()->Acquire("voice_features", &sink).denial(),
            gate::DenialReason::kConsentUnknown);
  h_.AllowVoice(*agent);
  {
    gate::VoiceAcquireResult r = agent->voice_gate()->Acquire("voice_features", &sink);
    ASSERT_TRUE(r.granted()) << gate::DenialReasonName(r.denial());
    gate::VoiceCaptureSession session = std::move(r.session());
    h_.device().AdvanceBy(1000);
    EXPECT_GT(sink.frames(), 0);
    ASSERT_OK(agent->SetPurpose("voice_features", ConsentState::kDenied, DecisionSource::kUser));
    EXPECT_FALSE(session.active());
    EXPECT_EQ(sink.reason(), gate::EndReason::kConsentWithdrawn);
    const int frames = sink.frames();
    h_.device().AdvanceBy(1000);
    EXPECT_EQ(sink.frames(), frames);
    // An ended session whose handle is still held keeps the gate alive: Close refuses.
    const Status refused = agent->Close();
    EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition) << refused.ToString();
    EXPECT_FALSE(agent->closed());
    EXPECT_OK(agent->ConsentHistory().status());
  }
  ASSERT_OK(agent->Close());
  EXPECT_FALSE(h_.device().microphone().capturing());
  std::vector<gate::CaptureOutcome> outcomes;
  for (const gate::AccessLogEntry& e : h_.AccessLogRows()) outcomes.push_back(e.outcome);
  EXPECT_THAT(outcomes, ElementsAre(gate::CaptureOutcome::kDenied,
                                    gate::CaptureOutcome::kEndedByRevocation));
}

// The permission fan-out is the provider's listener while the agent is open, and is removed at
// Close: a later permission change reaches nobody.
TEST_F(AgentTest, LosingTheOsPermissionEndsTheSessionAndCloseUnregisters) {
  auto agent = h_.MustOpen();
  ASSERT_NE(agent, nullptr);
  h_.device().microphone().Play(AudioScript().Tone(440, 0.3, 60000));
  h_.AllowVoice(*agent);
  CountingSink sink;
  {
    gate::VoiceAcquireResult r = agent->voice_gate()->Acquire("voice_features", &sink);
    ASSERT_TRUE(r.granted());
    gate::VoiceCaptureSession session = std::move(r.session());
    ASSERT_OK(h_.device().permissions().Set(Permission::kMicrophone, PermissionState::kDenied));
    EXPECT_EQ(sink.reason(), gate::EndReason::kOsPermissionLost);
  }
  ASSERT_OK(agent->Close());
  EXPECT_OK(h_.device().permissions().Set(Permission::kMicrophone, PermissionState::kGranted));
}

TEST_F(AgentTest, VaultSetGetCorrectHistory) {
  auto agent = h_.MustOpen();
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->SetValue("voice", "voice_commands", "play some jazz",
                            vault::ChangeSource::kUser).status().code(),
            StatusCode::kPermissionDenied);
  ASSERT_OK(agent->SetCategoryProvided("contact", true, DecisionSource::kUser));
  ASSERT_OK_AND_ASSIGN(int64_t id, agent->SetValue("contact", "email_address", "ada@example.org",
                                                   vault::ChangeSource::kUser));
  ASSERT_OK(agent->CorrectValue(id, "ada@example.com", vault::ChangeSource::kUser));
  ASSERT_OK_AND_ASSIGN(vault::Record record, agent->GetValue(id));
  EXPECT_EQ(record.value, "ada@example.com");
  EXPECT_EQ(record.version, 2);
  ASSERT_OK_AND_ASSIGN(auto list, agent->ListValues("contact", "email_address"));
  ASSERT_EQ(list.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto history, agent->ValueHistory("contact", "email_address"));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].value, "ada@example.org");
  EXPECT_EQ(history[1].value, "ada@example.com");
  int seen = 0;
  ASSERT_OK(agent->ForEachValue([&](const vault::Record&) {
    ++seen;
    return OkStatus();
  }));
  EXPECT_EQ(seen, 1);
  ASSERT_OK_AND_ASSIGN(auto erased, agent->Erase("contact"));
  EXPECT_EQ(erased.records, 1);
  EXPECT_EQ(agent->GetValue(id).status().code(), StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(int64_t entries, agent->AuditEntryCount());
  EXPECT_EQ(entries, 2);  // the correction and the erasure
  EXPECT_OK(agent->VerifyVault());
}

TEST_F(AgentTest, ExportAndReportProduceOutput) {
  auto agent = h_.MustOpen();
  ASSERT_NE(agent, nullptr);
  ASSERT_OK(agent->SetCategoryProvided("contact", true, DecisionSource::kUser));
  ASSERT_OK(agent->SetValue("contact", "email_address", "ada@example.org",
                            vault::ChangeSource::kUser).status());
  StringSink json_sink;
  ASSERT_OK_AND_ASSIGN(vault::ExportSummary exported, agent->Export(json_sink));
  const std::string& json = json_sink.out;
  EXPECT_EQ(exported.records, 1);
  const nlohmann::json doc = nlohmann::json::parse(json);
  EXPECT_TRUE(doc.contains("access_log"));
  EXPECT_THAT(json, HasSubstr("ada@example.org"));
  StringSink html_sink;
  ASSERT_OK_AND_ASSIGN(report::ReportSummary reported, agent->Report(html_sink));
  const std::string& html = html_sink.out;
  EXPECT_EQ(reported.records, 1);
  EXPECT_THAT(html, HasSubstr("<html"));
  EXPECT_THAT(html, HasSubstr("ada@example.org"));
  EXPECT_OK(agent->VerifyAudit());
}

TEST_F(AgentTest, EraseAllClearsValuesAndTheAccessLogButNotTheConsentHistory) {
  auto agent = h_.MustOpen();
  ASSERT_NE(agent, nullptr);
  h_.device().microphone().Play(AudioScript().Tone(440, 0.3, 60000));
  CountingSink sink;
  EXPECT_FALSE(agent->voice_gate()->Acquire("voice_features", &sink).granted());  // a denial row
  h_.AllowVoice(*agent);
  {
    gate::VoiceAcquireResult r = agent->voice_gate()->Acquire("voice_features", &sink);
    ASSERT_TRUE(r.granted());
    h_.device().AdvanceBy(200);
  }  // a completed row
  ASSERT_OK(agent->SetCategoryProvided("contact", true, DecisionSource::kUser));
  ASSERT_OK(agent->SetValue("contact", "email_address", "ada@example.org",
                            vault::ChangeSource::kUser).status());
  ASSERT_OK(agent->SetValue("voice", "voice_commands", "play some jazz",
                            vault::ChangeSource::kUser).status());
  EXPECT_EQ(h_.AccessLogRows().size(), 2u);
  ASSERT_OK_AND_ASSIGN(auto history_before, agent->ConsentHistory());

  ASSERT_OK_AND_ASSIGN(vault::ErasureResult erased, agent->EraseAll());
  EXPECT_EQ(erased.records, 2);
  int left = 0;
  ASSERT_OK(agent->ForEachValue([&](const vault::Record&) {
    ++left;
    return OkStatus();
  }));
  EXPECT_EQ(left, 0);
  EXPECT_THAT(h_.AccessLogRows(), IsEmpty());
  ASSERT_OK_AND_ASSIGN(auto history_after, agent->ConsentHistory());
  EXPECT_EQ(history_after.size(), history_before.size());
  EXPECT_OK(agent->VerifyConsent());
  EXPECT_OK(agent->VerifyAudit());
  EXPECT_OK(agent->VerifyVault());
  StringSink json_sink;
  ASSERT_OK(agent->Export(json_sink).status());
  const std::string& json = json_sink.out;
  const nlohmann::json doc = nlohmann::json::parse(json);
  EXPECT_TRUE(doc["access_log"]["entries"].empty()) << doc["access_log"].dump();
  EXPECT_THAT(json, HasSubstr("\"subject\":\"gate_access_log\""));  // the audit entry of the clearing
}

TEST_F(AgentTest, EveryMethodFailsAfterClose) {
  auto agent = h_.MustOpen();
  ASSERT_NE(agent, nullptr);
  ASSERT_OK(agent->SetCategoryProvided("contact", true, DecisionSource::kUser));
  ASSERT_OK(agent->Close());
  ASSERT_OK(agent->Close());  // idempotent
  auto closed = [](const Status& s) {
    return s.code() == StatusCode::kFailedPrecondition &&
           s.message().find("agent: closed") != std::string::npos;
  };
  EXPECT_TRUE(closed(agent->SetPurpose("voice_features", ConsentState::kGranted,
                                       DecisionSource::kUser)));
  EXPECT_TRUE(closed(agent->SetChannel("email", ConsentState::kGranted, DecisionSource::kUser)));
  EXPECT_TRUE(closed(agent->SetCategoryProvided("contact", false, DecisionSource::kUser)));
  EXPECT_TRUE(closed(agent->SetLocationPrecision(platform::LocationPrecision::kPrecise,
                                                 DecisionSource::kUser)));
  EXPECT_TRUE(closed(agent->ConsentHistory().status()));
  EXPECT_TRUE(closed(agent->ConsentReceipt(1).status()));
  EXPECT_TRUE(closed(agent->VerifyConsent()));
  EXPECT_TRUE(closed(agent->SetValue("contact", "email_address", "a@b.example",
                                     vault::ChangeSource::kUser).status()));
  EXPECT_TRUE(closed(agent->AddValue("contact", "email_address", "a@b.example",
                                     vault::ChangeSource::kUser).status()));
  EXPECT_TRUE(closed(agent->CorrectValue(1, "a@b.example", vault::ChangeSource::kUser)));
  EXPECT_TRUE(closed(agent->GetValue(1).status()));
  EXPECT_TRUE(closed(agent->ListValues("contact", "email_address").status()));
  EXPECT_TRUE(closed(agent->ForEachValue([](const vault::Record&) { return OkStatus(); })));
  EXPECT_TRUE(closed(agent->ValueHistory("contact", "email_address").status()));
  EXPECT_TRUE(closed(agent->Erase("contact").status()));
  EXPECT_TRUE(closed(agent->EraseAll().status()));
  StringSink sink;
  EXPECT_TRUE(closed(agent->Export(sink).status()));
  EXPECT_TRUE(closed(agent->Report(sink).status()));
  EXPECT_TRUE(sink.out.empty());
  EXPECT_TRUE(closed(agent->VerifyAudit()));
  EXPECT_TRUE(closed(agent->VerifyVault()));
  EXPECT_TRUE(closed(agent->AuditEntryCount().status()));
  EXPECT_TRUE(closed(agent->SweepNow().status()));
  EXPECT_TRUE(closed(agent->ApplyPolicyUpdate(ByteView(), ByteView()).status()));
  EXPECT_TRUE(closed(agent->AcknowledgeControllerNotice()));
  EXPECT_EQ(agent->voice_gate(), nullptr);
  EXPECT_EQ(agent->location_gate(), nullptr);
  // What stays readable: the last consent snapshot and policy.
  EXPECT_EQ(agent->consent().category(agent->consent().CategoryIndex("contact")),
            ConsentState::kGranted);
  EXPECT_NE(agent->policy(), nullptr);
  EXPECT_FALSE(agent->Features().empty());
  // The folder is free again.
  EXPECT_NE(h_.MustOpen(), nullptr);
}

TEST_F(AgentTest, AReadOnlyAgentReadsAndRefusesEveryChange) {
  int64_t id = 0;
  uint64_t generation = 0;
  {
    auto agent = h_.MustOpen();
    ASSERT_NE(agent, nullptr);
    ASSERT_OK(agent->SetCategoryProvided("contact", true, DecisionSource::kUser));
    ASSERT_OK_AND_ASSIGN(id, agent->SetValue("contact", "email_address", "ada@example.org",
                                             vault::ChangeSource::kUser));
    generation = agent->identity().generation;
  }
  const size_t keys_before = h_.device().key_store().size();
  const Bytes db_before = tacet::testing::ReadFileOrDie(h_.File("device/tacet.db"));
  AgentOptions options = Options();
  options.read_only = true;
  auto reader = h_.MustOpen(options);
  ASSERT_NE(reader, nullptr);
  // A second reader may share the folder; a writer may not.
  auto second_reader = h_.MustOpen(options);
  EXPECT_NE(second_reader, nullptr);
  EXPECT_EQ(h_.Open(Options()).status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(reader->read_only());
  EXPECT_EQ(reader->identity().generation, generation + 2);  // the writer's open and close steps
  ASSERT_OK_AND_ASSIGN(vault::Record record, reader->GetValue(id));
  EXPECT_EQ(record.value, "ada@example.org");
  EXPECT_OK(reader->VerifyConsent());
  EXPECT_OK(reader->VerifyAudit());
  EXPECT_OK(reader->VerifyVault());
  EXPECT_EQ(reader->voice_gate(), nullptr);
  EXPECT_EQ(reader->location_gate(), nullptr);
  auto refused = [](const Status& s) { return s.code() == StatusCode::kFailedPrecondition; };
  EXPECT_TRUE(refused(reader->SetPurpose("voice_features", ConsentState::kGranted,
                                         DecisionSource::kUser)));
  EXPECT_TRUE(refused(reader->SetValue("contact", "email_address", "eve@example.org",
                                       vault::ChangeSource::kUser).status()));
  EXPECT_TRUE(refused(reader->CorrectValue(id, "eve@example.org", vault::ChangeSource::kUser)));
  EXPECT_TRUE(refused(reader->EraseAll().status()));
  EXPECT_TRUE(refused(reader->Erase("contact").status()));
  EXPECT_TRUE(refused(reader->SweepNow().status()));
  StringSink sink;
  EXPECT_TRUE(refused(reader->Export(sink).status()));
  ASSERT_OK(reader->Close());
  second_reader.reset();
  EXPECT_EQ(h_.device().key_store().size(), keys_before) << "a read-only agent wrote a key";
  EXPECT_EQ(tacet::testing::ReadFileOrDie(h_.File("device/tacet.db")), db_before);
  // Nothing moved: the next writer finds the generation where the last one left it.
  auto writer = h_.MustOpen();
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(writer->identity().generation, generation + 2);
}

TEST_F(AgentTest, AReadOnlyAgentRefusesAPolicyTheDatabaseHasNotRecorded) {
  ASSERT_NE(h_.MustOpen(), nullptr);
  auto tree = policy::testing::ShippedPolicyT();
  tree->version += 1;
  ASSERT_OK_AND_ASSIGN(auto other, policy::Policy::Load(policy::testing::Pack(*tree)));
  AgentOptions options = Options();
  options.read_only = true;
  options.policy_override = other;
  auto reader = h_.Open(options);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(reader.status().message(), HasSubstr("read-only"));
}

TEST_F(AgentTest, TheRetentionSweepRunsOnTheSchedulerUnderTheAgent) {
  AgentOptions options = Options();
  options.sweep_interval_ms = 60 * 60 * 1000;
  auto agent = h_.MustOpen(options);
  ASSERT_NE(agent, nullptr);
  h_.AllowVoice(*agent);
  ASSERT_OK(agent->SetValue("voice", "voice_commands", "play some jazz",
                            vault::ChangeSource::kUser).status());
  h_.device().AdvanceBy(89 * kDayMs);
  ASSERT_OK_AND_ASSIGN(auto kept, agent->ListValues("voice", "voice_commands"));
  EXPECT_EQ(kept.size(), 1u);
  h_.device().AdvanceBy(2 * kDayMs);  // past the category's 90 days, plus one interval
  ASSERT_OK_AND_ASSIGN(auto swept, agent->ListValues("voice", "voice_commands"));
  EXPECT_THAT(swept, IsEmpty());
  EXPECT_OK(agent->VerifyAudit());
  ASSERT_OK(agent->Close());
  EXPECT_EQ(h_.device().scheduler().pending(), 0u) << "the sweep is still scheduled after Close";
}

class AgentPolicyUpdateTest : public AgentTest {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(key_, crypto::EcdsaP256Generate(crypto::testing::TestDrbg()));
  }
  AgentOptions SigningOptions() const {
    AgentOptions options = Options();
    options.policy_update_public_key = key_.public_key;
    return options;
  }
  struct Signed {
    Bytes bytes, signature;
  };
  Signed Sign(const tacet::fb::PolicyT& tree) {
    Signed s;
    s.bytes = policy::testing::Pack(tree);
    auto signature = crypto::EcdsaP256Sign(key_.private_key.view(), s.bytes,
                                           crypto::testing::TestDrbg());
    EXPECT_OK(signature.status());
    if (signature.ok()) s.signature = *signature;
    return s;
  }
  crypto::EcdsaP256KeyPair key_;
};

TEST_F(AgentPolicyUpdateTest, ASignedUpdateReasksWhatWidenedAndEndsItsSessions) {
  auto agent = h_.MustOpen(SigningOptions());
  ASSERT_NE(agent, nullptr);
  h_.device().microphone().Play(AudioScript().Tone(440, 0.3, 60000));
  h_.AllowVoice(*agent);
  ASSERT_OK(agent->SetPurpose("analytics", ConsentState::kGranted, DecisionSource::kUser));
  const uint64_t old_version = agent->policy()->version();

  auto tree = policy::testing::ShippedPolicyT();
  tree->version = old_version + 1;
  policy::testing::PurposeIn(*tree, "voice_features").categories.push_back("usage");
  const Signed update = Sign(*tree);

  CountingSink sink;
  {
    gate::VoiceAcquireResult r = agent->voice_gate()->Acquire("voice_features", &sink);
    ASSERT_TRUE(r.granted());
    gate::VoiceCaptureSession session = std::move(r.session());
    ASSERT_OK_AND_ASSIGN(PolicyUpdateResult result,
                         agent->ApplyPolicyUpdate(update.bytes, update.signature));
    EXPECT_EQ(result.old_version, old_version);
    EXPECT_EQ(result.new_version, old_version + 1);
    EXPECT_THAT(result.purposes_to_ask, ElementsAre("voice_features"));
    EXPECT_FALSE(result.controller_notice_required);
    EXPECT_FALSE(session.active()) << "a widened purpose's session outlived the update";
    EXPECT_EQ(sink.reason(), gate::EndReason::kConsentWithdrawn);
  }
  EXPECT_EQ(agent->policy()->version(), old_version + 1);
  const consent::ConsentSnapshot& s = agent->consent();
  EXPECT_EQ(s.policy().version(), old_version + 1);
  EXPECT_EQ(s.purpose(s.PurposeIndex("voice_features")), ConsentState::kUnknown);
  EXPECT_EQ(s.purpose(s.PurposeIndex("analytics")), ConsentState::kGranted);  // kept
  // The vault runs on the new policy too.
  ASSERT_OK(agent->SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
  ASSERT_OK(agent->SetValue("voice", "voice_commands", "play some jazz",
                            vault::ChangeSource::kUser).status());
  EXPECT_OK(agent->VerifyConsent());

  // A replayed (older-or-equal) update or a bad signature changes nothing.
  EXPECT_EQ(agent->ApplyPolicyUpdate(update.bytes, update.signature).status().code(),
            StatusCode::kOutOfRange);
  Signed tampered = update;
  tampered.bytes[tampered.bytes.size() / 2] ^= 1;
  EXPECT_FALSE(agent->ApplyPolicyUpdate(tampered.bytes, tampered.signature).ok());
  EXPECT_EQ(agent->policy()->version(), old_version + 1);

  // The update persists: a new agent starts on it.
  ASSERT_OK(agent->Close());
  agent = h_.MustOpen(SigningOptions());
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->policy()->version(), old_version + 1);
  EXPECT_TRUE(Exists(h_.File("device/policy.state")));
}

TEST_F(AgentPolicyUpdateTest, AControllerChangeRequiresANotice) {
  auto agent = h_.MustOpen(SigningOptions());
  ASSERT_NE(agent, nullptr);
  auto tree = policy::testing::ShippedPolicyT();
  tree->version = agent->policy()->version() + 1;
  tree->controller->name = "Another Company AB";
  const Signed update = Sign(*tree);
  ASSERT_OK_AND_ASSIGN(PolicyUpdateResult result,
                       agent->ApplyPolicyUpdate(update.bytes, update.signature));
  EXPECT_TRUE(result.controller_notice_required);
  EXPECT_TRUE(agent->controller_notice_required());
  ASSERT_OK(agent->AcknowledgeControllerNotice());
  EXPECT_FALSE(agent->controller_notice_required());
}

TEST_F(AgentPolicyUpdateTest, UpdatesAreRefusedWithoutAKeyOrUnderAnOverride) {
  auto tree = policy::testing::ShippedPolicyT();
  tree->version += 1;
  const Signed update = Sign(*tree);
  {
    auto agent = h_.MustOpen();  // no key
    ASSERT_NE(agent, nullptr);
    EXPECT_EQ(agent->ApplyPolicyUpdate(update.bytes, update.signature).status().code(),
              StatusCode::kFailedPrecondition);
  }
  AgentOptions options = SigningOptions();
  ASSERT_OK_AND_ASSIGN(options.policy_override,
                       policy::Policy::Load(policy::testing::Pack(*policy::testing::ShippedPolicyT())));
  auto agent = h_.MustOpen(options);
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->ApplyPolicyUpdate(update.bytes, update.signature).status().code(),
            StatusCode::kFailedPrecondition);
}

// Storage methods from several threads at once while the scheduler sweeps: the storage lock
// serialises them (run under TSan for the data-race half of the claim).
TEST_F(AgentTest, StorageMethodsFromSeveralThreadsAreSerialised) {
  AgentOptions options = Options();
  options.sweep_interval_ms = 1;
  auto agent = h_.MustOpen(options);
  ASSERT_NE(agent, nullptr);
  ASSERT_OK(agent->SetCategoryProvided("usage", true, DecisionSource::kUser));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        if (!agent->AddValue("usage", "search_queries", "q" + std::to_string(t * 100 + i),
                             vault::ChangeSource::kApp).ok()) {
          failures.fetch_add(1);
        }
        if (!agent->SetChannel("email", i % 2 ? ConsentState::kGranted : ConsentState::kDenied,
                               DecisionSource::kUser).ok()) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (int i = 0; i < 20; ++i) h_.device().AdvanceBy(5);
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_OK_AND_ASSIGN(auto values, agent->ListValues("usage", "search_queries"));
  EXPECT_EQ(values.size(), 30u);
  EXPECT_OK(agent->VerifyConsent());
  EXPECT_OK(agent->VerifyVault());
  EXPECT_OK(agent->VerifyAudit());
}

}  // namespace
}  // namespace tacet::agent
