// tacet::policy::PolicyManager: holds the active policy, applies signed updates, and keeps the
// "notice required" state after a change of controller.
//
//   PolicyManagerOptions options;
//   options.update_public_key = pinned_key;         // 65-byte SEC 1 P-256 point
//   options.state_path = data_dir + "/policy.state";
//   TACET_ASSIGN_OR_RETURN(auto manager, PolicyManager::Create(std::move(options)));
//   manager->AddPolicyChangedListener([&](const PolicyDiff& d) { ledger.OnPolicyChanged(d); });
//   TACET_ASSIGN_OR_RETURN(PolicyDiff diff, manager->ApplySignedUpdate(bytes, signature));
//
// An update is applied only if, in this order: its size is within kMaxPolicyBytes, the signature
// (ECDSA P-256 / SHA-256 over the exact bytes) verifies against the pinned key, the bytes are a
// valid policy, its version is newer than the active one, and the new state was persisted. On any
// failure the active policy is untouched.
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

namespace tacet::policy {

struct PolicyManagerOptions {
  // The backend's policy-signing key, pinned in the app: the 65-byte SEC 1 uncompressed P-256
  // point (crypto::EcdsaP256PublicKeyFromPem converts a PEM).
  Bytes update_public_key;
  // Where the last signed update and the notice state persist; empty keeps them in memory only.
  // The directory must exist.
  std::string state_path;
};

class PolicyManager {
 public:
  // Runs on the thread that called ApplySignedUpdate, after the new policy became active, while
  // updates are serialised: it must not call ApplySignedUpdate or AcknowledgeControllerNotice,
  // and should not block for long. The diff is valid only during the call.
  using Listener = std::function<void(const PolicyDiff&)>;

  // Starts with the embedded policy, or with the persisted signed update if state_path holds one
  // with a newer version (its signature and contents are checked again). Errors: kInvalidArgument
  // for a malformed key; kDataLoss when the state file is corrupt or its signature does not verify
  // (the caller decides whether to delete it); kInternal if the embedded policy is invalid.
  static StatusOr<std::unique_ptr<PolicyManager>> Create(PolicyManagerOptions options);

  PolicyManager(const PolicyManager&) = delete;
  PolicyManager& operator=(const PolicyManager&) = delete;

  // The active policy. The caller shares ownership: the snapshot stays valid and unchanged even if
  // an update replaces it meanwhile. Thread-safe, lock-free for readers.
  std::shared_ptr<const Policy> active() const;

  // Verifies and applies an update; returns what changed (also given to every listener). Errors:
  // kResourceExhausted (too large), kDataLoss (signature does not verify: tampered, or signed by
  // another key), kInvalidArgument (not a valid policy; every problem listed), kOutOfRange
  // ("downgrade: version 3 is not newer than active version 4"), kUnavailable (state could not be
  // persisted). Copies what it keeps. Thread-safe; updates are serialised.
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
