#include "gate/internal/capture_gate_core.h"

#include <thread>
#include <utility>

namespace tacet::gate::internal {

namespace {

// How a failed check ends an open session: the device's own reasons name themselves; every
// consent reason is a withdrawal, with the failed check kept as the detail.
SessionState::End EndFor(DenialReason denial) {
  switch (denial) {
    case DenialReason::kNone: return {};
    case DenialReason::kOsPermissionDenied: return {EndReason::kOsPermissionLost, DenialReason::kNone};
    case DenialReason::kHardwareMuted: return {EndReason::kHardwareMuted, DenialReason::kNone};
    default: return {EndReason::kConsentWithdrawn, denial};
  }
}

// Ends `slot` for `end` from any thread without the mutex. True when this thread moved it into
// kSealing and must tell the sink (FinishSeal).
bool RequestSealNow(Slot& slot, SessionState::End end) {
  return slot.state.RequestEnd(end) == SessionState::Request::kSealNow;
}

}  // namespace

CaptureGateCore::CaptureGateCore(CaptureGateConfig config, consent::ConsentLedger& ledger,
                                 platform::Clock& clock, AccessLog& log, CaptureDevice& device)
    : config_(std::move(config)), ledger_(ledger), clock_(clock), log_(log), device_(device) {
  ledger_.AddListener(this);
}

void CaptureGateCore::Close() {
  if (closed_) return;
  closed_ = true;
  ledger_.RemoveListener(this);
  // Sessions should be gone; any left open are ended (their handles must not be used again).
  EndAll(EndReason::kGateClosed);
  for (Slot& slot : slots_) {
    while (slot.state.live()) std::this_thread::yield();  // a delivery finishing its seal
    slot.released.store(true, std::memory_order_release);
  }
  Reconcile();
  std::lock_guard<std::mutex> lock(control_.mutex());
  running_ = device_.RunAt(0);
}

DenialReason CaptureGateCore::Evaluate(const consent::ConsentSnapshot& snapshot,
                                       std::string_view purpose_id,
                                       const CollectionTarget* target, Level requested,
                                       Level* granted) const noexcept {
  *granted = 0;
  DenialReason consent =
      target != nullptr
          ? CheckConsent(snapshot, *target, purpose_id, config_.category, config_.not_provided)
          : CheckConsent(snapshot, purpose_id, config_.category, config_.not_provided);
  if (consent != DenialReason::kNone) return consent;
  return device_.CheckDevice(snapshot, requested, granted);
}

SessionState::End CaptureGateCore::Recheck(const consent::ConsentSnapshot& snapshot,
                                           const Slot& slot, Level* granted) const noexcept {
  return EndFor(Evaluate(snapshot, slot.purpose_id, &slot.target, slot.requested, granted));
}

DenialReason CaptureGateCore::Check(std::string_view purpose_id, Level requested,
                                    Level* granted) const noexcept {
  return Evaluate(ledger_.snapshot(), purpose_id, nullptr, requested, granted);
}

Acquired CaptureGateCore::Acquire(std::string_view purpose_id, Level requested,
                                  CaptureSink* sink) {
  Acquired result;
  if (sink == nullptr || purpose_id.empty() || InPlatformCallback() || t_sink_slot != nullptr) {
    return result;  // kInvalidRequest: a caller bug, not an access attempt, so not logged
  }
  CaptureStart start;
  start.kind = config_.kind;
  start.purpose_id = purpose_id;
  start.started_unix_ms = clock_.NowUnixMillis();
  device_.DescribeStart(requested, &start);
  const consent::ConsentSnapshot& snapshot = ledger_.snapshot();
  Level granted = 0;
  DenialReason denial = Evaluate(snapshot, purpose_id, nullptr, requested, &granted);
  {
    std::lock_guard<std::mutex> lock(control_.mutex());
    Slot* slot = nullptr;
    if (denial == DenialReason::kNone) {
      for (result.slot = 0; result.slot < slots_.size(); ++result.slot) {
        if (slots_[result.slot].state.phase() == SessionState::kFree) {
          slot = &slots_[result.slot];
          break;
        }
      }
      if (slot == nullptr) denial = DenialReason::kTooManySessions;
    }
    if (denial == DenialReason::kNone && running_ < granted) running_ = device_.RunAt(granted);
    if (denial == DenialReason::kNone && running_ < granted) {
      denial = DenialReason::kDeviceUnavailable;
      control_.MarkDirty();  // puts the device back as the other sessions need it
    }
    int64_t log_id = 0;
    if (denial == DenialReason::kNone) {
      StatusOr<int64_t> id = log_.RecordStart(start);
      if (id.ok()) {
        log_id = *id;
      } else {
        denial = DenialReason::kAccessLogUnavailable;
        control_.MarkDirty();  // stops the device again if nothing else needs it
      }
    } else {
      // Best effort: a denial that cannot be logged is still a denial.
      log_.RecordDenial(start, denial).IgnoreError();
    }
    if (denial == DenialReason::kNone) {
      slot->state.Reserve();
      slot->sink = sink;
      slot->purpose_id.assign(purpose_id.data(), purpose_id.size());
      slot->target.Resolve(snapshot, purpose_id, config_.category);
      slot->requested = requested;
      slot->log_id = log_id;
      slot->log_closed = false;
      slot->released.store(false, std::memory_order_relaxed);
      slot->delivered.store(0, std::memory_order_relaxed);
      slot->finest.store(0, std::memory_order_relaxed);
      slot->ended_unix_ms.store(0, std::memory_order_relaxed);
      slot->state.Publish();
    }
  }
  // A change that committed between Evaluate and Publish is caught by the first delivery's
  // re-check; draining here runs any reconciliation a listener left to us.
  Drain();
  result.denial = denial;
  return result;
}

void CaptureGateCore::FinishSeal(Slot& slot, SessionState::End end) {
  slot.ended_unix_ms.store(clock_.NowUnixMillis(), std::memory_order_relaxed);
  if (end.reason != EndReason::kCompletedByCaller) {
    SinkCallScope scope(&slot);
    slot.sink->OnSessionEnded(end.reason);
  }
  slot.state.MarkSealed();
}

void CaptureGateCore::EndAll(EndReason reason) {
  for (Slot& slot : slots_) {
    SessionState::End end{reason, DenialReason::kNone};
    if (RequestSealNow(slot, end)) FinishSeal(slot, end);
  }
  Reconcile();
}

void CaptureGateCore::OnPermissionChanged(platform::Permission permission,
                                          platform::PermissionState state) {
  if (permission != config_.permission) return;
  if (state != platform::PermissionState::kGranted) {
    EndAll(EndReason::kOsPermissionLost);
  } else {
    Reconcile();  // the device may run again (voice: the wake-word detector), or at a new level
  }
}

void CaptureGateCore::OnConsentChanged(const consent::ConsentSnapshot&) {
  // The reconciliation re-checks against the ledger's current snapshot, at least as new as this.
  Reconcile();
}

void CaptureGateCore::Reconcile() {
  control_.MarkDirty();
  Drain();
}

void CaptureGateCore::Drain() {
  while (control_.dirty()) {
    ToTell to_tell;
    {
      std::unique_lock<std::mutex> lock(control_.mutex(), std::defer_lock);
      if (InPlatformCallback()) {
        if (!lock.try_lock()) return;
      } else {
        lock.lock();
      }
      control_.ClearDirty();
      ReconcileLocked(&to_tell);
    }
    // Sinks are told outside the mutex: they may end their session from OnSessionEnded.
    for (size_t i = 0; i < to_tell.count; ++i) FinishSeal(*to_tell.ends[i].first, to_tell.ends[i].second);
    if (to_tell.count > 0) control_.MarkDirty();  // their log rows close on the next round
  }
}

void CaptureGateCore::ReconcileLocked(ToTell* to_tell) {
  const consent::ConsentSnapshot& snapshot = ledger_.snapshot();
  Level wanted = 0;
  bool ending = false;  // a session is being ended and is not sealed yet
  for (Slot& slot : slots_) {
    SessionState::Phase phase = slot.state.phase();
    if (phase == SessionState::kSealed && !slot.log_closed) {
      const SessionState::End end = slot.state.end();
      CaptureEnd record;
      record.ended_unix_ms = slot.ended_unix_ms.load(std::memory_order_relaxed);
      record.outcome = OutcomeFor(end.reason);
      record.reason = end.detail;
      device_.DescribeEnd(slot.delivered.load(std::memory_order_relaxed),
                          slot.finest.load(std::memory_order_relaxed), &record);
      // A row that cannot be closed stays 'open' and becomes 'interrupted' at the next Open.
      log_.RecordEnd(slot.log_id, record).IgnoreError();
      slot.log_closed = true;
    }
    if (phase == SessionState::kSealed && slot.released.load(std::memory_order_acquire)) {
      slot.sink = nullptr;
      slot.purpose_id.clear();
      slot.target = CollectionTarget{};
      slot.state.Free();
      continue;
    }
    if (phase == SessionState::kEndRequested || phase == SessionState::kSealing) ending = true;
    if (phase != SessionState::kActive && phase != SessionState::kDelivering) continue;
    // A session the current consent, permission or switch no longer allows ends now, even when
    // the notification that should have ended it never came: the device is not kept running
    // for it, and it is not left open with the device stopped under it.
    Level level = 0;
    SessionState::End end = Recheck(snapshot, slot, &level);
    if (end.reason == EndReason::kNone) {
      if (level > wanted) wanted = level;
      continue;
    }
    ending = true;
    if (RequestSealNow(slot, end)) to_tell->ends[to_tell->count++] = {&slot, end};
  }
  // While a session is being ended the device stays as it is: its last delivery may still be
  // inside the platform's delivery lock, which stopping or restarting the device waits for, so
  // a consent commit would wait for a sink. Whoever seals that session reconciles again.
  if (!ending) running_ = device_.RunAt(wanted);
}

void CaptureGateCore::Release(size_t i, EndReason* end, uint64_t* delivered) {
  Slot& slot = slots_[i];
  SessionState::End completed{EndReason::kCompletedByCaller, DenialReason::kNone};
  if (RequestSealNow(slot, completed)) FinishSeal(slot, completed);
  if (t_sink_slot != &slot) {
    while (slot.state.phase() != SessionState::kSealed) std::this_thread::yield();
  }
  *end = slot.state.end().reason;
  *delivered = slot.delivered.load(std::memory_order_relaxed);
  slot.released.store(true, std::memory_order_release);
  Reconcile();
}

size_t CaptureGateCore::sessions_in_use() {
  return ReadLocked([this] {
    size_t n = 0;
    for (const Slot& slot : slots_) n += slot.state.phase() != SessionState::kFree ? 1 : 0;
    return n;
  });
}

}  // namespace tacet::gate::internal
