// Where a streamed document (the export, the privacy report, a receipt) goes: a file, a string,
// or whatever a caller implements (the C API's write callback, a file descriptor).
#ifndef TACET_BASE_BYTE_SINK_H_
#define TACET_BASE_BYTE_SINK_H_

#include <cstdio>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tacet {

// Where the bytes of a document go. Implementations decide whether to block; a writer (the JSON
// writer, the privacy report) calls Write from the thread that drives it, never concurrently. A
// failed Write is the end of the document: writers stop and return the error.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Write(std::string_view bytes) = 0;
};

// Appends to a std::FILE* the caller opened (and closes); kUnavailable naming errno when fwrite
// comes up short. Not thread-safe.
class FileSink final : public ByteSink {
 public:
  explicit FileSink(std::FILE* file) : file_(file) {}
  Status Write(std::string_view bytes) override;

 private:
  std::FILE* file_;
};

// Collects into a string (receipts, tests, small documents).
class StringSink final : public ByteSink {
 public:
  Status Write(std::string_view bytes) override {
    out.append(bytes.data(), bytes.size());
    return OkStatus();
  }
  std::string out;
};

}  // namespace tacet

#endif  // TACET_BASE_BYTE_SINK_H_
