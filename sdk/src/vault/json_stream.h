// A streaming JSON (RFC 8259) writer: values go to a sink through a small fixed buffer, so a
// document of any size is written in constant memory. Used by the export (export.h).
#ifndef TACET_VAULT_JSON_STREAM_H_
#define TACET_VAULT_JSON_STREAM_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace tacet::vault {

// Where the bytes go. Implementations decide whether to block; the writer calls Write from the
// thread that drives it.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Write(std::string_view bytes) = 0;
};

// Appends to a std::FILE* the caller opened (and closes). Not thread-safe.
class FileSink final : public ByteSink {
 public:
  explicit FileSink(std::FILE* file) : file_(file) {}
  Status Write(std::string_view bytes) override;

 private:
  std::FILE* file_;
};

// Collects into a string (tests, small documents).
class StringSink final : public ByteSink {
 public:
  Status Write(std::string_view bytes) override {
    out.append(bytes.data(), bytes.size());
    return OkStatus();
  }
  std::string out;
};

// Writes one JSON document. Structure errors (a value where a key is expected, unbalanced ends)
// are programming errors reported by Finish() as kInternal; sink errors stick and are returned by
// every later call. Not thread-safe (one writer per document). Keeps a non-owning reference to the
// sink, which must outlive it.
class JsonStreamWriter {
 public:
  explicit JsonStreamWriter(ByteSink& sink) : sink_(sink) { buffer_.reserve(kBufferSize); }

  Status BeginObject();
  Status EndObject();
  Status BeginArray();
  Status EndArray();
  // The name of the next member (inside an object).
  Status Key(std::string_view key);
  // A string. Escapes '"', '\\' and control characters (RFC 8259 §7); bytes that are not
  // well-formed UTF-8 become U+FFFD so the output always parses (vault text is validated UTF-8,
  // so this only ever touches corrupt input).
  Status String(std::string_view value);
  // Bytes as an RFC 4648 §4 base64 string.
  Status Base64(ByteView value);
  Status Int(int64_t value);
  Status Bool(bool value);
  Status Null();
  // Key(k) then String(v) / Int(v).
  Status Member(std::string_view key, std::string_view value);
  Status Member(std::string_view key, int64_t value);

  // Flushes; kInternal if the document is not complete.
  Status Finish();

 private:
  static constexpr size_t kBufferSize = 8192;
  Status BeforeValue();
  Status Quoted(std::string_view s);
  Status Put(std::string_view s);
  Status Flush();

  ByteSink& sink_;
  std::string buffer_;
  Status error_;
  // One entry per open container: true for an object. `count_` the members written so far.
  std::vector<bool> is_object_;
  std::vector<int64_t> count_;
  bool after_key_ = false;
  bool started_ = false;  // the top-level container was opened
  bool done_ = false;     // ... and closed
};

}  // namespace tacet::vault

#endif  // TACET_VAULT_JSON_STREAM_H_
