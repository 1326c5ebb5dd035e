// The consent half of a gate decision, shared by the voice and location gates.
#ifndef TACET_GATE_INTERNAL_CONSENT_CHECK_H_
#define TACET_GATE_INTERNAL_CONSENT_CHECK_H_

#include <string_view>

#include "consent/consent_snapshot.h"
#include "gate/gate_types.h"

namespace tacet::gate::internal {

// May `purpose_id` use data category `category_id` under `snapshot`? kNone when
// snapshot.Allows(purpose, category); otherwise the first failing check, in this order:
//   1. the policy names the purpose and the category and lets the purpose use the category
//      (kPurposeNotAllowedByPolicy);
//   2. the (optional) category is provided: declined → `not_provided`, never asked →
//      kConsentUnknown;
//   3. the purpose and each of its required_purposes is allowed: a refusal → kNoConsent, an
//      unanswered question → kConsentUnknown.
// Lock-free and allocation-free (lookups over the snapshot's tables), so it runs per audio frame.
DenialReason CheckConsent(const consent::ConsentSnapshot& snapshot, std::string_view purpose_id,
                          std::string_view category_id, DenialReason not_provided) noexcept;

}  // namespace tacet::gate::internal

#endif  // TACET_GATE_INTERNAL_CONSENT_CHECK_H_
