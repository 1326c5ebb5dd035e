// What changed between two policies, and which of the user's choices survive the change.
//
// The rule (docs/policy.md, "Updates"): a purpose whose scope widened needs consent again; a
// purpose whose scope stayed the same or narrowed keeps the user's choice. Scope widens when the
// purpose uses a new category or channel, reaches a recipient (for some category) it did not reach
// before, reaches one in a weaker form (transform lower in None < Coarsen < Pseudonymise <
// Aggregate < Drop), a recipient it reaches drops requires_notice / legal_process_only, it stops
// requiring another purpose, becomes non-refusable, becomes granted by default, or changes legal
// basis.
#ifndef TACET_POLICY_DIFF_H_
#define TACET_POLICY_DIFF_H_

#include <cstdint>
#include <string>
#include <vector>

#include "policy/policy.h"

namespace tacet::policy {

struct WidenedPurpose {
  std::string purpose;
  // One line per widening, e.g. "now uses category 'location'",
  // "now goes to recipient 'advertising_partners' (category 'usage', as pseudonymise)".
  std::vector<std::string> reasons;
};

struct PolicyDiff {
  uint64_t old_version = 0;
  uint64_t new_version = 0;

  // Purposes only in the new policy: never decided by the user.
  std::vector<std::string> added_purposes;
  // Purposes only in the old policy: their consent records become moot.
  std::vector<std::string> removed_purposes;
  // Purposes in both whose scope widened: the user's choice must be asked again.
  std::vector<WidenedPurpose> widened_purposes;
  // Purposes in both whose scope did not widen (same or narrower): the user's choice stands.
  std::vector<std::string> unchanged_purposes;

  std::vector<std::string> added_categories, removed_categories;
  std::vector<std::string> added_recipients, removed_recipients;
  std::vector<std::string> added_channels, removed_channels;

  // The business changed hands (controller name differs): nothing may be disclosed until the user
  // has acknowledged a notice (PolicyManager).
  bool controller_changed = false;
  std::string old_controller;
  std::string new_controller;

  // added_purposes then the widened ones: the purposes the consent ledger must (re-)ask about.
  std::vector<std::string> PurposesNeedingConsent() const;
  bool IsWidened(std::string_view purpose) const;
};

// Compares two validated policies. Pure; thread-safe; entries appear in the new (or, for removed
// ones, the old) policy's order.
PolicyDiff DiffPolicies(const Policy& old_policy, const Policy& new_policy);

}  // namespace tacet::policy

#endif  // TACET_POLICY_DIFF_H_
