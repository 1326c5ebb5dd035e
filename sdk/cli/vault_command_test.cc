// Drives the real tacetctl binary against a device database and a key store directory:
// `tacetctl profile | export | erase | audit | report`.
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "testing/tacetctl_fixture.h"
#include "testing/test_util.h"

namespace tacet::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using CommandResult = tacet::testing::TacetctlResult;
using Json = nlohmann::json;

// Distinct strings that appear nowhere else, so finding one in a file means it leaked.
const char kName[] = "Ada Canary-5b1e Lovelace";
const char kEmail1[] = "canary-8c2d@example.org";
const char kEmail2[] = "canary-93fa@example.net";
const char kPhone[] = "+441632960961";
const char kListening[] = "Canary track 4e77";

// The two commands that write a file the user names: (command, its output option).
const std::pair<const char*, const char*> kOutputCommands[] = {{"export", "--out"},
                                                               {"report", "--html"}};

class VaultCommandTest : public tacet::testing::TacetctlFixture {
 protected:
  Json Export(const std::string& name) {
    const std::string path = out_.File(name);
    const CommandResult r = Run({"export", "--out", path});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "the export holds personal data";
    return ReadJson(path);  // a test failure if malformed
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

  // tacetctl with the options spelled out by the caller (no --db / --keystore appended), run in
  // `cwd`.
  static CommandResult TacetctlIn(const std::string& cwd, std::vector<std::string> args) {
    tacet::testing::RunOptions options;
    options.cwd = cwd;
    return RunBare(std::move(args), options);
  }
  // tacetctl consent ARGS on the fixture's device.
  CommandResult Consent(std::vector<std::string> args) {
    args.insert(args.begin(), "consent");
    return Run(std::move(args));
  }

  // Every file in `folder` (not recursive) → its contents.
  static std::map<std::string, std::string> Snapshot(const std::string& folder) {
    std::map<std::string, std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
      if (!entry.is_regular_file()) continue;
      const Bytes bytes = tacet::testing::ReadFileOrDie(entry.path().string());
      files[entry.path().filename().string()] = std::string(bytes.begin(), bytes.end());
    }
    return files;
  }

  tacet::testing::TempDir out_;  // exports, kept apart from the canary scan of the device folder
};

TEST_F(VaultCommandTest, SetCorrectHistoryExportEraseAndVerify) {
  CommandResult r = Run({"profile", "set", "name.full_name", kName});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "name.full_name: set (record 1, version 1)\n");
  r = Run({"profile", "set", "contact.email_address", kEmail1});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Run({"profile", "set", "contact.email_address", kEmail2});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "contact.email_address: corrected (record 2, version 2)\n");
  r = Run({"profile", "set", "contact.phone_number", kPhone});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Run({"profile", "set", "usage.listening_history", kListening});
  ASSERT_EQ(r.exit_code, 0) << r.output;

  // A refused correction names the field and changes nothing.
  r = Run({"profile", "set", "contact.email_address", "not-an-address"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("contact.email_address"));
  // Nothing allows storing voice data until the user grants voice_features.
  r = Run({"profile", "set", "voice.voice_commands", "play something"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("permission denied: vault: refusing to store voice.voice_commands: no purpose that uses 'voice' is allowed"));

  r = Run({"profile", "get", "contact.email_address"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr(kEmail2));
  EXPECT_THAT(r.output, Not(HasSubstr(kEmail1)));
  EXPECT_THAT(r.output, HasSubstr("version 2, user"));

  r = Run({"profile", "get"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* v : {kName, kEmail2, kPhone, kListening}) EXPECT_THAT(r.output, HasSubstr(v));
  EXPECT_THAT(r.output, HasSubstr("4 values\n"));

  r = Run({"profile", "history", "contact.email_address"});
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
  r = Run({"report", "--html", page});
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

  r = Run({"erase", "--category", "contact"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "erased 'contact': 2 values, 1 past versions; its data key destroyed\n");
  doc = Export("after-contact.json");
  EXPECT_THAT(Values(doc), ::testing::UnorderedElementsAre(kName, kListening));
  EXPECT_TRUE(doc["history"].empty());
  files = DatabaseFiles();
  for (const char* v : {kName, kEmail1, kEmail2, kPhone, kListening}) {
    EXPECT_THAT(files, Not(HasSubstr(v))) << v;
  }
  r = Run({"profile", "get", "contact.email_address"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "0 values\n");

  // Everything: refused without --yes (a usage error, nothing asked), done with it.
  r = Run({"erase"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("needs --yes"));
  EXPECT_EQ(Values(Export("still-there.json")).size(), 2u);
  r = Run({"erase", "--yes"});
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

  r = Run({"audit", "verify"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::MatchesRegex("ok: [0-9]+ audit entries, chain and anchor agree\n"));

  // Someone with write access to the file edits entry 2 of the log.
  Sql("UPDATE audit_entries SET detail = 'nothing happened' WHERE seq = 2");
  r = Run({"audit", "verify"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("entry 2 does not match the chain"));
}

TEST_F(VaultCommandTest, ConsentFromTheLedgerDecidesWhatMayBeStored) {
  CommandResult r = Run({"profile", "set", "location.approximate_location", "Berlin"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("location"));
  for (const char* subject : {"category:location", "purpose:location_features",
                              "location:approximate"}) {
    r = Run({"consent", "grant", subject});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  r = Run({"profile", "set", "location.approximate_location", "Berlin"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Approximate was granted, precise was not.
  r = Run({"profile", "set", "location.precise_location", "52.517339,13.388861"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("precise location is not granted"));
}

// `export --out` and `report --html` never replace the database, its companion files or
// anything in the key store, however the path is spelled; nothing is lost.
TEST_F(VaultCommandTest, ExportAndReportRefuseTheDatabaseAndTheKeyStore) {
  ASSERT_EQ(Run({"profile", "set", "name.full_name", kName}).exit_code, 0);
  ASSERT_EQ(Run({"profile", "set", "contact.email_address", kEmail1}).exit_code, 0);
  const auto keys_before = Snapshot(Keys());
  ASSERT_TRUE(keys_before.count("vault_kek")) << "the key-encryption key is where we expect it";
  const struct {
    std::string path;
    const char* why;
  } refused[] = {
      {Db(), "it is the database"},
      {File("keys/../device.db"), "it is the database"},
      {Db() + "-wal", "it is the database's wal file"},
      {Db() + "-shm", "it is the database's shm file"},
      {Db() + "-journal", "it is the database's journal file"},
      {File("keys/vault_kek"), "it is inside the key store"},
      {File("keys/a-new-file.json"), "it is inside the key store"},
      {Keys(), "it is a directory"},
  };
  for (const auto& r : refused) {
    for (const auto& [command, option] : kOutputCommands) {
      const CommandResult result = Run({command, option, r.path});
      EXPECT_EQ(result.exit_code, 1) << command << " " << r.path << ": " << result.output;
      EXPECT_THAT(result.output, HasSubstr("refusing to write '" + r.path + "': " + r.why))
          << command << " " << r.path;
    }
  }
  // Every key byte-identical, nothing added to the key store, every value still readable.
  EXPECT_EQ(Snapshot(Keys()), keys_before);
  const CommandResult get = Run({"profile", "get"});
  ASSERT_EQ(get.exit_code, 0) << get.output;
  EXPECT_THAT(get.output, HasSubstr(kName));
  EXPECT_THAT(get.output, HasSubstr(kEmail1));
  EXPECT_THAT(get.output, HasSubstr("2 values\n"));
  EXPECT_EQ(Run({"audit", "verify"}).exit_code, 0);
}

// A symbolic link at the destination is not followed: the file it points to keeps its bytes.
TEST_F(VaultCommandTest, ExportDoesNotFollowASymbolicLink) {
  ASSERT_EQ(Run({"profile", "set", "name.full_name", kName}).exit_code, 0);
  const std::string target = out_.File("target.txt");
  tacet::testing::WriteFileOrDie(target, ByteView::FromString("someone else's file"));
  const std::string link = out_.File("export.json");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  for (const auto& [command, option] : kOutputCommands) {
    const CommandResult r = Run({command, option, link});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_THAT(r.output, HasSubstr("it is a symbolic link"));
  }
  EXPECT_EQ(Contents(target), "someone else's file");
  struct stat st {};
  ASSERT_EQ(::lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  // A link to the key-encryption key is refused the same way.
  const std::string kek_link = out_.File("kek.json");
  ASSERT_EQ(::symlink(File("keys/vault_kek").c_str(), kek_link.c_str()), 0);
  const auto keys_before = Snapshot(Keys());
  EXPECT_EQ(Run({"export", "--out", kek_link}).exit_code, 1);
  EXPECT_EQ(Snapshot(Keys()), keys_before);
}

// An export that fails part-way (a stored value fails authentication) leaves the file that was at
// the destination byte-for-byte as it was, and no temporary file behind.
TEST_F(VaultCommandTest, AFailedExportLeavesTheExistingFileUntouched) {
  ASSERT_EQ(Run({"profile", "set", "name.full_name", kName}).exit_code, 0);
  const std::string json = out_.File("export.json");
  const std::string html = out_.File("report.html");
  ASSERT_EQ(Run({"export", "--out", json}).exit_code, 0);
  ASSERT_EQ(Run({"report", "--html", html}).exit_code, 0);
  const auto before = Snapshot(out_.path());
  ASSERT_EQ(before.size(), 2u);

  Sql("UPDATE vault_records SET ciphertext = zeroblob(length(ciphertext))");
  CommandResult r = Run({"export", "--out", json});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  r = Run({"report", "--html", html});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(Snapshot(out_.path()), before) << "same files, same bytes, no temporary file left";
}

// Exports and reports are created 0600 and replace an existing file with a new 0600 one.
TEST_F(VaultCommandTest, OutputsAndTheDatabaseAreOwnerOnly) {
  ASSERT_EQ(Run({"profile", "set", "name.full_name", kName}).exit_code, 0);
  const std::string json = out_.File("export.json");
  tacet::testing::WriteFileOrDie(json, ByteView::FromString("old"));
  ASSERT_EQ(::chmod(json.c_str(), 0644), 0);
  const std::string html = out_.File("report.html");
  ASSERT_EQ(Run({"export", "--out", json}).exit_code, 0);
  ASSERT_EQ(Run({"report", "--html", html}).exit_code, 0);
  for (const std::string& path : {json, html, Db()}) {
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << path;
  }
  EXPECT_THAT(Contents(json), HasSubstr(kName));
}

// Values that start with '-' (a southern or western coordinate) are values, not options; after
// "--" everything is a value. An option's value that is itself an option is a usage error.
TEST_F(VaultCommandTest, ValuesThatStartWithADash) {
  for (const char* subject : {"category:location", "purpose:location_features",
                              "location:approximate"}) {
    ASSERT_EQ(Consent({"grant", subject}).exit_code, 0) << subject;
  }
  CommandResult r = Run({"profile", "set", "location.approximate_location", "-33.87,151.21"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Run({"profile", "set", "location.approximate_location", "-33.87,-70.65"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = TacetctlIn(out_.path(), {"profile", "set", "--db", Db(), "--keystore", Keys(), "--",
                               "usage.search_queries", "--help", "me"});
  // One value too many after "--": a usage error, not an option.
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = TacetctlIn(out_.path(), {"profile", "set", "--db", Db(), "--keystore", Keys(), "--",
                               "usage.search_queries", "--help me"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Run({"profile", "get"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("]: -33.87,-70.65\n"));
  EXPECT_THAT(r.output, HasSubstr("]: --help me\n"));
  // --name=VALUE works too.
  r = TacetctlIn(out_.path(), {"profile", "get", "--db=" + Db(), "--keystore=" + Keys()});
  EXPECT_EQ(r.exit_code, 0) << r.output;

  // `--db --db FILE`: before, a database called "--db" was made and FILE stored as the value.
  r = TacetctlIn(out_.path(), {"profile", "set", "usage.search_queries", "--db", "--db",
                               out_.File("d.db"), "--keystore", Keys()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--db needs a value, not the option '--db'"));
  EXPECT_FALSE(std::filesystem::exists(out_.File("--db")));
  EXPECT_FALSE(std::filesystem::exists(out_.File("d.db")));
  r = TacetctlIn(out_.path(), {"profile", "get", "--db", Db(), "--keystore", "--db"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("needs a value"));
  EXPECT_FALSE(std::filesystem::exists(out_.File("--db")));
  // An option given twice is not silently resolved either.
  r = Run({"profile", "get", "--db", out_.File("other.db")});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--db is given more than once"));
  // Still an unknown option when it is not a number.
  r = Run({"profile", "set", "usage.search_queries", "-x"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("unknown option -x"));
  r = Run({"profile", "get", "usage.search_queries"});
  EXPECT_THAT(r.output, HasSubstr("1 values\n")) << "only the value given after --";
}

// A consent SUBJECT that is not one records nothing.
TEST_F(VaultCommandTest, UnknownLocationLevelIsAUsageErrorAndRecordsNothing) {
  const std::pair<const char*, const char*> bad[] = {
      {"deny", "location:bogus"}, {"deny", "location:"}, {"grant", "location:bogus"},
      {"grant", "location"}};
  for (const auto& [verb, subject] : bad) {
    const CommandResult r = Consent({verb, subject});
    EXPECT_EQ(r.exit_code, 2) << verb << " " << subject << ": " << r.output;
  }
  EXPECT_THAT(Consent({"deny", "location:bogus"}).output, HasSubstr("not 'location:bogus'"));
  CommandResult r = Consent({"history"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "0 entries\n");
  r = Consent({"deny", "location"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("location: none"));
}

// A device, a directory or a FIFO as --db is refused before SQLite touches it.
TEST_F(VaultCommandTest, NonRegularDatabasePathsAreRefused) {
  const bool journal_existed = std::filesystem::exists("/dev/null-journal");
  const std::string fifo = out_.File("fifo.db");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const struct {
    std::string path;
    const char* what;
  } cases[] = {{"/dev/null", "a character device"}, {out_.path(), "a directory"},
               {fifo, "a FIFO"}};
  for (const auto& c : cases) {
    CommandResult r = RunOn(c.path, Keys(), {"consent", "deny", "category:location"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_THAT(r.output, HasSubstr("database path '" + c.path + "' is " + c.what));
    r = RunOn(c.path, Keys(), {"profile", "get"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_THAT(r.output, HasSubstr("is " + std::string(c.what)));
  }
  if (!journal_existed) {
    EXPECT_FALSE(std::filesystem::exists("/dev/null-journal"));
  }
  EXPECT_FALSE(std::filesystem::exists(fifo + "-journal"));
  EXPECT_FALSE(std::filesystem::exists(fifo + "-wal"));
}

// A full card number is refused in every field but its own, whatever separates its digits, and
// the message never repeats it.
TEST_F(VaultCommandTest, CardNumbersAreRefused) {
  ASSERT_EQ(Consent({"grant", "category:payment"}).exit_code, 0);
  const struct {
    const char* field;
    const char* value;
  } cases[] = {{"payment.payment_token", "4111_1111_1111_1111"},
               {"payment.payment_token", "4111--1111--1111--1111"},
               {"usage.search_queries", "4111 1111 1111 1111"},
               {"name.full_name", "Ada 4111.1111.1111.1111"},
               {"contact.postal_address", "4111/1111/1111/1111"}};
  for (const auto& c : cases) {
    const CommandResult r =
        Run({"profile", "set", c.field, c.value});
    EXPECT_EQ(r.exit_code, 1) << c.field << " " << c.value << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr(std::string(c.field) + ": "));
    EXPECT_THAT(r.output, HasSubstr("card number"));
    EXPECT_THAT(r.output, Not(HasSubstr("1111")));
  }
  EXPECT_EQ(Run({"profile", "get"}).output, "0 values\n");
  // Numbers that are not card numbers are kept.
  for (const char* value : {"call +44 20 7946 0958", "123456789012", "4111 1111 1111 1112"}) {
    const CommandResult r = Run({"profile", "set", "usage.search_queries", value});
    EXPECT_EQ(r.exit_code, 0) << value << ": " << r.output;
  }
}

// Bidirectional controls in a value are printed as visible markers: "Ada" U+202E "exe.gnp" would
// otherwise display as "Adapng.exe".
TEST_F(VaultCommandTest, BidiControlsArePrintedVisibly) {
  const std::string spoof = "Ada\xE2\x80\xAE" "exe.gnp";
  ASSERT_EQ(Run({"profile", "set", "name.full_name", spoof}).exit_code, 0);
  const std::vector<std::string> commands[] = {
      {"profile", "get"}, {"profile", "get", "name.full_name"},
      {"profile", "history", "name.full_name"}};
  for (const std::vector<std::string>& args : commands) {
    const std::string command = ::testing::PrintToString(args);
    const CommandResult r = Run(args);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("Ada\xE2\x9F\xA8U+202E\xE2\x9F\xA9" "exe.gnp")) << command;
    EXPECT_THAT(r.output, Not(HasSubstr("\xE2\x80\xAE"))) << command;
  }
  // The export keeps the value exactly as stored: it is data for a program, not a display.
  const std::string json = out_.File("e.json");
  ASSERT_EQ(Run({"export", "--out", json}).exit_code, 0);
  EXPECT_THAT(Contents(json), HasSubstr(spoof));
}

TEST_F(VaultCommandTest, UsageErrors) {
  EXPECT_EQ(Run({"profile", "set", "contact.email_address"}).exit_code, 2);
  EXPECT_EQ(Run({"profile", "set", "email_address", "a@b.example"}).exit_code, 2);
  EXPECT_EQ(Run({"profile", "frobnicate"}).exit_code, 2);
  EXPECT_EQ(Run({"export"}).exit_code, 2);
  EXPECT_EQ(Run({"report"}).exit_code, 2);
  EXPECT_EQ(Run({"audit"}).exit_code, 2);
  EXPECT_EQ(Run({"erase", "--category", "contact", "--bogus"}).exit_code, 2);
  const CommandResult r = RunBare({"profile", "get", "--db", Db()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--keystore DIR are required"));
  // An unknown field is refused by the vault, naming it.
  const CommandResult unknown = Run({"profile", "set", "contact.shoe_size", "43"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
  EXPECT_THAT(unknown.output, HasSubstr("shoe_size"));
}

}  // namespace
}  // namespace tacet::cli
