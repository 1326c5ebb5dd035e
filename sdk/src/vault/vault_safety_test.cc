// The vault never destroys a key it should keep (issue 8 item 1), makes keys and single values
// race-free (item 7), and detects tampering beyond each ciphertext (item 9).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "crypto/aead.h"
#include "emulator/memory_key_store.h"
#include "testing/status_matchers.h"
#include "vault/key_ring.h"
#include "vault/vault.h"
#include "vault/vault_test_util.h"

namespace tacet::vault {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;
using testing::VaultConnection;
using testing::VaultHarness;

constexpr int64_t kDay = 86400000;

// A key store that forwards to another one, with hooks to reproduce interleavings and crashes.
class HookedKeyStore final : public platform::KeyStore {
 public:
  explicit HookedKeyStore(platform::KeyStore& inner) : inner_(inner) {}
  Status Put(std::string_view name, ByteView secret) override {
    if (before_put) before_put(name);
    Status s = inner_.Put(name, secret);
    if (after_put) after_put(name);
    return s;
  }
  StatusOr<Bytes> Get(std::string_view name) override { return inner_.Get(name); }
  Status Delete(std::string_view name) override {
    if (fail_delete) return UnavailableError("hooked key store: delete fails (simulated crash)");
    return inner_.Delete(name);
  }
  std::function<void(std::string_view)> before_put;
  std::function<void(std::string_view)> after_put;
  bool fail_delete = false;

 private:
  platform::KeyStore& inner_;
};

int64_t QueryInt(store::Database& db, const std::string& sql) {
  auto q = db.Prepare(sql);
  EXPECT_OK(q.status());
  if (!q.ok()) return -1;
  auto row = q->Step();
  EXPECT_OK(row.status());
  return row.ok() && *row ? q->ColumnInt64(0) : -1;
}

class VaultSafetyTest : public ::testing::Test {
 protected:
  Vault& vault() { return h_.vault(); }
  store::Database& db() { return h_.db(); }
  VaultHarness h_;
};

// ---------------------------------------------------------------------------------------------
// Item 1: opening a database never destroys a data key.

TEST_F(VaultSafetyTest, OpeningAnotherDatabaseWithTheSameKeyStoreDestroysNoKey) {
  h_.GrantEverything();
  const std::vector<std::tuple<std::string, std::string, std::string>> fields = {
      {"name", "full_name", "Ada Lovelace"},
      {"contact", "email_address", "ada@example.org"},
      {"usage", "search_queries", "jazz"},
      {"voice", "voice_commands", "play jazz"},
      {"location", "approximate_location", "Berlin"}};
  std::vector<int64_t> ids;
  for (const auto& [c, f, v] : fields) {
    ASSERT_OK_AND_ASSIGN(int64_t id, vault().Add(c, f, v, ChangeSource::kUser));
    ids.push_back(id);
  }
  // A typo in the database path: a fresh, empty database with the real key store.
  {
    ASSERT_OK_AND_ASSIGN(auto typo, h_.Connect(h_.File("devcie.db")));
    ASSERT_OK(typo->vault().Verify());
  }
  for (const auto& [c, f, v] : fields) {
    EXPECT_OK(h_.device().key_store().Get("vault_dek_" + c).status()) << c;
  }
  h_.Reopen();
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(Record r, vault().Get(ids[i]));
    EXPECT_EQ(r.value, std::get<2>(fields[i]));
  }
  EXPECT_OK(vault().Verify());
}

// The old Open deleted the key of every category without committed rows: a second process
// opening while the first one wrote a category's first record (key stored, row not yet committed)
// destroyed that new key, and the write reported as successful became unreadable.
TEST_F(VaultSafetyTest, OpeningWhileAnotherConnectionWritesAFirstRecordKeepsItsKey) {
  HookedKeyStore hooked(h_.device().key_store());
  ASSERT_OK_AND_ASSIGN(auto writer, h_.Connect("", &hooked));
  std::unique_ptr<VaultConnection> second;
  bool opened_in_between = false;
  hooked.after_put = [&](std::string_view name) {
    if (name != "vault_dek_usage" || second != nullptr) return;
    // The writer's transaction is open: the row is not committed, the key is in the store.
    auto c = h_.Connect();
    ASSERT_OK(c.status());
    second = std::move(c).value();
    opened_in_between = true;
  };
  ASSERT_OK_AND_ASSIGN(int64_t id,
                       writer->vault().Add("usage", "search_queries", "jazz", ChangeSource::kApp));
  ASSERT_TRUE(opened_in_between);
  EXPECT_OK(h_.device().key_store().Get("vault_dek_usage").status());
  ASSERT_OK_AND_ASSIGN(Record read_by_writer, writer->vault().Get(id));
  EXPECT_EQ(read_by_writer.value, "jazz");
  ASSERT_OK_AND_ASSIGN(Record read_by_second, second->vault().Get(id));
  EXPECT_EQ(read_by_second.value, "jazz");
  second.reset();
  writer.reset();
  h_.Reopen();
  ASSERT_OK_AND_ASSIGN(Record r, vault().Get(id));
  EXPECT_EQ(r.value, "jazz");
}

TEST_F(VaultSafetyTest, CrashBetweenErasureCommitAndKeyDestructionIsFinishedAtOpen) {
  ASSERT_OK(vault().Add("usage", "search_queries", "q1", ChangeSource::kApp).status());
  ASSERT_OK_AND_ASSIGN(int64_t name, vault().Set("name", "full_name", "Ada", ChangeSource::kUser));
  // The key store fails to delete: as if the process died right after the erasure committed.
  HookedKeyStore crashing(h_.device().key_store());
  crashing.fail_delete = true;
  {
    ASSERT_OK_AND_ASSIGN(auto c, h_.Connect("", &crashing));
    EXPECT_THAT(c->vault().Erase("usage"),
                StatusIs(StatusCode::kUnavailable, HasSubstr("erasure committed")));
  }
  EXPECT_EQ(QueryInt(db(), "SELECT count(*) FROM vault_records WHERE category = 'usage'"), 0);
  EXPECT_EQ(QueryInt(db(), "SELECT count(*) FROM vault_erasure_intents WHERE category = 'usage'"),
            1);
  ASSERT_OK(h_.device().key_store().Get("vault_dek_usage").status());
  // The next open finishes it: key destroyed, intent cleared; the rest untouched.
  h_.Reopen();
  EXPECT_THAT(h_.device().key_store().Get("vault_dek_usage"), StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(QueryInt(db(), "SELECT count(*) FROM vault_erasure_intents"), 0);
  ASSERT_OK_AND_ASSIGN(Record r, vault().Get(name));
  EXPECT_EQ(r.value, "Ada");
  EXPECT_OK(vault().Verify());
}

// Someone who can write the database inserts erasure intents for categories that hold data. An
// erasure deletes the rows in the transaction that writes its intent, so such an intent is not
// an erasure's: no key is destroyed on its say-so (found by review: every open used to shred).
TEST_F(VaultSafetyTest, ForgedErasureIntentBesideRowsDestroysNoKey) {
  ASSERT_OK_AND_ASSIGN(int64_t name, vault().Set("name", "full_name", "Ada", ChangeSource::kUser));
  ASSERT_OK(vault().Add("usage", "search_queries", "q1", ChangeSource::kApp).status());
  ASSERT_OK(db().Exec("INSERT INTO vault_erasure_intents (category) VALUES ('name'), ('usage')"));
  h_.Reopen();
  ASSERT_OK(h_.device().key_store().Get("vault_dek_name").status());
  ASSERT_OK(h_.device().key_store().Get("vault_dek_usage").status());
  ASSERT_OK_AND_ASSIGN(Record r, vault().Get(name));
  EXPECT_EQ(r.value, "Ada");
  // A write to such a category is refused rather than shredding the key under its rows.
  EXPECT_THAT(vault().Add("usage", "search_queries", "q2", ChangeSource::kApp),
              StatusIs(StatusCode::kDataLoss, HasSubstr("no erasure wrote it")));
  ASSERT_OK(h_.device().key_store().Get("vault_dek_usage").status());
  EXPECT_THAT(vault().Verify(), StatusIs(StatusCode::kDataLoss, HasSubstr("erasure intent")));
}

// A connection opened before the crash does not reopen: its next write to the category finishes
// the erasure first, so the new value is sealed under a new key, never the one to be destroyed.
TEST_F(VaultSafetyTest, PendingErasureIsFinishedByTheNextWriteOfItsCategory) {
  ASSERT_OK(vault().Add("usage", "search_queries", "q1", ChangeSource::kApp).status());
  ASSERT_OK_AND_ASSIGN(Bytes old_key, h_.device().key_store().Get("vault_dek_usage"));
  HookedKeyStore crashing(h_.device().key_store());
  crashing.fail_delete = true;
  {
    ASSERT_OK_AND_ASSIGN(auto c, h_.Connect("", &crashing));
    ASSERT_FALSE(c->vault().Erase("usage").ok());
  }
  ASSERT_OK_AND_ASSIGN(int64_t id, vault().Add("usage", "search_queries", "q2", ChangeSource::kApp));
  EXPECT_EQ(QueryInt(db(), "SELECT count(*) FROM vault_erasure_intents"), 0);
  ASSERT_OK_AND_ASSIGN(Bytes new_key, h_.device().key_store().Get("vault_dek_usage"));
  EXPECT_NE(new_key, old_key);
  h_.Reopen();  // nothing pending: the new key stays
  ASSERT_OK_AND_ASSIGN(Record r, vault().Get(id));
  EXPECT_EQ(r.value, "q2");
  EXPECT_OK(vault().Verify());
}

// Another process erasing the category while this one holds its key in memory: the next write
// reads the key store again instead of sealing under the destroyed key.
TEST_F(VaultSafetyTest, WriteAfterAnotherConnectionErasedTheCategoryUsesANewKey) {
  ASSERT_OK(vault().Add("usage", "search_queries", "q1", ChangeSource::kApp).status());
  {
    ASSERT_OK_AND_ASSIGN(auto other, h_.Connect());
    ASSERT_OK(other->vault().Erase("usage").status());
  }
  ASSERT_OK_AND_ASSIGN(int64_t id, vault().Add("usage", "search_queries", "q2", ChangeSource::kApp));
  h_.Reopen();
  ASSERT_OK_AND_ASSIGN(Record r, vault().Get(id));
  EXPECT_EQ(r.value, "q2");
}

TEST_F(VaultSafetyTest, ErasureStillShredsTheKeyAndClearsItsIntent) {
  ASSERT_OK_AND_ASSIGN(int64_t id, vault().Add("usage", "search_queries", "q", ChangeSource::kApp));
  ASSERT_OK(vault().Erase("usage").status());
  EXPECT_THAT(h_.device().key_store().Get("vault_dek_usage"), StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(QueryInt(db(), "SELECT count(*) FROM vault_erasure_intents"), 0);
  EXPECT_THAT(vault().Get(id), StatusIs(StatusCode::kNotFound));
  EXPECT_OK(vault().Verify());
}

// ---------------------------------------------------------------------------------------------
// Item 7: key creation is atomic and idempotent; zero keys are refused; one value per field.

// Wraps `dek` for `category` under the KEK in `keys`, as another process would have.
Bytes WrapUnderStoredKek(platform::KeyStore& keys, std::string_view category, const Bytes& dek) {
  auto kek = keys.Get(kVaultKekName);
  EXPECT_OK(kek.status());
  const Bytes nonce(crypto::kAeadNonceSize, 0x5a);
  auto wrapped = KeyRing::WrapDataKey(*kek, category, nonce, dek);
  EXPECT_OK(wrapped.status());
  return wrapped.ok() ? *wrapped : Bytes{};
}

TEST_F(VaultSafetyTest, LosingTheDataKeyCreationRaceUsesTheWinnersKey) {
  HookedKeyStore racing(h_.device().key_store());
  const Bytes winner_dek(32, 0x42);
  bool raced = false;
  racing.before_put = [&](std::string_view name) {
    if (name != "vault_dek_usage" || raced) return;
    raced = true;
    // Another process stores its key first.
    ASSERT_OK(h_.device().key_store().Put(
        name, WrapUnderStoredKek(h_.device().key_store(), "usage", winner_dek)));
  };
  ASSERT_OK_AND_ASSIGN(auto c, h_.Connect("", &racing));
  ASSERT_OK_AND_ASSIGN(int64_t id, c->vault().Add("usage", "search_queries", "won", ChangeSource::kApp));
  // The value is sealed under the winner's key: open it with that key directly.
  ASSERT_OK_AND_ASSIGN(auto q, c->db().Prepare("SELECT nonce, ciphertext, written_unix_ms FROM "
                                               "vault_records WHERE id = ?1"));
  ASSERT_OK(q.Bind(1, id));
  ASSERT_OK_AND_ASSIGN(bool row, q.Step());
  ASSERT_TRUE(row);
  ASSERT_OK_AND_ASSIGN(
      Bytes plain, crypto::AeadOpen(crypto::AeadAlgorithm::kAes256Gcm, winner_dek, q.ColumnBlob(0),
                                    RecordAssociatedData(id, "usage", "search_queries", 1,
                                                         q.ColumnInt64(2), "app"),
                                    q.ColumnBlob(1)));
  EXPECT_EQ(std::string(plain.begin(), plain.end()), "won");
}

TEST_F(VaultSafetyTest, LosingTheKekCreationRaceUsesTheWinnersKek) {
  platform::MemoryKeyStore fresh;
  HookedKeyStore racing(fresh);
  const Bytes winner_kek(32, 0x17);
  racing.before_put = [&](std::string_view name) {
    if (name != kVaultKekName) return;
    ASSERT_OK(fresh.Put(name, winner_kek));
  };
  ASSERT_OK_AND_ASSIGN(auto c, h_.Connect(h_.File("fresh.db"), &racing));
  ASSERT_OK(c->vault().Add("usage", "search_queries", "q", ChangeSource::kApp).status());
  // The data key is wrapped under the winner's KEK.
  ASSERT_OK_AND_ASSIGN(Bytes wrapped, fresh.Get("vault_dek_usage"));
  Bytes aad = Bytes{};
  Append(aad, ByteView::FromString("tacet-vault-dek-v1usage"));
  EXPECT_OK(crypto::AeadOpen(crypto::AeadAlgorithm::kAes256Gcm, winner_kek,
                             ByteView(wrapped).subview(0, 12), aad, ByteView(wrapped).subview(12))
                .status());
}

TEST_F(VaultSafetyTest, AllZeroKekOrDataKeyIsRefusedNeverUsed) {
  platform::MemoryKeyStore zeros;
  ASSERT_OK(zeros.Put(kVaultKekName, Bytes(32, 0)));
  EXPECT_THAT(h_.Connect(h_.File("zero.db"), &zeros),
              StatusIs(StatusCode::kDataLoss, HasSubstr("all zeros")));
  // A wrapped data key that unwraps to 32 zero bytes.
  ASSERT_OK_AND_ASSIGN(Bytes kek, h_.device().key_store().Get(kVaultKekName));
  const Bytes nonce(12, 1), zero_key(32, 0);
  Bytes aad;
  Append(aad, ByteView::FromString("tacet-vault-dek-v1usage"));
  ASSERT_OK_AND_ASSIGN(Bytes sealed, crypto::AeadSeal(crypto::AeadAlgorithm::kAes256Gcm, kek,
                                                      nonce, aad, zero_key));
  Bytes wrapped = nonce;
  Append(wrapped, sealed);
  ASSERT_OK(h_.device().key_store().Put("vault_dek_usage", wrapped));
  EXPECT_THAT(vault().Add("usage", "search_queries", "q", ChangeSource::kApp),
              StatusIs(StatusCode::kDataLoss, HasSubstr("all zeros")));
  EXPECT_EQ(QueryInt(db(), "SELECT count(*) FROM vault_records"), 0);
}

TEST_F(VaultSafetyTest, MissingKekOfAVaultWithDataIsDataLossNotANewKek) {
  ASSERT_OK(vault().Add("usage", "search_queries", "q", ChangeSource::kApp).status());
  h_.Close();
  ASSERT_OK(h_.device().key_store().Delete(kVaultKekName));
  platform::MemoryKeyStore& keys = h_.device().key_store();
  EXPECT_THAT(h_.Connect("", &keys),
              StatusIs(StatusCode::kDataLoss, HasSubstr("'vault_kek' is missing")));
  EXPECT_THAT(keys.Get(kVaultKekName), StatusIs(StatusCode::kNotFound));
}

// Two connections (as two processes) race the first Set of single-valued fields: one record each,
// whose history holds the other value.
TEST_F(VaultSafetyTest, ConcurrentFirstSetsLeaveOneValueWithTheOtherInItsHistory) {
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> fields = {
      {"name", "full_name", "Ada Lovelace", "Grace Hopper"},
      {"contact", "email_address", "ada@example.org", "grace@example.org"},
      {"contact", "phone_number", "+441632960961", "+14155550123"},
      {"contact", "postal_address", "1 First Street", "2 Second Street"},
      {"public_profile", "name_or_username", "ada", "grace"},
      {"usage", "offer_usage", "offer used", "offer not used"},
  };
  ASSERT_OK_AND_ASSIGN(auto a, h_.Connect());
  ASSERT_OK_AND_ASSIGN(auto b, h_.Connect());
  std::atomic<int> arrived{0};
  auto barrier = [&arrived](int round) {
    arrived.fetch_add(1);
    while (arrived.load() < 2 * (round + 1)) std::this_thread::yield();
  };
  auto run = [&](VaultConnection* c, bool first, std::vector<Status>* out) {
    for (size_t i = 0; i < fields.size(); ++i) {
      barrier(static_cast<int>(i));
      const auto& [cat, field, v1, v2] = fields[i];
      StatusOr<int64_t> id = c->vault().Set(cat, field, first ? v1 : v2, ChangeSource::kUser);
      if (!id.ok()) out->push_back(id.status());
    }
  };
  std::vector<Status> fa, fb;
  std::thread ta(run, a.get(), true, &fa);
  std::thread tb(run, b.get(), false, &fb);
  ta.join();
  tb.join();
  EXPECT_THAT(fa, ::testing::IsEmpty());
  EXPECT_THAT(fb, ::testing::IsEmpty());
  for (const auto& [cat, field, v1, v2] : fields) {
    SCOPED_TRACE(field);
    ASSERT_OK_AND_ASSIGN(auto records, vault().List(cat, field));
    ASSERT_THAT(records, SizeIs(1));
    EXPECT_EQ(records[0].version, 2);
    ASSERT_OK_AND_ASSIGN(auto trail, vault().History(cat, field));
    ASSERT_THAT(trail, SizeIs(2));
    EXPECT_THAT((std::vector<std::string>{trail[0].value, trail[1].value}),
                UnorderedElementsAre(v1, v2));
  }
  EXPECT_OK(vault().Verify());
}

TEST_F(VaultSafetyTest, ASingleValuedFieldHasOneRecordByConstruction) {
  ASSERT_OK_AND_ASSIGN(int64_t id, vault().Set("contact", "email_address", "a@example.org",
                                               ChangeSource::kUser));
  EXPECT_THAT(vault().Add("contact", "email_address", "b@example.org", ChangeSource::kUser),
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("single-valued")));
  // The database itself refuses a second one.
  EXPECT_THAT(db().Exec("INSERT INTO vault_records(category, field, version, created_unix_ms, "
                        "written_unix_ms, source, single, aad_version, nonce, ciphertext) VALUES "
                        "('contact', 'email_address', 1, 0, 0, 'user', 1, 2, x'', x'')"),
              StatusIs(StatusCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(int64_t same, vault().Set("contact", "email_address", "c@example.org",
                                                 ChangeSource::kUser));
  EXPECT_EQ(same, id);
  // A log-like field takes one record per entry, also through Set.
  EXPECT_FALSE(IsSingleValued("search_queries"));
  EXPECT_TRUE(IsSingleValued("email_address"));
  ASSERT_OK_AND_ASSIGN(int64_t q1, vault().Set("usage", "search_queries", "q1", ChangeSource::kApp));
  ASSERT_OK_AND_ASSIGN(int64_t q2, vault().Set("usage", "search_queries", "q2", ChangeSource::kApp));
  EXPECT_NE(q1, q2);
  ASSERT_OK_AND_ASSIGN(auto queries, vault().List("usage", "search_queries"));
  EXPECT_THAT(queries, SizeIs(2));
}

// ---------------------------------------------------------------------------------------------
// Item 9: integrity beyond each ciphertext. Each tampering below passes every check of the old
// code (Get, History, AuditLog::Verify); Verify() now names it.

// The record's current row, as SQL to write it back later.
std::string SnapshotRecord(store::Database& db, int64_t id) {
  auto q = db.Prepare("SELECT version, written_unix_ms, source, aad_version, hex(nonce), "
                      "hex(ciphertext) FROM vault_records WHERE id = ?1");
  EXPECT_OK(q.status());
  EXPECT_OK(q->Bind(1, id));
  auto row = q->Step();
  EXPECT_TRUE(row.ok() && *row);
  return "UPDATE vault_records SET version = " + std::to_string(q->ColumnInt64(0)) +
         ", written_unix_ms = " + std::to_string(q->ColumnInt64(1)) + ", source = '" +
         q->ColumnText(2) + "', aad_version = " + std::to_string(q->ColumnInt64(3)) +
         ", nonce = x'" + q->ColumnText(4) + "', ciphertext = x'" + q->ColumnText(5) +
         "' WHERE id = " + std::to_string(id);
}

std::string SnapshotHead(store::Database& db) {
  auto q = db.Prepare("SELECT row_count, hex(row_sum), hex(mac) FROM vault_head");
  EXPECT_OK(q.status());
  auto row = q->Step();
  EXPECT_TRUE(row.ok() && *row);
  return "UPDATE vault_head SET row_count = " + std::to_string(q->ColumnInt64(0)) +
         ", row_sum = x'" + q->ColumnText(1) + "', mac = x'" + q->ColumnText(2) + "'";
}

TEST_F(VaultSafetyTest, RecordRolledBackWithItsHistoryIsDetected) {
  ASSERT_OK_AND_ASSIGN(int64_t id, vault().Set("contact", "email_address", "v1@example.org",
                                               ChangeSource::kUser));
  h_.device().clock().AdvanceBy(1000);
  ASSERT_OK(vault().Set("contact", "email_address", "v2@example.org", ChangeSource::kUser).status());
  const std::string at_v2 = SnapshotRecord(db(), id);
  const std::string head_at_v2 = SnapshotHead(db());
  h_.device().clock().AdvanceBy(1000);
  ASSERT_OK(vault().Set("contact", "email_address", "v3@example.org", ChangeSource::kUser).status());
  ASSERT_OK(vault().Verify());

  // Back to version 2, history and all.
  ASSERT_OK(db().Exec("DELETE FROM vault_history WHERE version = 2"));
  ASSERT_OK(db().Exec(at_v2));
  // Every ordinary read still works: the rows are a consistent older state.
  ASSERT_OK_AND_ASSIGN(Record r, vault().Get(id));
  EXPECT_EQ(r.value, "v2@example.org");
  ASSERT_OK_AND_ASSIGN(auto trail, vault().History("contact", "email_address"));
  EXPECT_THAT(trail, SizeIs(2));
  ASSERT_OK(h_.audit().Verify());
  const std::string named = "record " + std::to_string(id) +
                            " (contact.email_address) is at version 2 but the audit log took it "
                            "to version 3";
  EXPECT_THAT(vault().Verify(), StatusIs(StatusCode::kDataLoss, HasSubstr(named)));
  // Even with the head replaced by its copy from the same moment.
  ASSERT_OK(db().Exec(head_at_v2));
  EXPECT_THAT(vault().Verify(), StatusIs(StatusCode::kDataLoss, HasSubstr(named)));
}

TEST_F(VaultSafetyTest, DeletedPastVersionIsDetected) {
  ASSERT_OK_AND_ASSIGN(int64_t id, vault().Set("name", "full_name", "One", ChangeSource::kUser));
  ASSERT_OK(vault().Set("name", "full_name", "Two", ChangeSource::kUser).status());
  ASSERT_OK(vault().Set("name", "full_name", "Three", ChangeSource::kUser).status());
  ASSERT_OK(vault().Verify());
  // The middle one.
  ASSERT_OK(db().Exec("DELETE FROM vault_history WHERE version = 2"));
  ASSERT_OK(vault().History("name", "full_name").status());
  EXPECT_THAT(vault().Verify(),
              StatusIs(StatusCode::kDataLoss,
                       HasSubstr("record " + std::to_string(id) +
                                 " (name.full_name): past version 2 is missing from its history")));
  // The oldest one (the floor says it is still held).
  ASSERT_OK(db().Exec("DELETE FROM vault_history"));
  ASSERT_OK(vault().History("name", "full_name").status());
  EXPECT_THAT(vault().Verify(), StatusIs(StatusCode::kDataLoss,
                                         HasSubstr("past version 1 is missing from its history")));
}

TEST_F(VaultSafetyTest, DeletedRecordIsDetected) {
  ASSERT_OK(vault().Add("usage", "search_queries", "kept", ChangeSource::kApp).status());
  ASSERT_OK_AND_ASSIGN(int64_t gone, vault().Add("usage", "search_queries", "gone", ChangeSource::kApp));
  ASSERT_OK(vault().Verify());
  ASSERT_OK(db().Exec("DELETE FROM vault_records WHERE id = " + std::to_string(gone)));
  ASSERT_OK(vault().List("usage", "search_queries").status());
  EXPECT_THAT(vault().Verify(), StatusIs(StatusCode::kDataLoss,
                                         HasSubstr("do not match the integrity head")));
}

TEST_F(VaultSafetyTest, DeletedCorrectedRecordIsNamedFromTheAuditLog) {
  ASSERT_OK_AND_ASSIGN(int64_t id, vault().Set("name", "full_name", "One", ChangeSource::kUser));
  ASSERT_OK(vault().Set("name", "full_name", "Two", ChangeSource::kUser).status());
  const std::string head = SnapshotHead(db());
  ASSERT_OK(db().Exec("DELETE FROM vault_history; DELETE FROM vault_records;"));
  // Even with the head put back as it was (the best an attacker without the key can do).
  ASSERT_OK(db().Exec(head));
  EXPECT_THAT(vault().Verify(),
              StatusIs(StatusCode::kDataLoss,
                       HasSubstr("record " + std::to_string(id) +
                                 " (name.full_name) is missing, but the audit log corrected it")));
  // An erasure of the category explains a missing record; the rows still do not match the head.
  h_.Reopen();
  ASSERT_OK(vault().Erase("name").status());
  EXPECT_THAT(vault().Verify(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("do not match the integrity head")));
}

TEST_F(VaultSafetyTest, ChangedWrittenTimeOrSourceFailsAuthentication) {
  ASSERT_OK_AND_ASSIGN(int64_t id, vault().Set("name", "full_name", "One", ChangeSource::kUser));
  ASSERT_OK(vault().Set("name", "full_name", "Two", ChangeSource::kUser).status());
  const int64_t fifty_years = 50 * 365 * kDay;
  for (const std::string& table : {std::string("vault_records"), std::string("vault_history")}) {
    SCOPED_TRACE(table);
    ASSERT_OK(db().Exec("UPDATE " + table + " SET written_unix_ms = written_unix_ms + " +
                        std::to_string(fifty_years)));
    EXPECT_THAT(vault().History("name", "full_name"),
                StatusIs(StatusCode::kDataLoss, HasSubstr("failed authentication")));
    EXPECT_THAT(vault().Verify(), StatusIs(StatusCode::kDataLoss, HasSubstr("failed authentication")));
    ASSERT_OK(db().Exec("UPDATE " + table + " SET written_unix_ms = written_unix_ms - " +
                        std::to_string(fifty_years)));
    ASSERT_OK(vault().Verify());
    ASSERT_OK(db().Exec("UPDATE " + table + " SET source = 'service'"));
    EXPECT_THAT(vault().History("name", "full_name"),
                StatusIs(StatusCode::kDataLoss, HasSubstr("failed authentication")));
    EXPECT_THAT(vault().Verify(), StatusIs(StatusCode::kDataLoss, HasSubstr("failed authentication")));
    ASSERT_OK(db().Exec("UPDATE " + table + " SET source = 'user'"));
    ASSERT_OK(vault().Verify());
  }
  EXPECT_OK(vault().Get(id).status());
}

TEST_F(VaultSafetyTest, EditedOrDeletedHeadIsReportedAndNeverRemade) {
  ASSERT_OK(vault().Add("usage", "search_queries", "q", ChangeSource::kApp).status());
  ASSERT_OK(db().Exec("UPDATE vault_head SET row_count = row_count + 1"));
  EXPECT_THAT(vault().Verify(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("integrity head does not authenticate")));
  ASSERT_OK(db().Exec("DELETE FROM vault_head"));
  EXPECT_THAT(vault().Verify(), StatusIs(StatusCode::kDataLoss, HasSubstr("no integrity head")));
  // Neither a write nor a reopen makes a new one over the existing rows.
  ASSERT_OK(vault().Add("usage", "search_queries", "q2", ChangeSource::kApp).status());
  h_.Reopen();
  EXPECT_EQ(QueryInt(db(), "SELECT count(*) FROM vault_head"), 0);
  EXPECT_THAT(vault().Verify(), StatusIs(StatusCode::kDataLoss, HasSubstr("no integrity head")));
  // Erasing everything is the way back: nothing is left to protect.
  ASSERT_OK(db().Exec("INSERT INTO vault_head VALUES (1, 5, zeroblob(32), zeroblob(32))"));
  ASSERT_OK(vault().EraseAll().status());
  EXPECT_OK(vault().Verify());
}

TEST_F(VaultSafetyTest, HonestUseVerifiesThroughCorrectionsErasurePurgeAndReopen) {
  h_.GrantEverything();
  ASSERT_OK(vault().Verify());  // empty
  ASSERT_OK_AND_ASSIGN(int64_t name, vault().Set("name", "full_name", "Ada", ChangeSource::kUser));
  ASSERT_OK(vault().Add("location", "approximate_location", "Berlin", ChangeSource::kApp).status());
  ASSERT_OK(vault().Add("voice", "voice_commands", "play", ChangeSource::kApp).status());
  ASSERT_OK(vault().Add("usage", "listening_history", "track", ChangeSource::kApp).status());
  ASSERT_OK(vault().Verify());
  h_.device().clock().AdvanceBy(kDay);
  ASSERT_OK(vault().Correct(name, "Ada L.", ChangeSource::kUser));
  ASSERT_OK(vault().Set("name", "full_name", "Ada Lovelace", ChangeSource::kService).status());
  ASSERT_OK(vault().Verify());
  ASSERT_OK(vault().Erase("voice").status());
  ASSERT_OK(vault().Verify());
  // Location expires (30 days); the name's first version expires at 730 days, its later ones
  // stay until their own time: the floor rises.
  h_.device().clock().AdvanceBy(40 * kDay);
  ASSERT_OK_AND_ASSIGN(SweepResult first, vault().Sweep(h_.device().clock().NowUnixMillis()));
  EXPECT_EQ(first.records, 1);
  ASSERT_OK(vault().Verify());
  h_.device().clock().AdvanceBy(700 * kDay);
  ASSERT_OK(vault().Set("name", "full_name", "A. Lovelace", ChangeSource::kUser).status());
  ASSERT_OK_AND_ASSIGN(SweepResult second, vault().Sweep(h_.device().clock().NowUnixMillis()));
  EXPECT_EQ(second.history_entries, 3);
  EXPECT_EQ(QueryInt(db(), "SELECT version_floor FROM vault_records WHERE id = " +
                               std::to_string(name)),
            4);
  ASSERT_OK(vault().Verify());
  h_.Reopen();
  ASSERT_OK(vault().Verify());
  ASSERT_OK(vault().EraseAll().status());
  ASSERT_OK(vault().Verify());
}

// ---------------------------------------------------------------------------------------------
// Format 1 (before this change) is upgraded at the first read-write open.

// The format-1 associated data, written out here from its documentation (docs/vault.md).
Bytes AadV1(int64_t id, std::string_view category, std::string_view field, int64_t version) {
  Bytes aad;
  Append(aad, ByteView::FromString("tacet-vault-record-v1"));
  AppendU64Be(aad, static_cast<uint64_t>(id));
  AppendU32Be(aad, static_cast<uint32_t>(category.size()));
  Append(aad, ByteView::FromString(category));
  AppendU32Be(aad, static_cast<uint32_t>(field.size()));
  Append(aad, ByteView::FromString(field));
  AppendU64Be(aad, static_cast<uint64_t>(version));
  return aad;
}

TEST_F(VaultSafetyTest, Format1VaultIsResealedUnderFormat2AtOpen) {
  // A vault as the previous version left it: format-1 rows, no single marks, no head.
  const Bytes dek(32, 0x33);
  ASSERT_OK(h_.device().key_store().Put(
      "vault_dek_contact", WrapUnderStoredKek(h_.device().key_store(), "contact", dek)));
  auto seal = [&](int64_t id, int64_t version, const std::string& value) {
    Bytes nonce(12, static_cast<uint8_t>(id * 16 + version));
    auto ct = crypto::AeadSeal(crypto::AeadAlgorithm::kAes256Gcm, dek, nonce,
                               AadV1(id, "contact", "email_address", version),
                               ByteView::FromString(value));
    EXPECT_OK(ct.status());
    return "x'" + HexEncode(nonce) + "', x'" + HexEncode(*ct) + "'";
  };
  ASSERT_OK(db().Exec(
      "INSERT INTO vault_records(id, category, field, version, created_unix_ms, written_unix_ms, "
      "source, nonce, ciphertext) VALUES (7, 'contact', 'email_address', 2, 1000, 2000, 'user', " +
      seal(7, 2, "new@example.org") + ");"
      "INSERT INTO vault_history(record_id, version, written_unix_ms, replaced_unix_ms, source, "
      "nonce, ciphertext) VALUES (7, 1, 1000, 2000, 'app', " + seal(7, 1, "old@example.org") +
      ");"
      "UPDATE vault_records SET version_floor = 1;"));
  ASSERT_OK(h_.audit().Append(audit::AuditKind::kCorrection, "contact.email_address",
                              "record 7 version 1 -> 2 by user"));
  ASSERT_EQ(QueryInt(db(), "SELECT count(*) FROM vault_head"), 0);

  h_.Reopen();
  EXPECT_EQ(QueryInt(db(), "SELECT count(*) FROM vault_records WHERE aad_version = 2 AND single = 1"),
            1);
  EXPECT_EQ(QueryInt(db(), "SELECT count(*) FROM vault_history WHERE aad_version = 2"), 1);
  ASSERT_OK_AND_ASSIGN(auto trail, vault().History("contact", "email_address"));
  ASSERT_THAT(trail, SizeIs(2));
  EXPECT_EQ(trail[0].value, "old@example.org");
  EXPECT_EQ(trail[1].value, "new@example.org");
  EXPECT_EQ(trail[0].source, ChangeSource::kApp);
  EXPECT_OK(vault().Verify());
  // Set now corrects that record.
  ASSERT_OK_AND_ASSIGN(int64_t id, vault().Set("contact", "email_address", "newest@example.org",
                                               ChangeSource::kUser));
  EXPECT_EQ(id, 7);
  EXPECT_OK(vault().Verify());
  // A row marked as format 1 again is refused: the weaker format cannot come back.
  ASSERT_OK(db().Exec("UPDATE vault_history SET aad_version = 1 WHERE version = 1"));
  EXPECT_THAT(vault().History("contact", "email_address"),
              StatusIs(StatusCode::kDataLoss, HasSubstr("format 1")));
}

}  // namespace
}  // namespace tacet::vault
