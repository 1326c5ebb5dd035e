// DecideCollection: may data of a category be COLLECTED (captured by a gate, stored in the vault,
// recorded) for a purpose? The one rule every collecting module asks; see docs/consent.md,
// "Collecting: DecideCollection".
//
//   const ConsentSnapshot& s = ledger.snapshot();
//   CollectionDecision d = DecideCollection(s, "voice_features", "voice");
//   if (!d.allowed()) LOG("not collecting: %s", d.text());
//
// Collecting needs more than ConsentSnapshot::Allows (which also answers "may data already held
// be used or handed over"): the purpose must be a reason to collect at all. A legal obligation,
// and a legitimate interest the user cannot object to (safety and legal claims, a sale of the
// business, content reporting), are reasons to keep or hand over what is already held, never to
// collect more: they are granted by their legal basis, not by the user, so they never open the
// microphone or the location sensor and never make the vault store a value.
#ifndef TACET_CONSENT_COLLECTION_H_
#define TACET_CONSENT_COLLECTION_H_

#include <cstdint>
#include <string_view>

#include "base/enum_names.h"

namespace tacet::consent {

class ConsentSnapshot;

// Why collection is or is not allowed, in the order DecideCollection checks. Values may be added,
// never renumbered.
enum class CollectionReason : uint8_t {
  kAllowed = 0,
  kUnknownPurpose = 1,           // the policy has no purpose with that id
  kUnknownCategory = 2,          // the policy has no category with that id
  kNotUsedByPurpose = 3,         // the policy does not let the purpose use the category
  kNotACollectionBasis = 4,      // legal obligation or non-refusable legitimate interest
  kCategoryDeclined = 5,         // the user declined to provide the (optional) category
  kCategoryNotAsked = 6,         // the user was never asked for the (optional) category
  kPurposeRefused = 7,           // the user refused consent or objected to the purpose
  kPurposeNotAsked = 8,          // the user was never asked about the purpose
  kRequiredPurposeRefused = 9,   // a purpose in its required_purposes is refused
  kRequiredPurposeNotAsked = 10, // a purpose in its required_purposes was never asked
};

// Each reason's stable name and its sentence for people, in one table (base/enum_names.h).
struct CollectionReasonRow {
  CollectionReason value;
  const char* name;
  const char* text;
};
inline constexpr CollectionReasonRow kCollectionReasons[] = {
    {CollectionReason::kAllowed, "allowed", "the data may be collected for this purpose"},
    {CollectionReason::kUnknownPurpose, "unknown_purpose", "the policy has no such purpose"},
    {CollectionReason::kUnknownCategory, "unknown_category",
     "the policy has no such data category"},
    {CollectionReason::kNotUsedByPurpose, "not_used_by_purpose",
     "the policy does not let this purpose use this data category"},
    {CollectionReason::kNotACollectionBasis, "not_a_collection_basis",
     "a legal obligation or a legitimate interest the user cannot object to is a reason to keep "
     "or hand over data already held, not to collect it"},
    {CollectionReason::kCategoryDeclined, "category_declined",
     "the user declined to provide this data category"},
    {CollectionReason::kCategoryNotAsked, "category_not_asked",
     "the user was never asked whether to provide this data category"},
    {CollectionReason::kPurposeRefused, "purpose_refused",
     "the purpose is not allowed: the user refused or objected to it, or the policy has it off "
     "until the user turns it on"},
    {CollectionReason::kPurposeNotAsked, "purpose_not_asked",
     "the user was never asked about this purpose"},
    {CollectionReason::kRequiredPurposeRefused, "required_purpose_refused",
     "a purpose this one requires is not allowed"},
    {CollectionReason::kRequiredPurposeNotAsked, "required_purpose_not_asked",
     "the user was never asked about a purpose this one requires"},
};
static_assert(EnumNamesAreUnique(kCollectionReasons));

// "allowed", "unknown_purpose", ..., "required_purpose_not_asked"; "invalid" out of range.
// Static storage.
const char* CollectionReasonName(CollectionReason reason) noexcept;
// One sentence for a person or a log line, e.g. "a legal obligation or a legitimate interest the
// user cannot object to is a reason to keep or hand over data, not to collect it". Static storage.
const char* CollectionReasonText(CollectionReason reason) noexcept;

struct CollectionDecision {
  CollectionReason reason = CollectionReason::kUnknownPurpose;
  // The purpose (index into the snapshot's purposes) whose state decided: the purpose asked about,
  // or for kRequiredPurpose* the required purpose that is missing; -1 for an unknown purpose.
  int purpose_index = -1;

  bool allowed() const noexcept { return reason == CollectionReason::kAllowed; }
  const char* name() const noexcept { return CollectionReasonName(reason); }
  const char* text() const noexcept { return CollectionReasonText(reason); }
};

// True when the purpose's legal basis can be a reason to collect: consent, contract, or a
// legitimate interest the user can object to. False for a legal obligation, for a non-refusable
// legitimate interest, and for an out-of-range index. Whether the purpose is allowed right now is
// a separate question (DecideCollection).
bool IsCollectionBasis(const ConsentSnapshot& snapshot, int purpose_index) noexcept;

// May data of `category_index` be collected for `purpose_index` under `snapshot`? Allowed exactly
// when all of these hold; otherwise the first that fails, in this order:
//   1. both indices name an entry of the snapshot's policy (kUnknownPurpose, kUnknownCategory);
//   2. the policy lets the purpose use the category (Policy::MayUse; kNotUsedByPurpose);
//   3. the purpose is a collection basis (IsCollectionBasis; kNotACollectionBasis);
//   4. the category is provided — always true for a non-optional category (kCategoryDeclined,
//      kCategoryNotAsked);
//   5. the purpose is allowed: granted by the user (consent), not objected to (refusable
//      legitimate interest at its default or granted), or a contract purpose (kPurposeRefused,
//      kPurposeNotAsked);
//   6. every purpose in its required_purposes is allowed (ConsentSnapshot::Allows), named by
//      purpose_index (kRequiredPurposeRefused, kRequiredPurposeNotAsked).
// const, noexcept, lock-free and allocation-free (table lookups over the snapshot and policy), so
// a capture gate calls it per audio frame. Thread-safe.
CollectionDecision DecideCollection(const ConsentSnapshot& snapshot, int purpose_index,
                                    int category_index) noexcept;
// The same by id (binary search over the snapshot's sorted id tables).
CollectionDecision DecideCollection(const ConsentSnapshot& snapshot, std::string_view purpose_id,
                                    std::string_view category_id) noexcept;

}  // namespace tacet::consent

#endif  // TACET_CONSENT_COLLECTION_H_
