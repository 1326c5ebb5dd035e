// libFuzzer target for the policy loader: size limit, identifier, flatbuffers Verifier, semantic
// validation, the query tables built from a valid policy, the diff, and the manager's state-file
// decoder. Any crash, sanitizer report or broken invariant (abort) is a bug.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "policy/diff.h"
#include "policy_generated.h"
#include "policy/policy.h"
#include "policy/policy_state.h"

namespace {

using tacet::ByteView;
namespace policy = tacet::policy;

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

// Queries over (at most) the first few entries of each kind: every answer must be well formed.
void ExerciseQueries(const policy::Policy& p) {
  // The flatbuffer itself, to check the model and the lookups against it.
  const tacet::fb::Policy& root = *tacet::fb::GetPolicy(p.bytes().data());
  const auto* categories = root.categories();
  const auto* purposes = root.purposes();
  const auto* recipients = root.recipients();
  const uint32_t nc = categories->size() < 6 ? categories->size() : 6;
  const uint32_t np = purposes->size() < 6 ? purposes->size() : 6;
  const uint32_t nr = recipients == nullptr ? 0 : (recipients->size() < 6 ? recipients->size() : 6);
  for (uint32_t c = 0; c < nc; ++c) {
    const auto category = categories->Get(c)->id()->string_view();
    Check(p.FindCategory(category) == &p.model().categories[c] &&
              p.model().categories[c].id == category,
          "FindCategory finds the entry");
    for (uint32_t u = 0; u < np; ++u) {
      const auto purpose = purposes->Get(u)->id()->string_view();
      const policy::Decision use = p.MayUse(category, purpose);
      Check(use.allowed == (use.reason == policy::DecisionReason::kAllowed), "MayUse reason");
      for (uint32_t r = 0; r < nr; ++r) {
        const policy::Decision d =
            p.Disclosure(category, purpose, recipients->Get(r)->id()->string_view(), {true, true});
        Check(!d.allowed || use.allowed, "a disclosure needs the use to be allowed");
        Check(d.allowed || d.transform == policy::Transform::kDrop, "denied means drop");
      }
    }
  }
  Check(!p.MayUse("", "").allowed, "empty ids are denied");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView bytes(data, size);
  const policy::PolicyCheck check = policy::CheckPolicyBytes(bytes);
  auto loaded = policy::Policy::Load(bytes);
  Check(check.ok() == loaded.ok(), "CheckPolicyBytes and Load agree");
  if (loaded.ok()) {
    const policy::Policy& p = **loaded;
    ExerciseQueries(p);
    static auto embedded = policy::Policy::LoadEmbedded();
    Check(embedded.ok(), "the embedded policy loads");
    const policy::PolicyDiff forward = policy::DiffPolicies(**embedded, p);
    const policy::PolicyDiff backward = policy::DiffPolicies(p, **embedded);
    Check(forward.added_purposes.size() == backward.removed_purposes.size(), "diff symmetry");
    Check(forward.controller_changed == backward.controller_changed, "controller symmetry");
  }
  auto state = policy::DecodePolicyState(bytes);
  if (state.ok()) {
    Check(policy::EncodePolicyState(*state) == bytes.ToBytes(), "state round trip");
  }
  return 0;
}
