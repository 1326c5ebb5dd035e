// Known-answer tests for the audit log's formats: the hash chain (ChainHash) and the head anchor's
// MAC (HeadMac), against tests/fixtures/formats/audit.json, which make_audit_vectors.py computes
// from the documented format with Python's hashlib and hmac (not from this implementation).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "testing/status_matchers.h"

namespace tacet::audit {
namespace {

constexpr char kVectorsPath[] = TACET_SOURCE_DIR "/tests/fixtures/formats/audit.json";

nlohmann::json LoadVectors() {
  std::ifstream in(kVectorsPath);
  EXPECT_TRUE(in.good()) << "cannot open " << kVectorsPath;
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(doc.is_object()) << kVectorsPath << " is not a JSON object";
  return doc;
}

Bytes Hex(const nlohmann::json& j, const char* field) {
  StatusOr<Bytes> b = HexDecode(j.at(field).get<std::string>());
  EXPECT_OK(b) << field;
  return b.ok() ? std::move(b).value() : Bytes();
}

std::string HexOf(const std::array<uint8_t, 32>& a) { return HexEncode(ByteView(a.data(), a.size())); }

TEST(AuditKatTest, ChainHashReproducesEveryEntry) {
  const nlohmann::json doc = LoadVectors();
  ASSERT_TRUE(doc.contains("chain"));
  const auto& entries = doc["chain"]["entries"];
  ASSERT_EQ(entries.size(), 3u);
  std::array<uint8_t, 32> prev{};  // hash_0: 32 zero bytes
  for (const auto& e : entries) {
    SCOPED_TRACE(e["description"].get<std::string>());
    EXPECT_EQ(HexEncode(Hex(e, "prev")), HexOf(prev)) << "the fixture chains from the hash before";
    ASSERT_OK_AND_ASSIGN(AuditKind kind, ParseAuditKind(e["kind"].get<std::string>()));
    const auto h = ChainHash(prev, e["seq"].get<int64_t>(), e["time_unix_ms"].get<int64_t>(), kind,
                             e["subject"].get<std::string>(), e["detail"].get<std::string>());
    EXPECT_EQ(HexOf(h), e["hash"].get<std::string>());
    prev = h;
  }
}

TEST(AuditKatTest, HeadMacReproducesEveryVector) {
  const nlohmann::json doc = LoadVectors();
  ASSERT_TRUE(doc.contains("head_mac"));
  const auto& vectors = doc["head_mac"]["vectors"];
  ASSERT_GE(vectors.size(), 3u);
  for (const auto& v : vectors) {
    SCOPED_TRACE(v["description"].get<std::string>());
    const auto mac = HeadMac(Hex(v, "key"), v["seq"].get<int64_t>(), Hex(v, "hash"));
    EXPECT_EQ(HexOf(mac), v["mac"].get<std::string>());
  }
}

// The vectors can fail: a change of one byte (or one unit) in any input changes the answer.
TEST(AuditKatTest, OneByteChangesChangeTheAnswers) {
  const nlohmann::json doc = LoadVectors();
  const auto& e = doc["chain"]["entries"][1];
  const Bytes prev = Hex(e, "prev");
  const std::string subject = e["subject"].get<std::string>();
  const std::string detail = e["detail"].get<std::string>();
  const int64_t seq = e["seq"].get<int64_t>();
  const int64_t time = e["time_unix_ms"].get<int64_t>();
  const std::string expected = e["hash"].get<std::string>();
  ASSERT_EQ(HexOf(ChainHash(prev, seq, time, AuditKind::kErasure, subject, detail)), expected);
  Bytes prev2 = prev;
  prev2[31] ^= 1;
  std::string subject2 = subject;
  subject2[0] ^= 1;
  std::string detail2 = detail;
  detail2.back() ^= 1;
  EXPECT_NE(HexOf(ChainHash(prev2, seq, time, AuditKind::kErasure, subject, detail)), expected);
  EXPECT_NE(HexOf(ChainHash(prev, seq + 1, time, AuditKind::kErasure, subject, detail)), expected);
  EXPECT_NE(HexOf(ChainHash(prev, seq, time + 1, AuditKind::kErasure, subject, detail)), expected);
  EXPECT_NE(HexOf(ChainHash(prev, seq, time, AuditKind::kCorrection, subject, detail)), expected);
  EXPECT_NE(HexOf(ChainHash(prev, seq, time, AuditKind::kErasure, subject2, detail)), expected);
  EXPECT_NE(HexOf(ChainHash(prev, seq, time, AuditKind::kErasure, subject, detail2)), expected);

  const auto& v = doc["head_mac"]["vectors"][0];
  const Bytes key = Hex(v, "key");
  const Bytes hash = Hex(v, "hash");
  const int64_t head_seq = v["seq"].get<int64_t>();
  const std::string mac = v["mac"].get<std::string>();
  ASSERT_EQ(HexOf(HeadMac(key, head_seq, hash)), mac);
  Bytes key2 = key;
  key2[0] ^= 1;
  Bytes hash2 = hash;
  hash2[31] ^= 1;
  EXPECT_NE(HexOf(HeadMac(key2, head_seq, hash)), mac);
  EXPECT_NE(HexOf(HeadMac(key, head_seq + 1, hash)), mac);
  EXPECT_NE(HexOf(HeadMac(key, head_seq, hash2)), mac);
}

}  // namespace
}  // namespace tacet::audit
