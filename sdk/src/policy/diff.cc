#include "policy/diff.h"

#include <algorithm>

namespace tacet::policy {
namespace {

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

bool Contains(const std::vector<std::string_view>& list, std::string_view id) {
  return std::find(list.begin(), list.end(), id) != list.end();
}

// Ids in `in` whose lookup in `other` fails, in `in`'s order.
template <typename T, typename Find>
std::vector<std::string> Missing(const std::vector<T>& in, Find other) {
  std::vector<std::string> out;
  for (const T& entry : in) {
    if (other(entry.id) == nullptr) out.emplace_back(entry.id);
  }
  return out;
}

// Transforms are declared from weakest to strongest protection.
bool Weaker(Transform a, Transform b) { return static_cast<int>(a) < static_cast<int>(b); }

std::vector<std::string> WideningReasons(const Policy& old_policy, const Policy& new_policy,
                                         const Purpose& before, const Purpose& after) {
  std::vector<std::string> reasons;
  const std::string_view purpose = after.id;
  for (std::string_view category : after.categories) {
    if (!Contains(before.categories, category)) {
      reasons.push_back("now uses category " + Quote(category));
    }
  }
  for (std::string_view channel : after.channels) {
    if (!Contains(before.channels, channel)) reasons.push_back("now uses channel " + Quote(channel));
  }
  for (std::string_view required : before.required_purposes) {
    if (!Contains(after.required_purposes, required)) {
      reasons.push_back("no longer requires purpose " + Quote(required));
    }
  }
  if (before.legal_basis != after.legal_basis) {
    reasons.push_back(std::string("legal basis changed from ") + LegalBasisName(before.legal_basis) +
                      " to " + LegalBasisName(after.legal_basis));
  }
  if (before.refusable && !after.refusable) reasons.push_back("is no longer refusable");
  if (before.default_state == DefaultState::kDenied && after.default_state == DefaultState::kGranted) {
    reasons.push_back("is now granted by default");
  }

  for (const Recipient& recipient : new_policy.model().recipients) {
    const std::string_view rid = recipient.id;
    bool reached = false;
    for (const Grant& grant : recipient.grants) {
      if (grant.transform == Transform::kDrop || !Contains(grant.purposes, purpose)) continue;
      reached = true;
      const std::string_view category = grant.category;
      // Whether the old policy granted it at all; notice and legal process are compared below.
      const Decision was = old_policy.Disclosure(category, purpose, rid,
                                                 {/*user_notified=*/true, /*valid_legal_process=*/true});
      if (!was.allowed) {
        reasons.push_back("now goes to recipient " + Quote(rid) + " (category " + Quote(category) +
                          ", as " + TransformName(grant.transform) + ")");
      } else if (Weaker(grant.transform, was.transform)) {
        reasons.push_back("recipient " + Quote(rid) + " now gets category " + Quote(category) +
                          " as " + TransformName(grant.transform) + " instead of " +
                          TransformName(was.transform));
      }
    }
    const Recipient* old_recipient = old_policy.FindRecipient(rid);
    if (!reached || old_recipient == nullptr) continue;
    if (old_recipient->requires_notice && !recipient.requires_notice) {
      reasons.push_back("recipient " + Quote(rid) + " no longer requires notice to the user");
    }
    if (old_recipient->legal_process_only && !recipient.legal_process_only) {
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
  const PolicyModel& before = old_policy.model();
  const PolicyModel& after = new_policy.model();

  auto in_old = [&](auto find) { return [&old_policy, find](std::string_view id) { return (old_policy.*find)(id); }; };
  auto in_new = [&](auto find) { return [&new_policy, find](std::string_view id) { return (new_policy.*find)(id); }; };
  diff.added_purposes = Missing(after.purposes, in_old(&Policy::FindPurpose));
  diff.removed_purposes = Missing(before.purposes, in_new(&Policy::FindPurpose));
  diff.added_categories = Missing(after.categories, in_old(&Policy::FindCategory));
  diff.removed_categories = Missing(before.categories, in_new(&Policy::FindCategory));
  diff.added_recipients = Missing(after.recipients, in_old(&Policy::FindRecipient));
  diff.removed_recipients = Missing(before.recipients, in_new(&Policy::FindRecipient));
  diff.added_channels = Missing(after.channels, in_old(&Policy::FindChannel));
  diff.removed_channels = Missing(before.channels, in_new(&Policy::FindChannel));

  for (const Purpose& purpose : after.purposes) {
    const Purpose* previous = old_policy.FindPurpose(purpose.id);
    if (previous == nullptr) continue;
    std::vector<std::string> reasons = WideningReasons(old_policy, new_policy, *previous, purpose);
    if (reasons.empty()) {
      diff.unchanged_purposes.emplace_back(purpose.id);
    } else {
      diff.widened_purposes.push_back({std::string(purpose.id), std::move(reasons)});
    }
  }

  diff.old_controller = std::string(before.controller.name);
  diff.new_controller = std::string(after.controller.name);
  diff.controller_changed = diff.old_controller != diff.new_controller;
  return diff;
}

}  // namespace tacet::policy
