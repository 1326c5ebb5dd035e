// Time stamps as people and JSON documents read them.
#ifndef TACET_BASE_TIME_FORMAT_H_
#define TACET_BASE_TIME_FORMAT_H_

#include <cstdint>
#include <string>

#include "base/status.h"

namespace tacet {

// Unix milliseconds as RFC 3339 (§5.6) UTC with milliseconds: "2024-01-01T00:00:00.000Z",
// proleptic Gregorian. kOutOfRange outside the years 0000..9999, which the format cannot write.
// Pure; thread-safe.
StatusOr<std::string> FormatRfc3339Utc(int64_t unix_ms);

}  // namespace tacet

#endif  // TACET_BASE_TIME_FORMAT_H_
