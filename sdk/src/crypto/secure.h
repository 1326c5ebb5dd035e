// Secret hygiene: zeroisation, constant-time comparison and a self-wiping byte buffer.
#ifndef TACET_CRYPTO_SECURE_H_
#define TACET_CRYPTO_SECURE_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/bytes.h"

namespace tacet::crypto {

// Overwrites n bytes at p with zeros in a way the compiler may not elide
// (mbedtls_platform_zeroize). p may be null when n is 0. Thread-safe for distinct buffers.
void SecureZero(void* p, size_t n);

// True when a and b have the same length and the same content. A length mismatch returns false
// at once (lengths are not secret); for equal lengths the time taken does not depend on where, or
// whether, the contents differ. Thread-safe.
bool ConstantTimeEquals(ByteView a, ByteView b);

// A move-only heap buffer for secret bytes (keys, shared secrets, seeds). The storage is zeroised
// before it is released: on destruction, on move-assignment over it, and when resize() moves the
// contents to a new allocation. Copying is deliberately impossible, so a secret has one owner.
// Not thread-safe; one owner, one thread at a time.
class SecretBytes {
 public:
  SecretBytes() = default;
  // n zero bytes.
  explicit SecretBytes(size_t n);
  // A copy of `bytes` (the caller remains responsible for wiping its own copy).
  explicit SecretBytes(ByteView bytes);
  ~SecretBytes();

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Valid until this buffer is resized, moved from or destroyed.
  ByteView view() const { return ByteView(data_.get(), size_); }

  // Keeps the first min(n, size()) bytes, zero-fills any new bytes, and wipes the old storage.
  void resize(size_t n);
  // Wipes and releases the storage; size() becomes 0.
  void clear();

 private:
  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
};

}  // namespace tacet::crypto

#endif  // TACET_CRYPTO_SECURE_H_
