// Byte buffers and read-only views over them, used across the core.
#ifndef TACET_BASE_BYTES_H_
#define TACET_BASE_BYTES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tacet {

using Bytes = std::vector<uint8_t>;

// A non-owning view of bytes (C++17 has no std::span). Valid while the viewed storage is.
class ByteView {
 public:
  constexpr ByteView() = default;
  constexpr ByteView(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  ByteView(const Bytes& b) : data_(b.data()), size_(b.size()) {}  // NOLINT
  template <size_t N>
  constexpr ByteView(const std::array<uint8_t, N>& a) : data_(a.data()), size_(N) {}  // NOLINT
  // Views the bytes of a string (no terminator).
  static ByteView FromString(std::string_view s) {
    return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }

  constexpr const uint8_t* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr uint8_t operator[](size_t i) const { return data_[i]; }
  constexpr const uint8_t* begin() const { return data_; }
  constexpr const uint8_t* end() const { return data_ + size_; }
  // The bytes [pos, pos + n), clamped to the view.
  ByteView subview(size_t pos, size_t n = SIZE_MAX) const {
    if (pos > size_) pos = size_;
    if (n > size_ - pos) n = size_ - pos;
    return ByteView(data_ + pos, n);
  }
  Bytes ToBytes() const { return Bytes(begin(), end()); }
  std::string_view AsStringView() const {
    return std::string_view(reinterpret_cast<const char*>(data_), size_);
  }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Lower-case hex.
std::string HexEncode(ByteView bytes);
// Accepts upper or lower case; an odd length or a non-hex character is an invalid argument.
StatusOr<Bytes> HexDecode(std::string_view hex);

// Appends `b` to `out`.
inline void Append(Bytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }
// Big-endian encodings, as the RFCs Tacet implements use them.
void AppendU16Be(Bytes& out, uint16_t v);
void AppendU32Be(Bytes& out, uint32_t v);
void AppendU64Be(Bytes& out, uint64_t v);

}  // namespace tacet

#endif  // TACET_BASE_BYTES_H_
