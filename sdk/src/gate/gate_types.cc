#include "gate/gate_types.h"

namespace tacet::gate {
namespace {

// Looks a name up in a table indexed by the enum's numeric value.
template <typename Enum, size_t N>
bool ParseByTable(const char* const (&names)[N], std::string_view name, Enum* out) {
  for (size_t i = 0; i < N; ++i) {
    if (name == names[i]) {
      *out = static_cast<Enum>(i);
      return true;
    }
  }
  return false;
}

template <size_t N>
const char* NameByTable(const char* const (&names)[N], size_t value) {
  return value < N ? names[value] : "invalid";
}

constexpr const char* kDenialNames[] = {
    "none",
    "purpose_not_allowed_by_policy",
    "voice_data_not_provided",
    "location_data_not_provided",
    "consent_unknown",
    "no_consent",
    "os_permission_denied",
    "hardware_muted",
    "too_many_sessions",
    "device_unavailable",
    "access_log_unavailable",
    "invalid_request",
    "not_a_collection_basis",
};
constexpr const char* kEndNames[] = {
    "none",           "completed_by_caller", "consent_withdrawn", "os_permission_lost",
    "hardware_muted", "device_error",        "gate_closed",
};
constexpr const char* kOutcomeNames[] = {
    "open",
    "completed",
    "ended_by_revocation",
    "ended_by_permission_loss",
    "ended_by_mute",
    "ended_by_device_error",
    "ended_by_gate_closed",
    "denied",
    "interrupted",
};
constexpr const char* kKindNames[] = {"invalid", "voice", "location"};
constexpr const char* kPrecisionNames[] = {"none", "approximate", "precise"};

}  // namespace

const char* DenialReasonName(DenialReason r) { return NameByTable(kDenialNames, static_cast<size_t>(r)); }
const char* EndReasonName(EndReason r) { return NameByTable(kEndNames, static_cast<size_t>(r)); }
const char* CaptureOutcomeName(CaptureOutcome o) {
  return NameByTable(kOutcomeNames, static_cast<size_t>(o));
}
const char* CaptureKindName(CaptureKind k) { return NameByTable(kKindNames, static_cast<size_t>(k)); }

bool ParseDenialReason(std::string_view name, DenialReason* out) {
  return ParseByTable(kDenialNames, name, out);
}
bool ParseCaptureOutcome(std::string_view name, CaptureOutcome* out) {
  return ParseByTable(kOutcomeNames, name, out);
}
bool ParseCaptureKind(std::string_view name, CaptureKind* out) {
  if (name == kKindNames[0]) return false;
  return ParseByTable(kKindNames, name, out);
}
bool ParseLocationPrecision(std::string_view name, platform::LocationPrecision* out) {
  return ParseByTable(kPrecisionNames, name, out);
}

CaptureOutcome OutcomeFor(EndReason reason) {
  switch (reason) {
    case EndReason::kNone: return CaptureOutcome::kOpen;
    case EndReason::kCompletedByCaller: return CaptureOutcome::kCompleted;
    case EndReason::kConsentWithdrawn: return CaptureOutcome::kEndedByRevocation;
    case EndReason::kOsPermissionLost: return CaptureOutcome::kEndedByPermissionLoss;
    case EndReason::kHardwareMuted: return CaptureOutcome::kEndedByMute;
    case EndReason::kDeviceError: return CaptureOutcome::kEndedByDeviceError;
    case EndReason::kGateClosed: return CaptureOutcome::kEndedByGateClosed;
  }
  return CaptureOutcome::kOpen;
}

}  // namespace tacet::gate
