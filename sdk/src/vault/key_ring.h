// The vault's keys: one key-encryption key (KEK) and one data key per policy category.
//
//   KEK        32 random bytes, key store name "vault_kek".
//   data key   32 random bytes per category, kept in the key store only wrapped by the KEK:
//              "vault_dek_<category>" = nonce (12) || AES-256-GCM(KEK, nonce,
//              aad = "tacet-vault-dek-v1" || category, data key) (NIST SP 800-38D), 60 bytes.
//   integrity  HKDF-SHA-256(salt = empty, IKM = KEK, info = "tacet-vault-integrity-v1", 32): the
//              key of the vault's row digests and head MAC (vault.h), never stored.
//
// Creation. The KEK and every data key are created through GetOrCreateSecret (key_store.h): two
// processes that make the same key at once both end up using the one that reached the key store
// first. Every key read back is checked (CheckKeyMaterial): a key of the wrong length or of all
// zeros is kDataLoss, never used.
//
// Erasing a category destroys its wrapped data key (crypto-shredding): whatever copy of its
// ciphertext survives on flash can no longer be decrypted, while the other categories are
// untouched. Only the vault's journaled erasure calls Destroy (vault.h).
#ifndef TACET_VAULT_KEY_RING_H_
#define TACET_VAULT_KEY_RING_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "crypto/aead.h"
#include "crypto/drbg.h"
#include "crypto/secure.h"
#include "tacet/platform/key_store.h"

namespace tacet::vault {

inline constexpr char kVaultKekName[] = "vault_kek";
inline constexpr size_t kVaultKeySize = 32;

class KeyRing {
 public:
  // Reads the KEK from `keys`. When there is none: with `may_create_kek` one is made from `drbg`
  // (GetOrCreateSecret: a concurrent creator's KEK wins and is used); without, kDataLoss (the
  // caller holds data that only the missing KEK can open). kDataLoss for a KEK that is not 32
  // bytes or is all zeros. Keeps non-owning references to keys and drbg, which must outlive the
  // KeyRing.
  static StatusOr<std::unique_ptr<KeyRing>> Open(platform::KeyStore& keys, crypto::Drbg& drbg,
                                                 bool may_create_kek);
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  // "vault_dek_<category>". kInvalidArgument when that is not a valid key store name.
  static StatusOr<std::string> DataKeyName(std::string_view category);

  // The wrapped form of `data_key` (32 bytes) for `category` under `kek` (32 bytes) with an
  // explicit `nonce` (12 bytes): nonce || AES-256-GCM(kek, nonce, "tacet-vault-dek-v1" ||
  // category, data_key). The published format, exposed for the known-answer test; the ring itself
  // always draws the nonce from its Drbg.
  static StatusOr<Bytes> WrapDataKey(ByteView kek, std::string_view category, ByteView nonce,
                                     ByteView data_key);

  // The category's data key, ready to seal and open. When the key store has none: with `create`
  // a fresh key is made, wrapped and stored (GetOrCreateSecret: when another process stored one
  // first, that one is unwrapped and used); without, kNotFound. With `refresh` the key store is
  // read again even when the key is cached, so a key another process destroyed (or replaced) is
  // noticed: a write must never seal under a key that is no longer in the store. kDataLoss when
  // the wrapped key does not authenticate under the KEK, or unwraps to 32 zero bytes. The pointer
  // is owned by the KeyRing and valid until the next DataKey or Destroy call for the category or
  // the KeyRing's destruction.
  StatusOr<crypto::Aead*> DataKey(std::string_view category, bool create, bool refresh = false);

  // Deletes the category's wrapped data key from the key store and forgets the unwrapped copy.
  // OK when there was none.
  Status Destroy(std::string_view category);

  // The integrity key derived from the KEK (see the header comment). 32 bytes.
  const crypto::SecretBytes& integrity_key() const { return integrity_key_; }

  // Thread-safety: one thread at a time (the Vault serialises its callers).

 private:
  struct CachedKey {
    Bytes wrapped;  // as read from the key store (not secret: it is the KEK's ciphertext)
    crypto::Aead aead;
  };
  KeyRing(platform::KeyStore& keys, crypto::Drbg& drbg, crypto::Aead kek,
          crypto::SecretBytes integrity_key)
      : keys_(keys), drbg_(drbg), kek_(std::move(kek)), integrity_key_(std::move(integrity_key)) {}
  StatusOr<crypto::Aead> Unwrap(std::string_view category, ByteView wrapped);

  platform::KeyStore& keys_;
  crypto::Drbg& drbg_;
  crypto::Aead kek_;
  crypto::SecretBytes integrity_key_;
  std::map<std::string, CachedKey, std::less<>> data_keys_;
};

}  // namespace tacet::vault

#endif  // TACET_VAULT_KEY_RING_H_
