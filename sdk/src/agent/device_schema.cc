#include "agent/device_schema.h"

#include <vector>

#include "agent/device_binding.h"
#include "audit/audit_log.h"
#include "consent/consent_ledger.h"
#include "gate/access_log.h"
#include "outbox/outbox.h"
#include "vault/vault.h"

namespace tacet::agent {
namespace {

// One row per shipped module step: which module, and which of its steps (1-based).
struct Step {
  std::vector<store::Migration> (*module)();
  int module_version;
};

// Append only. Device version = position in this list + 1.
constexpr Step kDeviceSteps[] = {
    {consent::ConsentMigrations, 1},  // device v1
    {audit::AuditMigrations, 1},      // device v2
    {vault::VaultMigrations, 1},      // device v3
    {gate::GateMigrations, 1},        // device v4
    {DeviceMigrations, 1},            // device v5
    {vault::VaultMigrations, 2},      // device v6
    {consent::ConsentMigrations, 2},  // device v7
    {outbox::OutboxMigrations, 1},    // device v8
    {outbox::OutboxMigrations, 2},    // device v9
    {outbox::OutboxMigrations, 3},    // device v10
    {outbox::OutboxMigrations, 4},    // device v11
};

store::Schema* Build() {
  auto* schema = new store::Schema{"tacet-device", {}};
  int version = 0;
  for (const Step& step : kDeviceSteps) {
    store::Migration m = step.module()[static_cast<size_t>(step.module_version - 1)];
    m.to_version = ++version;
    schema->migrations.push_back(m);
  }
  return schema;
}

}  // namespace

const store::Schema& DeviceSchema() {
  static const store::Schema* schema = Build();
  return *schema;
}

}  // namespace tacet::agent
