// libFuzzer target for the Oblivious HTTP (RFC 9458) parsers of outside bytes: the key
// configuration parsers (one configuration, and the application/ohttp-keys list) and the
// gateway's request decapsulation, with the RFC 9458 Appendix A gateway key so that the RFC's
// request in the seed corpus opens. Also offers the input as an encapsulated response to the
// RFC's request, and round-trips it as a plaintext through both directions. Any crash, sanitizer
// report or broken invariant (abort) is a bug.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "sealer/ohttp.h"

namespace {

using tacet::ByteView;
using tacet::Bytes;
namespace crypto = tacet::crypto;
namespace sealer = tacet::sealer;

constexpr size_t kCap = 64 * 1024;

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

Bytes FromHex(const char* hex) {
  auto b = tacet::HexDecode(hex);
  Check(b.ok(), "fixed hex");
  return std::move(b).value();
}

// RFC 9458 Appendix A: the gateway's key, its configuration and the client's ephemeral key.
struct Fixture {
  sealer::OhttpKeyConfig config;
  Bytes ephemeral = FromHex("bc51d5e930bda26589890ac7032f70ad12e4ecb37abb1b65b1256c9c48999c73");
  Bytes response_nonce = FromHex("c789e7151fcba46158ca84b04464910dc789e7151fcba46158ca84b04464910d");
  std::unique_ptr<sealer::OhttpGateway> gateway;
  std::unique_ptr<sealer::OhttpClientRequest> client;  // the RFC's request, to try responses on

  Fixture() {
    auto parsed = sealer::ParseKeyConfig(FromHex(
        "01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003"));
    Check(parsed.ok(), "RFC key configuration parses");
    config = *parsed;
    std::vector<sealer::OhttpGatewayKey> keys(1);
    keys[0].config = config;
    keys[0].private_key = crypto::SecretBytes(
        FromHex("3c168975674b2fa8e465970b79c8dcf09f1c741626480bd4c6162fc5b6a98e1a"));
    auto g = sealer::OhttpGateway::Create(std::move(keys), kCap);
    Check(g.ok(), "gateway");
    gateway = std::make_unique<sealer::OhttpGateway>(std::move(g).value());
    auto c = sealer::EncapsulateRequestForTesting(
        config, crypto::HpkeAead::kAes128Gcm,
        FromHex("00034745540568747470730b6578616d706c652e636f6d012f"), ephemeral);
    Check(c.ok(), "the RFC's request");
    client = std::make_unique<sealer::OhttpClientRequest>(std::move(c).value());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture f;
  const ByteView bytes(data, size);

  auto one = sealer::ParseKeyConfig(bytes);
  if (one.ok()) {
    auto encoded = sealer::EncodeKeyConfig(*one);
    Check(encoded.ok() && *encoded == bytes.ToBytes(), "key configuration round trip");
  }
  auto list = sealer::ParseKeyConfigList(bytes);
  if (list.ok()) {
    Check(!list->empty(), "a parsed list is not empty");
    auto encoded = sealer::EncodeKeyConfigList(*list);
    Check(encoded.ok(), "a parsed list encodes");
    auto again = sealer::ParseKeyConfigList(*encoded);
    Check(again.ok() && *again == *list, "key configuration list round trip");
  }

  auto opened = f.gateway->DecapsulateRequest(bytes);
  if (opened.ok()) {
    auto answer = opened->EncapsulateResponseForTesting(
        opened->request(), ByteView(f.response_nonce)
                               .subview(0, sealer::internal::OhttpResponseNonceSize(opened->aead())));
    Check(answer.ok(), "a response to an opened request");
  }

  // The input as an encapsulated response to the RFC's request: only the RFC's own response (in
  // the seed corpus) authenticates, and it holds the RFC's Binary HTTP response.
  auto response = f.client->context.OpenResponse(bytes);
  Check(!response.ok() || tacet::HexEncode(*response) == "0140c8", "only the real response opens");

  // The input as a plaintext, both suites: what is sealed opens to the same bytes. This costs
  // three X25519 multiplications, so it runs on one input in eight to leave the fuzzer's time to
  // the parsers.
  if (size % 8 != 0) return 0;
  const crypto::HpkeAead aead =
      size % 16 == 0 ? crypto::HpkeAead::kAes128Gcm : crypto::HpkeAead::kChaCha20Poly1305;
  auto sealed = sealer::EncapsulateRequestForTesting(f.config, aead, bytes, f.ephemeral);
  Check(sealed.ok(), "encapsulation of any plaintext");
  auto decapsulated = f.gateway->DecapsulateRequest(sealed->encapsulated_request);
  if (sealed->encapsulated_request.size() <= kCap) {
    Check(decapsulated.ok() && decapsulated->request() == bytes.ToBytes(), "request round trip");
    const size_t nonce_size = sealer::internal::OhttpResponseNonceSize(aead);
    auto sealed_response = decapsulated->EncapsulateResponseForTesting(
        bytes, ByteView(f.response_nonce).subview(0, nonce_size));
    Check(sealed_response.ok(), "response encapsulation");
    auto response_opened = sealed->context.OpenResponse(*sealed_response);
    Check(response_opened.ok() && *response_opened == bytes.ToBytes(), "response round trip");
  }
  return 0;
}
