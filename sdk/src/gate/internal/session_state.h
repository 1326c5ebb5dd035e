// The lock-free life cycle of one session slot, shared by the voice and location gates.
//
// A slot is delivered to by exactly one platform thread (audio or location) and may be ended by
// any thread (a consent, permission or mute listener, the session's owner, the platform thread
// itself). One atomic word holds the phase and the end reasons, so the hand-over between "the
// platform thread is inside the sink" and "someone wants the session over" needs no lock:
//
//   kFree ──Reserve──▶ kReserved ──Publish──▶ kActive ◀──────────────┐
//                                               │ BeginDelivery        │ EndDelivery (no end asked)
//                                               ▼                      │
//                                           kDelivering ───────────────┘
//            RequestEnd while kActive ──▶ kSealing        RequestEnd while kDelivering ──▶ kEndRequested
//                                             │ (the requester tells the sink)            │ (the deliverer
//                                             ▼                                           ▼  tells the sink)
//                                           kSealed ◀────────────── MarkSealed ◀──── kSealing
//   kSealed ──(control thread, after the access log row is closed and the owner let go)──▶ kFree
//
// Whoever moves the slot into kSealing is the one thread that calls the sink's OnSessionEnded,
// and it does so when no frame is being delivered: a sink never sees two calls at once, and never
// a frame after OnSessionEnded.
#ifndef TACET_GATE_INTERNAL_SESSION_STATE_H_
#define TACET_GATE_INTERNAL_SESSION_STATE_H_

#include <atomic>
#include <cstdint>

#include "gate/gate_types.h"

namespace tacet::gate::internal {

class SessionState {
 public:
  enum Phase : uint32_t {
    kFree = 0,
    kReserved = 1,
    kActive = 2,
    kDelivering = 3,
    kEndRequested = 4,
    kSealing = 5,
    kSealed = 6,
  };
  struct End {
    EndReason reason = EndReason::kNone;
    DenialReason detail = DenialReason::kNone;  // which consent check failed, for revocations
  };
  enum class Request { kSealNow, kDeliveryWillSeal, kAlreadyEnding };

  Phase phase() const noexcept { return PhaseOf(word_.load(std::memory_order_acquire)); }
  End end() const noexcept { return EndOf(word_.load(std::memory_order_acquire)); }
  // Active, delivering, or ending but not yet sealed: the sink may still hear from the gate.
  bool live() const noexcept {
    Phase p = phase();
    return p >= kActive && p <= kSealing;
  }

  // Control thread only (under the gate's control mutex).
  void Reserve() noexcept { word_.store(kReserved, std::memory_order_relaxed); }
  // Makes the fields written before it visible to the platform thread (release).
  void Publish() noexcept { word_.store(kActive, std::memory_order_release); }
  void Free() noexcept { word_.store(kFree, std::memory_order_release); }

  // Platform thread: claims the slot for one delivery. False when the slot is not active.
  bool BeginDelivery() noexcept {
    uint32_t expected = kActive;
    return word_.compare_exchange_strong(expected, kDelivering, std::memory_order_acq_rel,
                                         std::memory_order_relaxed);
  }
  // Platform thread, after the sink returned. True: back to active. False: someone asked for the
  // end meanwhile; the slot is now kSealing, *out says why, and the caller must tell the sink
  // (unless the reason is kCompletedByCaller) and then MarkSealed().
  bool EndDelivery(End* out) noexcept {
    uint32_t expected = kDelivering;
    if (word_.compare_exchange_strong(expected, kActive, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
      return true;
    }
    *out = EndOf(expected);
    word_.store(Pack(kSealing, *out), std::memory_order_release);
    return false;
  }
  // Platform thread, while delivering, when its own per-frame check failed: moves to kSealing
  // with `mine`, unless an end was already requested (that reason wins). Returns the end to report.
  End SealFromDelivery(End mine) noexcept {
    uint32_t expected = kDelivering;
    if (word_.compare_exchange_strong(expected, Pack(kSealing, mine), std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
      return mine;
    }
    End requested = EndOf(expected);
    word_.store(Pack(kSealing, requested), std::memory_order_release);
    return requested;
  }
  // Any thread. kSealNow: the caller moved an active slot to kSealing and must tell the sink, then
  // MarkSealed(). kDeliveryWillSeal: a delivery is in progress; the platform thread will.
  Request RequestEnd(End end) noexcept {
    uint32_t current = word_.load(std::memory_order_acquire);
    for (;;) {
      Phase p = PhaseOf(current);
      uint32_t next;
      if (p == kActive) {
        next = Pack(kSealing, end);
      } else if (p == kDelivering) {
        next = Pack(kEndRequested, end);
      } else {
        return Request::kAlreadyEnding;
      }
      if (word_.compare_exchange_weak(current, next, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
        return p == kActive ? Request::kSealNow : Request::kDeliveryWillSeal;
      }
    }
  }
  void MarkSealed() noexcept {
    uint32_t w = word_.load(std::memory_order_relaxed);
    word_.store(Pack(kSealed, EndOf(w)), std::memory_order_release);
  }

 private:
  static Phase PhaseOf(uint32_t w) noexcept { return static_cast<Phase>(w & 0xffu); }
  static End EndOf(uint32_t w) noexcept {
    return End{static_cast<EndReason>((w >> 8) & 0xffu), static_cast<DenialReason>((w >> 16) & 0xffu)};
  }
  static uint32_t Pack(Phase p, End e) noexcept {
    return static_cast<uint32_t>(p) | (static_cast<uint32_t>(e.reason) << 8) |
           (static_cast<uint32_t>(e.detail) << 16);
  }

  std::atomic<uint32_t> word_{kFree};
};

}  // namespace tacet::gate::internal

#endif  // TACET_GATE_INTERNAL_SESSION_STATE_H_
