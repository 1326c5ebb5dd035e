// A minimal JSON (RFC 8259) writer for receipts: objects, strings, integers, booleans. Not a
// general serializer; no parsing. Not thread-safe (one writer per document).
#ifndef TACET_CONSENT_INTERNAL_JSON_WRITER_H_
#define TACET_CONSENT_INTERNAL_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tacet::consent::internal {

class JsonWriter {
 public:
  void BeginObject();
  void EndObject();
  // The name of the next member (inside an object).
  void Key(std::string_view key);
  // A string value. Escapes per RFC 8259 section 7: '"', '\\' and control characters; bytes
  // that are not well-formed UTF-8 become U+FFFD, so the output is always valid JSON.
  void String(std::string_view value);
  void Int(int64_t value);
  void UInt(uint64_t value);
  void Bool(bool value);

  // The document so far; complete once every BeginObject has its EndObject.
  const std::string& str() const { return out_; }

 private:
  void BeforeValue();
  void Quoted(std::string_view s);

  std::string out_;
  std::vector<bool> first_;  // per open object: no member written yet
  bool after_key_ = false;
};

}  // namespace tacet::consent::internal

#endif  // TACET_CONSENT_INTERNAL_JSON_WRITER_H_
