// Opening a device through the Agent against opening its bare database, in the same run, on the
// same folder: 100,000 vault records and 10,000 consent changes (issue 9's figure).
//   BM_AgentOpenClose        Agent::Open + Close: lock, key store, binding, generation (at open
//                            and close), policy, ledger (whole-chain integrity check), access
//                            log, audit log, vault, the retention sweep, then the ordered close
//   BM_BareDatabaseOpenClose store::Database::Open of the same file with the device schema (already
//                            at its version) + close
// Runs on the posix platform with the Agent's own FileKeyStore, as tacetctl does. The folder is
// made once per process under $TMPDIR (or /tmp) and removed at exit.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "agent/agent.h"
#include "agent/device_schema.h"
#include "posix/posix_services.h"
#include "store/database.h"

namespace tacet::agent {
namespace {

constexpr int kRecords = 100000;
constexpr int kConsentChanges = 10000;

using Services = platform::PosixServices;

class Device {
 public:
  static Device& Get() {
    static Device* device = new Device();
    return *device;
  }
  const std::string& dir() const { return dir_; }
  const std::string& error() const { return error_; }
  AgentOptions Options() const {
    AgentOptions options;
    options.data_dir = dir_;
    options.sweep_interval_ms = 24LL * 3600 * 1000;
    return options;
  }
  ~Device() { std::filesystem::remove_all(dir_); }

 private:
  Device() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/tacet-agent-bench-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      error_ = "mkdtemp failed";
      return;
    }
    dir_ = pattern + "/device";
    Status built = Build();
    if (!built.ok()) error_ = built.ToString();
  }
  Status Build() {
    Services s;
    TACET_ASSIGN_OR_RETURN(auto agent, Agent::Open(Options(), s.platform()));
    TACET_RETURN_IF_ERROR(agent->SetCategoryProvided("usage", true, consent::DecisionSource::kUser));
    for (int i = 0; i < kRecords; ++i) {
      char value[64];
      std::snprintf(value, sizeof value, "track %06d by an artist of the benchmark", i);
      TACET_RETURN_IF_ERROR(
          agent->AddValue("usage", "listening_history", value, vault::ChangeSource::kApp).status());
    }
    for (int i = 1; i < kConsentChanges; ++i) {
      TACET_RETURN_IF_ERROR(agent->SetChannel(
          "email", i % 2 ? consent::ConsentState::kGranted : consent::ConsentState::kDenied,
          consent::DecisionSource::kUser));
    }
    return agent->Close();
  }
  std::string dir_;
  std::string error_;
};

void BM_AgentOpenClose(benchmark::State& state) {
  Device& device = Device::Get();
  if (!device.error().empty()) {
    state.SkipWithError(device.error().c_str());
    return;
  }
  Services s;
  for (auto _ : state) {
    auto agent = Agent::Open(device.Options(), s.platform());
    if (!agent.ok()) {
      state.SkipWithError(agent.status().ToString().c_str());
      return;
    }
    if (!(*agent)->Close().ok()) {
      state.SkipWithError("close failed");
      return;
    }
  }
  state.counters["records"] = kRecords;
  state.counters["consent_changes"] = kConsentChanges;
}
BENCHMARK(BM_AgentOpenClose)->Unit(benchmark::kMillisecond);

void BM_BareDatabaseOpenClose(benchmark::State& state) {
  Device& device = Device::Get();
  if (!device.error().empty()) {
    state.SkipWithError(device.error().c_str());
    return;
  }
  store::OpenOptions options;
  options.schema = &DeviceSchema();
  for (auto _ : state) {
    auto db = store::Database::Open(device.dir() + "/tacet.db", options);
    if (!db.ok()) {
      state.SkipWithError(db.status().ToString().c_str());
      return;
    }
  }
}
BENCHMARK(BM_BareDatabaseOpenClose)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tacet::agent
