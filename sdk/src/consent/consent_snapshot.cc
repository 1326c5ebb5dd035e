#include "consent/consent_snapshot.h"

#include <algorithm>
#include <string>

namespace tacet::consent {
namespace internal {

// Everything a decision needs from the policy, as flat arrays built once per policy.
struct PolicyIndex {
  using IdTable = std::vector<std::pair<std::string_view, int>>;  // sorted by id

  const policy::Policy* policy = nullptr;  // the policy this was built for (identity only)
  IdTable purposes, channels, categories;
  size_t purpose_count = 0, channel_count = 0, category_count = 0;
  std::vector<uint8_t> uses;              // [c * purpose_count + p]: purpose p may use category c
  std::vector<uint8_t> purpose_channels;  // [p * channel_count + ch]: purpose p lists channel ch
  std::vector<uint8_t> refusable;         // per purpose
  std::vector<ConsentState> initial;      // per purpose: the state before anyone decided
  std::vector<uint8_t> optional;          // per category
  std::vector<std::vector<int>> required; // per purpose: indices of required_purposes

  static int Find(const IdTable& table, std::string_view id) noexcept {
    auto it = std::lower_bound(table.begin(), table.end(), id,
                               [](const std::pair<std::string_view, int>& e, std::string_view key) {
                                 return e.first < key;
                               });
    return it != table.end() && it->first == id ? it->second : -1;
  }

  template <typename Entry>
  static IdTable Table(const std::vector<Entry>& entries) {
    IdTable table;
    for (size_t i = 0; i < entries.size(); ++i) table.emplace_back(entries[i].id, static_cast<int>(i));
    std::sort(table.begin(), table.end());
    return table;
  }

  static std::shared_ptr<const PolicyIndex> Build(const policy::Policy& policy) {
    auto index = std::make_shared<PolicyIndex>();
    const policy::PolicyModel& root = policy.model();
    index->policy = &policy;
    index->purposes = Table(root.purposes);
    index->channels = Table(root.channels);
    index->categories = Table(root.categories);
    const size_t np = index->purposes.size(), nch = index->channels.size(),
                 nc = index->categories.size();
    index->purpose_count = np;
    index->channel_count = nch;
    index->category_count = nc;
    index->uses.assign(nc * np, 0);
    index->purpose_channels.assign(np * nch, 0);
    index->refusable.assign(np, 1);
    index->initial.assign(np, ConsentState::kUnknown);
    index->required.assign(np, {});
    index->optional.assign(nc, 0);
    for (size_t c = 0; c < nc; ++c) {
      index->optional[c] = root.categories[c].optional;
    }
    for (size_t p = 0; p < np; ++p) {
      const policy::Purpose* purpose = &root.purposes[p];
      index->refusable[p] = purpose->refusable;
      if (!purpose->refusable) {
        index->initial[p] = ConsentState::kGranted;  // allowed by its legal basis
      } else if (purpose->legal_basis != policy::LegalBasis::kConsent) {
        // Legitimate interest: on (or off) by the policy's default until the user objects.
        index->initial[p] = purpose->default_state == policy::DefaultState::kGranted
                                ? ConsentState::kGranted
                                : ConsentState::kDenied;
      }
      for (size_t c = 0; c < nc; ++c) {
        index->uses[c * np + p] = policy.MayUse(root.categories[c].id, purpose->id).allowed;
      }
      for (std::string_view ch : purpose->channels) {
        const int chi = Find(index->channels, ch);
        if (chi >= 0) index->purpose_channels[p * nch + static_cast<size_t>(chi)] = 1;
      }
      for (std::string_view r : purpose->required_purposes) {
        // An unresolvable requirement (the validator rejects these) can never be met.
        index->required[p].push_back(Find(index->purposes, r));
      }
    }
    return index;
  }
};

}  // namespace internal

ConsentSnapshot::~ConsentSnapshot() = default;

int ConsentSnapshot::PurposeIndex(std::string_view purpose_id) const noexcept {
  return internal::PolicyIndex::Find(index_->purposes, purpose_id);
}
int ConsentSnapshot::ChannelIndex(std::string_view channel_id) const noexcept {
  return internal::PolicyIndex::Find(index_->channels, channel_id);
}
int ConsentSnapshot::CategoryIndex(std::string_view category_id) const noexcept {
  return internal::PolicyIndex::Find(index_->categories, category_id);
}

bool ConsentSnapshot::Allows(int purpose_index, int category_index) const noexcept {
  if (purpose_index < 0 || static_cast<size_t>(purpose_index) >= allowed_.size()) return false;
  const size_t p = static_cast<size_t>(purpose_index);
  if (!allowed_[p]) return false;
  if (category_index < 0) return true;
  const size_t c = static_cast<size_t>(category_index);
  if (c >= categories_.size()) return false;
  return index_->uses[c * index_->purpose_count + p] &&
         categories_[c].first == ConsentState::kGranted;
}

bool ConsentSnapshot::AllowsChannel(int purpose_index, int channel_index) const noexcept {
  if (!Allows(purpose_index)) return false;
  if (channel_index < 0 || static_cast<size_t>(channel_index) >= channels_.size()) return false;
  const size_t p = static_cast<size_t>(purpose_index), ch = static_cast<size_t>(channel_index);
  if (!index_->purpose_channels[p * index_->channel_count + ch]) return false;
  return !index_->refusable[p] || channels_[ch].first == ConsentState::kGranted;
}

SnapshotBuilder::SnapshotBuilder(std::shared_ptr<const policy::Policy> policy,
                                 std::shared_ptr<const internal::PolicyIndex> index)
    : snapshot_(new ConsentSnapshot()) {
  if (index == nullptr || index->policy != policy.get()) {
    index = internal::PolicyIndex::Build(*policy);
  }
  ConsentSnapshot& s = *snapshot_;
  s.policy_ = std::move(policy);
  s.index_ = std::move(index);
  const internal::PolicyIndex& ix = *s.index_;
  s.purposes_.resize(ix.purpose_count);
  for (size_t p = 0; p < ix.purpose_count; ++p) {
    s.purposes_[p] = {ix.initial[p], DecisionSource::kPolicyDefault};
  }
  s.channels_.assign(ix.channel_count, {ConsentState::kUnknown, DecisionSource::kPolicyDefault});
  s.categories_.resize(ix.category_count);
  for (size_t c = 0; c < ix.category_count; ++c) {
    s.categories_[c] = {ix.optional[c] ? ConsentState::kUnknown : ConsentState::kGranted,
                        DecisionSource::kPolicyDefault};
  }
}

SnapshotBuilder::SnapshotBuilder(const ConsentSnapshot& from) : snapshot_(new ConsentSnapshot()) {
  ConsentSnapshot& s = *snapshot_;
  s.policy_ = from.policy_;
  s.index_ = from.index_;
  s.purposes_ = from.purposes_;
  s.channels_ = from.channels_;
  s.categories_ = from.categories_;
  s.location_precision_ = from.location_precision_;
  s.location_source_ = from.location_source_;
}

ConsentState SnapshotBuilder::InitialPurposeState(int index) const {
  const internal::PolicyIndex& ix = *snapshot_->index_;
  if (index < 0 || static_cast<size_t>(index) >= ix.purpose_count) return ConsentState::kUnknown;
  return ix.initial[static_cast<size_t>(index)];
}

bool SnapshotBuilder::PurposeRefusable(int index) const {
  const internal::PolicyIndex& ix = *snapshot_->index_;
  if (index < 0 || static_cast<size_t>(index) >= ix.purpose_count) return true;
  return ix.refusable[static_cast<size_t>(index)];
}

void SnapshotBuilder::SetPurpose(int index, ConsentState state, DecisionSource source) {
  if (index < 0 || static_cast<size_t>(index) >= snapshot_->purposes_.size()) return;
  if (!PurposeRefusable(index)) state = ConsentState::kGranted;
  snapshot_->purposes_[static_cast<size_t>(index)] = {state, source};
}

void SnapshotBuilder::SetChannel(int index, ConsentState state, DecisionSource source) {
  if (index < 0 || static_cast<size_t>(index) >= snapshot_->channels_.size()) return;
  snapshot_->channels_[static_cast<size_t>(index)] = {state, source};
}

void SnapshotBuilder::SetCategory(int index, ConsentState state, DecisionSource source) {
  if (index < 0 || static_cast<size_t>(index) >= snapshot_->categories_.size()) return;
  // A category the user cannot decline is always provided.
  if (!snapshot_->index_->optional[static_cast<size_t>(index)]) state = ConsentState::kGranted;
  snapshot_->categories_[static_cast<size_t>(index)] = {state, source};
}

void SnapshotBuilder::SetLocation(LocationPrecision precision, DecisionSource source) {
  snapshot_->location_precision_ = precision;
  snapshot_->location_source_ = source;
}

void SnapshotBuilder::ComputeAllowed() {
  ConsentSnapshot& s = *snapshot_;
  const internal::PolicyIndex& ix = *s.index_;
  const size_t n = ix.purpose_count;
  // 0 = not yet computed, 1 = being computed (a requirement cycle), 2 = done.
  std::vector<uint8_t> mark(n, 0);
  s.allowed_.assign(n, 0);
  // Iterative depth-first evaluation is overkill for policies of a few dozen purposes; recursion
  // depth is bounded by the number of purposes.
  struct Eval {
    const internal::PolicyIndex& ix;
    ConsentSnapshot& s;
    std::vector<uint8_t>& mark;
    bool operator()(int p) {
      if (p < 0) return false;
      const size_t i = static_cast<size_t>(p);
      if (mark[i] == 2) return s.allowed_[i] != 0;
      if (mark[i] == 1) return false;  // a cycle is never satisfied
      mark[i] = 1;
      bool ok = s.purposes_[i].first == ConsentState::kGranted;
      for (int r : ix.required[i]) ok = (*this)(r) && ok;
      s.allowed_[i] = ok;
      mark[i] = 2;
      return ok;
    }
  } eval{ix, s, mark};
  for (size_t p = 0; p < n; ++p) eval(static_cast<int>(p));
}

std::unique_ptr<const ConsentSnapshot> SnapshotBuilder::Build(uint64_t generation) {
  ComputeAllowed();
  snapshot_->generation_ = generation;
  return std::unique_ptr<const ConsentSnapshot>(snapshot_.release());
}

}  // namespace tacet::consent
