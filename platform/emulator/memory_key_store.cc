#include "emulator/memory_key_store.h"

#include <mbedtls/platform_util.h>

namespace tacet::platform {

MemoryKeyStore::~MemoryKeyStore() {
  for (auto& entry : secrets_) mbedtls_platform_zeroize(entry.second.data(), entry.second.size());
}

Status MemoryKeyStore::Put(std::string_view name, ByteView secret) {
  TACET_RETURN_IF_ERROR(ValidatePut(name, secret));
  std::lock_guard<std::mutex> lock(mu_);
  if (secrets_.find(name) != secrets_.end()) {
    return AlreadyExistsError("key store: secret '" + std::string(name) + "' already exists");
  }
  secrets_.emplace(std::string(name), secret.ToBytes());
  return OkStatus();
}

StatusOr<Bytes> MemoryKeyStore::Get(std::string_view name) {
  TACET_RETURN_IF_ERROR(ValidateKeyName(name));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = secrets_.find(name);
  if (it == secrets_.end()) return NotFoundError("key store: no secret named '" + std::string(name) + "'");
  return it->second;
}

Status MemoryKeyStore::Delete(std::string_view name) {
  TACET_RETURN_IF_ERROR(ValidateKeyName(name));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = secrets_.find(name);
  if (it == secrets_.end()) return NotFoundError("key store: no secret named '" + std::string(name) + "'");
  mbedtls_platform_zeroize(it->second.data(), it->second.size());
  secrets_.erase(it);
  return OkStatus();
}

size_t MemoryKeyStore::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return secrets_.size();
}

}  // namespace tacet::platform
