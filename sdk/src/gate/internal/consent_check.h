// The consent half of a gate decision, shared by the voice and location gates: the collection
// decision of the consent module (consent::DecideCollection, the same rule the vault applies to
// writes) translated into the gates' DenialReason vocabulary.
#ifndef TACET_GATE_INTERNAL_CONSENT_CHECK_H_
#define TACET_GATE_INTERNAL_CONSENT_CHECK_H_

#include <string_view>

#include "consent/collection.h"
#include "consent/consent_snapshot.h"
#include "gate/gate_types.h"

namespace tacet::gate::internal {

// The DenialReason for a collection decision: kNone when allowed; unknown ids and a category the
// purpose may not use → kPurposeNotAllowedByPolicy; a legal obligation or non-refusable
// legitimate interest → kNotACollectionBasis; a declined category → `not_provided`; a category
// or purpose (or required purpose) never asked → kConsentUnknown; refused → kNoConsent.
DenialReason DenialFor(consent::CollectionReason reason, DenialReason not_provided) noexcept;

// May `purpose_id` capture data of category `category_id` under `snapshot`?
// DenialFor(consent::DecideCollection(snapshot, purpose_id, category_id)). Lock-free and
// allocation-free (lookups over the snapshot's tables), so it runs per audio frame and per fix.
DenialReason CheckConsent(const consent::ConsentSnapshot& snapshot, std::string_view purpose_id,
                          std::string_view category_id, DenialReason not_provided) noexcept;

// A session's purpose and category resolved once, at Acquire, to indices under the policy then
// current, so the per-frame check skips the two id lookups while the policy stays the same.
// Written by the control thread before the slot is published, read-only afterwards.
//
// `policy` is compared, never dereferenced. The comparison is sound because the consent ledger
// keeps every snapshot it published (and with it its policy) alive for its lifetime, so no other
// policy can later occupy the same address while the gate, which must not outlive the ledger,
// runs.
struct CollectionTarget {
  const void* policy = nullptr;
  int purpose = -1;
  int category = -1;

  void Resolve(const consent::ConsentSnapshot& snapshot, std::string_view purpose_id,
               std::string_view category_id) noexcept {
    policy = &snapshot.policy();
    purpose = snapshot.PurposeIndex(purpose_id);
    category = snapshot.CategoryIndex(category_id);
  }
};

// CheckConsent using `target`'s indices when `snapshot` is under the policy they were resolved
// for, and the ids otherwise (after a policy update). The same answer either way.
DenialReason CheckConsent(const consent::ConsentSnapshot& snapshot, const CollectionTarget& target,
                          std::string_view purpose_id, std::string_view category_id,
                          DenialReason not_provided) noexcept;

}  // namespace tacet::gate::internal

#endif  // TACET_GATE_INTERNAL_CONSENT_CHECK_H_
