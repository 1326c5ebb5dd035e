#include "gate/internal/consent_check.h"

namespace tacet::gate::internal {

DenialReason DenialFor(consent::CollectionReason reason, DenialReason not_provided) noexcept {
  using consent::CollectionReason;
  switch (reason) {
    case CollectionReason::kAllowed: return DenialReason::kNone;
    case CollectionReason::kUnknownPurpose:
    case CollectionReason::kUnknownCategory:
    case CollectionReason::kNotUsedByPurpose: return DenialReason::kPurposeNotAllowedByPolicy;
    case CollectionReason::kNotACollectionBasis: return DenialReason::kNotACollectionBasis;
    case CollectionReason::kCategoryDeclined: return not_provided;
    case CollectionReason::kCategoryNotAsked:
    case CollectionReason::kPurposeNotAsked:
    case CollectionReason::kRequiredPurposeNotAsked: return DenialReason::kConsentUnknown;
    case CollectionReason::kPurposeRefused:
    case CollectionReason::kRequiredPurposeRefused: return DenialReason::kNoConsent;
  }
  return DenialReason::kNoConsent;  // a reason this build does not know is never an allowance
}

DenialReason CheckConsent(const consent::ConsentSnapshot& s, std::string_view purpose_id,
                          std::string_view category_id, DenialReason not_provided) noexcept {
  return DenialFor(consent::DecideCollection(s, purpose_id, category_id).reason, not_provided);
}

DenialReason CheckConsent(const consent::ConsentSnapshot& s, const CollectionTarget& target,
                          std::string_view purpose_id, std::string_view category_id,
                          DenialReason not_provided) noexcept {
  if (target.policy == &s.policy()) {
    return DenialFor(consent::DecideCollection(s, target.purpose, target.category).reason,
                     not_provided);
  }
  return CheckConsent(s, purpose_id, category_id, not_provided);
}

}  // namespace tacet::gate::internal
