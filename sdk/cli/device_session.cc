#include "device_session.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "agent/device_schema.h"
#include "policy/policy.h"

namespace tacet::cli {
namespace {

constexpr int kLockTimeoutMs = 5000;

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::string ParentDir(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Whether this process may create and change files next to the database.
bool FolderWritable(const std::string& db_path) {
  if (::access(ParentDir(db_path).c_str(), W_OK) != 0) return false;
  return !Exists(db_path) || ::access(db_path.c_str(), W_OK) == 0;
}

}  // namespace

DeviceSession::~DeviceSession() {
  vault.reset();
  audit.reset();
  view.reset();
  ledger.reset();
  if (writable && bound && db != nullptr && keys != nullptr) {
    // The closing step of the generation counter: a copy of the database taken during this
    // session is older than what the key store will remember.
    const Status advanced = agent::AdvanceGeneration(*db, *keys);
    if (!advanced.ok()) {
      std::fprintf(stderr, "tacetctl: warning: %s\n", advanced.ToString().c_str());
    }
  }
}

std::unique_ptr<DeviceSession> OpenDeviceSession(const Command& command, Args& args,
                                                 Access access, int* exit_code) {
  std::string db_path, keystore_dir, policy_path;
  if (!args.TakeOption("--db", &db_path) || !args.TakeOption("--keystore", &keystore_dir) ||
      !args.TakeOption("--policy", &policy_path)) {
    *exit_code = kExitUsage;
    return nullptr;
  }
  if (db_path.empty() || keystore_dir.empty()) {
    *exit_code = UsageError(command, "--db FILE and --keystore DIR are required");
    return nullptr;
  }
  if (!args.NoUnknownOptions()) {
    *exit_code = kExitUsage;
    return nullptr;
  }
  auto fail = [&](const Status& status) {
    *exit_code = Fail(status);
    return nullptr;
  };
  auto policy = policy_path.empty() ? policy::Policy::LoadEmbedded()
                                    : policy::Policy::LoadFile(policy_path);
  if (!policy.ok()) return fail(policy.status());

  auto s = std::make_unique<DeviceSession>();
  s->db_path = db_path;
  s->keystore_dir = keystore_dir;
  s->writable = access == Access::kWrite || FolderWritable(db_path);
  const bool may_create = access == Access::kWrite;

  // Nothing is created before these checks pass.
  const Status regular = store::CheckDatabasePath(db_path);
  if (!regular.ok()) return fail(regular);
  if (!Exists(ParentDir(db_path))) {
    return fail(NotFoundError("the folder of the database '" + db_path + "' does not exist"));
  }
  const bool db_exists = Exists(db_path);
  if (!db_exists && !may_create) {
    return fail(NotFoundError("no device database at '" + db_path +
                              "' (this command reads; it never creates one)"));
  }
  if (db_exists && !Exists(keystore_dir)) {
    return fail(FailedPreconditionError(
        "the database '" + db_path + "' exists but its key store '" + keystore_dir +
        "' does not (a typo in --keystore?); refusing to create new keys for existing data"));
  }
  if (!Exists(keystore_dir) && !may_create) {
    return fail(NotFoundError("no key store at '" + keystore_dir + "'"));
  }

  auto lock = platform::DeviceLock::Acquire(
      platform::DeviceLock::LockPathFor(db_path),
      s->writable ? platform::LockMode::kExclusive : platform::LockMode::kShared, kLockTimeoutMs);
  if (!lock.ok()) return fail(lock.status());
  s->lock = *std::move(lock);

  auto drbg = crypto::Drbg::Create(s->entropy, "tacetctl device");
  if (!drbg.ok()) return fail(drbg.status());
  s->drbg = *std::move(drbg);
  auto keys = platform::FileKeyStore::Open(keystore_dir);
  if (!keys.ok()) return fail(keys.status());
  s->keys = *std::move(keys);

  if (!db_exists) {
    // A new database with a key store that already belongs to a device: refuse before the file
    // exists (a typo in --db must not start a second device on the real keys).
    auto bound = agent::ReadKeyStoreBinding(*s->keys);
    if (bound.ok()) {
      return fail(FailedPreconditionError(
          "the key store '" + keystore_dir + "' belongs to database " +
          agent::ShortId(bound->database_id) + ", and '" + db_path +
          "' does not exist (a typo in --db?); refusing to create a new database with it"));
    }
    if (bound.status().code() != StatusCode::kNotFound) return fail(bound.status());
  }

  store::OpenOptions options;
  options.schema = &agent::DeviceSchema();
  options.read_only = !s->writable;
  options.create_if_missing = may_create;
  options.busy_timeout_ms = kLockTimeoutMs;
  auto db = store::Database::Open(db_path, options);
  if (!db.ok()) return fail(db.status());
  s->db = *std::move(db);

  auto identity = agent::BindDevice(*s->db, *s->keys, *s->drbg, s->clock, s->writable);
  if (!identity.ok()) return fail(identity.status());
  s->identity = *identity;
  s->bound = true;
  if (s->writable) {
    const Status advanced = agent::AdvanceGeneration(*s->db, *s->keys);
    if (!advanced.ok()) return fail(advanced);
  }

  auto ledger = consent::ConsentLedger::Open(*s->db, *policy, s->clock, *s->keys, *s->drbg);
  if (!ledger.ok()) return fail(ledger.status());
  s->ledger = *std::move(ledger);
  s->view = std::make_unique<vault::LedgerConsentView>(*s->ledger);
  auto audit = audit::AuditLog::Open(*s->db, s->clock, *s->keys, *s->drbg);
  if (!audit.ok()) return fail(audit.status());
  s->audit = *std::move(audit);
  vault::VaultDeps deps;
  deps.db = s->db.get();
  deps.policy = *policy;
  deps.consent = s->view.get();
  deps.keys = s->keys.get();
  deps.clock = &s->clock;
  deps.drbg = s->drbg.get();
  deps.audit = s->audit.get();
  auto opened = vault::Vault::Open(deps);
  if (!opened.ok()) return fail(opened.status());
  s->vault = *std::move(opened);
  if (s->writable) {
    // What the agent's sweeper does at start-up: nothing past its retention is shown or exported.
    auto swept = s->vault->Sweep(s->clock.NowUnixMillis());
    if (!swept.ok()) return fail(swept.status());
    if (swept->records + swept->history_entries > 0) {
      std::fprintf(stderr, "tacetctl: purged %lld expired values and %lld expired past versions\n",
                   static_cast<long long>(swept->records),
                   static_cast<long long>(swept->history_entries));
    }
  }
  return s;
}

}  // namespace tacet::cli
