// The vault's keys: one key-encryption key (KEK) and one data key per policy category.
//
//   KEK        32 random bytes, key store name "vault_kek".
//   data key   32 random bytes per category, kept in the key store only wrapped by the KEK:
//              "vault_dek_<category>" = nonce (12) || AES-256-GCM(KEK, nonce,
//              aad = "tacet-vault-dek-v1" || category, data key) (NIST SP 800-38D), 60 bytes.
//
// Erasing a category destroys its wrapped data key (crypto-shredding): whatever copy of its
// ciphertext survives on flash can no longer be decrypted, while the other categories are
// untouched.
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

class KeyRing {
 public:
  // Reads the KEK from `keys`, creating it (from `drbg`) when absent. Keeps non-owning
  // references to keys and drbg, which must outlive the KeyRing. kDataLoss for a KEK of the
  // wrong size.
  static StatusOr<std::unique_ptr<KeyRing>> Open(platform::KeyStore& keys, crypto::Drbg& drbg);
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  // "vault_dek_<category>". kInvalidArgument when that is not a valid key store name.
  static StatusOr<std::string> DataKeyName(std::string_view category);

  // The category's data key, ready to seal and open. When the key store has none: with `create`
  // a fresh key is made, wrapped and stored; without, kNotFound. kDataLoss when the wrapped key
  // does not authenticate under the KEK. The pointer is owned by the KeyRing and valid until
  // Destroy(category) or the KeyRing's destruction.
  StatusOr<crypto::Aead*> DataKey(std::string_view category, bool create);

  // Deletes the category's wrapped data key from the key store and forgets the unwrapped copy.
  // OK when there was none.
  Status Destroy(std::string_view category);

  // Thread-safety: one thread at a time (the Vault serialises its callers).

 private:
  KeyRing(platform::KeyStore& keys, crypto::Drbg& drbg, crypto::Aead kek)
      : keys_(keys), drbg_(drbg), kek_(std::move(kek)) {}

  platform::KeyStore& keys_;
  crypto::Drbg& drbg_;
  crypto::Aead kek_;
  std::map<std::string, crypto::Aead, std::less<>> data_keys_;
};

}  // namespace tacet::vault

#endif  // TACET_VAULT_KEY_RING_H_
