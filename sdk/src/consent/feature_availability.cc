#include "consent/feature_availability.h"

#include <algorithm>

namespace tacet::consent {

const char* FeatureAvailabilityName(FeatureAvailability availability) {
  return NameOf(kFeatureAvailabilityNames, availability, "invalid");
}

std::vector<FeatureStatus> Features(const ConsentSnapshot& snapshot) {
  std::vector<FeatureStatus> out;
  const std::vector<policy::Category>& categories = snapshot.policy().model().categories;

  // Gather each feature once, with every category that must be provided for it.
  for (size_t c = 0; c < categories.size(); ++c) {
    const policy::Category* category = &categories[c];
    for (std::string_view name : category->features_unavailable_without) {
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const FeatureStatus& f) { return f.feature == name; });
      if (it == out.end()) {
        out.push_back(FeatureStatus{std::string(name), FeatureAvailability::kAvailable, {}, {}, {}});
        it = out.end() - 1;
      }
      if (snapshot.category(static_cast<int>(c)) != ConsentState::kGranted) {
        it->missing_categories.emplace_back(category->id);
      }
    }
  }

  for (FeatureStatus& f : out) {
    bool declined = false, unknown = false;
    for (const std::string& id : f.missing_categories) {
      const ConsentState state = snapshot.category(snapshot.CategoryIndex(id));
      (state == ConsentState::kDenied ? declined : unknown) = true;
      if (!f.reason.empty()) f.reason += "; ";
      f.reason += "needs category '" + id + "' (" +
                  (state == ConsentState::kDenied ? "declined" : "not asked") + ")";
    }
    const int purpose = snapshot.PurposeIndex(f.feature);
    if (purpose >= 0 && !snapshot.Allows(purpose)) {
      f.purpose_not_allowed = f.feature;
      // Denied: a refusal. Unknown (or granted while a required purpose is not): still open.
      const ConsentState state = snapshot.purpose(purpose);
      (state == ConsentState::kDenied ? declined : unknown) = true;
      if (!f.reason.empty()) f.reason += "; ";
      f.reason += "needs purpose '" + f.feature + "' (" + ConsentStateName(state) + ")";
    }
    f.availability = declined  ? FeatureAvailability::kDeclined
                     : unknown ? FeatureAvailability::kNotAsked
                               : FeatureAvailability::kAvailable;
  }
  return out;
}

}  // namespace tacet::consent
