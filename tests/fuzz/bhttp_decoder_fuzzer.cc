// libFuzzer target for the Binary HTTP (RFC 9292) decoder, requests and responses. Invariants:
// a message that decodes re-encodes (what the decoder accepts the encoder accepts), and the
// re-encoding decodes to the same message. Any crash, sanitizer report or broken invariant (abort)
// is a bug.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "sealer/bhttp.h"

namespace {

using tacet::ByteView;
using tacet::Bytes;
namespace sealer = tacet::sealer;

constexpr size_t kCap = 64 * 1024;

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

bool SameTail(const std::vector<sealer::BhttpField>& h1, const Bytes& c1,
              const std::vector<sealer::BhttpField>& t1, const std::vector<sealer::BhttpField>& h2,
              const Bytes& c2, const std::vector<sealer::BhttpField>& t2) {
  return h1 == h2 && c1 == c2 && t1 == t2;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView bytes(data, size);
  auto request = sealer::DecodeBhttpRequest(bytes, kCap);
  if (request.ok()) {
    sealer::BhttpEncodeOptions options;
    options.truncate = size % 2 == 0;
    auto encoded = sealer::EncodeBhttpRequest(*request, options);
    Check(encoded.ok(), "a decoded request encodes");
    auto again = sealer::DecodeBhttpRequest(*encoded, kCap);
    Check(again.ok(), "a re-encoded request decodes");
    Check(again->method == request->method && again->scheme == request->scheme &&
              again->authority == request->authority && again->path == request->path,
          "request control data round trip");
    Check(SameTail(again->headers, again->content, again->trailers, request->headers,
                   request->content, request->trailers),
          "request round trip");
  }
  auto response = sealer::DecodeBhttpResponse(bytes, kCap);
  if (response.ok()) {
    Check(response->status >= 200 && response->status <= 599, "final status range");
    auto encoded = sealer::EncodeBhttpResponse(*response);
    Check(encoded.ok(), "a decoded response encodes");
    auto again = sealer::DecodeBhttpResponse(*encoded, kCap);
    Check(again.ok(), "a re-encoded response decodes");
    Check(again->status == response->status &&
              again->informational.size() == response->informational.size(),
          "response status round trip");
    Check(SameTail(again->headers, again->content, again->trailers, response->headers,
                   response->content, response->trailers),
          "response round trip");
  }
  Check(!(request.ok() && response.ok()), "one framing indicator is not both kinds");
  return 0;
}
