#include "vault/key_ring.h"

#include <utility>

#include "base/bytes.h"

namespace tacet::vault {
namespace {

constexpr size_t kKeySize = 32;
constexpr size_t kWrappedSize = crypto::kAeadNonceSize + kKeySize + crypto::kAeadTagSize;
constexpr char kWrapLabel[] = "tacet-vault-dek-v1";

Bytes WrapAad(std::string_view category) {
  Bytes aad;
  Append(aad, ByteView::FromString(kWrapLabel));
  Append(aad, ByteView::FromString(category));
  return aad;
}

// Takes a secret fetched from the key store into a SecretBytes and wipes the fetched copy.
crypto::SecretBytes TakeSecret(Bytes& fetched) {
  crypto::SecretBytes secret(fetched);
  crypto::SecureZero(fetched.data(), fetched.size());
  return secret;
}

}  // namespace

StatusOr<std::unique_ptr<KeyRing>> KeyRing::Open(platform::KeyStore& keys, crypto::Drbg& drbg) {
  crypto::SecretBytes kek;
  StatusOr<Bytes> stored = keys.Get(kVaultKekName);
  if (stored.ok()) {
    kek = TakeSecret(stored.value());
    if (kek.size() != kKeySize) {
      return DataLossError("vault: the key-encryption key has " + std::to_string(kek.size()) +
                           " bytes, expected 32");
    }
  } else if (stored.status().code() == StatusCode::kNotFound) {
    kek = crypto::SecretBytes(kKeySize);
    TACET_RETURN_IF_ERROR(drbg.Generate(kek.data(), kek.size()));
    TACET_RETURN_IF_ERROR(keys.Put(kVaultKekName, kek.view()));
  } else {
    return stored.status().WithContext("vault: reading the key-encryption key");
  }
  TACET_ASSIGN_OR_RETURN(crypto::Aead aead,
                         crypto::Aead::Create(crypto::AeadAlgorithm::kAes256Gcm, kek.view()));
  return std::unique_ptr<KeyRing>(new KeyRing(keys, drbg, std::move(aead)));
}

StatusOr<std::string> KeyRing::DataKeyName(std::string_view category) {
  std::string name = "vault_dek_" + std::string(category);
  TACET_RETURN_IF_ERROR(platform::ValidateKeyName(name));
  return name;
}

StatusOr<crypto::Aead*> KeyRing::DataKey(std::string_view category, bool create) {
  auto it = data_keys_.find(category);
  if (it != data_keys_.end()) return &it->second;

  TACET_ASSIGN_OR_RETURN(std::string name, DataKeyName(category));
  const Bytes aad = WrapAad(category);
  crypto::SecretBytes key;
  StatusOr<Bytes> stored = keys_.Get(name);
  if (stored.ok()) {
    const Bytes& wrapped = stored.value();
    if (wrapped.size() != kWrappedSize) {
      return DataLossError("vault: the wrapped data key of category '" + std::string(category) +
                           "' has " + std::to_string(wrapped.size()) + " bytes, expected " +
                           std::to_string(kWrappedSize));
    }
    Bytes plain;
    plain.reserve(kKeySize);
    Status opened = kek_.Open(ByteView(wrapped.data(), crypto::kAeadNonceSize), aad,
                              ByteView(wrapped).subview(crypto::kAeadNonceSize), &plain);
    if (!opened.ok()) {
      return DataLossError("vault: the data key of category '" + std::string(category) +
                           "' does not authenticate under the key-encryption key");
    }
    key = TakeSecret(plain);
  } else if (stored.status().code() == StatusCode::kNotFound) {
    if (!create) {
      return NotFoundError("vault: category '" + std::string(category) + "' has no data key");
    }
    key = crypto::SecretBytes(kKeySize);
    TACET_RETURN_IF_ERROR(drbg_.Generate(key.data(), key.size()));
    Bytes wrapped(crypto::kAeadNonceSize);
    TACET_RETURN_IF_ERROR(drbg_.Generate(wrapped.data(), wrapped.size()));
    const Bytes nonce = wrapped;
    TACET_RETURN_IF_ERROR(kek_.Seal(nonce, aad, key.view(), &wrapped));
    TACET_RETURN_IF_ERROR(keys_.Put(name, wrapped));
  } else {
    return stored.status().WithContext("vault: reading the data key of category '" +
                                       std::string(category) + "'");
  }
  TACET_ASSIGN_OR_RETURN(crypto::Aead aead,
                         crypto::Aead::Create(crypto::AeadAlgorithm::kAes256Gcm, key.view()));
  auto [inserted, ok] = data_keys_.emplace(std::string(category), std::move(aead));
  (void)ok;
  return &inserted->second;
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
