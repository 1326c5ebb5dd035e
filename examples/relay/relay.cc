#include "relay.h"

#include <algorithm>
#include <cctype>
#include <future>
#include <string>
#include <utility>

#include "base/bytes.h"

namespace tacet::relay {
namespace {

net::HttpResponse Text(int status, const std::string& text) {
  net::HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body.assign(text.begin(), text.end());
  r.body.push_back('\n');
  return r;
}


}  // namespace

StatusOr<platform::SpkiPin> ParseSpkiHex(std::string_view hex) {
  std::string lower(hex);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  StatusOr<Bytes> bytes = HexDecode(lower);
  if (!bytes.ok() || bytes->size() != 32) {
    return InvalidArgumentError("gateway SPKI pin: expected 64 hex digits (a SHA-256), got " +
                                std::to_string(hex.size()) + " characters");
  }
  platform::SpkiPin pin{};
  std::copy(bytes->begin(), bytes->end(), pin.begin());
  return pin;
}

Relay::~Relay() = default;

StatusOr<std::unique_ptr<Relay>> Relay::Create(RelayOptions options) {
  if (options.timeout_ms <= 0) return InvalidArgumentError("relay: timeout_ms must be positive");
  platform::HttpsTransportOptions t;
  Status parsed = platform::ParseHttpsUrl(options.gateway_url, &t);
  if (!parsed.ok()) return InvalidArgumentError("relay: gateway URL: " + parsed.message());
  t.spki_sha256_pins = {options.gateway_spki};
  t.connect_timeout_ms = options.timeout_ms;
  t.handshake_timeout_ms = options.timeout_ms;
  t.read_timeout_ms = options.timeout_ms;
  t.max_response_body_bytes = options.max_body_bytes;
  std::unique_ptr<Relay> relay(new Relay(std::move(options)));
  TACET_ASSIGN_OR_RETURN(relay->transport_, platform::HttpsTransport::Create(std::move(t)));
  return relay;
}

net::HttpResponse Relay::Handle(const net::HttpRequest& request) {
  std::string gateway_status = "-";
  net::HttpResponse response;
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (path != kRelayPath) {
    response = Text(404, "not found: the relay serves POST /relay");
  } else if (request.method != "POST") {
    response = Text(405, "only POST is served at /relay");
    response.headers.emplace_back("Allow", "POST");
  } else if (net::MediaTypeOf(request.Header("content-type")) != platform::kOhttpRequestMediaType) {
    response = Text(415, "the body must be an encapsulated request (Content-Type: message/ohttp-req)");
  } else if (request.body.size() > options_.max_body_bytes) {
    response = Text(413, "the body exceeds " + std::to_string(options_.max_body_bytes) + " bytes");
  } else {
    // Only the body goes on: no header of the client's, and a connection of the relay's own.
    std::promise<platform::SendResult> answer;
    std::future<platform::SendResult> done = answer.get_future();
    transport_->Send(platform::SendRequest{request.body, platform::kOhttpRequestMediaType},
                     [&answer](const platform::SendResult& r) { answer.set_value(r); });
    const platform::SendResult result = done.get();
    const int status = result.http_status;
    if (result.outcome == platform::SendOutcome::kDelivered) {
      response.status = status == 0 ? 200 : status;
      response.content_type = result.content_type;
      response.body = result.body;
      gateway_status = std::to_string(response.status);
    } else if (status >= 400) {
      // The gateway's refusal as it gave it (e.g. a problem+json for an unknown key id, RFC 9458
      // section 5.3); a text of the relay's only when it sent no body or one over the cap.
      if (result.body.empty()) {
        response = Text(status, "the gateway answered " + std::to_string(status));
      } else {
        response.status = status;
        response.content_type = result.content_type;
        response.body = result.body;
      }
      if (result.retry_after_ms > 0) {
        response.headers.emplace_back("Retry-After", std::to_string((result.retry_after_ms + 999) / 1000));
      }
      gateway_status = std::to_string(status);
    } else {
      // Not reached, not authenticated, or an answer that was not whole: the client may retry.
      response = Text(502, "the gateway cannot be reached; retry later");
      response.headers.emplace_back("Retry-After", std::to_string(kUnreachableRetryAfterSeconds));
      gateway_status = "unreachable";
    }
  }
  if (options_.log) {
    options_.log("peer=" + request.peer + " bytes=" + std::to_string(request.body.size()) +
                 " gateway_status=" + gateway_status + " status=" + std::to_string(response.status));
  }
  return response;
}

}  // namespace tacet::relay
