#include "policy/policy_manager.h"

#include <sys/stat.h>

#include <utility>

#include "crypto/ecdsa.h"

namespace tacet::policy {
namespace {

// The signature covers exactly the bytes that will be parsed; nothing is parsed before it
// verifies.
Status VerifySignature(ByteView public_key, ByteView policy_bytes, ByteView signature_der) {
  return crypto::EcdsaP256Verify(public_key, policy_bytes, signature_der)
      .WithContext("policy update signature");
}

bool FileExists(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

// The highest version accepted before, or 0 without a key store.
StatusOr<uint64_t> ReadFloor(platform::KeyStore* keys) {
  if (keys == nullptr) return uint64_t{0};
  StatusOr<uint64_t> floor = platform::ReadCounter(*keys, kPolicyVersionFloorName);
  if (!floor.ok()) return floor.status().WithContext("policy version floor");
  return floor;
}

}  // namespace

StatusOr<std::unique_ptr<PolicyManager>> PolicyManager::Create(PolicyManagerOptions options) {
  if (options.update_public_key.size() != crypto::kEcdsaP256PublicKeySize ||
      options.update_public_key[0] != 0x04) {
    return InvalidArgumentError(
        "the policy update key must be a 65-byte uncompressed P-256 point, got " +
        std::to_string(options.update_public_key.size()) + " bytes");
  }
  if (options.keys != nullptr && options.state_path.empty()) {
    return InvalidArgumentError(
        "a policy manager with a key store (version floor) needs a state_path: an update kept "
        "only in memory would be refused as a rollback at the next start");
  }
  TACET_ASSIGN_OR_RETURN(std::shared_ptr<const Policy> active, Policy::LoadEmbedded());
  TACET_ASSIGN_OR_RETURN(const uint64_t floor, ReadFloor(options.keys));
  PolicyState persisted;
  if (!options.state_path.empty() && !FileExists(options.state_path) &&
      active->version() < floor) {
    return DataLossError("policy state '" + options.state_path + "' is missing, but version " +
                         std::to_string(floor) +
                         " was accepted before and the embedded policy is only version " +
                         std::to_string(active->version()) +
                         ": refusing to roll back (restore the newest signed update)");
  }
  if (!options.state_path.empty() && FileExists(options.state_path)) {
    const std::string& path = options.state_path;
    TACET_ASSIGN_OR_RETURN(Bytes bytes, ReadPolicyFile(path, kMaxPolicyBytes + 512));
    StatusOr<PolicyState> state = DecodePolicyState(bytes);
    if (!state.ok()) return state.status().WithContext("policy state '" + path + "'");
    Status verified = VerifySignature(options.update_public_key, state->policy, state->signature);
    if (!verified.ok()) {
      return DataLossError("policy state '" + path + "': " + verified.message());
    }
    StatusOr<std::shared_ptr<const Policy>> stored = Policy::Load(state->policy);
    if (!stored.ok()) {
      return DataLossError("policy state '" + path + "': " + stored.status().message());
    }
    if ((*stored)->version() < floor) {
      return DataLossError("policy state '" + path + "' holds version " +
                           std::to_string((*stored)->version()) + ", but version " +
                           std::to_string(floor) +
                           " was accepted before: the file was replaced by an older signed policy");
    }
    // An app update may ship an embedded policy newer than the last signed update.
    if ((*stored)->version() > active->version()) active = *stored;
    persisted = std::move(state).value();
  }
  return std::unique_ptr<PolicyManager>(
      new PolicyManager(std::move(options), std::move(active), std::move(persisted)));
}

PolicyManager::PolicyManager(PolicyManagerOptions options, std::shared_ptr<const Policy> active,
                             PolicyState persisted)
    : options_(std::move(options)), active_(std::move(active)), persisted_(std::move(persisted)) {
  notice_required_.store(persisted_.notice_required, std::memory_order_release);
}

std::shared_ptr<const Policy> PolicyManager::active() const { return std::atomic_load(&active_); }

Status PolicyManager::Persist(const PolicyState& state) {
  if (options_.state_path.empty()) return OkStatus();
  return WriteFileAtomically(options_.state_path, EncodePolicyState(state));
}

StatusOr<PolicyDiff> PolicyManager::ApplySignedUpdate(ByteView policy_bytes,
                                                      ByteView signature_der) {
  // Cheap refusals before any work on untrusted bytes.
  if (policy_bytes.size() > kMaxPolicyBytes) return Policy::Load(policy_bytes).status();
  TACET_RETURN_IF_ERROR(VerifySignature(options_.update_public_key, policy_bytes, signature_der));
  TACET_ASSIGN_OR_RETURN(std::shared_ptr<const Policy> next, Policy::Load(policy_bytes));

  std::lock_guard<std::mutex> lock(update_mu_);
  const std::shared_ptr<const Policy> current = active();
  if (next->version() <= current->version()) {
    return OutOfRangeError("downgrade: version " + std::to_string(next->version()) +
                           " is not newer than active version " +
                           std::to_string(current->version()));
  }
  TACET_ASSIGN_OR_RETURN(const uint64_t floor, ReadFloor(options_.keys));
  if (next->version() <= floor) {
    return OutOfRangeError("downgrade: version " + std::to_string(next->version()) +
                           " is not newer than version " + std::to_string(floor) +
                           " accepted before on this device");
  }
  PolicyDiff diff = DiffPolicies(*current, *next);

  PolicyState state;
  state.policy = policy_bytes.ToBytes();
  state.signature = signature_der.ToBytes();
  state.notice_required = notice_required() || diff.controller_changed;
  TACET_RETURN_IF_ERROR(Persist(state));
  if (options_.keys != nullptr) {
    // After the file: a floor above the file's version would make the next Create refuse it.
    Status advanced = platform::AdvanceCounter(*options_.keys, kPolicyVersionFloorName,
                                               next->version());
    if (!advanced.ok()) return advanced.WithContext("advancing the policy version floor");
  }

  // Raise the notice before the new controller's policy becomes visible, so no reader sees the
  // new policy without it.
  if (state.notice_required) notice_required_.store(true, std::memory_order_release);
  std::atomic_store(&active_, std::move(next));
  persisted_ = std::move(state);
  for (const Listener& listener : listeners_) listener(diff);
  return diff;
}

Status PolicyManager::AcknowledgeControllerNotice() {
  std::lock_guard<std::mutex> lock(update_mu_);
  if (!notice_required()) return OkStatus();
  PolicyState state{persisted_.policy, persisted_.signature, /*notice_required=*/false};
  TACET_RETURN_IF_ERROR(Persist(state));
  persisted_ = std::move(state);
  notice_required_.store(false, std::memory_order_release);
  return OkStatus();
}

Decision PolicyManager::MayUse(std::string_view category, std::string_view purpose) const {
  return active()->MayUse(category, purpose);
}

Decision PolicyManager::Disclosure(std::string_view category, std::string_view purpose,
                                   std::string_view recipient, DisclosureContext context) const {
  // Take the policy first, then read the flag. An update raises the flag before it publishes the
  // new policy, so a reader that got the new policy also sees the raised flag. (Reading the flag
  // first would let a reader see the old "no notice" and then the new controller's policy.)
  const std::shared_ptr<const Policy> policy = active();
  if (notice_required()) {
    Decision denied;
    denied.reason = DecisionReason::kNoticeRequired;
    return denied;
  }
  return policy->Disclosure(category, purpose, recipient, context);
}

void PolicyManager::AddPolicyChangedListener(Listener listener) {
  std::lock_guard<std::mutex> lock(update_mu_);
  listeners_.push_back(std::move(listener));
}

}  // namespace tacet::policy
