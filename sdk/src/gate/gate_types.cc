#include "gate/gate_types.h"

namespace tacet::gate {

const char* DenialReasonName(DenialReason r) { return NameOf(kDenialReasonNames, r, "invalid"); }
const char* EndReasonName(EndReason r) { return NameOf(kEndReasonNames, r, "invalid"); }
const char* CaptureOutcomeName(CaptureOutcome o) {
  return NameOf(kCaptureOutcomeNames, o, "invalid");
}
const char* CaptureKindName(CaptureKind k) { return NameOf(kCaptureKindNames, k, "invalid"); }

bool ParseDenialReason(std::string_view name, DenialReason* out) {
  return ParseName(kDenialReasonNames, name, out);
}
bool ParseCaptureOutcome(std::string_view name, CaptureOutcome* out) {
  return ParseName(kCaptureOutcomeNames, name, out);
}
bool ParseCaptureKind(std::string_view name, CaptureKind* out) {
  return ParseName(kCaptureKindNames, name, out);
}
bool ParseLocationPrecision(std::string_view name, platform::LocationPrecision* out) {
  return ParseName(platform::kLocationPrecisionNames, name, out);
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
