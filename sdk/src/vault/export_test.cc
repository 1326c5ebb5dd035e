#include "base/time_format.h"
#include "vault/export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "testing/status_matchers.h"
#include "vault/vault_test_util.h"

namespace tacet::vault {
namespace {

using consent::ConsentState;
using consent::DecisionSource;
using ::testing::HasSubstr;
using testing::VaultHarness;
using Json = nlohmann::json;

std::string Base64Decode(const std::string& in) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    acc = (acc << 6) | static_cast<uint32_t>(kAlphabet.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

class ExportTest : public ::testing::Test {
 protected:
  ExportSources Sources() {
    ExportSources s;
    s.vault = &h_.vault();
    s.audit = &h_.audit();
    s.clock = &h_.device().clock();
    s.ledger = &h_.ledger();
    return s;
  }
  StatusOr<Json> Export(std::string* text = nullptr) {
    StringSink sink;
    TACET_RETURN_IF_ERROR(WriteExport(Sources(), h_.db(), sink).status());
    if (text != nullptr) *text = sink.out;
    return Json::parse(sink.out);
  }
  VaultHarness h_;
};

// Writes a little of everything: every field kind, corrections, consent decisions, an erasure.
void Populate(VaultHarness& h, std::map<int64_t, std::string>* expected) {
  h.GrantEverything();
  struct V { const char* c; const char* f; std::string v; };
  const V values[] = {
      {"name", "full_name", "Ada \"Quote\" Lovelace"},
      {"contact", "email_address", "ada@example.org"},
      {"contact", "phone_number", "+441632960961"},
      {"contact", "postal_address", "1 Line\nSecond line\tTab"},
      {"usage", "listening_history", "track \xE2\x99\xAB 1"},
      {"payment", "payment_method", "Visa 4242"},
      {"voice", "voice_recordings", std::string("RIFF\0\x01\xFF\xFEwave", 12)},
      {"location", "precise_location", "52.517339,13.388861"},
      {"public_profile", "name_or_username", "ada"},
  };
  for (const V& v : values) {
    auto id = h.vault().Add(v.c, v.f, v.v, ChangeSource::kUser);
    ASSERT_OK(id.status()) << v.f;
    (*expected)[*id] = v.v;
  }
  h.device().clock().AdvanceBy(5000);
  int64_t email = expected->begin()->first + 1;
  ASSERT_OK(h.vault().Correct(email, "ada@example.net", ChangeSource::kUser));
  (*expected)[email] = "ada@example.net";
  ASSERT_OK(h.ledger().SetChannel("email", ConsentState::kDenied, DecisionSource::kUser));
}

TEST_F(ExportTest, ContainsEverythingWritten) {
  std::map<int64_t, std::string> expected;
  Populate(h_, &expected);
  ASSERT_OK_AND_ASSIGN(Json doc, Export());
  EXPECT_EQ(doc["format"], "tacet-export");
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["generated_at"], "2024-01-01T00:00:05.000Z");
  EXPECT_EQ(doc["policy"]["id"], "streaming_service");
  EXPECT_EQ(doc["categories"].size(), 9u);

  ASSERT_EQ(doc["records"].size(), expected.size());
  for (const Json& r : doc["records"]) {
    const int64_t id = r["id"];
    std::string value = r["value"];
    if (r["encoding"] == "base64") value = Base64Decode(value);
    EXPECT_EQ(value, expected[id]) << r.dump();
    if (r["field"] == "email_address") {
      EXPECT_EQ(r["version"], 2);
      EXPECT_EQ(r["written_at"], "2024-01-01T00:00:05.000Z");
      EXPECT_EQ(r["created_at"], "2024-01-01T00:00:00.000Z");
      EXPECT_EQ(r["expires_at"], "2025-12-31T00:00:05.000Z");  // 730 days (2024 is a leap year)
    }
  }
  ASSERT_EQ(doc["history"].size(), 1u);
  EXPECT_EQ(doc["history"][0]["value"], "ada@example.org");
  EXPECT_EQ(doc["history"][0]["version"], 1);
  EXPECT_EQ(doc["history"][0]["replaced_at"], "2024-01-01T00:00:05.000Z");

  const Json& consent = doc["consent"];
  EXPECT_TRUE(consent["available"]);
  EXPECT_EQ(consent["location_precision"], "precise");
  bool saw_voice = false;
  for (const Json& p : consent["purposes"]) {
    if (p["id"] == "voice_features") {
      EXPECT_EQ(p["state"], "granted");
      EXPECT_EQ(p["source"], "user");
      saw_voice = true;
    }
  }
  EXPECT_TRUE(saw_voice);
  ASSERT_OK_AND_ASSIGN(auto ledger_history, h_.ledger().History());
  EXPECT_EQ(consent["history"].size(), ledger_history.size());
  EXPECT_EQ(consent["history"].back()["subject"], "channel:email");

  EXPECT_FALSE(doc["access_log"]["available"]);
  EXPECT_THAT(doc["access_log"]["note"].get<std::string>(), HasSubstr("capture gates"));
  EXPECT_FALSE(doc["disclosures"]["available"]);
  EXPECT_THAT(doc["disclosures"]["note"].get<std::string>(), HasSubstr("sync module"));
  ASSERT_EQ(doc["audit"].size(), 1u);
  EXPECT_EQ(doc["audit"][0]["kind"], "correction");

  // The export itself is audited (after the document: an export never contains its own entry).
  std::vector<audit::AuditEntry> entries;
  ASSERT_OK(h_.audit().ForEach([&](const audit::AuditEntry& e) {
    entries.push_back(e);
    return OkStatus();
  }));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].kind, audit::AuditKind::kExport);
  EXPECT_EQ(entries[1].detail, "records=9 history=1");
}

TEST_F(ExportTest, ValidatesAgainstTheDocumentedSchema) {
#ifndef TACET_PYTHON3_WITH_JSONSCHEMA
  GTEST_SKIP() << "no python3 with jsonschema at configure time (scripts/setup.sh installs "
                  "python3-jsonschema)";
#else
  std::map<int64_t, std::string> expected;
  Populate(h_, &expected);
  ASSERT_OK(h_.vault().Erase("payment").status());
  tacet::testing::TempDir dir;
  const std::string out = dir.File("export.json");
  std::FILE* f = std::fopen(out.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  FileSink sink(f);
  ASSERT_OK(WriteExport(Sources(), h_.db(), sink).status());
  ASSERT_EQ(std::fclose(f), 0);
  const std::string schema = std::string(TACET_SOURCE_DIR) + "/docs/export.schema.json";
  const std::string cmd = std::string(TACET_PYTHON3_WITH_JSONSCHEMA) +
                          " -c 'import json,sys,jsonschema; "
                          "jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))"
                          ".validate(json.load(open(sys.argv[2])))' '" +
                          schema + "' '" + out + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  // The validator is not vacuous: a document with a wrong version fails it.
  const Bytes raw = tacet::testing::ReadFileOrDie(out);
  std::string text(raw.begin(), raw.end());
  Json doc = Json::parse(text);
  doc["version"] = 2;
  tacet::testing::WriteFileOrDie(out, ByteView::FromString(doc.dump()));
  EXPECT_NE(std::system((cmd + " 2>/dev/null").c_str()), 0);
#endif
}

// Fails after `budget` bytes, like a full disk.
class FailingSink final : public ByteSink {
 public:
  explicit FailingSink(size_t budget) : budget_(budget) {}
  Status Write(std::string_view bytes) override {
    if (bytes.size() > budget_) return ResourceExhaustedError("disk full");
    budget_ -= bytes.size();
    return OkStatus();
  }

 private:
  size_t budget_;
};

TEST_F(ExportTest, FailedExportIsNotAudited) {
  for (int i = 0; i < 300; ++i) {
    ASSERT_OK(h_.vault().Add("usage", "search_queries", "query " + std::to_string(i),
                             ChangeSource::kApp).status());
  }
  FailingSink sink(10000);
  EXPECT_THAT(WriteExport(Sources(), h_.db(), sink), StatusIs(StatusCode::kResourceExhausted));
  ASSERT_OK_AND_ASSIGN(int64_t n, h_.audit().Count());
  EXPECT_EQ(n, 0);
}

}  // namespace
}  // namespace tacet::vault
