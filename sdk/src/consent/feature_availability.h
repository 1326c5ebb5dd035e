// Which app features the user's choices leave available (issue 4, item 7).
//
// A policy category lists, in features_unavailable_without, the features that cannot work when
// the user declines it (voice_features without voice data; free_trial, paid_subscription and
// purchases without billing or payment data; contests, surveys and sweepstakes without contest
// answers). A feature that is also the id of a purpose (voice_features, location_features) needs
// that purpose allowed too. An app greys out what the user declined instead of nagging, and may
// ask about what was never asked.
#ifndef TACET_CONSENT_FEATURE_AVAILABILITY_H_
#define TACET_CONSENT_FEATURE_AVAILABILITY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/enum_names.h"
#include "consent/consent_snapshot.h"

namespace tacet::consent {

enum class FeatureAvailability : uint8_t {
  kAvailable,  // every category it needs is provided and its purpose (if any) is allowed
  kNotAsked,   // something it needs is still unknown: the app may ask
  kDeclined,   // the user declined something it needs: grey it out, do not nag
};

inline constexpr EnumName<FeatureAvailability> kFeatureAvailabilityNames[] = {
    {FeatureAvailability::kAvailable, "available"},
    {FeatureAvailability::kNotAsked, "not_asked"},
    {FeatureAvailability::kDeclined, "declined"},
};
static_assert(EnumNamesAreUnique(kFeatureAvailabilityNames));

// "available", "not_asked", "declined" ("invalid" out of range). Static storage.
const char* FeatureAvailabilityName(FeatureAvailability availability);

struct FeatureStatus {
  std::string feature;
  FeatureAvailability availability = FeatureAvailability::kNotAsked;
  // Optional categories it needs that are not provided (declined or never asked).
  std::vector<std::string> missing_categories;
  // The purpose of the same name when the policy has one and it is not allowed, else empty.
  std::string purpose_not_allowed;
  // One sentence for logs and settings screens, e.g. "needs category 'voice' (declined)".
  std::string reason;

  bool available() const { return availability == FeatureAvailability::kAvailable; }
};

// Every feature named by a category of the snapshot's policy, in the order they first appear.
// Allocates (not for the capture path). Thread-safe (the snapshot is immutable).
std::vector<FeatureStatus> Features(const ConsentSnapshot& snapshot);

}  // namespace tacet::consent

#endif  // TACET_CONSENT_FEATURE_AVAILABILITY_H_
