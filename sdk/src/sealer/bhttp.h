// Binary HTTP messages (RFC 9292), known-length form only (framing indicators 0 and 1, §3.1,
// §3.3). Tacet puts one known-length request inside each Oblivious HTTP request (RFC 9458) and
// reads one known-length response back; the indeterminate-length form (framing 2 and 3, §3.2) is
// refused with kUnimplemented.
//
// Decoding validates the whole message: framing indicator, every length against what is left
// (§3.1), field lines (§3.6, with the HTTP/2 rules of RFC 9113 §8.2.1 and §8.2.2), request control
// data (§3.4), status codes (§3.5), truncation only where §3.8 allows it, and zero padding
// (§3.8). Encoding applies the same rules, so Tacet never emits what it would refuse.
//
// Ownership: the functions borrow their inputs for the duration of the call; decoded messages
// own copies of their bytes. Thread-safety: all functions are thread-safe.
#ifndef TACET_SEALER_BHTTP_H_
#define TACET_SEALER_BHTTP_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace tacet::sealer {

// RFC 9292 §3.3.
inline constexpr uint64_t kBhttpKnownLengthRequest = 0;
inline constexpr uint64_t kBhttpKnownLengthResponse = 1;

// A decoder refuses a field section of more lines than this (kResourceExhausted), which bounds
// the memory a small hostile message can claim (each line costs a few dozen bytes of bookkeeping
// beyond its own bytes).
inline constexpr size_t kBhttpMaxFieldLinesPerSection = 1024;

// One field line (RFC 9292 §3.6). Names are lower case (RFC 9113 §8.2.1). Repeated names are
// kept as separate lines, in order.
struct BhttpField {
  std::string name;
  std::string value;
  friend bool operator==(const BhttpField& a, const BhttpField& b) {
    return a.name == b.name && a.value == b.value;
  }
};

// A request (RFC 9292 §3.1 with control data §3.4). authority may be empty (§3.4); scheme and
// path may be empty only for CONNECT.
struct BhttpRequest {
  std::string method;
  std::string scheme;
  std::string authority;
  std::string path;
  std::vector<BhttpField> headers;
  Bytes content;
  std::vector<BhttpField> trailers;
};

// An informational (1xx) response that precedes the final one (RFC 9292 §3.5.1).
struct BhttpInformationalResponse {
  uint16_t status = 0;  // 100..199
  std::vector<BhttpField> headers;
};

// A response (RFC 9292 §3.1 with control data §3.5).
struct BhttpResponse {
  std::vector<BhttpInformationalResponse> informational;
  uint16_t status = 0;  // final status, 200..599
  std::vector<BhttpField> headers;
  Bytes content;
  std::vector<BhttpField> trailers;
};

struct BhttpEncodeOptions {
  // RFC 9292 §3.8: leave out the trailing empty parts (trailer section, then content, then header
  // section) instead of writing zero lengths. Both forms decode to the same message.
  bool truncate = true;
  // RFC 9292 §3.8: this many zero bytes appended, to hide the message's length.
  size_t padding = 0;
};

// Encodes a known-length request (framing indicator 0). kInvalidArgument naming the offending part
// when the request breaks a rule the decoder checks.
StatusOr<Bytes> EncodeBhttpRequest(const BhttpRequest& request, const BhttpEncodeOptions& options = {});
// Encodes a known-length response (framing indicator 1), informational responses first.
StatusOr<Bytes> EncodeBhttpResponse(const BhttpResponse& response,
                                    const BhttpEncodeOptions& options = {});

// Decodes a known-length request. Errors:
//  - kResourceExhausted: message.size() > max_message_size (checked before anything is parsed),
//    or a field section with more than kBhttpMaxFieldLinesPerSection lines;
//  - kUnimplemented: an indeterminate-length request (framing indicator 2);
//  - kInvalidArgument: anything else malformed, with what and where (byte offset): another
//    framing indicator, a length beyond the end, a message cut inside a part (§3.8 allows cuts
//    only before the length of the header section, content or trailer section), an invalid method,
//    scheme, authority, path, field name or value, or a non-zero padding byte.
StatusOr<BhttpRequest> DecodeBhttpRequest(ByteView message, size_t max_message_size);
// Decodes a known-length response; the same errors, plus a status outside 100..599 or a message
// that ends after an informational response (kInvalidArgument). Informational responses are
// returned in order in `informational`.
StatusOr<BhttpResponse> DecodeBhttpResponse(ByteView message, size_t max_message_size);

}  // namespace tacet::sealer

#endif  // TACET_SEALER_BHTTP_H_
