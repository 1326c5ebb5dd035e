// LocationGate: the only way location fixes reach a purpose, and never more precise than allowed.
//
//   LocationAcquireResult r = gate.Acquire("location_features", LocationPrecision::kPrecise, &sink);
//   if (!r.granted()) { ShowWhy(r.denial()); return; }
//   LocationSession session = std::move(r.session());
//
// Acquire checks, in order, and reports the first failure (docs/gates.md): the policy lets the
// purpose use the location category (kPurposeNotAllowedByPolicy); the purpose's legal basis is a
// reason to collect, never a legal obligation or a legitimate interest the user cannot object to
// (kNotACollectionBasis); the user provides location data
// (kLocationDataNotProvided / kConsentUnknown); consent for the purpose and its required purposes
// (kNoConsent / kConsentUnknown; location_advertising needs location_features and advertising
// too); the user's location precision is not off (kNoConsent); the OS location permission
// (kOsPermissionDenied); then a free slot, the provider starting and the access log.
//
// Each fix is handed over at min(the user's precision, the OS precision, the requested
// precision), all three re-read for every fix, so a revocation ends the session and a downgrade
// coarsens from the next fix on. An approximate fix is SnapToApproximate(raw): the raw
// coordinates are never stored, logged or passed on (the gate keeps no copy of any fix).
#ifndef TACET_GATE_LOCATION_GATE_H_
#define TACET_GATE_LOCATION_GATE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "consent/consent_ledger.h"
#include "gate/access_log.h"
#include "gate/gate_types.h"
#include "gate/internal/capture_gate_core.h"
#include "gate/internal/session_handle.h"
#include "tacet/platform/clock.h"
#include "tacet/platform/location.h"
#include "tacet/platform/permissions.h"

namespace tacet::gate {

// Receives one session's fixes. Not owned by the gate; must outlive the session.
// Thread: OnLocationFix runs on the provider's thread (emulator: inside AdvanceBy; posix: the
// thread calling InjectedLocationProvider::Push); OnSessionEnded on whichever thread ended the
// session. They never overlap and nothing follows OnSessionEnded. Neither may block or call
// LocationGate::Acquire; a sink may End() or destroy its own session from inside them.
// Nor may they call the consent ledger's mutating methods: those block, and a thread committing
// consent may be waiting (through the gate) for this very callback to return.
class LocationFixSink : public internal::CaptureSink {
 public:
  ~LocationFixSink() override = default;
  // `fix` is already coarsened to `precision` (kApproximate or kPrecise); valid during the call.
  virtual void OnLocationFix(const platform::LocationFix& fix, platform::LocationPrecision precision) = 0;
  // The gate ended the session (never called for kCompletedByCaller).
  void OnSessionEnded(EndReason reason) override = 0;
};

class LocationGate;
// A granted location capture: move-only RAII handle (internal/session_handle.h). delivered()
// counts fixes.
using LocationSession = internal::SessionHandle<LocationGate>;
using LocationAcquireResult = internal::AcquireResult<LocationSession>;

struct LocationGateOptions {
  std::string location_category = "location";  // the policy category that covers location
};

inline constexpr size_t kMaxLocationSessions = internal::kMaxSessionsPerGate;

// Thread-safety and registration as for VoiceGate: Acquire and Check from any thread except
// inside a sink callback; registers itself with the ledger; register it (or a PermissionFanout)
// with the PermissionProvider yourself. Everything passed in must outlive the gate; every
// session must be gone before the gate is destroyed. The session life cycle is
// internal::CaptureGateCore, shared with VoiceGate; this class is the location side of it.
class LocationGate final : public consent::ConsentListener,
                           public platform::PermissionListener,
                           private platform::LocationSink,
                           private internal::CaptureDevice {
 public:
  LocationGate(consent::ConsentLedger& ledger, platform::LocationProvider& provider,
               platform::PermissionProvider& permissions, platform::Clock& clock, AccessLog& log,
               LocationGateOptions options = {});
  ~LocationGate() override;
  LocationGate(const LocationGate&) = delete;
  LocationGate& operator=(const LocationGate&) = delete;

  // Opens a location capture for `purpose_id` at no more than `requested` (kApproximate or
  // kPrecise; anything else is kInvalidRequest), delivering to `sink`. Records the grant or denial.
  LocationAcquireResult Acquire(std::string_view purpose_id, platform::LocationPrecision requested,
                                LocationFixSink* sink);
  // What Acquire would answer now (kInvalidRequest for a precision Acquire refuses); *effective
  // (if not null) gets the precision fixes would have. Lock-free; no logging.
  DenialReason Check(std::string_view purpose_id, platform::LocationPrecision requested,
                     platform::LocationPrecision* effective = nullptr) const noexcept;

  // The gate's own consent registration is made by its core; OnConsentChanged does the same.
  void OnConsentChanged(const consent::ConsentSnapshot& snapshot) override;
  void OnPermissionChanged(platform::Permission permission, platform::PermissionState state) override;

  size_t sessions_in_use();
  // The precision the provider was started with (kNone when stopped).
  platform::LocationPrecision provider_precision();

 private:
  // LocationSink (provider thread).
  void OnFix(const platform::LocationFix& fix) override;

  // CaptureDevice: the user's precision, the OS permission and precision; the provider's
  // precision. Levels are LocationPrecision values.
  DenialReason CheckDevice(const consent::ConsentSnapshot& snapshot, internal::Level requested,
                           internal::Level* granted) const noexcept override;
  internal::Level RunAt(internal::Level wanted) override;
  void DescribeStart(internal::Level requested, CaptureStart* start) const override;
  void DescribeEnd(uint64_t delivered, internal::Level finest, CaptureEnd* end) const override;

  platform::LocationProvider& provider_;
  platform::PermissionProvider& permissions_;
  const LocationGateOptions options_;
  platform::LocationPrecision provider_precision_ = platform::LocationPrecision::kNone;  // control
  internal::CaptureGateCore core_;  // last: it may call the device as soon as it is registered
};

}  // namespace tacet::gate

#endif  // TACET_GATE_LOCATION_GATE_H_
