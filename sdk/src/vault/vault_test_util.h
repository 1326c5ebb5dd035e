// A vault on a real database file with the real consent ledger and audit log, on an emulated
// device, reopenable like a process restart. For tests and benchmarks only.
#ifndef TACET_VAULT_VAULT_TEST_UTIL_H_
#define TACET_VAULT_VAULT_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "consent/consent_ledger.h"
#include "emulator/emulated_device.h"
#include "policy/policy.h"
#include "store/database.h"
#include "testing/test_util.h"
#include "vault/consent_view.h"
#include "vault/vault.h"

namespace tacet::vault::testing {

// The consent, audit and vault steps one after another, renumbered 1..n (the device schema does
// the same with every module).
inline const store::Schema& VaultTestSchema() {
  static const store::Schema* schema = [] {
    auto* s = new store::Schema{"vault-test", {}};
    for (const auto& module :
         {consent::ConsentMigrations(), audit::AuditMigrations(), VaultMigrations()}) {
      for (store::Migration m : module) {
        m.to_version = static_cast<int>(s->migrations.size()) + 1;
        s->migrations.push_back(m);
      }
    }
    return s;
  }();
  return *schema;
}

// Records what an erasure told it (the sync module's outbox will be the real listener).
class RecordingErasureListener final : public ErasureListener {
 public:
  struct Call {
    std::vector<std::string> categories;
    bool everything;
  };
  Status OnErased(const std::vector<std::string>& categories, bool everything) override {
    calls.push_back({categories, everything});
    return OkStatus();
  }
  std::vector<Call> calls;
};

// A vault on its own connection to a database file (a second process, or another file), with
// its own consent ledger, audit log and Drbg, on the given key store and clock.
class VaultConnection {
 public:
  static StatusOr<std::unique_ptr<VaultConnection>> Open(
      const std::string& path, std::shared_ptr<const policy::Policy> policy,
      platform::Clock& clock, platform::KeyStore& keys, platform::EntropySource& entropy) {
    std::unique_ptr<VaultConnection> c(new VaultConnection());
    TACET_ASSIGN_OR_RETURN(c->drbg_, crypto::Drbg::Create(entropy, "vault connection"));
    TACET_ASSIGN_OR_RETURN(c->db_, store::Database::Open(path, {.schema = &VaultTestSchema()}));
    TACET_ASSIGN_OR_RETURN(c->ledger_,
                           consent::ConsentLedger::Open(*c->db_, policy, clock, keys, *c->drbg_));
    c->view_ = std::make_unique<LedgerConsentView>(*c->ledger_);
    TACET_ASSIGN_OR_RETURN(c->audit_, audit::AuditLog::Open(*c->db_, clock, keys, *c->drbg_));
    VaultDeps deps;
    deps.db = c->db_.get();
    deps.policy = policy;
    deps.consent = c->view_.get();
    deps.keys = &keys;
    deps.clock = &clock;
    deps.drbg = c->drbg_.get();
    deps.audit = c->audit_.get();
    TACET_ASSIGN_OR_RETURN(c->vault_, Vault::Open(deps));
    return c;
  }
  ~VaultConnection() {
    vault_.reset();
    audit_.reset();
    view_.reset();
    ledger_.reset();
    db_.reset();
  }
  Vault& vault() { return *vault_; }
  store::Database& db() { return *db_; }
  consent::ConsentLedger& ledger() { return *ledger_; }

 private:
  VaultConnection() = default;
  std::unique_ptr<crypto::Drbg> drbg_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<consent::ConsentLedger> ledger_;
  std::unique_ptr<LedgerConsentView> view_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<Vault> vault_;
};

class VaultHarness {
 public:
  VaultHarness() {
    auto policy = policy::Policy::LoadEmbedded();
    EXPECT_TRUE(policy.ok()) << policy.status().ToString();
    policy_ = *policy;
    auto drbg = crypto::Drbg::Create(device_.entropy(), "vault test");
    EXPECT_TRUE(drbg.ok());
    drbg_ = std::move(drbg).value();
    Reopen();
  }
  ~VaultHarness() { Close(); }

  void Close() {
    vault_.reset();
    audit_.reset();
    view_.reset();
    ledger_.reset();
    db_.reset();
  }
  // A process restart: everything but the device (clock, key store) and the file goes.
  void Reopen() {
    Close();
    auto db = store::Database::Open(path(), {.schema = &VaultTestSchema()});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    auto ledger = consent::ConsentLedger::Open(*db_, policy_, device_.clock(),
                                               device_.key_store(), *drbg_);
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(ledger).value();
    view_ = std::make_unique<LedgerConsentView>(*ledger_);
    auto audit = audit::AuditLog::Open(*db_, device_.clock(), device_.key_store(), *drbg_);
    ASSERT_TRUE(audit.ok()) << audit.status().ToString();
    audit_ = std::move(audit).value();
    VaultDeps deps;
    deps.db = db_.get();
    deps.policy = policy_;
    deps.consent = view_.get();
    deps.keys = &device_.key_store();
    deps.clock = &device_.clock();
    deps.drbg = drbg_.get();
    deps.audit = audit_.get();
    deps.erasure_listener = &listener_;
    auto vault = Vault::Open(deps);
    ASSERT_TRUE(vault.ok()) << vault.status().ToString();
    vault_ = std::move(vault).value();
  }

  // Consent to everything the vault can hold: the optional categories provided, the consent
  // purposes granted, precise location.
  void GrantEverything() {
    using consent::ConsentState;
    using consent::DecisionSource;
    for (const char* c : {"billing", "payment", "voice", "location", "contest_answers"}) {
      ASSERT_TRUE(ledger_->SetCategoryProvided(c, true, DecisionSource::kUser).ok());
    }
    for (const char* p : {"voice_features", "location_features", "marketing_communications"}) {
      ASSERT_TRUE(ledger_->SetPurpose(p, ConsentState::kGranted, DecisionSource::kUser).ok());
    }
    ASSERT_TRUE(
        ledger_->SetLocationPrecision(platform::LocationPrecision::kPrecise, DecisionSource::kUser)
            .ok());
  }

  // Another connection to `path` (default: this harness's file) with `keys` (default: the
  // device's key store), the device's clock and entropy.
  StatusOr<std::unique_ptr<VaultConnection>> Connect(const std::string& path = "",
                                                     platform::KeyStore* keys = nullptr) {
    return VaultConnection::Open(path.empty() ? this->path() : path, policy_, device_.clock(),
                                 keys != nullptr ? *keys : device_.key_store(), device_.entropy());
  }

  std::string path() const { return dir_.File("device.db"); }
  std::string File(const std::string& name) const { return dir_.File(name); }
  Vault& vault() { return *vault_; }
  store::Database& db() { return *db_; }
  consent::ConsentLedger& ledger() { return *ledger_; }
  audit::AuditLog& audit() { return *audit_; }
  platform::EmulatedDevice& device() { return device_; }
  RecordingErasureListener& listener() { return listener_; }
  const std::shared_ptr<const policy::Policy>& policy() const { return policy_; }

 private:
  tacet::testing::TempDir dir_;
  platform::EmulatedDevice device_;
  std::shared_ptr<const policy::Policy> policy_;
  std::unique_ptr<crypto::Drbg> drbg_;
  RecordingErasureListener listener_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<consent::ConsentLedger> ledger_;
  std::unique_ptr<LedgerConsentView> view_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<Vault> vault_;
};

}  // namespace tacet::vault::testing

#endif  // TACET_VAULT_VAULT_TEST_UTIL_H_
