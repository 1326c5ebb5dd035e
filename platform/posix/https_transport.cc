#include "posix/https_transport.h"

#include <arpa/inet.h>
#include <mbedtls/asn1.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509.h>
#include <mbedtls/x509_crt.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>

#include "crypto/drbg.h"
#include "crypto/secure.h"
#include "posix/http1_syntax.h"
#include "posix/posix_entropy.h"
#include "posix/tls_socket.h"

namespace tacet::platform {

namespace {

using https_internal::kReadClosed;
using https_internal::kReadError;
using https_internal::kReadTimeout;
using https_internal::kReadTruncated;
using http1::AllDigits;
using http1::EqualsIgnoreCase;
using http1::IsFieldValue;
using http1::TrimOws;

constexpr int64_t kMaxRetryAfterMs = 24LL * 3600 * 1000;
constexpr int kMaxInterimResponses = 16;

SendResult RetryLater(std::string detail, int64_t retry_after_ms = 0) {
  return SendResult(SendOutcome::kRetryLater, retry_after_ms, std::move(detail));
}

struct ResponseHead {
  int status = 0;
  std::optional<uint64_t> content_length;
  bool has_transfer_encoding = false;
  bool chunked = false;
  std::string content_type;
  std::optional<int64_t> retry_after_ms;
};

// Parses a status line and field lines (RFC 9112 sections 4 and 5), `head` without its final
// empty line. The error names the fault; it never quotes the response.
StatusOr<ResponseHead> ParseHead(std::string_view head) {
  ResponseHead out;
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  // status-line = HTTP-version SP status-code SP [ reason-phrase ]; HTTP-version "HTTP/1.x".
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || !std::isdigit(static_cast<unsigned char>(line[7])) ||
      line[8] != ' ' || !AllDigits(line.substr(9, 3)) || (line.size() > 12 && line[12] != ' ')) {
    return InvalidArgumentError("malformed status line");
  }
  out.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (out.status < 100 || out.status > 599) return InvalidArgumentError("status code out of range");
  if (!IsFieldValue(line)) return InvalidArgumentError("control character in the status line");

  while (eol != std::string_view::npos) {
    const size_t start = eol + 2;
    eol = head.find("\r\n", start);
    line = head.substr(start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
    // RFC 9112 section 5: no whitespace before the colon, no obsolete line folding.
    const std::optional<http1::FieldLine> field = http1::ParseFieldLine(line);
    if (!field) return InvalidArgumentError("malformed field line");
    const std::string_view name = field->name;
    const std::string_view value = field->value;
    if (EqualsIgnoreCase(name, "content-length")) {
      if (!http1::MergeContentLength(value, &out.content_length)) {
        return InvalidArgumentError("invalid or conflicting Content-Length");
      }
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      // RFC 9112 section 6.1: chunked, if applied, is the final coding.
      out.has_transfer_encoding = true;
      const size_t comma = value.rfind(',');
      const std::string_view last = TrimOws(comma == std::string_view::npos ? value : value.substr(comma + 1));
      out.chunked = EqualsIgnoreCase(last, "chunked");
    } else if (EqualsIgnoreCase(name, "content-type")) {
      out.content_type = std::string(value);
    } else if (EqualsIgnoreCase(name, "retry-after")) {
      out.retry_after_ms = https_internal::ParseRetryAfterMs(value);
    }
  }
  return out;
}

// Buffered reads from a ReadFn.
class Reader {
 public:
  explicit Reader(const https_internal::ReadFn& read) : read_(read) {}

  // Reads more bytes into the buffer: >0 on progress, else a kRead* code.
  int Fill() {
    uint8_t chunk[16 * 1024];
    const int n = read_(chunk, sizeof(chunk));
    if (n > 0) buf_.insert(buf_.end(), chunk, chunk + std::min<size_t>(static_cast<size_t>(n), sizeof(chunk)));
    return n;
  }
  size_t available() const { return buf_.size() - pos_; }
  std::string_view view() const {
    return std::string_view(reinterpret_cast<const char*>(buf_.data()) + pos_, available());
  }
  void Consume(size_t n) { pos_ += std::min(n, available()); }

  // Reads up to and including the next "\r\n" (or "\r\n\r\n" with `blank_line`), looking at no
  // more than `cap` bytes. Returns the text before it, or a failure code in *rc.
  std::optional<std::string> ReadUntil(std::string_view terminator, size_t cap, int* rc) {
    for (;;) {
      const size_t at = view().substr(0, cap + terminator.size()).find(terminator);
      if (at != std::string_view::npos) {
        std::string text(view().substr(0, at));
        Consume(at + terminator.size());
        return text;
      }
      if (available() > cap) {
        *rc = 1;  // too long
        return std::nullopt;
      }
      const int n = Fill();
      if (n <= 0) {
        *rc = n;
        return std::nullopt;
      }
    }
  }

 private:
  const https_internal::ReadFn& read_;
  Bytes buf_;
  size_t pos_ = 0;
};

std::string ReadFailure(int rc, std::string_view while_doing) {
  switch (rc) {
    case kReadTimeout:
      return "timed out " + std::string(while_doing);
    case kReadClosed:
    case kReadTruncated:
      return "truncated response: the connection closed " + std::string(while_doing);
    default:
      return "connection error " + std::string(while_doing);
  }
}

// Reads a final response's body (RFC 9112 section 6.3), at most `max_body` bytes, into *body.
// nullopt when it was read whole; otherwise what went wrong (never quoting the response).
std::optional<std::string> ReadBodyInto(Reader& reader, const ResponseHead& head, size_t max_body,
                                        Bytes* out) {
  const std::string status = "HTTP " + std::to_string(head.status);
  const auto too_big = [&](const std::string& size) -> std::optional<std::string> {
    return status + " with a response body of " + size + " exceeds the cap of " +
           std::to_string(max_body) + " bytes";
  };
  Bytes& body = *out;
  body.clear();
  // RFC 9110 sections 15.3.5 and 15.4.5: 204 and 304 have no content.
  if (head.status == 204 || head.status == 304) return std::nullopt;
  if (head.has_transfer_encoding && head.chunked) {
    // RFC 9112 section 7.1: chunk-size [ chunk-ext ] CRLF chunk-data CRLF ... last-chunk,
    // trailer-section, CRLF.
    for (;;) {
      int rc = 0;
      std::optional<std::string> size_line = reader.ReadUntil("\r\n", 256, &rc);
      if (!size_line) {
        return rc == 1 ? "malformed chunked response" : ReadFailure(rc, "inside a chunked body");
      }
      std::string_view hex = *size_line;
      hex = TrimOws(hex.substr(0, hex.find(';')));
      if (hex.empty() || hex.size() > 15 ||
          !std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
        return "malformed chunk size";
      }
      const uint64_t size = std::stoull(std::string(hex), nullptr, 16);
      if (size == 0) break;
      if (size > max_body - body.size()) return too_big("more than " + std::to_string(max_body) + " bytes");
      while (reader.available() < size + 2) {
        const int n = reader.Fill();
        if (n <= 0) return ReadFailure(n, "inside a chunked body");
      }
      const std::string_view data = reader.view();
      if (data.substr(size, 2) != "\r\n") return "malformed chunked response";
      body.insert(body.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(size));
      reader.Consume(size + 2);
    }
    // Trailer fields are read and ignored, up to the empty line.
    for (size_t trailer_bytes = 0;;) {
      int rc = 0;
      std::optional<std::string> line = reader.ReadUntil("\r\n", 8 * 1024, &rc);
      if (!line) return rc == 1 ? "chunked trailer too long" : ReadFailure(rc, "inside the chunked trailer");
      if (line->empty()) break;
      trailer_bytes += line->size();
      if (trailer_bytes > 16 * 1024) return "chunked trailer too long";
    }
  } else if (!head.has_transfer_encoding && head.content_length) {
    const uint64_t length = *head.content_length;
    if (length > max_body) return too_big(std::to_string(length) + " bytes");
    while (reader.available() < length) {
      const int n = reader.Fill();
      if (n <= 0) {
        if (n == kReadTimeout) return "timed out reading the response body";
        return "truncated response: " + std::to_string(length) + " body bytes announced, " +
                          std::to_string(reader.available()) + " received";
      }
    }
    const std::string_view data = reader.view().substr(0, length);
    body.assign(data.begin(), data.end());
  } else {
    // No length: the body ends when the server closes, which TLS must confirm with close_notify
    // (RFC 9112 section 9.8); a bare end of stream may be an attacker's truncation.
    for (;;) {
      if (reader.available() > max_body) return too_big("more than " + std::to_string(max_body) + " bytes");
      const int n = reader.Fill();
      if (n == kReadClosed) break;
      if (n <= 0) return ReadFailure(n, "before the end of a close-delimited body");
    }
    const std::string_view data = reader.view();
    body.assign(data.begin(), data.end());
  }
  return std::nullopt;
}

// A 2xx answer: kDelivered with its body, or kRetryLater when the body is not whole or too big
// (an oversized acknowledgement is not an acknowledgement).
SendResult ReadBody(Reader& reader, const ResponseHead& head, size_t max_body) {
  Bytes body;
  if (std::optional<std::string> failure = ReadBodyInto(reader, head, max_body, &body)) {
    SendResult r = RetryLater(std::move(*failure));
    r.http_status = head.status;
    return r;
  }
  SendResult r = SendResult::Delivered(std::move(body), head.content_type,
                                       "HTTP " + std::to_string(head.status));
  r.http_status = head.status;
  return r;
}

// Any other final answer keeps its outcome whatever its body: the body (a problem+json, RFC 9457)
// and its media type ride along when read whole within the cap, else the detail says why not.
SendResult WithBody(SendResult answer, Reader& reader, const ResponseHead& head, size_t max_body) {
  answer.http_status = head.status;
  Bytes body;
  if (std::optional<std::string> failure = ReadBodyInto(reader, head, max_body, &body)) {
    answer.detail += " (body not kept: " + *failure + ")";
    return answer;
  }
  answer.body = std::move(body);
  answer.content_type = head.content_type;
  return answer;
}

}  // namespace

namespace https_internal {

std::optional<int64_t> ParseRetryAfterMs(std::string_view value) {
  value = TrimOws(value);
  // delay-seconds = 1*DIGIT. An HTTP-date is not interpreted: device clocks are not trusted.
  if (!AllDigits(value)) return std::nullopt;
  int64_t seconds = 0;
  for (char c : value) {
    seconds = seconds * 10 + (c - '0');
    if (seconds * 1000 >= kMaxRetryAfterMs) return kMaxRetryAfterMs;
  }
  return seconds * 1000;
}

SendResult ReadResponse(const ReadFn& read, size_t max_header_bytes, size_t max_body_bytes) {
  Reader reader(read);
  for (int interim = 0;; ++interim) {
    int rc = 0;
    std::optional<std::string> head_text = reader.ReadUntil("\r\n\r\n", max_header_bytes, &rc);
    if (!head_text) {
      if (rc == 1) return RetryLater("response header exceeds " + std::to_string(max_header_bytes) + " bytes");
      return RetryLater(ReadFailure(rc, "before the response header ended"));
    }
    StatusOr<ResponseHead> head = ParseHead(*head_text);
    if (!head.ok()) return RetryLater("malformed response: " + head.status().message());
    const int code = head->status;
    const std::string status = "HTTP " + std::to_string(code);
    if (code >= 100 && code < 200) {
      // RFC 9110 section 15.2: interim responses precede the final one. Nothing asked for 101.
      if (code == 101) return RetryLater(status + ": unexpected protocol switch");
      if (interim >= kMaxInterimResponses) return RetryLater("too many interim responses");
      continue;
    }
    if (code >= 200 && code < 300) return ReadBody(reader, *head, max_body_bytes);
    const int64_t retry_after = head->retry_after_ms.value_or(0);
    SendResult answer;
    if (code == 408 || code == 425 || code == 429 || code >= 500) {
      answer = RetryLater(status, retry_after);
    } else if (code >= 400) {
      answer = SendResult(SendOutcome::kRejected, 0, status);
    } else {
      answer = RetryLater(status + ": redirects are not followed", retry_after);
    }
    return WithBody(std::move(answer), reader, *head, max_body_bytes);
  }
}

}  // namespace https_internal

// ---- URL and options -------------------------------------------------------------------------

namespace {

bool IsIpLiteral(const std::string& host, uint8_t out[16], size_t* out_len) {
  if (inet_pton(AF_INET, host.c_str(), out) == 1) {
    *out_len = 4;
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), out) == 1) {
    *out_len = 16;
    return true;
  }
  return false;
}

bool IsValidHost(std::string_view host) {
  return !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == ':';
         });
}

// RFC 3986 section 3.3 / RFC 9112 section 3.2.1: origin-form, printable ASCII without spaces.
bool IsValidPath(std::string_view path) {
  return !path.empty() && path.front() == '/' && std::all_of(path.begin(), path.end(), [](char c) {
           const unsigned char u = static_cast<unsigned char>(c);
           return u > 0x20 && u < 0x7f && c != '#';
         });
}

Status ValidateOptions(const HttpsTransportOptions& o) {
  if (!IsValidHost(o.host)) {
    return InvalidArgumentError("https transport: host '" + o.host + "' is not a DNS name or IP literal");
  }
  if (o.port == 0) return InvalidArgumentError("https transport: port 0");
  if (!IsValidPath(o.path)) {
    return InvalidArgumentError("https transport: path '" + o.path +
                                "' must start with '/' and hold no spaces or control characters");
  }
  if (o.spki_sha256_pins.empty() && o.ca_chain_pem.empty()) {
    return InvalidArgumentError("https transport: no trust anchor: give SPKI SHA-256 pins or a CA chain");
  }
  if (o.connect_timeout_ms <= 0 || o.handshake_timeout_ms <= 0 || o.read_timeout_ms <= 0) {
    return InvalidArgumentError("https transport: every timeout must be positive");
  }
  if (o.max_response_body_bytes == 0 || o.max_response_header_bytes < 64) {
    return InvalidArgumentError("https transport: response caps too small");
  }
  return OkStatus();
}

}  // namespace

Status ParseHttpsUrl(std::string_view url, HttpsTransportOptions* options) {
  constexpr std::string_view kScheme = "https://";
  if (url.size() < kScheme.size() || !EqualsIgnoreCase(url.substr(0, kScheme.size()), kScheme)) {
    return InvalidArgumentError("url must start with https://");
  }
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find('#') != std::string_view::npos) return InvalidArgumentError("url must not have a fragment");
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  const std::string path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos) return InvalidArgumentError("url must not carry user information");
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgumentError("url: unclosed '[' in the host");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return InvalidArgumentError("url: unexpected text after the IPv6 host");
      port = after.substr(1);
    }
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  uint16_t port_number = 443;
  if (!port.empty() || authority.find(':') != std::string_view::npos) {
    if (!AllDigits(port) || port.size() > 5 || std::stoul(std::string(port)) == 0 ||
        std::stoul(std::string(port)) > 65535) {
      return InvalidArgumentError("url: invalid port '" + std::string(port) + "'");
    }
    port_number = static_cast<uint16_t>(std::stoul(std::string(port)));
  }
  if (!IsValidHost(host)) return InvalidArgumentError("url: invalid host '" + std::string(host) + "'");
  if (!IsValidPath(path)) return InvalidArgumentError("url: invalid path");
  options->host = std::string(host);
  options->port = port_number;
  options->path = path;
  return OkStatus();
}

// ---- TLS -------------------------------------------------------------------------------------

struct HttpsTransport::Tls {
  PosixEntropy entropy;
  std::unique_ptr<crypto::Drbg> drbg;
  mbedtls_ssl_config conf;
  mbedtls_x509_crt ca;
  bool have_ca = false;
  uint8_t ip[16] = {};
  size_t ip_len = 0;  // 4 or 16 when the host is an IP literal
  // TLS 1.2 AEAD suites with forward secrecy only.
  const int ciphersuites[7] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                               MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                               MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                               MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                               MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                               MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                               0};

  Tls() {
    mbedtls_ssl_config_init(&conf);
    mbedtls_x509_crt_init(&ca);
  }
  ~Tls() {
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&ca);
  }
};

namespace {

// What the verify callback found about the leaf certificate of one handshake.
struct VerifyState {
  const std::vector<SpkiPin>* pins;
  bool have_ca;
  const uint8_t* ip;  // null for a DNS host
  size_t ip_len;
  bool pin_mismatch = false;
  bool name_mismatch = false;
};

// True when the certificate's subjectAltName extension lists the IP address ip[0..len). mbedTLS
// 2.28 keeps only dNSName entries in subject_alt_names, so the extension is read here from the
// raw v3 extensions (RFC 5280 section 4.2.1.6: iPAddress [7] OCTET STRING).
bool CertificateHasIpAddress(const mbedtls_x509_crt& crt, const uint8_t* ip, size_t ip_len) {
  unsigned char* p = crt.v3_ext.p;
  if (p == nullptr) return false;
  const unsigned char* const end = p + crt.v3_ext.len;
  size_t len = 0;
  // Extensions ::= SEQUENCE OF Extension
  if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) return false;
  while (p < end) {
    // Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) return false;
    unsigned char* const ext_end = p + len;
    mbedtls_asn1_buf oid{};
    if (mbedtls_asn1_get_tag(&p, ext_end, &oid.len, MBEDTLS_ASN1_OID) != 0) return false;
    oid.p = p;
    p += oid.len;
    int critical = 0;
    if (p < ext_end && *p == MBEDTLS_ASN1_BOOLEAN && mbedtls_asn1_get_bool(&p, ext_end, &critical) != 0) return false;
    if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OCTET_STRING) != 0) return false;
    if (MBEDTLS_OID_CMP(MBEDTLS_OID_SUBJECT_ALT_NAME, &oid) == 0) {
      const unsigned char* const names_end = p + len;
      size_t names_len = 0;
      if (mbedtls_asn1_get_tag(&p, names_end, &names_len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) {
        return false;
      }
      while (p < names_end) {
        const unsigned char tag = *p++;
        size_t name_len = 0;
        if (mbedtls_asn1_get_len(&p, names_end, &name_len) != 0) return false;
        if (tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && name_len == ip_len && std::memcmp(p, ip, ip_len) == 0) {
          return true;
        }
        p += name_len;
      }
      return false;
    }
    p = ext_end;
  }
  return false;
}

int VerifyCertificate(void* ctx, mbedtls_x509_crt* crt, int depth, uint32_t* flags) {
  auto* state = static_cast<VerifyState*>(ctx);
  // With pins and no CA chain, the pins are the trust anchor.
  if (!state->have_ca) *flags &= ~static_cast<uint32_t>(MBEDTLS_X509_BADCERT_NOT_TRUSTED);
  if (depth != 0) return 0;
  if (!state->pins->empty()) {
    const std::array<uint8_t, 32> spki = SpkiSha256(*crt);
    bool matched = false;
    for (const SpkiPin& pin : *state->pins) matched |= crypto::ConstantTimeEquals(spki, pin);
    if (!matched) {
      state->pin_mismatch = true;
      *flags |= MBEDTLS_X509_BADCERT_OTHER;
    }
  }
  if (state->ip != nullptr) {
    if (!CertificateHasIpAddress(*crt, state->ip, state->ip_len)) *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
  }
  if (*flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) state->name_mismatch = true;
  // Abort the handshake at once rather than after it.
  return (state->pin_mismatch || state->name_mismatch) ? MBEDTLS_ERR_X509_CERT_VERIFY_FAILED : 0;
}

std::string VerifyFlagsText(uint32_t flags) {
  char text[512];
  const int n = mbedtls_x509_crt_verify_info(text, sizeof(text), "", flags);
  std::string out = n > 0 ? std::string(text, static_cast<size_t>(n)) : std::string("flags ") + std::to_string(flags);
  std::replace(out.begin(), out.end(), '\n', ';');
  while (!out.empty() && (out.back() == ';' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

// ---- the transport ---------------------------------------------------------------------------

StatusOr<std::unique_ptr<HttpsTransport>> HttpsTransport::Create(HttpsTransportOptions options) {
  TACET_RETURN_IF_ERROR(ValidateOptions(options));
  std::unique_ptr<HttpsTransport> transport(new HttpsTransport(std::move(options)));
  Tls& tls = *transport->tls_;
  const HttpsTransportOptions& o = transport->options_;
  if (!o.ca_chain_pem.empty()) {
    const std::string pem = o.ca_chain_pem;  // mbedTLS wants the terminating NUL counted
    const int rc = mbedtls_x509_crt_parse(&tls.ca, reinterpret_cast<const unsigned char*>(pem.c_str()), pem.size() + 1);
    if (rc != 0) return InvalidArgumentError("https transport: CA chain: " + MbedTlsError(rc));
    tls.have_ca = true;
  }
  IsIpLiteral(o.host, tls.ip, &tls.ip_len);
  TACET_ASSIGN_OR_RETURN(tls.drbg, crypto::Drbg::Create(tls.entropy, "tacet https transport"));
  int rc = mbedtls_ssl_config_defaults(&tls.conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                       MBEDTLS_SSL_PRESET_DEFAULT);
  if (rc != 0) return InternalError("https transport: TLS defaults: " + MbedTlsError(rc));
  mbedtls_ssl_conf_min_version(&tls.conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_max_version(&tls.conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_ciphersuites(&tls.conf, tls.ciphersuites);
  // OPTIONAL: mbedTLS 2.28 refuses REQUIRED without a CA chain, which pin-only trust needs. The
  // verify callback aborts on a pin or name mismatch, and Attempt() refuses any other
  // verification failure before a byte of the request is written.
  mbedtls_ssl_conf_authmode(&tls.conf, MBEDTLS_SSL_VERIFY_OPTIONAL);
  if (tls.have_ca) mbedtls_ssl_conf_ca_chain(&tls.conf, &tls.ca, nullptr);
  mbedtls_ssl_conf_rng(&tls.conf, crypto::Drbg::MbedtlsRandom, tls.drbg.get());
  transport->worker_ = std::thread([t = transport.get()] { t->WorkerLoop(); });
  return transport;
}

HttpsTransport::HttpsTransport(HttpsTransportOptions options)
    : options_(std::move(options)), tls_(std::make_unique<Tls>()) {}

HttpsTransport::~HttpsTransport() {
  std::deque<Job> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    if (active_fd_ >= 0) shutdown(active_fd_, SHUT_RDWR);
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending.swap(queue_);
  }
  for (Job& job : pending) {
    if (job.on_done) job.on_done(RetryLater("transport closed"));
  }
}

void HttpsTransport::Send(const SendRequest& request, SendCallback on_done) {
  Job job{request.body.ToBytes(), std::string(request.content_type), std::move(on_done)};
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void HttpsTransport::WorkerLoop() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return closing_ || !queue_.empty(); });
      if (closing_) return;  // the destructor answers what is queued
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    SendResult result = Attempt(job);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closing_) result = RetryLater("transport closed");
    }
    if (job.on_done) job.on_done(result);
  }
}

SendResult HttpsTransport::Attempt(const Job& job) {
  const HttpsTransportOptions& o = options_;
  if (job.content_type.empty() || !IsFieldValue(job.content_type) || job.content_type.size() > 256) {
    return SendResult(SendOutcome::kRejected, 0, "content type is not a valid media type");
  }
  using Clock = std::chrono::steady_clock;
  const auto ms = [](int v) { return std::chrono::milliseconds(v); };
  StatusOr<int> fd = ConnectTcp(o.host, o.port, Clock::now() + ms(o.connect_timeout_ms));
  if (!fd.ok()) return RetryLater(fd.status().message());
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) {
      close(*fd);
      return RetryLater("transport closed");
    }
    active_fd_ = *fd;
  }
  mbedtls_ssl_context ssl;
  mbedtls_ssl_init(&ssl);
  const auto finish = [&](SendResult result) {
    mbedtls_ssl_free(&ssl);
    {
      std::lock_guard<std::mutex> lock(mu_);
      active_fd_ = -1;
    }
    close(*fd);
    return result;
  };

  int rc = mbedtls_ssl_setup(&ssl, &tls_->conf);
  if (rc != 0) return finish(RetryLater("TLS setup: " + MbedTlsError(rc)));
  // A DNS name goes out as SNI and is matched by mbedTLS; an IP literal (no SNI, RFC 6066
  // section 3) is matched by VerifyCertificate.
  if (tls_->ip_len == 0) {
    rc = mbedtls_ssl_set_hostname(&ssl, o.host.c_str());
    if (rc != 0) return finish(RetryLater("TLS host name: " + MbedTlsError(rc)));
  }
  VerifyState verify{&o.spki_sha256_pins, tls_->have_ca, tls_->ip_len ? tls_->ip : nullptr, tls_->ip_len,
                     false, false};
  mbedtls_ssl_set_verify(&ssl, VerifyCertificate, &verify);
  SocketBio bio{*fd, Clock::now() + ms(o.handshake_timeout_ms), false};
  mbedtls_ssl_set_bio(&ssl, &bio, SocketBioSend, nullptr, SocketBioRecv);

  do {
    rc = mbedtls_ssl_handshake(&ssl);
  } while (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE);
  const std::string auth_failed(kPeerAuthenticationFailed);
  if (verify.pin_mismatch) {
    return finish(RetryLater(auth_failed + ": the server's public key matches none of the " +
                             std::to_string(o.spki_sha256_pins.size()) + " pinned SPKI SHA-256 values"));
  }
  if (verify.name_mismatch) {
    return finish(RetryLater(auth_failed + ": the server's certificate is not valid for '" + o.host + "'"));
  }
  if (rc == 0 && mbedtls_ssl_get_verify_result(&ssl) != 0) rc = MBEDTLS_ERR_X509_CERT_VERIFY_FAILED;
  if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
    return finish(RetryLater(auth_failed + ": " + VerifyFlagsText(mbedtls_ssl_get_verify_result(&ssl))));
  }
  if (rc != 0) {
    if (bio.timed_out) return finish(RetryLater("TLS handshake timed out"));
    return finish(RetryLater("TLS handshake failed: " + MbedTlsError(rc)));
  }

  // RFC 9112 section 3 (request line, origin-form target) and RFC 9110 section 7.2 (Host).
  std::string authority = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
  if (o.port != 443) authority += ":" + std::to_string(o.port);
  std::string head = "POST " + o.path + " HTTP/1.1\r\nHost: " + authority + "\r\nContent-Type: " +
                     job.content_type + "\r\nContent-Length: " + std::to_string(job.body.size()) +
                     "\r\nConnection: close\r\n\r\n";
  bio.deadline = Clock::now() + ms(o.read_timeout_ms);
  const auto write_all = [&](const uint8_t* data, size_t len) {
    while (len > 0) {
      const int n = mbedtls_ssl_write(&ssl, data, len);
      if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
      if (n <= 0) return n == 0 ? MBEDTLS_ERR_NET_SEND_FAILED : n;
      data += n;
      len -= static_cast<size_t>(n);
    }
    return 0;
  };
  Bytes request(head.begin(), head.end());
  Append(request, job.body);
  rc = write_all(request.data(), request.size());
  if (rc != 0) {
    return finish(RetryLater(bio.timed_out ? "timed out sending the request"
                                           : "connection lost while sending the request: " + MbedTlsError(rc)));
  }

  const https_internal::ReadFn read = [&](uint8_t* buf, size_t len) -> int {
    for (;;) {
      const int n = mbedtls_ssl_read(&ssl, buf, len);
      if (n > 0) return n;
      if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
      if (n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return kReadClosed;
      // 0: the transport ended without close_notify (mbedTLS 2.28).
      if (n == 0 || n == MBEDTLS_ERR_SSL_CONN_EOF) return kReadTruncated;
      if (n == MBEDTLS_ERR_SSL_TIMEOUT || bio.timed_out) return kReadTimeout;
      return kReadError;
    }
  };
  SendResult result = https_internal::ReadResponse(read, o.max_response_header_bytes, o.max_response_body_bytes);
  mbedtls_ssl_close_notify(&ssl);  // best effort; the connection ends here either way
  return finish(std::move(result));
}

}  // namespace tacet::platform
