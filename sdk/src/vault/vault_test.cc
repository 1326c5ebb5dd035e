#include "vault/vault.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "testing/status_matchers.h"
#include "vault/vault_test_util.h"

namespace tacet::vault {
namespace {

using consent::ConsentState;
using consent::DecisionSource;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::VaultHarness;

constexpr int64_t kDay = 86400000;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every file SQLite keeps for the database that holds any of `needles`, as "file: needle".
std::vector<std::string> FindOnDisk(store::Database& db, const std::vector<std::string>& needles) {
  std::vector<std::string> found;
  for (const std::string& file : db.Files()) {
    const std::string bytes = ReadAll(file);
    for (const std::string& needle : needles) {
      if (!needle.empty() && bytes.find(needle) != std::string::npos) {
        found.push_back(file + ": " + needle);
      }
    }
  }
  return found;
}

// A value for every field of the policy, each carrying a unique canary string.
struct Canary {
  const char* category;
  const char* field;
  std::string value;
  std::string needle;  // the part that must never reach the disk in clear
};

std::vector<Canary> Canaries() {
  return {
      {"name", "full_name", "Canaryname Qxzvbt", "Canaryname Qxzvbt"},
      {"contact", "email_address", "canarymail.qzx@example.org", "canarymail.qzx"},
      {"contact", "phone_number", "+4930901820177", "4930901820177"},
      {"contact", "postal_address", "7 Canarystreet Qwv\nBerlin", "Canarystreet Qwv"},
      {"usage", "listening_history", "played canarytrack-zq9", "canarytrack-zq9"},
      {"usage", "search_queries", "search canaryquery-zq8", "canaryquery-zq8"},
      {"billing", "subscription_plan", "Canaryplan Zq7", "Canaryplan Zq7"},
      {"billing", "billing_address", "9 Canarybilling Zq6", "Canarybilling Zq6"},
      {"payment", "payment_token", "tok_canaryZq5token", "canaryZq5token"},
      {"payment", "payment_method", "Visa 9173", "Visa 9173"},
      {"voice", "voice_commands", "play canaryvoice-zq4", "canaryvoice-zq4"},
      {"voice", "voice_recordings", std::string("RIFF\x01\x02" "canaryaudio-zq3", 21), "canaryaudio-zq3"},
      {"location", "precise_location", "52.517339,13.388861", "52.517339"},
      {"location", "approximate_location", "Canarytown Zq2", "Canarytown Zq2"},
      {"contest_answers", "survey_responses", "canarysurvey-zq1", "canarysurvey-zq1"},
      {"public_profile", "name_or_username", "canaryuser_zq0", "canaryuser_zq0"},
  };
}

std::vector<std::string> Needles(const std::vector<Canary>& canaries) {
  std::vector<std::string> out;
  for (const auto& c : canaries) out.push_back(c.needle);
  return out;
}

// Raw table contents, to show that a refused write changed nothing.
std::string Dump(store::Database& db) {
  std::string out;
  for (const char* sql : {"SELECT id, category, field, version, written_unix_ms, source, "
                          "hex(nonce), hex(ciphertext) FROM vault_records ORDER BY id",
                          "SELECT record_id, version, hex(ciphertext) FROM vault_history ORDER BY 1, 2",
                          "SELECT seq, hex(hash) FROM audit_entries ORDER BY seq"}) {
    auto q = db.Prepare(sql);
    EXPECT_OK(q.status());
    if (!q.ok()) return out;
    while (true) {
      auto row = q->Step();
      if (!row.ok() || !*row) break;
      for (int i = 0; i < q->ColumnCount(); ++i) out += q->ColumnText(i) + "|";
      out += "\n";
    }
  }
  return out;
}

class VaultTest : public ::testing::Test {
 protected:
  VaultHarness h_;
};

// The vault's two vocabularies: every enumerator (listed by hand, apart from the tables) has a
// distinct name that parses back to it through the same table, and the tables have no other rows.
TEST(VaultNamesTest, EveryEnumeratorRoundTrips) {
  const ChangeSource sources[] = {ChangeSource::kUser, ChangeSource::kApp, ChangeSource::kService,
                                  ChangeSource::kImport};
  std::set<std::string> names;
  for (ChangeSource s : sources) {
    const std::string name = ChangeSourceName(s);
    EXPECT_NE(name, "unknown");
    EXPECT_TRUE(names.insert(name).second) << name;
    ASSERT_OK_AND_ASSIGN(ChangeSource back, ParseChangeSource(name));
    EXPECT_EQ(back, s);
  }
  EXPECT_EQ(std::size(kChangeSourceNames), std::size(sources));
  EXPECT_STREQ(ChangeSourceName(static_cast<ChangeSource>(4)), "unknown");
  EXPECT_THAT(ParseChangeSource("unknown"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown change source 'unknown'")));

  const FieldKind kinds[] = {FieldKind::kName,         FieldKind::kText,
                             FieldKind::kEmail,        FieldKind::kPhoneE164,
                             FieldKind::kPostalAddress, FieldKind::kPaymentToken,
                             FieldKind::kPaymentLastFour, FieldKind::kAudio,
                             FieldKind::kPreciseLocation, FieldKind::kApproximateLocation};
  names.clear();
  for (FieldKind k : kinds) {
    const std::string name = FieldKindName(k);
    EXPECT_NE(name, "unknown");
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(ParseName(kFieldKindNames, name), k) << name;
  }
  EXPECT_EQ(std::size(kFieldKindNames), std::size(kinds));
  EXPECT_STREQ(FieldKindName(static_cast<FieldKind>(10)), "unknown");
}

TEST_F(VaultTest, StoresAndReadsBackEveryFieldKind) {
  h_.GrantEverything();
  for (const Canary& c : Canaries()) {
    SCOPED_TRACE(c.field);
    ASSERT_OK_AND_ASSIGN(int64_t id, h_.vault().Add(c.category, c.field, c.value, ChangeSource::kUser));
    ASSERT_OK_AND_ASSIGN(Record r, h_.vault().Get(id));
    EXPECT_EQ(r.value, c.value);
    EXPECT_EQ(r.category, c.category);
    EXPECT_EQ(r.field, c.field);
    EXPECT_EQ(r.version, 1);
    EXPECT_EQ(r.source, ChangeSource::kUser);
    EXPECT_EQ(r.written_unix_ms, h_.device().clock().NowUnixMillis());
  }
  // And after a restart, from the file and the key store alone.
  h_.Reopen();
  int n = 0;
  ASSERT_OK(h_.vault().ForEachRecord([&](const Record& r) {
    EXPECT_EQ(r.value, Canaries()[static_cast<size_t>(n)].value);
    ++n;
    return OkStatus();
  }));
  EXPECT_EQ(n, static_cast<int>(Canaries().size()));
}

TEST_F(VaultTest, NoPlaintextReachesTheDatabaseFilesWalOrJournal) {
  h_.GrantEverything();
  const std::vector<Canary> canaries = Canaries();
  std::vector<std::string> needles = Needles(canaries);
  std::vector<int64_t> ids;
  for (const Canary& c : canaries) {
    ASSERT_OK_AND_ASSIGN(int64_t id, h_.vault().Add(c.category, c.field, c.value, ChangeSource::kApp));
    ids.push_back(id);
  }
  // Corrections put the old values into the history: they must stay encrypted too.
  ASSERT_OK(h_.vault().Correct(ids[0], "Correctedname Wqzv", ChangeSource::kUser));
  ASSERT_OK(h_.vault().Correct(ids[1], "correctedmail.wqz@example.org", ChangeSource::kUser));
  needles.push_back("Correctedname Wqzv");
  needles.push_back("correctedmail.wqz");
  ASSERT_OK_AND_ASSIGN(auto trail, h_.vault().History("name", "full_name"));
  ASSERT_EQ(trail.size(), 2u);

  // Something is on disk (the scan is not vacuous): the WAL holds the writes.
  std::string wal = ReadAll(h_.path() + "-wal");
  EXPECT_GT(wal.size(), 4096u);
  EXPECT_NE(wal.find("email_address"), std::string::npos);  // field names are metadata, in clear
  EXPECT_THAT(FindOnDisk(h_.db(), needles), IsEmpty());
  ASSERT_OK(h_.db().Checkpoint(store::CheckpointMode::kTruncate));
  EXPECT_NE(ReadAll(h_.path()).find("email_address"), std::string::npos);
  EXPECT_THAT(FindOnDisk(h_.db(), needles), IsEmpty());
  h_.Reopen();
  EXPECT_THAT(FindOnDisk(h_.db(), needles), IsEmpty());
}

TEST_F(VaultTest, SwappedCiphertextsAreDetected) {
  ASSERT_OK_AND_ASSIGN(int64_t a, h_.vault().Add("usage", "search_queries", "first", ChangeSource::kApp));
  ASSERT_OK_AND_ASSIGN(int64_t b, h_.vault().Add("usage", "search_queries", "second", ChangeSource::kApp));
  ASSERT_OK(h_.db().Exec(
      "CREATE TEMP TABLE s AS SELECT id, nonce, ciphertext FROM vault_records;"
      "UPDATE vault_records SET nonce = (SELECT nonce FROM s WHERE s.id != vault_records.id), "
      "ciphertext = (SELECT ciphertext FROM s WHERE s.id != vault_records.id);"));
  EXPECT_THAT(h_.vault().Get(a), StatusIs(StatusCode::kDataLoss,
                                          HasSubstr("record " + std::to_string(a) + " (usage.search_queries, version 1) failed authentication")));
  EXPECT_THAT(h_.vault().Get(b), StatusIs(StatusCode::kDataLoss, HasSubstr("failed authentication")));
}

TEST_F(VaultTest, CiphertextMovedToAnotherFieldOrVersionIsDetected) {
  ASSERT_OK_AND_ASSIGN(int64_t id, h_.vault().Add("usage", "search_queries", "v1", ChangeSource::kApp));
  ASSERT_OK(h_.vault().Correct(id, "v2", ChangeSource::kUser));
  // Another field name on the same record.
  ASSERT_OK(h_.db().Exec("UPDATE vault_records SET field = 'listening_history'"));
  EXPECT_THAT(h_.vault().Get(id), StatusIs(StatusCode::kDataLoss));
  ASSERT_OK(h_.db().Exec("UPDATE vault_records SET field = 'search_queries'"));
  ASSERT_OK(h_.vault().Get(id).status());
  // Rolling the record back to its old ciphertext under the current version number.
  ASSERT_OK(h_.db().Exec("UPDATE vault_records SET nonce = (SELECT nonce FROM vault_history), "
                         "ciphertext = (SELECT ciphertext FROM vault_history)"));
  EXPECT_THAT(h_.vault().Get(id), StatusIs(StatusCode::kDataLoss, HasSubstr("version 2")));
}

TEST_F(VaultTest, EditedCiphertextIsDetected) {
  ASSERT_OK_AND_ASSIGN(int64_t id, h_.vault().Add("name", "full_name", "Ada", ChangeSource::kApp));
  ASSERT_OK_AND_ASSIGN(auto read, h_.db().Prepare("SELECT ciphertext FROM vault_records"));
  ASSERT_OK_AND_ASSIGN(bool row, read.Step());
  ASSERT_TRUE(row);
  Bytes ct = read.ColumnBlob(0);
  ASSERT_OK(read.Reset());
  ct[0] ^= 0x01;
  ASSERT_OK_AND_ASSIGN(auto write, h_.db().Prepare("UPDATE vault_records SET ciphertext = ?1"));
  ASSERT_OK(write.BindBlob(1, ct));
  ASSERT_OK(write.Step().status());
  EXPECT_THAT(h_.vault().Get(id), StatusIs(StatusCode::kDataLoss));
}

TEST_F(VaultTest, HistoryIsCompleteAfterManyCorrections) {
  ASSERT_OK_AND_ASSIGN(int64_t id, h_.vault().Set("contact", "email_address", "v0@example.org",
                                                  ChangeSource::kApp));
  constexpr int kCorrections = 60;
  for (int i = 1; i <= kCorrections; ++i) {
    h_.device().clock().AdvanceBy(1000);
    ASSERT_OK_AND_ASSIGN(int64_t same, h_.vault().Set("contact", "email_address",
                                                      "v" + std::to_string(i) + "@example.org",
                                                      i % 2 ? ChangeSource::kUser : ChangeSource::kService));
    ASSERT_EQ(same, id);
  }
  ASSERT_OK_AND_ASSIGN(auto trail, h_.vault().History("contact", "email_address"));
  ASSERT_EQ(trail.size(), static_cast<size_t>(kCorrections + 1));
  const int64_t start = h_.device().clock().NowUnixMillis() - kCorrections * 1000;
  for (int i = 0; i <= kCorrections; ++i) {
    const HistoryEntry& e = trail[static_cast<size_t>(i)];
    EXPECT_EQ(e.record_id, id);
    EXPECT_EQ(e.version, i + 1);
    EXPECT_EQ(e.value, "v" + std::to_string(i) + "@example.org");
    EXPECT_EQ(e.written_unix_ms, start + i * 1000);
    EXPECT_EQ(e.replaced_unix_ms, i == kCorrections ? 0 : start + (i + 1) * 1000);
    EXPECT_EQ(e.source, i == 0 ? ChangeSource::kApp
                               : (i % 2 ? ChangeSource::kUser : ChangeSource::kService));
  }
  ASSERT_OK_AND_ASSIGN(int64_t audited, h_.audit().Count());
  EXPECT_EQ(audited, kCorrections);
  EXPECT_OK(h_.audit().Verify());
  ASSERT_OK_AND_ASSIGN(Record now, h_.vault().Get(id));
  EXPECT_EQ(now.version, kCorrections + 1);
}

TEST_F(VaultTest, InvalidCorrectionIsRefusedNamingTheFieldAndChangesNothing) {
  ASSERT_OK_AND_ASSIGN(int64_t id, h_.vault().Set("contact", "phone_number", "+14155550123",
                                                  ChangeSource::kUser));
  ASSERT_OK(h_.vault().Correct(id, "+14155550124", ChangeSource::kUser));
  const std::string before = Dump(h_.db());
  EXPECT_THAT(h_.vault().Correct(id, "0415 555 0125", ChangeSource::kUser),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("contact.phone_number: is not an E.164 phone number")));
  EXPECT_THAT(h_.vault().Set("contact", "phone_number", "not a phone", ChangeSource::kUser),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("contact.phone_number")));
  EXPECT_THAT(h_.vault().Add("contact", "email_address", "\xC0\xAF@example.org", ChangeSource::kUser),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("contact.email_address")));
  EXPECT_THAT(h_.vault().Add("contact", "fax", "123", ChangeSource::kUser),
              StatusIs(StatusCode::kNotFound, HasSubstr("no field 'fax'")));
  EXPECT_THAT(h_.vault().Correct(id + 100, "+14155550126", ChangeSource::kUser),
              StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(Dump(h_.db()), before);
  ASSERT_OK_AND_ASSIGN(auto trail, h_.vault().History("contact", "phone_number"));
  EXPECT_EQ(trail.size(), 2u);
}

TEST_F(VaultTest, FullCardNumbersAreRefused) {
  h_.GrantEverything();
  const std::string before = Dump(h_.db());
  EXPECT_THAT(h_.vault().Add("payment", "payment_method", "4242 4242 4242 4242", ChangeSource::kUser),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("payment.payment_method: looks like a full card number")));
  EXPECT_THAT(h_.vault().Add("payment", "payment_token", "4000-0566-5566-5556", ChangeSource::kUser),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("full card number")));
  EXPECT_EQ(Dump(h_.db()), before);
  EXPECT_OK(h_.vault().Add("payment", "payment_method", "Visa 4242", ChangeSource::kUser).status());
}

TEST_F(VaultTest, CategoryWithEveryPurposeDeniedIsRefusedWithTheReason) {
  // Voice is optional and not yet provided; its only purpose (voice_features) is not granted.
  const std::string before = Dump(h_.db());
  EXPECT_THAT(h_.vault().Add("voice", "voice_commands", "play jazz", ChangeSource::kApp),
              StatusIs(StatusCode::kPermissionDenied,
                       HasSubstr("voice.voice_commands: no purpose that uses 'voice' is allowed "
                                 "(not allowed: voice_features)")));
  // Declined outright.
  ASSERT_OK(h_.ledger().SetCategoryProvided("voice", false, DecisionSource::kUser));
  EXPECT_THAT(h_.vault().Add("voice", "voice_commands", "play jazz", ChangeSource::kApp),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("declined to provide 'voice'")));
  // Provided, but the purpose denied.
  ASSERT_OK(h_.ledger().SetCategoryProvided("voice", true, DecisionSource::kUser));
  ASSERT_OK(h_.ledger().SetPurpose("voice_features", ConsentState::kDenied, DecisionSource::kUser));
  EXPECT_THAT(h_.vault().Add("voice", "voice_commands", "play jazz", ChangeSource::kApp),
              StatusIs(StatusCode::kPermissionDenied));
  EXPECT_EQ(Dump(h_.db()), before);
  // Granted: stored.
  ASSERT_OK(h_.ledger().SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
  EXPECT_OK(h_.vault().Add("voice", "voice_commands", "play jazz", ChangeSource::kApp).status());
  EXPECT_OK(h_.vault().Add("voice", "voice_recordings", "RIFFxxxx", ChangeSource::kApp).status());
}

TEST_F(VaultTest, NonOptionalCategoriesNeedNoOptIn) {
  EXPECT_OK(h_.vault().Set("name", "full_name", "Ada Lovelace", ChangeSource::kUser).status());
  EXPECT_OK(h_.vault().Add("usage", "listening_history", "track 1", ChangeSource::kApp).status());
  EXPECT_OK(h_.vault().Set("public_profile", "name_or_username", "ada", ChangeSource::kUser).status());
}

TEST_F(VaultTest, LocationIsStoredOnlyAtThePrecisionGranted) {
  ASSERT_OK(h_.ledger().SetCategoryProvided("location", true, DecisionSource::kUser));
  ASSERT_OK(h_.ledger().SetPurpose("location_features", ConsentState::kGranted, DecisionSource::kUser));
  ASSERT_OK(h_.ledger().SetLocationPrecision(platform::LocationPrecision::kApproximate,
                                             DecisionSource::kUser));
  EXPECT_THAT(h_.vault().Add("location", "precise_location", "52.517339,13.388861", ChangeSource::kApp),
              StatusIs(StatusCode::kPermissionDenied,
                       HasSubstr("precise location is not granted (granted: approximate)")));
  EXPECT_OK(h_.vault().Add("location", "approximate_location", "52.52,13.39", ChangeSource::kApp).status());
  EXPECT_THAT(h_.vault().Add("location", "approximate_location", "52.517339,13.388861", ChangeSource::kApp),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("more precise")));
  ASSERT_OK(h_.ledger().SetLocationPrecision(platform::LocationPrecision::kPrecise,
                                             DecisionSource::kUser));
  EXPECT_OK(h_.vault().Add("location", "precise_location", "52.517339,13.388861", ChangeSource::kApp).status());
}

// safety_and_legal_claims uses location and cannot be refused, but it is a reason to hand over
// what is held, not to collect: without a location purpose the user granted, nothing is stored.
TEST_F(VaultTest, LocationNeedsALocationPurposeNotOnlyAPrecision) {
  ASSERT_OK(h_.ledger().SetCategoryProvided("location", true, DecisionSource::kUser));
  ASSERT_OK(h_.ledger().SetLocationPrecision(platform::LocationPrecision::kPrecise,
                                             DecisionSource::kUser));
  EXPECT_THAT(h_.vault().Add("location", "precise_location", "52.517339,13.388861", ChangeSource::kApp),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("location_features")));
  ASSERT_OK(h_.ledger().SetPurpose("location_features", ConsentState::kGranted, DecisionSource::kUser));
  EXPECT_OK(h_.vault().Add("location", "precise_location", "52.517339,13.388861", ChangeSource::kApp).status());
}

TEST_F(VaultTest, EraseCategoryShredsItsKeyAndLeavesNothingOnDisk) {
  h_.GrantEverything();
  const std::vector<Canary> canaries = Canaries();
  for (const Canary& c : canaries) {
    ASSERT_OK(h_.vault().Add(c.category, c.field, c.value, ChangeSource::kApp).status());
  }
  ASSERT_OK_AND_ASSIGN(int64_t cmd, h_.vault().Add("voice", "voice_commands", "stop", ChangeSource::kApp));
  ASSERT_OK(h_.vault().Correct(cmd, "pause", ChangeSource::kUser));
  // The voice ciphertexts as they sit on disk, current and past.
  std::vector<std::string> voice_ciphertexts;
  ASSERT_OK_AND_ASSIGN(auto q, h_.db().Prepare(
      "SELECT ciphertext FROM vault_records WHERE category = 'voice' UNION ALL SELECT "
      "h.ciphertext FROM vault_history h JOIN vault_records r ON r.id = h.record_id WHERE "
      "r.category = 'voice'"));
  while (true) {
    ASSERT_OK_AND_ASSIGN(bool row, q.Step());
    if (!row) break;
    Bytes ct = q.ColumnBlob(0);
    voice_ciphertexts.emplace_back(ct.begin(), ct.end());
  }
  ASSERT_EQ(voice_ciphertexts.size(), 4u);
  ASSERT_OK(h_.db().Checkpoint(store::CheckpointMode::kTruncate));
  ASSERT_THAT(FindOnDisk(h_.db(), voice_ciphertexts), Not(IsEmpty()));  // the scan sees them
  ASSERT_OK(h_.device().key_store().Get("vault_dek_voice").status());

  ASSERT_OK_AND_ASSIGN(ErasureResult erased, h_.vault().Erase("voice"));
  EXPECT_EQ(erased.records, 3);
  EXPECT_EQ(erased.history_entries, 1);
  EXPECT_THAT(h_.device().key_store().Get("vault_dek_voice"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(FindOnDisk(h_.db(), voice_ciphertexts), IsEmpty());
  EXPECT_THAT(FindOnDisk(h_.db(), Needles(canaries)), IsEmpty());
  ASSERT_OK_AND_ASSIGN(auto left, h_.vault().History("voice", "voice_commands"));
  EXPECT_THAT(left, IsEmpty());
  // The other categories are untouched and still readable.
  ASSERT_OK_AND_ASSIGN(auto names, h_.vault().List("name", "full_name"));
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0].value, "Canaryname Qxzvbt");
  // The listener (the outbox, once it exists) was told; the audit log says what, not the values.
  ASSERT_EQ(h_.listener().calls.size(), 1u);
  EXPECT_THAT(h_.listener().calls[0].categories, ElementsAre("voice"));
  EXPECT_FALSE(h_.listener().calls[0].everything);
  std::vector<audit::AuditEntry> entries;
  ASSERT_OK(h_.audit().ForEach([&](const audit::AuditEntry& e) {
    entries.push_back(e);
    return OkStatus();
  }));
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.back().kind, audit::AuditKind::kErasure);
  EXPECT_EQ(entries.back().subject, "category voice");
  EXPECT_EQ(entries.back().detail, "records=3 history=1");
  EXPECT_OK(h_.audit().Verify());
  // Writing voice again makes a fresh key.
  ASSERT_OK(h_.vault().Add("voice", "voice_commands", "again", ChangeSource::kApp).status());
  EXPECT_OK(h_.device().key_store().Get("vault_dek_voice").status());
}

TEST_F(VaultTest, EraseAllLeavesNoRecordKeyOrTrace) {
  h_.GrantEverything();
  const std::vector<Canary> canaries = Canaries();
  for (const Canary& c : canaries) {
    ASSERT_OK_AND_ASSIGN(int64_t id, h_.vault().Add(c.category, c.field, c.value, ChangeSource::kApp));
    if (std::string(c.field) == "full_name") {
      ASSERT_OK(h_.vault().Correct(id, "Other Name", ChangeSource::kUser));
    }
  }
  ASSERT_OK_AND_ASSIGN(ErasureResult erased, h_.vault().EraseAll());
  EXPECT_EQ(erased.records, static_cast<int64_t>(canaries.size()));
  EXPECT_EQ(erased.history_entries, 1);
  int n = 0;
  ASSERT_OK(h_.vault().ForEachRecord([&](const Record&) {
    ++n;
    return OkStatus();
  }));
  EXPECT_EQ(n, 0);
  for (const policy::Category& c : h_.policy()->model().categories) {
    EXPECT_THAT(h_.device().key_store().Get("vault_dek_" + std::string(c.id)),
                StatusIs(StatusCode::kNotFound));
  }
  EXPECT_THAT(FindOnDisk(h_.db(), Needles(canaries)), IsEmpty());
  ASSERT_EQ(h_.listener().calls.size(), 1u);
  EXPECT_TRUE(h_.listener().calls[0].everything);
  EXPECT_EQ(h_.listener().calls[0].categories.size(), 9u);
  EXPECT_OK(h_.audit().Verify());
}

// A category without rows is no evidence that its key is an orphan (the rows may be in another
// database, or a write may be in flight): only a journaled erasure destroys a key. This test used
// to assert the opposite (Open destroyed the key), which was the data-loss bug of issue 8 item 1.
TEST_F(VaultTest, KeyOfACategoryWithoutRowsIsNeverDestroyedByOpen) {
  ASSERT_OK(h_.vault().Add("usage", "search_queries", "q", ChangeSource::kApp).status());
  // Rows deleted behind the vault's back, no erasure intent.
  ASSERT_OK(h_.db().Exec("DELETE FROM vault_records WHERE category = 'usage'"));
  ASSERT_OK_AND_ASSIGN(Bytes before, h_.device().key_store().Get("vault_dek_usage"));
  h_.Reopen();
  ASSERT_OK_AND_ASSIGN(Bytes after, h_.device().key_store().Get("vault_dek_usage"));
  EXPECT_EQ(after, before);
}

TEST_F(VaultTest, MissingDataKeyIsDataLossNotASilentNewKey) {
  ASSERT_OK_AND_ASSIGN(int64_t id, h_.vault().Add("usage", "search_queries", "q", ChangeSource::kApp));
  ASSERT_OK(h_.device().key_store().Delete("vault_dek_usage"));
  h_.Reopen();
  EXPECT_THAT(h_.vault().Get(id), StatusIs(StatusCode::kDataLoss, HasSubstr("data key is missing")));
  EXPECT_THAT(h_.vault().Add("usage", "search_queries", "q2", ChangeSource::kApp),
              StatusIs(StatusCode::kDataLoss, HasSubstr("data key of category 'usage' is missing")));
}

TEST_F(VaultTest, RetentionPurgesEachCategoryOnTime) {
  h_.GrantEverything();
  ASSERT_OK_AND_ASSIGN(int64_t loc, h_.vault().Add("location", "approximate_location", "Berlin", ChangeSource::kApp));
  ASSERT_OK_AND_ASSIGN(int64_t use, h_.vault().Add("usage", "search_queries", "q1", ChangeSource::kApp));
  ASSERT_OK_AND_ASSIGN(int64_t name, h_.vault().Set("name", "full_name", "Ada", ChangeSource::kUser));
  const int64_t t0 = h_.device().clock().NowUnixMillis();
  ASSERT_OK_AND_ASSIGN(int64_t expiry, h_.vault().ExpiresAt("location", t0));
  EXPECT_EQ(expiry, t0 + 30 * kDay);

  // One millisecond before location's 30 days: nothing goes.
  h_.device().clock().AdvanceBy(30 * kDay - 1);
  ASSERT_OK_AND_ASSIGN(SweepResult none, h_.vault().Sweep(h_.device().clock().NowUnixMillis()));
  EXPECT_EQ(none.records, 0);
  ASSERT_OK(h_.vault().Get(loc).status());
  // At 30 days: the location record goes, usage (365 days) stays.
  h_.device().clock().AdvanceBy(1);
  ASSERT_OK_AND_ASSIGN(SweepResult first, h_.vault().Sweep(h_.device().clock().NowUnixMillis()));
  EXPECT_EQ(first.records, 1);
  EXPECT_THAT(h_.vault().Get(loc), StatusIs(StatusCode::kNotFound));
  ASSERT_OK(h_.vault().Get(use).status());
  // The name is corrected at day 100; at day 730 its first version expires, the current stays.
  h_.device().clock().AdvanceBy(70 * kDay);
  ASSERT_OK(h_.vault().Correct(name, "Ada L.", ChangeSource::kUser));
  h_.device().clock().AdvanceBy(630 * kDay);
  ASSERT_OK_AND_ASSIGN(SweepResult second, h_.vault().Sweep(h_.device().clock().NowUnixMillis()));
  EXPECT_EQ(second.records, 1);          // usage, 365 days
  EXPECT_EQ(second.history_entries, 1);  // the name's first version
  EXPECT_THAT(h_.vault().Get(use), StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto trail, h_.vault().History("name", "full_name"));
  ASSERT_EQ(trail.size(), 1u);
  EXPECT_EQ(trail[0].value, "Ada L.");
  // Logged: counts per category, never values.
  std::vector<std::string> purges;
  ASSERT_OK(h_.audit().ForEach([&](const audit::AuditEntry& e) {
    if (e.kind == audit::AuditKind::kRetentionPurge) purges.push_back(e.subject + " " + e.detail);
    return OkStatus();
  }));
  EXPECT_THAT(purges, ElementsAre("category location records=1 history=0 retention_days=30",
                                  "category name records=0 history=1 retention_days=730",
                                  "category usage records=1 history=0 retention_days=365"));
  EXPECT_OK(h_.audit().Verify());
}

}  // namespace
}  // namespace tacet::vault
