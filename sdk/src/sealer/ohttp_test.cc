#include "sealer/ohttp.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <thread>

#include "crypto/crypto_test_util.h"
#include "testing/status_matchers.h"

namespace tacet::sealer {
namespace {

using crypto::HpkeAead;
using crypto::testing::Hex;
using crypto::testing::TestDrbg;
using ::testing::HasSubstr;

constexpr size_t kCap = 1 << 20;

OhttpGatewayKey NewKey(uint8_t key_id) {
  auto key = GenerateGatewayKey(key_id, TestDrbg());
  EXPECT_OK(key);
  return std::move(key).value();
}

OhttpGateway NewGateway(std::vector<OhttpGatewayKey> keys, size_t cap = kCap) {
  auto gateway = OhttpGateway::Create(std::move(keys), cap);
  EXPECT_OK(gateway);
  return std::move(gateway).value();
}

TEST(OhttpKeyConfigTest, EncodesAndParsesOneConfiguration) {
  OhttpKeyConfig config;
  config.key_id = 0xa7;
  config.public_key = Bytes(32, 0x42);
  config.algorithms = {{1, 1}, {1, 3}, {2, 1}};  // the last pair is one Tacet does not implement
  ASSERT_OK_AND_ASSIGN(Bytes encoded, EncodeKeyConfig(config));
  EXPECT_EQ(HexEncode(encoded),
            "a70020" + HexEncode(Bytes(32, 0x42)) + "000c" "00010001" "00010003" "00020001");
  ASSERT_OK_AND_ASSIGN(OhttpKeyConfig parsed, ParseKeyConfig(encoded));
  EXPECT_EQ(parsed, config);
}

TEST(OhttpKeyConfigTest, RefusesMalformedConfigurationsWithWhatIsWrong) {
  OhttpKeyConfig config;
  config.public_key = Bytes(32, 1);
  config.algorithms = {{1, 1}};
  ASSERT_OK_AND_ASSIGN(Bytes good, EncodeKeyConfig(config));
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_THAT(ParseKeyConfig(ByteView(good).subview(0, n)),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("truncated")))
        << "cut at " << n;
  }
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_THAT(ParseKeyConfig(trailing),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("1 bytes after the configuration")));
  Bytes bad_length = good;
  bad_length[35] = 0;  // algorithms length 0x0004 -> 0x0000
  bad_length[36] = 0;
  EXPECT_THAT(ParseKeyConfig(bad_length),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not a positive multiple of 4")));
  Bytes odd_length = good;
  odd_length[36] = 6;
  EXPECT_THAT(ParseKeyConfig(odd_length), StatusIs(StatusCode::kInvalidArgument));
  Bytes other_kem = good;
  other_kem[2] = 0x10;  // P-256
  EXPECT_THAT(ParseKeyConfig(other_kem),
              StatusIs(StatusCode::kUnimplemented, HasSubstr("KEM 0x0010")));

  OhttpKeyConfig bad = config;
  bad.public_key.pop_back();
  EXPECT_THAT(EncodeKeyConfig(bad), StatusIs(StatusCode::kInvalidArgument, HasSubstr("31 bytes")));
  bad = config;
  bad.algorithms.clear();
  EXPECT_THAT(EncodeKeyConfig(bad), StatusIs(StatusCode::kInvalidArgument));
  bad = config;
  bad.kem_id = 0x0010;
  EXPECT_THAT(EncodeKeyConfig(bad), StatusIs(StatusCode::kInvalidArgument));
}

TEST(OhttpKeyConfigTest, ListsHaveTwoByteLengthsAndSkipUnknownKems) {
  OhttpKeyConfig a, b;
  a.key_id = 1;
  a.public_key = Bytes(32, 0xaa);
  a.algorithms = {{1, 1}};
  b.key_id = 2;
  b.public_key = Bytes(32, 0xbb);
  b.algorithms = {{1, 3}};
  ASSERT_OK_AND_ASSIGN(Bytes list, EncodeKeyConfigList({a, b}));
  EXPECT_EQ(list.size(), 2 * (2 + 41));
  EXPECT_EQ(list[0], 0x00);
  EXPECT_EQ(list[1], 41);  // 1 + 2 + 32 + 2 + 4
  ASSERT_OK_AND_ASSIGN(auto parsed, ParseKeyConfigList(list));
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0], a);
  EXPECT_EQ(parsed[1], b);

  // A configuration with an unknown KEM (any length) is skipped.
  Bytes with_unknown = Hex("0005" "09" "0010" "ffff");
  Append(with_unknown, list);
  ASSERT_OK_AND_ASSIGN(auto skipped, ParseKeyConfigList(with_unknown));
  EXPECT_EQ(skipped.size(), 2u);
  EXPECT_THAT(ParseKeyConfigList(Hex("0005" "09" "0010" "ffff")),
              StatusIs(StatusCode::kUnimplemented, HasSubstr("none of the 1")));
  EXPECT_THAT(ParseKeyConfigList(Bytes{}), StatusIs(StatusCode::kInvalidArgument));
  Bytes short_list = list;
  short_list.pop_back();
  EXPECT_THAT(ParseKeyConfigList(short_list),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("truncated: key configuration needs 41")));
  Bytes long_inner = list;
  long_inner[1] = 42;  // the first configuration claims one byte more than it has
  EXPECT_THAT(ParseKeyConfigList(long_inner), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(EncodeKeyConfigList({}), StatusIs(StatusCode::kInvalidArgument));
}

class OhttpRoundTripTest : public ::testing::TestWithParam<HpkeAead> {};

TEST_P(OhttpRoundTripTest, RequestAndResponseRoundTrip) {
  const HpkeAead aead = GetParam();
  OhttpGatewayKey key = NewKey(7);
  const OhttpKeyConfig config = key.config;
  std::vector<OhttpGatewayKey> keys;
  keys.push_back(std::move(key));
  const OhttpGateway gateway = NewGateway(std::move(keys));
  ASSERT_OK_AND_ASSIGN(auto published, ParseKeyConfigList(gateway.key_configs()));
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0], config);

  const Bytes request = Bytes(1000, 0x5a);
  ASSERT_OK_AND_ASSIGN(OhttpClientRequest sealed, EncapsulateRequest(config, aead, request, TestDrbg()));
  const Bytes& wire = sealed.encapsulated_request;
  ASSERT_EQ(wire.size(), 7 + 32 + request.size() + 16);
  const uint8_t aead_id = static_cast<uint8_t>(aead);
  EXPECT_EQ(HexEncode(ByteView(wire).subview(0, 7)),
            HexEncode(Bytes{0x07, 0x00, 0x20, 0x00, 0x01, 0x00, aead_id}));

  ASSERT_OK_AND_ASSIGN(OhttpGatewayRequest opened, gateway.DecapsulateRequest(wire));
  EXPECT_EQ(opened.request(), request);
  EXPECT_EQ(opened.key_id(), 7);
  EXPECT_EQ(opened.aead(), aead);
  EXPECT_TRUE(crypto::ConstantTimeEquals(opened.response_secret_for_testing(),
                                         sealed.context.response_secret_for_testing()));

  const Bytes response = {0x01, 0x40, 0xc8};
  ASSERT_OK_AND_ASSIGN(Bytes enc_response, opened.EncapsulateResponse(response, TestDrbg()));
  const size_t nonce_size = aead == HpkeAead::kAes128Gcm ? 16 : 32;  // max(Nn, Nk)
  EXPECT_EQ(enc_response.size(), nonce_size + response.size() + 16);
  ASSERT_OK_AND_ASSIGN(Bytes got, sealed.context.OpenResponse(enc_response));
  EXPECT_EQ(got, response);
}

TEST_P(OhttpRoundTripTest, TamperingWithAnyByteIsDetected) {
  const HpkeAead aead = GetParam();
  OhttpGatewayKey key = NewKey(1);
  const OhttpKeyConfig config = key.config;
  std::vector<OhttpGatewayKey> keys;
  keys.push_back(std::move(key));
  const OhttpGateway gateway = NewGateway(std::move(keys));
  const Bytes request = {'h', 'e', 'l', 'l', 'o'};
  ASSERT_OK_AND_ASSIGN(OhttpClientRequest sealed, EncapsulateRequest(config, aead, request, TestDrbg()));
  for (size_t i = 0; i < sealed.encapsulated_request.size(); ++i) {
    Bytes flipped = sealed.encapsulated_request;
    flipped[i] ^= 0x01;
    auto result = gateway.DecapsulateRequest(flipped);
    ASSERT_FALSE(result.ok()) << "byte " << i;
    const StatusCode expected = i == 0   ? StatusCode::kNotFound        // key id
                                : i < 7  ? StatusCode::kUnimplemented   // KEM, KDF, AEAD ids
                                         : StatusCode::kDataLoss;       // enc or ciphertext
    EXPECT_THAT(result, StatusIs(expected)) << "byte " << i;
  }
  ASSERT_OK_AND_ASSIGN(OhttpGatewayRequest opened, gateway.DecapsulateRequest(sealed.encapsulated_request));
  ASSERT_OK_AND_ASSIGN(Bytes enc_response, opened.EncapsulateResponse(request, TestDrbg()));
  for (size_t i = 0; i < enc_response.size(); ++i) {
    Bytes flipped = enc_response;
    flipped[i] ^= 0x80;
    EXPECT_THAT(sealed.context.OpenResponse(flipped), StatusIs(StatusCode::kDataLoss)) << "byte " << i;
  }
  const size_t minimum = (aead == HpkeAead::kAes128Gcm ? 16 : 32) + 16;
  EXPECT_THAT(sealed.context.OpenResponse(ByteView(enc_response).subview(0, minimum - 1)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("shorter than its nonce")));
  EXPECT_THAT(sealed.context.OpenResponse(ByteView(enc_response).subview(0, minimum)),
              StatusIs(StatusCode::kDataLoss));
}

INSTANTIATE_TEST_SUITE_P(BothSuites, OhttpRoundTripTest,
                         ::testing::Values(HpkeAead::kAes128Gcm, HpkeAead::kChaCha20Poly1305),
                         [](const ::testing::TestParamInfo<HpkeAead>& param_info) {
                           return param_info.param == HpkeAead::kAes128Gcm ? "Aes128Gcm"
                                                                           : "ChaCha20Poly1305";
                         });

// A pregenerated ephemeral seals a request the gateway opens like any other, carries pkE as enc,
// and its response opens; the ChaCha20-Poly1305 suite too.
TEST_P(OhttpRoundTripTest, PregeneratedEphemeralRoundTrips) {
  const HpkeAead aead = GetParam();
  OhttpGatewayKey key = NewKey(3);
  const OhttpKeyConfig config = key.config;
  std::vector<OhttpGatewayKey> keys;
  keys.push_back(std::move(key));
  const OhttpGateway gateway = NewGateway(std::move(keys));

  ASSERT_OK_AND_ASSIGN(OhttpEphemeral eph, OhttpEphemeral::Generate(TestDrbg()));
  ASSERT_TRUE(eph.valid());
  const Bytes pk_e = eph.public_key().ToBytes();
  const Bytes request(5000, 0x33);
  ASSERT_OK_AND_ASSIGN(OhttpClientRequest sealed,
                       EncapsulateRequest(config, aead, request, std::move(eph)));
  const Bytes& wire = sealed.encapsulated_request;
  ASSERT_EQ(wire.size(), 7 + 32 + request.size() + 16);
  EXPECT_EQ(ByteView(wire).subview(7, 32).ToBytes(), pk_e);
  ASSERT_OK_AND_ASSIGN(OhttpGatewayRequest opened, gateway.DecapsulateRequest(wire));
  EXPECT_EQ(opened.request(), request);
  ASSERT_OK_AND_ASSIGN(Bytes enc_response, opened.EncapsulateResponse(Bytes{1, 2, 3}, TestDrbg()));
  ASSERT_OK_AND_ASSIGN(Bytes got, sealed.context.OpenResponse(enc_response));
  EXPECT_EQ(got, (Bytes{1, 2, 3}));

  // The ephemeral went with the first call: a second use is refused, not a reuse of skE.
  EXPECT_FALSE(eph.valid());  // NOLINT(bugprone-use-after-move): that is the point
  EXPECT_THAT(EncapsulateRequest(config, aead, request, std::move(eph)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("no private key")));
}

TEST(OhttpEphemeralPoolTest, RefillTakeAndMisses) {
  OhttpEphemeralPool pool(3);
  EXPECT_EQ(pool.capacity(), 3u);
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_THAT(pool.Take(), StatusIs(StatusCode::kUnavailable, HasSubstr("pool is empty")));
  EXPECT_EQ(pool.misses(), 1u);

  ASSERT_OK_AND_ASSIGN(size_t added, pool.Refill(TestDrbg()));
  EXPECT_EQ(added, 3u);
  EXPECT_EQ(pool.size(), 3u);
  ASSERT_OK_AND_ASSIGN(size_t again, pool.Refill(TestDrbg()));
  EXPECT_EQ(again, 0u);  // already full

  std::vector<Bytes> seen;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(OhttpEphemeral e, pool.Take());
    EXPECT_TRUE(e.valid());
    for (const Bytes& s : seen) EXPECT_NE(s, e.public_key().ToBytes());
    seen.push_back(e.public_key().ToBytes());
  }
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_EQ(pool.misses(), 1u);
  // Empty again: TakeOrGenerate falls back to a fresh one and counts the miss.
  ASSERT_OK_AND_ASSIGN(OhttpEphemeral fresh, pool.TakeOrGenerate(TestDrbg()));
  EXPECT_TRUE(fresh.valid());
  EXPECT_EQ(pool.misses(), 2u);

  OhttpEphemeralPool none(0);
  ASSERT_OK_AND_ASSIGN(size_t zero, none.Refill(TestDrbg()));
  EXPECT_EQ(zero, 0u);
  EXPECT_THAT(none.Take(), StatusIs(StatusCode::kUnavailable));
}

// Takers on several threads while another refills: every ephemeral handed out is distinct (none
// is given twice), and the pool never holds more than its capacity.
TEST(OhttpEphemeralPoolTest, ConcurrentTakersNeverShareAnEphemeral) {
  OhttpEphemeralPool pool(4);
  std::mutex mu;
  std::vector<Bytes> handed_out;
  std::atomic<bool> stop{false};
  std::thread refiller([&] {
    while (!stop.load()) {
      ASSERT_OK(pool.Refill(TestDrbg()).status());
      EXPECT_LE(pool.size(), 4u);
    }
  });
  std::vector<std::thread> takers;
  for (int t = 0; t < 3; ++t) {
    takers.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        StatusOr<OhttpEphemeral> e = pool.TakeOrGenerate(TestDrbg());
        ASSERT_OK(e.status());
        std::lock_guard<std::mutex> lock(mu);
        handed_out.push_back(e->public_key().ToBytes());
      }
    });
  }
  for (std::thread& t : takers) t.join();
  stop = true;
  refiller.join();
  ASSERT_EQ(handed_out.size(), 60u);
  std::sort(handed_out.begin(), handed_out.end());
  EXPECT_EQ(std::adjacent_find(handed_out.begin(), handed_out.end()), handed_out.end());
}

TEST(OhttpGatewayTest, DistinctErrorsForKeyIdSuiteTagTruncationAndSize) {
  OhttpGatewayKey key = NewKey(3);
  key.config.algorithms = {{kOhttpKdfHkdfSha256, kOhttpAeadAes128Gcm}};  // AES only
  OhttpKeyConfig config = key.config;
  std::vector<OhttpGatewayKey> keys;
  keys.push_back(std::move(key));
  const OhttpGateway gateway = NewGateway(std::move(keys), /*cap=*/4096);
  const Bytes request(64, 0x11);

  // A client that believes the key also offers ChaCha20-Poly1305: the suite is refused.
  OhttpKeyConfig believed = config;
  believed.algorithms.push_back({kOhttpKdfHkdfSha256, kOhttpAeadChaCha20Poly1305});
  ASSERT_OK_AND_ASSIGN(auto chacha, EncapsulateRequest(believed, HpkeAead::kChaCha20Poly1305, request, TestDrbg()));
  EXPECT_THAT(gateway.DecapsulateRequest(chacha.encapsulated_request),
              StatusIs(StatusCode::kUnimplemented, HasSubstr("key 3 does not offer KEM 0x0020, KDF 0x0001, AEAD 0x0003")));

  // Sealed to key id 4, which the gateway does not have.
  OhttpKeyConfig other_id = config;
  other_id.key_id = 4;
  ASSERT_OK_AND_ASSIGN(auto wrong_id, EncapsulateRequest(other_id, HpkeAead::kAes128Gcm, request, TestDrbg()));
  EXPECT_THAT(gateway.DecapsulateRequest(wrong_id.encapsulated_request),
              StatusIs(StatusCode::kNotFound, HasSubstr("unknown key id 4")));

  // Sealed to another public key under the right key id (an old or foreign key): the tag fails.
  OhttpKeyConfig other_key = NewKey(3).config;
  ASSERT_OK_AND_ASSIGN(auto wrong_key, EncapsulateRequest(other_key, HpkeAead::kAes128Gcm, request, TestDrbg()));
  EXPECT_THAT(gateway.DecapsulateRequest(wrong_key.encapsulated_request),
              StatusIs(StatusCode::kDataLoss, HasSubstr("does not authenticate")));

  ASSERT_OK_AND_ASSIGN(auto good, EncapsulateRequest(config, HpkeAead::kAes128Gcm, request, TestDrbg()));
  EXPECT_OK(gateway.DecapsulateRequest(good.encapsulated_request));
  for (size_t n : {0, 6, 7, 38, 39, 54}) {
    EXPECT_THAT(gateway.DecapsulateRequest(ByteView(good.encapsulated_request).subview(0, n)),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("shorter than header")))
        << n;
  }
  // hdr + enc + an empty plaintext's tag is the shortest request that can authenticate; cutting
  // a longer one there fails the tag.
  EXPECT_THAT(gateway.DecapsulateRequest(ByteView(good.encapsulated_request).subview(0, 55)),
              StatusIs(StatusCode::kDataLoss));
  Bytes big = good.encapsulated_request;
  big.resize(4097);
  EXPECT_THAT(gateway.DecapsulateRequest(big), StatusIs(StatusCode::kResourceExhausted));
}

TEST(OhttpGatewayTest, CreateChecksTheKeys) {
  EXPECT_THAT(OhttpGateway::Create({}, kCap), StatusIs(StatusCode::kInvalidArgument));
  {
    std::vector<OhttpGatewayKey> keys;
    keys.push_back(NewKey(1));
    keys.push_back(NewKey(1));
    EXPECT_THAT(OhttpGateway::Create(std::move(keys), kCap),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("key 1 appears twice")));
  }
  {
    std::vector<OhttpGatewayKey> keys;
    keys.push_back(NewKey(1));
    keys[0].config.public_key = NewKey(1).config.public_key;
    EXPECT_THAT(OhttpGateway::Create(std::move(keys), kCap),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("does not match")));
  }
  {
    std::vector<OhttpGatewayKey> keys;
    keys.push_back(NewKey(1));
    keys[0].private_key.resize(31);
    EXPECT_THAT(OhttpGateway::Create(std::move(keys), kCap),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("31 bytes")));
  }
  // Two keys (a rotation): requests to either open.
  std::vector<OhttpGatewayKey> keys;
  keys.push_back(NewKey(1));
  keys.push_back(NewKey(2));
  const OhttpKeyConfig old_config = keys[0].config, new_config = keys[1].config;
  const OhttpGateway gateway = NewGateway(std::move(keys));
  for (const OhttpKeyConfig* c : {&old_config, &new_config}) {
    ASSERT_OK_AND_ASSIGN(auto sealed, EncapsulateRequest(*c, HpkeAead::kAes128Gcm, Bytes{1}, TestDrbg()));
    ASSERT_OK_AND_ASSIGN(auto opened, gateway.DecapsulateRequest(sealed.encapsulated_request));
    EXPECT_EQ(opened.key_id(), c->key_id);
  }
}

TEST(OhttpClientTest, RefusesSuitesTheConfigurationDoesNotOffer) {
  OhttpKeyConfig config = NewKey(1).config;
  config.algorithms = {{kOhttpKdfHkdfSha256, kOhttpAeadAes128Gcm}};
  EXPECT_THAT(EncapsulateRequest(config, HpkeAead::kChaCha20Poly1305, Bytes{}, TestDrbg()),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("does not offer HKDF-SHA256 with AEAD 0x0003")));
  EXPECT_THAT(EncapsulateRequest(config, HpkeAead::kExportOnly, Bytes{}, TestDrbg()),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("cannot protect messages")));
  config.algorithms = {{0x0002, kOhttpAeadAes128Gcm}};  // HKDF-SHA384: not implemented
  EXPECT_THAT(EncapsulateRequest(config, HpkeAead::kAes128Gcm, Bytes{}, TestDrbg()),
              StatusIs(StatusCode::kInvalidArgument));
}

// Property-style: random request and response sizes and suites round-trip; every request is
// sealed under a fresh ephemeral key and every response under a fresh nonce.
TEST(OhttpPropertyTest, RandomMessagesRoundTripUnderFreshKeys) {
  std::vector<OhttpGatewayKey> keys;
  keys.push_back(NewKey(9));
  const OhttpKeyConfig config = keys[0].config;
  const OhttpGateway gateway = NewGateway(std::move(keys));
  std::mt19937 rng(9458);
  Bytes previous_enc, previous_nonce;
  for (int i = 0; i < 60; ++i) {
    const HpkeAead aead = rng() % 2 ? HpkeAead::kAes128Gcm : HpkeAead::kChaCha20Poly1305;
    Bytes request(rng() % 5000), response(rng() % 5000);
    for (uint8_t& b : request) b = static_cast<uint8_t>(rng());
    for (uint8_t& b : response) b = static_cast<uint8_t>(rng());
    ASSERT_OK_AND_ASSIGN(auto sealed, EncapsulateRequest(config, aead, request, TestDrbg()));
    ASSERT_OK_AND_ASSIGN(auto opened, gateway.DecapsulateRequest(sealed.encapsulated_request));
    ASSERT_EQ(opened.request(), request);
    ASSERT_OK_AND_ASSIGN(Bytes enc_response, opened.EncapsulateResponse(response, TestDrbg()));
    ASSERT_OK_AND_ASSIGN(Bytes got, sealed.context.OpenResponse(enc_response));
    ASSERT_EQ(got, response);
    const Bytes enc = ByteView(sealed.encapsulated_request).subview(7, 32).ToBytes();
    const Bytes nonce = ByteView(enc_response).subview(0, 16).ToBytes();
    EXPECT_NE(enc, previous_enc);
    EXPECT_NE(nonce, previous_nonce);
    previous_enc = enc;
    previous_nonce = nonce;
  }
}

}  // namespace
}  // namespace tacet::sealer
