#include "sealer/bhttp.h"
#include "sealer/wire_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

#include "crypto/crypto_test_util.h"
#include "testing/status_matchers.h"

namespace tacet::sealer {
namespace {

using crypto::testing::Hex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr size_t kCap = 1 << 20;

// The known-length request example of RFC 9292 §5.1: GET /hello.txt with three header fields,
// written with empty content and trailer section (the final 0x00 0x00).
constexpr char kRfc9292Request[] =
    "0003474554056874747073000a2f68656c6c6f2e747874406c0a757365722d6167656e74346375726c2f372e"
    "31362e33206c69626375726c2f372e31362e33204f70656e53534c2f302e392e376c207a6c69622f312e322e33"
    "04686f73740f7777772e6578616d706c652e636f6d0f6163636570742d6c616e677561676506656e2c206d690000";

Bytes RequestExampleBytes() { return Hex(kRfc9292Request); }

BhttpRequest FullRequest() {
  BhttpRequest r;
  r.method = "POST";
  r.scheme = "https";
  r.authority = "collector.example";
  r.path = "/v1/batches";
  r.headers = {{"content-type", "application/x-tacet-batch"}, {"x-batch-id", "42"}};
  r.content = Bytes{0x00, 0x01, 0xff, 0x00};
  r.trailers = {{"x-digest", "abc"}};
  return r;
}

void ExpectSameRequest(const BhttpRequest& a, const BhttpRequest& b) {
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.scheme, b.scheme);
  EXPECT_EQ(a.authority, b.authority);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.headers, b.headers);
  EXPECT_EQ(a.content, b.content);
  EXPECT_EQ(a.trailers, b.trailers);
}

TEST(BhttpRequestTest, DecodesAndReproducesTheRfc9292Example) {
  const Bytes example = RequestExampleBytes();
  ASSERT_OK_AND_ASSIGN(BhttpRequest r, DecodeBhttpRequest(example, kCap));
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.scheme, "https");
  EXPECT_EQ(r.authority, "");
  EXPECT_EQ(r.path, "/hello.txt");
  EXPECT_THAT(r.headers,
              ElementsAre(BhttpField{"user-agent", "curl/7.16.3 libcurl/7.16.3 OpenSSL/0.9.7l zlib/1.2.3"},
                          BhttpField{"host", "www.example.com"},
                          BhttpField{"accept-language", "en, mi"}));
  EXPECT_TRUE(r.content.empty());
  EXPECT_TRUE(r.trailers.empty());

  BhttpEncodeOptions full;
  full.truncate = false;
  ASSERT_OK_AND_ASSIGN(Bytes encoded, EncodeBhttpRequest(r, full));
  EXPECT_EQ(HexEncode(encoded), HexEncode(example));
  // §5.1: the last two bytes (empty content and trailers) can be cut with no change of meaning.
  ASSERT_OK_AND_ASSIGN(Bytes truncated, EncodeBhttpRequest(r));
  EXPECT_EQ(HexEncode(truncated), HexEncode(ByteView(example).subview(0, example.size() - 2)));
  ASSERT_OK_AND_ASSIGN(BhttpRequest again, DecodeBhttpRequest(truncated, kCap));
  ExpectSameRequest(again, r);
}

TEST(BhttpRequestTest, RoundTripsEveryPartWithEveryOption) {
  for (bool truncate : {false, true}) {
    for (size_t padding : {0, 1, 17}) {
      BhttpEncodeOptions options;
      options.truncate = truncate;
      options.padding = padding;
      ASSERT_OK_AND_ASSIGN(Bytes encoded, EncodeBhttpRequest(FullRequest(), options));
      EXPECT_EQ(encoded[0], 0x00) << "framing indicator 0";
      ASSERT_OK_AND_ASSIGN(BhttpRequest decoded, DecodeBhttpRequest(encoded, kCap));
      ExpectSameRequest(decoded, FullRequest());
    }
  }
}

// RFC 9292 §3.8: a message may stop only before the length of the header section, the content
// or the trailer section (or after the trailers). Every other cut is refused.
TEST(BhttpRequestTest, TruncationIsAcceptedExactlyWhereTheRfcAllowsIt) {
  BhttpRequest r = FullRequest();
  BhttpEncodeOptions full;
  full.truncate = false;
  ASSERT_OK_AND_ASSIGN(Bytes encoded, EncodeBhttpRequest(r, full));
  std::set<size_t> allowed;
  BhttpRequest part = r;
  part.headers.clear();
  part.content.clear();
  part.trailers.clear();
  ASSERT_OK_AND_ASSIGN(Bytes control_only, EncodeBhttpRequest(part));
  allowed.insert(control_only.size());
  part.headers = r.headers;
  ASSERT_OK_AND_ASSIGN(Bytes with_headers, EncodeBhttpRequest(part));
  allowed.insert(with_headers.size());
  part.content = r.content;
  ASSERT_OK_AND_ASSIGN(Bytes with_content, EncodeBhttpRequest(part));
  allowed.insert(with_content.size());
  allowed.insert(encoded.size());
  ASSERT_EQ(allowed.size(), 4u);
  for (size_t n = 0; n <= encoded.size(); ++n) {
    auto decoded = DecodeBhttpRequest(ByteView(encoded).subview(0, n), kCap);
    if (allowed.count(n)) {
      EXPECT_OK(decoded) << "cut at " << n;
    } else {
      EXPECT_THAT(decoded, StatusIs(StatusCode::kInvalidArgument, HasSubstr("truncated")))
          << "cut at " << n;
    }
  }
}

TEST(BhttpRequestTest, ZeroPaddingIsAcceptedAndNonZeroPaddingIsRefused) {
  // GET https://a/ then zero padding straight after the control data: the zeros read as empty
  // header section, content and trailers, then padding.
  ASSERT_OK_AND_ASSIGN(BhttpRequest r, DecodeBhttpRequest(Hex("00034745540568747470730161012f000000000000"), kCap));
  EXPECT_EQ(r.path, "/");
  EXPECT_THAT(DecodeBhttpRequest(Hex("00034745540568747470730161012f000000000100"), kCap),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("non-zero padding byte 0x01 (RFC 9292 §3.8) at offset 19")));
}

TEST(BhttpRequestTest, AcceptsNonMinimalIntegers) {
  // RFC 9292 §3: "Integer values do not need to be encoded on the minimum number of bytes".
  // Framing indicator as 0x4000, method length as 0x80000003, path length as 0x4001.
  ASSERT_OK_AND_ASSIGN(BhttpRequest r,
                       DecodeBhttpRequest(Hex("400080000003474554056874747073016140012f"), kCap));
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.authority, "a");
  EXPECT_EQ(r.path, "/");
}

TEST(BhttpRequestTest, EnforcesTheCallersSizeCapBeforeParsing) {
  ASSERT_OK_AND_ASSIGN(Bytes encoded, EncodeBhttpRequest(FullRequest()));
  EXPECT_OK(DecodeBhttpRequest(encoded, encoded.size()));
  EXPECT_THAT(DecodeBhttpRequest(encoded, encoded.size() - 1),
              StatusIs(StatusCode::kResourceExhausted, HasSubstr("over the cap")));
  // Even garbage is refused for its size first.
  const Bytes garbage(100, 0xff);
  EXPECT_THAT(DecodeBhttpRequest(garbage, 99), StatusIs(StatusCode::kResourceExhausted));
}

TEST(BhttpRequestTest, RefusesOtherFramingIndicators) {
  EXPECT_THAT(DecodeBhttpRequest(Hex("01"), kCap),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("framing indicator 1")));
  EXPECT_THAT(DecodeBhttpRequest(Hex("02034745540568747470730000"), kCap),
              StatusIs(StatusCode::kUnimplemented, HasSubstr("indeterminate-length")));
  EXPECT_THAT(DecodeBhttpRequest(Hex("04"), kCap), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeBhttpRequest(Bytes{}, kCap),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("framing indicator")));
}

TEST(BhttpRequestTest, ValidatesControlData) {
  struct Case {
    const char *method, *scheme, *authority, *path, *problem;
  } kCases[] = {
      {"", "https", "a", "/", "empty method"},
      {"GE T", "https", "a", "/", "method contains byte 0x20"},
      {"GET", "", "a", "/", "empty scheme"},
      {"GET", "1ttp", "a", "/", "scheme does not start with a letter"},
      {"GET", "ht_p", "a", "/", "scheme contains byte 0x5f"},
      {"GET", "https", "a b", "/", "authority contains byte 0x20"},
      {"GET", "https", "a", "", "empty path"},
      {"GET", "https", "a", "/x\r\nHost: evil", "path contains byte 0x0d"},
  };
  for (const Case& c : kCases) {
    BhttpRequest r;
    r.method = c.method;
    r.scheme = c.scheme;
    r.authority = c.authority;
    r.path = c.path;
    EXPECT_THAT(EncodeBhttpRequest(r), StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.problem)))
        << c.problem;
    // The decoder refuses the same bytes.
    Bytes raw = {0x00};
    for (const char* s : {c.method, c.scheme, c.authority, c.path}) {
      raw.push_back(static_cast<uint8_t>(std::string(s).size()));
      Append(raw, ByteView::FromString(s));
    }
    EXPECT_THAT(DecodeBhttpRequest(raw, kCap),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.problem)))
        << c.problem;
  }
  BhttpRequest connect;
  connect.method = "CONNECT";
  connect.authority = "proxy.example:443";
  ASSERT_OK_AND_ASSIGN(Bytes encoded, EncodeBhttpRequest(connect));
  ASSERT_OK_AND_ASSIGN(BhttpRequest decoded, DecodeBhttpRequest(encoded, kCap));
  EXPECT_EQ(decoded.authority, "proxy.example:443");
}

TEST(BhttpRequestTest, ValidatesFieldLines) {
  const struct {
    std::string name, value, problem;
  } kCases[] = {
      {"Content-Type", "x", "field name contains byte 0x43"},
      {"", "x", "empty field name"},
      {":path", "/", "field name contains byte 0x3a"},
      {"a b", "x", "field name contains byte 0x20"},
      {"x", "a\nb", "field value contains byte 0x0a"},
      {"x", std::string("a\0b", 3), "field value contains byte 0x00"},
      {"x", " a", "field value starts or ends with whitespace"},
      {"x", "a\t", "field value starts or ends with whitespace"},
  };
  for (const auto& c : kCases) {
    BhttpRequest r = FullRequest();
    r.headers.push_back({c.name, c.value});
    EXPECT_THAT(EncodeBhttpRequest(r),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("header section line 3: " + c.problem)));
    // Build the bytes by hand: control data "GET https a /", one header line.
    Bytes raw = Hex("00034745540568747470730161012f");
    Bytes line;
    line.push_back(static_cast<uint8_t>(c.name.size()));
    Append(line, ByteView::FromString(c.name));
    line.push_back(static_cast<uint8_t>(c.value.size()));
    Append(line, ByteView::FromString(c.value));
    raw.push_back(static_cast<uint8_t>(line.size()));
    Append(raw, line);
    EXPECT_THAT(DecodeBhttpRequest(raw, kCap),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("header section line 1: " + c.problem)))
        << c.problem;
  }
  // A field line that runs past the end of its section is refused even when the message goes on.
  EXPECT_THAT(DecodeBhttpRequest(Hex("00034745540568747470730161012f" "03" "0178" "05" "0000000000"), kCap),
              StatusIs(StatusCode::kInvalidArgument,
                       "bhttp: truncated: header section field value needs 5 bytes, 0 left at offset 19"));
}

TEST(BhttpRequestTest, RefusesMoreFieldLinesThanTheCap) {
  BhttpRequest r = FullRequest();
  r.headers.assign(kBhttpMaxFieldLinesPerSection, BhttpField{"a", ""});
  ASSERT_OK_AND_ASSIGN(Bytes at_cap, EncodeBhttpRequest(r));
  EXPECT_OK(DecodeBhttpRequest(at_cap, kCap));
  r.headers.push_back({"a", ""});
  EXPECT_THAT(EncodeBhttpRequest(r), StatusIs(StatusCode::kInvalidArgument));
  // Hand-made: the cap plus one lines of "a" = "" (3 bytes each).
  Bytes raw = Hex("00034745540568747470730161012f");
  const size_t lines = kBhttpMaxFieldLinesPerSection + 1;
  ASSERT_OK(AppendQuicVarint(raw, 3 * lines));
  for (size_t i = 0; i < lines; ++i) Append(raw, Hex("016100"));
  EXPECT_THAT(DecodeBhttpRequest(raw, kCap),
              StatusIs(StatusCode::kResourceExhausted, HasSubstr("more than 1024 lines")));
}

BhttpResponse FullResponse() {
  BhttpResponse r;
  r.informational = {{102, {{"running", "\"sleep 15\""}}}, {103, {{"link", "</style.css>"}}}};
  r.status = 200;
  r.headers = {{"content-type", "text/plain"}};
  r.content = Bytes{'o', 'k'};
  r.trailers = {{"x-t", "1"}};
  return r;
}

TEST(BhttpResponseTest, RoundTripsWithInformationalResponses) {
  for (bool truncate : {false, true}) {
    BhttpEncodeOptions options;
    options.truncate = truncate;
    options.padding = 3;
    ASSERT_OK_AND_ASSIGN(Bytes encoded, EncodeBhttpResponse(FullResponse(), options));
    EXPECT_EQ(encoded[0], 0x01) << "framing indicator 1";
    ASSERT_OK_AND_ASSIGN(BhttpResponse d, DecodeBhttpResponse(encoded, kCap));
    ASSERT_EQ(d.informational.size(), 2u);
    EXPECT_EQ(d.informational[0].status, 102);
    EXPECT_EQ(d.informational[1].status, 103);
    EXPECT_EQ(d.informational[1].headers, FullResponse().informational[1].headers);
    EXPECT_EQ(d.status, 200);
    EXPECT_EQ(d.headers, FullResponse().headers);
    EXPECT_EQ(d.content, FullResponse().content);
    EXPECT_EQ(d.trailers, FullResponse().trailers);
  }
}

TEST(BhttpResponseTest, DecodesTheRfc9458ResponseTruncatedAfterItsStatus) {
  // 0x40c8 is 200 on two bytes; nothing follows.
  ASSERT_OK_AND_ASSIGN(BhttpResponse r, DecodeBhttpResponse(Hex("0140c8"), kCap));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.informational.empty());
  EXPECT_TRUE(r.headers.empty());
  EXPECT_TRUE(r.content.empty());
}

TEST(BhttpResponseTest, RefusesBadStatusesAndMissingFinalStatus) {
  EXPECT_THAT(DecodeBhttpResponse(Hex("01"), kCap),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("status code needs")));
  EXPECT_THAT(DecodeBhttpResponse(Hex("014063"), kCap),  // 99
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("status code 99 is outside 100..599")));
  EXPECT_THAT(DecodeBhttpResponse(Hex("014258"), kCap),  // 600
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("status code 600")));
  EXPECT_THAT(DecodeBhttpResponse(Hex("014067"), kCap),  // 103, then nothing
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("ends after informational status 103")));
  EXPECT_THAT(DecodeBhttpResponse(Hex("01406700"), kCap),  // 103 with empty headers, then nothing
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("without a final status")));
  EXPECT_THAT(DecodeBhttpResponse(Hex("03"), kCap), StatusIs(StatusCode::kUnimplemented));
  EXPECT_THAT(DecodeBhttpResponse(Hex("00"), kCap),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("framing indicator 0")));
  BhttpResponse r;
  r.status = 199;
  EXPECT_THAT(EncodeBhttpResponse(r), StatusIs(StatusCode::kInvalidArgument, HasSubstr("final status 199")));
  r.status = 200;
  r.informational = {{200, {}}};
  EXPECT_THAT(EncodeBhttpResponse(r),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("informational status 200")));
  // A run of informational responses is capped.
  Bytes many = Hex("01");
  for (int i = 0; i < 17; ++i) Append(many, Hex("406400"));
  Append(many, Hex("40c8"));
  EXPECT_THAT(DecodeBhttpResponse(many, kCap), StatusIs(StatusCode::kResourceExhausted));
}

// Property-style: random valid messages round-trip under random options, and random corruptions
// of them never crash the decoder (a decoded corruption re-encodes and decodes to itself).
std::string RandomToken(std::mt19937& rng, const std::string& alphabet, size_t min, size_t max) {
  std::uniform_int_distribution<size_t> len(min, max), pick(0, alphabet.size() - 1);
  std::string s(len(rng), 'x');
  for (char& c : s) c = alphabet[pick(rng)];
  return s;
}

std::vector<BhttpField> RandomFields(std::mt19937& rng) {
  std::vector<BhttpField> fields(std::uniform_int_distribution<int>(0, 4)(rng));
  for (BhttpField& f : fields) {
    f.name = RandomToken(rng, "abcdefghijklmnopqrstuvwxyz0123456789-_.!", 1, 12);
    f.value = RandomToken(rng, "abcdefghijABCDEF0123 =;,:\"/", 0, 80);
    if (!f.value.empty()) f.value.front() = 'v', f.value.back() = 'v';
  }
  return fields;
}

Bytes RandomContent(std::mt19937& rng) {
  Bytes b(std::uniform_int_distribution<size_t>(0, 300)(rng));
  for (uint8_t& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

TEST(BhttpPropertyTest, RandomMessagesRoundTripAndCorruptionsNeverCrash) {
  std::mt19937 rng(20240611);
  for (int i = 0; i < 500; ++i) {
    BhttpRequest req;
    req.method = RandomToken(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 1, 8);
    req.scheme = RandomToken(rng, "abcdefghijklmnopqrstuvwxyz", 1, 6);
    req.authority = RandomToken(rng, "abcdefghijklmnopqrstuvwxyz.:0123456789", 0, 30);
    req.path = "/" + RandomToken(rng, "abcdefghijklmnopqrstuvwxyz/?=&%", 0, 40);
    req.headers = RandomFields(rng);
    req.content = RandomContent(rng);
    req.trailers = RandomFields(rng);
    BhttpEncodeOptions options;
    options.truncate = rng() % 2 == 0;
    options.padding = rng() % 4 == 0 ? rng() % 40 : 0;
    ASSERT_OK_AND_ASSIGN(Bytes encoded, EncodeBhttpRequest(req, options));
    ASSERT_OK_AND_ASSIGN(BhttpRequest decoded, DecodeBhttpRequest(encoded, kCap));
    ExpectSameRequest(decoded, req);

    BhttpResponse resp;
    resp.status = static_cast<uint16_t>(200 + rng() % 400);
    if (rng() % 3 == 0) resp.informational.push_back({static_cast<uint16_t>(100 + rng() % 100), RandomFields(rng)});
    resp.headers = RandomFields(rng);
    resp.content = RandomContent(rng);
    resp.trailers = RandomFields(rng);
    ASSERT_OK_AND_ASSIGN(Bytes encoded_resp, EncodeBhttpResponse(resp, options));
    ASSERT_OK_AND_ASSIGN(BhttpResponse d, DecodeBhttpResponse(encoded_resp, kCap));
    EXPECT_EQ(d.status, resp.status);
    EXPECT_EQ(d.headers, resp.headers);
    EXPECT_EQ(d.content, resp.content);
    EXPECT_EQ(d.trailers, resp.trailers);
    ASSERT_EQ(d.informational.size(), resp.informational.size());

    for (int m = 0; m < 8; ++m) {
      Bytes corrupt = encoded;
      corrupt[rng() % corrupt.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
      if (rng() % 2) corrupt.resize(rng() % (corrupt.size() + 1));
      auto result = DecodeBhttpRequest(corrupt, kCap);
      if (result.ok()) {
        ASSERT_OK_AND_ASSIGN(Bytes re, EncodeBhttpRequest(*result));
        ASSERT_OK_AND_ASSIGN(BhttpRequest again, DecodeBhttpRequest(re, kCap));
        ExpectSameRequest(again, *result);
      } else {
        EXPECT_FALSE(result.status().message().empty());
      }
    }
  }
}

}  // namespace
}  // namespace tacet::sealer
