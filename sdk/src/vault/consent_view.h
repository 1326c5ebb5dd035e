// LedgerConsentView: the vault's ConsentView answered from the consent ledger's current snapshot.
#ifndef TACET_VAULT_CONSENT_VIEW_H_
#define TACET_VAULT_CONSENT_VIEW_H_

#include <string_view>

#include "consent/consent_ledger.h"
#include "vault/vault.h"

namespace tacet::vault {

// Each call takes the ledger's current snapshot (lock-free, allocation-free), so the vault always
// decides on the latest committed decisions. Keeps a non-owning reference to the ledger, which
// must outlive it. Thread-safe (as the snapshot is).
class LedgerConsentView final : public ConsentView {
 public:
  explicit LedgerConsentView(const consent::ConsentLedger& ledger) : ledger_(ledger) {}

  bool Allows(std::string_view purpose_id, std::string_view category_id) override;
  bool CategoryDeclined(std::string_view category_id) override;
  platform::LocationPrecision location_precision() override;
  const consent::ConsentSnapshot& snapshot() override { return ledger_.snapshot(); }

 private:
  const consent::ConsentLedger& ledger_;
};

}  // namespace tacet::vault

#endif  // TACET_VAULT_CONSENT_VIEW_H_
