#include "device_session.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

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
  if (agent == nullptr) return;
  const Status closed = agent->Close();
  if (!closed.ok()) std::fprintf(stderr, "tacetctl: warning: %s\n", closed.ToString().c_str());
  agent.reset();
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

  auto s = std::make_unique<DeviceSession>();
  s->db_path = db_path;
  s->keystore_dir = keystore_dir;

  agent::AgentOptions options;
  options.data_dir = ParentDir(db_path);
  options.database_path = db_path;
  options.key_store_dir = keystore_dir;
  if (!policy_path.empty()) {
    // --policy: an unsigned policy file, for tools only (AgentOptions::policy_override).
    auto policy = policy::Policy::LoadFile(policy_path);
    if (!policy.ok()) return fail(policy.status());
    options.policy_override = *std::move(policy);
  }
  options.create = access == Access::kWrite;
  options.read_only = access == Access::kRead && !FolderWritable(db_path);
  options.lock_timeout_ms = kLockTimeoutMs;
  if (!Exists(options.data_dir)) {
    // The agent would create its data_dir; tacetctl never creates the database's folder.
    return fail(NotFoundError("the folder of the database '" + db_path + "' does not exist"));
  }

  platform::Platform platform;
  platform.clock = &s->clock;
  platform.entropy = &s->entropy;
  platform.key_store = nullptr;  // the agent's own FileKeyStore at --keystore
  platform.permissions = &s->permissions;
  platform.scheduler = &s->scheduler;
  platform.logger = &s->logger;
  auto opened = agent::Agent::Open(options, platform);
  if (!opened.ok()) return fail(opened.status());
  s->agent = *std::move(opened);
  return s;
}

}  // namespace tacet::cli
