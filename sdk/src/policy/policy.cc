#include "policy/policy.h"

#include <sys/stat.h>

#include <cstdio>
#include <utility>

#include "crypto/sha256.h"
#include "policy/embedded_policy.h"
#include "policy/validate.h"

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

}  // namespace

const char* DecisionReasonName(DecisionReason reason) {
  return NameOf(kDecisionReasonNames, reason, "unknown");
}

const char* TransformName(fb::Transform transform) {
  return NameOf(kTransformNames, transform, "unknown");
}

const char* LegalBasisName(fb::LegalBasis basis) {
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
    : bytes_(std::move(bytes)), root_(fb::GetPolicy(bytes_.data())), hash_(crypto::Sha256(bytes_)) {
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
  auto index = [](const auto* entries, Index& out) {
    if (entries == nullptr) return;
    // Validation caps every list at kMaxEntriesPerList entries, so an index fits in uint16_t.
    for (flatbuffers::uoffset_t i = 0; i < entries->size(); ++i) {
      out.emplace(entries->Get(i)->id()->string_view(), static_cast<uint16_t>(i));
    }
  };
  index(root_->categories(), categories_);
  index(root_->purposes(), purposes_);
  index(root_->recipients(), recipients_);
  index(root_->channels(), channels_);

  const size_t n_categories = categories_.size(), n_purposes = purposes_.size();
  uses_.assign(n_categories * n_purposes, false);
  for (const fb::Purpose* purpose : *root_->purposes()) {
    const size_t p = purposes_.at(purpose->id()->string_view());
    for (const flatbuffers::String* category : *purpose->categories()) {
      uses_[categories_.at(category->string_view()) * n_purposes + p] = true;
    }
  }
  grants_.assign(recipients_.size() * n_categories * n_purposes, kNoGrant);
  if (root_->recipients() == nullptr) return;
  for (const fb::Recipient* recipient : *root_->recipients()) {
    const size_t r = recipients_.at(recipient->id()->string_view());
    for (const fb::Grant* grant : *recipient->grants()) {
      const size_t c = categories_.at(grant->category()->string_view());
      for (const flatbuffers::String* purpose : *grant->purposes()) {
        const size_t p = purposes_.at(purpose->string_view());
        grants_[(r * n_categories + c) * n_purposes + p] = static_cast<uint8_t>(grant->transform());
      }
    }
  }
}

int Policy::Lookup(const Index& index, std::string_view id) {
  auto it = index.find(id);
  return it == index.end() ? -1 : it->second;
}

const fb::Category* Policy::FindCategory(std::string_view id) const {
  const int i = Lookup(categories_, id);
  return i < 0 ? nullptr : root_->categories()->Get(static_cast<flatbuffers::uoffset_t>(i));
}
const fb::Purpose* Policy::FindPurpose(std::string_view id) const {
  const int i = Lookup(purposes_, id);
  return i < 0 ? nullptr : root_->purposes()->Get(static_cast<flatbuffers::uoffset_t>(i));
}
const fb::Recipient* Policy::FindRecipient(std::string_view id) const {
  const int i = Lookup(recipients_, id);
  return i < 0 ? nullptr : root_->recipients()->Get(static_cast<flatbuffers::uoffset_t>(i));
}
const fb::Channel* Policy::FindChannel(std::string_view id) const {
  const int i = Lookup(channels_, id);
  return i < 0 ? nullptr : root_->channels()->Get(static_cast<flatbuffers::uoffset_t>(i));
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
  d.transform = fb::Transform::None;
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
  if (grant == static_cast<uint8_t>(fb::Transform::Drop)) {
    d.reason = DecisionReason::kRecipientNotGranted;
    return d;
  }
  const fb::Recipient* r_entry = root_->recipients()->Get(static_cast<flatbuffers::uoffset_t>(r));
  if (r_entry->requires_notice() && !context.user_notified) {
    d.reason = DecisionReason::kNoticeRequired;
    return d;
  }
  if (r_entry->legal_process_only() && !context.valid_legal_process) {
    d.reason = DecisionReason::kLegalProcessRequired;
    return d;
  }
  d.allowed = true;
  d.transform = static_cast<fb::Transform>(grant);
  d.reason = DecisionReason::kAllowed;
  return d;
}

}  // namespace tacet::policy
