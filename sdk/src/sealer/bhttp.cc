#include "sealer/bhttp.h"

#include <cstdio>
#include <string_view>
#include <utility>

#include "sealer/wire_reader.h"

namespace tacet::sealer {
namespace {

constexpr std::string_view kContext = "bhttp";

// A decoder refuses more informational responses than this ahead of the final one.
constexpr size_t kMaxInformationalResponses = 16;

std::string ByteName(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", b);
  return buf;
}

bool IsAlpha(uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(uint8_t c) { return c >= '0' && c <= '9'; }

// RFC 9110 §5.6.2 tchar.
bool IsTchar(uint8_t c) {
  if (IsAlpha(c) || IsDigit(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// Each *Problem function returns an empty string when the value is valid, else what is wrong.

// RFC 9292 §3.4 / RFC 9113 §8.3.1: the method is a token (RFC 9110 §9.1).
std::string MethodProblem(std::string_view method) {
  if (method.empty()) return "empty method";
  for (unsigned char c : method) {
    if (!IsTchar(c)) return "method contains byte " + ByteName(c) + " (a method is a token)";
  }
  return "";
}

bool IsConnect(std::string_view method) { return method == "CONNECT"; }

// RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
std::string SchemeProblem(std::string_view scheme, std::string_view method) {
  if (scheme.empty()) return IsConnect(method) ? "" : "empty scheme (only CONNECT may omit it)";
  if (!IsAlpha(static_cast<uint8_t>(scheme[0]))) return "scheme does not start with a letter";
  for (unsigned char c : scheme) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '+' && c != '-' && c != '.') {
      return "scheme contains byte " + ByteName(c);
    }
  }
  return "";
}

// Authority and path: visible ASCII only (0x21..0x7e). Stricter than RFC 9292 itself, which
// defers to RFC 9113 §8.3.1; it keeps a request from being split when replayed over HTTP/1.1.
std::string TargetProblem(std::string_view what, std::string_view value) {
  for (unsigned char c : value) {
    if (c < 0x21 || c > 0x7e) return std::string(what) + " contains byte " + ByteName(c);
  }
  return "";
}

std::string RequestControlProblem(const BhttpRequest& r) {
  std::string p = MethodProblem(r.method);
  if (p.empty()) p = SchemeProblem(r.scheme, r.method);
  if (p.empty()) p = TargetProblem("authority", r.authority);
  if (p.empty() && r.path.empty() && !IsConnect(r.method)) p = "empty path (only CONNECT may omit it)";
  if (p.empty()) p = TargetProblem("path", r.path);
  return p;
}

// RFC 9113 §8.2.1: a field name is not empty, has no byte in 0x00-0x20, 0x41-0x5a (upper case)
// or 0x7f-0xff, and no colon (field sections carry no pseudo-header fields in Binary HTTP).
std::string FieldNameProblem(std::string_view name) {
  if (name.empty()) return "empty field name";
  for (unsigned char c : name) {
    if (c <= 0x20 || (c >= 0x41 && c <= 0x5a) || c >= 0x7f || c == ':') {
      return "field name contains byte " + ByteName(c) +
             " (names are lower-case visible ASCII without ':', RFC 9113 §8.2.1)";
    }
  }
  return "";
}

// RFC 9113 §8.2.1: a field value has no NUL, LF or CR, and does not start or end with SP or HTAB.
std::string FieldValueProblem(std::string_view value) {
  for (unsigned char c : value) {
    if (c == 0x00 || c == 0x0a || c == 0x0d) {
      return "field value contains byte " + ByteName(c) + " (NUL, LF and CR are not allowed)";
    }
  }
  if (!value.empty()) {
    const char first = value.front(), last = value.back();
    if (first == ' ' || first == '\t' || last == ' ' || last == '\t') {
      return "field value starts or ends with whitespace";
    }
  }
  return "";
}

std::string FieldsProblem(const std::vector<BhttpField>& fields, std::string_view section) {
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string p = FieldNameProblem(fields[i].name);
    if (p.empty()) p = FieldValueProblem(fields[i].value);
    if (!p.empty()) return std::string(section) + " line " + std::to_string(i + 1) + ": " + p;
  }
  if (fields.size() > kBhttpMaxFieldLinesPerSection) {
    return std::string(section) + " has " + std::to_string(fields.size()) + " lines, over " +
           std::to_string(kBhttpMaxFieldLinesPerSection);
  }
  return "";
}

// ---- encoding ---------------------------------------------------------------------------------

Status AppendLengthPrefixed(Bytes& out, ByteView bytes) {
  TACET_RETURN_IF_ERROR(AppendQuicVarint(out, bytes.size()));
  Append(out, bytes);
  return OkStatus();
}

// A Known-Length Field Section (RFC 9292 §3.1): its length, then each Field Line (§3.6).
Status AppendFieldSection(Bytes& out, const std::vector<BhttpField>& fields) {
  uint64_t length = 0;
  for (const BhttpField& f : fields) {
    length += QuicVarintSize(f.name.size()) + f.name.size() + QuicVarintSize(f.value.size()) +
              f.value.size();
  }
  TACET_RETURN_IF_ERROR(AppendQuicVarint(out, length));
  for (const BhttpField& f : fields) {
    TACET_RETURN_IF_ERROR(AppendLengthPrefixed(out, ByteView::FromString(f.name)));
    TACET_RETURN_IF_ERROR(AppendLengthPrefixed(out, ByteView::FromString(f.value)));
  }
  return OkStatus();
}

// Header section, content, trailer section and padding: the common tail of both messages, with
// the RFC 9292 §3.8 truncation of trailing empty parts.
Status AppendTail(Bytes& out, const std::vector<BhttpField>& headers, const Bytes& content,
                  const std::vector<BhttpField>& trailers, const BhttpEncodeOptions& options) {
  const bool write_trailers = !options.truncate || !trailers.empty();
  const bool write_content = write_trailers || !content.empty();
  const bool write_headers = write_content || !headers.empty();
  if (write_headers) TACET_RETURN_IF_ERROR(AppendFieldSection(out, headers));
  if (write_content) TACET_RETURN_IF_ERROR(AppendLengthPrefixed(out, content));
  if (write_trailers) TACET_RETURN_IF_ERROR(AppendFieldSection(out, trailers));
  out.resize(out.size() + options.padding, 0);
  return OkStatus();
}

Status EncodeError(const std::string& problem) {
  return InvalidArgumentError(std::string(kContext) + ": cannot encode: " + problem);
}

// ---- decoding ---------------------------------------------------------------------------------

std::string ToString(ByteView b) { return std::string(b.AsStringView()); }

Status ReadFieldSection(WireReader& r, std::string_view section, std::vector<BhttpField>* out) {
  ByteView bytes;
  TACET_RETURN_IF_ERROR(r.ReadLengthPrefixed(section, &bytes));
  WireReader lines(bytes, kContext, r.position() - bytes.size());
  const std::string name_what = std::string(section) + " field name";
  const std::string value_what = std::string(section) + " field value";
  while (!lines.empty()) {
    if (out->size() == kBhttpMaxFieldLinesPerSection) {
      return ResourceExhaustedError(std::string(kContext) + ": " + std::string(section) +
                                    " has more than " +
                                    std::to_string(kBhttpMaxFieldLinesPerSection) + " lines");
    }
    const std::string line = std::string(section) + " line " + std::to_string(out->size() + 1);
    ByteView name, value;
    TACET_RETURN_IF_ERROR(lines.ReadLengthPrefixed(name_what, &name));
    if (std::string p = FieldNameProblem(name.AsStringView()); !p.empty()) {
      return lines.Error(line + ": " + p);
    }
    TACET_RETURN_IF_ERROR(lines.ReadLengthPrefixed(value_what, &value));
    if (std::string p = FieldValueProblem(value.AsStringView()); !p.empty()) {
      return lines.Error(line + ": " + p);
    }
    out->push_back(BhttpField{ToString(name), ToString(value)});
  }
  return OkStatus();
}

// Reads what follows the control data: each part may be cut off entirely (RFC 9292 §3.8: "Decoders
// MUST treat missing truncated fields as equivalent to having been sent with the length field set
// to zero"); after the trailer section only zero padding may remain.
Status ReadTail(WireReader& r, std::vector<BhttpField>* headers, Bytes* content,
                std::vector<BhttpField>* trailers) {
  if (r.empty()) return OkStatus();
  TACET_RETURN_IF_ERROR(ReadFieldSection(r, "header section", headers));
  if (r.empty()) return OkStatus();
  ByteView body;
  TACET_RETURN_IF_ERROR(r.ReadLengthPrefixed("content", &body));
  *content = body.ToBytes();
  if (r.empty()) return OkStatus();
  TACET_RETURN_IF_ERROR(ReadFieldSection(r, "trailer section", trailers));
  const ByteView padding = r.rest();
  for (size_t i = 0; i < padding.size(); ++i) {
    if (padding[i] != 0) {
      ByteView skipped;
      TACET_RETURN_IF_ERROR(r.ReadBytes("padding", i, &skipped));
      return r.Error("non-zero padding byte " + ByteName(padding[i]) + " (RFC 9292 §3.8)");
    }
  }
  return OkStatus();
}

Status CheckSize(ByteView message, size_t max_message_size) {
  if (message.size() > max_message_size) {
    return ResourceExhaustedError(std::string(kContext) + ": message is " +
                                  std::to_string(message.size()) + " bytes, over the cap of " +
                                  std::to_string(max_message_size));
  }
  return OkStatus();
}

Status CheckFraming(WireReader& r, uint64_t expected) {
  uint64_t framing = 0;
  TACET_RETURN_IF_ERROR(r.ReadVarint("framing indicator", &framing));
  if (framing == expected) return OkStatus();
  const char* expected_name = expected == kBhttpKnownLengthRequest ? "request" : "response";
  if (framing == expected + 2) {
    return UnimplementedError(std::string(kContext) + ": indeterminate-length " + expected_name +
                              " (framing indicator " + std::to_string(framing) +
                              ") is not supported; only the known-length form is");
  }
  return r.Error("framing indicator " + std::to_string(framing) + " where a known-length " +
                 expected_name + " (" + std::to_string(expected) + ") was expected");
}

}  // namespace

StatusOr<Bytes> EncodeBhttpRequest(const BhttpRequest& request, const BhttpEncodeOptions& options) {
  if (std::string p = RequestControlProblem(request); !p.empty()) return EncodeError(p);
  if (std::string p = FieldsProblem(request.headers, "header section"); !p.empty()) {
    return EncodeError(p);
  }
  if (std::string p = FieldsProblem(request.trailers, "trailer section"); !p.empty()) {
    return EncodeError(p);
  }
  Bytes out;
  // RFC 9292 §3.1 Known-Length Request, control data as in §3.4.
  TACET_RETURN_IF_ERROR(AppendQuicVarint(out, kBhttpKnownLengthRequest));
  for (const std::string* s : {&request.method, &request.scheme, &request.authority, &request.path}) {
    TACET_RETURN_IF_ERROR(AppendLengthPrefixed(out, ByteView::FromString(*s)));
  }
  TACET_RETURN_IF_ERROR(AppendTail(out, request.headers, request.content, request.trailers, options));
  return out;
}

StatusOr<Bytes> EncodeBhttpResponse(const BhttpResponse& response,
                                    const BhttpEncodeOptions& options) {
  if (response.informational.size() > kMaxInformationalResponses) {
    return EncodeError(std::to_string(response.informational.size()) +
                       " informational responses, over " +
                       std::to_string(kMaxInformationalResponses));
  }
  for (const BhttpInformationalResponse& info : response.informational) {
    if (info.status < 100 || info.status > 199) {
      return EncodeError("informational status " + std::to_string(info.status) +
                         " is outside 100..199");
    }
    if (std::string p = FieldsProblem(info.headers, "informational header section"); !p.empty()) {
      return EncodeError(p);
    }
  }
  if (response.status < 200 || response.status > 599) {
    return EncodeError("final status " + std::to_string(response.status) + " is outside 200..599");
  }
  if (std::string p = FieldsProblem(response.headers, "header section"); !p.empty()) {
    return EncodeError(p);
  }
  if (std::string p = FieldsProblem(response.trailers, "trailer section"); !p.empty()) {
    return EncodeError(p);
  }
  Bytes out;
  // RFC 9292 §3.1 Known-Length Response: informational responses (§3.5.1), then the final status
  // (§3.5) and the tail.
  TACET_RETURN_IF_ERROR(AppendQuicVarint(out, kBhttpKnownLengthResponse));
  for (const BhttpInformationalResponse& info : response.informational) {
    TACET_RETURN_IF_ERROR(AppendQuicVarint(out, info.status));
    TACET_RETURN_IF_ERROR(AppendFieldSection(out, info.headers));
  }
  TACET_RETURN_IF_ERROR(AppendQuicVarint(out, response.status));
  TACET_RETURN_IF_ERROR(
      AppendTail(out, response.headers, response.content, response.trailers, options));
  return out;
}

StatusOr<BhttpRequest> DecodeBhttpRequest(ByteView message, size_t max_message_size) {
  TACET_RETURN_IF_ERROR(CheckSize(message, max_message_size));
  WireReader r(message, kContext);
  TACET_RETURN_IF_ERROR(CheckFraming(r, kBhttpKnownLengthRequest));
  // RFC 9292 §3.4: method, scheme, authority and path, each length-prefixed. None may be cut off.
  BhttpRequest request;
  const std::pair<const char*, std::string*> parts[] = {{"method", &request.method},
                                                        {"scheme", &request.scheme},
                                                        {"authority", &request.authority},
                                                        {"path", &request.path}};
  for (const auto& [what, field] : parts) {
    ByteView bytes;
    TACET_RETURN_IF_ERROR(r.ReadLengthPrefixed(what, &bytes));
    *field = ToString(bytes);
  }
  if (std::string p = RequestControlProblem(request); !p.empty()) return r.Error(p);
  TACET_RETURN_IF_ERROR(ReadTail(r, &request.headers, &request.content, &request.trailers));
  return request;
}

StatusOr<BhttpResponse> DecodeBhttpResponse(ByteView message, size_t max_message_size) {
  TACET_RETURN_IF_ERROR(CheckSize(message, max_message_size));
  WireReader r(message, kContext);
  TACET_RETURN_IF_ERROR(CheckFraming(r, kBhttpKnownLengthResponse));
  BhttpResponse response;
  while (true) {
    uint64_t status = 0;
    TACET_RETURN_IF_ERROR(r.ReadVarint("status code", &status));
    if (status >= 200 && status <= 599) {
      response.status = static_cast<uint16_t>(status);
      break;
    }
    if (status < 100 || status > 599) {
      return r.Error("status code " + std::to_string(status) + " is outside 100..599");
    }
    // RFC 9292 §3.5.1: an informational status is followed by its header section and then more
    // control data, so neither may be cut off.
    if (response.informational.size() == kMaxInformationalResponses) {
      return ResourceExhaustedError(std::string(kContext) + ": more than " +
                                    std::to_string(kMaxInformationalResponses) +
                                    " informational responses");
    }
    BhttpInformationalResponse info;
    info.status = static_cast<uint16_t>(status);
    if (r.empty()) {
      return r.Error("message ends after informational status " + std::to_string(status) +
                     "; a header section and a final status must follow");
    }
    TACET_RETURN_IF_ERROR(ReadFieldSection(r, "informational header section", &info.headers));
    if (r.empty()) {
      return r.Error("message ends after informational response " + std::to_string(status) +
                     " without a final status");
    }
    response.informational.push_back(std::move(info));
  }
  TACET_RETURN_IF_ERROR(ReadTail(r, &response.headers, &response.content, &response.trailers));
  return response;
}

}  // namespace tacet::sealer
