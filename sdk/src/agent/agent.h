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
// everything it creates. The gates it hands out by pointer are valid until Close (or the
// destructor); the consent snapshot reference until the agent is destroyed.
//
// Platform defaults. A Platform whose key_store is null gets a FileKeyStore the agent owns, at
// AgentOptions::key_store_dir or data_dir + "/keys" (mode 0700). Every other required service
// must be supplied (the posix defaults are in platform/posix: PosixClock, PosixEntropy,
// PosixScheduler, StaticPermissions, StderrLogger).
//
// Connections. The agent opens the device database twice: one connection for every storage
// module (ledger, audit log, vault, export, report, sweep: all under the storage lock) and one
// for the capture access log, which the gates write from the audio, location and consent threads
// (access_log.h asks for a connection of its own).
#ifndef TACET_AGENT_AGENT_H_
#define TACET_AGENT_AGENT_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/device_binding.h"
#include "base/byte_sink.h"
#include "base/bytes.h"
#include "base/status.h"
#include "consent/consent_ledger.h"
#include "consent/feature_availability.h"
#include "gate/access_log.h"
#include "gate/location_gate.h"
#include "gate/permission_fanout.h"
#include "gate/voice_gate.h"
#include "outbox/outbox.h"
#include "policy/policy.h"
#include "policy/policy_manager.h"
#include "report/privacy_report.h"
#include "sync/uploader.h"
#include "minimise/minimiser.h"
#include "tacet/platform/platform.h"
#include "vault/export.h"
#include "vault/consent_view.h"
#include "vault/retention_sweeper.h"
#include "vault/vault.h"

namespace tacet::platform {
class DeviceLock;
}  // namespace tacet::platform

namespace tacet::agent {

// Uploads over Oblivious HTTP (docs/sync.md; the C API's tacet_sync_config). Sync is configured
// when key_config is not empty.
struct SyncOptions {
  // The gateway's key configuration (RFC 9458 §3.1), pinned: parsed at Open (kInvalidArgument).
  Bytes key_config;
  // When the platform brings no transport: the agent's own posix HttpsTransport to this
  // "https://host:port/path" (the OHTTP relay, or the gateway's /gateway), pinned to
  // spki_sha256_pins and/or ca_pem (at least one). Ignored when platform.transport is set.
  std::string url;
  std::vector<std::array<uint8_t, 32>> spki_sha256_pins;
  std::string ca_pem;
  std::string gateway_authority;  // empty: "collector.tacet.invalid"
  int64_t max_events_per_batch = 500;
  // A batch's encoded bytes at most, 4 KiB .. 16 MiB (sync::UploaderOptions::max_batch_bytes).
  int64_t max_batch_bytes = 256 * 1024;
  int64_t backoff_initial_ms = 1000;
  int64_t backoff_max_ms = 3600 * 1000;
  int64_t max_uploads_per_hour = 0;  // 0: no limit
  // Background rounds on the platform scheduler every interval; 0: only SyncNow.
  int64_t interval_ms = 0;
  // Per attempt: the agent's transport's connect, handshake and read timeouts. SyncNow waits at
  // most 3 x timeout_ms for one answer and 30 x timeout_ms in all.
  int32_t timeout_ms = 10000;
};

struct AgentOptions {
  // The device folder. Holds the database ("tacet.db"), its lock ("tacet.db.lock"), the policy
  // state ("policy.state") and, when the platform brings no key store, a FileKeyStore ("keys/",
  // mode 0700). Created (0700) when missing and `create` is set; its parent must exist.
  std::string data_dir;
  // Overrides for tools that address the two halves separately (tacetctl --db/--keystore): the
  // database file (its lock is "<database_path>.lock"; its folder must exist). Empty:
  // data_dir + "/tacet.db".
  std::string database_path;
  // Where the agent's own FileKeyStore lives when the platform brings no key store (tacetctl
  // --keystore). Empty: data_dir + "/keys". Ignored when platform.key_store is set.
  // Checked before anything is created: an existing database whose key store directory is
  // missing is refused (kFailedPrecondition: no new keys are made for existing data), and without
  // `create` a missing directory is kNotFound.
  std::string key_store_dir;
  // The backend's policy-signing key (65-byte SEC 1 uncompressed P-256 point). Empty: signed
  // policy updates are refused (kFailedPrecondition) and the embedded policy is used.
  Bytes policy_update_public_key;
  // Tools and tests only: run under this policy instead of the embedded one or a persisted signed
  // update (tacetctl --policy). Unsigned: never use it to take policies from the network.
  std::shared_ptr<const policy::Policy> policy_override;
  // Create a new device when the folder holds none. Without it, a missing database is kNotFound
  // and nothing is created (no folder, no key store directory, no file).
  bool create = true;
  // Open for reading only: a shared device lock, a read-only database, nothing written anywhere
  // (no sweep, no generation step, no key made: the key store is wrapped so that any write is
  // refused). Implies no `create`. Mutating methods — every Set*, ApplyPolicyUpdate,
  // AcknowledgeControllerNotice, the vault writes and erasures, Export and Report (they append an
  // audit entry), SweepNow — fail with kFailedPrecondition. There are no gates (voice_gate() and
  // location_gate() are null): a capture must be logged. The database must already have recorded
  // the policy the agent runs under (it cannot record a new one): otherwise kFailedPrecondition
  // naming both policies.
  bool read_only = false;
  // How long Open waits for another owner of the device folder before kUnavailable.
  int lock_timeout_ms = 5000;
  // The retention sweeper's period. A writable agent also sweeps once, synchronously, in Open
  // (a failure of that sweep fails Open, as tacetctl always did: nothing past its retention is
  // shown);
  // the scheduled sweeps follow every interval after that, on the platform scheduler's thread,
  // under the storage lock.
  int64_t sweep_interval_ms = vault::kDefaultSweepIntervalMs;
  // The microphone format the voice gate opens.
  gate::VoiceGateOptions voice;
  // Uploads (docs/sync.md). Not configured by default.
  SyncOptions sync;
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

// What Agent::Record did with an event.
struct RecordResult {
  int64_t id = 0;     // the outbox row
  bool held = false;  // stored held until the user answers
};

// What Agent::RecordBatch did with one event.
struct RecordOutcome {
  Status status;      // OK: stored (id, held); otherwise why it was refused (nothing of it stored)
  int64_t id = 0;     // the outbox row, when stored
  bool held = false;  // stored held until the user answers
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

  // Stops the sweeper, unregisters the permission fan-out, destroys the gates (which unregister
  // their consent and mute listeners), closes the access log, vault, audit log and ledger,
  // advances the generation (writable agents), closes the database, the agent's own key store and
  // releases the lock, in that order. Refuses (kFailedPrecondition, nothing closed) while a
  // capture session handle is still held, ended or not (VoiceGate/LocationGate::sessions_in_use):
  // release them first, since a handle outliving its gate would point at freed memory. Idempotent.
  // After Close every Status-returning method fails with kFailedPrecondition ("agent: closed"),
  // voice_gate()/location_gate() return null, consent() keeps returning the last snapshot and
  // policy() the last policy. Not from a callback, and not concurrently with a gate's Acquire.
  // The destructor closes even with sessions held (the gates end them as kGateClosed and log an
  // error): a caller bug, as for the gates themselves.
  Status Close();
  bool closed() const;

  // ---- policy ----------------------------------------------------------------------------------
  // The active policy; the caller shares ownership of an immutable snapshot. Lock-free.
  std::shared_ptr<const policy::Policy> policy() const;
  // Verifies and applies a signed update to the policy manager, the consent ledger (re-asking
  // only what widened), the vault (reopened on the new policy under the storage lock) and the
  // gates (they read the policy from the ledger's snapshot), at once. Errors as PolicyManager::
  // ApplySignedUpdate, and on any of them nothing changed; kFailedPrecondition without a
  // policy_update_public_key, with a policy_override, or read-only. Once the manager accepted the
  // update it is active and persisted: a ledger or vault failure after that is returned, the
  // vault still follows the new policy, and the ledger is reconciled at the next Open (the
  // ledger applies a policy it has not recorded yet).
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
  // Null when the platform has no microphone / location provider, read-only, or after Close.
  // Valid until Close; every session must be released before Close.
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
  // `fn` runs under the storage lock: it must not call the agent's storage methods.
  Status ForEachValue(const std::function<Status(const vault::Record&)>& fn);
  StatusOr<std::vector<vault::HistoryEntry>> ValueHistory(std::string_view category,
                                                          std::string_view field);
  StatusOr<vault::ErasureResult> Erase(std::string_view category);
  // Every category, and the capture access log (the consent history stays: it is the proof of
  // the user's choices). The access log is cleared after the vault, in a critical transaction of
  // its own with an audit entry (kErasure, subject "capture access log"); the rows of captures
  // still open are kept until they end (their gate closes them). If that step fails its error is
  // returned although the vault's erasure stands.
  StatusOr<vault::ErasureResult> EraseAll();

  // ---- the user's rights -----------------------------------------------------------------------
  // The export (docs/export.md) and the privacy report (docs/report.md), streamed to `sink`
  // under the storage lock (the sink must not call the agent's storage methods). Each appends an
  // audit entry, so both are refused read-only.
  StatusOr<vault::ExportSummary> Export(ByteSink& sink);
  StatusOr<report::ReportSummary> Report(ByteSink& sink);

  // ---- verification and upkeep -----------------------------------------------------------------
  Status VerifyAudit();   // the audit chain and its anchor
  Status VerifyVault();   // Vault::Verify
  StatusOr<int64_t> AuditEntryCount();
  // Runs the retention sweep now (the sweeper also runs it on the scheduler).
  StatusOr<vault::SweepResult> SweepNow();

  // ---- recording: events that may leave the device (docs/sync.md) -----------------------------
  // Records an event for its purpose. Nothing is stored unless consent::DecideCollection allows
  // the purpose to collect every category the event carries, under the current consent snapshot;
  // a refusal stores nothing, is counted (RecordCounts) and returns kPermissionDenied naming the
  // purpose, the category and the reason (read-only agents: kFailedPrecondition). With `hold_if_undecided`, an event whose only obstacle
  // is a question the user has not answered yet is stored held: a grant releases it, a refusal
  // deletes it (both inside the consent change's transaction). Field keys must be
  // "<category>.<field>" of the policy (kNotFound otherwise). Thread-safe; takes the storage lock.
  StatusOr<RecordResult> Record(const outbox::Event& event, bool hold_if_undecided = false);
  // Records many events with one commit (group commit): each event gets Record's decision under
  // the same consent snapshot, and its own outcome, in order. A refused or malformed event gets
  // the status Record would have returned (refusals counted, by reason) while the others are
  // stored; every event allowed is stored in ONE transaction, so that once RecordBatch returns
  // they all survive a crash of the process, and a store error stores none of them (the error is
  // returned; the refusals stay counted). At the cap each insert evicts as Record does (a batch
  // larger than the cap evicts its own first events). Thread-safe; takes the storage lock once.
  StatusOr<std::vector<RecordOutcome>> RecordBatch(const std::vector<outbox::Event>& events,
                                                   bool hold_if_undecided = false);
  // The outbox as it is and its running totals (refusals, evictions, purges, releases, erasures,
  // batches pending, rejected and acknowledged, peer authentication failures).
  StatusOr<outbox::OutboxCounts> RecordCounts();

  // ---- sync (docs/sync.md) ---------------------------------------------------------------------
  // One upload round now: builds batches for what is queued, then sends the pending batches ONE
  // AT A TIME (ignoring the backoff wait, not a Retry-After or the rate limit): each attempt is
  // recorded and committed, then handed to the transport under the storage lock; the answer is
  // awaited WITHOUT the storage lock (at most 3 x sync.timeout_ms), applied, and the next attempt
  // starts. The whole call waits at most 30 x sync.timeout_ms; what is left goes in a later round.
  // Close interrupts the wait. Transport failures are counted in the result, not errors.
  // kFailedPrecondition when sync is not configured, read-only or closed. Rounds are serialised
  // with each other; a background round never waits for a running SyncNow (it skips).
  StatusOr<sync::RoundResult> SyncNow();
  // The sharing log (every batch acknowledged or rejected), oldest first.
  StatusOr<std::vector<outbox::SharingEntry>> SharingLog();
  // Pending and rejected batches.
  StatusOr<std::vector<outbox::BatchInfo>> PendingBatches();

  const DeviceIdentity& identity() const;
  bool read_only() const;

 private:
  class ReadOnlyKeyStore;
  struct SweepState;
  struct SyncState;

  Agent(const AgentOptions& options, const platform::Platform& platform);
  // Opens everything after the checks; on error the caller destroys the half-built agent.
  Status OpenModules(bool db_exists);
  // kFailedPrecondition when closed, or (for `mutates`) read-only. Call with storage_mu_ held.
  Status CheckUsableLocked(bool mutates) const;
  // A read-only agent cannot record a policy: refuse one the database has not recorded.
  Status CheckRecordedPolicy();
  StatusOr<vault::SweepResult> SweepLocked();
  Status ClearAccessLogLocked();
  void StartSweeper();
  void StopSweeper();
  Status OpenSync();
  void StopSync();
  // A background step: apply the answers received, then (with `send`) send what is due.
  void BackgroundSync(bool send);
  Status CloseImpl(bool force);
  size_t SessionsHeld();

  const AgentOptions options_;
  platform::Platform platform_;  // key_store replaced by the agent's own one when null
  std::string db_path_;
  std::string key_store_name_;  // " '<dir>'" for the agent's own key store, for messages
  bool writable_ = false;

  std::mutex close_mu_;            // serialises Close
  mutable std::mutex storage_mu_;  // every storage method and the scheduled sweep
  bool closed_ = false;            // guarded by storage_mu_
  std::atomic<bool> closed_flag_{false};

  std::unique_ptr<platform::DeviceLock> lock_;
  std::unique_ptr<platform::KeyStore> own_keys_;       // when the platform brought none
  std::unique_ptr<ReadOnlyKeyStore> read_only_keys_;   // read-only agents
  platform::KeyStore* keys_ = nullptr;                 // what the modules use
  std::unique_ptr<crypto::Drbg> drbg_;
  std::unique_ptr<store::Database> db_;
  DeviceIdentity identity_;
  bool generation_advanced_ = false;  // at open: advance once more at close
  std::unique_ptr<policy::PolicyManager> manager_;
  std::shared_ptr<const policy::Policy> policy_;  // atomic_load / atomic_store
  std::unique_ptr<consent::ConsentLedger> ledger_;
  std::unique_ptr<vault::LedgerConsentView> view_;
  std::unique_ptr<audit::AuditLog> audit_;
  // The sync module's hook (next issue): told after an erasure. None yet.
  vault::ErasureListener* erasure_listener_ = nullptr;
  std::unique_ptr<vault::Vault> vault_;
  std::unique_ptr<outbox::Outbox> outbox_;  // writable agents
  std::unique_ptr<vault::ErasureListener> outbox_erasure_;
  std::unique_ptr<store::Database> access_db_;
  std::unique_ptr<gate::AccessLog> access_log_;
  std::unique_ptr<gate::VoiceGate> voice_;
  std::unique_ptr<gate::LocationGate> location_;
  std::atomic<gate::VoiceGate*> voice_ptr_{nullptr};
  std::atomic<gate::LocationGate*> location_ptr_{nullptr};
  std::unique_ptr<gate::PermissionFanout> fanout_;
  std::shared_ptr<SweepState> sweep_;
  // Sync: the agent's own transport when the platform brings none, the minimiser and uploader.
  // Lock order: SyncState::mu, then sync_round_mu_, then storage_mu_.
  std::mutex sync_round_mu_;  // one round at a time; Close takes it before destroying these
  std::unique_ptr<platform::Transport> own_transport_;
  std::unique_ptr<minimise::Minimiser> minimiser_;
  std::unique_ptr<sync::Uploader> uploader_;
  std::shared_ptr<SyncState> sync_;
};

}  // namespace tacet::agent

#endif  // TACET_AGENT_AGENT_H_
