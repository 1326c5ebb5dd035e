// tacet::agent::Agent: the composition root. One object that owns and wires every module of a
// device — the device folder (lock, binding, generation), the database, the DRBG, the policy and
// its signed updates, the consent ledger, the capture access log, the audit log, the vault, both
// capture gates with the permission fan-out, and the retention sweeper on the platform scheduler —
// and closes them in the right order. tacetctl, the C API (and through it every binding), the
// examples and the device test harnesses are its clients; none of them wires modules by hand.
//
//   AgentOptions options;
//   options.data_dir = "/var/lib/tacet";                // tacet.db, tacet.db.lock, keys/, policy.state
//   TACET_ASSIGN_OR_RETURN(auto agent, Agent::Open(options, platform));
//   TACET_RETURN_IF_ERROR(agent->SetPurpose("voice_features", ConsentState::kGranted,
//                                           DecisionSource::kUser));
//   auto r = agent->voice_gate()->Acquire("voice_features", &sink);
//   TACET_ASSIGN_OR_RETURN(int64_t id, agent->SetValue("contact", "email_address", "a@b.example",
//                                                       vault::ChangeSource::kUser));
//
// Threads. Every method is thread-safe unless it says otherwise. Storage work (consent changes,
// vault reads and writes, export, report, verification, the retention sweep) is serialised by
// one storage lock inside the agent, so callers never coordinate; the consent snapshot and the
// gates' per-frame path take no lock. Listener callbacks run on the thread named by the module
// they come from (consent: the thread that committed the change; gates: see gate/voice_gate.h).
// A callback must not call back into the agent's storage methods (they would wait for the lock
// the caller holds): it may read consent() and end capture sessions.
//
// Ownership. The Platform's services are not owned and must outlive the agent; the agent owns
// everything it creates. Objects it hands out by pointer or reference (gates, the ledger) are
// valid until the agent is destroyed.
#ifndef TACET_AGENT_AGENT_H_
#define TACET_AGENT_AGENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/device_binding.h"
#include "base/bytes.h"
#include "base/status.h"
#include "consent/consent_ledger.h"
#include "consent/feature_availability.h"
#include "gate/location_gate.h"
#include "gate/voice_gate.h"
#include "policy/policy.h"
#include "report/privacy_report.h"
#include "tacet/platform/platform.h"
#include "vault/export.h"
#include "vault/json_stream.h"
#include "vault/retention_sweeper.h"
#include "vault/vault.h"

namespace tacet::agent {

struct AgentOptions {
  // The device folder. Holds the database ("tacet.db"), its lock ("tacet.db.lock"), the policy
  // state ("policy.state") and, when the platform brings no key store, a FileKeyStore ("keys/",
  // mode 0700). Created (0700) when missing and `create` is set; its parent must exist.
  std::string data_dir;
  // Overrides for tools that address the two halves separately (tacetctl --db/--keystore): the
  // database file (its lock is "<database_path>.lock"). Empty: data_dir + "/tacet.db".
  std::string database_path;
  // The backend's policy-signing key (65-byte SEC 1 uncompressed P-256 point). Empty: signed
  // policy updates are refused (kFailedPrecondition) and the embedded policy is used.
  Bytes policy_update_public_key;
  // Tools and tests only: run under this policy instead of the embedded one or a persisted signed
  // update (tacetctl --policy). Unsigned: never use it to take policies from the network.
  std::shared_ptr<const policy::Policy> policy_override;
  // Create a new device when the folder holds none. Without it, a missing database is kNotFound.
  bool create = true;
  // Open for reading only: a shared device lock, a read-only database, nothing written anywhere
  // (no sweep, no generation step, no key made). Mutating methods fail with kFailedPrecondition.
  bool read_only = false;
  // How long Open waits for another owner of the device folder before kUnavailable.
  int lock_timeout_ms = 5000;
  // The retention sweeper's period (it also runs once at Open, on the scheduler).
  int64_t sweep_interval_ms = vault::kDefaultSweepIntervalMs;
  // The microphone format the voice gate opens.
  gate::VoiceGateOptions voice;
};

// What a signed policy update changed, for the app to act on.
struct PolicyUpdateResult {
  uint64_t old_version = 0;
  uint64_t new_version = 0;
  // Purposes whose consent must be asked (again): new ones, and those the update widened.
  std::vector<std::string> purposes_to_ask;
  // The controller changed: disclosures stop until AcknowledgeControllerNotice.
  bool controller_notice_required = false;
};

class Agent {
 public:
  // Validates `platform` (Platform::Validate), takes the device lock (exclusive, or shared with
  // read_only), opens or creates the device (refusing a database and key store that do not
  // belong together before anything is created: device_binding.h), opens every module, registers
  // every listener and schedules the retention sweeper. On failure nothing is left running and
  // the lock is released. Errors: kInvalidArgument for bad options; kUnavailable when another
  // process owns the folder; kNotFound for a missing device without `create`; kFailedPrecondition
  // for a mismatched key store; kDataLoss for a rolled-back or damaged device; store errors.
  static StatusOr<std::unique_ptr<Agent>> Open(const AgentOptions& options,
                                               const platform::Platform& platform);
  // Close(), then frees everything.
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Stops the sweeper, ends every capture session (kAgentClosed-like reason: the gates' own),
  // unregisters every listener, advances the generation (writable agents), closes the database
  // and releases the lock, in that order. Idempotent. After Close every method but the
  // destructor fails with kFailedPrecondition ("agent is closed"). Not from a callback.
  Status Close();
  bool closed() const;

  // ---- policy ----------------------------------------------------------------------------------
  // The active policy; the caller shares ownership of an immutable snapshot. Lock-free.
  std::shared_ptr<const policy::Policy> policy() const;
  // Verifies and applies a signed update to the policy manager, the consent ledger (re-asking
  // only what widened), the vault and the gates, at once. Errors as PolicyManager::
  // ApplySignedUpdate; on any error nothing changed.
  StatusOr<PolicyUpdateResult> ApplyPolicyUpdate(ByteView policy_bytes, ByteView signature_der);
  bool controller_notice_required() const;
  Status AcknowledgeControllerNotice();

  // ---- consent ---------------------------------------------------------------------------------
  // The current decisions: lock-free, allocation-free; valid for the agent's lifetime.
  const consent::ConsentSnapshot& consent() const;
  Status SetPurpose(std::string_view purpose_id, consent::ConsentState state,
                    consent::DecisionSource source);
  Status SetChannel(std::string_view channel_id, consent::ConsentState state,
                    consent::DecisionSource source);
  Status SetCategoryProvided(std::string_view category_id, bool provided,
                             consent::DecisionSource source);
  Status SetLocationPrecision(consent::LocationPrecision precision, consent::DecisionSource source);
  StatusOr<std::vector<consent::HistoryEntry>> ConsentHistory(std::string_view subject = {});
  StatusOr<std::string> ConsentReceipt(int64_t seq);
  Status VerifyConsent();
  // Listeners are not owned; remove before destroying one (see consent_ledger.h for the rules).
  void AddConsentListener(consent::ConsentListener* listener);
  void RemoveConsentListener(consent::ConsentListener* listener);
  // Every feature of the policy: available / not asked / declined, with the reason.
  std::vector<consent::FeatureStatus> Features() const;

  // ---- capture gates ---------------------------------------------------------------------------
  // Null when the platform has no microphone / location provider. Valid until the agent is
  // destroyed; every session must be released before Close.
  gate::VoiceGate* voice_gate();
  gate::LocationGate* location_gate();

  // ---- the vault -------------------------------------------------------------------------------
  StatusOr<int64_t> SetValue(std::string_view category, std::string_view field,
                             std::string_view value, vault::ChangeSource source);
  StatusOr<int64_t> AddValue(std::string_view category, std::string_view field,
                             std::string_view value, vault::ChangeSource source);
  Status CorrectValue(int64_t record_id, std::string_view value, vault::ChangeSource source);
  StatusOr<vault::Record> GetValue(int64_t record_id);
  StatusOr<std::vector<vault::Record>> ListValues(std::string_view category, std::string_view field);
  // Every current value, by record id (one in memory at a time); stops at fn's first error.
  Status ForEachValue(const std::function<Status(const vault::Record&)>& fn);
  StatusOr<std::vector<vault::HistoryEntry>> ValueHistory(std::string_view category,
                                                          std::string_view field);
  StatusOr<vault::ErasureResult> Erase(std::string_view category);
  // Every category, and the capture access log (the consent history stays: it is the proof of
  // the user's choices).
  StatusOr<vault::ErasureResult> EraseAll();

  // ---- the user's rights -----------------------------------------------------------------------
  // The export (docs/export.md) and the privacy report (docs/report.md), streamed to `sink`.
  StatusOr<vault::ExportSummary> Export(vault::ByteSink& sink);
  StatusOr<report::ReportSummary> Report(vault::ByteSink& sink);

  // ---- verification and upkeep -----------------------------------------------------------------
  Status VerifyAudit();   // the audit chain and its anchor
  Status VerifyVault();   // Vault::Verify
  StatusOr<int64_t> AuditEntryCount();
  // Runs the retention sweep now (the sweeper also runs it on the scheduler).
  StatusOr<vault::SweepResult> SweepNow();

  const DeviceIdentity& identity() const;
  bool read_only() const;
};

}  // namespace tacet::agent

#endif  // TACET_AGENT_AGENT_H_
