#include "agent/agent.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <utility>

#include "agent/capture_records.h"
#include "agent/device_schema.h"
#include "posix/device_lock.h"
#include "posix/file_key_store.h"
#include "posix/https_transport.h"
#include "store/transaction.h"
#include "vault/field_rules.h"

namespace tacet::agent {
namespace {

// The vault tells the outbox what it erased: queued events carrying those categories go too.
class OutboxErasure final : public vault::ErasureListener {
 public:
  explicit OutboxErasure(outbox::Outbox& outbox) : outbox_(outbox) {}
  Status OnErased(const std::vector<std::string>& categories, bool everything) override {
    return outbox_.EraseCategories(categories, everything).status();
  }

 private:
  outbox::Outbox& outbox_;
};

constexpr char kClosed[] = "agent: closed";
// SyncNow waits at most this many sync.timeout_ms in all (docs/sync.md).
constexpr int64_t kSyncNowTimeouts = 30;

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::string StripTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string ParentDir(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Stands in for the key store the agent will open itself, so that Platform::Validate checks the
// other services. Never used.
class NoKeyStore final : public platform::KeyStore {
 public:
  Status Put(std::string_view, ByteView) override { return InternalError("agent: no key store"); }
  StatusOr<Bytes> Get(std::string_view) override { return InternalError("agent: no key store"); }
  Status Delete(std::string_view) override { return InternalError("agent: no key store"); }
};

std::string PolicyName(const policy::Policy& p) {
  return "'" + std::string(p.id()) + "' v" + std::to_string(p.version());
}

}  // namespace

// The key store of a read-only agent: reads go through, every write is refused, so nothing the
// modules would create at open (a key, a flag, a counter step) reaches the store.
class Agent::ReadOnlyKeyStore final : public platform::KeyStore {
 public:
  explicit ReadOnlyKeyStore(platform::KeyStore& inner) : inner_(inner) {}
  Status Put(std::string_view name, ByteView) override {
    return FailedPreconditionError("agent: opened read-only; not writing '" + std::string(name) +
                                   "' to the key store");
  }
  StatusOr<Bytes> Get(std::string_view name) override { return inner_.Get(name); }
  Status Delete(std::string_view name) override {
    return FailedPreconditionError("agent: opened read-only; not deleting '" + std::string(name) +
                                   "' from the key store");
  }

 private:
  platform::KeyStore& inner_;
};

// Shared with the scheduled sweep tasks, so a task that starts while the agent closes finds
// `stopped` instead of a dangling agent. `mu` is held for a whole sweep; Stop takes it, so no
// sweep runs after StopSweeper returns. Lock order: SweepState::mu before storage_mu_.
struct Agent::SweepState {
  std::mutex mu;
  Agent* agent = nullptr;
  platform::Scheduler* scheduler = nullptr;
  int64_t interval_ms = vault::kDefaultSweepIntervalMs;
  bool stopped = false;
  platform::TaskId pending = 0;

  static void Run(const std::shared_ptr<SweepState>& state) {
    std::lock_guard<std::mutex> lock(state->mu);
    if (state->stopped) return;
    StatusOr<vault::SweepResult> swept = state->agent->SweepNow();
    if (!swept.ok() && swept.status().code() != StatusCode::kFailedPrecondition) {
      state->agent->platform_.logger->Log(platform::LogLevel::kWarning,
                                          "agent: retention sweep failed: " +
                                              swept.status().ToString());
    }
    std::shared_ptr<SweepState> next = state;
    state->pending =
        state->scheduler->ScheduleAfter(state->interval_ms, [next] { Run(next); });
  }
};

// Shared with the scheduled sync tasks and the uploader's answer listener, as SweepState: a task
// that starts while the agent closes finds `stopped`. `mu` is held for a whole background step.
struct Agent::SyncState {
  std::mutex mu;
  Agent* agent = nullptr;
  platform::Scheduler* scheduler = nullptr;
  int64_t interval_ms = 0;
  bool stopped = false;
  platform::TaskId pending = 0;

  static void Run(const std::shared_ptr<SyncState>& state, bool send) {
    std::lock_guard<std::mutex> lock(state->mu);
    if (state->stopped) return;
    state->agent->BackgroundSync(send);
    if (send && state->interval_ms > 0) {
      std::shared_ptr<SyncState> next = state;
      state->pending = state->scheduler->ScheduleAfter(state->interval_ms, [next] { Run(next, true); });
    }
  }
};

// Lists the sharing log in the export's `disclosures` section.
class DisclosuresExportSection final : public vault::ExportSection {
 public:
  explicit DisclosuresExportSection(outbox::Outbox& outbox) : outbox_(outbox) {}
  Status WriteEntries(JsonWriter& out) override {
    return outbox_.ForEachSharingEntry([&out](const outbox::SharingEntry& e) -> Status {
      TACET_RETURN_IF_ERROR(out.BeginObject());
      TACET_RETURN_IF_ERROR(out.Member("batch_id", HexEncode(e.batch_id)));
      TACET_RETURN_IF_ERROR(out.Member("recipient", e.recipient));
      TACET_RETURN_IF_ERROR(out.Member(
          "kind", e.kind == outbox::BatchKind::kEvents ? "events" : "deletion_requests"));
      TACET_RETURN_IF_ERROR(out.Member("purpose", e.purpose));
      for (const auto* list : {&e.categories, &e.forms}) {
        TACET_RETURN_IF_ERROR(out.Key(list == &e.categories ? "categories" : "forms"));
        TACET_RETURN_IF_ERROR(out.BeginArray());
        for (const std::string& item : *list) TACET_RETURN_IF_ERROR(out.String(item));
        TACET_RETURN_IF_ERROR(out.EndArray());
      }
      TACET_RETURN_IF_ERROR(out.Member("events", e.events));
      TACET_RETURN_IF_ERROR(out.Member("deletion_requests", e.deletions));
      TACET_RETURN_IF_ERROR(out.Member("first_sent_unix_ms", e.first_sent_unix_ms));
      TACET_RETURN_IF_ERROR(out.Member("answered_unix_ms", e.answered_unix_ms));
      TACET_RETURN_IF_ERROR(out.Member("attempts", e.attempts));
      TACET_RETURN_IF_ERROR(out.Member("outcome", e.outcome));
      TACET_RETURN_IF_ERROR(out.Member("detail", e.detail));
      return out.EndObject();
    });
  }

 private:
  outbox::Outbox& outbox_;
};

Agent::Agent(const AgentOptions& options, const platform::Platform& platform)
    : options_(options), platform_(platform) {}

Agent::~Agent() { (void)CloseImpl(/*force=*/true); }

StatusOr<std::unique_ptr<Agent>> Agent::Open(const AgentOptions& options,
                                             const platform::Platform& platform) {
  // ---- checks that touch nothing ----------------------------------------------------------------
  platform::Platform checked = platform;
  const bool own_key_store = platform.key_store == nullptr;
  if (own_key_store) {
    static NoKeyStore placeholder;  // only for Validate: the agent brings its own FileKeyStore
    checked.key_store = &placeholder;
  }
  TACET_RETURN_IF_ERROR(checked.Validate());
  if (options.data_dir.empty()) {
    return InvalidArgumentError("agent: AgentOptions::data_dir is required");
  }
  if (options.lock_timeout_ms < 0) {
    return InvalidArgumentError("agent: lock_timeout_ms must not be negative, not " +
                                std::to_string(options.lock_timeout_ms));
  }
  if (options.sweep_interval_ms <= 0) {
    return InvalidArgumentError("agent: sweep_interval_ms must be positive, not " +
                                std::to_string(options.sweep_interval_ms));
  }
  if (!options.policy_update_public_key.empty() && options.policy_update_public_key.size() != 65) {
    return InvalidArgumentError(
        "agent: policy_update_public_key must be a 65-byte SEC 1 uncompressed P-256 point, not " +
        std::to_string(options.policy_update_public_key.size()) + " bytes");
  }

  std::unique_ptr<Agent> agent(new Agent(options, platform));
  agent->platform_.key_store = platform.key_store;
  const std::string data_dir = StripTrailingSlashes(options.data_dir);
  agent->db_path_ = options.database_path.empty() ? data_dir + "/tacet.db" : options.database_path;
  agent->writable_ = !options.read_only;
  const std::string& db_path = agent->db_path_;
  const bool may_create = options.create && !options.read_only;
  const bool data_dir_exists = Exists(data_dir);

  TACET_RETURN_IF_ERROR(store::CheckDatabasePath(db_path));
  if (!data_dir_exists && !may_create) {
    return NotFoundError("agent: no device folder at '" + data_dir + "'");
  }
  const std::string db_folder = StripTrailingSlashes(ParentDir(db_path));
  const bool db_folder_made_here = !data_dir_exists && db_folder == data_dir;
  if (!db_folder_made_here && !Exists(db_folder)) {
    return NotFoundError("the folder of the database '" + db_path + "' does not exist");
  }
  const bool db_exists = Exists(db_path);
  if (!db_exists && !may_create) {
    return NotFoundError("no device database at '" + db_path +
                         "' (opened without create: nothing is created)");
  }
  const std::string key_dir =
      options.key_store_dir.empty() ? data_dir + "/keys" : options.key_store_dir;
  if (own_key_store) {
    if (db_exists && !Exists(key_dir)) {
      return FailedPreconditionError(
          "the database '" + db_path + "' exists but its key store '" + key_dir +
          "' does not (a typo in the key store path?); refusing to create new keys for existing "
          "data");
    }
    if (!Exists(key_dir) && !may_create) {
      return NotFoundError("no key store at '" + key_dir + "'");
    }
  }

  // ---- the folder and its lock ------------------------------------------------------------------
  if (!data_dir_exists) {
    if (::mkdir(data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
      const int err = errno;
      return (err == ENOENT ? NotFoundError("agent: cannot create the device folder '" + data_dir +
                                            "': its parent does not exist")
                            : FailedPreconditionError("agent: cannot create the device folder '" +
                                                      data_dir + "': " + std::strerror(err)));
    }
  }
  auto lock = platform::DeviceLock::Acquire(
      platform::DeviceLock::LockPathFor(db_path),
      options.read_only ? platform::LockMode::kShared : platform::LockMode::kExclusive,
      options.lock_timeout_ms);
  if (!lock.ok()) return lock.status();
  agent->lock_ = *std::move(lock);

  // ---- the key store ----------------------------------------------------------------------------
  if (own_key_store) {
    auto keys = platform::FileKeyStore::Open(key_dir);
    if (!keys.ok()) return keys.status();
    agent->own_keys_ = *std::move(keys);
    agent->key_store_name_ = " '" + key_dir + "'";
    agent->platform_.key_store = agent->own_keys_.get();
  }
  agent->keys_ = agent->platform_.key_store;
  if (options.read_only) {
    agent->read_only_keys_ = std::make_unique<ReadOnlyKeyStore>(*agent->keys_);
    agent->keys_ = agent->read_only_keys_.get();
  }

  // Looked at again under the lock: another process may have created the device while this one
  // waited (two first writes on a new folder: the second must open the first's device, not refuse
  // it as a mistyped path; found by review).
  TACET_RETURN_IF_ERROR(agent->OpenModules(db_exists || Exists(db_path)));
  return agent;
}

Status Agent::OpenModules(bool db_exists) {
  platform::Clock& clock = *platform_.clock;
  TACET_ASSIGN_OR_RETURN(drbg_, crypto::Drbg::Create(*platform_.entropy, "tacet agent"));

  if (!db_exists) {
    // A new database with a key store that already belongs to a device: refuse before the file
    // exists (a typo in the database path must not start a second device on the real keys).
    auto bound = ReadKeyStoreBinding(*keys_);
    if (bound.ok()) {
      return FailedPreconditionError(
          "the key store" + key_store_name_ + " belongs to database " +
          ShortId(bound->database_id) + ", and '" +
          db_path_ + "' does not exist (a typo in the database path?); refusing to create a new "
          "database with it");
    }
    if (bound.status().code() != StatusCode::kNotFound) return bound.status();
  }

  store::OpenOptions db_options;
  db_options.schema = &DeviceSchema();
  db_options.read_only = !writable_;
  db_options.create_if_missing = options_.create && writable_;
  db_options.busy_timeout_ms = options_.lock_timeout_ms;
  TACET_ASSIGN_OR_RETURN(db_, store::Database::Open(db_path_, db_options));

  TACET_ASSIGN_OR_RETURN(identity_, BindDevice(*db_, *keys_, *drbg_, clock, writable_));
  if (writable_) {
    TACET_RETURN_IF_ERROR(AdvanceGeneration(*db_, *keys_));
    generation_advanced_ = true;
  }

  // ---- the policy -------------------------------------------------------------------------------
  if (options_.policy_override != nullptr) {
    policy_ = options_.policy_override;
  } else if (!options_.policy_update_public_key.empty()) {
    policy::PolicyManagerOptions manager_options;
    manager_options.update_public_key = options_.policy_update_public_key;
    manager_options.state_path = StripTrailingSlashes(options_.data_dir) + "/policy.state";
    manager_options.keys = keys_;
    TACET_ASSIGN_OR_RETURN(manager_, policy::PolicyManager::Create(std::move(manager_options)));
    policy_ = manager_->active();
  } else {
    TACET_ASSIGN_OR_RETURN(policy_, policy::Policy::LoadEmbedded());
  }
  if (!writable_) TACET_RETURN_IF_ERROR(CheckRecordedPolicy());

  // ---- consent, audit, vault --------------------------------------------------------------------
  TACET_ASSIGN_OR_RETURN(ledger_,
                         consent::ConsentLedger::Open(*db_, policy_, clock, *keys_, *drbg_));
  view_ = std::make_unique<vault::LedgerConsentView>(*ledger_);
  TACET_ASSIGN_OR_RETURN(audit_, audit::AuditLog::Open(*db_, clock, *keys_, *drbg_));
  if (writable_) {
    // The outbox shares the ledger's connection: a consent change purges what it no longer allows
    // inside its own transaction (the commit hook), and an erasure empties it of the erased
    // categories.
    TACET_ASSIGN_OR_RETURN(outbox_, outbox::Outbox::Open(*db_, *keys_, *drbg_, clock));
    ledger_->SetCommitHook(outbox_.get());
    // What the ledger's open changed without the hook (a policy update applied at open, a
    // fail-closed history) reaches the outbox now, before anything can be recorded or sent.
    {
      TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(*db_, store::Durability::kCritical));
      TACET_RETURN_IF_ERROR(outbox_->OnConsentCommitting(*db_, ledger_->snapshot()));
      TACET_RETURN_IF_ERROR(txn.Commit());
    }
    outbox_erasure_ = std::make_unique<OutboxErasure>(*outbox_);
    erasure_listener_ = outbox_erasure_.get();
    TACET_RETURN_IF_ERROR(OpenSync());
  }
  vault::VaultDeps deps;
  deps.db = db_.get();
  deps.policy = policy_;
  deps.consent = view_.get();
  deps.keys = keys_;
  deps.clock = &clock;
  deps.drbg = drbg_.get();
  deps.audit = audit_.get();
  deps.erasure_listener = erasure_listener_;
  TACET_ASSIGN_OR_RETURN(vault_, vault::Vault::Open(deps));

  if (!writable_) return OkStatus();

  // ---- capture: the access log on its own connection, the gates, the permission fan-out -------
  store::OpenOptions log_options = db_options;
  log_options.create_if_missing = false;
  TACET_ASSIGN_OR_RETURN(access_db_, store::Database::Open(db_path_, log_options));
  TACET_ASSIGN_OR_RETURN(access_log_, gate::AccessLog::Open(*access_db_));
  if (platform_.microphone != nullptr) {
    voice_ = std::make_unique<gate::VoiceGate>(*ledger_, *platform_.microphone,
                                               *platform_.permissions, clock, *access_log_,
                                               options_.voice);
    voice_ptr_.store(voice_.get(), std::memory_order_release);
  }
  if (platform_.location != nullptr) {
    location_ = std::make_unique<gate::LocationGate>(*ledger_, *platform_.location,
                                                     *platform_.permissions, clock, *access_log_);
    location_ptr_.store(location_.get(), std::memory_order_release);
  }
  if (voice_ != nullptr || location_ != nullptr) {
    fanout_ = std::unique_ptr<gate::PermissionFanout>(
        new gate::PermissionFanout({voice_.get(), location_.get()}));
    platform_.permissions->SetListener(fanout_.get());
  }

  // ---- retention: once now, then on the scheduler ------------------------------------------------
  {
    std::lock_guard<std::mutex> lock(storage_mu_);
    TACET_ASSIGN_OR_RETURN(vault::SweepResult swept, SweepLocked());
    (void)swept;
  }
  StartSweeper();
  if (uploader_ != nullptr) {
    sync_ = std::make_shared<SyncState>();
    sync_->agent = this;
    sync_->scheduler = platform_.scheduler;
    sync_->interval_ms = options_.sync.interval_ms;
    std::weak_ptr<SyncState> weak = sync_;
    platform::Scheduler* scheduler = platform_.scheduler;
    // An answer arrives on the transport's thread: apply it on the scheduler's.
    uploader_->SetAnswerListener([weak, scheduler] {
      if (std::shared_ptr<SyncState> state = weak.lock()) {
        scheduler->ScheduleAfter(0, [state] { SyncState::Run(state, false); });
      }
    });
    if (options_.sync.interval_ms > 0) {
      std::lock_guard<std::mutex> lock(sync_->mu);
      std::shared_ptr<SyncState> state = sync_;
      sync_->pending = platform_.scheduler->ScheduleAfter(options_.sync.interval_ms,
                                                          [state] { SyncState::Run(state, true); });
    }
  }
  return OkStatus();
}

Status Agent::OpenSync() {
  const SyncOptions& o = options_.sync;
  if (o.key_config.empty()) return OkStatus();
  if (o.interval_ms < 0 || o.timeout_ms <= 0) {
    return InvalidArgumentError("agent: sync interval_ms must not be negative and timeout_ms must "
                                "be positive (interval " + std::to_string(o.interval_ms) +
                                ", timeout " + std::to_string(o.timeout_ms) + ")");
  }
  sync::UploaderOptions uo;
  uo.key_config = o.key_config;
  if (!o.gateway_authority.empty()) uo.gateway_authority = o.gateway_authority;
  uo.max_events_per_batch = o.max_events_per_batch;
  uo.max_batch_bytes = o.max_batch_bytes;
  uo.backoff_initial_ms = o.backoff_initial_ms;
  uo.backoff_max_ms = o.backoff_max_ms;
  uo.max_uploads_per_hour = o.max_uploads_per_hour;
  uo.attempt_timeout_ms = 3 * static_cast<int64_t>(o.timeout_ms);
  platform::Transport* transport = platform_.transport;
  if (transport == nullptr) {
    platform::HttpsTransportOptions t;
    if (o.url.empty()) {
      return InvalidArgumentError("agent: sync needs a url when the platform brings no transport");
    }
    TACET_RETURN_IF_ERROR(platform::ParseHttpsUrl(o.url, &t));
    t.spki_sha256_pins = o.spki_sha256_pins;
    t.ca_chain_pem = o.ca_pem;
    t.connect_timeout_ms = o.timeout_ms;
    t.handshake_timeout_ms = o.timeout_ms;
    t.read_timeout_ms = o.timeout_ms;
    auto created = platform::HttpsTransport::Create(std::move(t));
    if (!created.ok()) return created.status().WithContext("agent: sync transport");
    own_transport_ = *std::move(created);
    transport = own_transport_.get();
  }
  TACET_ASSIGN_OR_RETURN(Bytes secret,
                         platform::GetOrCreateSecret(*keys_, sync::kPseudonymSecretName,
                                                     [this] { return drbg_->RandomBytes(32); }));
  auto minimiser = minimise::Minimiser::Create(policy_, secret);
  crypto::SecureZero(secret.data(), secret.size());
  if (!minimiser.ok()) return minimiser.status();
  minimiser_ = *std::move(minimiser);
  sync::UploaderDeps deps;
  deps.db = db_.get();
  deps.outbox = outbox_.get();
  deps.audit = audit_.get();
  deps.ledger = ledger_.get();
  deps.minimiser = minimiser_.get();
  deps.transport = transport;
  deps.clock = platform_.clock;
  deps.drbg = drbg_.get();
  auto uploader = sync::Uploader::Create(deps, std::move(uo));
  if (!uploader.ok()) return uploader.status().WithContext("agent: sync");
  uploader_ = *std::move(uploader);
  return OkStatus();
}

void Agent::StopSync() {
  // A SyncNow waiting for an answer stops waiting now (only StopSync replaces uploader_).
  if (uploader_ != nullptr) uploader_->Interrupt();
  if (sync_ != nullptr) {
    std::lock_guard<std::mutex> lock(sync_->mu);  // waits for a background step in progress
    sync_->stopped = true;
    if (sync_->pending != 0) platform_.scheduler->Cancel(sync_->pending);
    sync_->pending = 0;
  }
  std::lock_guard<std::mutex> round(sync_round_mu_);
  uploader_.reset();  // answers arriving later are dropped
  own_transport_.reset();  // aborts an attempt in flight
  minimiser_.reset();
}

void Agent::BackgroundSync(bool send) {
  // Never waits for a SyncNow (it may be waiting for the network): that round applies the
  // answers and makes the next attempts itself; a timed round missed here comes next interval.
  std::unique_lock<std::mutex> round(sync_round_mu_, std::try_to_lock);
  if (!round.owns_lock()) return;
  std::lock_guard<std::mutex> lock(storage_mu_);
  if (closed_ || uploader_ == nullptr) return;
  Status status = OkStatus();
  if (send) {
    status = uploader_->Finish().status();
    if (status.ok()) status = uploader_->Start(/*force=*/false, controller_notice_required()).status();
  } else {
    // An answer came: apply it, then the round's next attempt (one at a time).
    status = uploader_->ApplyAnswers();
    if (status.ok()) status = uploader_->SendNext().status();
  }
  if (!status.ok()) {
    platform_.logger->Log(platform::LogLevel::kWarning, "agent: background sync failed: " +
                                                            status.ToString());
  }
}

StatusOr<sync::RoundResult> Agent::SyncNow() {
  std::lock_guard<std::mutex> round(sync_round_mu_);
  {
    std::lock_guard<std::mutex> lock(storage_mu_);
    TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
    if (uploader_ == nullptr) {
      return FailedPreconditionError(
          "agent: sync is not configured (no gateway key configuration in the options)");
    }
    // Answers that arrived since the last round first, then this round's first attempt.
    TACET_RETURN_IF_ERROR(uploader_->Finish().status());
    TACET_RETURN_IF_ERROR(uploader_->Start(/*force=*/true, controller_notice_required()).status());
  }
  // One attempt at a time. The wait runs without the storage lock (recording and consent changes
  // go on); each next attempt starts under it, after the previous answer, and re-checks its
  // batch: a consent change that committed meanwhile has purged what it concerns, and nothing of
  // it is handed to the transport afterwards. One attempt may take up to three timeouts
  // (connect, handshake, read); the whole call waits at most kSyncNowTimeouts timeouts.
  const int64_t attempt_ms = 3 * static_cast<int64_t>(options_.sync.timeout_ms);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(kSyncNowTimeouts * options_.sync.timeout_ms);
  while (true) {
    if (uploader_->InFlight()) {
      const int64_t left = std::chrono::duration_cast<std::chrono::milliseconds>(
                               deadline - std::chrono::steady_clock::now())
                               .count();
      if (left <= 0 || !uploader_->WaitForAnswers(std::min(attempt_ms, left))) break;
    }
    std::lock_guard<std::mutex> lock(storage_mu_);
    TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
    TACET_RETURN_IF_ERROR(uploader_->ApplyAnswers());
    TACET_ASSIGN_OR_RETURN(int64_t sent, uploader_->SendNext());
    if (sent == 0 && !uploader_->InFlight()) break;
  }
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
  return uploader_->Finish();
}

StatusOr<std::vector<outbox::SharingEntry>> Agent::SharingLog() {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
  std::vector<outbox::SharingEntry> out;
  TACET_RETURN_IF_ERROR(outbox_->ForEachSharingEntry([&out](const outbox::SharingEntry& e) {
    out.push_back(e);
    return OkStatus();
  }));
  return out;
}

StatusOr<std::vector<outbox::BatchInfo>> Agent::PendingBatches() {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
  return outbox_->ListBatches();
}

Status Agent::CheckRecordedPolicy() {
  TACET_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT policy FROM consent_policy WHERE id = 1"));
  TACET_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) {
    return FailedPreconditionError(
        "agent: opened read-only, but the database has not recorded a policy yet; open it "
        "writable once to run under policy " + PolicyName(*policy_));
  }
  auto recorded = policy::Policy::Load(st.ColumnBlob(0));
  if (!recorded.ok()) {
    return DataLossError("agent: the policy recorded in the database no longer loads: " +
                         recorded.status().message());
  }
  if ((*recorded)->hash() != policy_->hash()) {
    return FailedPreconditionError(
        "agent: opened read-only under policy " + PolicyName(*policy_) +
        ", but the database's decisions were last reconciled with policy " +
        PolicyName(**recorded) + "; a read-only open cannot apply the change (open it writable "
        "once)");
  }
  return OkStatus();
}

void Agent::StartSweeper() {
  sweep_ = std::make_shared<SweepState>();
  sweep_->agent = this;
  sweep_->scheduler = platform_.scheduler;
  sweep_->interval_ms = options_.sweep_interval_ms;
  std::lock_guard<std::mutex> lock(sweep_->mu);
  std::shared_ptr<SweepState> state = sweep_;
  sweep_->pending =
      platform_.scheduler->ScheduleAfter(options_.sweep_interval_ms, [state] { SweepState::Run(state); });
}

void Agent::StopSweeper() {
  if (sweep_ == nullptr) return;
  std::lock_guard<std::mutex> lock(sweep_->mu);  // waits for a sweep in progress
  sweep_->stopped = true;
  if (sweep_->pending != 0) platform_.scheduler->Cancel(sweep_->pending);
  sweep_->pending = 0;
}

size_t Agent::SessionsHeld() {
  size_t held = 0;
  if (voice_ != nullptr) held += voice_->sessions_in_use();
  if (location_ != nullptr) held += location_->sessions_in_use();
  return held;
}

Status Agent::Close() { return CloseImpl(/*force=*/false); }

Status Agent::CloseImpl(bool force) {
  std::lock_guard<std::mutex> close_lock(close_mu_);
  {
    std::lock_guard<std::mutex> lock(storage_mu_);
    if (closed_) return OkStatus();
    const size_t held = SessionsHeld();
    if (held > 0) {
      const std::string message =
          "agent: " + std::to_string(held) +
          " capture session handle(s) still held; release them before Close";
      if (!force) return FailedPreconditionError(message);
      if (platform_.logger != nullptr) {
        platform_.logger->Log(platform::LogLevel::kError,
                              message + " (destroyed anyway: the gates end them as gate_closed)");
      }
    }
  }
  // Outside the storage lock: a sweep in progress holds the sweep lock and waits for the storage
  // lock; so does a sync round (and a SyncNow waiting for its answers holds the round lock).
  StopSweeper();
  StopSync();

  std::lock_guard<std::mutex> lock(storage_mu_);
  closed_ = true;
  closed_flag_.store(true, std::memory_order_release);
  voice_ptr_.store(nullptr, std::memory_order_release);
  location_ptr_.store(nullptr, std::memory_order_release);
  if (fanout_ != nullptr) platform_.permissions->SetListener(nullptr);
  location_.reset();  // the gates remove their consent and mute listeners
  voice_.reset();
  fanout_.reset();
  access_log_.reset();
  access_db_.reset();
  vault_.reset();
  if (ledger_ != nullptr) ledger_->SetCommitHook(nullptr);
  erasure_listener_ = nullptr;
  outbox_erasure_.reset();
  outbox_.reset();
  audit_.reset();
  view_.reset();
  // The ledger and the policy manager stay (unused) until the destructor: consent() and
  // controller_notice_required() read them without the lock. Neither touches the database or the
  // key store when destroyed, and every method that would use them checks closed_ first.
  Status result = OkStatus();
  if (generation_advanced_ && db_ != nullptr && keys_ != nullptr) {
    // The closing step of the generation counter: a copy of the database taken during this
    // session is older than what the key store will remember.
    result = AdvanceGeneration(*db_, *keys_);
    if (!result.ok() && platform_.logger != nullptr) {
      platform_.logger->Log(platform::LogLevel::kWarning,
                            "agent: closing step of the device generation failed: " +
                                result.ToString());
    }
  }
  db_.reset();
  read_only_keys_.reset();
  keys_ = nullptr;
  platform_.key_store = nullptr;
  own_keys_.reset();
  lock_.reset();
  return result;
}

bool Agent::closed() const { return closed_flag_.load(std::memory_order_acquire); }

Status Agent::CheckUsableLocked(bool mutates) const {
  if (closed_) return FailedPreconditionError(kClosed);
  if (mutates && options_.read_only) {
    return FailedPreconditionError("agent: opened read-only; refusing to change the device");
  }
  return OkStatus();
}

// ---- policy -------------------------------------------------------------------------------------

std::shared_ptr<const policy::Policy> Agent::policy() const { return std::atomic_load(&policy_); }

StatusOr<PolicyUpdateResult> Agent::ApplyPolicyUpdate(ByteView policy_bytes,
                                                      ByteView signature_der) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(/*mutates=*/true));
  if (options_.policy_override != nullptr) {
    return FailedPreconditionError(
        "agent: running under a policy override; signed policy updates are off");
  }
  if (manager_ == nullptr) {
    return FailedPreconditionError(
        "agent: no policy_update_public_key was given; signed policy updates are refused");
  }
  PolicyUpdateResult result;
  result.old_version = manager_->active()->version();
  TACET_ASSIGN_OR_RETURN(policy::PolicyDiff diff,
                         manager_->ApplySignedUpdate(policy_bytes, signature_der));
  std::shared_ptr<const policy::Policy> active = manager_->active();
  result.new_version = active->version();
  result.purposes_to_ask = diff.PurposesNeedingConsent();
  result.controller_notice_required = manager_->notice_required();
  std::atomic_store(&policy_, active);

  // The ledger re-asks what widened and publishes a snapshot under the new policy: the gates
  // read the policy from it, and end (through their consent listeners) any session it no longer
  // allows.
  Status ledger_status = ledger_->ApplyPolicyUpdate(active, diff);
  // The vault keeps its policy from VaultDeps: reopen it on the new one (a cheap open: key ring,
  // pending erasures). On failure the old vault stays.
  Status vault_status = OkStatus();
  vault::VaultDeps deps;
  deps.db = db_.get();
  deps.policy = active;
  deps.consent = view_.get();
  deps.keys = keys_;
  deps.clock = platform_.clock;
  deps.drbg = drbg_.get();
  deps.audit = audit_.get();
  deps.erasure_listener = erasure_listener_;
  auto reopened = vault::Vault::Open(deps);
  if (reopened.ok()) {
    vault_ = *std::move(reopened);
  } else {
    vault_status = reopened.status();
  }
  if (!ledger_status.ok()) {
    return ledger_status.WithContext("agent: policy " + PolicyName(*active) +
                                     " is active, but the consent ledger was not updated (it is "
                                     "at the next open)");
  }
  if (!vault_status.ok()) {
    return vault_status.WithContext("agent: policy " + PolicyName(*active) +
                                    " is active, but the vault could not be reopened on it");
  }
  return result;
}

bool Agent::controller_notice_required() const {
  return manager_ != nullptr && manager_->notice_required();
}

Status Agent::AcknowledgeControllerNotice() {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(/*mutates=*/true));
  if (manager_ == nullptr) return OkStatus();  // no signed updates: never a notice
  return manager_->AcknowledgeControllerNotice();
}

// ---- consent ------------------------------------------------------------------------------------

const consent::ConsentSnapshot& Agent::consent() const { return ledger_->snapshot(); }

Status Agent::SetPurpose(std::string_view purpose_id, consent::ConsentState state,
                         consent::DecisionSource source) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
  return ledger_->SetPurpose(purpose_id, state, source);
}

Status Agent::SetChannel(std::string_view channel_id, consent::ConsentState state,
                         consent::DecisionSource source) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
  return ledger_->SetChannel(channel_id, state, source);
}

Status Agent::SetCategoryProvided(std::string_view category_id, bool provided,
                                  consent::DecisionSource source) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
  return ledger_->SetCategoryProvided(category_id, provided, source);
}

Status Agent::SetLocationPrecision(consent::LocationPrecision precision,
                                   consent::DecisionSource source) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
  return ledger_->SetLocationPrecision(precision, source);
}

StatusOr<std::vector<consent::HistoryEntry>> Agent::ConsentHistory(std::string_view subject) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(false));
  return ledger_->History(subject);
}

StatusOr<std::string> Agent::ConsentReceipt(int64_t seq) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(false));
  return ledger_->Receipt(seq);
}

Status Agent::VerifyConsent() {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(false));
  return ledger_->Verify();
}

void Agent::AddConsentListener(consent::ConsentListener* listener) {
  if (listener != nullptr) ledger_->AddListener(listener);
}

void Agent::RemoveConsentListener(consent::ConsentListener* listener) {
  if (listener != nullptr) ledger_->RemoveListener(listener);
}

std::vector<consent::FeatureStatus> Agent::Features() const {
  return consent::Features(consent());
}

// ---- gates --------------------------------------------------------------------------------------

gate::VoiceGate* Agent::voice_gate() { return voice_ptr_.load(std::memory_order_acquire); }
gate::LocationGate* Agent::location_gate() {
  return location_ptr_.load(std::memory_order_acquire);
}

// ---- vault --------------------------------------------------------------------------------------

StatusOr<int64_t> Agent::SetValue(std::string_view category, std::string_view field,
                                  std::string_view value, vault::ChangeSource source) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
  return vault_->Set(category, field, value, source);
}

StatusOr<int64_t> Agent::AddValue(std::string_view category, std::string_view field,
                                  std::string_view value, vault::ChangeSource source) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
  return vault_->Add(category, field, value, source);
}

Status Agent::CorrectValue(int64_t record_id, std::string_view value, vault::ChangeSource source) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
  return vault_->Correct(record_id, value, source);
}

StatusOr<vault::Record> Agent::GetValue(int64_t record_id) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(false));
  return vault_->Get(record_id);
}

StatusOr<std::vector<vault::Record>> Agent::ListValues(std::string_view category,
                                                       std::string_view field) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(false));
  return vault_->List(category, field);
}

Status Agent::ForEachValue(const std::function<Status(const vault::Record&)>& fn) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(false));
  return vault_->ForEachRecord(fn);
}

StatusOr<std::vector<vault::HistoryEntry>> Agent::ValueHistory(std::string_view category,
                                                               std::string_view field) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(false));
  return vault_->History(category, field);
}

// The outbox goes first: a failure or a crash after it leaves data on the device (the user
// erases again), never erased data queued to leave it. The vault's erasure listener then finds
// nothing more to delete.
StatusOr<vault::ErasureResult> Agent::Erase(std::string_view category) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
  if (std::atomic_load(&policy_)->FindCategory(category) != nullptr) {
    TACET_RETURN_IF_ERROR(outbox_->EraseCategories({std::string(category)}, false).status());
  }
  return vault_->Erase(category);
}

StatusOr<vault::ErasureResult> Agent::EraseAll() {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
  TACET_RETURN_IF_ERROR(outbox_->EraseCategories({}, true).status());
  TACET_ASSIGN_OR_RETURN(vault::ErasureResult erased, vault_->EraseAll());
  TACET_RETURN_IF_ERROR(ClearAccessLogLocked());
  return erased;
}

// The capture access log's part of "erase everything" (gate::EraseAccessLog: every row but those
// of captures still running, with its audit entry), then no copy of the rows left in the WAL.
Status Agent::ClearAccessLogLocked() {
  TACET_ASSIGN_OR_RETURN(gate::AccessLogPurge erased, gate::EraseAccessLog(*db_, *audit_));
  (void)erased;
  // As the vault's erasure does: no copy of the deleted rows stays in the WAL. A busy reader
  // only delays this (the rows are zeroed in the database file by secure_delete already).
  Status checkpoint = db_->Checkpoint(store::CheckpointMode::kTruncate);
  if (!checkpoint.ok() && checkpoint.code() != StatusCode::kUnavailable) return checkpoint;
  return OkStatus();
}

// ---- the user's rights --------------------------------------------------------------------------

StatusOr<vault::ExportSummary> Agent::Export(ByteSink& sink) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
  vault::ExportSources sources;
  sources.vault = vault_.get();
  sources.audit = audit_.get();
  sources.clock = platform_.clock;
  sources.ledger = ledger_.get();
  AccessLogExportSection access_log(*db_);
  sources.access_log = &access_log;
  DisclosuresExportSection disclosures(*outbox_);
  sources.disclosures = &disclosures;
  return vault::WriteExport(sources, *db_, sink);
}

StatusOr<report::ReportSummary> Agent::Report(ByteSink& sink) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
  report::ReportSources sources;
  sources.vault = vault_.get();
  sources.audit = audit_.get();
  sources.clock = platform_.clock;
  sources.ledger = ledger_.get();
  TACET_ASSIGN_OR_RETURN(std::vector<report::CaptureInterval> captures,
                         CaptureIntervals(*db_, 0, platform_.clock->NowUnixMillis()));
  sources.captures = &captures;
  std::vector<report::Disclosure> disclosures;
  TACET_RETURN_IF_ERROR(outbox_->ForEachSharingEntry([&disclosures](const outbox::SharingEntry& e) {
    // A withdrawn batch was sent and may have been stored: reported as a disclosure too.
    if ((e.acknowledged || e.outcome == "withdrawn") && e.kind == outbox::BatchKind::kEvents) {
      disclosures.push_back({e.answered_unix_ms, e.recipient, e.purpose, e.categories});
    }
    return OkStatus();
  }));
  sources.disclosures = &disclosures;
  return report::WritePrivacyReport(sources, *db_, sink);
}

// ---- verification and upkeep --------------------------------------------------------------------

Status Agent::VerifyAudit() {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(false));
  return audit_->Verify();
}

Status Agent::VerifyVault() {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(false));
  return vault_->Verify();
}

StatusOr<int64_t> Agent::AuditEntryCount() {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(false));
  return audit_->Count();
}

StatusOr<vault::SweepResult> Agent::SweepNow() {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
  return SweepLocked();
}

StatusOr<vault::SweepResult> Agent::SweepLocked() {
  const int64_t now = platform_.clock->NowUnixMillis();
  TACET_ASSIGN_OR_RETURN(vault::SweepResult swept, vault_->Sweep(now));
  // The capture access log has a retention period of its own (gate/access_log.h).
  TACET_ASSIGN_OR_RETURN(gate::AccessLogPurge purged, gate::PurgeExpiredAccessLog(*db_, *audit_, now));
  if (purged.rows > 0) {
    platform_.logger->Log(platform::LogLevel::kInfo,
                          "agent: retention sweep purged " + std::to_string(purged.rows) +
                              " expired capture access log rows");
  }
  if (outbox_ != nullptr) {
    // Recorded events waiting to leave keep to their categories' retention too.
    std::map<std::string, int64_t> retention_ms;
    for (const policy::Category& c : ledger_->snapshot().policy().model().categories) {
      if (c.retention_days > 0) {
        retention_ms[std::string(c.id)] = static_cast<int64_t>(c.retention_days) * 86'400'000;
      }
    }
    TACET_ASSIGN_OR_RETURN(int64_t expired, outbox_->ExpireEvents(retention_ms, now));
    if (expired > 0) {
      platform_.logger->Log(platform::LogLevel::kInfo,
                            "agent: retention sweep deleted " + std::to_string(expired) +
                                " recorded events past their categories' retention");
    }
  }
  if (swept.records + swept.history_entries > 0) {
    platform_.logger->Log(platform::LogLevel::kInfo,
                          "agent: retention sweep purged " + std::to_string(swept.records) +
                              " expired values and " + std::to_string(swept.history_entries) +
                              " expired past versions");
  }
  return swept;
}

const DeviceIdentity& Agent::identity() const { return identity_; }
bool Agent::read_only() const { return options_.read_only; }

namespace {

// The recorder's decision for one event under `s`. OK: it may be stored (*held: held, not
// queued). Otherwise the status to hand back; *reason names the refusal when the event counts as
// refused, and stays empty for an argument error (a bad key or value is not an event).
Status DecideRecord(const consent::ConsentSnapshot& s, const outbox::Event& event,
                    bool hold_if_undecided, bool* held, std::string* reason) {
  *held = false;
  reason->clear();
  const auto what = [&event] {
    return "record: refusing to store an event for purpose '" + event.purpose + "'";
  };
  const int purpose = s.PurposeIndex(event.purpose);
  if (purpose < 0) {
    *reason = "unknown_purpose";
    return NotFoundError(what() + ": the policy has no such purpose");
  }
  TACET_RETURN_IF_ERROR(outbox::CheckEventShape(event));
  const policy::Policy& policy = s.policy();
  const platform::LocationPrecision granted = s.location_precision();
  // The distinct categories, in the order met (an event carries a few): each looked up once.
  struct Seen {
    std::string_view id;
    const policy::Category* category;
  };
  std::vector<Seen> seen;
  seen.reserve(4);
  for (const outbox::EventField& f : event.fields) {
    const std::string_view key = f.key;
    const size_t dot = key.find('.');  // present: CheckEventShape
    const std::string_view category_id = key.substr(0, dot);
    const policy::Category* category = nullptr;
    for (const Seen& c : seen) {
      if (c.id == category_id) category = c.category;
    }
    if (category == nullptr) {
      category = policy.FindCategory(category_id);
      if (category != nullptr) seen.push_back({category_id, category});
    }
    const std::string_view field = key.substr(dot + 1);
    bool known = false;
    if (category != nullptr) {
      for (const policy::Field& pf : category->fields) {
        if (pf.id == field) {
          known = true;
          break;
        }
      }
    }
    if (!known) {
      *reason = "unknown_field";
      return NotFoundError(what() + ": the policy has no field '" + f.key + "'");
    }
    // The vault's rules for the field's values (a card number is never a payment token, an
    // e-mail address is one), and two the recorder adds: raw audio never leaves the device (voice
    // leaves as on-device intents), and a location needs the precision the user granted.
    const vault::FieldKind kind = vault::KindOfField(field);
    TACET_RETURN_IF_ERROR(vault::ValidateValue(category_id, field, kind, f.value));
    std::string refusal;
    if (kind == vault::FieldKind::kAudio) {
      *reason = "raw_audio";
      refusal = "raw audio is not recorded for sending; record the on-device intent instead";
    } else if (kind == vault::FieldKind::kPreciseLocation &&
               granted != platform::LocationPrecision::kPrecise) {
      *reason = "location_precision_not_granted";
      refusal = std::string("precise location is not granted (granted: ") +
                platform::LocationPrecisionName(granted) + ")";
    } else if (kind == vault::FieldKind::kApproximateLocation &&
               granted == platform::LocationPrecision::kNone) {
      *reason = "location_not_granted";
      refusal = "location is not granted";
    }
    if (!refusal.empty()) return PermissionDeniedError(what() + ": '" + f.key + "': " + refusal);
  }
  for (const Seen& c : seen) {
    const int category = s.CategoryIndex(c.id);
    const consent::CollectionDecision d = consent::DecideCollection(s, purpose, category);
    if (d.allowed()) continue;
    const bool not_asked = d.reason == consent::CollectionReason::kPurposeNotAsked ||
                           d.reason == consent::CollectionReason::kCategoryNotAsked ||
                           d.reason == consent::CollectionReason::kRequiredPurposeNotAsked;
    const bool refused = s.purpose(purpose) == consent::ConsentState::kDenied ||
                         s.category(category) == consent::ConsentState::kDenied;
    if (hold_if_undecided && not_asked && !refused) {
      *held = true;
      continue;
    }
    *reason = d.name();
    return PermissionDeniedError(what() + ": category '" + std::string(c.id) + "': " + d.text() +
                                 " (" + d.name() + ")");
  }
  return OkStatus();
}

}  // namespace

StatusOr<RecordResult> Agent::Record(const outbox::Event& event, bool hold_if_undecided) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
  // The storage lock also orders consent changes (SetPurpose & co. take it): the snapshot read
  // here is the latest committed one, and no revocation can commit between this decision and the
  // insert below. The device lock keeps other processes out of the folder.
  RecordResult result;
  std::string reason;
  const Status decided =
      DecideRecord(ledger_->snapshot(), event, hold_if_undecided, &result.held, &reason);
  if (!decided.ok()) {
    if (!reason.empty()) TACET_RETURN_IF_ERROR(outbox_->CountRefusal(reason));
    return decided;
  }
  TACET_ASSIGN_OR_RETURN(result.id, outbox_->Enqueue(event, result.held
                                                                ? outbox::EventState::kHeld
                                                                : outbox::EventState::kQueued));
  return result;
}

StatusOr<std::vector<RecordOutcome>> Agent::RecordBatch(const std::vector<outbox::Event>& events,
                                                        bool hold_if_undecided) {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
  const consent::ConsentSnapshot& s = ledger_->snapshot();
  std::vector<RecordOutcome> out(events.size());
  std::vector<outbox::EnqueueItem> items;
  std::vector<size_t> stored;  // index in `events` of each item
  std::vector<std::string> refusals;
  items.reserve(events.size());
  stored.reserve(events.size());
  std::string reason;
  for (size_t i = 0; i < events.size(); ++i) {
    out[i].status = DecideRecord(s, events[i], hold_if_undecided, &out[i].held, &reason);
    if (!out[i].status.ok()) {
      if (!reason.empty()) refusals.push_back(reason);
      continue;
    }
    items.push_back({&events[i], out[i].held ? outbox::EventState::kHeld
                                             : outbox::EventState::kQueued});
    stored.push_back(i);
  }
  // The refusals are counted first, in their own transaction: they stay counted even when the
  // store then fails (nothing of those events was going to be stored anyway).
  TACET_RETURN_IF_ERROR(outbox_->CountRefusals(refusals));
  TACET_ASSIGN_OR_RETURN(std::vector<int64_t> ids, outbox_->EnqueueMany(items));
  for (size_t k = 0; k < ids.size(); ++k) out[stored[k]].id = ids[k];
  return out;
}

StatusOr<outbox::OutboxCounts> Agent::RecordCounts() {
  std::lock_guard<std::mutex> lock(storage_mu_);
  TACET_RETURN_IF_ERROR(CheckUsableLocked(true));
  return outbox_->Counts();
}

}  // namespace tacet::agent
