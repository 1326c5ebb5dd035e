#include "agent/device_binding.h"

#include <algorithm>
#include <utility>

#include "audit/audit_log.h"
#include "base/bytes.h"
#include "store/transaction.h"

namespace tacet::agent {
namespace {

// Keys the modules create in a device's key store; finding one means the store is in use.
constexpr const char* kModuleKeyNames[] = {"vault_kek", "audit_head_mac", "consent_head_mac"};

StatusOr<int64_t> QueryInt(store::Database& db, const char* sql) {
  TACET_ASSIGN_OR_RETURN(auto q, db.Prepare(sql));
  TACET_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.ColumnInt64(0) : 0;
}

// Rows of personal data or of its history, in any module.
StatusOr<int64_t> DataRows(store::Database& db) {
  return QueryInt(db,
                  "SELECT (SELECT count(*) FROM consent_history) + (SELECT count(*) FROM "
                  "audit_entries) + (SELECT count(*) FROM vault_records) + (SELECT count(*) FROM "
                  "vault_history) + (SELECT count(*) FROM gate_access_log)");
}

bool ToId(const Bytes& bytes, DeviceId* id) {
  if (bytes.size() != id->size()) return false;
  std::copy(bytes.begin(), bytes.end(), id->begin());
  return true;
}

// The database's row, if any.
StatusOr<std::pair<bool, DeviceIdentity>> ReadDatabaseIdentity(store::Database& db) {
  TACET_ASSIGN_OR_RETURN(auto q, db.Prepare("SELECT database_id, keystore_id, generation FROM "
                                            "device_identity WHERE id = 1"));
  TACET_ASSIGN_OR_RETURN(bool row, q.Step());
  DeviceIdentity identity;
  if (!row) return std::make_pair(false, identity);
  if (!ToId(q.ColumnBlob(0), &identity.database_id) ||
      !ToId(q.ColumnBlob(1), &identity.keystore_id) || q.ColumnInt64(2) < 0) {
    return DataLossError("device: the database's identity row is malformed");
  }
  identity.generation = static_cast<uint64_t>(q.ColumnInt64(2));
  return std::make_pair(true, identity);
}

Status WriteDatabaseIdentity(store::Database& db, const DeviceIdentity& identity) {
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(db, store::Durability::kCritical));
  TACET_ASSIGN_OR_RETURN(auto insert, db.Prepare("INSERT INTO device_identity (id, database_id, "
                                                 "keystore_id, generation) VALUES (1, ?1, ?2, ?3)"));
  TACET_RETURN_IF_ERROR(insert.BindBlob(1, identity.database_id));
  TACET_RETURN_IF_ERROR(insert.BindBlob(2, identity.keystore_id));
  TACET_RETURN_IF_ERROR(insert.Bind(3, static_cast<int64_t>(identity.generation)));
  TACET_RETURN_IF_ERROR(insert.Step().status());
  return txn.Commit();
}

Status WriteKeyStoreBinding(platform::KeyStore& keys, const DeviceIdentity& identity) {
  Bytes binding;
  Append(binding, identity.database_id);
  Append(binding, identity.keystore_id);
  Status put = keys.Put(kDeviceBindingKeyName, binding);
  if (put.code() == StatusCode::kAlreadyExists) {
    // Another writer bound the store meanwhile (the device lock should prevent it): it must have
    // bound it to the same pair, or the pair does not belong together.
    TACET_ASSIGN_OR_RETURN(DeviceIdentity stored, ReadKeyStoreBinding(keys));
    if (stored.database_id == identity.database_id && stored.keystore_id == identity.keystore_id) {
      return OkStatus();
    }
    return FailedPreconditionError("device: the key store was bound to database " +
                                   ShortId(stored.database_id) + " while binding it to " +
                                   ShortId(identity.database_id));
  }
  return put;
}

std::string Mismatch(const DeviceIdentity& db_side, const DeviceIdentity& keys_side) {
  return "device: the database (id " + ShortId(db_side.database_id) + ", bound to key store " +
         ShortId(db_side.keystore_id) + ") and the key store (id " +
         ShortId(keys_side.keystore_id) + ", bound to database " +
         ShortId(keys_side.database_id) +
         ") do not belong together; nothing was changed (check --db and --keystore)";
}

// A database from before binding existed, with data: its key store must prove to be its own.
Status ProveLegacyKeyStore(store::Database& db, platform::KeyStore& keys, crypto::Drbg& drbg,
                           platform::Clock& clock) {
  TACET_ASSIGN_OR_RETURN(int64_t audit_entries, QueryInt(db, "SELECT count(*) FROM audit_entries"));
  TACET_ASSIGN_OR_RETURN(int64_t vault_records, QueryInt(db, "SELECT count(*) FROM vault_records"));
  if (audit_entries > 0) {
    // The audit anchor is an HMAC under the store's audit key: only the right store verifies it.
    auto audit = audit::AuditLog::Open(db, clock, keys, drbg);
    Status proof = audit.ok() ? (*audit)->Verify() : audit.status();
    if (!proof.ok()) {
      return FailedPreconditionError(
          "device: the database holds data but the key store does not prove to be its own (its "
          "audit anchor does not verify: " + proof.message() + "); nothing was changed");
    }
    return OkStatus();
  }
  if (vault_records > 0) {
    StatusOr<Bytes> kek = keys.Get("vault_kek");
    if (!kek.ok()) {
      return FailedPreconditionError(
          "device: the database holds vault records but the key store has no key-encryption "
          "key; it is not this database's key store; nothing was changed");
    }
    for (uint8_t& b : *kek) *static_cast<volatile uint8_t*>(&b) = 0;
  }
  return OkStatus();
}

}  // namespace

std::vector<store::Migration> DeviceMigrations() {
  return {
      {1, "device: identity binding the database to its key store, and its generation",
       "CREATE TABLE device_identity ("
       "  id INTEGER PRIMARY KEY CHECK (id = 1),"
       "  database_id BLOB NOT NULL CHECK (length(database_id) = 16),"
       "  keystore_id BLOB NOT NULL CHECK (length(keystore_id) = 16),"
       "  generation INTEGER NOT NULL CHECK (generation >= 0)"
       ") STRICT;"},
  };
}

std::string ShortId(const DeviceId& id) { return HexEncode(ByteView(id.data(), 8)); }

StatusOr<DeviceIdentity> ReadKeyStoreBinding(platform::KeyStore& keys) {
  StatusOr<Bytes> raw = keys.Get(kDeviceBindingKeyName);
  if (!raw.ok()) return raw.status();
  DeviceIdentity identity;
  if (raw->size() != 32) {
    return DataLossError("device: the key store's binding has " + std::to_string(raw->size()) +
                         " bytes, expected 32");
  }
  std::copy(raw->begin(), raw->begin() + 16, identity.database_id.begin());
  std::copy(raw->begin() + 16, raw->end(), identity.keystore_id.begin());
  return identity;
}

StatusOr<bool> KeyStoreHoldsDeviceKeys(platform::KeyStore& keys) {
  for (const char* name : kModuleKeyNames) {
    StatusOr<Bytes> key = keys.Get(name);
    if (key.ok()) {
      for (uint8_t& b : *key) *static_cast<volatile uint8_t*>(&b) = 0;
      return true;
    }
    if (key.status().code() != StatusCode::kNotFound) return key.status();
  }
  return false;
}

StatusOr<DeviceIdentity> BindDevice(store::Database& db, platform::KeyStore& keys,
                                    crypto::Drbg& drbg, platform::Clock& clock, bool writable) {
  TACET_ASSIGN_OR_RETURN(auto db_side, ReadDatabaseIdentity(db));
  StatusOr<DeviceIdentity> keys_side = ReadKeyStoreBinding(keys);
  if (!keys_side.ok() && keys_side.status().code() != StatusCode::kNotFound) {
    return keys_side.status();
  }
  const bool db_bound = db_side.first;
  const bool keys_bound = keys_side.ok();
  DeviceIdentity identity = db_side.second;

  if (db_bound && keys_bound) {
    if (keys_side->database_id != identity.database_id ||
        keys_side->keystore_id != identity.keystore_id) {
      return FailedPreconditionError(Mismatch(identity, *keys_side));
    }
  } else if (db_bound) {
    // The database names a key store; this one has no binding. Finishing a binding that a crash
    // interrupted is safe only while neither half holds anything.
    TACET_ASSIGN_OR_RETURN(int64_t rows, DataRows(db));
    TACET_ASSIGN_OR_RETURN(bool used, KeyStoreHoldsDeviceKeys(keys));
    if (rows > 0 || used || !writable) {
      return FailedPreconditionError(
          "device: the database (id " + ShortId(identity.database_id) + ") belongs to key store " +
          ShortId(identity.keystore_id) + ", but this key store " +
          (used ? "is another one (it holds keys but no binding)"
                : "is empty (a typo in the key store path, or a lost key store?)") +
          "; refusing to create keys; nothing was changed");
    }
    TACET_RETURN_IF_ERROR(WriteKeyStoreBinding(keys, identity));
  } else if (keys_bound) {
    return FailedPreconditionError(
        "device: the key store belongs to database " + ShortId(keys_side->database_id) +
        ", not to this one (which has no identity yet: a new or mistyped database path?); "
        "nothing was changed");
  } else {
    // Neither is bound: a new device, or a database from before binding existed.
    TACET_ASSIGN_OR_RETURN(int64_t rows, DataRows(db));
    TACET_ASSIGN_OR_RETURN(bool used, KeyStoreHoldsDeviceKeys(keys));
    if (rows == 0 && used) {
      return FailedPreconditionError(
          "device: the database is new but the key store already holds another device's keys; "
          "a new database needs a new key store; nothing was changed");
    }
    if (rows > 0) TACET_RETURN_IF_ERROR(ProveLegacyKeyStore(db, keys, drbg, clock));
    if (!writable) {
      return FailedPreconditionError(
          "device: the database and key store are not bound yet and this open may not write; "
          "open the device for writing once");
    }
    TACET_RETURN_IF_ERROR(drbg.Generate(identity.database_id.data(), identity.database_id.size()));
    TACET_RETURN_IF_ERROR(drbg.Generate(identity.keystore_id.data(), identity.keystore_id.size()));
    TACET_ASSIGN_OR_RETURN(identity.generation, platform::ReadCounter(keys, kDeviceGenerationCounterName));
    // Database first: if the key store step is lost to a crash, the next open finishes it (above).
    TACET_RETURN_IF_ERROR(WriteDatabaseIdentity(db, identity));
    TACET_RETURN_IF_ERROR(WriteKeyStoreBinding(keys, identity));
  }

  TACET_ASSIGN_OR_RETURN(uint64_t counted,
                         platform::ReadCounter(keys, kDeviceGenerationCounterName));
  if (identity.generation < counted) {
    return DataLossError("device: the database is older than its key store (generation " +
                         std::to_string(identity.generation) + ", the key store has seen " +
                         std::to_string(counted) +
                         "): it was replaced by an earlier copy of itself; nothing was changed");
  }
  if (identity.generation > counted + 1) {
    return DataLossError("device: the key store is older than the database (generation " +
                         std::to_string(counted) + " against the database's " +
                         std::to_string(identity.generation) +
                         "): it was restored from an earlier copy; nothing was changed");
  }
  if (identity.generation == counted + 1 && writable) {
    // A crash between the database's and the key store's step of AdvanceGeneration.
    TACET_RETURN_IF_ERROR(
        platform::AdvanceCounter(keys, kDeviceGenerationCounterName, identity.generation));
  }
  return identity;
}

Status AdvanceGeneration(store::Database& db, platform::KeyStore& keys) {
  uint64_t next = 0;
  {
    TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(db, store::Durability::kCritical));
    TACET_ASSIGN_OR_RETURN(auto bump, db.Prepare("UPDATE device_identity SET generation = "
                                                 "generation + 1 WHERE id = 1 RETURNING generation"));
    TACET_ASSIGN_OR_RETURN(bool row, bump.Step());
    if (!row) return FailedPreconditionError("device: the database is not bound to a key store");
    next = static_cast<uint64_t>(bump.ColumnInt64(0));
    TACET_RETURN_IF_ERROR(bump.Reset());
    TACET_RETURN_IF_ERROR(txn.Commit());
  }
  return platform::AdvanceCounter(keys, kDeviceGenerationCounterName, next);
}

}  // namespace tacet::agent
