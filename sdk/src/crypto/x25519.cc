// X25519 (RFC 7748 §5) in Tacet's own arithmetic.
//
// Field elements of GF(p), p = 2^255 - 19, are five unsigned 64-bit limbs of 51 bits each,
// h = h[0] + h[1]*2^51 + h[2]*2^102 + h[3]*2^153 + h[4]*2^204. A product of two elements is
// accumulated in 128-bit sums and folded back with 2^255 = 19 (mod p). The 128-bit type is a
// template parameter: unsigned __int128 where the compiler has it (GCC and Clang on x86-64 and
// aarch64), otherwise a pair of 64-bit words (PortableWide), so that 32-bit targets build and
// compute the same values, only slower.
//
// Constant time: the ladder makes the same sequence of operations for every scalar and every
// u; scalar bits only ever enter a mask for the conditional swap. There are no branches or table
// indices that depend on secret data, and no early exits. Multiplications are 64x64-bit, which
// take fixed time on the CPUs Tacet targets (x86-64, Cortex-A).
#include "crypto/x25519.h"

#include <cstring>
#include <string>

#include "crypto/x25519_internal.h"

namespace tacet::crypto {
namespace internal {
namespace {

constexpr uint64_t kMask51 = (uint64_t{1} << 51) - 1;

// ---- 128-bit accumulators ----------------------------------------------------------------------

// A 128-bit unsigned integer as two 64-bit words, for compilers without unsigned __int128. Only
// what the field arithmetic needs: products of two 64-bit words, sums, and shifts right by 51.
struct PortableWide {
  struct T {
    uint64_t lo = 0;
    uint64_t hi = 0;
    friend T operator+(T a, T b) {
      T r;
      r.lo = a.lo + b.lo;
      // The carry out of the low word, computed without a comparison (no data-dependent flags
      // a compiler could turn into a branch).
      const uint64_t carry = ((a.lo & b.lo) | ((a.lo | b.lo) & ~r.lo)) >> 63;
      r.hi = a.hi + b.hi + carry;
      return r;
    }
    T& operator+=(T b) { return *this = *this + b; }
  };
  static T Mul(uint64_t a, uint64_t b) {
    const uint64_t a0 = a & 0xffffffffu, a1 = a >> 32;
    const uint64_t b0 = b & 0xffffffffu, b1 = b >> 32;
    const uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    const uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    T r;
    r.lo = (mid << 32) | (p00 & 0xffffffffu);
    r.hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    return r;
  }
  static T From(uint64_t a) { return T{a, 0}; }
  static uint64_t Low(T a) { return a.lo; }
  static T Shr51(T a) { return T{(a.lo >> 51) | (a.hi << 13), a.hi >> 51}; }
};

#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 NativeUint128;  // __extension__: not ISO C++, -Wpedantic
struct NativeWide {
  using T = NativeUint128;
  static T Mul(uint64_t a, uint64_t b) { return static_cast<T>(a) * b; }
  static T From(uint64_t a) { return a; }
  static uint64_t Low(T a) { return static_cast<uint64_t>(a); }
  static T Shr51(T a) { return a >> 51; }
};
using DefaultWide = NativeWide;
#else
using DefaultWide = PortableWide;
#endif

// ---- GF(2^255 - 19) ----------------------------------------------------------------------------

struct Fe {
  uint64_t v[5];
};

// Limb bounds: every function below takes limbs < 2^54 and, except Add and Sub, returns limbs
// < 2^52 (Mul, Square and MulSmall end with a carry pass). Add of two such outputs stays
// < 2^53 and Sub < 2^54, so every product term fits: 19 * 2^54 * 2^54 * 5 < 2^128.

// Little-endian 64-bit load of 8 bytes.
uint64_t Load64(const uint8_t* p) {
  uint64_t r = 0;
  for (int i = 7; i >= 0; --i) r = (r << 8) | p[i];
  return r;
}

void Store64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// decodeUCoordinate (RFC 7748 §5): the 32 bytes little-endian with bit 255 masked off. Values
// from p to 2^255 - 1 are not rejected: they are kept as they are, and the arithmetic reduces
// them, as §5 requires ("implementations of X25519 MUST accept non-canonical values").
void FeFromBytes(Fe& h, const uint8_t s[32]) {
  h.v[0] = Load64(s) & kMask51;              // bits   0..50
  h.v[1] = (Load64(s + 6) >> 3) & kMask51;   // bits  51..101
  h.v[2] = (Load64(s + 12) >> 6) & kMask51;  // bits 102..152
  h.v[3] = (Load64(s + 19) >> 1) & kMask51;  // bits 153..203
  h.v[4] = (Load64(s + 24) >> 12) & kMask51; // bits 204..254; bit 255 is dropped
}

// encodeUCoordinate (RFC 7748 §5): the unique representative in [0, p), little-endian.
void FeToBytes(uint8_t s[32], const Fe& f) {
  uint64_t h[5] = {f.v[0], f.v[1], f.v[2], f.v[3], f.v[4]};
  // Two carry passes: every limb < 2^51 except h[0], which may hold up to 2^51 + 18. The value
  // is then below 2^255 + 2^51 < 2p, so subtracting p at most once reduces it fully.
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < 4; ++i) {
      h[i + 1] += h[i] >> 51;
      h[i] &= kMask51;
    }
    h[0] += 19 * (h[4] >> 51);
    h[4] &= kMask51;
  }
  // q = 1 exactly when h >= p, that is when h + 19 >= 2^255.
  uint64_t q = (h[0] + 19) >> 51;
  for (int i = 1; i < 5; ++i) q = (h[i] + q) >> 51;
  // h - q*p = h + 19q - q*2^255: add 19q, carry through, and drop bit 255.
  h[0] += 19 * q;
  for (int i = 0; i < 4; ++i) {
    h[i + 1] += h[i] >> 51;
    h[i] &= kMask51;
  }
  h[4] &= kMask51;
  Store64(s, h[0] | (h[1] << 51));
  Store64(s + 8, (h[1] >> 13) | (h[2] << 38));
  Store64(s + 16, (h[2] >> 26) | (h[3] << 25));
  Store64(s + 24, (h[3] >> 39) | (h[4] << 12));
  SecureZero(h, sizeof(h));
}

void FeAdd(Fe& h, const Fe& f, const Fe& g) {
  for (int i = 0; i < 5; ++i) h.v[i] = f.v[i] + g.v[i];
}

// h = f - g, computed as f + 4p - g so that no limb goes negative (g's limbs are < 2^53 here,
// below 4p's limbs, 2^53 - 76 and 2^53 - 4).
void FeSub(Fe& h, const Fe& f, const Fe& g) {
  constexpr uint64_t k4p0 = 4 * ((uint64_t{1} << 51) - 19);
  constexpr uint64_t k4pi = 4 * ((uint64_t{1} << 51) - 1);
  h.v[0] = f.v[0] + k4p0 - g.v[0];
  for (int i = 1; i < 5; ++i) h.v[i] = f.v[i] + k4pi - g.v[i];
}

// Folds five 128-bit column sums into limbs < 2^52: carry each column into the next, the top
// one times 19 into the bottom (2^255 = 19 mod p), then one more carry from limb 0 to limb 1.
template <typename W>
void FeCarry(Fe& h, typename W::T r0, typename W::T r1, typename W::T r2, typename W::T r3,
             typename W::T r4) {
  r1 += W::Shr51(r0);
  r2 += W::Shr51(r1);
  r3 += W::Shr51(r2);
  r4 += W::Shr51(r3);
  // Each column is below 2^115 (five products of limbs < 2^54, one of them times 19), so the
  // top carry r4 >> 51 fits in 64 bits, but that carry times 19 needs the wide type.
  const typename W::T t0 = W::From(W::Low(r0) & kMask51) + W::Mul(W::Low(W::Shr51(r4)), 19);
  h.v[1] = (W::Low(r1) & kMask51) + W::Low(W::Shr51(t0));
  h.v[0] = W::Low(t0) & kMask51;
  h.v[2] = W::Low(r2) & kMask51;
  h.v[3] = W::Low(r3) & kMask51;
  h.v[4] = W::Low(r4) & kMask51;
}

template <typename W>
void FeMul(Fe& h, const Fe& f, const Fe& g) {
  const uint64_t f0 = f.v[0], f1 = f.v[1], f2 = f.v[2], f3 = f.v[3], f4 = f.v[4];
  const uint64_t g0 = g.v[0], g1 = g.v[1], g2 = g.v[2], g3 = g.v[3], g4 = g.v[4];
  const uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
  // Column k collects f_i*g_j with i + j = k, and with i + j = k + 5 times 19.
  const typename W::T r0 = W::Mul(f0, g0) + W::Mul(f1, g4_19) + W::Mul(f2, g3_19) +
                           W::Mul(f3, g2_19) + W::Mul(f4, g1_19);
  const typename W::T r1 = W::Mul(f0, g1) + W::Mul(f1, g0) + W::Mul(f2, g4_19) +
                           W::Mul(f3, g3_19) + W::Mul(f4, g2_19);
  const typename W::T r2 = W::Mul(f0, g2) + W::Mul(f1, g1) + W::Mul(f2, g0) +
                           W::Mul(f3, g4_19) + W::Mul(f4, g3_19);
  const typename W::T r3 = W::Mul(f0, g3) + W::Mul(f1, g2) + W::Mul(f2, g1) + W::Mul(f3, g0) +
                           W::Mul(f4, g4_19);
  const typename W::T r4 = W::Mul(f0, g4) + W::Mul(f1, g3) + W::Mul(f2, g2) + W::Mul(f3, g1) +
                           W::Mul(f4, g0);
  FeCarry<W>(h, r0, r1, r2, r3, r4);
}

template <typename W>
void FeSquare(Fe& h, const Fe& f) {
  const uint64_t f0 = f.v[0], f1 = f.v[1], f2 = f.v[2], f3 = f.v[3], f4 = f.v[4];
  const uint64_t f0_2 = 2 * f0, f1_2 = 2 * f1;
  const uint64_t f1_38 = 38 * f1, f2_38 = 38 * f2, f3_38 = 38 * f3;
  const uint64_t f3_19 = 19 * f3, f4_19 = 19 * f4;
  // FeMul with g = f, the symmetric pairs counted once and doubled.
  const typename W::T r0 = W::Mul(f0, f0) + W::Mul(f1_38, f4) + W::Mul(f2_38, f3);
  const typename W::T r1 = W::Mul(f0_2, f1) + W::Mul(f2_38, f4) + W::Mul(f3_19, f3);
  const typename W::T r2 = W::Mul(f0_2, f2) + W::Mul(f1, f1) + W::Mul(f3_38, f4);
  const typename W::T r3 = W::Mul(f0_2, f3) + W::Mul(f1_2, f2) + W::Mul(f4_19, f4);
  const typename W::T r4 = W::Mul(f0_2, f4) + W::Mul(f1_2, f3) + W::Mul(f2, f2);
  FeCarry<W>(h, r0, r1, r2, r3, r4);
}

// h = f^(2^n), n >= 1.
template <typename W>
void FeSquareTimes(Fe& h, const Fe& f, int n) {
  FeSquare<W>(h, f);
  for (int i = 1; i < n; ++i) FeSquare<W>(h, h);
}

// h = f * c for a small constant c (< 2^12): one column per limb, then the carry pass.
template <typename W>
void FeMulSmall(Fe& h, const Fe& f, uint64_t c) {
  FeCarry<W>(h, W::Mul(f.v[0], c), W::Mul(f.v[1], c), W::Mul(f.v[2], c), W::Mul(f.v[3], c),
             W::Mul(f.v[4], c));
}

// h = z^(p-2) = z^(2^255 - 21) = 1/z by Fermat's little theorem (RFC 7748 §5: "computed ... as
// z_2^(p - 2)"); 0 maps to 0. The exponent is public, so the chain of 254 squarings and 11
// multiplications is the same for every z. Builds z^(2^k - 1) for k = 5, 10, 20, 40, 50, 100,
// 200, 250, then z^(2^255 - 32) * z^11.
template <typename W>
void FeInvert(Fe& h, const Fe& z) {
  Fe z2, z9, z11, a, b, t;
  FeSquare<W>(z2, z);             // z^2
  FeSquareTimes<W>(t, z2, 2);     // z^8
  FeMul<W>(z9, t, z);             // z^9
  FeMul<W>(z11, z9, z2);          // z^11
  FeSquare<W>(t, z11);            // z^22
  FeMul<W>(a, t, z9);             // z^(2^5 - 1)
  FeSquareTimes<W>(t, a, 5);
  FeMul<W>(a, t, a);              // z^(2^10 - 1)
  FeSquareTimes<W>(t, a, 10);
  FeMul<W>(b, t, a);              // z^(2^20 - 1)
  FeSquareTimes<W>(t, b, 20);
  FeMul<W>(t, t, b);              // z^(2^40 - 1)
  FeSquareTimes<W>(t, t, 10);
  FeMul<W>(a, t, a);              // z^(2^50 - 1)
  FeSquareTimes<W>(t, a, 50);
  FeMul<W>(b, t, a);              // z^(2^100 - 1)
  FeSquareTimes<W>(t, b, 100);
  FeMul<W>(t, t, b);              // z^(2^200 - 1)
  FeSquareTimes<W>(t, t, 50);
  FeMul<W>(t, t, a);              // z^(2^250 - 1)
  FeSquareTimes<W>(t, t, 5);      // z^(2^255 - 32)
  FeMul<W>(h, t, z11);            // z^(2^255 - 21)
  SecureZero(&z2, sizeof(z2));
  SecureZero(&z9, sizeof(z9));
  SecureZero(&z11, sizeof(z11));
  SecureZero(&a, sizeof(a));
  SecureZero(&b, sizeof(b));
  SecureZero(&t, sizeof(t));
}

// RFC 7748 §5 cswap: exchanges f and g when swap is 1, leaves them when it is 0, by masking,
// with the same instructions either way.
void FeCswap(Fe& f, Fe& g, uint64_t swap) {
  const uint64_t mask = 0 - swap;  // all ones or all zeros
  for (int i = 0; i < 5; ++i) {
    const uint64_t x = mask & (f.v[i] ^ g.v[i]);
    f.v[i] ^= x;
    g.v[i] ^= x;
  }
}

// Everything the ladder keeps, in one place so that one SecureZero wipes it.
struct LadderState {
  uint8_t k[32];
  Fe x1, x2, z2, x3, z3;
  Fe a, aa, b, bb, e, c, d, da, cb, t;
};

// RFC 7748 §5: the Montgomery ladder, as the RFC writes it, for x25519 (bits = 255,
// a24 = 121665).
template <typename W>
void ScalarMult(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32]) {
  LadderState s;
  // decodeScalar25519: clear the three low bits and bit 255, set bit 254.
  std::memcpy(s.k, scalar, sizeof(s.k));
  s.k[0] &= 248;
  s.k[31] &= 127;
  s.k[31] |= 64;
  FeFromBytes(s.x1, u);
  s.x2 = Fe{{1, 0, 0, 0, 0}};
  s.z2 = Fe{{0, 0, 0, 0, 0}};
  s.x3 = s.x1;
  s.z3 = Fe{{1, 0, 0, 0, 0}};
  uint64_t swap = 0;
  for (int t = 254; t >= 0; --t) {
    const uint64_t k_t = (s.k[t >> 3] >> (t & 7)) & 1;  // t is public; k_t only feeds a mask
    swap ^= k_t;
    FeCswap(s.x2, s.x3, swap);
    FeCswap(s.z2, s.z3, swap);
    swap = k_t;

    FeAdd(s.a, s.x2, s.z2);         // A = x_2 + z_2
    FeSquare<W>(s.aa, s.a);         // AA = A^2
    FeSub(s.b, s.x2, s.z2);         // B = x_2 - z_2
    FeSquare<W>(s.bb, s.b);         // BB = B^2
    FeSub(s.e, s.aa, s.bb);         // E = AA - BB
    FeAdd(s.c, s.x3, s.z3);         // C = x_3 + z_3
    FeSub(s.d, s.x3, s.z3);         // D = x_3 - z_3
    FeMul<W>(s.da, s.d, s.a);       // DA = D * A
    FeMul<W>(s.cb, s.c, s.b);       // CB = C * B
    FeAdd(s.t, s.da, s.cb);
    FeSquare<W>(s.x3, s.t);         // x_3 = (DA + CB)^2
    FeSub(s.t, s.da, s.cb);
    FeSquare<W>(s.t, s.t);
    FeMul<W>(s.z3, s.x1, s.t);      // z_3 = x_1 * (DA - CB)^2
    FeMul<W>(s.x2, s.aa, s.bb);     // x_2 = AA * BB
    FeMulSmall<W>(s.t, s.e, 121665);
    FeAdd(s.t, s.aa, s.t);
    FeMul<W>(s.z2, s.e, s.t);       // z_2 = E * (AA + a24 * E)
  }
  FeCswap(s.x2, s.x3, swap);
  FeCswap(s.z2, s.z3, swap);
  // Return x_2 * (z_2^(p - 2)).
  FeInvert<W>(s.t, s.z2);
  FeMul<W>(s.x2, s.x2, s.t);
  FeToBytes(out, s.x2);
  SecureZero(&s, sizeof(s));
}

}  // namespace

void X25519Raw(uint8_t out[32], const uint8_t k[32], const uint8_t u[32]) {
  ScalarMult<DefaultWide>(out, k, u);
}

void X25519RawPortable(uint8_t out[32], const uint8_t k[32], const uint8_t u[32]) {
  ScalarMult<PortableWide>(out, k, u);
}

}  // namespace internal

namespace {

// RFC 7748 §4.1: the u-coordinate of the base point, 9.
constexpr uint8_t kBasePoint[kX25519KeySize] = {9};

Status CheckLength(ByteView b, const char* what) {
  if (b.size() != kX25519KeySize) {
    return InvalidArgumentError(std::string("X25519 ") + what + " must be 32 bytes, got " +
                                std::to_string(b.size()));
  }
  return OkStatus();
}

}  // namespace

StatusOr<X25519KeyPair> X25519Generate(Drbg& drbg) {
  X25519KeyPair kp{SecretBytes(kX25519KeySize), {}};
  TACET_RETURN_IF_ERROR(drbg.Generate(kp.private_key.data(), kp.private_key.size()));
  TACET_ASSIGN_OR_RETURN(kp.public_key, X25519PublicFromPrivate(kp.private_key.view()));
  return kp;
}

StatusOr<std::array<uint8_t, kX25519KeySize>> X25519PublicFromPrivate(ByteView sk) {
  TACET_RETURN_IF_ERROR(CheckLength(sk, "private key"));
  std::array<uint8_t, kX25519KeySize> out;
  // X25519(sk, 9) is never zero: 9 generates the prime-order subgroup and the clamped scalar is
  // not a multiple of its order.
  internal::X25519Raw(out.data(), sk.data(), kBasePoint);
  return out;
}

StatusOr<SecretBytes> X25519(ByteView sk, ByteView peer_pk) {
  TACET_RETURN_IF_ERROR(CheckLength(sk, "private key"));
  TACET_RETURN_IF_ERROR(CheckLength(peer_pk, "peer public key"));
  SecretBytes out(kX25519KeySize);
  internal::X25519Raw(out.data(), sk.data(), peer_pk.data());
  // RFC 7748 §6.1 / RFC 9180 §7.1.4: a low-order peer_pk (0, 1, p - 1, the points of order 4
  // and 8, and their non-canonical encodings) gives the all-zero value, which must be refused.
  // The check does not branch on where a non-zero byte is.
  static const uint8_t kZero[kX25519KeySize] = {};
  if (ConstantTimeEquals(out.view(), ByteView(kZero, sizeof(kZero)))) {
    return InvalidArgumentError(
        "X25519: peer public key is a low-order point (all-zero shared secret, RFC 7748 §6.1)");
  }
  return out;
}

}  // namespace tacet::crypto
