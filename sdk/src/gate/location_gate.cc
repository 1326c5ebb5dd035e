#include "gate/location_gate.h"

#include <cmath>
#include <algorithm>
#include <thread>
#include <utility>

#include "gate/internal/consent_check.h"
#include "gate/location_snap.h"

namespace tacet::gate {

using internal::SessionState;
using platform::LocationPrecision;
using platform::Permission;
using platform::PermissionState;

namespace {

// Precisions are ordered kNone < kApproximate < kPrecise.
LocationPrecision Coarser(LocationPrecision a, LocationPrecision b) { return std::min(a, b); }

// How an Evaluate failure ends an open session.
SessionState::End EndFor(DenialReason denial) {
  if (denial == DenialReason::kOsPermissionDenied) {
    return {EndReason::kOsPermissionLost, DenialReason::kNone};
  }
  return {EndReason::kConsentWithdrawn, denial};
}

}  // namespace

LocationGate::LocationGate(consent::ConsentLedger& ledger, platform::LocationProvider& provider,
                           platform::PermissionProvider& permissions, platform::Clock& clock,
                           AccessLog& log, LocationGateOptions options)
    : ledger_(ledger),
      provider_(provider),
      permissions_(permissions),
      clock_(clock),
      log_(log),
      options_(std::move(options)) {
  ledger_.AddListener(this);
}

LocationGate::~LocationGate() {
  ledger_.RemoveListener(this);
  EndAll(EndReason::kGateClosed);
  for (Slot& slot : slots_) {
    while (slot.state.live()) std::this_thread::yield();
    slot.released.store(true, std::memory_order_release);
  }
  Reconcile();
  std::lock_guard<std::mutex> lock(control_.mutex());
  if (provider_precision_ != LocationPrecision::kNone) provider_.Stop();
  provider_precision_ = LocationPrecision::kNone;
}

DenialReason LocationGate::Evaluate(const consent::ConsentSnapshot& snapshot,
                                    std::string_view purpose_id, LocationPrecision requested,
                                    LocationPrecision* effective,
                                    const internal::CollectionTarget* target) const noexcept {
  *effective = LocationPrecision::kNone;
  DenialReason consent =
      target != nullptr
          ? internal::CheckConsent(snapshot, *target, purpose_id, options_.location_category,
                                   DenialReason::kLocationDataNotProvided)
          : internal::CheckConsent(snapshot, purpose_id, options_.location_category,
                                   DenialReason::kLocationDataNotProvided);
  if (consent != DenialReason::kNone) return consent;
  LocationPrecision user = snapshot.location_precision();
  if (user == LocationPrecision::kNone) return DenialReason::kNoConsent;
  if (permissions_.Query(Permission::kLocation) != PermissionState::kGranted) {
    return DenialReason::kOsPermissionDenied;
  }
  LocationPrecision os = permissions_.LocationPermissionPrecision();
  if (os == LocationPrecision::kNone) return DenialReason::kOsPermissionDenied;
  *effective = Coarser(Coarser(user, os), requested);
  return DenialReason::kNone;
}

DenialReason LocationGate::Check(std::string_view purpose_id, LocationPrecision requested,
                                 LocationPrecision* effective) const noexcept {
  LocationPrecision ignored;
  if (requested == LocationPrecision::kNone) return DenialReason::kInvalidRequest;
  return Evaluate(ledger_.snapshot(), purpose_id, requested, effective ? effective : &ignored);
}

LocationAcquireResult LocationGate::Acquire(std::string_view purpose_id, LocationPrecision requested,
                                            LocationFixSink* sink) {
  if (sink == nullptr || purpose_id.empty() || requested == LocationPrecision::kNone ||
      requested > LocationPrecision::kPrecise || internal::InPlatformCallback() ||
      internal::t_sink_slot != nullptr) {
    return {};  // kInvalidRequest: a caller bug, not an access attempt, so not logged
  }
  CaptureStart start;
  start.kind = CaptureKind::kLocation;
  start.purpose_id = purpose_id;
  start.requested_precision = requested;
  start.started_unix_ms = clock_.NowUnixMillis();
  LocationPrecision effective;
  const consent::ConsentSnapshot& snapshot = ledger_.snapshot();
  DenialReason denial = Evaluate(snapshot, purpose_id, requested, &effective);
  LocationSession session;
  {
    std::lock_guard<std::mutex> lock(control_.mutex());
    size_t index = slots_.size();
    if (denial == DenialReason::kNone) {
      for (size_t i = 0; i < slots_.size(); ++i) {
        if (slots_[i].state.phase() == SessionState::kFree) {
          index = i;
          break;
        }
      }
      if (index == slots_.size()) denial = DenialReason::kTooManySessions;
    }
    if (denial == DenialReason::kNone && provider_precision_ < effective) {
      if (provider_precision_ != LocationPrecision::kNone) provider_.Stop();
      provider_precision_ = LocationPrecision::kNone;
      if (provider_.Start(effective, this).ok()) {
        provider_precision_ = effective;
      } else {
        denial = DenialReason::kDeviceUnavailable;
      }
      control_.MarkDirty();  // restarts the provider for the other sessions if this one failed
    }
    int64_t log_id = 0;
    if (denial == DenialReason::kNone) {
      StatusOr<int64_t> id = log_.RecordStart(start);
      if (id.ok()) {
        log_id = *id;
      } else {
        denial = DenialReason::kAccessLogUnavailable;
        control_.MarkDirty();
      }
    } else {
      log_.RecordDenial(start, denial).IgnoreError();  // a denial is a denial even unlogged
    }
    if (denial == DenialReason::kNone) {
      slots_[index].Fill(sink, purpose_id, log_id, snapshot, options_.location_category);
      requested_[index] = requested;
      finest_delivered_[index].store(static_cast<uint8_t>(LocationPrecision::kNone),
                                     std::memory_order_relaxed);
      slots_[index].state.Publish();
      session = LocationSession(this, index);
    }
  }
  control_.Drain([this] { ReconcileLocked(); });
  return LocationAcquireResult(std::move(session), denial);
}

void LocationGate::OnFix(const platform::LocationFix& fix) {
  // A provider that hands over NaN, infinite or out-of-range values has no position to give:
  // drop the fix rather than snap garbage (snapping NaN to a grid cell is undefined behaviour).
  if (!std::isfinite(fix.latitude_deg) || !std::isfinite(fix.longitude_deg) ||
      !std::isfinite(fix.accuracy_m) || fix.latitude_deg < -90 || fix.latitude_deg > 90 ||
      fix.longitude_deg < -180 || fix.longitude_deg > 180 || fix.accuracy_m < 0) {
    return;
  }
  internal::PlatformCallbackScope in_callback;
  bool sealed = false;
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = slots_[i];
    if (!slot.state.BeginDelivery()) continue;
    LocationPrecision precision;
    DenialReason denial =
        Evaluate(ledger_.snapshot(), slot.purpose_id, requested_[i], &precision, &slot.target);
    if (denial != DenialReason::kNone) {
      internal::FinishSeal(slot, slot.state.SealFromDelivery(EndFor(denial)), clock_);
      sealed = true;
      continue;
    }
    {
      internal::SinkCallScope scope(&slot);
      if (precision == LocationPrecision::kPrecise) {
        slot.sink->OnLocationFix(fix, precision);
      } else {
        // Only the cell centre exists from here on; the raw fix stays the provider's.
        slot.sink->OnLocationFix(SnapToApproximate(fix), precision);
      }
    }
    slot.delivered.fetch_add(1, std::memory_order_relaxed);
    uint8_t finest = finest_delivered_[i].load(std::memory_order_relaxed);
    if (static_cast<uint8_t>(precision) > finest) {
      finest_delivered_[i].store(static_cast<uint8_t>(precision), std::memory_order_relaxed);
    }
    SessionState::End requested;
    if (!slot.state.EndDelivery(&requested)) {
      internal::FinishSeal(slot, requested, clock_);
      sealed = true;
    }
  }
  if (sealed) Reconcile();
}

void LocationGate::EndAll(EndReason reason) {
  for (Slot& slot : slots_) {
    internal::RequestEnd(slot, SessionState::End{reason, DenialReason::kNone}, clock_);
  }
  Reconcile();
}

void LocationGate::Reconcile() {
  control_.MarkDirty();
  control_.Drain([this] { ReconcileLocked(); });
}

void LocationGate::ReconcileLocked() {
  const consent::ConsentSnapshot& snapshot = ledger_.snapshot();
  LocationPrecision wanted = LocationPrecision::kNone;
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = slots_[i];
    SessionState::Phase phase = slot.state.phase();
    if (phase == SessionState::kSealed && !slot.log_closed) {
      CaptureEnd record = internal::SealedEndRecord(slot);
      record.fixes = static_cast<int64_t>(slot.delivered.load(std::memory_order_relaxed));
      record.delivered_precision =
          static_cast<LocationPrecision>(finest_delivered_[i].load(std::memory_order_relaxed));
      internal::CloseLogRow(slot, log_, record);
    }
    if (internal::FreeIfReleased(slot)) continue;
    if (slot.state.live()) {
      LocationPrecision effective;
      if (Evaluate(snapshot, slot.purpose_id, requested_[i], &effective, &slot.target) ==
          DenialReason::kNone) {
        wanted = std::max(wanted, effective);
      }
    }
  }
  if (wanted == provider_precision_) return;
  if (provider_precision_ != LocationPrecision::kNone) provider_.Stop();
  provider_precision_ = LocationPrecision::kNone;
  if (wanted != LocationPrecision::kNone && provider_.Start(wanted, this).ok()) {
    provider_precision_ = wanted;
  }
}

void LocationGate::Release(size_t index, EndReason* end, uint64_t* delivered) {
  internal::ReleaseSlot(slots_[index], clock_, end, delivered);
  Reconcile();
}

void LocationGate::OnConsentChanged(const consent::ConsentSnapshot& snapshot) {
  std::unique_lock<std::mutex> lock(control_.mutex(), std::defer_lock);
  if (internal::InPlatformCallback()) {
    if (!lock.try_lock()) return;  // the per-fix check ends the session at the next fix
  } else {
    lock.lock();
  }
  std::array<std::pair<Slot*, SessionState::End>, kMaxLocationSessions> to_tell;
  size_t count = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = slots_[i];
    if (!slot.state.live()) continue;
    LocationPrecision effective;
    DenialReason denial =
        Evaluate(snapshot, slot.purpose_id, requested_[i], &effective, &slot.target);
    if (denial == DenialReason::kNone) continue;
    SessionState::End end = EndFor(denial);
    if (slot.state.RequestEnd(end) == SessionState::Request::kSealNow) to_tell[count++] = {&slot, end};
  }
  lock.unlock();
  for (size_t i = 0; i < count; ++i) internal::FinishSeal(*to_tell[i].first, to_tell[i].second, clock_);
  Reconcile();
}

void LocationGate::OnPermissionChanged(Permission permission, PermissionState state) {
  if (permission != Permission::kLocation) return;
  if (state != PermissionState::kGranted) {
    EndAll(EndReason::kOsPermissionLost);
  } else {
    Reconcile();  // a precision change: the provider hint follows
  }
}

// Every holder of the control mutex drains after unlocking: a platform callback whose
// reconciliation found the mutex taken left the work to this thread (internal/control.h).
size_t LocationGate::sessions_in_use() {
  size_t n = 0;
  {
    std::lock_guard<std::mutex> lock(control_.mutex());
    n = internal::CountInUse(slots_);
  }
  control_.Drain([this] { ReconcileLocked(); });
  return n;
}

LocationPrecision LocationGate::provider_precision() {
  LocationPrecision value;
  {
    std::lock_guard<std::mutex> lock(control_.mutex());
    value = provider_precision_;
  }
  control_.Drain([this] { ReconcileLocked(); });
  return value;
}

}  // namespace tacet::gate
