// tacet::policy::PolicyManager: holds the active policy, applies signed updates, and keeps the
// "notice required" state after a change of controller.
//
//   PolicyManagerOptions options;
//   options.update_public_key = pinned_key;         // 65-byte SEC 1 P-256 point
//   options.state_path = data_dir + "/policy.state";
//   options.keys = &key_store;                      // keeps the version floor (rollback guard)
//   TACET_ASSIGN_OR_RETURN(auto manager, PolicyManager::Create(std::move(options)));
//   manager->AddPolicyChangedListener([&](const PolicyDiff& diff) {
//     // The consent ledger re-asks what the update widened. A failure here is repaired by the
//     // ledger's next Open, which applies a policy it has not reconciled yet.
//     Status s = ledger->ApplyPolicyUpdate(manager->active(), diff);
//     if (!s.ok()) logger.Warn(s.ToString());
//   });
//   TACET_ASSIGN_OR_RETURN(PolicyDiff diff, manager->ApplySignedUpdate(bytes, signature));
//
// An update is applied only if, in this order: its size is within kMaxPolicyBytes, the signature
// (ECDSA P-256 / SHA-256 over the exact bytes) verifies against the pinned key, the bytes are a
// valid policy, its version is newer than the active one and than the version floor, the new
// state was persisted and the floor advanced to it. On any failure the active policy is untouched.
//
// Rollback. The state file lives with the app's files, which an attacker (or a careless backup
// restore) may replace with an older signed policy: its signature still verifies. With
// options.keys set, the highest version ever accepted is also kept in the key store, as the
// monotonic counter kPolicyVersionFloorName (platform::AdvanceCounter), out of reach of whoever can
// only write the app's files; Create refuses a state file below it, and a missing state file when
// the embedded policy is below it (docs/policy.md, "Signed updates and rollback").
#ifndef TACET_POLICY_POLICY_MANAGER_H_
#define TACET_POLICY_POLICY_MANAGER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "policy/diff.h"
#include "policy/policy.h"
#include "policy/policy_state.h"
#include "tacet/platform/key_store.h"

namespace tacet::policy {

// The key-store counter holding the highest policy version ever accepted (slots "<name>_a" and
// "<name>_b", see platform::ReadCounter).
inline constexpr char kPolicyVersionFloorName[] = "policy_version_floor";

struct PolicyManagerOptions {
  // The backend's policy-signing key, pinned in the app: the 65-byte SEC 1 uncompressed P-256
  // point (crypto::EcdsaP256PublicKeyFromPem converts a PEM).
  Bytes update_public_key;
  // Where the last signed update and the notice state persist; empty keeps them in memory only.
  // The directory must exist.
  std::string state_path;
  // Optional, non-owning: the device key store, which must outlive the manager. When set, the
  // highest version accepted is kept there (kPolicyVersionFloorName) and guards against rolling
  // the state file back; requires a state_path. When null, nothing guards against a state file
  // replaced by an older signed one whose version is above the embedded policy's.
  platform::KeyStore* keys = nullptr;
};

class PolicyManager {
 public:
  // Runs on the thread that called ApplySignedUpdate, after the new policy became active, while
  // updates are serialised: it must not call ApplySignedUpdate or AcknowledgeControllerNotice,
  // and should not block for long. The diff is valid only during the call.
  using Listener = std::function<void(const PolicyDiff&)>;

  // Starts with the embedded policy, or with the persisted signed update if state_path holds one
  // with a newer version (its signature and contents are checked again). Errors: kInvalidArgument
  // for a malformed key, or keys without a state_path; kDataLoss when the state file is corrupt or
  // its signature does not verify (the caller decides whether to delete it); kInternal if the
  // embedded policy is invalid. With options.keys: kDataLoss naming both versions when the state
  // file holds a version below the floor (an older signed policy put in its place), or when the
  // state file is missing and the embedded policy is below the floor (a deleted state file is a
  // rollback to the embedded policy too). The caller recovers by putting back the newest signed
  // update (EncodePolicyState + WriteFileAtomically at state_path, e.g. fetched again from the
  // backend) or by shipping an app whose embedded policy is at least the floor; never by
  // starting on the older policy. Key-store errors as they come.
  static StatusOr<std::unique_ptr<PolicyManager>> Create(PolicyManagerOptions options);

  PolicyManager(const PolicyManager&) = delete;
  PolicyManager& operator=(const PolicyManager&) = delete;

  // The active policy. The caller shares ownership: the snapshot stays valid and unchanged even if
  // an update replaces it meanwhile. Thread-safe, lock-free for readers.
  std::shared_ptr<const Policy> active() const;

  // Verifies and applies an update; returns what changed (also given to every listener). Errors:
  // kResourceExhausted (too large), kDataLoss (signature does not verify: tampered, or signed by
  // another key), kInvalidArgument (not a valid policy; every problem listed), kOutOfRange
  // ("downgrade: version 3 is not newer than active version 4", or not above the key store's
  // floor, which another manager on the device may have raised), kUnavailable (state could not be
  // persisted). With options.keys the floor is advanced after the state file was written; if that
  // fails the key store's error is returned and the policy is not activated, although the state
  // file already holds the update (Create would start from it; applying the same update again
  // completes it). Copies what it keeps. Thread-safe; updates are serialised.
  StatusOr<PolicyDiff> ApplySignedUpdate(ByteView policy_bytes, ByteView signature_der);

  // True after an update changed the controller, until AcknowledgeControllerNotice(). While true,
  // every Disclosure() is denied with DecisionReason::kNoticeRequired. Thread-safe.
  bool notice_required() const { return notice_required_.load(std::memory_order_acquire); }
  // The user has seen the notice of the new controller: disclosures flow again. Persisted first;
  // on failure the notice stays required. A no-op when no notice is pending. Thread-safe.
  Status AcknowledgeControllerNotice();

  // Policy::MayUse on the active policy. Thread-safe.
  Decision MayUse(std::string_view category, std::string_view purpose) const;
  // Policy::Disclosure on the active policy, denied while a controller notice is pending.
  // Thread-safe.
  Decision Disclosure(std::string_view category, std::string_view purpose,
                      std::string_view recipient, DisclosureContext context = {}) const;

  // Adds a listener called after each applied update. Thread-safe.
  void AddPolicyChangedListener(Listener listener);

 private:
  PolicyManager(PolicyManagerOptions options, std::shared_ptr<const Policy> active,
                PolicyState persisted);
  Status Persist(const PolicyState& state);

  const PolicyManagerOptions options_;
  std::shared_ptr<const Policy> active_;  // read and replaced with std::atomic_load/atomic_store
  std::atomic<bool> notice_required_{false};

  std::mutex update_mu_;  // serialises updates, acknowledgements and listener changes
  PolicyState persisted_;  // guarded by update_mu_; the last signed update (empty if none)
  std::vector<Listener> listeners_;  // guarded by update_mu_
};

}  // namespace tacet::policy

#endif  // TACET_POLICY_POLICY_MANAGER_H_
