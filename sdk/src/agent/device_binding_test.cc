// BindDevice: a database and a key store that belong together, and the generation counter.
#include "agent/device_binding.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "agent/device_schema.h"
#include "audit/audit_log.h"
#include "emulator/emulator_entropy.h"
#include "emulator/memory_key_store.h"
#include "emulator/virtual_clock.h"
#include "store/database.h"
#include "testing/test_util.h"

namespace tacet::agent {
namespace {

using platform::MemoryKeyStore;

class DeviceBindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto drbg = crypto::Drbg::Create(entropy_, "binding test");
    ASSERT_TRUE(drbg.ok());
    drbg_ = *std::move(drbg);
  }
  std::unique_ptr<store::Database> OpenDb(const std::string& name) {
    store::OpenOptions options;
    options.schema = &DeviceSchema();
    auto db = store::Database::Open(dir_.File(name), options);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? *std::move(db) : nullptr;
  }
  StatusOr<DeviceIdentity> Bind(store::Database& db, MemoryKeyStore& keys, bool writable = true) {
    return BindDevice(db, keys, *drbg_, clock_, writable);
  }
  // Gives `db` some personal-data history: an audit entry anchored under `keys`.
  void AddAuditEntry(store::Database& db, MemoryKeyStore& keys) {
    auto audit = audit::AuditLog::Open(db, clock_, keys, *drbg_);
    ASSERT_TRUE(audit.ok()) << audit.status().ToString();
    ASSERT_TRUE((*audit)->Append(audit::AuditKind::kExport, "everything", "test").ok());
  }

  testing::TempDir dir_;
  platform::EmulatorEntropy entropy_{7};
  platform::VirtualClock clock_;
  std::unique_ptr<crypto::Drbg> drbg_;
};

TEST_F(DeviceBindingTest, ANewDeviceIsBoundBothWays) {
  MemoryKeyStore keys;
  auto db = OpenDb("device.db");
  auto identity = Bind(*db, keys);
  ASSERT_TRUE(identity.ok()) << identity.status().ToString();
  auto stored = ReadKeyStoreBinding(keys);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->database_id, identity->database_id);
  EXPECT_EQ(stored->keystore_id, identity->keystore_id);
  // Reopening finds the same pair.
  auto again = Bind(*db, keys);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->database_id, identity->database_id);
}

TEST_F(DeviceBindingTest, AnotherDevicesKeyStoreIsRefusedAndNothingChanges) {
  MemoryKeyStore keys_a, keys_b;
  auto db_a = OpenDb("a.db");
  auto db_b = OpenDb("b.db");
  ASSERT_TRUE(Bind(*db_a, keys_a).ok());
  ASSERT_TRUE(Bind(*db_b, keys_b).ok());
  const size_t keys_before = keys_a.size();
  auto mixed = Bind(*db_b, keys_a);
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(mixed.status().message().find("do not belong together"), std::string::npos)
      << mixed.status().message();
  EXPECT_EQ(keys_a.size(), keys_before);
  EXPECT_TRUE(Bind(*db_a, keys_a).ok()) << "the right pair still opens";
}

TEST_F(DeviceBindingTest, AMistypedDatabaseCannotTakeOverABoundKeyStore) {
  MemoryKeyStore keys;
  auto real = OpenDb("device.db");
  ASSERT_TRUE(Bind(*real, keys).ok());
  auto typo = OpenDb("devcie.db");
  auto refused = Bind(*typo, keys);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("belongs to database"), std::string::npos)
      << refused.status().message();
  EXPECT_TRUE(Bind(*real, keys).ok());
}

TEST_F(DeviceBindingTest, ABoundDatabaseWithAnEmptyKeyStoreIsRefused) {
  MemoryKeyStore keys, empty;
  auto db = OpenDb("device.db");
  ASSERT_TRUE(Bind(*db, keys).ok());
  AddAuditEntry(*db, keys);
  auto refused = Bind(*db, empty);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("is empty"), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(empty.size(), 0u) << "no key was made in the wrong store";
}

TEST_F(DeviceBindingTest, ANewDatabaseIsNotMixedWithAUsedUnboundKeyStore) {
  MemoryKeyStore keys;
  ASSERT_TRUE(keys.Put("vault_kek", Bytes(32, 9)).ok());  // a store from before binding existed
  auto db = OpenDb("device.db");
  auto refused = Bind(*db, keys);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("already holds another device's keys"),
            std::string::npos)
      << refused.status().message();
}

TEST_F(DeviceBindingTest, AnInterruptedBindingIsFinishedWhileNothingIsStored) {
  MemoryKeyStore keys;
  auto db = OpenDb("device.db");
  ASSERT_TRUE(Bind(*db, keys).ok());
  // The crash: the database's row committed, the key store's binding never written.
  ASSERT_TRUE(keys.Delete(kDeviceBindingKeyName).ok());
  auto finished = Bind(*db, keys);
  ASSERT_TRUE(finished.ok()) << finished.status().ToString();
  EXPECT_TRUE(ReadKeyStoreBinding(keys).ok());
  // Read-only opens never finish it.
  ASSERT_TRUE(keys.Delete(kDeviceBindingKeyName).ok());
  EXPECT_FALSE(Bind(*db, keys, /*writable=*/false).ok());
}

TEST_F(DeviceBindingTest, ADatabaseFromBeforeBindingIsAdoptedOnlyByItsOwnKeyStore) {
  MemoryKeyStore own, other;
  auto db = OpenDb("device.db");
  AddAuditEntry(*db, own);  // data, anchored under `own`'s audit key, and no identity yet
  {
    auto other_db = OpenDb("other.db");
    AddAuditEntry(*other_db, other);
  }
  auto refused = Bind(*db, other);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("does not prove to be its own"), std::string::npos)
      << refused.status().message();
  auto adopted = Bind(*db, own);
  ASSERT_TRUE(adopted.ok()) << adopted.status().ToString();
  EXPECT_TRUE(ReadKeyStoreBinding(own).ok());
}

TEST_F(DeviceBindingTest, AnOlderCopyOfTheDatabaseIsRefused) {
  MemoryKeyStore keys;
  {
    auto db = OpenDb("device.db");
    ASSERT_TRUE(Bind(*db, keys).ok());
    ASSERT_TRUE(AdvanceGeneration(*db, keys).ok());
  }
  // The copy an attacker (or a careless restore) keeps.
  const Bytes old_copy = testing::ReadFileOrDie(dir_.File("device.db"));
  {
    auto db = OpenDb("device.db");
    ASSERT_TRUE(Bind(*db, keys).ok());
    ASSERT_TRUE(AdvanceGeneration(*db, keys).ok());  // a later session
  }
  testing::WriteFileOrDie(dir_.File("device.db"), old_copy);
  auto db = OpenDb("device.db");
  auto refused = Bind(*db, keys);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(refused.status().message().find("replaced by an earlier copy"), std::string::npos)
      << refused.status().message();
}

TEST_F(DeviceBindingTest, ACrashBetweenTheTwoGenerationStepsIsRepaired) {
  MemoryKeyStore keys;
  auto db = OpenDb("device.db");
  ASSERT_TRUE(Bind(*db, keys).ok());
  ASSERT_TRUE(AdvanceGeneration(*db, keys).ok());
  // The database advanced, the key store did not.
  ASSERT_TRUE(db->Exec("UPDATE device_identity SET generation = generation + 1").ok());
  auto repaired = Bind(*db, keys);
  ASSERT_TRUE(repaired.ok()) << repaired.status().ToString();
  EXPECT_EQ(*platform::ReadCounter(keys, kDeviceGenerationCounterName), repaired->generation);
  // Two ahead is not a crash: the key store went back in time.
  ASSERT_TRUE(db->Exec("UPDATE device_identity SET generation = generation + 2").ok());
  auto refused = Bind(*db, keys);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace tacet::agent
