#include "policy/policy_test_util.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "policy/embedded_policy.h"

namespace tacet::policy::testing {
namespace {

template <typename T>
T& ById(std::vector<std::unique_ptr<T>>& list, std::string_view id) {
  for (auto& entry : list) {
    if (entry->id == id) return *entry;
  }
  std::fprintf(stderr, "test policy has no entry '%s'\n", std::string(id).c_str());
  std::abort();
}

}  // namespace

std::unique_ptr<fb::PolicyT> ShippedPolicyT() {
  return std::unique_ptr<fb::PolicyT>(fb::GetPolicy(EmbeddedPolicyBytes().data())->UnPack());
}

Bytes Pack(const fb::PolicyT& policy) {
  flatbuffers::FlatBufferBuilder builder;
  fb::FinishPolicyBuffer(builder, fb::Policy::Pack(builder, &policy));
  return Bytes(builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize());
}

fb::CategoryT& CategoryIn(fb::PolicyT& policy, std::string_view id) { return ById(policy.categories, id); }
fb::PurposeT& PurposeIn(fb::PolicyT& policy, std::string_view id) { return ById(policy.purposes, id); }
fb::RecipientT& RecipientIn(fb::PolicyT& policy, std::string_view id) { return ById(policy.recipients, id); }

}  // namespace tacet::policy::testing
