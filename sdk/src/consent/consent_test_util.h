// A consent ledger on a real database file, reopenable like a process restart. For tests only.
#ifndef TACET_CONSENT_CONSENT_TEST_UTIL_H_
#define TACET_CONSENT_CONSENT_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "consent/consent_ledger.h"
#include "crypto/crypto_test_util.h"
#include "emulator/memory_key_store.h"
#include "emulator/virtual_clock.h"
#include "policy/policy.h"
#include "store/database.h"
#include "testing/test_util.h"

namespace tacet::consent::testing {

inline const store::Schema& ConsentSchema() {
  static const store::Schema* schema = new store::Schema{"consent", ConsentMigrations()};
  return *schema;
}

inline std::shared_ptr<const policy::Policy> ShippedPolicy() {
  auto policy = policy::Policy::LoadEmbedded();
  EXPECT_TRUE(policy.ok()) << policy.status().ToString();
  return policy.ok() ? *policy : nullptr;
}

// Owns a temporary database file, a key store (which, like the file, survives Reopen), the
// Database and the ledger over it.
class LedgerHarness {
 public:
  explicit LedgerHarness(std::shared_ptr<const policy::Policy> policy = ShippedPolicy())
      : policy_(std::move(policy)) {
    Reopen();
  }
  ~LedgerHarness() { Close(); }

  // Destroys the ledger and the Database (a process restart), then opens both again.
  void Reopen(std::shared_ptr<const policy::Policy> policy = nullptr) {
    Close();
    if (policy != nullptr) policy_ = std::move(policy);
    store::OpenOptions options;
    options.schema = &ConsentSchema();
    auto db = store::Database::Open(path(), options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = *std::move(db);
    auto ledger = ConsentLedger::Open(*db_, policy_, clock_, keys_, crypto::testing::TestDrbg());
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = *std::move(ledger);
  }
  void Close() {
    ledger_.reset();
    db_.reset();
  }

  std::string path() const { return dir_.File("device.db"); }
  ConsentLedger& ledger() { return *ledger_; }
  store::Database& db() { return *db_; }
  platform::VirtualClock& clock() { return clock_; }
  platform::MemoryKeyStore& keys() { return keys_; }
  const std::shared_ptr<const policy::Policy>& policy() const { return policy_; }
  const ConsentSnapshot& snapshot() { return ledger_->snapshot(); }

 private:
  tacet::testing::TempDir dir_;
  platform::VirtualClock clock_;
  platform::MemoryKeyStore keys_;
  std::shared_ptr<const policy::Policy> policy_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<ConsentLedger> ledger_;
};

}  // namespace tacet::consent::testing

#endif  // TACET_CONSENT_CONSENT_TEST_UTIL_H_
