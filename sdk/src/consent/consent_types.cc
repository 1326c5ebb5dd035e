#include "consent/consent_types.h"

#include <cstdio>

namespace tacet::consent {
namespace {

// Civil date from days since 1970-01-01 in the proleptic Gregorian calendar (400-year eras of
// 146097 days, years starting in March so the leap day is last).
void CivilFromDays(int64_t days, int64_t* year, int* month, int* day) {
  days += 719468;  // shift the epoch to 0000-03-01
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t day_of_era = days - era * 146097;                                  // [0, 146096]
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;  // [0, 399]
  const int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t month_from_march = (5 * day_of_year + 2) / 153;  // [0, 11]
  *day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  *month = static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  *year = year_of_era + era * 400 + (*month <= 2 ? 1 : 0);
}

}  // namespace

StatusOr<std::string> Rfc3339Utc(int64_t unix_ms) {
  constexpr int64_t kMsPerDay = 86400000;
  int64_t days = unix_ms / kMsPerDay, ms_of_day = unix_ms % kMsPerDay;
  if (ms_of_day < 0) {
    ms_of_day += kMsPerDay;
    --days;
  }
  int64_t year;
  int month, day;
  CivilFromDays(days, &year, &month, &day);
  if (year < 0 || year > 9999) {
    return OutOfRangeError("consent: time " + std::to_string(unix_ms) +
                           " ms is outside the years RFC 3339 can write (0000-9999)");
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", static_cast<int>(year),
                month, day, static_cast<int>(ms_of_day / 3600000),
                static_cast<int>(ms_of_day / 60000 % 60), static_cast<int>(ms_of_day / 1000 % 60),
                static_cast<int>(ms_of_day % 1000));
  return std::string(buf);
}

const char* ConsentStateName(ConsentState state) {
  switch (state) {
    case ConsentState::kUnknown: return "unknown";
    case ConsentState::kGranted: return "granted";
    case ConsentState::kDenied: return "denied";
  }
  return "invalid";
}

const char* DecisionSourceName(DecisionSource source) {
  switch (source) {
    case DecisionSource::kUser: return "user";
    case DecisionSource::kOsPermission: return "os_permission";
    case DecisionSource::kPolicyUpdate: return "policy_update";
    case DecisionSource::kImport: return "import";
    case DecisionSource::kPolicyDefault: return "policy_default";
  }
  return "invalid";
}

const char* SubjectKindName(SubjectKind kind) {
  switch (kind) {
    case SubjectKind::kPurpose: return "purpose";
    case SubjectKind::kChannel: return "channel";
    case SubjectKind::kCategory: return "category";
    case SubjectKind::kLocation: return "location";
  }
  return "invalid";
}

bool IsValidConsentState(int value) { return value >= 0 && value <= 2; }
bool IsValidDecisionSource(int value) { return value >= 1 && value <= 5; }
bool IsValidLocationPrecision(int value) { return value >= 0 && value <= 2; }

std::string SubjectKey(SubjectKind kind, std::string_view id) {
  if (kind == SubjectKind::kLocation) return "location";
  std::string key = SubjectKindName(kind);
  key += ':';
  key.append(id.data(), id.size());
  return key;
}

StatusOr<Subject> ParseSubjectKey(std::string_view key) {
  if (key == "location") return Subject{SubjectKind::kLocation, ""};
  for (SubjectKind kind : {SubjectKind::kPurpose, SubjectKind::kChannel, SubjectKind::kCategory}) {
    const std::string_view prefix = SubjectKindName(kind);
    if (key.size() > prefix.size() + 1 && key.substr(0, prefix.size()) == prefix &&
        key[prefix.size()] == ':') {
      return Subject{kind, std::string(key.substr(prefix.size() + 1))};
    }
  }
  return InvalidArgumentError("consent: '" + std::string(key) +
                              "' is not a subject (purpose:<id>, channel:<id>, category:<id> or "
                              "location)");
}

}  // namespace tacet::consent
