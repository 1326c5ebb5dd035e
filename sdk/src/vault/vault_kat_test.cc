// Known-answer vectors for the vault's formats (issue 8 item 11): the record associated data
// (format 2), a sealed record, data-key wrapping and the integrity key, from
// tests/fixtures/formats/vault_vectors.json. The expected hex there was computed by
// tests/fixtures/formats/make_vault_vectors.py (Python standard library and `cryptography`), not
// by this code.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "base/bytes.h"
#include "crypto/aead.h"
#include "crypto/drbg.h"
#include "emulator/emulator_entropy.h"
#include "emulator/memory_key_store.h"
#include "testing/status_matchers.h"
#include "vault/key_ring.h"
#include "vault/vault.h"
#include "vault/vault_test_util.h"

namespace tacet::vault {
namespace {

using Json = nlohmann::json;

constexpr char kVectorsPath[] = TACET_SOURCE_DIR "/tests/fixtures/formats/vault_vectors.json";

Json LoadVectors() {
  std::ifstream in(kVectorsPath);
  EXPECT_TRUE(in.good()) << "cannot read " << kVectorsPath;
  Json doc = Json::parse(in, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(doc.is_discarded()) << kVectorsPath << " is not JSON";
  return doc;
}

Bytes Hex(const Json& v) {
  auto b = HexDecode(v.get<std::string>());
  EXPECT_OK(b.status());
  return b.ok() ? *b : Bytes{};
}

Bytes AadOf(const Json& v, int64_t version_delta = 0) {
  return RecordAssociatedData(v["id"].get<int64_t>(), v["category"].get<std::string>(),
                              v["field"].get<std::string>(),
                              v["version"].get<int64_t>() + version_delta,
                              v["written_unix_ms"].get<int64_t>(), v["source"].get<std::string>());
}

TEST(VaultKatTest, RecordAssociatedDataV2) {
  const Json doc = LoadVectors();
  ASSERT_TRUE(doc.contains("record_aad_v2"));
  ASSERT_FALSE(doc["record_aad_v2"].empty());
  for (const Json& v : doc["record_aad_v2"]) {
    SCOPED_TRACE(v["description"].get<std::string>());
    EXPECT_EQ(HexEncode(AadOf(v)), v["aad_hex"].get<std::string>());
    // One input changed by one: another result (the comparison can fail).
    EXPECT_NE(HexEncode(AadOf(v, 1)), v["aad_hex"].get<std::string>());
    EXPECT_NE(HexEncode(RecordAssociatedData(v["id"].get<int64_t>(),
                                             v["category"].get<std::string>(),
                                             v["field"].get<std::string>(),
                                             v["version"].get<int64_t>(),
                                             v["written_unix_ms"].get<int64_t>() + 1,
                                             v["source"].get<std::string>())),
              v["aad_hex"].get<std::string>());
  }
}

TEST(VaultKatTest, SealedRecord) {
  const Json doc = LoadVectors();
  ASSERT_FALSE(doc["record_seal"].empty());
  for (const Json& v : doc["record_seal"]) {
    SCOPED_TRACE(v["description"].get<std::string>());
    const Bytes key = Hex(v["data_key_hex"]), nonce = Hex(v["nonce_hex"]);
    const std::string value = v["value"].get<std::string>();
    ASSERT_OK_AND_ASSIGN(Bytes sealed, crypto::AeadSeal(crypto::AeadAlgorithm::kAes256Gcm, key,
                                                        nonce, AadOf(v),
                                                        ByteView::FromString(value)));
    EXPECT_EQ(HexEncode(sealed), v["ciphertext_hex"].get<std::string>());
    // The published ciphertext does not open under a version one higher.
    EXPECT_THAT(crypto::AeadOpen(crypto::AeadAlgorithm::kAes256Gcm, key, nonce, AadOf(v, 1),
                                 Hex(v["ciphertext_hex"])),
                StatusIs(StatusCode::kDataLoss));
  }
}

TEST(VaultKatTest, DataKeyWrapping) {
  const Json doc = LoadVectors();
  ASSERT_FALSE(doc["dek_wrap"].empty());
  for (const Json& v : doc["dek_wrap"]) {
    SCOPED_TRACE(v["description"].get<std::string>());
    const Bytes kek = Hex(v["kek_hex"]), nonce = Hex(v["nonce_hex"]), dek = Hex(v["data_key_hex"]);
    const std::string category = v["category"].get<std::string>();
    ASSERT_OK_AND_ASSIGN(Bytes wrapped, KeyRing::WrapDataKey(kek, category, nonce, dek));
    EXPECT_EQ(HexEncode(wrapped), v["wrapped_hex"].get<std::string>());
    ASSERT_OK_AND_ASSIGN(Bytes other, KeyRing::WrapDataKey(kek, category + "x", nonce, dek));
    EXPECT_NE(HexEncode(other), v["wrapped_hex"].get<std::string>());

    // The key ring unwraps the published bytes to the published data key.
    platform::MemoryKeyStore keys;
    ASSERT_OK(keys.Put(kVaultKekName, kek));
    ASSERT_OK(keys.Put("vault_dek_" + category, Hex(v["wrapped_hex"])));
    platform::EmulatorEntropy entropy(7);
    ASSERT_OK_AND_ASSIGN(auto drbg, crypto::Drbg::Create(entropy, "kat"));
    ASSERT_OK_AND_ASSIGN(auto ring, KeyRing::Open(keys, *drbg, /*may_create_kek=*/false));
    ASSERT_OK_AND_ASSIGN(crypto::Aead * aead, ring->DataKey(category, /*create=*/false));
    Bytes sealed;
    ASSERT_OK(aead->Seal(nonce, {}, ByteView::FromString("probe"), &sealed));
    EXPECT_OK(crypto::AeadOpen(crypto::AeadAlgorithm::kAes256Gcm, dek, nonce, {}, sealed).status());
  }
}

TEST(VaultKatTest, IntegrityKey) {
  const Json doc = LoadVectors();
  ASSERT_FALSE(doc["integrity_key"].empty());
  for (const Json& v : doc["integrity_key"]) {
    SCOPED_TRACE(v["description"].get<std::string>());
    platform::MemoryKeyStore keys;
    Bytes kek = Hex(v["kek_hex"]);
    ASSERT_OK(keys.Put(kVaultKekName, kek));
    platform::EmulatorEntropy entropy(7);
    ASSERT_OK_AND_ASSIGN(auto drbg, crypto::Drbg::Create(entropy, "kat"));
    ASSERT_OK_AND_ASSIGN(auto ring, KeyRing::Open(keys, *drbg, /*may_create_kek=*/false));
    EXPECT_EQ(HexEncode(ring->integrity_key().view()), v["integrity_key_hex"].get<std::string>());
    // Another KEK, another key.
    platform::MemoryKeyStore other_keys;
    kek[0] ^= 1;
    ASSERT_OK(other_keys.Put(kVaultKekName, kek));
    ASSERT_OK_AND_ASSIGN(auto other, KeyRing::Open(other_keys, *drbg, /*may_create_kek=*/false));
    EXPECT_NE(HexEncode(other->integrity_key().view()), v["integrity_key_hex"].get<std::string>());
  }
}

// The vault really stores what the formats say: a value it wrote opens with nothing but the
// documented formats, the KEK from the key store and the row's columns.
TEST(VaultKatTest, StoredRecordOpensWithTheDocumentedFormatsAlone) {
  testing::VaultHarness h;
  ASSERT_OK_AND_ASSIGN(int64_t id, h.vault().Set("contact", "email_address", "ada@example.org",
                                                 ChangeSource::kUser));
  ASSERT_OK_AND_ASSIGN(Bytes kek, h.device().key_store().Get(kVaultKekName));
  ASSERT_OK_AND_ASSIGN(Bytes wrapped, h.device().key_store().Get("vault_dek_contact"));
  ASSERT_EQ(wrapped.size(), 60u);
  Bytes wrap_aad;
  Append(wrap_aad, ByteView::FromString("tacet-vault-dek-v1contact"));
  ASSERT_OK_AND_ASSIGN(Bytes dek, crypto::AeadOpen(crypto::AeadAlgorithm::kAes256Gcm, kek,
                                                   ByteView(wrapped).subview(0, 12), wrap_aad,
                                                   ByteView(wrapped).subview(12)));
  ASSERT_OK_AND_ASSIGN(auto q, h.db().Prepare("SELECT nonce, ciphertext, written_unix_ms, source "
                                              "FROM vault_records WHERE id = ?1"));
  ASSERT_OK(q.Bind(1, id));
  ASSERT_OK_AND_ASSIGN(bool row, q.Step());
  ASSERT_TRUE(row);
  ASSERT_OK_AND_ASSIGN(
      Bytes plain,
      crypto::AeadOpen(crypto::AeadAlgorithm::kAes256Gcm, dek, q.ColumnBlob(0),
                       RecordAssociatedData(id, "contact", "email_address", 1, q.ColumnInt64(2),
                                            q.ColumnText(3)),
                       q.ColumnBlob(1)));
  EXPECT_EQ(std::string(plain.begin(), plain.end()), "ada@example.org");
}

}  // namespace
}  // namespace tacet::vault
