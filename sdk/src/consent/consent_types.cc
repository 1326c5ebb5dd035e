#include "consent/consent_types.h"

namespace tacet::consent {

const char* ConsentStateName(ConsentState state) {
  return NameOf(kConsentStateNames, state, "invalid");
}

const char* DecisionSourceName(DecisionSource source) {
  return NameOf(kDecisionSourceNames, source, "invalid");
}

const char* SubjectKindName(SubjectKind kind) { return NameOf(kSubjectKindNames, kind, "invalid"); }

bool IsValidConsentState(int value) { return value >= 0 && value <= 2; }
bool IsValidDecisionSource(int value) { return value >= 1 && value <= 5; }
bool IsValidLocationPrecision(int value) { return value >= 0 && value <= 2; }

std::string SubjectKey(SubjectKind kind, std::string_view id) {
  if (kind == SubjectKind::kLocation) return "location";
  std::string key = SubjectKindName(kind);
  key += ':';
  key.append(id.data(), id.size());
  return key;
}

StatusOr<Subject> ParseSubjectKey(std::string_view key) {
  if (key == "location") return Subject{SubjectKind::kLocation, ""};
  for (SubjectKind kind : {SubjectKind::kPurpose, SubjectKind::kChannel, SubjectKind::kCategory}) {
    const std::string_view prefix = SubjectKindName(kind);
    if (key.size() > prefix.size() + 1 && key.substr(0, prefix.size()) == prefix &&
        key[prefix.size()] == ':') {
      return Subject{kind, std::string(key.substr(prefix.size() + 1))};
    }
  }
  return InvalidArgumentError("consent: '" + std::string(key) +
                              "' is not a subject (purpose:<id>, channel:<id>, category:<id> or "
                              "location)");
}

}  // namespace tacet::consent
