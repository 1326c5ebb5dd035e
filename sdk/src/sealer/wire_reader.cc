#include "sealer/wire_reader.h"

namespace tacet::sealer {

size_t QuicVarintSize(uint64_t v) {
  if (v < (uint64_t{1} << 6)) return 1;
  if (v < (uint64_t{1} << 14)) return 2;
  if (v < (uint64_t{1} << 30)) return 4;
  return 8;
}

Status AppendQuicVarint(Bytes& out, uint64_t v) {
  if (v > kQuicVarintMax) {
    return InvalidArgumentError("value " + std::to_string(v) +
                                " does not fit a QUIC variable-length integer (max 2^62 - 1)");
  }
  const size_t size = QuicVarintSize(v);
  // RFC 9000 §16: the two most significant bits of the first byte give log2 of the length.
  const uint8_t prefix = size == 1 ? 0x00 : size == 2 ? 0x40 : size == 4 ? 0x80 : 0xc0;
  for (size_t i = 0; i < size; ++i) {
    out.push_back(static_cast<uint8_t>(v >> (8 * (size - 1 - i))));
  }
  out[out.size() - size] |= prefix;
  return OkStatus();
}

Status WireReader::Error(std::string_view message) const {
  return InvalidArgumentError(std::string(context_) + ": " + std::string(message) + " at offset " +
                              std::to_string(position()));
}

Status WireReader::Truncated(std::string_view what, uint64_t needed) const {
  return Error("truncated: " + std::string(what) + " needs " + std::to_string(needed) +
               " bytes, " + std::to_string(remaining()) + " left");
}

Status WireReader::ReadVarint(std::string_view what, uint64_t* out) {
  if (empty()) return Truncated(what, 1);
  const size_t size = size_t{1} << (data_[pos_] >> 6);
  if (remaining() < size) return Truncated(what, size);
  uint64_t v = data_[pos_] & 0x3f;
  for (size_t i = 1; i < size; ++i) v = (v << 8) | data_[pos_ + i];
  pos_ += size;
  *out = v;
  return OkStatus();
}

Status WireReader::ReadLengthPrefixed(std::string_view what, ByteView* out) {
  const size_t start = pos_;
  uint64_t length = 0;
  TACET_RETURN_IF_ERROR(ReadVarint(std::string(what) + " length", &length));
  if (length > remaining()) {
    Status s = Truncated(what, length);
    pos_ = start;
    return s;
  }
  *out = data_.subview(pos_, static_cast<size_t>(length));
  pos_ += static_cast<size_t>(length);
  return OkStatus();
}

Status WireReader::ReadBytes(std::string_view what, size_t n, ByteView* out) {
  if (n > remaining()) return Truncated(what, n);
  *out = data_.subview(pos_, n);
  pos_ += n;
  return OkStatus();
}

Status WireReader::ReadU8(std::string_view what, uint8_t* out) {
  if (remaining() < 1) return Truncated(what, 1);
  *out = data_[pos_++];
  return OkStatus();
}

Status WireReader::ReadU16(std::string_view what, uint16_t* out) {
  if (remaining() < 2) return Truncated(what, 2);
  *out = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
  pos_ += 2;
  return OkStatus();
}

}  // namespace tacet::sealer
