#include "agent/device_schema.h"
#include "outbox/outbox.h"

#include <set>
#include <string>

#include "agent/device_binding.h"
#include "audit/audit_log.h"
#include "consent/consent_ledger.h"
#include "gate/access_log.h"
#include "store/database.h"
#include "testing/test_util.h"
#include "vault/vault.h"

namespace tacet::agent {
namespace {

// Every step every module publishes appears in the device schema exactly once, so a module that
// adds a step without appending it here fails this test.
TEST(DeviceSchemaTest, ContainsEveryModuleStepOnce) {
  std::multiset<std::string> expected;
  for (auto* module : {consent::ConsentMigrations, audit::AuditMigrations, vault::VaultMigrations,
                       gate::GateMigrations, DeviceMigrations, outbox::OutboxMigrations}) {
    for (const store::Migration& m : module()) expected.insert(m.description);
  }
  std::multiset<std::string> actual;
  const store::Schema& schema = DeviceSchema();
  for (size_t i = 0; i < schema.migrations.size(); ++i) {
    EXPECT_EQ(schema.migrations[i].to_version, static_cast<int>(i + 1));
    actual.insert(schema.migrations[i].description);
  }
  EXPECT_EQ(actual, expected);
}

TEST(DeviceSchemaTest, OpensAFreshDatabaseAtTheLatestVersion) {
  testing::TempDir dir;
  store::OpenOptions options;
  options.schema = &DeviceSchema();
  ASSERT_OK_AND_ASSIGN(auto db, store::Database::Open(dir.File("device.db"), options));
  EXPECT_EQ(db->UserVersion(), static_cast<int>(DeviceSchema().migrations.size()));
  for (const char* table : {"consent_history", "audit_entries", "vault_records", "gate_access_log",
                            "device_identity"}) {
    ASSERT_OK_AND_ASSIGN(auto stmt, db->Prepare("SELECT count(*) FROM sqlite_master WHERE name = ?1"));
    ASSERT_OK(stmt.Bind(1, std::string_view(table)));
    ASSERT_OK_AND_ASSIGN(bool row, stmt.Step());
    ASSERT_TRUE(row);
    EXPECT_EQ(stmt.ColumnInt64(0), 1) << table;
  }
}

}  // namespace
}  // namespace tacet::agent
