// Helpers for tests that need the shipped policy, or a variant of it, as bytes.
#ifndef TACET_POLICY_POLICY_TEST_UTIL_H_
#define TACET_POLICY_POLICY_TEST_UTIL_H_

#include <memory>
#include <string_view>

#include "base/bytes.h"
#include "policy_generated.h"

namespace tacet::policy::testing {

// The shipped policy as the object API's mutable tree (unpacked from the embedded bytes).
std::unique_ptr<fb::PolicyT> ShippedPolicyT();
// Serialises a policy tree with the "TPOL" identifier.
Bytes Pack(const fb::PolicyT& policy);

// Entries of a policy tree by id; abort the test binary if absent (a test bug).
fb::CategoryT& CategoryIn(fb::PolicyT& policy, std::string_view id);
fb::PurposeT& PurposeIn(fb::PolicyT& policy, std::string_view id);
fb::RecipientT& RecipientIn(fb::PolicyT& policy, std::string_view id);

}  // namespace tacet::policy::testing

#endif  // TACET_POLICY_POLICY_TEST_UTIL_H_
