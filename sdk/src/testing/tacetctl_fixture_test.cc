// The tacetctl fixture itself: streams kept apart, exit codes, timeouts, the working directory,
// and the failures it reports.
#include "testing/tacetctl_fixture.h"

#include <gtest/gtest-spi.h>
#include <gmock/gmock.h>

#include <chrono>
#include <filesystem>

namespace tacet::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(RunProgramTest, KeepsStdoutAndStderrApartAndReportsTheExitCode) {
  const TacetctlResult r = RunProgram({"/bin/sh", "-c", "echo to-out; echo to-err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, "to-out\n");
  EXPECT_EQ(r.err, "to-err\n");
  EXPECT_THAT(r.output, HasSubstr("to-out\n"));
  EXPECT_THAT(r.output, HasSubstr("to-err\n"));
  EXPECT_EQ(r.output.size(), r.out.size() + r.err.size());
}

TEST(RunProgramTest, PassesArgumentsWithoutAShell) {
  // Quotes, spaces and '$' reach the program as they are.
  const TacetctlResult r = RunProgram({"/bin/echo", "it's", "a b", "$HOME"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "it's a b $HOME\n");
}

TEST(RunProgramTest, RunsInTheGivenDirectory) {
  TempDir dir;
  RunOptions options;
  options.cwd = dir.path();
  const TacetctlResult r = RunProgram({"/bin/pwd"}, options);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, std::filesystem::canonical(dir.path()).string() + "\n");
}

TEST(RunProgramTest, AProgramPastItsTimeoutIsKilled) {
  RunOptions options;
  options.timeout_seconds = 1;
  const auto start = std::chrono::steady_clock::now();
  const TacetctlResult r = RunProgram({"/bin/sh", "-c", "exec sleep 30"}, options);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, 124);
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST(RunProgramTest, AProgramThatCannotStartFailsTheTest) {
  EXPECT_NONFATAL_FAILURE(RunProgram({"/nonexistent/tacetctl"}), "could not start");
  EXPECT_NONFATAL_FAILURE(RunProgram({}), "no program");
}

class TacetctlFixtureTest : public TacetctlFixture {};

TEST_F(TacetctlFixtureTest, RunsTacetctlOnTheFixturesDevice) {
  const TacetctlResult r = Run({"consent", "grant", "purpose:analytics"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.out, HasSubstr("purpose:analytics: granted"));
  EXPECT_THAT(r.err, IsEmpty());
  EXPECT_TRUE(std::filesystem::exists(Db()));
  EXPECT_TRUE(std::filesystem::is_directory(Keys()));
  // The device is the fixture's: the same history on the next run, and none on another device.
  EXPECT_THAT(Run({"consent", "history"}).out, HasSubstr("1 entries"));
  const TacetctlResult other =
      RunOn(File("other.db"), File("other-keys"), {"consent", "history"});
  EXPECT_EQ(other.exit_code, 1) << other.output;
  // A refusal goes to stderr.
  const TacetctlResult refused = Run({"consent", "grant", "purpose:no_such"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("no_such"));
  EXPECT_THAT(refused.out, IsEmpty());
}

TEST_F(TacetctlFixtureTest, CommandLineQuotesEveryWord) {
  EXPECT_EQ(CommandLine({"profile", "set", "name.full_name", "Ada's"}),
            ShellQuote(TacetctlPath()) + " 'profile' 'set' 'name.full_name' 'Ada'\\''s' '--db' " +
                ShellQuote(Db()) + " '--keystore' " + ShellQuote(Keys()));
  const CommandResult r = RunCommand(CommandLine({"consent", "history"}));
  EXPECT_EQ(r.exit_code, 1) << r.output;  // no device yet: nothing is created by a read
  EXPECT_THAT(r.output, HasSubstr("no device database at"));
}

TEST_F(TacetctlFixtureTest, ParseJsonFailsTheTestOnText) {
  EXPECT_EQ(ParseJson(R"({"a": [1, 2]})")["a"][1], 2);
  EXPECT_NONFATAL_FAILURE(ParseJson("not json"), "not JSON");
}

}  // namespace
}  // namespace tacet::testing
