#include "base/json_writer.h"

#include <cinttypes>
#include <cstdio>

#include "base/utf8.h"

namespace tacet {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// The length of the well-formed UTF-8 sequence at the start of `s` (which starts with a byte >=
// 0x80), or 0 when its first byte does not start one.
size_t MultiByteLength(std::string_view s) {
  const auto b0 = static_cast<uint8_t>(s[0]);
  const size_t len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 1;
  if (len == 1 || len > s.size() || !IsValidUtf8(s.substr(0, len))) return 0;
  return len;
}

}  // namespace

Status JsonWriter::Fail(Status error) {
  if (error_.ok()) error_ = std::move(error);
  return error_;
}

Status JsonWriter::Put(std::string_view s) {
  if (!error_.ok()) return error_;
  if (buffer_.size() + s.size() > kBufferSize) {
    TACET_RETURN_IF_ERROR(Flush());
    if (s.size() > kBufferSize) return Fail(sink_.Write(s));
  }
  buffer_.append(s.data(), s.size());
  return OkStatus();
}

Status JsonWriter::Flush() {
  if (!error_.ok()) return error_;
  if (buffer_.empty()) return OkStatus();
  Status status = sink_.Write(buffer_);
  buffer_.clear();
  if (!status.ok()) return Fail(std::move(status));
  return OkStatus();
}

Status JsonWriter::BeforeValue() {
  if (!error_.ok()) return error_;
  if (done_) return Fail(InternalError("json: a value after the end of the document"));
  if (is_object_.empty()) {
    // The document is one object or array; scalars appear only inside it.
    if (started_) return Fail(InternalError("json: a second top-level value"));
    started_ = true;
    return OkStatus();
  }
  if (is_object_.back()) {
    if (!after_key_) return Fail(InternalError("json: a value inside an object needs a key first"));
    after_key_ = false;
    return OkStatus();
  }
  if (count_.back()++ > 0) return Put(",");
  return OkStatus();
}

Status JsonWriter::BeginObject() {
  TACET_RETURN_IF_ERROR(BeforeValue());
  is_object_.push_back(true);
  count_.push_back(0);
  return Put("{");
}

Status JsonWriter::BeginArray() {
  TACET_RETURN_IF_ERROR(BeforeValue());
  is_object_.push_back(false);
  count_.push_back(0);
  return Put("[");
}

Status JsonWriter::EndObject() {
  if (!error_.ok()) return error_;
  if (is_object_.empty() || !is_object_.back() || after_key_) {
    return Fail(InternalError("json: EndObject without a matching BeginObject"));
  }
  is_object_.pop_back();
  count_.pop_back();
  if (is_object_.empty()) done_ = true;
  return Put("}");
}

Status JsonWriter::EndArray() {
  if (!error_.ok()) return error_;
  if (is_object_.empty() || is_object_.back()) {
    return Fail(InternalError("json: EndArray without a matching BeginArray"));
  }
  is_object_.pop_back();
  count_.pop_back();
  if (is_object_.empty()) done_ = true;
  return Put("]");
}

Status JsonWriter::Key(std::string_view key) {
  if (!error_.ok()) return error_;
  if (is_object_.empty() || !is_object_.back() || after_key_) {
    return Fail(InternalError("json: a key outside an object"));
  }
  if (count_.back()++ > 0) TACET_RETURN_IF_ERROR(Put(","));
  TACET_RETURN_IF_ERROR(Quoted(key));
  after_key_ = true;
  return Put(":");
}

Status JsonWriter::String(std::string_view value) {
  TACET_RETURN_IF_ERROR(BeforeValue());
  return Quoted(value);
}

Status JsonWriter::Quoted(std::string_view value) {
  TACET_RETURN_IF_ERROR(Put("\""));
  size_t i = 0;
  while (i < value.size()) {
    // Copy the longest run of printable ASCII that needs no escaping in one go.
    size_t j = i;
    while (j < value.size()) {
      const auto c = static_cast<uint8_t>(value[j]);
      if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') break;
      ++j;
    }
    if (j > i) TACET_RETURN_IF_ERROR(Put(value.substr(i, j - i)));
    i = j;
    if (i == value.size()) break;
    const auto c = static_cast<uint8_t>(value[i]);
    if (c >= 0x80) {
      const size_t len = MultiByteLength(value.substr(i));
      if (len == 0) {
        TACET_RETURN_IF_ERROR(Put("\xEF\xBF\xBD"));  // U+FFFD for the byte, then resync
        ++i;
      } else {
        TACET_RETURN_IF_ERROR(Put(value.substr(i, len)));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"': TACET_RETURN_IF_ERROR(Put("\\\"")); break;
      case '\\': TACET_RETURN_IF_ERROR(Put("\\\\")); break;
      case '\b': TACET_RETURN_IF_ERROR(Put("\\b")); break;
      case '\f': TACET_RETURN_IF_ERROR(Put("\\f")); break;
      case '\n': TACET_RETURN_IF_ERROR(Put("\\n")); break;
      case '\r': TACET_RETURN_IF_ERROR(Put("\\r")); break;
      case '\t': TACET_RETURN_IF_ERROR(Put("\\t")); break;
      default: {  // the other controls and DEL
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        TACET_RETURN_IF_ERROR(Put(std::string_view(esc, sizeof(esc))));
      }
    }
    ++i;
  }
  return Put("\"");
}

Status JsonWriter::Base64(ByteView value) {
  TACET_RETURN_IF_ERROR(BeforeValue());
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  TACET_RETURN_IF_ERROR(Put("\""));
  char out[4];
  size_t i = 0;
  for (; i + 3 <= value.size(); i += 3) {
    const uint32_t v = (uint32_t{value[i]} << 16) | (uint32_t{value[i + 1]} << 8) | value[i + 2];
    out[0] = kAlphabet[(v >> 18) & 63];
    out[1] = kAlphabet[(v >> 12) & 63];
    out[2] = kAlphabet[(v >> 6) & 63];
    out[3] = kAlphabet[v & 63];
    TACET_RETURN_IF_ERROR(Put(std::string_view(out, 4)));
  }
  if (const size_t rest = value.size() - i; rest > 0) {
    uint32_t v = uint32_t{value[i]} << 16;
    if (rest == 2) v |= uint32_t{value[i + 1]} << 8;
    out[0] = kAlphabet[(v >> 18) & 63];
    out[1] = kAlphabet[(v >> 12) & 63];
    out[2] = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out[3] = '=';
    TACET_RETURN_IF_ERROR(Put(std::string_view(out, 4)));
  }
  return Put("\"");
}

Status JsonWriter::Int(int64_t value) {
  TACET_RETURN_IF_ERROR(BeforeValue());
  char buf[24];
  const int n = std::snprintf(buf, sizeof(buf), "%" PRId64, value);
  return Put(std::string_view(buf, static_cast<size_t>(n)));
}

Status JsonWriter::UInt(uint64_t value) {
  TACET_RETURN_IF_ERROR(BeforeValue());
  char buf[24];
  const int n = std::snprintf(buf, sizeof(buf), "%" PRIu64, value);
  return Put(std::string_view(buf, static_cast<size_t>(n)));
}

Status JsonWriter::Bool(bool value) {
  TACET_RETURN_IF_ERROR(BeforeValue());
  return Put(value ? "true" : "false");
}

Status JsonWriter::Null() {
  TACET_RETURN_IF_ERROR(BeforeValue());
  return Put("null");
}

Status JsonWriter::Member(std::string_view key, std::string_view value) {
  TACET_RETURN_IF_ERROR(Key(key));
  return String(value);
}

Status JsonWriter::Member(std::string_view key, int64_t value) {
  TACET_RETURN_IF_ERROR(Key(key));
  return Int(value);
}

Status JsonWriter::Finish() {
  if (!error_.ok()) return error_;
  if (!done_) return Fail(InternalError("json: the document is not complete"));
  return Flush();
}

}  // namespace tacet
