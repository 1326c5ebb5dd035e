#include "base/time_format.h"

#include <cstdio>

namespace tacet {

StatusOr<std::string> FormatRfc3339Utc(int64_t unix_ms) {
  constexpr int64_t kMsPerDay = 86400000;
  // 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z in Unix milliseconds.
  if (unix_ms < -62167219200000 || unix_ms > 253402300799999) {
    return OutOfRangeError("time " + std::to_string(unix_ms) +
                           " ms is outside the years RFC 3339 can write (0000-9999)");
  }
  int64_t days = unix_ms / kMsPerDay;
  int64_t ms_of_day = unix_ms % kMsPerDay;
  if (ms_of_day < 0) {
    ms_of_day += kMsPerDay;
    --days;
  }
  // Civil date from a day count (days since 1970-01-01), counted in 400-year eras that start on
  // 0000-03-01 so the leap day ends each era's year.
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buf[64];  // 24 needed; gcc cannot prove the ranges, so leave it room
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", static_cast<int>(year),
                static_cast<int>(month), static_cast<int>(day),
                static_cast<int>(ms_of_day / 3600000), static_cast<int>(ms_of_day / 60000 % 60),
                static_cast<int>(ms_of_day / 1000 % 60), static_cast<int>(ms_of_day % 1000));
  return std::string(buf);
}

}  // namespace tacet
