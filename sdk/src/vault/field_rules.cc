#include "vault/field_rules.h"

#include <string>
#include <vector>

#include "base/utf8.h"

namespace tacet::vault {
namespace {

struct FieldRule {
  const char* field_id;
  FieldKind kind;
};

// Policy field id -> kind. Only fields whose values have a shape beyond free text are listed.
constexpr FieldRule kRules[] = {
    {"full_name", FieldKind::kName},
    {"name_or_username", FieldKind::kName},
    {"subscription_plan", FieldKind::kName},
    {"email_address", FieldKind::kEmail},
    {"phone_number", FieldKind::kPhoneE164},
    {"postal_address", FieldKind::kPostalAddress},
    {"billing_address", FieldKind::kPostalAddress},
    {"payment_token", FieldKind::kPaymentToken},
    {"payment_method", FieldKind::kPaymentLastFour},
    {"voice_recordings", FieldKind::kAudio},
    {"precise_location", FieldKind::kPreciseLocation},
    {"approximate_location", FieldKind::kApproximateLocation},
};

constexpr size_t kMaxAudioBytes = size_t{4} << 20;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

Status Invalid(std::string_view category, std::string_view field, const std::string& why) {
  return InvalidArgumentError(std::string(category) + "." + std::string(field) + ": " + why);
}

// A full card number is never stored, in any field but the card's last four (whose own check
// refuses one too).
Status CheckNoCardNumber(std::string_view category, std::string_view field, std::string_view v) {
  if (!ContainsCardNumber(v)) return OkStatus();
  return Invalid(category, field,
                 "contains what looks like a full payment card number (13 to 19 digits that pass "
                 "the Luhn check); card numbers are not stored");
}

// Text: valid UTF-8, within [1, max] code points, and no control characters other than tab and
// (when multiline) line breaks.
Status CheckText(std::string_view category, std::string_view field, std::string_view value,
                 size_t max_code_points, bool multiline) {
  if (value.empty()) return Invalid(category, field, "must not be empty");
  if (!IsValidUtf8(value)) return Invalid(category, field, "is not valid UTF-8");
  size_t n = Utf8CodePointCount(value);
  if (n > max_code_points) {
    return Invalid(category, field,
                   "has " + std::to_string(n) + " characters; at most " +
                       std::to_string(max_code_points) + " are allowed");
  }
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      bool allowed = c == '\t' || (multiline && (c == '\n' || c == '\r'));
      if (!allowed) return Invalid(category, field, "contains a control character");
    }
  }
  return CheckNoCardNumber(category, field, value);
}

// RFC 5322 §3.2.3 atext (ASCII letters, digits and the listed specials).
bool IsAtext(char c) {
  return IsAlpha(c) || IsDigit(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) !=
                                         std::string_view::npos;
}

// dot-atom-text: 1*atext *("." 1*atext)
bool IsDotAtom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (s[i + 1] == '.') return false;
    } else if (!IsAtext(s[i])) {
      return false;
    }
  }
  return true;
}

// A DNS host name (RFC 1035 §2.3.1 as relaxed by RFC 1123 §2.1): at least two labels of
// letters, digits and inner hyphens, each 1..63 characters.
bool IsDomain(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  size_t labels = 0;
  size_t start = 0;
  while (start <= d.size()) {
    size_t dot = d.find('.', start);
    std::string_view label = d.substr(start, dot == std::string_view::npos ? d.npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!IsAlpha(c) && !IsDigit(c) && c != '-') return false;
    }
    ++labels;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return labels >= 2;
}

Status CheckEmail(std::string_view category, std::string_view field, std::string_view v) {
  if (v.empty()) return Invalid(category, field, "must not be empty");
  if (v.size() > 254) return Invalid(category, field, "is longer than 254 characters");
  size_t at = v.rfind('@');
  if (at == std::string_view::npos) return Invalid(category, field, "is not an e-mail address (no '@')");
  std::string_view local = v.substr(0, at), domain = v.substr(at + 1);
  if (local.size() > 64 || !IsDotAtom(local)) {
    return Invalid(category, field, "is not an e-mail address (invalid local part)");
  }
  if (!IsDomain(domain)) return Invalid(category, field, "is not an e-mail address (invalid domain)");
  return CheckNoCardNumber(category, field, v);
}

Status CheckPhone(std::string_view category, std::string_view field, std::string_view v) {
  const std::string why = "is not an E.164 phone number ('+' then 7 to 15 digits, the first not 0)";
  if (v.size() < 8 || v.size() > 16 || v[0] != '+' || v[1] == '0') return Invalid(category, field, why);
  for (size_t i = 1; i < v.size(); ++i) {
    if (!IsDigit(v[i])) return Invalid(category, field, why);
  }
  return OkStatus();
}

Status CheckToken(std::string_view category, std::string_view field, std::string_view v) {
  if (ContainsCardNumber(v)) {
    return Invalid(category, field,
                   "looks like a full card number; store the processor's token instead");
  }
  if (v.size() < 8 || v.size() > 128) {
    return Invalid(category, field, "a payment token has 8 to 128 characters");
  }
  for (char c : v) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '_' && c != '-') {
      return Invalid(category, field, "a payment token has only letters, digits, '_' and '-'");
    }
  }
  return OkStatus();
}

Status CheckLastFour(std::string_view category, std::string_view field, std::string_view v) {
  if (ContainsCardNumber(v)) {
    return Invalid(category, field,
                   "looks like a full card number; only the last four digits may be stored");
  }
  const std::string why = "must be the card's last four digits, optionally after a brand (\"Visa 4242\")";
  if (v.size() < 4 || v.size() > 37) return Invalid(category, field, why);
  std::string_view digits = v.substr(v.size() - 4);
  for (char c : digits) {
    if (!IsDigit(c)) return Invalid(category, field, why);
  }
  if (v.size() == 4) return OkStatus();
  std::string_view brand = v.substr(0, v.size() - 4);
  if (brand.back() != ' ' || !IsAlpha(brand.front())) return Invalid(category, field, why);
  for (char c : brand) {
    if (!IsAlpha(c) && c != ' ' && c != '.' && c != '-') return Invalid(category, field, why);
  }
  return OkStatus();
}

// A decimal number with an optional sign; returns false if malformed. `decimals` receives the
// number of digits after the point.
bool ParseDecimal(std::string_view s, double* out, size_t* decimals) {
  if (s.empty() || s.size() > 24) return false;
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-' || s[0] == '+') {
    negative = s[0] == '-';
    i = 1;
  }
  double value = 0;
  size_t int_digits = 0, frac_digits = 0;
  for (; i < s.size() && IsDigit(s[i]); ++i, ++int_digits) value = value * 10 + (s[i] - '0');
  if (i < s.size() && s[i] == '.') {
    double scale = 0.1;
    for (++i; i < s.size() && IsDigit(s[i]); ++i, ++frac_digits) {
      value += (s[i] - '0') * scale;
      scale /= 10;
    }
    if (frac_digits == 0) return false;
  }
  if (i != s.size() || int_digits == 0 || int_digits > 3) return false;
  *out = negative ? -value : value;
  *decimals = frac_digits;
  return true;
}

// "lat,lon" (optional space after the comma), WGS 84 decimal degrees within range.
bool ParseCoordinates(std::string_view v, size_t* max_decimals) {
  size_t comma = v.find(',');
  if (comma == std::string_view::npos) return false;
  std::string_view lat_s = v.substr(0, comma), lon_s = v.substr(comma + 1);
  if (!lon_s.empty() && lon_s.front() == ' ') lon_s.remove_prefix(1);
  double lat = 0, lon = 0;
  size_t d1 = 0, d2 = 0;
  if (!ParseDecimal(lat_s, &lat, &d1) || !ParseDecimal(lon_s, &lon, &d2)) return false;
  if (lat < -90 || lat > 90 || lon < -180 || lon > 180) return false;
  *max_decimals = d1 > d2 ? d1 : d2;
  return true;
}

// True when `v` holds a number with more than 2 fractional digits ("52.520008", "52,520008"):
// in a free-text approximate location that is a precise coordinate written some other way
// ("52.520008 13.404954", "N52.520008;E13.404954").
bool HasPreciseNumber(std::string_view v) {
  for (size_t i = 1; i < v.size(); ++i) {
    if ((v[i] != '.' && v[i] != ',') || !IsDigit(v[i - 1])) continue;
    size_t digits = 0;
    for (size_t k = i + 1; k < v.size() && IsDigit(v[k]); ++k) ++digits;
    if (digits > 2) return true;
  }
  return false;
}

bool LooksLikeCoordinates(std::string_view v) {
  for (char c : v) {
    if (!IsDigit(c) && c != '.' && c != ',' && c != '-' && c != '+' && c != ' ') return false;
  }
  return v.find(',') != std::string_view::npos;
}

}  // namespace

const char* FieldKindName(FieldKind kind) { return NameOf(kFieldKindNames, kind, "unknown"); }

FieldKind KindOfField(std::string_view field_id) {
  for (const FieldRule& rule : kRules) {
    if (field_id == rule.field_id) return rule.kind;
  }
  return FieldKind::kText;
}

bool IsTextKind(FieldKind kind) { return kind != FieldKind::kAudio; }

bool ContainsCardNumber(std::string_view text) {
  // The text as groups of digits. Consecutive groups are joined when only separators (anything
  // that is neither a digit nor an ASCII letter: spaces, '-', '_', '.', '/', ...) stand between
  // them; a letter ends the chain. Within a chain, every run of consecutive whole groups holding
  // 13 to 19 digits (ISO/IEC 7812-1 §4.2: PAN length) is a candidate, so a card number is found
  // whatever separates its groups and whatever numbers stand next to it.
  struct Group {
    size_t begin, end;  // [begin, end) in `text`
    bool joined;        // joined to the previous group by separators only
  };
  std::vector<Group> groups;
  bool letter_since_last_group = true;
  for (size_t i = 0; i < text.size();) {
    if (IsAlpha(text[i])) letter_since_last_group = true;
    if (!IsDigit(text[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && IsDigit(text[j])) ++j;
    groups.push_back({i, j, !letter_since_last_group});
    letter_since_last_group = false;
    i = j;
  }
  for (size_t first = 0; first < groups.size(); ++first) {
    size_t n = 0;
    for (size_t last = first; last < groups.size(); ++last) {
      if (last > first && !groups[last].joined) break;
      n += groups[last].end - groups[last].begin;
      if (n > 19) break;
      if (n < 13) continue;
      // Luhn (ISO/IEC 7812-1 Annex B): from the rightmost digit, double every second digit and
      // subtract 9 from a result above 9; the sum is a multiple of 10.
      int sum = 0;
      size_t k = 0;
      for (size_t g = last + 1; g-- > first;) {
        for (size_t c = groups[g].end; c-- > groups[g].begin; ++k) {
          int d = text[c] - '0';
          if (k % 2 == 1) {
            d *= 2;
            if (d > 9) d -= 9;
          }
          sum += d;
        }
      }
      if (sum % 10 == 0) return true;
    }
  }
  return false;
}

Status ValidateValue(std::string_view category, std::string_view field, FieldKind kind,
                     std::string_view value) {
  switch (kind) {
    case FieldKind::kName:
      return CheckText(category, field, value, 200, /*multiline=*/false);
    case FieldKind::kText:
      return CheckText(category, field, value, 4096, /*multiline=*/true);
    case FieldKind::kPostalAddress:
      return CheckText(category, field, value, 500, /*multiline=*/true);
    case FieldKind::kEmail:
      return CheckEmail(category, field, value);
    case FieldKind::kPhoneE164:
      return CheckPhone(category, field, value);
    case FieldKind::kPaymentToken:
      return CheckToken(category, field, value);
    case FieldKind::kPaymentLastFour:
      return CheckLastFour(category, field, value);
    case FieldKind::kAudio:
      if (value.empty()) return Invalid(category, field, "must not be empty");
      if (value.size() > kMaxAudioBytes) {
        return Invalid(category, field,
                       "has " + std::to_string(value.size()) + " bytes; at most " +
                           std::to_string(kMaxAudioBytes) + " are allowed");
      }
      return OkStatus();
    case FieldKind::kPreciseLocation: {
      size_t decimals = 0;
      if (!ParseCoordinates(value, &decimals)) {
        return Invalid(category, field, "is not 'latitude,longitude' in decimal degrees");
      }
      return OkStatus();
    }
    case FieldKind::kApproximateLocation: {
      if (LooksLikeCoordinates(value)) {
        size_t decimals = 0;
        if (!ParseCoordinates(value, &decimals)) {
          return Invalid(category, field, "is not 'latitude,longitude' in decimal degrees");
        }
        if (decimals > 2) {
          return Invalid(category, field,
                         "is more precise than an approximate location (at most 2 decimals)");
        }
        return OkStatus();
      }
      // Precision first: a precise coordinate written as text is that, whatever its digits.
      if (HasPreciseNumber(value)) {
        return Invalid(category, field,
                       "holds a number with more than 2 decimals; an approximate location is a "
                       "place name or 'lat,lon' with at most 2 decimals");
      }
      return CheckText(category, field, value, 200, /*multiline=*/false);
    }
  }
  return Invalid(category, field, "has an unknown kind");
}

}  // namespace tacet::vault
