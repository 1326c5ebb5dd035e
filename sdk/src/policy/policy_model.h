// tacet::policy model types: the privacy policy as plain C++ values, for every module above
// policy. The flatbuffers schema (sdk/schema/policy.fbs) is the policy's storage and wire form;
// it stays inside the policy module, so no other module compiles against generated code, and a
// schema change touches one module.
//
// Ownership: every std::string_view below points into the bytes the owning Policy holds; a model
// value is valid while that Policy is alive (hold the shared_ptr). Immutable after Policy::Load;
// read from any thread. Absent strings in the flatbuffer read as empty views, absent lists as empty
// vectors.
#ifndef TACET_POLICY_POLICY_MODEL_H_
#define TACET_POLICY_POLICY_MODEL_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/enum_names.h"

namespace tacet::policy {

// The numeric values equal the schema's (policy.cc checks it at compile time).
enum class Sensitivity : uint8_t { kPublic = 0, kLow = 1, kModerate = 2, kHigh = 3, kSpecial = 4 };
enum class LegalBasis : uint8_t {
  kContract = 0,
  kConsent = 1,
  kLegitimateInterest = 2,
  kLegalObligation = 3,
};
enum class DefaultState : uint8_t { kDenied = 0, kGranted = 1 };
// What happens to data before it reaches a recipient.
enum class Transform : uint8_t {
  kNone = 0,          // sent as collected
  kCoarsen = 1,       // precision reduced
  kPseudonymise = 2,  // identifiers replaced by a per-recipient pseudonym
  kAggregate = 3,     // only counts over many events
  kDrop = 4,          // nothing is sent
};
enum class RightKind : uint8_t {
  kAccess = 0,
  kCopy = 1,
  kCorrection = 2,
  kChangeHistory = 3,
  kEdit = 4,
};
enum class SecurityMeasureKind : uint8_t {
  kPseudonymisation = 0,
  kEncryption = 1,
  kAccessControl = 2,
  kRetention = 3,
  kOrganisationalMeasures = 4,
};

struct PostalAddress {
  std::string_view organisation, street, floor, city, region, postal_code, country;
  bool empty() const {
    return organisation.empty() && street.empty() && floor.empty() && city.empty() &&
           region.empty() && postal_code.empty() && country.empty();
  }
};

struct Controller {
  std::string_view name;
  PostalAddress address;
  std::string_view source;
};

struct PrivacyContact {
  std::string_view email;
  PostalAddress postal_address;
  std::string_view source;
};

struct Field {
  std::string_view id, display_name;
  bool is_public = false;
  std::string_view source;
};

struct Category {
  std::string_view id, display_name, description;
  Sensitivity sensitivity = Sensitivity::kModerate;
  bool optional = false;
  bool is_public = false;
  std::vector<Field> fields;
  std::vector<std::string_view> features_unavailable_without;
  uint32_t retention_days = 0;  // 0: kept while the account exists
  std::string_view source;
};

struct Purpose {
  std::string_view id, display_name, description;
  LegalBasis legal_basis = LegalBasis::kConsent;
  bool refusable = true;
  DefaultState default_state = DefaultState::kDenied;
  std::vector<std::string_view> categories, channels, required_purposes;
  std::string_view source;
};

struct Grant {
  std::string_view category;
  std::vector<std::string_view> purposes;
  Transform transform = Transform::kNone;
};

struct Recipient {
  std::string_view id, display_name, description;
  std::vector<std::string_view> conditions;
  std::vector<Grant> grants;
  bool pseudonymised_only = false;
  bool requires_notice = false;
  bool legal_process_only = false;
  std::string_view source;
};

struct Channel {
  std::string_view id, display_name, description, source;
};

struct Right {
  std::string_view id;
  RightKind kind = RightKind::kAccess;
  std::string_view description;
  bool self_service = false;
  bool via_privacy_contact = false;
  std::string_view source;
};

struct SecurityMeasure {
  std::string_view id;
  SecurityMeasureKind kind = SecurityMeasureKind::kEncryption;
  std::string_view description, source;
};

// The whole policy. Lists keep the order of the policy file: an entry's index is stable for a
// given policy (ConsentSnapshot indexes purposes and channels by position).
struct PolicyModel {
  std::string_view id;
  uint64_t version = 0;
  std::string_view effective_date, title;
  Controller controller;
  PrivacyContact privacy_contact;
  std::vector<Category> categories;
  std::vector<Purpose> purposes;
  std::vector<Recipient> recipients;
  std::vector<Channel> channels;
  std::vector<Right> rights;
  std::vector<SecurityMeasure> security_measures;
  std::vector<std::string_view> statements;
};

// The names of Transform and LegalBasis, one table each (base/enum_names.h), spelt as the policy
// source (sdk/policy/*.json) spells them.
inline constexpr EnumName<Transform> kTransformNames[] = {
    {Transform::kNone, "none"},
    {Transform::kCoarsen, "coarsen"},
    {Transform::kPseudonymise, "pseudonymise"},
    {Transform::kAggregate, "aggregate"},
    {Transform::kDrop, "drop"},
};
inline constexpr EnumName<LegalBasis> kLegalBasisNames[] = {
    {LegalBasis::kContract, "contract"},
    {LegalBasis::kConsent, "consent"},
    {LegalBasis::kLegitimateInterest, "legitimate_interest"},
    {LegalBasis::kLegalObligation, "legal_obligation"},
};
static_assert(EnumNamesAreUnique(kTransformNames) && EnumNamesAreUnique(kLegalBasisNames));

// "none", "coarsen", "pseudonymise", "aggregate", "drop" ("unknown" if out of range).
const char* TransformName(Transform transform);
// "contract", "consent", "legitimate_interest", "legal_obligation" ("unknown" if out of range).
const char* LegalBasisName(LegalBasis basis);

}  // namespace tacet::policy

#endif  // TACET_POLICY_POLICY_MODEL_H_
