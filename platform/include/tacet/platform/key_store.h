// Key store: where the platform keeps Tacet's small named secrets (wrapping keys, data keys).
//
// Destroying a key is how Tacet crypto-shreds data: once the key that wraps a vault record is
// deleted, the ciphertext left behind on flash is noise. A KeyStore is therefore as much about
// forgetting as about remembering.
#ifndef TACET_PLATFORM_KEY_STORE_H_
#define TACET_PLATFORM_KEY_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace tacet::platform {

// Upper bound on a secret's size: key stores hold keys, not data.
inline constexpr size_t kMaxSecretSize = 4096;
// Upper bound on a secret's name.
inline constexpr size_t kMaxKeyNameLength = 64;

// Implementations must be safe to call from any thread; calls may block on storage I/O, so the
// core never calls a KeyStore from an audio callback.
class KeyStore {
 public:
  virtual ~KeyStore() = default;

  // Stores a copy of `secret` (1..kMaxSecretSize bytes) under `name` (see ValidateKeyName); the
  // caller keeps ownership of its buffer and should zeroise it afterwards. A secret is never
  // silently replaced: an existing name is kAlreadyExists (rotate by Put under a new name, then
  // Delete the old one). On success the secret is durable: it survives a crash or power loss.
  virtual Status Put(std::string_view name, ByteView secret) = 0;

  // Returns a copy of the secret, or kNotFound. The caller owns the returned buffer and must
  // zeroise it (mbedtls_platform_zeroize) once done with it.
  virtual StatusOr<Bytes> Get(std::string_view name) = 0;

  // Destroys the secret, or returns kNotFound. The implementation must make the secret
  // unrecoverable to the extent the medium allows (overwrite before unlink, erase from a
  // hardware keystore, ...), and must document what that extent is. After Delete returns OK, Get
  // returns kNotFound, also after a crash.
  virtual Status Delete(std::string_view name) = 0;
};

// Names are 1..kMaxKeyNameLength characters from [a-z0-9_-]: safe as a file name, a keychain
// label or an Android keystore alias on every platform, and never "." or "..".
inline Status ValidateKeyName(std::string_view name) {
  if (name.empty() || name.size() > kMaxKeyNameLength) {
    return InvalidArgumentError("key store: a key name must have 1 to " +
                                std::to_string(kMaxKeyNameLength) + " characters, not " +
                                std::to_string(name.size()));
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) {
      return InvalidArgumentError("key store: key name '" + std::string(name) +
                                  "' has a character outside [a-z0-9_-]");
    }
  }
  return OkStatus();
}

// The checks every KeyStore::Put makes on its arguments before touching storage.
inline Status ValidatePut(std::string_view name, ByteView secret) {
  TACET_RETURN_IF_ERROR(ValidateKeyName(name));
  if (secret.empty() || secret.size() > kMaxSecretSize) {
    return InvalidArgumentError("key store: secret '" + std::string(name) + "' has " +
                                std::to_string(secret.size()) + " bytes; expected 1 to " +
                                std::to_string(kMaxSecretSize));
  }
  return OkStatus();
}


// Refuses key material that must never be used: a secret of the wrong length, or one whose bytes
// are all zero (what a wiped or truncated-then-extended file reads as). kDataLoss naming `what`.
// Constant time in the contents (no early exit on the first non-zero byte).
inline Status CheckKeyMaterial(std::string_view what, ByteView key, size_t expected_size) {
  if (key.size() != expected_size) {
    return DataLossError("key store: " + std::string(what) + " has " + std::to_string(key.size()) +
                         " bytes, expected " + std::to_string(expected_size));
  }
  uint8_t any = 0;
  for (uint8_t b : key) any = static_cast<uint8_t>(any | b);
  if (any == 0) {
    return DataLossError("key store: " + std::string(what) +
                         " is all zeros (wiped or corrupt); refusing to use it");
  }
  return OkStatus();
}

// Reads the secret `name`; when there is none, stores the secret that `make` returns and returns
// it. Idempotent across threads and processes: if another writer stores `name` first (Put answers
// kAlreadyExists), that writer's secret is read back and returned, so every caller ends up using
// the one secret that is in the store. `make` is called at most once; whatever it returned is
// zeroised when it is not the secret returned. The caller owns (and zeroises) the result.
// Errors: the store's, except kNotFound and the lost race; kDataLoss if the secret vanished
// between a lost race and the read back.
inline StatusOr<Bytes> GetOrCreateSecret(KeyStore& keys, std::string_view name,
                                         const std::function<StatusOr<Bytes>()>& make) {
  StatusOr<Bytes> stored = keys.Get(name);
  if (stored.ok() || stored.status().code() != StatusCode::kNotFound) return stored;
  StatusOr<Bytes> fresh = make();
  if (!fresh.ok()) return fresh.status();
  Status put = keys.Put(name, *fresh);
  if (put.ok()) return fresh;
  for (uint8_t& b : *fresh) *static_cast<volatile uint8_t*>(&b) = 0;
  if (put.code() != StatusCode::kAlreadyExists) return put;
  StatusOr<Bytes> winner = keys.Get(name);
  if (!winner.ok() && winner.status().code() == StatusCode::kNotFound) {
    return DataLossError("key store: secret '" + std::string(name) +
                         "' was created by another writer and then vanished");
  }
  return winner;
}

// A monotonic counter kept in a key store, for state an attacker who can replace the app's files
// (but not the key store) must not roll back: the highest policy version accepted, the device
// database's generation. A key store never replaces a secret in place, so the counter lives in two
// slots, "<name>_a" and "<name>_b" (8 bytes each, big-endian); its value is the larger of the two.
// AdvanceCounter rewrites the slot holding the smaller value, so a crash at any point leaves the
// counter at either its old or its new value, never lower. `name` + "_a" must be a valid key name.
//
// The counter's value: 0 when neither slot exists. kDataLoss for a slot that is not 8 bytes.
inline StatusOr<uint64_t> ReadCounter(KeyStore& keys, std::string_view name) {
  uint64_t best = 0;
  for (const char* suffix : {"_a", "_b"}) {
    const std::string slot = std::string(name) + suffix;
    StatusOr<Bytes> raw = keys.Get(slot);
    if (!raw.ok()) {
      if (raw.status().code() == StatusCode::kNotFound) continue;
      return raw.status();
    }
    if (raw->size() != 8) {
      return DataLossError("key store: counter slot '" + slot + "' has " +
                           std::to_string(raw->size()) + " bytes, expected 8");
    }
    uint64_t v = 0;
    for (uint8_t b : *raw) v = (v << 8) | b;
    if (v > best) best = v;
  }
  return best;
}

// Raises the counter to `value`. OK and nothing written when it is already at least `value`
// (a counter never goes down). Errors: the store's.
inline Status AdvanceCounter(KeyStore& keys, std::string_view name, uint64_t value) {
  uint64_t slot_value[2] = {0, 0};
  bool present[2] = {false, false};
  const std::string slots[2] = {std::string(name) + "_a", std::string(name) + "_b"};
  for (int i = 0; i < 2; ++i) {
    StatusOr<Bytes> raw = keys.Get(slots[i]);
    if (!raw.ok()) {
      if (raw.status().code() == StatusCode::kNotFound) continue;
      return raw.status();
    }
    if (raw->size() != 8) {
      return DataLossError("key store: counter slot '" + slots[i] + "' has " +
                           std::to_string(raw->size()) + " bytes, expected 8");
    }
    present[i] = true;
    for (uint8_t b : *raw) slot_value[i] = (slot_value[i] << 8) | b;
  }
  const uint64_t current = slot_value[0] > slot_value[1] ? slot_value[0] : slot_value[1];
  if (current >= value) return OkStatus();
  // Overwrite the slot that does not hold the current value; the other keeps it meanwhile.
  const int victim = (!present[0] || (present[1] && slot_value[0] <= slot_value[1])) ? 0 : 1;
  if (present[victim]) {
    Status deleted = keys.Delete(slots[victim]);
    if (!deleted.ok() && deleted.code() != StatusCode::kNotFound) return deleted;
  }
  uint8_t encoded[8];
  for (int i = 7; i >= 0; --i, value >>= 8) encoded[i] = static_cast<uint8_t>(value & 0xff);
  return keys.Put(slots[victim], ByteView(encoded, sizeof encoded));
}

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_KEY_STORE_H_
