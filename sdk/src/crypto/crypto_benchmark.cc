// HPKE single-shot seal/open against its baseline, the raw pre-keyed AEAD, for the same sizes.
// The difference is HPKE's per-message fixed cost (ephemeral X25519 key generation + two scalar
// multiplications on seal, one on open, plus the HKDF key schedule and AEAD key setup).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "crypto/aead.h"
#include "crypto/drbg.h"
#include "crypto/hpke.h"
#include "crypto/x25519.h"
#include "crypto/x25519_internal.h"
#include "posix/posix_entropy.h"

namespace tacet::crypto {
namespace {

Drbg& BenchDrbg() {
  static platform::PosixEntropy entropy;
  static std::unique_ptr<Drbg> drbg = [] {
    auto d = Drbg::Create(entropy, "tacet crypto benchmark");
    if (!d.ok()) {
      std::fprintf(stderr, "Drbg: %s\n", d.status().ToString().c_str());
      std::abort();
    }
    return std::move(d).value();
  }();
  return *drbg;
}

const X25519KeyPair& RecipientKey() {
  static const X25519KeyPair kp = [] {
    auto k = X25519Generate(BenchDrbg());
    if (!k.ok()) std::abort();
    return std::move(k).value();
  }();
  return kp;
}

const ByteView kInfo = ByteView::FromString("tacet sync v1");
const ByteView kAad = ByteView::FromString("batch header");

AeadAlgorithm RawAlgorithm(HpkeAead aead) {
  return aead == HpkeAead::kChaCha20Poly1305 ? AeadAlgorithm::kChaCha20Poly1305
                                             : AeadAlgorithm::kAes128Gcm;
}

void BM_HpkeSeal(benchmark::State& state, HpkeAead aead) {
  const Bytes plaintext(static_cast<size_t>(state.range(0)), 0x61);
  const HpkeSuite suite{aead};
  for (auto _ : state) {
    auto sealed = HpkeSeal(suite, HpkeMode::kBase, RecipientKey().public_key, kInfo, kAad,
                           plaintext, BenchDrbg());
    if (!sealed.ok()) {
      state.SkipWithError(sealed.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(sealed->data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void BM_HpkeOpen(benchmark::State& state, HpkeAead aead) {
  const Bytes plaintext(static_cast<size_t>(state.range(0)), 0x61);
  const HpkeSuite suite{aead};
  auto sealed = HpkeSeal(suite, HpkeMode::kBase, RecipientKey().public_key, kInfo, kAad, plaintext,
                         BenchDrbg());
  if (!sealed.ok()) {
    state.SkipWithError(sealed.status().ToString().c_str());
    return;
  }
  for (auto _ : state) {
    auto opened = HpkeOpen(suite, HpkeMode::kBase, RecipientKey().private_key.view(), kInfo, kAad,
                           *sealed);
    if (!opened.ok()) {
      state.SkipWithError(opened.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(opened->data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

// Baseline: the same AEAD, keyed once, sealing with a fresh nonce per message.
void BM_RawAeadSeal(benchmark::State& state, HpkeAead aead) {
  const AeadAlgorithm alg = RawAlgorithm(aead);
  auto keyed = Aead::Create(alg, Bytes(AeadKeySize(alg), 0x42));
  if (!keyed.ok()) {
    state.SkipWithError(keyed.status().ToString().c_str());
    return;
  }
  const Bytes plaintext(static_cast<size_t>(state.range(0)), 0x61);
  Bytes nonce(kAeadNonceSize, 0);
  Bytes out;
  out.reserve(plaintext.size() + kAeadTagSize);
  uint64_t counter = 0;
  for (auto _ : state) {
    ++counter;
    for (size_t i = 0; i < 8; ++i) nonce[kAeadNonceSize - 1 - i] = static_cast<uint8_t>(counter >> (8 * i));
    out.clear();
    const Status s = keyed->Seal(nonce, kAad, plaintext, &out);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void BM_RawAeadOpen(benchmark::State& state, HpkeAead aead) {
  const AeadAlgorithm alg = RawAlgorithm(aead);
  auto keyed = Aead::Create(alg, Bytes(AeadKeySize(alg), 0x42));
  if (!keyed.ok()) {
    state.SkipWithError(keyed.status().ToString().c_str());
    return;
  }
  const Bytes plaintext(static_cast<size_t>(state.range(0)), 0x61);
  const Bytes nonce(kAeadNonceSize, 7);
  Bytes sealed;
  if (!keyed->Seal(nonce, kAad, plaintext, &sealed).ok()) {
    state.SkipWithError("seal failed");
    return;
  }
  Bytes out;
  out.reserve(plaintext.size());
  for (auto _ : state) {
    out.clear();
    const Status s = keyed->Open(nonce, kAad, sealed, &out);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

// One X25519 shared secret (RFC 7748 §5: clamping, ladder, inversion, the all-zero check) with
// Tacet's own arithmetic, against its baseline BM_X25519_Mbedtls, the same computation by
// mbedTLS 2.28's generic Curve25519 ladder (what Tacet used before). BM_X25519_Portable is the
// arithmetic that targets without unsigned __int128 run, measured here on the host.
void BM_X25519(benchmark::State& state) {
  auto peer = X25519Generate(BenchDrbg());
  if (!peer.ok()) std::abort();
  for (auto _ : state) {
    auto shared = X25519(RecipientKey().private_key.view(), peer->public_key);
    if (!shared.ok()) {
      state.SkipWithError(shared.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(shared->data());
  }
}
BENCHMARK(BM_X25519);

void BM_X25519_Mbedtls(benchmark::State& state) {
  auto peer = X25519Generate(BenchDrbg());
  if (!peer.ok()) std::abort();
  for (auto _ : state) {
    auto shared = internal::X25519Mbedtls(RecipientKey().private_key.view(), peer->public_key);
    if (!shared.ok()) {
      state.SkipWithError(shared.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(shared->data());
  }
}
BENCHMARK(BM_X25519_Mbedtls);

void BM_X25519_Portable(benchmark::State& state) {
  auto peer = X25519Generate(BenchDrbg());
  if (!peer.ok()) std::abort();
  uint8_t out[kX25519KeySize];
  for (auto _ : state) {
    internal::X25519RawPortable(out, RecipientKey().private_key.data(), peer->public_key.data());
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_X25519_Portable);

#define TACET_AEAD_BENCH(fn)                                                               \
  BENCHMARK_CAPTURE(fn, aes128gcm, HpkeAead::kAes128Gcm)->Arg(1024)->Arg(65536);           \
  BENCHMARK_CAPTURE(fn, chacha20poly1305, HpkeAead::kChaCha20Poly1305)->Arg(1024)->Arg(65536)

TACET_AEAD_BENCH(BM_HpkeSeal);
TACET_AEAD_BENCH(BM_HpkeOpen);
TACET_AEAD_BENCH(BM_RawAeadSeal);
TACET_AEAD_BENCH(BM_RawAeadOpen);

}  // namespace
}  // namespace tacet::crypto
