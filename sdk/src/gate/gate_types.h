// Vocabulary shared by the voice gate, the location gate and the access log: why a capture was
// refused, why an open capture ended, and how the access log records it.
//
// Every name below is stable: it is written into the access log (gate_access_log) and read back
// by the privacy report, so a value may be added but never renamed or renumbered.
#ifndef TACET_GATE_GATE_TYPES_H_
#define TACET_GATE_GATE_TYPES_H_

#include <cstdint>
#include <string_view>

#include "base/enum_names.h"
#include "tacet/platform/permissions.h"

namespace tacet::gate {

enum class CaptureKind : uint8_t { kVoice = 1, kLocation = 2 };

// Why Acquire refused. The gates check in this order and report the first failure:
//   policy → collection basis → category provided → consent → OS permission → hardware mute →
//   capacity/device. The consent half is consent::DecideCollection (internal/consent_check.h).
enum class DenialReason : uint8_t {
  kNone = 0,                       // not denied
  kPurposeNotAllowedByPolicy = 1,  // unknown purpose, or the policy does not let it use the data
  kVoiceDataNotProvided = 2,       // the user declined to provide voice data (optional category)
  kLocationDataNotProvided = 3,    // the user declined to provide location data
  kConsentUnknown = 4,             // the user was never asked (or the answer was lost): ask
  kNoConsent = 5,                  // the user refused (or location precision is off)
  kOsPermissionDenied = 6,         // the OS permission is denied or not determined
  kHardwareMuted = 7,              // the physical microphone switch is engaged
  kTooManySessions = 8,            // every session slot of the gate is in use
  kDeviceUnavailable = 9,          // the microphone or location provider refused to start
  kAccessLogUnavailable = 10,      // the capture could not be recorded, so it is not started
  kInvalidRequest = 11,            // null sink, precision kNone, or called from a gate callback
  kNotACollectionBasis = 12,       // the purpose's legal basis (a legal obligation, a legitimate
                                   // interest the user cannot object to) is no reason to capture
};

// Why an open session ended.
enum class EndReason : uint8_t {
  kNone = 0,               // still open
  kCompletedByCaller = 1,  // the caller ended or destroyed the session (no sink callback)
  kConsentWithdrawn = 2,   // consent revoked, data category declined, or policy changed
  kOsPermissionLost = 3,   // the OS permission was withdrawn
  kHardwareMuted = 4,      // the physical mute switch was engaged
  kDeviceError = 5,        // the microphone or location driver stopped on its own
  kGateClosed = 6,         // the gate was destroyed with the session open (a caller bug)
};

// How a capture appears in the access log.
enum class CaptureOutcome : uint8_t {
  kOpen = 0,                   // still running (or the process is running it right now)
  kCompleted = 1,              // ended by the caller
  kEndedByRevocation = 2,      // EndReason::kConsentWithdrawn
  kEndedByPermissionLoss = 3,  // EndReason::kOsPermissionLost
  kEndedByMute = 4,            // EndReason::kHardwareMuted
  kEndedByDeviceError = 5,     // EndReason::kDeviceError
  kEndedByGateClosed = 6,      // EndReason::kGateClosed
  kDenied = 7,                 // refused at Acquire; `reason` says why
  kInterrupted = 8,            // found open when the log was reopened: the process died mid-capture
};

// The stable snake_case names, one table per enum read both ways (base/enum_names.h).
inline constexpr EnumName<CaptureKind> kCaptureKindNames[] = {
    {CaptureKind::kVoice, "voice"},
    {CaptureKind::kLocation, "location"},
};
inline constexpr EnumName<DenialReason> kDenialReasonNames[] = {
    {DenialReason::kNone, "none"},
    {DenialReason::kPurposeNotAllowedByPolicy, "purpose_not_allowed_by_policy"},
    {DenialReason::kVoiceDataNotProvided, "voice_data_not_provided"},
    {DenialReason::kLocationDataNotProvided, "location_data_not_provided"},
    {DenialReason::kConsentUnknown, "consent_unknown"},
    {DenialReason::kNoConsent, "no_consent"},
    {DenialReason::kOsPermissionDenied, "os_permission_denied"},
    {DenialReason::kHardwareMuted, "hardware_muted"},
    {DenialReason::kTooManySessions, "too_many_sessions"},
    {DenialReason::kDeviceUnavailable, "device_unavailable"},
    {DenialReason::kAccessLogUnavailable, "access_log_unavailable"},
    {DenialReason::kInvalidRequest, "invalid_request"},
    {DenialReason::kNotACollectionBasis, "not_a_collection_basis"},
};
inline constexpr EnumName<EndReason> kEndReasonNames[] = {
    {EndReason::kNone, "none"},
    {EndReason::kCompletedByCaller, "completed_by_caller"},
    {EndReason::kConsentWithdrawn, "consent_withdrawn"},
    {EndReason::kOsPermissionLost, "os_permission_lost"},
    {EndReason::kHardwareMuted, "hardware_muted"},
    {EndReason::kDeviceError, "device_error"},
    {EndReason::kGateClosed, "gate_closed"},
};
inline constexpr EnumName<CaptureOutcome> kCaptureOutcomeNames[] = {
    {CaptureOutcome::kOpen, "open"},
    {CaptureOutcome::kCompleted, "completed"},
    {CaptureOutcome::kEndedByRevocation, "ended_by_revocation"},
    {CaptureOutcome::kEndedByPermissionLoss, "ended_by_permission_loss"},
    {CaptureOutcome::kEndedByMute, "ended_by_mute"},
    {CaptureOutcome::kEndedByDeviceError, "ended_by_device_error"},
    {CaptureOutcome::kEndedByGateClosed, "ended_by_gate_closed"},
    {CaptureOutcome::kDenied, "denied"},
    {CaptureOutcome::kInterrupted, "interrupted"},
};
static_assert(EnumNamesAreUnique(kCaptureKindNames) && EnumNamesAreUnique(kDenialReasonNames) &&
              EnumNamesAreUnique(kEndReasonNames) && EnumNamesAreUnique(kCaptureOutcomeNames));

// Stable snake_case names ("purpose_not_allowed_by_policy", "consent_withdrawn",
// "ended_by_revocation", ...). Static storage; "invalid" for a value out of range.
const char* DenialReasonName(DenialReason reason);
const char* EndReasonName(EndReason reason);
const char* CaptureOutcomeName(CaptureOutcome outcome);
const char* CaptureKindName(CaptureKind kind);

// The inverse of the names above (ParseLocationPrecision of platform::LocationPrecisionName);
// false (and *out untouched) for an unknown name.
bool ParseDenialReason(std::string_view name, DenialReason* out);
bool ParseCaptureOutcome(std::string_view name, CaptureOutcome* out);
bool ParseCaptureKind(std::string_view name, CaptureKind* out);
bool ParseLocationPrecision(std::string_view name, platform::LocationPrecision* out);

// kCompleted for kCompletedByCaller, kEndedBy... for the others, kOpen for kNone.
CaptureOutcome OutcomeFor(EndReason reason);

}  // namespace tacet::gate

#endif  // TACET_GATE_GATE_TYPES_H_
