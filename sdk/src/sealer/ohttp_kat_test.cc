// Known answers for the sealer:
//  - RFC 9458 Appendix A (tests/fixtures/ohttp/ohttp-rfc9458-appendix-a.json, a copy of
//    shared/test-vectors/): the key configuration, the Binary HTTP request and response, the
//    encapsulated request with the ephemeral key injected, and every intermediate value of the
//    encapsulated response.
//  - tests/fixtures/formats/ohttp_vectors.json, computed outside Tacet by make_ohttp_vectors.py:
//    the same for the ChaCha20-Poly1305 suite (32-byte response nonce) and for Binary HTTP
//    messages with every part, padding and an informational response.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "crypto/x25519.h"
#include "sealer/bhttp.h"
#include "sealer/ohttp.h"
#include "testing/status_matchers.h"

namespace tacet::sealer {
namespace {

using crypto::HpkeAead;
using ::testing::IsEmpty;

constexpr size_t kCap = 1 << 20;

nlohmann::json Load(const char* path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(doc.is_object()) << path << " is not a JSON object";
  return doc;
}

Bytes HexField(const nlohmann::json& j, const char* name) {
  EXPECT_TRUE(j.contains(name)) << "missing " << name;
  if (!j.contains(name)) return {};
  StatusOr<Bytes> b = HexDecode(j.at(name).get<std::string>());
  EXPECT_OK(b) << name;
  return b.ok() ? std::move(b).value() : Bytes();
}

std::string H(ByteView b) { return HexEncode(b); }

OhttpGateway GatewayFor(const OhttpKeyConfig& config, const Bytes& secret_key) {
  std::vector<OhttpGatewayKey> keys(1);
  keys[0].config = config;
  keys[0].private_key = crypto::SecretBytes(secret_key);
  auto gateway = OhttpGateway::Create(std::move(keys), kCap);
  EXPECT_OK(gateway);
  return std::move(gateway).value();
}

// Checks the whole exchange of one vector; returns the encapsulated request it produced.
void CheckExchange(const nlohmann::json& v, HpkeAead aead) {
  const Bytes gateway_sk = HexField(v, "gateway_secret_key");
  const Bytes key_config = HexField(v, "key_config");
  const Bytes request_bhttp = HexField(v, "request_bhttp");
  const Bytes response_bhttp = HexField(v, "response_bhttp");
  const Bytes ephemeral_sk = HexField(v, "client_ephemeral_secret_key");
  const Bytes response_nonce = HexField(v, "response_nonce");
  const Bytes encapsulated_request = HexField(v, "encapsulated_request");
  const Bytes encapsulated_response = HexField(v, "encapsulated_response");

  // RFC 9458 §3.1: the configuration parses, re-encodes identically and matches the secret key.
  ASSERT_OK_AND_ASSIGN(OhttpKeyConfig config, ParseKeyConfig(key_config));
  ASSERT_OK_AND_ASSIGN(Bytes reencoded, EncodeKeyConfig(config));
  EXPECT_EQ(H(reencoded), H(key_config));
  ASSERT_OK_AND_ASSIGN(auto public_key, crypto::X25519PublicFromPrivate(gateway_sk));
  EXPECT_EQ(H(public_key), H(config.public_key));

  // §4.3 client, ephemeral key injected: byte for byte.
  ASSERT_OK_AND_ASSIGN(OhttpClientRequest sealed,
                       EncapsulateRequestForTesting(config, aead, request_bhttp, ephemeral_sk));
  EXPECT_EQ(H(sealed.encapsulated_request), H(encapsulated_request));
  // hdr is the first 7 bytes, and info = "message/bhttp request" || 0x00 || hdr.
  Bytes info = ByteView::FromString(kOhttpRequestLabel).ToBytes();
  info.push_back(0);
  Append(info, ByteView(encapsulated_request).subview(0, kOhttpRequestHeaderSize));
  EXPECT_EQ(H(info), H(HexField(v, "hpke_info")));
  ASSERT_OK_AND_ASSIGN(auto ephemeral_pk, crypto::X25519PublicFromPrivate(ephemeral_sk));
  const Bytes enc = ByteView(encapsulated_request).subview(kOhttpRequestHeaderSize, 32).ToBytes();
  EXPECT_EQ(H(enc), H(ephemeral_pk));
  if (v.contains("client_ephemeral_public_key")) {
    EXPECT_EQ(H(enc), H(HexField(v, "client_ephemeral_public_key")));
  }

  // §4.3 gateway: opens the vector's bytes (not only our own) and gets the request.
  const OhttpGateway gateway = GatewayFor(config, gateway_sk);
  ASSERT_OK_AND_ASSIGN(OhttpGatewayRequest opened, gateway.DecapsulateRequest(encapsulated_request));
  EXPECT_EQ(H(opened.request()), H(request_bhttp));
  EXPECT_EQ(opened.key_id(), config.key_id);
  EXPECT_EQ(opened.aead(), aead);

  // §4.4: the exported secret on both sides, then salt, prk, key and nonce.
  const Bytes exported = HexField(v, "exported_secret");
  EXPECT_EQ(H(opened.response_secret_for_testing()), H(exported));
  EXPECT_EQ(H(sealed.context.response_secret_for_testing()), H(exported));
  ASSERT_OK_AND_ASSIGN(internal::OhttpResponseKeys keys,
                       internal::DeriveResponseKeys(aead, exported, enc, response_nonce));
  EXPECT_EQ(H(keys.salt), H(HexField(v, "response_salt")));
  EXPECT_EQ(H(keys.prk.view()), H(HexField(v, "response_prk")));
  EXPECT_EQ(H(keys.key.view()), H(HexField(v, "response_aead_key")));
  EXPECT_EQ(H(keys.nonce.view()), H(HexField(v, "response_aead_nonce")));

  // The encapsulated response with the nonce injected, and the client opens the vector's bytes.
  ASSERT_OK_AND_ASSIGN(Bytes response, opened.EncapsulateResponseForTesting(response_bhttp, response_nonce));
  EXPECT_EQ(H(response), H(encapsulated_response));
  ASSERT_OK_AND_ASSIGN(Bytes got, sealed.context.OpenResponse(encapsulated_response));
  EXPECT_EQ(H(got), H(response_bhttp));

  // A one-byte change of any input changes the output, so the comparisons above can fail.
  Bytes other_ephemeral = ephemeral_sk;
  other_ephemeral[5] ^= 0x01;
  ASSERT_OK_AND_ASSIGN(auto other_sealed, EncapsulateRequestForTesting(config, aead, request_bhttp, other_ephemeral));
  EXPECT_NE(H(other_sealed.encapsulated_request), H(encapsulated_request));
  Bytes other_request = request_bhttp;
  other_request.back() ^= 0x01;
  ASSERT_OK_AND_ASSIGN(auto other_plain, EncapsulateRequestForTesting(config, aead, other_request, ephemeral_sk));
  EXPECT_NE(H(other_plain.encapsulated_request), H(encapsulated_request));
  Bytes other_nonce = response_nonce;
  other_nonce[0] ^= 0x01;
  ASSERT_OK_AND_ASSIGN(Bytes other_response, opened.EncapsulateResponseForTesting(response_bhttp, other_nonce));
  EXPECT_NE(H(other_response), H(encapsulated_response));

  // Negative: any flipped byte of the vector's request or response is refused.
  for (size_t i = 0; i < encapsulated_request.size(); ++i) {
    Bytes flipped = encapsulated_request;
    flipped[i] ^= 0x40;
    EXPECT_FALSE(gateway.DecapsulateRequest(flipped).ok()) << "request byte " << i;
  }
  for (size_t i = 0; i < encapsulated_response.size(); ++i) {
    Bytes flipped = encapsulated_response;
    flipped[i] ^= 0x40;
    EXPECT_THAT(sealed.context.OpenResponse(flipped), StatusIs(StatusCode::kDataLoss)) << "response byte " << i;
  }
  // Truncated by one byte.
  EXPECT_THAT(gateway.DecapsulateRequest(ByteView(encapsulated_request).subview(0, encapsulated_request.size() - 1)),
              StatusIs(StatusCode::kDataLoss));
  EXPECT_FALSE(sealed.context.OpenResponse(ByteView(encapsulated_response).subview(0, encapsulated_response.size() - 1)).ok());
}

TEST(OhttpRfc9458Test, AppendixAIsReproducedAndOpened) {
  const nlohmann::json v = Load(TACET_OHTTP_RFC9458_VECTORS);
  ASSERT_EQ(v.value("aead", ""), "AES-128-GCM");
  CheckExchange(v, HpkeAead::kAes128Gcm);

  // The configuration: key id 1, X25519, offering AES-128-GCM and ChaCha20-Poly1305.
  ASSERT_OK_AND_ASSIGN(OhttpKeyConfig config, ParseKeyConfig(HexField(v, "key_config")));
  EXPECT_EQ(config.key_id, 1);
  EXPECT_EQ(config.kem_id, 0x0020);
  EXPECT_EQ(config.algorithms, (std::vector<OhttpSymmetricAlgorithm>{{1, 1}, {1, 3}}));

  // The request is the known-length GET https://example.com/ of the RFC, truncated after the
  // control data; encoding those fields gives the same bytes.
  const Bytes request_bhttp = HexField(v, "request_bhttp");
  ASSERT_OK_AND_ASSIGN(BhttpRequest request, DecodeBhttpRequest(request_bhttp, kCap));
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.scheme, "https");
  EXPECT_EQ(request.authority, "example.com");
  EXPECT_EQ(request.path, "/");
  EXPECT_THAT(request.headers, IsEmpty());
  EXPECT_THAT(request.content, IsEmpty());
  EXPECT_THAT(request.trailers, IsEmpty());
  ASSERT_OK_AND_ASSIGN(Bytes encoded, EncodeBhttpRequest(request));
  EXPECT_EQ(H(encoded), H(request_bhttp));

  ASSERT_OK_AND_ASSIGN(BhttpResponse response, DecodeBhttpResponse(HexField(v, "response_bhttp"), kCap));
  EXPECT_EQ(response.status, 200);
  EXPECT_THAT(response.headers, IsEmpty());
  EXPECT_THAT(response.content, IsEmpty());

  // Sealed with the other suite the configuration offers, or to an unknown key id: refused
  // distinctly.
  const Bytes sk = HexField(v, "gateway_secret_key");
  Bytes wrong_suite = HexField(v, "encapsulated_request");
  wrong_suite[6] = 0x03;  // AEAD id 0x0001 -> 0x0003: offered, but the tag is AES-GCM's
  EXPECT_THAT(GatewayFor(config, sk).DecapsulateRequest(wrong_suite), StatusIs(StatusCode::kDataLoss));
  wrong_suite[6] = 0x02;  // not offered
  EXPECT_THAT(GatewayFor(config, sk).DecapsulateRequest(wrong_suite), StatusIs(StatusCode::kUnimplemented));
  Bytes wrong_id = HexField(v, "encapsulated_request");
  wrong_id[0] = 0x02;
  EXPECT_THAT(GatewayFor(config, sk).DecapsulateRequest(wrong_id), StatusIs(StatusCode::kNotFound));
}

std::vector<BhttpField> Fields(const nlohmann::json& j) {
  std::vector<BhttpField> out;
  for (const auto& f : j) out.push_back({f.at(0).get<std::string>(), f.at(1).get<std::string>()});
  return out;
}

BhttpEncodeOptions Options(const nlohmann::json& j) {
  BhttpEncodeOptions o;
  o.truncate = j.at("truncate").get<bool>();
  o.padding = j.at("padding").get<size_t>();
  return o;
}

TEST(OhttpVectorsTest, IndependentVectorsForBothSuitesAndFullMessages) {
  const nlohmann::json doc = Load(TACET_OHTTP_VECTORS);
  ASSERT_TRUE(doc.contains("vectors"));
  size_t count = 0;
  for (const nlohmann::json& v : doc.at("vectors")) {
    SCOPED_TRACE(v.value("description", "?"));
    ASSERT_TRUE(v.contains("description"));
    const uint16_t aead_id = v.at("aead_id").get<uint16_t>();
    const HpkeAead aead = aead_id == kOhttpAeadChaCha20Poly1305 ? HpkeAead::kChaCha20Poly1305
                                                                 : HpkeAead::kAes128Gcm;
    CheckExchange(v, aead);

    // Binary HTTP: the structured messages encode to the vector's bytes and decode back.
    const nlohmann::json& rq = v.at("request");
    BhttpRequest request;
    request.method = rq.at("method").get<std::string>();
    request.scheme = rq.at("scheme").get<std::string>();
    request.authority = rq.at("authority").get<std::string>();
    request.path = rq.at("path").get<std::string>();
    request.headers = Fields(rq.at("headers"));
    ASSERT_OK_AND_ASSIGN(request.content, HexDecode(rq.at("content").get<std::string>()));
    request.trailers = Fields(rq.at("trailers"));
    ASSERT_OK_AND_ASSIGN(Bytes request_bytes, EncodeBhttpRequest(request, Options(rq)));
    EXPECT_EQ(H(request_bytes), H(HexField(v, "request_bhttp")));
    ASSERT_OK_AND_ASSIGN(BhttpRequest decoded, DecodeBhttpRequest(request_bytes, kCap));
    EXPECT_EQ(decoded.path, request.path);
    EXPECT_EQ(decoded.headers, request.headers);
    EXPECT_EQ(decoded.content, request.content);
    EXPECT_EQ(decoded.trailers, request.trailers);

    const nlohmann::json& rs = v.at("response");
    BhttpResponse response;
    for (const auto& info : rs.at("informational")) {
      response.informational.push_back({info.at("status").get<uint16_t>(), Fields(info.at("headers"))});
    }
    response.status = rs.at("status").get<uint16_t>();
    response.headers = Fields(rs.at("headers"));
    ASSERT_OK_AND_ASSIGN(response.content, HexDecode(rs.at("content").get<std::string>()));
    response.trailers = Fields(rs.at("trailers"));
    ASSERT_OK_AND_ASSIGN(Bytes response_bytes, EncodeBhttpResponse(response, Options(rs)));
    EXPECT_EQ(H(response_bytes), H(HexField(v, "response_bhttp")));
    ASSERT_OK_AND_ASSIGN(BhttpResponse decoded_response, DecodeBhttpResponse(response_bytes, kCap));
    EXPECT_EQ(decoded_response.status, response.status);
    EXPECT_EQ(decoded_response.informational.size(), response.informational.size());
    EXPECT_EQ(decoded_response.content, response.content);
    ++count;
  }
  EXPECT_EQ(count, 2u);
}

}  // namespace
}  // namespace tacet::sealer
