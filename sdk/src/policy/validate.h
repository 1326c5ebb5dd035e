// Semantic validation of a policy that already passed the flatbuffers Verifier.
#ifndef TACET_POLICY_VALIDATE_H_
#define TACET_POLICY_VALIDATE_H_

#include <string>
#include <string_view>
#include <vector>

#include "policy_generated.h"

namespace tacet::policy {

// At most this many categories, purposes, recipients, channels, rights or security measures: keeps
// the query tables of a Policy small (at most 128^3 bytes) whatever a policy file holds.
inline constexpr size_t kMaxEntriesPerList = 128;

// True for ids the schema allows: lower-case letters, digits and '_', starting with a letter, at
// most 64 characters. Thread-safe.
bool IsValidId(std::string_view id);

// Every problem in `policy`, in schema order, each naming its entry, e.g.
//   "recipient 'academic_researchers': grant of category 'usage' has transform 'none' but the
//    recipient is pseudonymised-only".
// Empty when the policy is valid. Checks: list sizes (kMaxEntriesPerList); required fields present (ids, names, sources, version,
// effective date, controller, privacy contact); ids snake_case and unique per list; enum values
// in range; every reference (purpose -> category/channel/purpose, grant -> category/purpose)
// resolves; a grant's purpose uses the grant's category; each (category, purpose) granted at
// most once per recipient; consent-based purposes refusable and denied by default;
// pseudonymised-only recipients pseudonymise every grant; retention_days > 0; public categories
// have only public fields; only optional categories list features lost without them.
// `policy` must have been verified (flatbuffers Verifier); absent fields are fine. Thread-safe.
std::vector<std::string> ValidatePolicy(const fb::Policy& policy);

}  // namespace tacet::policy

#endif  // TACET_POLICY_VALIDATE_H_
