// What the voice gate adds per audio frame: InjectedMicrophone::Push into a sink directly
// (baseline) against Push through a VoiceGate with one open session, which re-checks consent,
// the OS permission and the mute switch before handing the frame over.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "consent/consent_ledger.h"
#include "crypto/crypto_test_util.h"
#include "posix/file_key_store.h"
#include "emulator/virtual_clock.h"
#include "gate/voice_gate.h"
#include "policy/policy.h"
#include "posix/injected_microphone.h"
#include "posix/static_permissions.h"
#include "store/database.h"

namespace tacet::gate {
namespace {

class NullMicSink : public platform::MicrophoneSink {
 public:
  void OnFrame(const platform::AudioFrame& f) override { benchmark::DoNotOptimize(f.samples[0]); }
  void OnStopped(platform::MicrophoneStopReason) override {}
};
class NullVoiceSink : public VoiceFrameSink {
 public:
  void OnVoiceFrame(const platform::AudioFrame& f) override { benchmark::DoNotOptimize(f.samples[0]); }
  void OnSessionEnded(EndReason) override {}
};

void BM_MicPushBaseline(benchmark::State& state) {
  platform::InjectedMicrophone mic;
  NullMicSink sink;
  if (!mic.Start(platform::AudioFormat{}, &sink).ok()) return state.SkipWithError("start");
  std::vector<int16_t> samples(320, 100);
  for (auto _ : state) benchmark::DoNotOptimize(mic.Push(samples.data(), samples.size(), 0).ok());
}
BENCHMARK(BM_MicPushBaseline);

void BM_VoiceGateFrame(benchmark::State& state) {
  store::Schema consent_schema{"consent", consent::ConsentMigrations()};
  store::Schema gate_schema{"gate", GateMigrations()};
  auto ledger_db = store::Database::OpenInMemory(store::OpenOptions{false, true, 5000, &consent_schema});
  auto log_db = store::Database::OpenInMemory(store::OpenOptions{false, true, 5000, &gate_schema});
  auto policy = policy::Policy::LoadEmbedded();
  if (!ledger_db.ok() || !log_db.ok() || !policy.ok()) return state.SkipWithError("setup");
  platform::VirtualClock clock;
  // The ledger's head key lives in a key store; a scratch one, removed at the end.
  std::string dir = std::filesystem::temp_directory_path() / "tacet-gate-bench-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return state.SkipWithError("mkdtemp");
  auto keys = platform::FileKeyStore::Open(dir + "/keys");
  StatusOr<std::unique_ptr<consent::ConsentLedger>> ledger = keys.status();
  if (keys.ok()) {
    ledger = consent::ConsentLedger::Open(**ledger_db, *policy, clock, **keys,
                                          crypto::testing::TestDrbg());
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  auto log = AccessLog::Open(**log_db);
  if (!ledger.ok() || !log.ok()) return state.SkipWithError("open");
  using consent::ConsentState;
  using consent::DecisionSource;
  if (!(*ledger)->SetCategoryProvided("voice", true, DecisionSource::kUser).ok() ||
      !(*ledger)->SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser).ok()) {
    return state.SkipWithError("consent");
  }
  platform::InjectedMicrophone mic;
  platform::StaticPermissionProvider permissions;
  if (!permissions.Set(platform::Permission::kMicrophone, platform::PermissionState::kGranted).ok()) {
    return state.SkipWithError("permission");
  }
  {
    VoiceGate gate(**ledger, mic, permissions, clock, **log);
    NullVoiceSink sink;
    VoiceAcquireResult r = gate.Acquire("voice_features", &sink);
    if (!r.granted()) return state.SkipWithError("acquire");
    std::vector<int16_t> samples(320, 100);
    for (auto _ : state) benchmark::DoNotOptimize(mic.Push(samples.data(), samples.size(), 0).ok());
  }
}
BENCHMARK(BM_VoiceGateFrame);

}  // namespace
}  // namespace tacet::gate
