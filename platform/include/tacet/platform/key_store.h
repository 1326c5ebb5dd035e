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

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_KEY_STORE_H_
