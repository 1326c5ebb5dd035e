#include "crypto/secure.h"

#include <mbedtls/platform_util.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace tacet::crypto {

void SecureZero(void* p, size_t n) {
  if (p != nullptr && n != 0) mbedtls_platform_zeroize(p, n);
}

bool ConstantTimeEquals(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  // Accumulate every difference; no branch depends on the content.
  volatile uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = static_cast<uint8_t>(diff | (a[i] ^ b[i]));
  }
  return diff == 0;
}

SecretBytes::SecretBytes(size_t n) : data_(n ? new uint8_t[n]() : nullptr), size_(n) {}

SecretBytes::SecretBytes(ByteView bytes) : SecretBytes(bytes.size()) {
  if (size_ != 0) std::memcpy(data_.get(), bytes.data(), size_);
}

SecretBytes::~SecretBytes() { clear(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::move(other.data_)), size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    clear();
    data_ = std::move(other.data_);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void SecretBytes::resize(size_t n) {
  if (n == size_) return;
  SecretBytes bigger(n);
  if (size_ != 0 && n != 0) std::memcpy(bigger.data(), data_.get(), std::min(n, size_));
  *this = std::move(bigger);  // wipes the old storage
}

void SecretBytes::clear() {
  SecureZero(data_.get(), size_);
  data_.reset();
  size_ = 0;
}

}  // namespace tacet::crypto
