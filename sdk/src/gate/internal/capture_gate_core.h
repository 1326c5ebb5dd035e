// The one life cycle of a capture session, shared by the voice and the location gate: the
// decision at Acquire (consent::DecideCollection, then the gate's own device checks), the session
// slots, the per-delivery re-check, ending sessions on revocation, permission loss or mute,
// release by the owner, and the access-log rows. The gates keep only what differs: what they hand
// over (PCM frames; fixes coarsened to a precision) and how their device is run (the microphone
// and its mute switch; the location provider at a precision), behind CaptureDevice.
#ifndef TACET_GATE_INTERNAL_CAPTURE_GATE_CORE_H_
#define TACET_GATE_INTERNAL_CAPTURE_GATE_CORE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "consent/consent_ledger.h"
#include "gate/access_log.h"
#include "gate/gate_types.h"
#include "gate/internal/consent_check.h"
#include "gate/internal/control.h"
#include "gate/internal/session_state.h"
#include "tacet/platform/clock.h"
#include "tacet/platform/permissions.h"

namespace tacet::gate::internal {

inline constexpr size_t kMaxSessionsPerGate = 4;

// How finely a capture runs, as one byte the core can compare: the location precision
// (platform::LocationPrecision: kApproximate < kPrecise); voice has the one level kVoiceLevel.
// 0 is "nothing" (a stopped device, a session that may not receive).
using Level = uint8_t;

// What the sinks of both gates have in common: the end notice. VoiceFrameSink and LocationFixSink
// derive from it; threading rules are theirs.
class CaptureSink {
 public:
  virtual ~CaptureSink() = default;
  // The gate ended the session (never called for kCompletedByCaller).
  virtual void OnSessionEnded(EndReason reason) = 0;
};

// What a gate adds to the core: its device. Implemented by VoiceGate and LocationGate.
class CaptureDevice {
 public:
  // After the consent decision allowed the purpose: the gate's own checks in the documented
  // order, and the level a capture asking for `requested` would run at now (*granted, at most
  // `requested`; left 0 on a denial). Any thread; lock-free and allocation-free (runs per
  // delivery).
  virtual DenialReason CheckDevice(const consent::ConsentSnapshot& snapshot, Level requested,
                                   Level* granted) const noexcept = 0;
  // Control mutex held: run the device at `wanted`, the finest level a live session may use now
  // (0: no session needs it). Returns the level it runs at afterwards (0: stopped, or it would
  // not start).
  virtual Level RunAt(Level wanted) = 0;
  // The gate's columns of the access-log rows: the request, and the amounts delivered.
  virtual void DescribeStart(Level requested, CaptureStart* start) const = 0;
  virtual void DescribeEnd(uint64_t delivered, Level finest, CaptureEnd* end) const = 0;

 protected:
  ~CaptureDevice() = default;
};

// One session slot. The fields other than the atomics are written under the control mutex before
// Publish() and read by others only while the slot is live (or under the control mutex).
struct Slot {
  SessionState state;
  CaptureSink* sink = nullptr;
  std::string purpose_id;
  CollectionTarget target;             // purpose_id and the gate's category, resolved at Acquire
  Level requested = 0;                 // what the caller asked for
  int64_t log_id = 0;
  bool log_closed = false;             // control mutex
  std::atomic<bool> released{false};   // the owner let go of its handle
  std::atomic<uint64_t> delivered{0};  // frames or fixes handed to the sink
  std::atomic<Level> finest{0};        // the finest level any delivery ran at
  std::atomic<int64_t> ended_unix_ms{0};
};

// What the core's Acquire decided: a denial, or the slot of the new session.
struct Acquired {
  DenialReason denial = DenialReason::kInvalidRequest;
  size_t slot = 0;
};

struct CaptureGateConfig {
  CaptureKind kind;
  platform::Permission permission;  // the OS permission the device needs
  std::string category;             // the policy's data category for this kind
  DenialReason not_provided;        // the denial when the user declined that category
};

// Thread-safety: as the gates document (docs/gates.md, "Threading"). Registers itself with the
// ledger; the owning gate calls Close() at the start of its destructor (the device it implements
// must still be whole) and the core must not be used afterwards.
class CaptureGateCore final : private consent::ConsentListener {
 public:
  CaptureGateCore(CaptureGateConfig config, consent::ConsentLedger& ledger,
                  platform::Clock& clock, AccessLog& log, CaptureDevice& device);
  ~CaptureGateCore() override = default;  // after Close()
  CaptureGateCore(const CaptureGateCore&) = delete;
  CaptureGateCore& operator=(const CaptureGateCore&) = delete;

  // Ends every session still open (kGateClosed), waits for deliveries to finish, closes the
  // log rows, frees the slots and stops the device. Idempotent.
  void Close();

  // Checks, picks a slot, starts the device and writes the access-log row; the session is live
  // on return when `denial` is kNone. A null sink, an empty purpose or a call from inside a gate
  // callback is kInvalidRequest and is not logged.
  Acquired Acquire(std::string_view purpose_id, Level requested, CaptureSink* sink);
  // What Acquire would answer about consent and the device now (*granted as CheckDevice).
  DenialReason Check(std::string_view purpose_id, Level requested, Level* granted) const noexcept;

  // Ends every live session for `reason` (a change that concerns all of them).
  void EndAll(EndReason reason);
  // A change of the gate's OS permission (others are ignored): a loss ends every session, a
  // grant (or a precision change) is reconciled.
  void OnPermissionChanged(platform::Permission permission, platform::PermissionState state);
  // Re-checks every live session, ends those no longer allowed, closes log rows, frees released
  // slots and sets the device's level. Any thread; never blocks inside a platform callback.
  void Reconcile();

  // Platform thread, inside a PlatformCallbackScope: re-checks each live session and, if it may
  // still receive, calls hand_over(sink, level) with the session's sink and the level this
  // delivery runs at; otherwise ends it first (the item is discarded). Lock-free.
  template <typename HandOver>
  void Deliver(HandOver&& hand_over);

  // Slots not yet released by their owners (including ended ones whose handle is alive).
  size_t sessions_in_use();
  // Runs `read` under the control mutex (for a field of the device), then reconciles what a
  // platform callback may have left.
  template <typename Read>
  auto ReadLocked(Read&& read) {
    decltype(read()) value;
    {
      std::lock_guard<std::mutex> lock(control_.mutex());
      value = read();
    }
    Drain();
    return value;
  }

  // For SessionHandle.
  const SessionState& slot_state(size_t i) const noexcept { return slots_[i].state; }
  uint64_t slot_delivered(size_t i) const noexcept {
    return slots_[i].delivered.load(std::memory_order_relaxed);
  }
  // The owner lets go of slot `i`: ends it as completed by the caller if the gate has not ended
  // it, waits for a delivery in progress (unless it is this thread's own sink call), then
  // reconciles. *end and *delivered get the session's final state.
  void Release(size_t i, EndReason* end, uint64_t* delivered);

 private:
  // Sessions a reconciliation ended while holding the mutex; their sinks are told after it.
  struct ToTell {
    std::array<std::pair<Slot*, SessionState::End>, kMaxSessionsPerGate> ends;
    size_t count = 0;
  };

  void OnConsentChanged(const consent::ConsentSnapshot& snapshot) override;

  // The collection decision, then CheckDevice. `target`: a session's resolved ids, or null.
  DenialReason Evaluate(const consent::ConsentSnapshot& snapshot, std::string_view purpose_id,
                        const CollectionTarget* target, Level requested,
                        Level* granted) const noexcept;
  // Evaluate for an open session, as the end it calls for (reason kNone: it may go on).
  SessionState::End Recheck(const consent::ConsentSnapshot& snapshot, const Slot& slot,
                            Level* granted) const noexcept;
  // Runs ReconcileLocked under the mutex while the dirty flag is set, telling the sinks of the
  // sessions it ended after unlocking. Outside platform callbacks it waits for the mutex; inside
  // one it only tries (the holder drains after unlocking). Every holder of the mutex calls it
  // after unlocking.
  void Drain();
  void ReconcileLocked(ToTell* to_tell);
  // The one thread that moved `slot` into kSealing: stamps the end, tells the sink (not for
  // kCompletedByCaller) and marks the slot sealed.
  void FinishSeal(Slot& slot, SessionState::End end);

  const CaptureGateConfig config_;
  consent::ConsentLedger& ledger_;
  platform::Clock& clock_;
  AccessLog& log_;
  CaptureDevice& device_;
  bool closed_ = false;  // Close() ran (owner's thread)
  Level running_ = 0;    // what the device last said it runs at (control mutex)

  Control control_;
  std::array<Slot, kMaxSessionsPerGate> slots_;
};

template <typename HandOver>
void CaptureGateCore::Deliver(HandOver&& hand_over) {
  bool sealed = false;
  for (Slot& slot : slots_) {
    if (!slot.state.BeginDelivery()) continue;
    // Loaded per slot: a sink may have changed consent during the previous slot's delivery.
    Level level = 0;
    SessionState::End end = Recheck(ledger_.snapshot(), slot, &level);
    if (end.reason != EndReason::kNone) {
      // This item is discarded: the session ends before it is handed over.
      FinishSeal(slot, slot.state.SealFromDelivery(end));
      sealed = true;
      continue;
    }
    {
      SinkCallScope scope(&slot);
      hand_over(*slot.sink, level);
    }
    slot.delivered.fetch_add(1, std::memory_order_relaxed);
    if (level > slot.finest.load(std::memory_order_relaxed)) {
      slot.finest.store(level, std::memory_order_relaxed);
    }
    SessionState::End requested;
    if (!slot.state.EndDelivery(&requested)) {
      FinishSeal(slot, requested);
      sealed = true;
    }
  }
  if (sealed) Reconcile();  // try-lock only: never waits on the platform thread
}

}  // namespace tacet::gate::internal

#endif  // TACET_GATE_INTERNAL_CAPTURE_GATE_CORE_H_
