// Sealing one 64 KiB batch as an Oblivious HTTP request (Binary HTTP POST framing, one HPKE setup
// per batch: ephemeral X25519 key, two scalar multiplications, the key schedule, then AEAD over
// the whole message) against its baseline, raw AES-128-GCM over the same 64 KiB with a key
// already scheduled. BM_SealerOhttpSetupOnly isolates the fixed per-batch cost (an empty body).
//
// BM_SealerOhttpRequest64KiBPregenerated and BM_SealerOhttpSetupOnlyPregenerated seal with an
// ephemeral generated ahead of time (OhttpEphemeral, outside the timed region, as an uploader
// does off the upload path), which leaves one scalar multiplication per batch instead of two.
//
// Figures of merit (issue 10: at least 0.8), each a ratio of times in the same run:
//   BM_SealerRawAes128Gcm64KiB / BM_SealerOhttpRequest64KiB
//   BM_SealerRawAes128Gcm64KiB / BM_SealerOhttpRequest64KiBPregenerated
// Compare CPU times: on a shared machine the wall-clock column also counts other processes.
//   build/ci/tacet_bench --benchmark_filter='Sealer|X25519' --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include "crypto/aead.h"
#include "crypto/drbg.h"
#include "posix/posix_entropy.h"
#include "sealer/bhttp.h"
#include "sealer/ohttp.h"

namespace tacet::sealer {
namespace {

constexpr size_t kBatchSize = 64 * 1024;

crypto::Drbg& BenchDrbg() {
  static platform::PosixEntropy entropy;
  static std::unique_ptr<crypto::Drbg> drbg = [] {
    auto d = crypto::Drbg::Create(entropy, "tacet sealer benchmark");
    if (!d.ok()) {
      std::fprintf(stderr, "Drbg: %s\n", d.status().ToString().c_str());
      std::abort();
    }
    return std::move(d).value();
  }();
  return *drbg;
}

const OhttpKeyConfig& GatewayConfig() {
  static const OhttpKeyConfig config = [] {
    auto key = GenerateGatewayKey(1, BenchDrbg());
    if (!key.ok()) std::abort();
    return key->config;
  }();
  return config;
}

BhttpRequest Batch(size_t size) {
  BhttpRequest r;
  r.method = "POST";
  r.scheme = "https";
  r.authority = "collector.example";
  r.path = "/v1/batches";
  r.headers = {{"content-type", "application/x-tacet-batch"}};
  r.content.assign(size, 0x61);
  return r;
}

void SealBatch(benchmark::State& state, crypto::HpkeAead aead, size_t size, bool pregenerated) {
  const BhttpRequest batch = Batch(size);
  for (auto _ : state) {
    std::optional<OhttpEphemeral> ephemeral;
    if (pregenerated) {
      // Off the upload path: an uploader generates it ahead of time (OhttpEphemeralPool).
      state.PauseTiming();
      auto e = OhttpEphemeral::Generate(BenchDrbg());
      if (!e.ok()) {
        state.SkipWithError(e.status().ToString().c_str());
        break;
      }
      ephemeral.emplace(std::move(e).value());
      state.ResumeTiming();
    }
    auto message = EncodeBhttpRequest(batch);
    if (!message.ok()) {
      state.SkipWithError(message.status().ToString().c_str());
      break;
    }
    auto sealed = pregenerated
                      ? EncapsulateRequest(GatewayConfig(), aead, *message, std::move(*ephemeral))
                      : EncapsulateRequest(GatewayConfig(), aead, *message, BenchDrbg());
    if (!sealed.ok()) {
      state.SkipWithError(sealed.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(sealed->encapsulated_request.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}

void BM_SealerOhttpRequest64KiB(benchmark::State& state) {
  SealBatch(state, crypto::HpkeAead::kAes128Gcm, kBatchSize, /*pregenerated=*/false);
}
BENCHMARK(BM_SealerOhttpRequest64KiB);

void BM_SealerOhttpRequest64KiBPregenerated(benchmark::State& state) {
  SealBatch(state, crypto::HpkeAead::kAes128Gcm, kBatchSize, /*pregenerated=*/true);
}
BENCHMARK(BM_SealerOhttpRequest64KiBPregenerated);

void BM_SealerOhttpRequest64KiBChaCha20Poly1305(benchmark::State& state) {
  SealBatch(state, crypto::HpkeAead::kChaCha20Poly1305, kBatchSize, /*pregenerated=*/false);
}
BENCHMARK(BM_SealerOhttpRequest64KiBChaCha20Poly1305);

void BM_SealerOhttpSetupOnly(benchmark::State& state) {
  SealBatch(state, crypto::HpkeAead::kAes128Gcm, 0, /*pregenerated=*/false);
}
BENCHMARK(BM_SealerOhttpSetupOnly);

void BM_SealerOhttpSetupOnlyPregenerated(benchmark::State& state) {
  SealBatch(state, crypto::HpkeAead::kAes128Gcm, 0, /*pregenerated=*/true);
}
BENCHMARK(BM_SealerOhttpSetupOnlyPregenerated);

// Baseline: AES-128-GCM over the same 64 KiB, key scheduled once, a fresh nonce per message.
void BM_SealerRawAes128Gcm64KiB(benchmark::State& state) {
  const Bytes plaintext(kBatchSize, 0x61);
  auto key = BenchDrbg().RandomBytes(16);
  if (!key.ok()) std::abort();
  auto aead = crypto::Aead::Create(crypto::AeadAlgorithm::kAes128Gcm, *key);
  if (!aead.ok()) std::abort();
  uint8_t nonce[crypto::kAeadNonceSize] = {};
  uint64_t counter = 0;
  for (auto _ : state) {
    ++counter;
    for (size_t i = 0; i < 8; ++i) nonce[4 + i] = static_cast<uint8_t>(counter >> (8 * i));
    Bytes out;
    out.reserve(kBatchSize + crypto::kAeadTagSize);
    const Status s = aead->Seal(ByteView(nonce, sizeof nonce), ByteView(), plaintext, &out);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBatchSize));
}
BENCHMARK(BM_SealerRawAes128Gcm64KiB);

}  // namespace
}  // namespace tacet::sealer
