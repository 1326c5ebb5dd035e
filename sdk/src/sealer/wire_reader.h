// Bounds-checked reading and writing of the integers Oblivious HTTP and Binary HTTP use:
// fixed-width big-endian integers (RFC 9458 §3.1, §4.1) and QUIC variable-length integers
// (RFC 9000 §16, used throughout RFC 9292 §3).
//
// Ownership: a WireReader borrows the bytes it reads; they must outlive it and every ByteView it
// returns. Thread-safety: a reader is used by one thread at a time; the free functions are
// thread-safe.
#ifndef TACET_SEALER_WIRE_READER_H_
#define TACET_SEALER_WIRE_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace tacet::sealer {

// RFC 9000 §16: the largest value a variable-length integer holds (62 bits).
inline constexpr uint64_t kQuicVarintMax = (uint64_t{1} << 62) - 1;

// The number of bytes (1, 2, 4 or 8) of the shortest encoding of v; v <= kQuicVarintMax.
size_t QuicVarintSize(uint64_t v);

// Appends v in its shortest encoding (RFC 9000 §16). kInvalidArgument when v > kQuicVarintMax
// (out is then unchanged).
Status AppendQuicVarint(Bytes& out, uint64_t v);

// A cursor over borrowed bytes that never reads past the end. Every failed read returns
// kInvalidArgument naming `context` (e.g. "bhttp"), what was being read and the byte offset, and
// leaves the cursor where it was.
class WireReader {
 public:
  // base_offset is added to the offsets in error messages, for a reader over part of a message.
  WireReader(ByteView data, std::string_view context, size_t base_offset = 0)
      : data_(data), context_(context), base_offset_(base_offset) {}

  // Offset of the next byte, counted from the start of the whole message.
  size_t position() const { return base_offset_ + pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }
  // The bytes not read yet.
  ByteView rest() const { return data_.subview(pos_); }

  // A QUIC variable-length integer (RFC 9000 §16). Encodings longer than necessary are accepted
  // (RFC 9000 §16 and RFC 9292 §3 both allow them).
  Status ReadVarint(std::string_view what, uint64_t* out);
  // A varint length followed by that many bytes; the length must fit in what is left.
  Status ReadLengthPrefixed(std::string_view what, ByteView* out);
  // Exactly n bytes.
  Status ReadBytes(std::string_view what, size_t n, ByteView* out);
  Status ReadU8(std::string_view what, uint8_t* out);
  Status ReadU16(std::string_view what, uint16_t* out);  // big-endian

  // kInvalidArgument "<context>: <message> at offset <position>".
  Status Error(std::string_view message) const;

 private:
  Status Truncated(std::string_view what, uint64_t needed) const;

  ByteView data_;
  size_t pos_ = 0;
  std::string_view context_;
  size_t base_offset_ = 0;
};

}  // namespace tacet::sealer

#endif  // TACET_SEALER_WIRE_READER_H_
