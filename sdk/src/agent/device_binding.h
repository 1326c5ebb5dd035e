// tacet::agent device binding: a database and a key store that belong together, and a generation
// counter that notices a database replaced by an older copy of itself.
//
// A device's personal data is split across two places: the SQLite database holds ciphertext, the
// key store holds the keys. Mixing one device's database with another's key store (a typo in a
// path, a restored backup of only one half) must never make Tacet create keys over, or destroy
// keys of, the other half. So each records the other's identity:
//
//   database   device_identity(database_id 16 bytes, keystore_id 16 bytes, generation)
//   key store  "device_binding" = database_id || keystore_id (32 bytes)
//
// and every open compares them before any module touches a key. A mismatch is an error that
// names both sides and changes nothing. Binding happens once, when a device is new; a database
// from before binding existed is adopted only when its key store proves to be its own (its audit
// anchor authenticates under the store's audit key, or it holds the vault's key-encryption key
// for a vault that has records).
//
// Generation. A monotonic counter kept in both places (the database's row and a key-store counter,
// ReadCounter/AdvanceCounter in tacet/platform/key_store.h). A writer advances it when it opens
// the device and again when it closes it, database first, key store second; at every open the two
// must agree (the database may be one ahead after a crash between the two steps, which is
// repaired). A database file replaced by a copy taken before the last completed session has a
// lower generation than its key store and is refused with kDataLoss. What it cannot see: a copy
// taken during the current session and put back before that session closed (the counters only
// move at open and close), and a rollback of the key store together with the database.
#ifndef TACET_AGENT_DEVICE_BINDING_H_
#define TACET_AGENT_DEVICE_BINDING_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "crypto/drbg.h"
#include "store/database.h"
#include "store/schema.h"
#include "tacet/platform/clock.h"
#include "tacet/platform/key_store.h"

namespace tacet::agent {

// Key-store names used here.
inline constexpr char kDeviceBindingKeyName[] = "device_binding";
inline constexpr char kDeviceGenerationCounterName[] = "device_generation";

// The device_identity table, versions numbered from 1 within the module.
std::vector<store::Migration> DeviceMigrations();

using DeviceId = std::array<uint8_t, 16>;

struct DeviceIdentity {
  DeviceId database_id{};
  DeviceId keystore_id{};
  uint64_t generation = 0;  // the database's generation after Bind
};

// "3f2a9c1e…", the first 8 bytes in hex: enough to tell two devices apart in a message.
std::string ShortId(const DeviceId& id);

// The key store's binding, if it has one: kNotFound when it has none; kDataLoss when malformed.
StatusOr<DeviceIdentity> ReadKeyStoreBinding(platform::KeyStore& keys);

// True when the key store holds any of the keys a device's modules create (vault, audit,
// consent), i.e. it is not a fresh store.
StatusOr<bool> KeyStoreHoldsDeviceKeys(platform::KeyStore& keys);

// Checks that `db` (opened with the device schema) and `keys` belong together, binding them when
// the device is new, adopting a database from before binding when its key store proves to be its
// own, and finishing a binding a crash interrupted. With `writable` false nothing is written
// anywhere: an unbound pair is refused rather than bound.
// Then checks the generation counter. Errors: kFailedPrecondition naming both identities (or the
// empty key store) for a pair that does not belong together; kDataLoss for a generation
// rollback; store and key-store errors as they come. On error nothing was changed.
// Thread-safety: call with the device lock held; one thread.
StatusOr<DeviceIdentity> BindDevice(store::Database& db, platform::KeyStore& keys,
                                    crypto::Drbg& drbg, platform::Clock& clock, bool writable);

// Advances the generation (database first, critical transaction; then the key store). Call after
// BindDevice when opening for writing, and once more when closing. Errors as they come; after a
// failure between the two steps, the next BindDevice repairs the key store.
Status AdvanceGeneration(store::Database& db, platform::KeyStore& keys);

}  // namespace tacet::agent

#endif  // TACET_AGENT_DEVICE_BINDING_H_
