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

#include <array>
#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>

#include "consent/consent_ledger.h"
#include "gate/access_log.h"
#include "gate/gate_types.h"
#include "gate/internal/control.h"
#include "gate/internal/session_slot.h"
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
class LocationFixSink {
 public:
  virtual ~LocationFixSink() = default;
  // `fix` is already coarsened to `precision` (kApproximate or kPrecise); valid during the call.
  virtual void OnLocationFix(const platform::LocationFix& fix, platform::LocationPrecision precision) = 0;
  // The gate ended the session (never called for kCompletedByCaller).
  virtual void OnSessionEnded(EndReason reason) = 0;
};

class LocationGate;
// A granted location capture: move-only RAII handle (internal/session_slot.h). delivered()
// counts fixes.
using LocationSession = internal::SessionHandle<LocationGate>;
using LocationAcquireResult = internal::AcquireResult<LocationSession>;

struct LocationGateOptions {
  std::string location_category = "location";  // the policy category that covers location
};

inline constexpr size_t kMaxLocationSessions = 4;

// Thread-safety and registration as for VoiceGate: Acquire and Check from any thread except
// inside a sink callback; registers itself with the ledger; register it (or a PermissionFanout)
// with the PermissionProvider yourself. Everything passed in must outlive the gate; every
// session must be gone before the gate is destroyed.
class LocationGate final : public consent::ConsentListener,
                           public platform::PermissionListener,
                           private platform::LocationSink {
 public:
  LocationGate(consent::ConsentLedger& ledger, platform::LocationProvider& provider,
               platform::PermissionProvider& permissions, platform::Clock& clock, AccessLog& log,
               LocationGateOptions options = {});
  ~LocationGate() override;
  LocationGate(const LocationGate&) = delete;
  LocationGate& operator=(const LocationGate&) = delete;

  // Opens a location capture for `purpose_id` at no more than `requested` (kApproximate or
  // kPrecise; kNone is kInvalidRequest), delivering to `sink`. Records the grant or denial.
  LocationAcquireResult Acquire(std::string_view purpose_id, platform::LocationPrecision requested,
                                LocationFixSink* sink);
  // What Acquire would answer now; *effective (if not null) gets the precision fixes would have.
  // Lock-free; no logging.
  DenialReason Check(std::string_view purpose_id, platform::LocationPrecision requested,
                     platform::LocationPrecision* effective = nullptr) const noexcept;

  void OnConsentChanged(const consent::ConsentSnapshot& snapshot) override;
  void OnPermissionChanged(platform::Permission permission, platform::PermissionState state) override;

  size_t sessions_in_use();
  // The precision the provider was started with (kNone when stopped).
  platform::LocationPrecision provider_precision();

 private:
  friend LocationSession;
  using Slot = internal::Slot<LocationFixSink>;

  void OnFix(const platform::LocationFix& fix) override;

  // `target`: the session's resolved purpose and category (per-fix re-checks), or null.
  DenialReason Evaluate(const consent::ConsentSnapshot& snapshot, std::string_view purpose_id,
                        platform::LocationPrecision requested,
                        platform::LocationPrecision* effective,
                        const internal::CollectionTarget* target = nullptr) const noexcept;
  void EndAll(EndReason reason);
  void Reconcile();
  void ReconcileLocked();

  const internal::SessionState& slot_state(size_t i) const noexcept { return slots_[i].state; }
  uint64_t slot_delivered(size_t i) const noexcept {
    return slots_[i].delivered.load(std::memory_order_relaxed);
  }
  void Release(size_t slot, EndReason* end, uint64_t* delivered);

  consent::ConsentLedger& ledger_;
  platform::LocationProvider& provider_;
  platform::PermissionProvider& permissions_;
  platform::Clock& clock_;
  AccessLog& log_;
  const LocationGateOptions options_;

  internal::Control control_;
  std::array<Slot, kMaxLocationSessions> slots_;
  // Per slot, set before Publish: what the caller asked for; and the finest precision delivered.
  std::array<platform::LocationPrecision, kMaxLocationSessions> requested_{};
  std::array<std::atomic<uint8_t>, kMaxLocationSessions> finest_delivered_{};
  platform::LocationPrecision provider_precision_ = platform::LocationPrecision::kNone;  // control
};

}  // namespace tacet::gate

#endif  // TACET_GATE_LOCATION_GATE_H_
