#include "vault/key_ring.h"

#include <utility>

#include "base/bytes.h"
#include "crypto/hkdf.h"

namespace tacet::vault {
namespace {

constexpr size_t kWrappedSize = crypto::kAeadNonceSize + kVaultKeySize + crypto::kAeadTagSize;
constexpr char kWrapLabel[] = "tacet-vault-dek-v1";
constexpr char kIntegrityInfo[] = "tacet-vault-integrity-v1";

Bytes WrapAad(std::string_view category) {
  Bytes aad;
  Append(aad, ByteView::FromString(kWrapLabel));
  Append(aad, ByteView::FromString(category));
  return aad;
}

// nonce || Seal(kek, nonce, aad(category), key).
StatusOr<Bytes> WrapWith(crypto::Aead& kek, std::string_view category, ByteView nonce,
                         ByteView key) {
  if (nonce.size() != crypto::kAeadNonceSize) {
    return InvalidArgumentError("vault: a data-key wrapping nonce has 12 bytes");
  }
  Bytes wrapped(nonce.begin(), nonce.end());
  TACET_RETURN_IF_ERROR(kek.Seal(nonce, WrapAad(category), key, &wrapped));
  return wrapped;
}

void Wipe(Bytes& b) { crypto::SecureZero(b.data(), b.size()); }

}  // namespace

StatusOr<std::unique_ptr<KeyRing>> KeyRing::Open(platform::KeyStore& keys, crypto::Drbg& drbg,
                                                 bool may_create_kek) {
  StatusOr<Bytes> stored = keys.Get(kVaultKekName);
  if (!stored.ok() && stored.status().code() == StatusCode::kNotFound) {
    if (!may_create_kek) {
      return DataLossError(
          "vault: the key-encryption key 'vault_kek' is missing from the key store, but the "
          "vault holds data that only it can open (wrong key store, or the key was deleted); "
          "refusing to make a new one");
    }
    stored = platform::GetOrCreateSecret(keys, kVaultKekName, [&drbg]() -> StatusOr<Bytes> {
      Bytes fresh(kVaultKeySize);
      TACET_RETURN_IF_ERROR(drbg.Generate(fresh.data(), fresh.size()));
      return fresh;
    });
  }
  if (!stored.ok()) return stored.status().WithContext("vault: reading the key-encryption key");
  crypto::SecretBytes kek(stored.value());
  Wipe(stored.value());
  TACET_RETURN_IF_ERROR(
      platform::CheckKeyMaterial("the vault key-encryption key", kek.view(), kVaultKeySize));
  TACET_ASSIGN_OR_RETURN(Bytes derived, crypto::Hkdf({}, kek.view(),
                                                     ByteView::FromString(kIntegrityInfo),
                                                     kVaultKeySize));
  crypto::SecretBytes integrity(derived);
  Wipe(derived);
  TACET_ASSIGN_OR_RETURN(crypto::Aead aead,
                         crypto::Aead::Create(crypto::AeadAlgorithm::kAes256Gcm, kek.view()));
  return std::unique_ptr<KeyRing>(
      new KeyRing(keys, drbg, std::move(aead), std::move(integrity)));
}

StatusOr<std::string> KeyRing::DataKeyName(std::string_view category) {
  std::string name = "vault_dek_" + std::string(category);
  TACET_RETURN_IF_ERROR(platform::ValidateKeyName(name));
  return name;
}

StatusOr<Bytes> KeyRing::WrapDataKey(ByteView kek, std::string_view category, ByteView nonce,
                                     ByteView data_key) {
  TACET_RETURN_IF_ERROR(platform::CheckKeyMaterial("a key-encryption key", kek, kVaultKeySize));
  TACET_RETURN_IF_ERROR(platform::CheckKeyMaterial("a data key", data_key, kVaultKeySize));
  TACET_ASSIGN_OR_RETURN(crypto::Aead aead,
                         crypto::Aead::Create(crypto::AeadAlgorithm::kAes256Gcm, kek));
  return WrapWith(aead, category, nonce, data_key);
}

StatusOr<crypto::Aead> KeyRing::Unwrap(std::string_view category, ByteView wrapped) {
  const std::string what = "the data key of category '" + std::string(category) + "'";
  if (wrapped.size() != kWrappedSize) {
    return DataLossError("vault: the wrapped data key of category '" + std::string(category) +
                         "' has " + std::to_string(wrapped.size()) + " bytes, expected " +
                         std::to_string(kWrappedSize));
  }
  Bytes plain;
  plain.reserve(kVaultKeySize);
  Status opened = kek_.Open(wrapped.subview(0, crypto::kAeadNonceSize), WrapAad(category),
                            wrapped.subview(crypto::kAeadNonceSize), &plain);
  if (!opened.ok()) {
    return DataLossError("vault: " + what + " does not authenticate under the key-encryption key");
  }
  crypto::SecretBytes key(plain);
  Wipe(plain);
  TACET_RETURN_IF_ERROR(platform::CheckKeyMaterial(what, key.view(), kVaultKeySize)
                            .WithContext("vault"));
  return crypto::Aead::Create(crypto::AeadAlgorithm::kAes256Gcm, key.view());
}

StatusOr<crypto::Aead*> KeyRing::DataKey(std::string_view category, bool create, bool refresh) {
  auto it = data_keys_.find(category);
  if (it != data_keys_.end() && !refresh) return &it->second.aead;

  TACET_ASSIGN_OR_RETURN(std::string name, DataKeyName(category));
  StatusOr<Bytes> stored = keys_.Get(name);
  if (!stored.ok() && stored.status().code() == StatusCode::kNotFound) {
    // Gone from the store (destroyed by an erasure, here or in another process): forget it.
    if (it != data_keys_.end()) data_keys_.erase(it);
    it = data_keys_.end();
    if (!create) {
      return NotFoundError("vault: category '" + std::string(category) + "' has no data key");
    }
    stored = platform::GetOrCreateSecret(keys_, name, [this, category]() -> StatusOr<Bytes> {
      crypto::SecretBytes key(kVaultKeySize);
      TACET_RETURN_IF_ERROR(drbg_.Generate(key.data(), key.size()));
      Bytes nonce(crypto::kAeadNonceSize);
      TACET_RETURN_IF_ERROR(drbg_.Generate(nonce.data(), nonce.size()));
      return WrapWith(kek_, category, nonce, key.view());
    });
  }
  if (!stored.ok()) {
    return stored.status().WithContext("vault: reading the data key of category '" +
                                       std::string(category) + "'");
  }
  // The same wrapped key as cached: nothing to unwrap again.
  if (it != data_keys_.end() && it->second.wrapped == stored.value()) return &it->second.aead;
  // Every key is used as the store holds it, also the one this call just made: when another
  // process won the race, its key is the one in the store.
  TACET_ASSIGN_OR_RETURN(crypto::Aead aead, Unwrap(category, stored.value()));
  if (it != data_keys_.end()) data_keys_.erase(it);
  auto [inserted, ok] =
      data_keys_.emplace(std::string(category), CachedKey{std::move(stored).value(), std::move(aead)});
  (void)ok;
  return &inserted->second.aead;
}

Status KeyRing::Destroy(std::string_view category) {
  auto it = data_keys_.find(category);
  if (it != data_keys_.end()) data_keys_.erase(it);
  TACET_ASSIGN_OR_RETURN(std::string name, DataKeyName(category));
  Status deleted = keys_.Delete(name);
  if (!deleted.ok() && deleted.code() != StatusCode::kNotFound) {
    return deleted.WithContext("vault: destroying the data key of category '" +
                               std::string(category) + "'");
  }
  return OkStatus();
}

}  // namespace tacet::vault
