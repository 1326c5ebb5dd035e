// RFC 9180 known-answer tests: every entry, encryption and export of the DHKEM(X25519,
// HKDF-SHA256) / HKDF-SHA256 vectors for AES-128-GCM, ChaCha20-Poly1305 and export-only, in all
// four modes (tests/fixtures/hpke/, a copy of shared/test-vectors/).
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/hpke.h"
#include "testing/status_matchers.h"

namespace tacet::crypto {
namespace {

constexpr char kVectorsPath[] = TACET_SOURCE_DIR "/tests/fixtures/hpke/hpke-rfc9180-x25519-sha256.json";

struct KatEncryption {
  Bytes aad, ciphertext, nonce, plaintext;
};
struct KatExport {
  Bytes exporter_context;
  size_t length = 0;
  Bytes exported_value;
};
struct KatEntry {
  int mode = -1;
  int kem_id = 0, kdf_id = 0, aead_id = 0;
  Bytes info, ikmR, ikmE, ikmS, skRm, skEm, skSm, pkRm, pkEm, pkSm, enc, shared_secret;
  Bytes key, base_nonce, exporter_secret, psk, psk_id;
  std::vector<KatEncryption> encryptions;
  std::vector<KatExport> exports;
};

struct KatCounts {
  size_t entries = 0;
  size_t encryptions = 0;
  size_t exports = 0;
};

Bytes HexField(const nlohmann::json& j, const char* name) {
  if (!j.contains(name)) return {};
  StatusOr<Bytes> b = HexDecode(j.at(name).get<std::string>());
  EXPECT_OK(b) << "field " << name;
  return b.ok() ? std::move(b).value() : Bytes();
}

std::vector<KatEntry> LoadVectors() {
  std::ifstream in(kVectorsPath);
  EXPECT_TRUE(in.good()) << "cannot open " << kVectorsPath;
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(doc.is_array()) << kVectorsPath << " is not a JSON array";
  std::vector<KatEntry> entries;
  if (!doc.is_array()) return entries;
  for (const auto& j : doc) {
    KatEntry e;
    e.mode = j.at("mode").get<int>();
    e.kem_id = j.at("kem_id").get<int>();
    e.kdf_id = j.at("kdf_id").get<int>();
    e.aead_id = j.at("aead_id").get<int>();
    e.info = HexField(j, "info");
    e.ikmR = HexField(j, "ikmR");
    e.ikmE = HexField(j, "ikmE");
    e.ikmS = HexField(j, "ikmS");
    e.skRm = HexField(j, "skRm");
    e.skEm = HexField(j, "skEm");
    e.skSm = HexField(j, "skSm");
    e.pkRm = HexField(j, "pkRm");
    e.pkEm = HexField(j, "pkEm");
    e.pkSm = HexField(j, "pkSm");
    e.enc = HexField(j, "enc");
    e.shared_secret = HexField(j, "shared_secret");
    e.key = HexField(j, "key");
    e.base_nonce = HexField(j, "base_nonce");
    e.exporter_secret = HexField(j, "exporter_secret");
    e.psk = HexField(j, "psk");
    e.psk_id = HexField(j, "psk_id");
    for (const auto& x : j.at("encryptions")) {
      e.encryptions.push_back({HexField(x, "aad"), HexField(x, "ciphertext"), HexField(x, "nonce"),
                               HexField(x, "plaintext")});
    }
    for (const auto& x : j.at("exports")) {
      e.exports.push_back(
          {HexField(x, "exporter_context"), x.at("L").get<size_t>(), HexField(x, "exported_value")});
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

namespace testing_hex {
Bytes H(std::string_view hex) {
  StatusOr<Bytes> b = HexDecode(hex);
  EXPECT_OK(b);
  return b.ok() ? std::move(b).value() : Bytes();
}
}  // namespace testing_hex

const std::vector<KatEntry>& Vectors() {
  static const std::vector<KatEntry> vectors = LoadVectors();
  return vectors;
}

// Helpers that turn a failed Status or a differing value into an AssertionResult.
#define KAT_ASSIGN_OR_FAIL(lhs, expr, what)                                            \
  KAT_ASSIGN_OR_FAIL_IMPL_(TACET_STATUS_CONCAT_(kat_tmp_, __LINE__), lhs, expr, what)
#define KAT_ASSIGN_OR_FAIL_IMPL_(tmp, lhs, expr, what)                                       \
  auto tmp = (expr);                                                                          \
  if (!tmp.ok()) return ::testing::AssertionFailure() << what << ": " << tmp.status().ToString(); \
  lhs = std::move(tmp).value()

::testing::AssertionResult Same(ByteView got, ByteView want, const std::string& what) {
  if (got.size() == want.size() && std::equal(got.begin(), got.end(), want.begin())) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << what << " differs: got " << HexEncode(got)
                                       << ", want " << HexEncode(want);
}
#define KAT_EXPECT_SAME(got, want, what)                    \
  do {                                                      \
    auto kat_same_ = Same((got), (want), (what));           \
    if (!kat_same_) return kat_same_;                       \
  } while (0)

// Runs one vector entry end to end and counts what it verified. Returns the first mismatch.
::testing::AssertionResult CheckEntry(const KatEntry& v, KatCounts* counts) {
  if (v.kem_id != kHpkeKemDhkemX25519HkdfSha256 || v.kdf_id != kHpkeKdfHkdfSha256) {
    return ::testing::AssertionFailure() << "unexpected suite kem " << v.kem_id << " kdf " << v.kdf_id;
  }
  if (v.mode < 0 || v.mode > 3) return ::testing::AssertionFailure() << "bad mode " << v.mode;
  const HpkeMode mode = static_cast<HpkeMode>(v.mode);
  const HpkeSuite suite{static_cast<HpkeAead>(v.aead_id)};
  const bool auth = mode == HpkeMode::kAuth || mode == HpkeMode::kAuthPsk;

  // §7.1.3 DeriveKeyPair.
  KAT_ASSIGN_OR_FAIL(const X25519KeyPair kpE, HpkeDeriveKeyPair(v.ikmE), "DeriveKeyPair(ikmE)");
  KAT_EXPECT_SAME(kpE.private_key.view(), v.skEm, "skEm");
  KAT_EXPECT_SAME(kpE.public_key, v.pkEm, "pkEm");
  KAT_ASSIGN_OR_FAIL(const X25519KeyPair kpR, HpkeDeriveKeyPair(v.ikmR), "DeriveKeyPair(ikmR)");
  KAT_EXPECT_SAME(kpR.private_key.view(), v.skRm, "skRm");
  KAT_EXPECT_SAME(kpR.public_key, v.pkRm, "pkRm");
  if (auth) {
    KAT_ASSIGN_OR_FAIL(const X25519KeyPair kpS, HpkeDeriveKeyPair(v.ikmS), "DeriveKeyPair(ikmS)");
    KAT_EXPECT_SAME(kpS.private_key.view(), v.skSm, "skSm");
    KAT_EXPECT_SAME(kpS.public_key, v.pkSm, "pkSm");
  }
  const ByteView skS = auth ? ByteView(v.skSm) : ByteView();
  const ByteView pkS = auth ? ByteView(v.pkSm) : ByteView();

  // §4.1 (Auth)Encap / (Auth)Decap.
  KAT_ASSIGN_OR_FAIL(const internal::DhkemEncapResult encap,
                     internal::DhkemEncap(v.pkRm, v.skEm, skS), "Encap");
  KAT_EXPECT_SAME(encap.enc, v.enc, "enc");
  KAT_EXPECT_SAME(encap.shared_secret.view(), v.shared_secret, "shared_secret (Encap)");
  KAT_ASSIGN_OR_FAIL(const SecretBytes decapped, internal::DhkemDecap(v.enc, v.skRm, pkS), "Decap");
  KAT_EXPECT_SAME(decapped.view(), v.shared_secret, "shared_secret (Decap)");

  // §5.1 KeySchedule.
  KAT_ASSIGN_OR_FAIL(const internal::HpkeKeyScheduleOutput ks,
                     internal::HpkeKeySchedule(suite, mode, v.shared_secret, v.info, v.psk, v.psk_id),
                     "KeySchedule");
  KAT_EXPECT_SAME(ks.key.view(), v.key, "key");
  KAT_EXPECT_SAME(ks.base_nonce.view(), v.base_nonce, "base_nonce");
  KAT_EXPECT_SAME(ks.exporter_secret.view(), v.exporter_secret, "exporter_secret");

  // The public setup path, with the vector's ephemeral key on the sender side.
  KAT_ASSIGN_OR_FAIL(HpkeSenderSetup sender,
                     internal::HpkeSetupSenderWithEphemeral(suite, mode, v.pkRm, v.info, v.skEm,
                                                            {v.psk, v.psk_id, skS}),
                     "SetupS");
  KAT_EXPECT_SAME(sender.enc, v.enc, "enc (SetupS)");
  KAT_ASSIGN_OR_FAIL(HpkeRecipientContext recipient,
                     HpkeSetupRecipient(suite, mode, v.enc, v.skRm, v.info, {v.psk, v.psk_id, pkS}),
                     "SetupR");

  // §5.2 Seal/Open, in sequence order: the i-th vector uses nonce base_nonce XOR i.
  for (size_t i = 0; i < v.encryptions.size(); ++i) {
    const KatEncryption& e = v.encryptions[i];
    const std::string where = "encryption " + std::to_string(i);
    Bytes expected_nonce = v.base_nonce;
    for (size_t b = 0; b < 8 && b < expected_nonce.size(); ++b) {
      expected_nonce[expected_nonce.size() - 1 - b] ^= static_cast<uint8_t>(uint64_t{i} >> (8 * b));
    }
    KAT_EXPECT_SAME(e.nonce, expected_nonce, where + " nonce (vector order)");
    if (sender.ctx.sequence_number() != i || recipient.sequence_number() != i) {
      return ::testing::AssertionFailure() << where << ": sequence number is not " << i;
    }
    Bytes ct;
    const Status sealed = sender.ctx.Seal(e.aad, e.plaintext, &ct);
    if (!sealed.ok()) return ::testing::AssertionFailure() << where << " Seal: " << sealed.ToString();
    KAT_EXPECT_SAME(ct, e.ciphertext, where + " ciphertext");
    Bytes pt;
    const Status opened = recipient.Open(e.aad, e.ciphertext, &pt);
    if (!opened.ok()) return ::testing::AssertionFailure() << where << " Open: " << opened.ToString();
    KAT_EXPECT_SAME(pt, e.plaintext, where + " plaintext");
    ++counts->encryptions;
  }
  if (suite.aead == HpkeAead::kExportOnly) {
    Bytes out;
    if (sender.ctx.Seal(ByteView(), ByteView(), &out).code() != StatusCode::kFailedPrecondition ||
        recipient.Open(ByteView(), Bytes(16, 0), &out).code() != StatusCode::kFailedPrecondition) {
      return ::testing::AssertionFailure() << "export-only context did not refuse Seal/Open";
    }
  }

  // §5.3 Export, on both sides.
  for (size_t i = 0; i < v.exports.size(); ++i) {
    const KatExport& x = v.exports[i];
    const std::string where = "export " + std::to_string(i);
    KAT_ASSIGN_OR_FAIL(const Bytes s, sender.ctx.Export(x.exporter_context, x.length), where + " (sender)");
    KAT_EXPECT_SAME(s, x.exported_value, where + " (sender)");
    KAT_ASSIGN_OR_FAIL(const Bytes r, recipient.Export(x.exporter_context, x.length),
                       where + " (recipient)");
    KAT_EXPECT_SAME(r, x.exported_value, where + " (recipient)");
    ++counts->exports;
  }
  ++counts->entries;
  return ::testing::AssertionSuccess();
}

TEST(HpkeKatTest, EveryEntryEncryptionAndExport) {
  const auto& vectors = Vectors();
  KatCounts counts;
  std::set<std::pair<int, int>> mode_aead;
  for (size_t i = 0; i < vectors.size(); ++i) {
    EXPECT_TRUE(CheckEntry(vectors[i], &counts))
        << "entry " << i << " (mode " << vectors[i].mode << ", aead " << vectors[i].aead_id << ")";
    mode_aead.insert({vectors[i].mode, vectors[i].aead_id});
  }
  // A silently skipped entry, encryption or export fails here.
  EXPECT_EQ(counts.entries, 12u);
  EXPECT_EQ(counts.encryptions, 2056u);
  EXPECT_EQ(counts.exports, 36u);
  EXPECT_EQ(mode_aead.size(), 12u) << "expected every mode with every AEAD";
}

// RFC 9180 Appendix A.1.1 (base mode, AES-128-GCM), typed in from the RFC independently of the
// JSON file: derived keys, enc, shared_secret, key schedule and the sequence-0 encryption.
TEST(HpkeKatTest, Rfc9180AppendixA11) {
  const Bytes info = testing_hex::H("4f6465206f6e2061204772656369616e2055726e");
  ASSERT_OK_AND_ASSIGN(X25519KeyPair e, HpkeDeriveKeyPair(testing_hex::H(
                                            "7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234")));
  ASSERT_OK_AND_ASSIGN(X25519KeyPair r, HpkeDeriveKeyPair(testing_hex::H(
                                            "6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037")));
  EXPECT_EQ(HexEncode(e.private_key.view()), "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736");
  EXPECT_EQ(HexEncode(e.public_key), "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431");
  EXPECT_EQ(HexEncode(r.private_key.view()), "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8");
  EXPECT_EQ(HexEncode(r.public_key), "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d");

  ASSERT_OK_AND_ASSIGN(internal::DhkemEncapResult encap,
                       internal::DhkemEncap(r.public_key, e.private_key.view(), ByteView()));
  EXPECT_EQ(HexEncode(encap.enc), "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431");
  EXPECT_EQ(HexEncode(encap.shared_secret.view()),
            "fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc");
  ASSERT_OK_AND_ASSIGN(internal::HpkeKeyScheduleOutput ks,
                       internal::HpkeKeySchedule(HpkeSuite{HpkeAead::kAes128Gcm}, HpkeMode::kBase,
                                                 encap.shared_secret.view(), info, ByteView(), ByteView()));
  EXPECT_EQ(HexEncode(ks.key.view()), "4531685d41d65f03dc48f6b8302c05b0");
  EXPECT_EQ(HexEncode(ks.base_nonce.view()), "56d890e5accaaf011cff4b7d");
  EXPECT_EQ(HexEncode(ks.exporter_secret.view()),
            "45ff1c2e220db587171952c0592d5f5ebe103f1561a2614e38f2ffd47e99e3f8");

  ASSERT_OK_AND_ASSIGN(HpkeRecipientContext recipient,
                       HpkeSetupRecipient(HpkeSuite{HpkeAead::kAes128Gcm}, HpkeMode::kBase, encap.enc,
                                          r.private_key.view(), info));
  Bytes pt;
  ASSERT_OK(recipient.Open(testing_hex::H("436f756e742d30"),
                           testing_hex::H("f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a9"
                                          "6d8770ac83d07bea87e13c512a"),
                           &pt));
  EXPECT_EQ(HexEncode(pt), "4265617574792069732074727574682c20747275746820626561757479");
}

// The test of the test: a one-byte change anywhere that matters must make CheckEntry fail.
TEST(HpkeKatTest, CheckerRejectsMutatedVectors) {
  ASSERT_GE(Vectors().size(), 12u);
  struct Mutation {
    const char* name;
    size_t entry;
    Bytes* (*field)(KatEntry&);
  };
  const Mutation mutations[] = {
      {"ciphertext of encryption 100", 3, [](KatEntry& e) { return &e.encryptions[100].ciphertext; }},
      {"plaintext of encryption 7", 5, [](KatEntry& e) { return &e.encryptions[7].plaintext; }},
      {"exported value 1", 2, [](KatEntry& e) { return &e.exports[1].exported_value; }},
      {"exported value 2 (export-only)", 11, [](KatEntry& e) { return &e.exports[2].exported_value; }},
      {"pkRm", 0, [](KatEntry& e) { return &e.pkRm; }},
      {"skSm", 2, [](KatEntry& e) { return &e.skSm; }},
      {"enc", 4, [](KatEntry& e) { return &e.enc; }},
      {"shared_secret", 1, [](KatEntry& e) { return &e.shared_secret; }},
      {"key", 6, [](KatEntry& e) { return &e.key; }},
      {"exporter_secret", 9, [](KatEntry& e) { return &e.exporter_secret; }},
      {"psk", 1, [](KatEntry& e) { return &e.psk; }},
      {"info", 8, [](KatEntry& e) { return &e.info; }},
  };
  for (const Mutation& m : mutations) {
    SCOPED_TRACE(m.name);
    KatEntry copy = Vectors()[m.entry];
    KatCounts unused;
    ASSERT_TRUE(CheckEntry(copy, &unused)) << "the unmutated entry must pass";
    Bytes* field = m.field(copy);
    ASSERT_FALSE(field->empty());
    (*field)[field->size() / 2] ^= 0x01;
    EXPECT_FALSE(CheckEntry(copy, &unused));
  }
  // Dropping an encryption from the middle breaks the sequence, too.
  KatEntry shortened = Vectors()[0];
  shortened.encryptions.erase(shortened.encryptions.begin() + 10);
  KatCounts unused;
  EXPECT_FALSE(CheckEntry(shortened, &unused));
}

}  // namespace
}  // namespace tacet::crypto
