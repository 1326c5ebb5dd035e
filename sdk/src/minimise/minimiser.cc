#include "minimise/minimiser.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "base/bytes.h"
#include "crypto/hkdf.h"
#include "crypto/hmac.h"
#include "crypto/secure.h"
#include "gate/location_snap.h"

namespace tacet::minimise {
namespace {

constexpr char kPseudonymSalt[] = "tacet pseudonym v1";

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// "lat,lon" (decimal degrees) snapped to the approximate grid's cell centre; empty when the text
// is not a valid position (then nothing of it is sent).
std::string CoarsenPosition(const std::string& value) {
  const size_t comma = value.find(',');
  if (comma == std::string::npos) return {};
  char* end = nullptr;
  const std::string lat_text = value.substr(0, comma), lon_text = value.substr(comma + 1);
  const double lat = std::strtod(lat_text.c_str(), &end);
  if (end == lat_text.c_str() || *end != '\0') return {};
  const double lon = std::strtod(lon_text.c_str(), &end);
  if (end == lon_text.c_str() || *end != '\0') return {};
  platform::LocationFix fix;
  fix.latitude_deg = lat;
  fix.longitude_deg = lon;
  fix.accuracy_m = 1;
  if (!platform::ValidateLocationFix(fix).ok()) return {};
  const platform::LocationFix snapped = gate::SnapToApproximate(fix);
  char out[64];
  std::snprintf(out, sizeof out, "%.4f,%.4f", snapped.latitude_deg, snapped.longitude_deg);
  return out;
}

// A non-negative integer to the lower end of its power-of-two bucket ("37" -> "32"); anything
// else to "" (only its presence is sent).
std::string CoarsenOther(const std::string& value) {
  if (value.empty() || value.size() > 18) return {};
  for (char c : value) {
    if (c < '0' || c > '9') return {};
  }
  const long long n = std::strtoll(value.c_str(), nullptr, 10);
  long long bucket = 0;
  if (n > 0) {
    bucket = 1;
    while (bucket <= n / 2) bucket *= 2;
  }
  return std::to_string(bucket);
}

}  // namespace

bool IsIdentifyingField(std::string_view key) {
  const size_t dot = key.find('.');
  const std::string_view category = key.substr(0, dot);
  if (category == "name" || category == "contact" || category == "payment") return true;
  // Free text the user typed may name or describe the user: it is treated as identifying too.
  if (category == "contest_answers") return true;
  return key == "billing.billing_address" || key == "public_profile.name_or_username" ||
         key == "usage.search_queries";
}

Minimiser::Minimiser(std::shared_ptr<const policy::Policy> policy, ByteView device_secret,
                     MinimiserOptions options)
    : policy_(std::move(policy)), secret_(device_secret), options_(options) {}

StatusOr<std::unique_ptr<Minimiser>> Minimiser::Create(std::shared_ptr<const policy::Policy> policy,
                                                       ByteView device_secret,
                                                       MinimiserOptions options) {
  if (policy == nullptr) return InvalidArgumentError("minimiser: no policy");
  if (device_secret.size() < 32) {
    return InvalidArgumentError("minimiser: the device secret has " +
                                std::to_string(device_secret.size()) + " bytes, fewer than 32");
  }
  if (options.time_bucket_s <= 0 || options.pseudonym_period_s <= 0) {
    return InvalidArgumentError("minimiser: the time bucket and the pseudonym period must be positive");
  }
  return std::unique_ptr<Minimiser>(new Minimiser(std::move(policy), device_secret, options));
}

StatusOr<crypto::SecretBytes> Minimiser::PeriodKey(std::string_view recipient,
                                                   int64_t unix_ms) const {
  const int64_t period = FloorDiv(FloorDiv(unix_ms, 1000), options_.pseudonym_period_s);
  Bytes info(recipient.begin(), recipient.end());
  info.push_back(0);
  for (int i = 7; i >= 0; --i) info.push_back(static_cast<uint8_t>(static_cast<uint64_t>(period) >> (8 * i)));
  const ByteView salt(reinterpret_cast<const uint8_t*>(kPseudonymSalt), sizeof(kPseudonymSalt) - 1);
  TACET_ASSIGN_OR_RETURN(Bytes key, crypto::Hkdf(salt, secret_.view(), info, 32));
  crypto::SecretBytes out{ByteView(key)};
  crypto::SecureZero(key.data(), key.size());
  return out;
}

StatusOr<Bytes> Minimiser::Subject(std::string_view recipient, int64_t unix_ms) const {
  TACET_ASSIGN_OR_RETURN(crypto::SecretBytes key, PeriodKey(recipient, unix_ms));
  static constexpr char kLabel[] = "subject";
  const auto mac = crypto::HmacSha256(
      key.view(), ByteView(reinterpret_cast<const uint8_t*>(kLabel), sizeof(kLabel) - 1));
  return Bytes(mac.begin(), mac.begin() + kPseudonymSize);
}

StatusOr<MinimisedEvent> Minimiser::ForRecipient(const consent::ConsentSnapshot& snapshot,
                                                 std::string_view recipient,
                                                 const outbox::Event& event, int64_t now_unix_ms,
                                                 bool controller_notice_pending) const {
  MinimisedEvent out;
  out.purpose = event.purpose;
  const int64_t occurred_s = FloorDiv(event.occurred_unix_ms, 1000);
  out.time_s = FloorDiv(occurred_s, options_.time_bucket_s) * options_.time_bucket_s;
  const int purpose_index = snapshot.PurposeIndex(event.purpose);
  const platform::LocationPrecision precision = snapshot.location_precision();
  std::unique_ptr<crypto::SecretBytes> key;  // derived on first use
  for (const outbox::EventField& f : event.fields) {
    const size_t dot = f.key.find('.');
    const std::string category = f.key.substr(0, dot);
    // The policy the consent was given under (the snapshot's), not the one this minimiser was
    // made with: after a policy update the new grants apply at once.
    const policy::Decision d = snapshot.policy().Disclosure(category, event.purpose, recipient);
    // May data already held be used or handed over for the purpose (ConsentSnapshot::Allows), now:
    // a revocation since recording is honoured. (Not DecideCollection: a legitimate interest the
    // user cannot object to, such as content reporting, is a reason to hand over what is held.)
    const bool consented =
        purpose_index >= 0 && snapshot.Allows(purpose_index, snapshot.CategoryIndex(category));
    const bool location = category == "location";
    if (controller_notice_pending || !d.allowed || !consented ||
        f.key == "voice.voice_recordings" || d.transform == policy::Transform::kAggregate ||
        d.transform == policy::Transform::kDrop ||
        (location && precision == platform::LocationPrecision::kNone)) {
      ++out.dropped;
      continue;
    }
    MinimisedField m;
    m.key = f.key;
    m.form = d.transform;
    // A precise position leaves at most at the precision the user granted now, whatever the
    // grant's transform (a pseudonymise grant replaces identifiers only: it would send the
    // position as it is).
    if (f.key == "location.precise_location" && precision != platform::LocationPrecision::kPrecise) {
      m.form = policy::Transform::kCoarsen;
    }
    switch (m.form) {
      case policy::Transform::kNone:
        m.value = f.value;
        break;
      case policy::Transform::kCoarsen:
        m.value = category == "location" ? CoarsenPosition(f.value) : CoarsenOther(f.value);
        break;
      case policy::Transform::kPseudonymise:
        if (IsIdentifyingField(f.key)) {
          if (key == nullptr) {
            TACET_ASSIGN_OR_RETURN(crypto::SecretBytes k, PeriodKey(recipient, now_unix_ms));
            key = std::make_unique<crypto::SecretBytes>(std::move(k));
          }
          Bytes input(f.key.begin(), f.key.end());
          input.push_back(0);
          input.insert(input.end(), f.value.begin(), f.value.end());
          const auto mac = crypto::HmacSha256(key->view(), input);
          crypto::SecureZero(input.data(), input.size());
          m.value = HexEncode(ByteView(mac.data(), kPseudonymSize));
        } else {
          m.value = f.value;
          m.form = policy::Transform::kNone;  // nothing identifying in it to replace
        }
        break;
      default:
        break;
    }
    out.fields.push_back(std::move(m));
  }
  return out;
}

}  // namespace tacet::minimise
