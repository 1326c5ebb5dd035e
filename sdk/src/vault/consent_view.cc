#include "vault/consent_view.h"

namespace tacet::vault {

bool LedgerConsentView::Allows(std::string_view purpose_id, std::string_view category_id) {
  const consent::ConsentSnapshot& s = ledger_.snapshot();
  const int purpose = s.PurposeIndex(purpose_id);
  const int category = s.CategoryIndex(category_id);
  // An unknown id is never allowed (and -1 for the category would mean "any category").
  if (purpose < 0 || category < 0) return false;
  return s.Allows(purpose, category);
}

bool LedgerConsentView::CategoryDeclined(std::string_view category_id) {
  const consent::ConsentSnapshot& s = ledger_.snapshot();
  return s.category(s.CategoryIndex(category_id)) == consent::ConsentState::kDenied;
}

platform::LocationPrecision LedgerConsentView::location_precision() {
  return ledger_.snapshot().location_precision();
}

}  // namespace tacet::vault
