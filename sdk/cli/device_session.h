// One way for every tacetctl command to open a device folder (database + key store): parse
// --db/--keystore/--policy, take the device lock, refuse a database and key store that do not
// belong together before creating anything, open the modules, and close in the right order.
//
// What a command may do decides how the folder is opened:
//   kWrite  exclusive device lock; the database is created when missing (a new device); the
//           generation counter advances at open and at close (device_binding.h); retention sweep.
//   kRead   never creates anything: a missing database or key store is an error. In a folder this
//           process can write it is opened like kWrite (an open may still reconcile the policy or
//           run the retention sweep), except that nothing is created; in a folder it cannot write,
//           the database is opened read-only under a shared lock and nothing is written anywhere.
//
// Pre-checks that touch nothing (issue 8's careless-user cases):
//   - an existing database with a key store directory that does not exist: error, no directory
//     is created (a typo in --keystore must not make new keys);
//   - a database path that does not exist with a key store that is bound to a database: error,
//     no database file is created (a typo in --db must not start a second device on the keys).
#ifndef TACET_CLI_DEVICE_SESSION_H_
#define TACET_CLI_DEVICE_SESSION_H_

#include <memory>
#include <string>

#include "agent/device_binding.h"
#include "audit/audit_log.h"
#include "command.h"
#include "consent/consent_ledger.h"
#include "crypto/drbg.h"
#include "posix/device_lock.h"
#include "posix/file_key_store.h"
#include "posix/posix_clock.h"
#include "posix/posix_entropy.h"
#include "store/database.h"
#include "vault/consent_view.h"
#include "vault/vault.h"

namespace tacet::cli {

enum class Access { kRead, kWrite };

// Everything a command works on, declared so that destruction runs in reverse dependency order.
struct DeviceSession {
  ~DeviceSession();

  std::string db_path;
  std::string keystore_dir;
  bool writable = false;  // false: read-only database under a shared lock
  platform::PosixClock clock;
  platform::PosixEntropy entropy;
  std::unique_ptr<crypto::Drbg> drbg;
  std::unique_ptr<platform::DeviceLock> lock;
  std::unique_ptr<platform::FileKeyStore> keys;
  std::unique_ptr<store::Database> db;
  agent::DeviceIdentity identity;
  bool bound = false;
  std::unique_ptr<consent::ConsentLedger> ledger;
  std::unique_ptr<vault::LedgerConsentView> view;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<vault::Vault> vault;
};

// Takes --db, --keystore and --policy from `args` (unknown options are refused) and opens the
// device for `access`. On failure prints the reason and returns null with the exit code in
// `exit_code` (kExitUsage for a bad command line, kExitFailure otherwise).
std::unique_ptr<DeviceSession> OpenDeviceSession(const Command& command, Args& args,
                                                 Access access, int* exit_code);

}  // namespace tacet::cli

#endif  // TACET_CLI_DEVICE_SESSION_H_
