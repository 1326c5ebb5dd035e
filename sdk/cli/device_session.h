// One way for every tacetctl command to open a device folder (database + key store): parse
// --db/--keystore/--policy and open a tacet::agent::Agent on them with the posix platform
// services. The Agent does the rest (agent.h): the pre-checks that create nothing, the device
// lock, the binding of database and key store, the generation counter, the modules and the
// retention sweep; tacetctl's commands call the Agent's methods.
//
// What a command may do decides how the folder is opened:
//   kWrite  exclusive device lock; the database is created when missing (a new device); the
//           generation counter advances at open and at close (device_binding.h); retention sweep.
//   kRead   never creates anything: a missing database or key store is an error. In a folder this
//           process can write it is opened like kWrite (an open may still reconcile the policy or
//           run the retention sweep), except that nothing is created; in a folder it cannot write,
//           the agent is opened read-only (shared lock, read-only database, nothing written
//           anywhere).
//
// Pre-checks that touch nothing (issue 8's careless-user cases, done by Agent::Open):
//   - an existing database with a key store directory that does not exist: error, no directory
//     is created (a typo in --keystore must not make new keys);
//   - a database path that does not exist with a key store that is bound to a database: error,
//     no database file is created (a typo in --db must not start a second device on the keys).
#ifndef TACET_CLI_DEVICE_SESSION_H_
#define TACET_CLI_DEVICE_SESSION_H_

#include <memory>
#include <string>

#include "agent/agent.h"
#include "command.h"
#include "posix/posix_clock.h"
#include "posix/posix_entropy.h"
#include "posix/posix_scheduler.h"
#include "posix/static_permissions.h"
#include "posix/stderr_logger.h"

namespace tacet::cli {

enum class Access { kRead, kWrite };

// The platform services the agent runs on, and the agent. Declared so that the agent is
// destroyed (closed) before the services it uses. The key store is the agent's own FileKeyStore
// at --keystore (AgentOptions::key_store_dir), opened under the device lock.
struct DeviceSession {
  ~DeviceSession();

  std::string db_path;
  std::string keystore_dir;
  platform::PosixClock clock;
  platform::PosixEntropy entropy;
  platform::PosixScheduler scheduler;
  platform::StaticPermissionProvider permissions;  // no capture from tacetctl
  platform::StderrLogger logger;
  std::unique_ptr<agent::Agent> agent;
};

// Takes --db, --keystore and --policy from `args` (unknown options are refused) and opens the
// device for `access`. On failure prints the reason and returns null with the exit code in
// `exit_code` (kExitUsage for a bad command line, kExitFailure otherwise).
std::unique_ptr<DeviceSession> OpenDeviceSession(const Command& command, Args& args,
                                                 Access access, int* exit_code);

}  // namespace tacet::cli

#endif  // TACET_CLI_DEVICE_SESSION_H_
