// tacet::policy::Policy: an immutable, validated view of a privacy policy (sdk/schema/policy.fbs)
// with deny-by-default queries.
//
//   TACET_ASSIGN_OR_RETURN(auto policy, Policy::Load(bytes));
//   Decision d = policy->Disclosure("usage", "academic_research", "academic_researchers");
//   if (d.allowed) Send(Apply(d.transform, data));
//
// Anything the policy does not name is denied: an unknown category, purpose or recipient, a
// purpose that does not list the category, a recipient without a grant for the pair.
#ifndef TACET_POLICY_POLICY_H_
#define TACET_POLICY_POLICY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "base/enum_names.h"
#include "base/status.h"
#include "policy/policy_model.h"

namespace tacet::policy {

// Larger inputs are refused before any parsing (the shipped policy is about 27 KiB).
inline constexpr size_t kMaxPolicyBytes = size_t{1} << 20;

// Why a query was answered the way it was. Stable names (DecisionReasonName) go into audit logs.
enum class DecisionReason : uint8_t {
  kAllowed,
  kUnknownCategory,
  kUnknownPurpose,
  kUnknownRecipient,
  kPurposeDoesNotUseCategory,  // the purpose does not list the category
  kRecipientNotGranted,        // the recipient has no grant for (category, purpose)
  kNoticeRequired,        // the recipient needs notice to the user first, or the controller
                          // changed and the user has not acknowledged it (PolicyManager)
  kLegalProcessRequired,  // the recipient receives data only against a valid legal process
};

// The names of DecisionReason, one table (base/enum_names.h). Transform's and LegalBasis' are in
// policy_model.h.
inline constexpr EnumName<DecisionReason> kDecisionReasonNames[] = {
    {DecisionReason::kAllowed, "allowed"},
    {DecisionReason::kUnknownCategory, "unknown_category"},
    {DecisionReason::kUnknownPurpose, "unknown_purpose"},
    {DecisionReason::kUnknownRecipient, "unknown_recipient"},
    {DecisionReason::kPurposeDoesNotUseCategory, "purpose_does_not_use_category"},
    {DecisionReason::kRecipientNotGranted, "recipient_not_granted"},
    {DecisionReason::kNoticeRequired, "notice_required"},
    {DecisionReason::kLegalProcessRequired, "legal_process_required"},
};
static_assert(EnumNamesAreUnique(kDecisionReasonNames));

// "allowed", "unknown_category", ..., "notice_required" ("unknown" if out of range). Static
// storage.
const char* DecisionReasonName(DecisionReason reason);

// What the caller can vouch for when asking about a disclosure. Recipients marked
// requires_notice / legal_process_only are denied unless the matching field is true; the consent
// ledger (notices) and the legal-request path (legal process) fill these in.
struct DisclosureContext {
  bool user_notified = false;        // the user acknowledged a notice naming this recipient
  bool valid_legal_process = false;  // a warrant, court order or subpoena was verified
};

struct Decision {
  bool allowed = false;
  // What to do to the data before it leaves the device. kDrop whenever allowed is false; kNone for
  // MayUse (on-device use applies no transform).
  Transform transform = Transform::kDrop;
  DecisionReason reason = DecisionReason::kUnknownCategory;
};

// The result of checking a byte string: either it was not a well-formed policy flatbuffer at all
// (`status`), or it was and `problems` lists every semantic problem, each naming its entry.
struct PolicyCheck {
  Status status;
  std::vector<std::string> problems;
  bool ok() const { return status.ok() && problems.empty(); }
};

// Size limit, file identifier and flatbuffers Verifier, then every semantic check (validate.h).
// Never reads outside `bytes`. Thread-safe.
PolicyCheck CheckPolicyBytes(ByteView bytes);

// Reads a policy (or any) file of at most `max_bytes`, refusing larger files before reading them
// (kResourceExhausted naming the file); kNotFound if it cannot be opened. The caller owns the
// returned bytes. Thread-safe.
StatusOr<Bytes> ReadPolicyFile(const std::string& path, size_t max_bytes = kMaxPolicyBytes);

class Policy {
 public:
  // Checks `bytes` (CheckPolicyBytes) and returns a view owning a copy of them. Errors:
  // kResourceExhausted (over kMaxPolicyBytes), kInvalidArgument (not a policy, corrupt, or
  // semantically invalid: the message lists every problem).
  static StatusOr<std::shared_ptr<const Policy>> Load(ByteView bytes);
  // Load() on a file's contents.
  static StatusOr<std::shared_ptr<const Policy>> LoadFile(const std::string& path);
  // The policy compiled into the library (embedded_policy.h).
  static StatusOr<std::shared_ptr<const Policy>> LoadEmbedded();

  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;

  // A Policy is immutable: every method below is const, allocation-free and thread-safe. Returned
  // pointers and views point into the policy and are valid while it is alive.
  // The policy as plain values (policy_model.h). The flatbuffer itself (bytes()) is read only by
  // the policy module and by tools that include the generated header.
  const PolicyModel& model() const { return model_; }
  ByteView bytes() const { return ByteView(bytes_); }
  std::string_view id() const { return model_.id; }
  uint64_t version() const { return model_.version; }
  // SHA-256 of bytes(): consent decisions record which policy they were made under.
  const std::array<uint8_t, 32>& hash() const { return hash_; }

  // O(1) lookups by id; nullptr when the policy has no such entry.
  const Category* FindCategory(std::string_view id) const;
  const Purpose* FindPurpose(std::string_view id) const;
  const Recipient* FindRecipient(std::string_view id) const;
  const Channel* FindChannel(std::string_view id) const;

  // May `category` be used on the device for `purpose`? Says what the policy allows, not what the
  // user chose (the consent ledger combines both).
  Decision MayUse(std::string_view category, std::string_view purpose) const;
  // May `category`, used for `purpose`, go to `recipient`, and after which transform? A recipient
  // that requires notice or a legal process is denied unless `context` vouches for it.
  Decision Disclosure(std::string_view category, std::string_view purpose,
                      std::string_view recipient, DisclosureContext context = {}) const;

 private:
  using Index = std::unordered_map<std::string_view, uint16_t>;
  static constexpr uint8_t kNoGrant = 0xff;

  explicit Policy(Bytes bytes);
  void BuildIndex();
  static int Lookup(const Index& index, std::string_view id);
  Decision Evaluate(int category, int purpose) const;

  const Bytes bytes_;
  PolicyModel model_;
  const std::array<uint8_t, 32> hash_;
  Index categories_, purposes_, recipients_, channels_;
  // uses_[c * purposes + p]: purpose p lists category c.
  std::vector<bool> uses_;
  // grants_[(r * categories + c) * purposes + p]: the Transform for the grant, or kNoGrant.
  std::vector<uint8_t> grants_;
};

}  // namespace tacet::policy

#endif  // TACET_POLICY_POLICY_H_
