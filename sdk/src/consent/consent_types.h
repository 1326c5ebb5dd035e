// The vocabulary of the consent ledger: states, decision sources, and the subjects a decision is
// about. Shared with the capture gates (sdk/src/gate/) and tacetctl. See docs/consent.md.
#ifndef TACET_CONSENT_CONSENT_TYPES_H_
#define TACET_CONSENT_CONSENT_TYPES_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/enum_names.h"
#include "base/status.h"
#include "tacet/platform/permissions.h"

namespace tacet::consent {

// What the user (or the policy, for a non-refusable purpose) decided. kUnknown — never asked, or
// the question was re-opened by a policy update — is never treated as granted.
// For optional data categories kGranted means "provided" and kDenied "declined".
enum class ConsentState : uint8_t { kUnknown = 0, kGranted = 1, kDenied = 2 };

// Where a decision came from. Values are stored in the database and hashed into the history:
// never renumber them.
enum class DecisionSource : uint8_t {
  kUser = 1,           // the user answered a prompt or changed a setting
  kOsPermission = 2,   // the OS permission changed (e.g. location turned off in system settings)
  kPolicyUpdate = 3,   // a policy update re-opened the question (widened purpose)
  kImport = 4,         // restored from an export or another device
  kPolicyDefault = 5,  // nobody decided: the policy's initial state for the subject
};

using platform::LocationPrecision;

// What a decision is about.
enum class SubjectKind : uint8_t { kPurpose, kChannel, kCategory, kLocation };

// The stable names (written into receipts, the export and the known-answer vectors), one table per
// enum read both ways (base/enum_names.h).
inline constexpr EnumName<ConsentState> kConsentStateNames[] = {
    {ConsentState::kUnknown, "unknown"},
    {ConsentState::kGranted, "granted"},
    {ConsentState::kDenied, "denied"},
};
inline constexpr EnumName<DecisionSource> kDecisionSourceNames[] = {
    {DecisionSource::kUser, "user"},
    {DecisionSource::kOsPermission, "os_permission"},
    {DecisionSource::kPolicyUpdate, "policy_update"},
    {DecisionSource::kImport, "import"},
    {DecisionSource::kPolicyDefault, "policy_default"},
};
inline constexpr EnumName<SubjectKind> kSubjectKindNames[] = {
    {SubjectKind::kPurpose, "purpose"},
    {SubjectKind::kChannel, "channel"},
    {SubjectKind::kCategory, "category"},
    {SubjectKind::kLocation, "location"},
};
static_assert(EnumNamesAreUnique(kConsentStateNames) && EnumNamesAreUnique(kDecisionSourceNames) &&
              EnumNamesAreUnique(kSubjectKindNames));

// "unknown", "granted", "denied" ("invalid" out of range). Static storage.
const char* ConsentStateName(ConsentState state);
// "user", "os_permission", "policy_update", "import", "policy_default" ("invalid" out of range).
// Static storage.
const char* DecisionSourceName(DecisionSource source);
// "purpose", "channel", "category", "location" ("invalid" out of range). Static storage.
const char* SubjectKindName(SubjectKind kind);

// Range checks for values read from storage or passed in from bindings.
bool IsValidConsentState(int value);
bool IsValidDecisionSource(int value);
bool IsValidLocationPrecision(int value);

// A subject as stored in the ledger: "purpose:<id>", "channel:<id>", "category:<id>" or
// "location". Pure functions; thread-safe.
std::string SubjectKey(SubjectKind kind, std::string_view id);
struct Subject {
  SubjectKind kind = SubjectKind::kPurpose;
  std::string id;  // empty for kLocation
};
// Parses a SubjectKey. kInvalidArgument naming the key when it has no known kind prefix or an
// empty id.
StatusOr<Subject> ParseSubjectKey(std::string_view key);

// `unix_ms` as an RFC 3339 (section 5.6) date-time in UTC with milliseconds,

}  // namespace tacet::consent

#endif  // TACET_CONSENT_CONSENT_TYPES_H_
