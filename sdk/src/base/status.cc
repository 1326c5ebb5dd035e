#include "base/status.h"

#include <cstdio>
#include <cstring>

namespace tacet {

const char* StatusCodeName(StatusCode code) {
  return NameOf(kStatusCodeNames, code, "unknown status");
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out = StatusCodeName(code_);
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

Status Status::WithContext(std::string_view prefix) const {
  if (ok()) return *this;
  std::string m(prefix);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m));
}

namespace internal {
void DieBadStatusOrAccess(const Status& status) {
  std::fprintf(stderr, "tacet: value of a StatusOr read while it holds an error: %s\n",
               status.ToString().c_str());
  std::abort();
}
}  // namespace internal

}  // namespace tacet

extern "C" {

const char* tacet_status_name(tacet_status status) {
  // A C caller may pass any int: read it as one (loading it as the enum type is undefined in C++,
  // and UBSan stops there; found by capi_sequence_fuzzer).
  int code;
  std::memcpy(&code, &status, sizeof code);
  return tacet::StatusCodeName(static_cast<tacet::StatusCode>(code));
}

const char* tacet_version(void) { return TACET_VERSION_STRING; }

}  // extern "C"
