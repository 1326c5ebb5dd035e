// The capture gates' consent decision against a bare acquire load, in the same run.
// Target (issue 4): median <= 20 ns and <= 10x BM_AtomicLoadBaseline. scripts/bench_ratios.py
// pairs the two.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "consent/consent_ledger.h"
#include "crypto/crypto_test_util.h"
#include "posix/file_key_store.h"
#include "emulator/virtual_clock.h"
#include "policy/policy.h"
#include "store/database.h"

namespace tacet::consent {
namespace {

// The database is in memory: the decision path never touches it.
void BM_GateDecision(benchmark::State& state) {
  static const store::Schema schema{"consent", ConsentMigrations()};
  store::OpenOptions options;
  options.schema = &schema;
  auto db = store::Database::OpenInMemory(options);
  auto policy = policy::Policy::LoadEmbedded();
  platform::VirtualClock clock;
  if (!db.ok() || !policy.ok()) {
    state.SkipWithError("cannot open the database or the policy");
    return;
  }
  // The ledger's head key lives in a key store; a scratch one, removed at the end.
  std::string dir = std::filesystem::temp_directory_path() / "tacet-consent-bench-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  auto keys = platform::FileKeyStore::Open(dir + "/keys");
  StatusOr<std::unique_ptr<ConsentLedger>> ledger = keys.status();
  if (keys.ok()) ledger = ConsentLedger::Open(**db, *policy, clock, **keys, crypto::testing::TestDrbg());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!ledger.ok() ||
      !(*ledger)->SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser).ok() ||
      !(*ledger)->SetCategoryProvided("voice", true, DecisionSource::kUser).ok()) {
    state.SkipWithError("cannot set up the ledger");
    return;
  }
  const ConsentLedger& l = **ledger;
  // A gate resolves its indices once per policy, not per decision.
  const int purpose = l.snapshot().PurposeIndex("voice_features");
  const int category = l.snapshot().CategoryIndex("voice");
  for (auto _ : state) {
    const ConsentSnapshot& s = l.snapshot();
    bool allowed = s.Allows(purpose, category);
    benchmark::DoNotOptimize(allowed);
  }
  if (!l.snapshot().Allows(purpose, category)) state.SkipWithError("decision was not 'allowed'");
}
BENCHMARK(BM_GateDecision)->UseRealTime();

void BM_AtomicLoadBaseline(benchmark::State& state) {
  static int target;
  std::atomic<const void*> pointer{&target};
  for (auto _ : state) {
    const void* p = pointer.load(std::memory_order_acquire);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_AtomicLoadBaseline)->UseRealTime();

}  // namespace
}  // namespace tacet::consent
