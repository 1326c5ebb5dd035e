#include "consent/collection.h"

#include "consent/consent_snapshot.h"

namespace tacet::consent {
namespace {

const policy::Purpose& PurposeEntry(const ConsentSnapshot& s, int index) noexcept {
  return s.policy().model().purposes[static_cast<size_t>(index)];
}

// The first purpose in `index`'s required_purposes that is not allowed; -1 when there is none
// (or the requirement does not resolve, which the validator refuses).
int FirstMissingRequirement(const ConsentSnapshot& s, int index) noexcept {
  for (std::string_view r : PurposeEntry(s, index).required_purposes) {
    const int ri = s.PurposeIndex(r);
    if (ri < 0) return -1;
    if (!s.Allows(ri)) return ri;
  }
  return -1;
}

}  // namespace

const char* CollectionReasonName(CollectionReason reason) noexcept {
  return NameOf(kCollectionReasons, reason, "invalid");
}

const char* CollectionReasonText(CollectionReason reason) noexcept {
  const CollectionReasonRow* row = FindEnumRow(kCollectionReasons, reason);
  return row != nullptr ? row->text : "invalid collection reason";
}

bool IsCollectionBasis(const ConsentSnapshot& s, int purpose_index) noexcept {
  if (purpose_index < 0 || purpose_index >= s.purpose_count()) return false;
  const policy::Purpose& p = PurposeEntry(s, purpose_index);
  switch (p.legal_basis) {
    case policy::LegalBasis::kLegalObligation: return false;
    case policy::LegalBasis::kLegitimateInterest: return p.refusable;
    case policy::LegalBasis::kConsent:
    case policy::LegalBasis::kContract: return true;
  }
  return false;  // a basis this build does not know is no reason to collect
}

CollectionDecision DecideCollection(const ConsentSnapshot& s, int purpose_index,
                                    int category_index) noexcept {
  CollectionDecision d;
  if (purpose_index < 0 || purpose_index >= s.purpose_count()) return d;  // kUnknownPurpose
  d.purpose_index = purpose_index;
  if (category_index < 0 || category_index >= s.category_count()) {
    d.reason = CollectionReason::kUnknownCategory;
    return d;
  }
  // The common case first, for the per-frame path: Allows(p, c) covers checks 2, 4, 5 and 6.
  const bool basis = IsCollectionBasis(s, purpose_index);
  if (basis && s.Allows(purpose_index, category_index)) {
    d.reason = CollectionReason::kAllowed;
    return d;
  }
  const std::string_view category_id =
      s.policy().model().categories[static_cast<size_t>(category_index)].id;
  if (!s.policy().MayUse(category_id, PurposeEntry(s, purpose_index).id).allowed) {
    d.reason = CollectionReason::kNotUsedByPurpose;
    return d;
  }
  if (!basis) {
    d.reason = CollectionReason::kNotACollectionBasis;
    return d;
  }
  switch (s.category(category_index)) {
    case ConsentState::kGranted: break;
    case ConsentState::kDenied: d.reason = CollectionReason::kCategoryDeclined; return d;
    case ConsentState::kUnknown: d.reason = CollectionReason::kCategoryNotAsked; return d;
  }
  switch (s.purpose(purpose_index)) {
    case ConsentState::kGranted: break;
    case ConsentState::kDenied: d.reason = CollectionReason::kPurposeRefused; return d;
    case ConsentState::kUnknown: d.reason = CollectionReason::kPurposeNotAsked; return d;
  }
  // Granted itself, so a requirement is missing: follow the chain to the purpose whose own state
  // is not granted (bounded: a requirement cycle is never allowed and ends the walk).
  int missing = FirstMissingRequirement(s, purpose_index);
  for (int step = 0; missing >= 0 && step < s.purpose_count(); ++step) {
    if (s.purpose(missing) != ConsentState::kGranted) break;
    const int next = FirstMissingRequirement(s, missing);
    if (next < 0) break;
    missing = next;
  }
  if (missing >= 0) d.purpose_index = missing;
  d.reason = missing >= 0 && s.purpose(missing) == ConsentState::kUnknown
                 ? CollectionReason::kRequiredPurposeNotAsked
                 : CollectionReason::kRequiredPurposeRefused;
  return d;
}

CollectionDecision DecideCollection(const ConsentSnapshot& s, std::string_view purpose_id,
                                    std::string_view category_id) noexcept {
  return DecideCollection(s, s.PurposeIndex(purpose_id), s.CategoryIndex(category_id));
}

}  // namespace tacet::consent
