// Every enumerator of the consent vocabulary has exactly one stable name, and the name parses back
// to it through the same table (base/enum_names.h). The enumerators are listed here by hand, apart
// from the tables, so a missing or wrong row fails.
#include <gtest/gtest.h>

#include <iterator>
#include <set>
#include <string>

#include "consent/collection.h"
#include "consent/consent_types.h"
#include "consent/feature_availability.h"

namespace tacet::consent {
namespace {

// Name -> parse for each of `all`; names distinct and never the fallback; no extra rows.
template <typename Enum, typename Table, size_t N, typename NameFn>
void ExpectRoundTrip(const Table& table, const Enum (&all)[N], NameFn name_of) {
  std::set<std::string> names;
  for (Enum value : all) {
    const std::string name = name_of(value);
    SCOPED_TRACE(name);
    EXPECT_NE(name, "invalid");
    EXPECT_EQ(ParseName(table, name), value);
    EXPECT_TRUE(names.insert(name).second) << "two enumerators share a name";
  }
  EXPECT_EQ(std::size(table), N) << "the table has a row for a value that is not an enumerator";
}

TEST(ConsentNamesTest, EveryEnumeratorRoundTrips) {
  const ConsentState states[] = {ConsentState::kUnknown, ConsentState::kGranted,
                                 ConsentState::kDenied};
  ExpectRoundTrip(kConsentStateNames, states, ConsentStateName);

  const DecisionSource sources[] = {DecisionSource::kUser, DecisionSource::kOsPermission,
                                    DecisionSource::kPolicyUpdate, DecisionSource::kImport,
                                    DecisionSource::kPolicyDefault};
  ExpectRoundTrip(kDecisionSourceNames, sources, DecisionSourceName);

  const SubjectKind kinds[] = {SubjectKind::kPurpose, SubjectKind::kChannel,
                               SubjectKind::kCategory, SubjectKind::kLocation};
  ExpectRoundTrip(kSubjectKindNames, kinds, SubjectKindName);

  const FeatureAvailability availabilities[] = {
      FeatureAvailability::kAvailable, FeatureAvailability::kNotAsked,
      FeatureAvailability::kDeclined};
  ExpectRoundTrip(kFeatureAvailabilityNames, availabilities, FeatureAvailabilityName);

  const CollectionReason reasons[] = {
      CollectionReason::kAllowed,           CollectionReason::kUnknownPurpose,
      CollectionReason::kUnknownCategory,   CollectionReason::kNotUsedByPurpose,
      CollectionReason::kNotACollectionBasis, CollectionReason::kCategoryDeclined,
      CollectionReason::kCategoryNotAsked,  CollectionReason::kPurposeRefused,
      CollectionReason::kPurposeNotAsked,   CollectionReason::kRequiredPurposeRefused,
      CollectionReason::kRequiredPurposeNotAsked};
  ExpectRoundTrip(kCollectionReasons, reasons, CollectionReasonName);
  for (CollectionReason r : reasons) {
    EXPECT_STRNE(CollectionReasonText(r), "invalid collection reason") << CollectionReasonName(r);
  }
}

TEST(ConsentNamesTest, OutOfRangeValuesHaveTheFallbackName) {
  EXPECT_STREQ(ConsentStateName(static_cast<ConsentState>(3)), "invalid");
  EXPECT_STREQ(DecisionSourceName(static_cast<DecisionSource>(0)), "invalid");
  EXPECT_STREQ(SubjectKindName(static_cast<SubjectKind>(4)), "invalid");
  EXPECT_STREQ(FeatureAvailabilityName(static_cast<FeatureAvailability>(3)), "invalid");
  EXPECT_STREQ(CollectionReasonName(static_cast<CollectionReason>(11)), "invalid");
  EXPECT_STREQ(CollectionReasonText(static_cast<CollectionReason>(11)),
               "invalid collection reason");
}

}  // namespace
}  // namespace tacet::consent
