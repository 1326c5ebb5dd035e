#include "gate/location_gate.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "gate/location_snap.h"

namespace tacet::gate {

using internal::Level;
using platform::LocationPrecision;
using platform::Permission;
using platform::PermissionState;

namespace {

// A level is a precision; they are ordered kNone < kApproximate < kPrecise.
LocationPrecision PrecisionOf(Level level) { return static_cast<LocationPrecision>(level); }
Level LevelOf(LocationPrecision precision) { return static_cast<Level>(precision); }

// What a caller may ask for (Acquire and Check agree on it).
bool IsRequestable(LocationPrecision p) {
  return p == LocationPrecision::kApproximate || p == LocationPrecision::kPrecise;
}

// A provider that hands over NaN, infinite or out-of-range values has no position to give.
bool IsPosition(const platform::LocationFix& fix) {
  return std::isfinite(fix.latitude_deg) && std::isfinite(fix.longitude_deg) &&
         std::isfinite(fix.accuracy_m) && fix.latitude_deg >= -90 && fix.latitude_deg <= 90 &&
         fix.longitude_deg >= -180 && fix.longitude_deg <= 180 && fix.accuracy_m >= 0;
}

}  // namespace

LocationGate::LocationGate(consent::ConsentLedger& ledger, platform::LocationProvider& provider,
                           platform::PermissionProvider& permissions, platform::Clock& clock,
                           AccessLog& log, LocationGateOptions options)
    : provider_(provider),
      permissions_(permissions),
      options_(std::move(options)),
      core_({CaptureKind::kLocation, Permission::kLocation, options_.location_category,
             DenialReason::kLocationDataNotProvided},
            ledger, clock, log, *this) {}

LocationGate::~LocationGate() { core_.Close(); }

DenialReason LocationGate::CheckDevice(const consent::ConsentSnapshot& snapshot, Level requested,
                                       Level* granted) const noexcept {
  LocationPrecision user = snapshot.location_precision();
  if (user == LocationPrecision::kNone) return DenialReason::kNoConsent;
  if (permissions_.Query(Permission::kLocation) != PermissionState::kGranted) {
    return DenialReason::kOsPermissionDenied;
  }
  LocationPrecision os = permissions_.LocationPermissionPrecision();
  if (os == LocationPrecision::kNone) return DenialReason::kOsPermissionDenied;
  *granted = LevelOf(std::min({user, os, PrecisionOf(requested)}));
  return DenialReason::kNone;
}

Level LocationGate::RunAt(Level wanted) {
  if (PrecisionOf(wanted) != provider_precision_) {
    if (provider_precision_ != LocationPrecision::kNone) provider_.Stop();
    provider_precision_ = LocationPrecision::kNone;
    if (wanted != 0 && provider_.Start(PrecisionOf(wanted), this).ok()) {
      provider_precision_ = PrecisionOf(wanted);
    }
  }
  return LevelOf(provider_precision_);
}

void LocationGate::DescribeStart(Level requested, CaptureStart* start) const {
  start->requested_precision = PrecisionOf(requested);
}

void LocationGate::DescribeEnd(uint64_t delivered, Level finest, CaptureEnd* end) const {
  end->fixes = static_cast<int64_t>(delivered);
  end->delivered_precision = PrecisionOf(finest);
}

DenialReason LocationGate::Check(std::string_view purpose_id, LocationPrecision requested,
                                 LocationPrecision* effective) const noexcept {
  Level granted = 0;
  DenialReason denial = IsRequestable(requested)
                            ? core_.Check(purpose_id, LevelOf(requested), &granted)
                            : DenialReason::kInvalidRequest;
  if (effective != nullptr) *effective = PrecisionOf(granted);
  return denial;
}

LocationAcquireResult LocationGate::Acquire(std::string_view purpose_id, LocationPrecision requested,
                                            LocationFixSink* sink) {
  if (!IsRequestable(requested)) return {};  // kInvalidRequest, not logged
  return LocationAcquireResult(&core_, core_.Acquire(purpose_id, LevelOf(requested), sink));
}

void LocationGate::OnFix(const platform::LocationFix& fix) {
  // Drop a fix with no position rather than snap garbage (snapping NaN is undefined behaviour).
  if (!IsPosition(fix)) return;
  internal::PlatformCallbackScope in_callback;
  core_.Deliver([&fix](internal::CaptureSink& sink, Level level) {
    // Every sink in this gate's slots came through Acquire as a LocationFixSink.
    auto& fix_sink = static_cast<LocationFixSink&>(sink);
    LocationPrecision precision = PrecisionOf(level);
    if (precision == LocationPrecision::kPrecise) {
      fix_sink.OnLocationFix(fix, precision);
    } else {
      // Only the cell centre exists from here on; the raw fix stays the provider's.
      fix_sink.OnLocationFix(SnapToApproximate(fix), precision);
    }
  });
}

void LocationGate::OnConsentChanged(const consent::ConsentSnapshot&) { core_.Reconcile(); }

void LocationGate::OnPermissionChanged(Permission permission, PermissionState state) {
  core_.OnPermissionChanged(permission, state);
}

size_t LocationGate::sessions_in_use() { return core_.sessions_in_use(); }

LocationPrecision LocationGate::provider_precision() {
  return core_.ReadLocked([this] { return provider_precision_; });
}

}  // namespace tacet::gate
