#include "vault/json_stream.h"

#include <cinttypes>
#include <cstring>

#include "base/utf8.h"

namespace tacet::vault {

Status FileSink::Write(std::string_view bytes) {
  if (bytes.empty()) return OkStatus();
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    return UnavailableError(std::string("export: writing the output failed: ") + std::strerror(errno));
  }
  return OkStatus();
}

Status JsonStreamWriter::Put(std::string_view s) {
  if (!error_.ok()) return error_;
  if (buffer_.size() + s.size() > kBufferSize) {
    TACET_RETURN_IF_ERROR(Flush());
    if (s.size() > kBufferSize) {
      error_ = sink_.Write(s);
      return error_;
    }
  }
  buffer_.append(s.data(), s.size());
  return OkStatus();
}

Status JsonStreamWriter::Flush() {
  if (!error_.ok()) return error_;
  if (!buffer_.empty()) {
    error_ = sink_.Write(buffer_);
    buffer_.clear();
  }
  return error_;
}

Status JsonStreamWriter::BeforeValue() {
  if (done_) return InternalError("json: a value after the end of the document");
  if (is_object_.empty()) {
    // The document is one object or array; scalars appear only inside it.
    if (started_) return InternalError("json: a second top-level value");
    started_ = true;
    return OkStatus();
  }
  if (is_object_.back()) {
    if (!after_key_) return InternalError("json: a value inside an object needs a key first");
    after_key_ = false;
    return OkStatus();
  }
  if (count_.back()++ > 0) return Put(",");
  return OkStatus();
}

Status JsonStreamWriter::BeginObject() {
  TACET_RETURN_IF_ERROR(BeforeValue());
  is_object_.push_back(true);
  count_.push_back(0);
  return Put("{");
}

Status JsonStreamWriter::BeginArray() {
  TACET_RETURN_IF_ERROR(BeforeValue());
  is_object_.push_back(false);
  count_.push_back(0);
  return Put("[");
}

Status JsonStreamWriter::EndObject() {
  if (is_object_.empty() || !is_object_.back() || after_key_) {
    return InternalError("json: EndObject without a matching BeginObject");
  }
  is_object_.pop_back();
  count_.pop_back();
  if (is_object_.empty()) done_ = true;
  return Put("}");
}

Status JsonStreamWriter::EndArray() {
  if (is_object_.empty() || is_object_.back()) {
    return InternalError("json: EndArray without a matching BeginArray");
  }
  is_object_.pop_back();
  count_.pop_back();
  if (is_object_.empty()) done_ = true;
  return Put("]");
}

Status JsonStreamWriter::Key(std::string_view key) {
  if (is_object_.empty() || !is_object_.back() || after_key_) {
    return InternalError("json: a key outside an object");
  }
  if (count_.back()++ > 0) TACET_RETURN_IF_ERROR(Put(","));
  TACET_RETURN_IF_ERROR(Quoted(key));
  after_key_ = true;
  return Put(":");
}

Status JsonStreamWriter::String(std::string_view value) {
  TACET_RETURN_IF_ERROR(BeforeValue());
  return Quoted(value);
}

Status JsonStreamWriter::Quoted(std::string_view value) {
  TACET_RETURN_IF_ERROR(Put("\""));
  static const char kHex[] = "0123456789abcdef";
  size_t i = 0;
  while (i < value.size()) {
    // Copy the longest run that needs no escaping in one go.
    size_t j = i;
    while (j < value.size()) {
      auto c = static_cast<unsigned char>(value[j]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++j;
    }
    if (j > i) TACET_RETURN_IF_ERROR(Put(value.substr(i, j - i)));
    i = j;
    if (i == value.size()) break;
    auto c = static_cast<unsigned char>(value[i]);
    if (c >= 0x80) {
      size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      if (len <= value.size() - i && IsValidUtf8(value.substr(i, len))) {
        TACET_RETURN_IF_ERROR(Put(value.substr(i, len)));
        i += len;
      } else {
        TACET_RETURN_IF_ERROR(Put("\xEF\xBF\xBD"));  // U+FFFD
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"': TACET_RETURN_IF_ERROR(Put("\\\"")); break;
      case '\\': TACET_RETURN_IF_ERROR(Put("\\\\")); break;
      case '\n': TACET_RETURN_IF_ERROR(Put("\\n")); break;
      case '\r': TACET_RETURN_IF_ERROR(Put("\\r")); break;
      case '\t': TACET_RETURN_IF_ERROR(Put("\\t")); break;
      default: {
        char esc[7] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF], 0};
        TACET_RETURN_IF_ERROR(Put(std::string_view(esc, 6)));
      }
    }
    ++i;
  }
  return Put("\"");
}

Status JsonStreamWriter::Base64(ByteView value) {
  TACET_RETURN_IF_ERROR(BeforeValue());
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  TACET_RETURN_IF_ERROR(Put("\""));
  char out[4];
  size_t i = 0;
  for (; i + 3 <= value.size(); i += 3) {
    uint32_t v = (uint32_t{value[i]} << 16) | (uint32_t{value[i + 1]} << 8) | value[i + 2];
    out[0] = kAlphabet[(v >> 18) & 63];
    out[1] = kAlphabet[(v >> 12) & 63];
    out[2] = kAlphabet[(v >> 6) & 63];
    out[3] = kAlphabet[v & 63];
    TACET_RETURN_IF_ERROR(Put(std::string_view(out, 4)));
  }
  if (size_t rest = value.size() - i; rest > 0) {
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

Status JsonStreamWriter::Int(int64_t value) {
  TACET_RETURN_IF_ERROR(BeforeValue());
  char buf[24];
  int n = std::snprintf(buf, sizeof(buf), "%" PRId64, value);
  return Put(std::string_view(buf, static_cast<size_t>(n)));
}

Status JsonStreamWriter::Bool(bool value) {
  TACET_RETURN_IF_ERROR(BeforeValue());
  return Put(value ? "true" : "false");
}

Status JsonStreamWriter::Null() {
  TACET_RETURN_IF_ERROR(BeforeValue());
  return Put("null");
}

Status JsonStreamWriter::Member(std::string_view key, std::string_view value) {
  TACET_RETURN_IF_ERROR(Key(key));
  return String(value);
}

Status JsonStreamWriter::Member(std::string_view key, int64_t value) {
  TACET_RETURN_IF_ERROR(Key(key));
  return Int(value);
}

Status JsonStreamWriter::Finish() {
  if (!done_ || !is_object_.empty()) return InternalError("json: the document is not complete");
  return Flush();
}

// Days since 1970-01-01 -> civil date (proleptic Gregorian), after H. Hinnant's
// "chrono-Compatible Low-Level Date Algorithms" (civil_from_days).
}  // namespace tacet::vault
