// ConsentSnapshot: one immutable, published view of every consent decision under one policy.
//
// The capture gates ask a snapshot, never the database: ConsentLedger::snapshot() is an acquire
// load of a pointer, and every method here is const, noexcept, lock-free and allocation-free, so
// a gate may call them on an audio thread. See docs/consent.md.
#ifndef TACET_CONSENT_CONSENT_SNAPSHOT_H_
#define TACET_CONSENT_CONSENT_SNAPSHOT_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "consent/consent_types.h"
#include "policy/policy.h"

namespace tacet::consent {

namespace internal {
// Per-policy lookup tables shared by every snapshot of that policy (consent_snapshot.cc).
struct PolicyIndex;
}  // namespace internal

// Immutable once published. Owns (shares) the policy it was computed under, so policy() and the
// indices stay valid for the snapshot's lifetime. Thread-safe: every method may be called from
// any number of threads at once.
class ConsentSnapshot {
 public:
  ConsentSnapshot(const ConsentSnapshot&) = delete;
  ConsentSnapshot& operator=(const ConsentSnapshot&) = delete;
  ~ConsentSnapshot();

  // The policy the snapshot was computed under.
  const policy::Policy& policy() const noexcept { return *policy_; }
  // 1 for the snapshot built when the ledger opened; +1 per committed change (per published
  // snapshot) since. Counts within one ConsentLedger's lifetime only.
  uint64_t generation() const noexcept { return generation_; }

  // Indices into the policy's purposes(), channels() and categories() vectors; -1 when the policy
  // has no entry with that id. O(log n) over a sorted table.
  int PurposeIndex(std::string_view purpose_id) const noexcept;
  int ChannelIndex(std::string_view channel_id) const noexcept;
  int CategoryIndex(std::string_view category_id) const noexcept;
  int purpose_count() const noexcept { return static_cast<int>(purposes_.size()); }
  int channel_count() const noexcept { return static_cast<int>(channels_.size()); }
  int category_count() const noexcept { return static_cast<int>(categories_.size()); }

  // The state of one purpose; kUnknown for an out-of-range index. A purpose the policy makes
  // non-refusable (contract, legal obligation) always reads kGranted.
  ConsentState purpose(int index) const noexcept { return At(purposes_, index).first; }
  // The state of one contact channel (marketing permission per channel).
  ConsentState channel(int index) const noexcept { return At(channels_, index).first; }
  // Optional categories: kGranted = the user provides it, kDenied = declined, kUnknown = not
  // asked. Non-optional categories report kGranted.
  ConsentState category(int index) const noexcept { return At(categories_, index).first; }
  // Where the current state came from (kPolicyDefault for a subject nobody decided).
  DecisionSource purpose_source(int index) const noexcept { return At(purposes_, index).second; }
  DecisionSource channel_source(int index) const noexcept { return At(channels_, index).second; }
  DecisionSource category_source(int index) const noexcept { return At(categories_, index).second; }
  // The most precise location the user allows (kNone until they chose).
  LocationPrecision location_precision() const noexcept { return location_precision_; }
  DecisionSource location_source() const noexcept { return location_source_; }

  // The combined answer the gates use: the purpose is granted (or not refusable under its legal
  // basis), every one of its required_purposes is allowed too, and, when category_index >= 0,
  // the policy lets the purpose use that category (Policy::MayUse) and the category is provided.
  // Unknown is never allowed; an out-of-range index is never allowed.
  bool Allows(int purpose_index, int category_index = -1) const noexcept;
  // Allows(purpose_index) and the purpose lists the channel and, unless the purpose is
  // non-refusable (service messages), the user granted that channel.
  bool AllowsChannel(int purpose_index, int channel_index) const noexcept;

 private:
  friend class ConsentLedger;
  friend class SnapshotBuilder;
  using Entry = std::pair<ConsentState, DecisionSource>;

  ConsentSnapshot() = default;
  static Entry At(const std::vector<Entry>& v, int index) noexcept {
    if (index < 0 || static_cast<size_t>(index) >= v.size()) {
      return {ConsentState::kUnknown, DecisionSource::kPolicyDefault};
    }
    return v[static_cast<size_t>(index)];
  }

  std::shared_ptr<const policy::Policy> policy_;
  std::shared_ptr<const internal::PolicyIndex> index_;
  uint64_t generation_ = 0;
  std::vector<Entry> purposes_, channels_, categories_;
  // allowed_[p]: the purpose and, transitively, its required purposes are allowed.
  std::vector<uint8_t> allowed_;
  LocationPrecision location_precision_ = LocationPrecision::kNone;
  DecisionSource location_source_ = DecisionSource::kPolicyDefault;
};

// Builds snapshots (used by the ledger; also handy for tests and tools that compute what a set
// of decisions would mean). Not thread-safe; one builder per thread.
class SnapshotBuilder {
 public:
  // Starts from the initial states under `policy` (must not be null): consent-based purposes
  // unknown, non-refusable purposes granted, refusable legitimate-interest purposes at their
  // default_state, channels and optional categories unknown, location none; every source
  // kPolicyDefault. Reuses `index` when it was built for the same policy object.
  explicit SnapshotBuilder(std::shared_ptr<const policy::Policy> policy,
                           std::shared_ptr<const internal::PolicyIndex> index = nullptr);
  // Starts from an existing snapshot's decisions and policy.
  explicit SnapshotBuilder(const ConsentSnapshot& from);

  // The purpose's state before anyone decided (see the constructor). Out of range: kUnknown.
  ConsentState InitialPurposeState(int index) const;
  bool PurposeRefusable(int index) const;
  const ConsentSnapshot& view() const { return *snapshot_; }

  // Setters ignore out-of-range indices; a non-refusable purpose stays kGranted whatever is set.
  void SetPurpose(int index, ConsentState state, DecisionSource source);
  void SetChannel(int index, ConsentState state, DecisionSource source);
  void SetCategory(int index, ConsentState state, DecisionSource source);
  void SetLocation(LocationPrecision precision, DecisionSource source);

  // Computes the derived tables and hands the snapshot over; the builder is spent afterwards.
  std::unique_ptr<const ConsentSnapshot> Build(uint64_t generation);

 private:
  void ComputeAllowed();
  std::unique_ptr<ConsentSnapshot> snapshot_;
};

}  // namespace tacet::consent

#endif  // TACET_CONSENT_CONSENT_SNAPSHOT_H_
