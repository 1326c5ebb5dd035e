// Known-answer vectors for the consent history's formats: the entry hash and the keyed head's MAC.
// tests/fixtures/formats/consent_vectors.json is computed by make_consent_vectors.py from the
// formulas in docs/consent.md, independently of this implementation.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "base/bytes.h"
#include "consent/consent_ledger.h"
#include "testing/status_matchers.h"

namespace tacet::consent {
namespace {

using Json = nlohmann::json;

Json LoadVectors() {
  std::ifstream in(TACET_CONSENT_VECTORS);
  EXPECT_TRUE(in.good()) << "cannot read " << TACET_CONSENT_VECTORS;
  std::stringstream text;
  text << in.rdbuf();
  Json doc = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(doc.is_discarded()) << TACET_CONSENT_VECTORS << " is not JSON";
  return doc;
}

Bytes FromHex(const Json& value) {
  StatusOr<Bytes> bytes = HexDecode(value.get<std::string>());
  EXPECT_OK(bytes.status());
  return bytes.ok() ? *bytes : Bytes{};
}

Hash HashFromHex(const Json& value) {
  const Bytes bytes = FromHex(value);
  Hash h{};
  EXPECT_EQ(bytes.size(), h.size());
  if (bytes.size() == h.size()) std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

// Enum values by the names the fixture uses: the tables receipts are written from.
template <typename Table>
auto ByName(const Table& table, const std::string& name) {
  const auto value = ParseName(table, name);
  if (!value) ADD_FAILURE() << "unknown name '" << name << "' in the vectors";
  return value.value_or(table[0].value);
}

HistoryEntry EntryFrom(const Json& v) {
  HistoryEntry e;
  e.seq = v["seq"].get<int64_t>();
  e.subject = v["subject"].get<std::string>();
  e.state = ByName(kConsentStateNames, v["state"].get<std::string>());
  e.precision = ByName(platform::kLocationPrecisionNames, v["precision"].get<std::string>());
  e.time_unix_ms = v["time_unix_ms"].get<int64_t>();
  e.policy_id = v["policy_id"].get<std::string>();
  e.policy_version = v["policy_version"].get<uint64_t>();
  e.policy_hash = HashFromHex(v["policy_hash"]);
  e.source = ByName(kDecisionSourceNames, v["source"].get<std::string>());
  e.prev_hash = HashFromHex(v["prev_hash"]);
  return e;
}

TEST(ConsentVectorsTest, EntryHashesMatchTheIndependentComputation) {
  const Json doc = LoadVectors();
  ASSERT_TRUE(doc.contains("entry_hash"));
  const Json& vectors = doc["entry_hash"];
  ASSERT_EQ(vectors.size(), 2u);
  Hash prev{};  // the chain starts from 32 zero bytes
  for (const Json& v : vectors) {
    SCOPED_TRACE(v["description"].get<std::string>());
    const HistoryEntry e = EntryFrom(v);
    EXPECT_EQ(e.prev_hash, prev) << "the vectors chain: each prev_hash is the entry before";
    const Hash expected = HashFromHex(v["entry_hash"]);
    EXPECT_EQ(HexEncode(ComputeEntryHash(e)), HexEncode(expected));
    prev = expected;
  }
  // The kinds of decision the vectors cover: a purpose, and a location precision.
  EXPECT_EQ(EntryFrom(vectors[0]).subject, "purpose:voice_features");
  EXPECT_EQ(EntryFrom(vectors[1]).precision, LocationPrecision::kApproximate);
}

TEST(ConsentVectorsTest, AOneByteChangeChangesTheEntryHash) {
  const Json doc = LoadVectors();
  const HistoryEntry original = EntryFrom(doc["entry_hash"][1]);
  const Hash expected = HashFromHex(doc["entry_hash"][1]["entry_hash"]);
  ASSERT_EQ(ComputeEntryHash(original), expected);
  HistoryEntry e = original;
  e.subject[0] = 'L';  // "Location"
  EXPECT_NE(ComputeEntryHash(e), expected);
  e = original;
  e.precision = LocationPrecision::kPrecise;
  EXPECT_NE(ComputeEntryHash(e), expected);
  e = original;
  e.prev_hash[0] ^= 0x01;
  EXPECT_NE(ComputeEntryHash(e), expected);
  e = original;
  e.policy_hash[31] ^= 0x80;
  EXPECT_NE(ComputeEntryHash(e), expected);
}

TEST(ConsentVectorsTest, HeadMacMatchesTheIndependentComputation) {
  const Json doc = LoadVectors();
  ASSERT_TRUE(doc.contains("head_mac"));
  ASSERT_FALSE(doc["head_mac"].empty());
  for (const Json& v : doc["head_mac"]) {
    SCOPED_TRACE(v["description"].get<std::string>());
    const Bytes key = FromHex(v["key"]);
    const int64_t seq = v["seq"].get<int64_t>();
    const Hash entry_hash = HashFromHex(v["entry_hash"]);
    const Hash expected = HashFromHex(v["mac"]);
    EXPECT_EQ(HexEncode(ComputeHeadMac(key, seq, entry_hash)), HexEncode(expected));

    // One byte of any input changes the MAC.
    Bytes other_key = key;
    other_key[0] ^= 0x01;
    EXPECT_NE(ComputeHeadMac(other_key, seq, entry_hash), expected);
    EXPECT_NE(ComputeHeadMac(key, seq + 1, entry_hash), expected);
    Hash other_hash = entry_hash;
    other_hash[31] ^= 0x01;
    EXPECT_NE(ComputeHeadMac(key, seq, other_hash), expected);
  }
  // The head vector anchors the second entry vector.
  EXPECT_EQ(doc["head_mac"][0]["entry_hash"], doc["entry_hash"][1]["entry_hash"]);
}

}  // namespace
}  // namespace tacet::consent
