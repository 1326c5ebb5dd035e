#include "command.h"

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "output_file.h"
#include "policy/policy.h"

namespace tacet::cli {

Args::Args(std::vector<std::string> args) : args_(std::move(args)) {
  options_end_ = args_.size();
  for (size_t i = 0; i < args_.size(); ++i) {
    if (args_[i] == "--") {
      args_.erase(args_.begin() + static_cast<std::ptrdiff_t>(i));
      options_end_ = i;
      break;
    }
  }
}

bool IsNegativeNumber(std::string_view arg) {
  if (arg.size() < 2 || arg[0] != '-') return false;
  const size_t digit = arg[1] == '.' ? 2 : 1;
  return digit < arg.size() && arg[digit] >= '0' && arg[digit] <= '9';
}

bool Args::TakeFlag(std::string_view name) {
  for (size_t i = 0; i < options_end_; ++i) {
    if (args_[i] == name) {
      args_.erase(args_.begin() + static_cast<std::ptrdiff_t>(i));
      --options_end_;
      return true;
    }
  }
  return false;
}

bool Args::TakeOption(std::string_view name, std::string* value) {
  const std::string option(name);
  const std::string with_equals = option + "=";
  bool found = false;
  for (size_t i = 0; i < options_end_;) {
    const std::string& arg = args_[i];
    size_t taken = 0;
    std::string v;
    if (arg == option) {
      if (i + 1 >= options_end_) {
        std::fprintf(stderr, "tacetctl: %s needs a value\n", option.c_str());
        return false;
      }
      v = args_[i + 1];
      if (v.rfind("--", 0) == 0) {
        std::fprintf(stderr,
                     "tacetctl: %s needs a value, not the option '%s' (write %s=VALUE for a "
                     "value that starts with \"--\")\n",
                     option.c_str(), v.c_str(), option.c_str());
        return false;
      }
      taken = 2;
    } else if (arg.rfind(with_equals, 0) == 0) {
      v = arg.substr(with_equals.size());
      taken = 1;
    } else {
      ++i;
      continue;
    }
    if (found) {
      std::fprintf(stderr, "tacetctl: %s is given more than once\n", option.c_str());
      return false;
    }
    found = true;
    *value = std::move(v);
    args_.erase(args_.begin() + static_cast<std::ptrdiff_t>(i),
                args_.begin() + static_cast<std::ptrdiff_t>(i + taken));
    options_end_ -= taken;
  }
  return true;
}

bool Args::PeekOption(std::string_view name, std::string* value) const {
  const std::string with_equals = std::string(name) + "=";
  for (size_t i = 0; i < options_end_; ++i) {
    if (args_[i] == name && i + 1 < options_end_) {
      *value = args_[i + 1];
      return true;
    }
    if (args_[i].rfind(with_equals, 0) == 0) {
      *value = args_[i].substr(with_equals.size());
      return true;
    }
  }
  return false;
}

bool Args::NoUnknownOptions() const {
  for (size_t i = 0; i < options_end_; ++i) {
    const std::string& arg = args_[i];
    if (arg.size() > 1 && arg[0] == '-' && !IsNegativeNumber(arg)) {
      std::fprintf(stderr, "tacetctl: unknown option %s (put \"--\" before a value that starts "
                   "with '-')\n", arg.c_str());
      return false;
    }
  }
  return true;
}

int Fail(const Status& status) {
  std::fprintf(stderr, "tacetctl: %s\n", status.ToString().c_str());
  return kExitFailure;
}

int UsageError(const Command& command, std::string_view problem) {
  if (!problem.empty()) std::fprintf(stderr, "tacetctl %s: %s\n", std::string(command.name).c_str(),
                                     std::string(problem).c_str());
  std::fprintf(stderr, "%s", std::string(command.usage).c_str());
  return kExitUsage;
}

StatusOr<Bytes> ReadFile(const std::string& path, size_t max_bytes) {
  return policy::ReadPolicyFile(path, max_bytes);
}

Status WriteFile(const std::string& path, ByteView bytes, unsigned mode) {
  return WriteOutputFile(path, ProtectedPaths{}, mode, [&](std::FILE* file) -> Status {
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size()) {
      return UnavailableError("writing '" + path + "' failed: " + std::strerror(errno));
    }
    return OkStatus();
  });
}

}  // namespace tacet::cli
