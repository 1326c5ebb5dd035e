#include "policy/policy.h"

#include <sys/stat.h>

#include <cstdio>
#include <utility>

#include "crypto/sha256.h"
#include "policy/embedded_policy.h"
#include "policy/validate.h"
#include "policy_generated.h"

namespace tacet::policy {
namespace {

// Bounds the Verifier's work on hostile input: depth and number of tables it will visit.
constexpr flatbuffers::uoffset_t kMaxVerifierDepth = 16;
constexpr flatbuffers::uoffset_t kMaxVerifierTables = 100000;

// "5242880 bytes (5.0 MiB)"
std::string DescribeSize(uint64_t bytes) {
  char text[64];
  std::snprintf(text, sizeof(text), "%llu bytes (%.1f MiB)", static_cast<unsigned long long>(bytes),
                static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

Status CheckSize(uint64_t size, size_t max_bytes, std::string_view what) {
  if (size > max_bytes) {
    const std::string limit = max_bytes % (size_t{1} << 20) == 0
                                  ? std::to_string(max_bytes >> 20) + " MiB"
                                  : std::to_string(max_bytes) + " bytes";
    return ResourceExhaustedError(std::string(what) + " is " + DescribeSize(size) +
                                  ", larger than the " + limit + " limit");
  }
  return OkStatus();
}

// Steps 1-3 of CheckPolicyBytes: size, identifier, structure.
Status VerifyStructure(ByteView bytes) {
  TACET_RETURN_IF_ERROR(CheckSize(bytes.size(), kMaxPolicyBytes, "policy"));
  if (bytes.size() < sizeof(flatbuffers::uoffset_t) + flatbuffers::kFileIdentifierLength) {
    return InvalidArgumentError("policy is truncated: " + std::to_string(bytes.size()) +
                                " bytes is shorter than any policy");
  }
  if (!fb::PolicyBufferHasIdentifier(bytes.data())) {
    return InvalidArgumentError(std::string("not a Tacet policy: the file identifier is not '") +
                                fb::PolicyIdentifier() + "'");
  }
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), kMaxVerifierDepth,
                                 kMaxVerifierTables);
  if (!fb::VerifyPolicyBuffer(verifier)) {
    return InvalidArgumentError("policy is corrupt or truncated: the " +
                                std::to_string(bytes.size()) +
                                " bytes are not a well-formed policy flatbuffer");
  }
  return OkStatus();
}

// The model's enums carry the schema's numbers, so a conversion is a cast.
static_assert(static_cast<int>(Transform::kDrop) == static_cast<int>(fb::Transform::Drop) &&
              static_cast<int>(Transform::kAggregate) == static_cast<int>(fb::Transform::Aggregate) &&
              static_cast<int>(Transform::kPseudonymise) == static_cast<int>(fb::Transform::Pseudonymise) &&
              static_cast<int>(Transform::kCoarsen) == static_cast<int>(fb::Transform::Coarsen) &&
              static_cast<int>(Transform::kNone) == static_cast<int>(fb::Transform::None));
static_assert(static_cast<int>(LegalBasis::kContract) == static_cast<int>(fb::LegalBasis::Contract) &&
              static_cast<int>(LegalBasis::kConsent) == static_cast<int>(fb::LegalBasis::Consent) &&
              static_cast<int>(LegalBasis::kLegitimateInterest) ==
                  static_cast<int>(fb::LegalBasis::LegitimateInterest) &&
              static_cast<int>(LegalBasis::kLegalObligation) ==
                  static_cast<int>(fb::LegalBasis::LegalObligation));
static_assert(static_cast<int>(DefaultState::kGranted) == static_cast<int>(fb::DefaultState::Granted) &&
              static_cast<int>(DefaultState::kDenied) == static_cast<int>(fb::DefaultState::Denied));
static_assert(static_cast<int>(Sensitivity::kPublic) == static_cast<int>(fb::Sensitivity::Public) &&
              static_cast<int>(Sensitivity::kLow) == static_cast<int>(fb::Sensitivity::Low) &&
              static_cast<int>(Sensitivity::kModerate) == static_cast<int>(fb::Sensitivity::Moderate) &&
              static_cast<int>(Sensitivity::kHigh) == static_cast<int>(fb::Sensitivity::High) &&
              static_cast<int>(Sensitivity::kSpecial) == static_cast<int>(fb::Sensitivity::Special));
static_assert(static_cast<int>(RightKind::kAccess) == static_cast<int>(fb::RightKind::Access) &&
              static_cast<int>(RightKind::kCopy) == static_cast<int>(fb::RightKind::Copy) &&
              static_cast<int>(RightKind::kCorrection) == static_cast<int>(fb::RightKind::Correction) &&
              static_cast<int>(RightKind::kChangeHistory) ==
                  static_cast<int>(fb::RightKind::ChangeHistory) &&
              static_cast<int>(RightKind::kEdit) == static_cast<int>(fb::RightKind::Edit));
static_assert(
    static_cast<int>(SecurityMeasureKind::kPseudonymisation) ==
        static_cast<int>(fb::SecurityMeasureKind::Pseudonymisation) &&
    static_cast<int>(SecurityMeasureKind::kEncryption) == static_cast<int>(fb::SecurityMeasureKind::Encryption) &&
    static_cast<int>(SecurityMeasureKind::kAccessControl) ==
        static_cast<int>(fb::SecurityMeasureKind::AccessControl) &&
    static_cast<int>(SecurityMeasureKind::kRetention) == static_cast<int>(fb::SecurityMeasureKind::Retention) &&
    static_cast<int>(SecurityMeasureKind::kOrganisationalMeasures) ==
        static_cast<int>(fb::SecurityMeasureKind::OrganisationalMeasures));

std::string_view View(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : s->string_view();
}

std::vector<std::string_view> Views(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* list) {
  std::vector<std::string_view> out;
  if (list == nullptr) return out;
  out.reserve(list->size());
  for (const flatbuffers::String* s : *list) out.push_back(View(s));
  return out;
}

// Applies `convert` to every entry of a table vector (absent: empty).
template <typename Out, typename In, typename Convert>
std::vector<Out> Each(const flatbuffers::Vector<flatbuffers::Offset<In>>* list, Convert convert) {
  std::vector<Out> out;
  if (list == nullptr) return out;
  out.reserve(list->size());
  for (const In* entry : *list) out.push_back(convert(*entry));
  return out;
}

PostalAddress ToModel(const fb::PostalAddress* a) {
  PostalAddress out;
  if (a == nullptr) return out;
  out.organisation = View(a->organisation());
  out.street = View(a->street());
  out.floor = View(a->floor());
  out.city = View(a->city());
  out.region = View(a->region());
  out.postal_code = View(a->postal_code());
  out.country = View(a->country());
  return out;
}

PolicyModel BuildModel(const fb::Policy& root) {
  PolicyModel m;
  m.id = View(root.id());
  m.version = root.version();
  m.effective_date = View(root.effective_date());
  m.title = View(root.title());
  if (const fb::Controller* c = root.controller()) {
    m.controller = Controller{View(c->name()), ToModel(c->address()), View(c->source())};
  }
  if (const fb::PrivacyContact* c = root.privacy_contact()) {
    m.privacy_contact = PrivacyContact{View(c->email()), ToModel(c->postal_address()), View(c->source())};
  }
  m.categories = Each<Category>(root.categories(), [](const fb::Category& c) {
    Category out;
    out.id = View(c.id());
    out.display_name = View(c.display_name());
    out.description = View(c.description());
    out.sensitivity = static_cast<Sensitivity>(c.sensitivity());
    out.optional = c.optional();
    out.is_public = c.is_public();
    out.fields = Each<Field>(c.fields(), [](const fb::Field& f) {
      return Field{View(f.id()), View(f.display_name()), f.is_public(), View(f.source())};
    });
    out.features_unavailable_without = Views(c.features_unavailable_without());
    out.retention_days = c.retention_days();
    out.source = View(c.source());
    return out;
  });
  m.purposes = Each<Purpose>(root.purposes(), [](const fb::Purpose& p) {
    Purpose out;
    out.id = View(p.id());
    out.display_name = View(p.display_name());
    out.description = View(p.description());
    out.legal_basis = static_cast<LegalBasis>(p.legal_basis());
    out.refusable = p.refusable();
    out.default_state = static_cast<DefaultState>(p.default_state());
    out.categories = Views(p.categories());
    out.channels = Views(p.channels());
    out.required_purposes = Views(p.required_purposes());
    out.source = View(p.source());
    return out;
  });
  m.recipients = Each<Recipient>(root.recipients(), [](const fb::Recipient& r) {
    Recipient out;
    out.id = View(r.id());
    out.display_name = View(r.display_name());
    out.description = View(r.description());
    out.conditions = Views(r.conditions());
    out.grants = Each<Grant>(r.grants(), [](const fb::Grant& g) {
      return Grant{View(g.category()), Views(g.purposes()), static_cast<Transform>(g.transform())};
    });
    out.pseudonymised_only = r.pseudonymised_only();
    out.requires_notice = r.requires_notice();
    out.legal_process_only = r.legal_process_only();
    out.source = View(r.source());
    return out;
  });
  m.channels = Each<Channel>(root.channels(), [](const fb::Channel& c) {
    return Channel{View(c.id()), View(c.display_name()), View(c.description()), View(c.source())};
  });
  m.rights = Each<Right>(root.rights(), [](const fb::Right& r) {
    return Right{View(r.id()), static_cast<RightKind>(r.kind()), View(r.description()),
                 r.self_service(), r.via_privacy_contact(), View(r.source())};
  });
  m.security_measures = Each<SecurityMeasure>(root.security_measures(), [](const fb::SecurityMeasure& s) {
    return SecurityMeasure{View(s.id()), static_cast<SecurityMeasureKind>(s.kind()),
                           View(s.description()), View(s.source())};
  });
  m.statements = Views(root.statements());
  return m;
}

}  // namespace

const char* DecisionReasonName(DecisionReason reason) {
  return NameOf(kDecisionReasonNames, reason, "unknown");
}

const char* TransformName(Transform transform) {
  return NameOf(kTransformNames, transform, "unknown");
}

const char* LegalBasisName(LegalBasis basis) {
  return NameOf(kLegalBasisNames, basis, "unknown");
}

PolicyCheck CheckPolicyBytes(ByteView bytes) {
  PolicyCheck check;
  check.status = VerifyStructure(bytes);
  if (check.status.ok()) check.problems = ValidatePolicy(*fb::GetPolicy(bytes.data()));
  return check;
}

StatusOr<Bytes> ReadPolicyFile(const std::string& path, size_t max_bytes) {
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return NotFoundError("cannot open policy file '" + path + "'");
  struct stat info;
  if (fstat(fileno(file), &info) != 0 || !S_ISREG(info.st_mode)) {
    std::fclose(file);
    return InvalidArgumentError("'" + path + "' is not a regular file");
  }
  Status size_ok = CheckSize(static_cast<uint64_t>(info.st_size), max_bytes, "'" + path + "'");
  if (!size_ok.ok()) {
    std::fclose(file);
    return size_ok;
  }
  Bytes bytes(static_cast<size_t>(info.st_size));
  const size_t read = std::fread(bytes.data(), 1, bytes.size(), file);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed || read != bytes.size()) {
    return UnavailableError("reading '" + path + "' failed after " + std::to_string(read) + " bytes");
  }
  return bytes;
}

Policy::Policy(Bytes bytes)
    : bytes_(std::move(bytes)), hash_(crypto::Sha256(bytes_)) {
  model_ = BuildModel(*fb::GetPolicy(bytes_.data()));
  BuildIndex();
}

StatusOr<std::shared_ptr<const Policy>> Policy::Load(ByteView bytes) {
  PolicyCheck check = CheckPolicyBytes(bytes);
  if (!check.status.ok()) return check.status;
  if (!check.problems.empty()) {
    const fb::Policy* root = fb::GetPolicy(bytes.data());
    std::string message = "policy";
    // Named only by a well-formed id: the rest of a rejected policy is hostile text.
    if (root->id() != nullptr && IsValidId(root->id()->string_view())) {
      message += " '" + root->id()->str() + "'";
    }
    message += " version " + std::to_string(root->version()) + " has " +
               std::to_string(check.problems.size()) +
               (check.problems.size() == 1 ? " problem: " : " problems: ");
    for (size_t i = 0; i < check.problems.size(); ++i) {
      if (i > 0) message += "; ";
      message += check.problems[i];
    }
    return InvalidArgumentError(std::move(message));
  }
  // Not make_shared: the constructor is private.
  return std::shared_ptr<const Policy>(new Policy(bytes.ToBytes()));
}

StatusOr<std::shared_ptr<const Policy>> Policy::LoadFile(const std::string& path) {
  TACET_ASSIGN_OR_RETURN(Bytes bytes, ReadPolicyFile(path));
  StatusOr<std::shared_ptr<const Policy>> policy = Load(bytes);
  if (!policy.ok()) return policy.status().WithContext(path);
  return policy;
}

StatusOr<std::shared_ptr<const Policy>> Policy::LoadEmbedded() {
  StatusOr<std::shared_ptr<const Policy>> policy = Load(EmbeddedPolicyBytes());
  if (!policy.ok()) return InternalError("the embedded policy is invalid: " + policy.status().message());
  return policy;
}

void Policy::BuildIndex() {
  auto index = [](const auto& entries, Index& out) {
    // Ids are unique and the lists at most kMaxEntriesPerList long (validate.h).
    for (size_t i = 0; i < entries.size(); ++i) out.emplace(entries[i].id, static_cast<uint16_t>(i));
  };
  index(model_.categories, categories_);
  index(model_.purposes, purposes_);
  index(model_.recipients, recipients_);
  index(model_.channels, channels_);

  const size_t n_categories = categories_.size(), n_purposes = purposes_.size();
  uses_.assign(n_categories * n_purposes, false);
  for (const Purpose& purpose : model_.purposes) {
    const size_t p = purposes_.at(purpose.id);
    for (std::string_view category : purpose.categories) {
      uses_[categories_.at(category) * n_purposes + p] = true;
    }
  }
  grants_.assign(recipients_.size() * n_categories * n_purposes, kNoGrant);
  for (const Recipient& recipient : model_.recipients) {
    const size_t r = recipients_.at(recipient.id);
    for (const Grant& grant : recipient.grants) {
      const size_t c = categories_.at(grant.category);
      for (std::string_view purpose : grant.purposes) {
        const size_t p = purposes_.at(purpose);
        grants_[(r * n_categories + c) * n_purposes + p] = static_cast<uint8_t>(grant.transform);
      }
    }
  }
}

int Policy::Lookup(const Index& index, std::string_view id) {
  auto it = index.find(id);
  return it == index.end() ? -1 : it->second;
}

const Category* Policy::FindCategory(std::string_view id) const {
  const int i = Lookup(categories_, id);
  return i < 0 ? nullptr : &model_.categories[static_cast<size_t>(i)];
}
const Purpose* Policy::FindPurpose(std::string_view id) const {
  const int i = Lookup(purposes_, id);
  return i < 0 ? nullptr : &model_.purposes[static_cast<size_t>(i)];
}
const Recipient* Policy::FindRecipient(std::string_view id) const {
  const int i = Lookup(recipients_, id);
  return i < 0 ? nullptr : &model_.recipients[static_cast<size_t>(i)];
}
const Channel* Policy::FindChannel(std::string_view id) const {
  const int i = Lookup(channels_, id);
  return i < 0 ? nullptr : &model_.channels[static_cast<size_t>(i)];
}

Decision Policy::Evaluate(int category, int purpose) const {
  Decision d;
  if (category < 0) return d;
  if (purpose < 0) {
    d.reason = DecisionReason::kUnknownPurpose;
    return d;
  }
  if (!uses_[static_cast<size_t>(category) * purposes_.size() + static_cast<size_t>(purpose)]) {
    d.reason = DecisionReason::kPurposeDoesNotUseCategory;
    return d;
  }
  d.allowed = true;
  d.transform = Transform::kNone;
  d.reason = DecisionReason::kAllowed;
  return d;
}

Decision Policy::MayUse(std::string_view category, std::string_view purpose) const {
  return Evaluate(Lookup(categories_, category), Lookup(purposes_, purpose));
}

Decision Policy::Disclosure(std::string_view category, std::string_view purpose,
                            std::string_view recipient, DisclosureContext context) const {
  const int c = Lookup(categories_, category), p = Lookup(purposes_, purpose);
  Decision d = Evaluate(c, p);
  if (!d.allowed) return d;
  const int r = Lookup(recipients_, recipient);
  d = Decision{};
  if (r < 0) {
    d.reason = DecisionReason::kUnknownRecipient;
    return d;
  }
  const uint8_t grant =
      grants_[(static_cast<size_t>(r) * categories_.size() + static_cast<size_t>(c)) *
                  purposes_.size() + static_cast<size_t>(p)];
  if (grant == kNoGrant) {
    d.reason = DecisionReason::kRecipientNotGranted;
    return d;
  }
  if (grant == static_cast<uint8_t>(Transform::kDrop)) {
    d.reason = DecisionReason::kRecipientNotGranted;
    return d;
  }
  const Recipient& r_entry = model_.recipients[static_cast<size_t>(r)];
  if (r_entry.requires_notice && !context.user_notified) {
    d.reason = DecisionReason::kNoticeRequired;
    return d;
  }
  if (r_entry.legal_process_only && !context.valid_legal_process) {
    d.reason = DecisionReason::kLegalProcessRequired;
    return d;
  }
  d.allowed = true;
  d.transform = static_cast<Transform>(grant);
  d.reason = DecisionReason::kAllowed;
  return d;
}

}  // namespace tacet::policy
