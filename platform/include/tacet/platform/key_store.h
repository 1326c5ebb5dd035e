// Key store: where the platform keeps Tacet's small named secrets (wrapping keys, data keys).
//
// Destroying a key is how Tacet crypto-shreds data: once the key that wraps a vault record is
// deleted, the ciphertext left behind on flash is noise. A KeyStore is therefore as much about
// forgetting as about remembering.
#ifndef TACET_PLATFORM_KEY_STORE_H_
#define TACET_PLATFORM_KEY_STORE_H_

#include <cstddef>
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

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_KEY_STORE_H_
