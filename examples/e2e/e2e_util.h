// Helpers shared by the end-to-end tests (examples/e2e): the real tacet-collector and tacet-relay
// processes, a device Agent on the posix platform configured to sync to them, and the collector's
// --dump read back as JSON. Header-only; tests only.
#ifndef TACET_EXAMPLES_E2E_E2E_UTIL_H_
#define TACET_EXAMPLES_E2E_E2E_UTIL_H_

#include <dirent.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "base/bytes.h"
#include "child_process.h"
#include "testing/test_util.h"

namespace tacet::e2e {

// The SHA-256 pin a server wrote to DIR/tls-spki.sha256 (64 hex digits), as bytes.
inline std::array<uint8_t, 32> PinOf(const std::string& state_dir) {
  std::array<uint8_t, 32> pin{};
  const std::string hex = net::ReadTextFile(state_dir + "/tls-spki.sha256").substr(0, 64);
  auto bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.ok() && bytes->size() == 32) << "bad pin file in " << state_dir << ": " << hex;
  if (bytes.ok() && bytes->size() == 32) std::copy(bytes->begin(), bytes->end(), pin.begin());
  return pin;
}

// Runs `tacet-collector --state-dir DIR --dump FILE` (the tests stop the serving collector first)
// and parses the JSON; a failure to run or to parse fails the calling test.
inline nlohmann::json DumpCollector(const std::string& collector_path, const std::string& state_dir,
                                    const std::string& file) {
  auto dump = net::ChildProcess::Start({collector_path, "--state-dir", state_dir, "--dump", file}, file + ".log");
  EXPECT_TRUE(dump.ok()) << dump.status().ToString();
  if (!dump.ok()) return nlohmann::json();
  const std::optional<int> status = dump->Wait(10000);
  EXPECT_TRUE(status.has_value() && WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << net::ReadTextFile(file + ".log");
  const std::string text = net::ReadTextFile(file);
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(doc.is_discarded()) << text.substr(0, 400);
  return doc;
}

// Every regular file under `dir` (recursively), with its bytes.
inline void ReadTree(const std::string& dir, std::vector<std::pair<std::string, Bytes>>* out) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = dir + "/" + name;
    if (e->d_type == DT_DIR) {
      ReadTree(path, out);
    } else if (e->d_type == DT_REG) {
      out->emplace_back(path, tacet::testing::ReadFileOrDie(path));
    }
  }
  ::closedir(d);
}

inline bool Contains(const Bytes& haystack, const std::string& needle) {
  if (needle.empty()) return false;
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

}  // namespace tacet::e2e

#endif  // TACET_EXAMPLES_E2E_E2E_UTIL_H_
