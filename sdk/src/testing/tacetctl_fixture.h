// The one fixture for tests that drive tacetctl as a program, as a user at a shell would: a
// temporary device folder (device.db and keys/), `Run({args...})` that runs the tacetctl of this
// build on it without a shell, and helpers for what those tests keep doing (other devices' paths,
// JSON output, editing the database behind tacetctl's back).
//
//   class ConsentCommandTest : public tacet::testing::TacetctlFixture {};
//   TEST_F(ConsentCommandTest, Grant) {
//     const TacetctlResult r = Run({"consent", "grant", "purpose:analytics"});
//     ASSERT_EQ(r.exit_code, 0) << r.output;
//   }
//
// Link tacet_tacetctl_fixture (it depends on tacetctl, so the binary is built first).
#ifndef TACET_TESTING_TACETCTL_FIXTURE_H_
#define TACET_TESTING_TACETCTL_FIXTURE_H_

#include <gtest/gtest.h>

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "testing/run_command.h"  // ShellQuote, RunCommand for scripts
#include "testing/test_util.h"

namespace tacet::testing {

// What one run of a program did.
struct TacetctlResult {
  // The exit status; -1 when the program was killed by a signal or could not be started, 124
  // when it ran past its timeout (as timeout(1) reports it).
  int exit_code = -1;
  bool timed_out = false;
  std::string out;     // what it wrote to stdout
  std::string err;     // what it wrote to stderr
  std::string output;  // both, in the order they were read (what a terminal would show)
};

struct RunOptions {
  // Runs in this directory when not empty.
  std::string cwd;
  // After this many seconds the program gets SIGTERM, and SIGKILL five seconds later; 0 waits
  // for ever.
  int timeout_seconds = 0;
};

// Runs `argv` (argv[0] is the program's path) with fork and exec, no shell (so no quoting), stdin
// from /dev/null, and collects stdout and stderr until it exits. Fails the calling test
// (ADD_FAILURE) when it cannot be started. Blocks; callable from any thread, and from a process
// forked by a test.
TacetctlResult RunProgram(const std::vector<std::string>& argv, const RunOptions& options = {});

// The tacetctl binary of this build.
std::string TacetctlPath();

// A device folder for tacetctl: `<folder>/device.db` and `<folder>/keys`, created by tacetctl's
// first write, removed with the folder.
class TacetctlDevice {
 public:
  // A new temporary folder under $TMPDIR (or /tmp), or under `base` when it is not empty.
  explicit TacetctlDevice(const std::string& base = "");

  // tacetctl ARGS --db DB --keystore KEYS.
  TacetctlResult Run(std::vector<std::string> args, const RunOptions& options = {}) const;
  // `--db DB --keystore KEYS` for this device, or for another database and key store.
  std::vector<std::string> DeviceArgs() const { return DeviceArgs(Db(), Keys()); }
  static std::vector<std::string> DeviceArgs(const std::string& db, const std::string& keys);

  std::string Db() const { return dir_.File("device.db"); }
  std::string Keys() const { return dir_.File("keys"); }
  std::string File(const std::string& name) const { return dir_.File(name); }
  const std::string& path() const { return dir_.path(); }

 private:
  TempDir dir_;
};

class TacetctlFixture : public ::testing::Test {
 protected:
  TacetctlFixture() = default;
  // The device folder under `base` (see TacetctlDevice).
  explicit TacetctlFixture(const std::string& base) : device_(base) {}

  // tacetctl ARGS on this fixture's device (--db and --keystore appended).
  TacetctlResult Run(std::vector<std::string> args, const RunOptions& options = {}) const {
    return device_.Run(std::move(args), options);
  }
  // tacetctl ARGS exactly as given: no device options.
  static TacetctlResult RunBare(std::vector<std::string> args, const RunOptions& options = {});
  // tacetctl ARGS on another database and key store.
  static TacetctlResult RunOn(const std::string& db, const std::string& keys,
                              std::vector<std::string> args);

  // The shell command line for tacetctl ARGS on this device, every word quoted, for the few tests
  // that need a shell script around it (background processes, mount namespaces).
  std::string CommandLine(const std::vector<std::string>& args) const;

  // `text` parsed as JSON; a failure of the calling test (and a discarded value) if it is not.
  static nlohmann::json ParseJson(const std::string& text);
  // The whole file at `path` parsed as JSON, likewise.
  static nlohmann::json ReadJson(const std::string& path);
  // The whole file at `path` as a string (a test failure when it cannot be read).
  static std::string Contents(const std::string& path);

  // Runs `sql` on the device database through a connection of its own (with the device schema
  // tacetctl opens it with): someone with write access editing the file behind tacetctl's back.
  void Sql(const std::string& sql) const;

  std::string Db() const { return device_.Db(); }
  std::string Keys() const { return device_.Keys(); }
  std::string File(const std::string& name) const { return device_.File(name); }
  const std::string& path() const { return device_.path(); }

  TacetctlDevice device_;
};

}  // namespace tacet::testing

#endif  // TACET_TESTING_TACETCTL_FIXTURE_H_
