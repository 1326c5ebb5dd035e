#include "policy/diff.h"

#include <algorithm>

namespace tacet::policy {
namespace {

using StringList = flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>;

std::string_view Id(const flatbuffers::String* s) { return s ? s->string_view() : std::string_view(); }
std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

bool Contains(const StringList* list, std::string_view id) {
  if (list == nullptr) return false;
  return std::any_of(list->begin(), list->end(),
                     [&](const flatbuffers::String* s) { return s->string_view() == id; });
}

// Ids in `in` whose lookup in `other` fails, in `in`'s order.
template <typename T, typename Find>
std::vector<std::string> Missing(const flatbuffers::Vector<flatbuffers::Offset<T>>* in, Find other) {
  std::vector<std::string> out;
  if (in == nullptr) return out;
  for (const T* entry : *in) {
    if (other(entry->id()->string_view()) == nullptr) out.push_back(entry->id()->str());
  }
  return out;
}

// Transforms are declared from weakest to strongest protection.
bool Weaker(fb::Transform a, fb::Transform b) { return static_cast<int>(a) < static_cast<int>(b); }

std::vector<std::string> WideningReasons(const Policy& old_policy, const Policy& new_policy,
                                         const fb::Purpose& before, const fb::Purpose& after) {
  std::vector<std::string> reasons;
  const std::string_view purpose = Id(after.id());
  for (const flatbuffers::String* category : *after.categories()) {
    if (!Contains(before.categories(), category->string_view())) {
      reasons.push_back("now uses category " + Quote(category->string_view()));
    }
  }
  if (after.channels() != nullptr) {
    for (const flatbuffers::String* channel : *after.channels()) {
      if (!Contains(before.channels(), channel->string_view())) {
        reasons.push_back("now uses channel " + Quote(channel->string_view()));
      }
    }
  }
  if (before.required_purposes() != nullptr) {
    for (const flatbuffers::String* required : *before.required_purposes()) {
      if (!Contains(after.required_purposes(), required->string_view())) {
        reasons.push_back("no longer requires purpose " + Quote(required->string_view()));
      }
    }
  }
  if (before.legal_basis() != after.legal_basis()) {
    reasons.push_back(std::string("legal basis changed from ") + LegalBasisName(before.legal_basis()) +
                      " to " + LegalBasisName(after.legal_basis()));
  }
  if (before.refusable() && !after.refusable()) reasons.push_back("is no longer refusable");
  if (before.default_state() == fb::DefaultState::Denied &&
      after.default_state() == fb::DefaultState::Granted) {
    reasons.push_back("is now granted by default");
  }

  const auto* recipients = new_policy.root().recipients();
  if (recipients == nullptr) return reasons;
  for (const fb::Recipient* recipient : *recipients) {
    const std::string_view rid = Id(recipient->id());
    bool reached = false;
    for (const fb::Grant* grant : *recipient->grants()) {
      if (grant->transform() == fb::Transform::Drop || !Contains(grant->purposes(), purpose)) continue;
      reached = true;
      const std::string_view category = Id(grant->category());
      // Whether the old policy granted it at all; notice and legal process are compared below.
      const Decision was = old_policy.Disclosure(category, purpose, rid,
                                                 {/*user_notified=*/true, /*valid_legal_process=*/true});
      if (!was.allowed) {
        reasons.push_back("now goes to recipient " + Quote(rid) + " (category " + Quote(category) +
                          ", as " + TransformName(grant->transform()) + ")");
      } else if (Weaker(grant->transform(), was.transform)) {
        reasons.push_back("recipient " + Quote(rid) + " now gets category " + Quote(category) +
                          " as " + TransformName(grant->transform()) + " instead of " +
                          TransformName(was.transform));
      }
    }
    const fb::Recipient* old_recipient = old_policy.FindRecipient(rid);
    if (!reached || old_recipient == nullptr) continue;
    if (old_recipient->requires_notice() && !recipient->requires_notice()) {
      reasons.push_back("recipient " + Quote(rid) + " no longer requires notice to the user");
    }
    if (old_recipient->legal_process_only() && !recipient->legal_process_only()) {
      reasons.push_back("recipient " + Quote(rid) + " no longer requires a valid legal process");
    }
  }
  return reasons;
}

}  // namespace

std::vector<std::string> PolicyDiff::PurposesNeedingConsent() const {
  std::vector<std::string> out = added_purposes;
  for (const WidenedPurpose& w : widened_purposes) out.push_back(w.purpose);
  return out;
}

bool PolicyDiff::IsWidened(std::string_view purpose) const {
  return std::any_of(widened_purposes.begin(), widened_purposes.end(),
                     [&](const WidenedPurpose& w) { return w.purpose == purpose; });
}

PolicyDiff DiffPolicies(const Policy& old_policy, const Policy& new_policy) {
  PolicyDiff diff;
  diff.old_version = old_policy.version();
  diff.new_version = new_policy.version();
  const fb::Policy& before = old_policy.root();
  const fb::Policy& after = new_policy.root();

  auto in_old = [&](auto find) { return [&old_policy, find](std::string_view id) { return (old_policy.*find)(id); }; };
  auto in_new = [&](auto find) { return [&new_policy, find](std::string_view id) { return (new_policy.*find)(id); }; };
  diff.added_purposes = Missing(after.purposes(), in_old(&Policy::FindPurpose));
  diff.removed_purposes = Missing(before.purposes(), in_new(&Policy::FindPurpose));
  diff.added_categories = Missing(after.categories(), in_old(&Policy::FindCategory));
  diff.removed_categories = Missing(before.categories(), in_new(&Policy::FindCategory));
  diff.added_recipients = Missing(after.recipients(), in_old(&Policy::FindRecipient));
  diff.removed_recipients = Missing(before.recipients(), in_new(&Policy::FindRecipient));
  diff.added_channels = Missing(after.channels(), in_old(&Policy::FindChannel));
  diff.removed_channels = Missing(before.channels(), in_new(&Policy::FindChannel));

  for (const fb::Purpose* purpose : *after.purposes()) {
    const fb::Purpose* previous = old_policy.FindPurpose(Id(purpose->id()));
    if (previous == nullptr) continue;
    std::vector<std::string> reasons = WideningReasons(old_policy, new_policy, *previous, *purpose);
    if (reasons.empty()) {
      diff.unchanged_purposes.push_back(purpose->id()->str());
    } else {
      diff.widened_purposes.push_back({purpose->id()->str(), std::move(reasons)});
    }
  }

  diff.old_controller = before.controller()->name()->str();
  diff.new_controller = after.controller()->name()->str();
  diff.controller_changed = diff.old_controller != diff.new_controller;
  return diff;
}

}  // namespace tacet::policy
