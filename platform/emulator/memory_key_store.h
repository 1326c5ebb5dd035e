// MemoryKeyStore: a KeyStore in process memory, for the emulator and tests.
#ifndef TACET_PLATFORM_EMULATOR_MEMORY_KEY_STORE_H_
#define TACET_PLATFORM_EMULATOR_MEMORY_KEY_STORE_H_

#include <map>
#include <mutex>
#include <string>

#include "tacet/platform/key_store.h"

namespace tacet::platform {

// Same contract as every KeyStore (names validated, no silent replacement, kNotFound). Delete
// and the destructor zeroise the secret's bytes, which is all "unrecoverable" can mean in RAM.
// Nothing survives the object, so a "restart" test must keep the store alive across it.
// Thread-safe; never blocks beyond an internal mutex.
class MemoryKeyStore final : public KeyStore {
 public:
  MemoryKeyStore() = default;
  ~MemoryKeyStore() override;
  MemoryKeyStore(const MemoryKeyStore&) = delete;
  MemoryKeyStore& operator=(const MemoryKeyStore&) = delete;

  Status Put(std::string_view name, ByteView secret) override;
  StatusOr<Bytes> Get(std::string_view name) override;
  Status Delete(std::string_view name) override;
  size_t size();

 private:
  std::mutex mu_;
  std::map<std::string, Bytes, std::less<>> secrets_;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_EMULATOR_MEMORY_KEY_STORE_H_
