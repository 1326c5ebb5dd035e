// tacetctl as a careless user drives it: mistyped paths, another device's key store, a second
// process at the same time, an older copy of the database put back.
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "posix/device_lock.h"
#include "testing/tacetctl_fixture.h"
#include "testing/test_util.h"

namespace tacet::cli {
namespace {

using ::testing::HasSubstr;
using CommandResult = tacet::testing::TacetctlResult;
using tacet::testing::ShellQuote;

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

class DeviceSessionTest : public tacet::testing::TacetctlFixture {
 protected:
  // A device holding a value in two categories.
  void MakeDevice() {
    for (const char* subject : {"category:contact", "category:usage"}) {
      ASSERT_EQ(Run({"consent", "grant", subject}).exit_code, 0);
    }
    CommandResult r = Run({"profile", "set", "contact.email_address", "ada@example.org"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = Run({"profile", "set", "usage.search_queries", "lullabies"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  void ExpectEveryValueReadable() {
    const CommandResult r = Run({"profile", "get"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("ada@example.org"));
    EXPECT_THAT(r.output, HasSubstr("lullabies"));
    EXPECT_THAT(r.output, HasSubstr("2 values"));
  }
};

// Issue 8 item 1: `profile get --db devcie.db --keystore keys` used to create devcie.db and then
// destroy the data key of every category without rows in it: every value of the real device.
TEST_F(DeviceSessionTest, AMistypedDatabaseWithTheRealKeyStoreDestroysNothing) {
  MakeDevice();
  CommandResult r = RunOn(File("devcie.db"), Keys(), {"profile", "get"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("no device database at"));
  EXPECT_FALSE(Exists(File("devcie.db")));
  r = RunOn(File("devcie.db"), Keys(), {"profile", "set", "contact.phone_number", "+441632960961"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("belongs to database"));
  EXPECT_FALSE(Exists(File("devcie.db"))) << "a write created a second device on the keys";
  ExpectEveryValueReadable();
}

// Issue 8 item 4: a typo in --keystore used to make a new key-encryption key and write there.
TEST_F(DeviceSessionTest, AMistypedKeyStoreMakesNoKeys) {
  MakeDevice();
  const std::vector<std::string> commands[] = {
      {"profile", "set", "contact.email_address", "eve@example.org"}, {"profile", "get"},
      {"consent", "grant", "channel:email"}};
  for (const std::vector<std::string>& args : commands) {
    const std::string cmd = ::testing::PrintToString(args);
    const CommandResult r = RunOn(Db(), File("kyes"), args);
    EXPECT_EQ(r.exit_code, 1) << cmd << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("key store")) << cmd;
    EXPECT_FALSE(Exists(File("kyes"))) << cmd << " created a key store";
  }
  // An empty directory where the key store should be is no better than a missing one.
  ASSERT_EQ(::mkdir(File("empty").c_str(), 0700), 0);
  const CommandResult r =
      RunOn(Db(), File("empty"), {"profile", "set", "contact.email_address", "eve@example.org"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("refusing to create keys"));
  ExpectEveryValueReadable();
}

TEST_F(DeviceSessionTest, AnotherDevicesKeyStoreIsRefused) {
  MakeDevice();
  const std::string other_db = File("other.db"), other_keys = File("other-keys");
  ASSERT_EQ(RunOn(other_db, other_keys, {"consent", "grant", "channel:email"}).exit_code, 0);
  const CommandResult r = RunOn(Db(), other_keys, {"profile", "get"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("do not belong together"));
  ExpectEveryValueReadable();
  EXPECT_EQ(RunOn(other_db, other_keys, {"consent", "verify"}).exit_code, 0);
}

// Issue 8 item 5: one owner per device folder. A second writer waits, then says who holds it.
TEST_F(DeviceSessionTest, ASecondProcessWaitsForTheOwnerThenFailsClearly) {
  MakeDevice();
  auto held = platform::DeviceLock::Acquire(platform::DeviceLock::LockPathFor(Db()),
                                            platform::LockMode::kExclusive, 1000);
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  const CommandResult r = Run({"profile", "set", "contact.email_address", "eve@example.org"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("in use by process " + std::to_string(::getpid())));
  held->reset();
  ExpectEveryValueReadable();
  EXPECT_THAT(Run({"profile", "get", "contact.email_address"}).output, HasSubstr("ada@example.org"))
      << "the refused write changed nothing";
}

// Issue 8 item 7: two first writes on a new folder. The second waits for the first (the lock),
// then must open the device the first created instead of refusing it as a mistyped path (found by
// review: whether the database existed was decided before the lock was taken).
TEST_F(DeviceSessionTest, TwoFirstWritesOnANewFolderBothSucceed) {
  auto held = platform::DeviceLock::Acquire(platform::DeviceLock::LockPathFor(Db()),
                                            platform::LockMode::kExclusive, 1000);
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  const std::string script =
      CommandLine({"consent", "grant", "category:contact"}) + " > " + ShellQuote(File("a.out")) +
      " 2>&1 & a=$!; " + CommandLine({"consent", "grant", "channel:email"}) + " > " +
      ShellQuote(File("b.out")) + " 2>&1 & b=$!; sleep 0.5; echo go > " + ShellQuote(File("go")) +
      "; wait $a; ra=$?; wait $b; rb=$?; echo \"$ra $rb\"";
  // Both commands are started and waiting on the lock before it is released.
  std::thread release([&] {
    for (int i = 0; i < 100 && !Exists(File("go")); ++i) ::usleep(20 * 1000);
    held->reset();
  });
  const tacet::testing::CommandResult r = tacet::testing::RunCommand(script);
  release.join();
  EXPECT_THAT(r.output, HasSubstr("0 0")) << r.output << "\nA: " << Contents(File("a.out"))
                                         << "\nB: " << Contents(File("b.out"));
  const CommandResult history = Run({"consent", "history"});
  EXPECT_EQ(history.exit_code, 0) << history.output;
  EXPECT_THAT(history.output, HasSubstr("2 entries"));
}

// Issue 8 item 9: a database file replaced by an older copy of itself.
TEST_F(DeviceSessionTest, AnOlderCopyOfTheDatabaseIsRefused) {
  MakeDevice();
  const Bytes old_copy = tacet::testing::ReadFileOrDie(Db());
  ASSERT_EQ(Run({"profile", "set", "contact.email_address", "eve@example.org"}).exit_code, 0);
  tacet::testing::WriteFileOrDie(Db(), old_copy);
  const CommandResult r = Run({"profile", "get"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("replaced by an earlier copy"));
}

// Issue 8 item 13: in a folder that cannot be written, reading commands work (shared lock,
// read-only database, nothing created) and writing commands fail clearly. The folder is made
// read-only with a read-only bind mount in a private mount namespace (root, as CI runs).
TEST_F(DeviceSessionTest, ReadingCommandsWorkInAReadOnlyFolder) {
  MakeDevice();
  const tacet::testing::CommandResult probe = tacet::testing::RunCommand(
      "unshare -m sh -c 'mount --bind " + ShellQuote(path()) + " " + ShellQuote(path()) +
      " && mount -o remount,bind,ro " + ShellQuote(path()) + "' 2>&1");
  if (probe.exit_code != 0) GTEST_SKIP() << "cannot make a read-only bind mount here: " << probe.output;
  auto in_read_only_folder = [&](const std::vector<std::string>& args) {
    return tacet::testing::RunCommand(
        "unshare -m sh -c " +
        ShellQuote("mount --bind " + ShellQuote(path()) + " " + ShellQuote(path()) +
                   " && mount -o remount,bind,ro " + ShellQuote(path()) + " && " +
                   CommandLine(args)));
  };
  tacet::testing::CommandResult r = in_read_only_folder({"profile", "get"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("ada@example.org"));
  const std::vector<std::string> reads[] = {{"consent", "show"}, {"consent", "verify"},
                                            {"audit", "verify"},
                                            {"profile", "history", "contact.email_address"}};
  for (const std::vector<std::string>& read : reads) {
    r = in_read_only_folder(read);
    EXPECT_EQ(r.exit_code, 0) << ::testing::PrintToString(read) << ": " << r.output;
  }
  r = in_read_only_folder({"profile", "set", "contact.email_address", "eve@example.org"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Read-only file system"));
  ExpectEveryValueReadable();
}

}  // namespace
}  // namespace tacet::cli
