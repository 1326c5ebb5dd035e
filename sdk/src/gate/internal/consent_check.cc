#include "gate/internal/consent_check.h"

namespace tacet::gate::internal {
namespace {

using consent::ConsentState;

// Why an individual purpose (without category) is not allowed.
DenialReason PurposeReason(const consent::ConsentSnapshot& s, int index) noexcept {
  return s.purpose(index) == ConsentState::kUnknown ? DenialReason::kConsentUnknown
                                                    : DenialReason::kNoConsent;
}

}  // namespace

DenialReason CheckConsent(const consent::ConsentSnapshot& s, std::string_view purpose_id,
                          std::string_view category_id, DenialReason not_provided) noexcept {
  int purpose = s.PurposeIndex(purpose_id);
  int category = s.CategoryIndex(category_id);
  if (purpose < 0 || category < 0 || !s.policy().MayUse(category_id, purpose_id).allowed) {
    return DenialReason::kPurposeNotAllowedByPolicy;
  }
  switch (s.category(category)) {
    case ConsentState::kGranted: break;
    case ConsentState::kDenied: return not_provided;
    case ConsentState::kUnknown: return DenialReason::kConsentUnknown;
  }
  if (s.Allows(purpose, category)) return DenialReason::kNone;
  if (!s.Allows(purpose) && s.purpose(purpose) != ConsentState::kGranted) {
    return PurposeReason(s, purpose);
  }
  // The purpose itself is granted: a required purpose is what is missing.
  const auto* entry = s.policy().root().purposes()->Get(static_cast<flatbuffers::uoffset_t>(purpose));
  if (entry->required_purposes() != nullptr) {
    for (const auto* required : *entry->required_purposes()) {
      int r = s.PurposeIndex(required->string_view());
      if (!s.Allows(r)) return PurposeReason(s, r);
    }
  }
  return DenialReason::kNoConsent;
}

}  // namespace tacet::gate::internal
