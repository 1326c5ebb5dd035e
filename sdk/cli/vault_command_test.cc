// Drives the real tacetctl binary against a device database and a key store directory:
// `tacetctl profile | export | erase | audit | report`.
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "agent/device_schema.h"
#include "store/database.h"
#include "testing/run_command.h"
#include "testing/test_util.h"

namespace tacet::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using tacet::testing::CommandResult;
using tacet::testing::ShellQuote;
using Json = nlohmann::json;

// Distinct strings that appear nowhere else, so finding one in a file means it leaked.
const char kName[] = "Ada Canary-5b1e Lovelace";
const char kEmail1[] = "canary-8c2d@example.org";
const char kEmail2[] = "canary-93fa@example.net";
const char kPhone[] = "+441632960961";
const char kListening[] = "Canary track 4e77";

class VaultCommandTest : public ::testing::Test {
 protected:
  CommandResult Tacetctl(const std::string& args) {
    return tacet::testing::RunCommand(ShellQuote(TACETCTL_PATH) + " " + args + " --db " +
                                      ShellQuote(Db()) + " --keystore " +
                                      ShellQuote(dir_.File("keys")));
  }
  std::string Db() const { return dir_.File("device.db"); }

  Json Export(const std::string& name) {
    const std::string path = out_.File(name);
    const CommandResult r = Tacetctl("export --out " + ShellQuote(path));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "the export holds personal data";
    const Bytes bytes = tacet::testing::ReadFileOrDie(path);
    return Json::parse(bytes.begin(), bytes.end());  // throws (failing the test) if malformed
  }

  static std::vector<std::string> Values(const Json& doc) {
    std::vector<std::string> values;
    for (const Json& r : doc["records"]) values.push_back(r["value"]);
    return values;
  }

  // Every file of the database (main, -wal, -shm, -journal) concatenated.
  std::string DatabaseFiles() {
    std::string all;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      struct stat st {};
      if (::stat((Db() + suffix).c_str(), &st) != 0) continue;
      const Bytes bytes = tacet::testing::ReadFileOrDie(Db() + suffix);
      all.append(bytes.begin(), bytes.end());
    }
    return all;
  }

  void Sql(const std::string& sql) {
    store::OpenOptions options;
    options.schema = &agent::DeviceSchema();
    auto db = store::Database::Open(Db(), options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Exec(sql).ok()) << sql;
  }

  tacet::testing::TempDir dir_;  // database and key store
  tacet::testing::TempDir out_;  // exports, kept apart from the canary scan
};

TEST_F(VaultCommandTest, SetCorrectHistoryExportEraseAndVerify) {
  CommandResult r = Tacetctl(std::string("profile set name.full_name ") + ShellQuote(kName));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "name.full_name: set (record 1, version 1)\n");
  r = Tacetctl(std::string("profile set contact.email_address ") + kEmail1);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Tacetctl(std::string("profile set contact.email_address ") + kEmail2);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "contact.email_address: corrected (record 2, version 2)\n");
  r = Tacetctl(std::string("profile set contact.phone_number ") + ShellQuote(kPhone));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Tacetctl(std::string("profile set usage.listening_history ") + ShellQuote(kListening));
  ASSERT_EQ(r.exit_code, 0) << r.output;

  // A refused correction names the field and changes nothing.
  r = Tacetctl("profile set contact.email_address not-an-address");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("contact.email_address"));
  // Nothing allows storing voice data until the user grants voice_features.
  r = Tacetctl("profile set voice.voice_commands 'play something'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("permission denied: vault: refusing to store voice.voice_commands: no purpose that uses 'voice' is allowed"));

  r = Tacetctl("profile get contact.email_address");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr(kEmail2));
  EXPECT_THAT(r.output, Not(HasSubstr(kEmail1)));
  EXPECT_THAT(r.output, HasSubstr("version 2, user"));

  r = Tacetctl("profile get");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* v : {kName, kEmail2, kPhone, kListening}) EXPECT_THAT(r.output, HasSubstr(v));
  EXPECT_THAT(r.output, HasSubstr("4 values\n"));

  r = Tacetctl("profile history contact.email_address");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr(std::string("version 1 written ")));
  EXPECT_THAT(r.output, HasSubstr(std::string(": ") + kEmail1 + "\n"));
  EXPECT_THAT(r.output, HasSubstr(std::string("(current): ") + kEmail2 + "\n"));
  EXPECT_THAT(r.output, HasSubstr("2 versions\n"));
  EXPECT_LT(r.output.find(kEmail1), r.output.find(kEmail2)) << "oldest first";

  Json doc = Export("first.json");
  EXPECT_EQ(doc["format"], "tacet-export");
  EXPECT_THAT(Values(doc), ::testing::UnorderedElementsAre(kName, kEmail2, kPhone, kListening));
  ASSERT_EQ(doc["history"].size(), 1u);
  EXPECT_EQ(doc["history"][0]["value"], kEmail1);

  // Nothing personal in any file of the database, while its metadata is there (the scan works).
  std::string files = DatabaseFiles();
  EXPECT_THAT(files, HasSubstr("email_address"));
  for (const char* v : {kName, kEmail1, kEmail2, kPhone, kListening}) {
    EXPECT_THAT(files, Not(HasSubstr(v))) << v;
  }

  // The privacy report: a page holding the values, written 0600, and audited.
  const std::string page = out_.File("report.html");
  r = Tacetctl("report --html " + ShellQuote(page));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "wrote " + page + ": 4 values in 3 categories\n");
  {
    struct stat st {};
    ASSERT_EQ(::stat(page.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    const Bytes bytes = tacet::testing::ReadFileOrDie(page);
    const std::string html(bytes.begin(), bytes.end());
    for (const char* v : {kName, kEmail2, kPhone, kListening}) EXPECT_THAT(html, HasSubstr(v));
    EXPECT_THAT(html, HasSubstr("Content-Security-Policy"));
  }

  r = Tacetctl("erase --category contact");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "erased 'contact': 2 values, 1 past versions; its data key destroyed\n");
  doc = Export("after-contact.json");
  EXPECT_THAT(Values(doc), ::testing::UnorderedElementsAre(kName, kListening));
  EXPECT_TRUE(doc["history"].empty());
  files = DatabaseFiles();
  for (const char* v : {kName, kEmail1, kEmail2, kPhone, kListening}) {
    EXPECT_THAT(files, Not(HasSubstr(v))) << v;
  }
  r = Tacetctl("profile get contact.email_address");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "0 values\n");

  // Everything: refused without --yes (a usage error, nothing asked), done with it.
  r = Tacetctl("erase");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("needs --yes"));
  EXPECT_EQ(Values(Export("still-there.json")).size(), 2u);
  r = Tacetctl("erase --yes");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("erased everything: 2 values"));
  doc = Export("empty.json");
  EXPECT_TRUE(doc["records"].empty());
  // The audit trail: corrections, exports and erasures, never a value.
  std::vector<std::string> kinds;
  for (const Json& e : doc["audit"]) kinds.push_back(e["kind"]);
  EXPECT_THAT(kinds, ::testing::Contains("correction"));
  EXPECT_THAT(kinds, ::testing::Contains("erasure"));
  EXPECT_THAT(kinds, ::testing::Contains("export"));
  EXPECT_THAT(doc["audit"].dump(), Not(HasSubstr("canary")));

  r = Tacetctl("audit verify");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::MatchesRegex("ok: [0-9]+ audit entries, chain and anchor agree\n"));

  // Someone with write access to the file edits entry 2 of the log.
  Sql("UPDATE audit_entries SET detail = 'nothing happened' WHERE seq = 2");
  r = Tacetctl("audit verify");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("entry 2 does not match the chain"));
}

TEST_F(VaultCommandTest, ConsentFromTheLedgerDecidesWhatMayBeStored) {
  CommandResult r = Tacetctl("profile set location.approximate_location Berlin");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("location"));
  for (const char* subject : {"category:location", "purpose:location_features",
                              "location:approximate"}) {
    r = tacet::testing::RunCommand(ShellQuote(TACETCTL_PATH) + " consent grant " + subject +
                                   " --db " + ShellQuote(Db()) + " --keystore " +
                                   ShellQuote(dir_.File("keys")));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  r = Tacetctl("profile set location.approximate_location Berlin");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Approximate was granted, precise was not.
  r = Tacetctl("profile set location.precise_location 52.517339,13.388861");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("precise location is not granted"));
}

TEST_F(VaultCommandTest, UsageErrors) {
  EXPECT_EQ(Tacetctl("profile set contact.email_address").exit_code, 2);
  EXPECT_EQ(Tacetctl("profile set email_address a@b.example").exit_code, 2);
  EXPECT_EQ(Tacetctl("profile frobnicate").exit_code, 2);
  EXPECT_EQ(Tacetctl("export").exit_code, 2);
  EXPECT_EQ(Tacetctl("report").exit_code, 2);
  EXPECT_EQ(Tacetctl("audit").exit_code, 2);
  EXPECT_EQ(Tacetctl("erase --category contact --bogus").exit_code, 2);
  const CommandResult r =
      tacet::testing::RunCommand(ShellQuote(TACETCTL_PATH) + " profile get --db " + ShellQuote(Db()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--keystore DIR are required"));
  // An unknown field is refused by the vault, naming it.
  const CommandResult unknown = Tacetctl("profile set contact.shoe_size 43");
  EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
  EXPECT_THAT(unknown.output, HasSubstr("shoe_size"));
}

}  // namespace
}  // namespace tacet::cli
