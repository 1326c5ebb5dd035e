// The one JSON (RFC 8259) writer of the SDK: the export (and the sections other modules add to
// it) and consent receipts write through it. Values go to a ByteSink (base/byte_sink.h) through a
// fixed 8 KiB buffer, so a document of any size is written in constant memory; small documents
// collect into a StringSink. It writes; it never parses.
#ifndef TACET_BASE_JSON_WRITER_H_
#define TACET_BASE_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/byte_sink.h"
#include "base/bytes.h"
#include "base/status.h"

namespace tacet {

// Writes one JSON document: a single object or array at the top level. Commas and colons are the
// writer's business; the caller says what comes next.
//
//   StringSink sink;
//   JsonWriter w(sink);
//   TACET_RETURN_IF_ERROR(w.BeginObject());
//   TACET_RETURN_IF_ERROR(w.Member("seq", int64_t{7}));
//   TACET_RETURN_IF_ERROR(w.EndObject());
//   TACET_RETURN_IF_ERROR(w.Finish());  // sink.out == {"seq":7}
//
// Errors stick: the first one (a structure error such as a value where a key is due, an unbalanced
// End, a second top-level value, reported as kInternal because it is a programming error; or the
// sink's own error) is returned by that call and by every later call, Finish included, and nothing
// more reaches the sink. Not thread-safe (one writer per document). Keeps a non-owning reference
// to the sink, which must outlive it. The only heap it holds is its 8 KiB buffer and one entry
// per open container.
class JsonWriter {
 public:
  explicit JsonWriter(ByteSink& sink) : sink_(sink) { buffer_.reserve(kBufferSize); }
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  Status BeginObject();
  Status EndObject();
  Status BeginArray();
  Status EndArray();
  // The name of the next member (inside an object); escaped like String.
  Status Key(std::string_view key);
  // A string, escaped so that the output is always valid JSON (RFC 8259 section 7):
  //   '"' and '\\' -> \" and \\; \b \f \n \r \t by their two-character escapes;
  //   the other controls U+0000..U+001F and DEL (U+007F) -> \u00XX (lowercase hex);
  //   each byte that does not start a well-formed UTF-8 sequence (RFC 3629: no overlong forms,
  //   no surrogates, nothing above U+10FFFF, no truncated sequence) -> U+FFFD (as its three UTF-8
  //   bytes), and the writer resumes at the next byte;
  //   all other well-formed UTF-8 is copied unchanged, U+2028, U+2029 and the bidirectional
  //   controls included: a document is data for a program, which gets back exactly what was
  //   stored. Text shown to a person goes through ShowBidiControls (base/utf8.h) instead.
  Status String(std::string_view value);
  // Bytes as an RFC 4648 section 4 base64 string (with padding).
  Status Base64(ByteView value);
  Status Int(int64_t value);
  Status UInt(uint64_t value);
  Status Bool(bool value);
  Status Null();
  // Key(key) then String(value) / Int(value). (No bool overload on purpose: a string literal
  // would convert to bool before it converted to std::string_view.)
  Status Member(std::string_view key, std::string_view value);
  Status Member(std::string_view key, int64_t value);

  // Flushes the buffer to the sink; kInternal if the document is not complete (or the sticky
  // error). Write nothing after it.
  Status Finish();

 private:
  static constexpr size_t kBufferSize = 8192;
  Status Fail(Status error);
  Status BeforeValue();
  Status Quoted(std::string_view s);
  Status Put(std::string_view s);
  Status Flush();

  ByteSink& sink_;
  std::string buffer_;
  Status error_;
  // One entry per open container: true for an object; `count_` the members written so far.
  std::vector<bool> is_object_;
  std::vector<int64_t> count_;
  bool after_key_ = false;
  bool started_ = false;  // the top-level container was opened
  bool done_ = false;     // ... and closed
};

}  // namespace tacet

#endif  // TACET_BASE_JSON_WRITER_H_
