#include "testing/tacetctl_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "agent/device_schema.h"
#include "store/database.h"

namespace tacet::testing {
namespace {

using Clock = std::chrono::steady_clock;

void CloseBoth(int fds[2]) {
  for (int i = 0; i < 2; ++i) {
    if (fds[i] >= 0) ::close(fds[i]);
    fds[i] = -1;
  }
}

// Reads what is there on `fd` into `stream` and `both`; false at end of file (or an error).
bool Drain(int fd, std::string& stream, std::string& both) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      stream.append(buffer, static_cast<size_t>(n));
      both.append(buffer, static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TacetctlResult RunProgram(const std::vector<std::string>& argv, const RunOptions& options) {
  TacetctlResult result;
  if (argv.empty()) {
    ADD_FAILURE() << "RunProgram: no program given";
    return result;
  }
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<char*> c_argv;
  for (const std::string& arg : argv) c_argv.push_back(const_cast<char*>(arg.c_str()));
  c_argv.push_back(nullptr);
  const char* cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();

  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "RunProgram: pipe2: " << std::strerror(errno);
    CloseBoth(out_pipe);
    CloseBoth(err_pipe);
    return result;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    ADD_FAILURE() << "RunProgram: fork: " << std::strerror(errno);
    CloseBoth(out_pipe);
    CloseBoth(err_pipe);
    return result;
  }
  if (pid == 0) {
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    if (cwd != nullptr && ::chdir(cwd) != 0) ::_exit(127);
    ::execv(c_argv[0], c_argv.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  const bool bounded = options.timeout_seconds > 0;
  Clock::time_point term_at = Clock::now() + std::chrono::seconds(options.timeout_seconds);
  Clock::time_point kill_at = term_at + std::chrono::seconds(5);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* streams[2] = {&result.out, &result.err};
  int open_streams = 2;
  bool killed = false;
  while (open_streams > 0) {
    int wait_ms = -1;
    if (bounded && !killed) {
      const Clock::time_point next = result.timed_out ? kill_at : term_at;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now());
      if (left.count() <= 0) {
        ::kill(pid, result.timed_out ? SIGKILL : SIGTERM);
        killed = result.timed_out;
        result.timed_out = true;
        continue;
      }
      wait_ms = static_cast<int>(left.count());
    }
    const int ready = ::poll(fds, 2, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      ADD_FAILURE() << "RunProgram: poll: " << std::strerror(errno);
      ::kill(pid, SIGKILL);
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      if (!Drain(fds[i].fd, *streams[i], result.output)) {
        ::close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open_streams;
      }
    }
  }
  for (const pollfd& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (result.timed_out) {
    result.exit_code = 124;
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
    if (result.exit_code == 127 && result.output.empty()) {
      ADD_FAILURE() << "RunProgram: could not start " << argv[0];
    }
  } else {
    result.exit_code = -1;
  }
  return result;
}

std::string TacetctlPath() { return TACETCTL_PATH; }

TacetctlDevice::TacetctlDevice(const std::string& base) : dir_(base) {}

TacetctlResult TacetctlDevice::Run(std::vector<std::string> args,
                                   const RunOptions& options) const {
  return RunProgram(Concat(Concat({TacetctlPath()}, args), DeviceArgs()), options);
}

std::vector<std::string> TacetctlDevice::DeviceArgs(const std::string& db,
                                                    const std::string& keys) {
  return {"--db", db, "--keystore", keys};
}

TacetctlResult TacetctlFixture::RunBare(std::vector<std::string> args, const RunOptions& options) {
  return RunProgram(Concat({TacetctlPath()}, args), options);
}

TacetctlResult TacetctlFixture::RunOn(const std::string& db, const std::string& keys,
                                   std::vector<std::string> args) {
  return RunBare(Concat(std::move(args), TacetctlDevice::DeviceArgs(db, keys)));
}

std::string TacetctlFixture::CommandLine(const std::vector<std::string>& args) const {
  std::string line = ShellQuote(TacetctlPath());
  for (const std::string& word : Concat(args, device_.DeviceArgs())) line += " " + ShellQuote(word);
  return line;
}

nlohmann::json TacetctlFixture::ParseJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) ADD_FAILURE() << "not JSON:\n" << text;
  return j;
}

nlohmann::json TacetctlFixture::ReadJson(const std::string& path) { return ParseJson(Contents(path)); }

std::string TacetctlFixture::Contents(const std::string& path) {
  const Bytes bytes = ReadFileOrDie(path);
  return std::string(bytes.begin(), bytes.end());
}

void TacetctlFixture::Sql(const std::string& sql) const {
  store::OpenOptions options;
  options.schema = &agent::DeviceSchema();  // the schema tacetctl opens the file with
  auto db = store::Database::Open(Db(), options);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)->Exec(sql).ok()) << sql;
}

}  // namespace tacet::testing
