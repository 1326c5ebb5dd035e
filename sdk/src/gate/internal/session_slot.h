// What the voice and location gates keep per session, and the steps they share: the RAII handle
// given to the caller, sealing a slot (telling its sink), and releasing it.
#ifndef TACET_GATE_INTERNAL_SESSION_SLOT_H_
#define TACET_GATE_INTERNAL_SESSION_SLOT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>

#include "gate/access_log.h"
#include "gate/gate_types.h"
#include "gate/internal/consent_check.h"
#include "gate/internal/control.h"
#include "gate/internal/session_state.h"
#include "tacet/platform/clock.h"

namespace tacet::gate::internal {

// One session slot. `Sink` has OnSessionEnded(EndReason). The fields other than the atomics are
// written by the control thread before Publish() and read by others only while the slot is live
// (or under the control mutex).
template <typename Sink>
struct Slot {
  SessionState state;
  Sink* sink = nullptr;
  std::string purpose_id;
  CollectionTarget target;             // purpose_id and the gate's category, resolved at Acquire
  int64_t log_id = 0;
  bool log_closed = false;             // control mutex
  std::atomic<bool> released{false};   // the owner let go of its handle
  std::atomic<uint64_t> delivered{0};  // frames or fixes handed to the sink
  std::atomic<int64_t> ended_unix_ms{0};

  // Control mutex held, slot kFree. `snapshot` is the one Acquire decided on; `category` the
  // gate's data category.
  void Fill(Sink* s, std::string_view purpose, int64_t id, const consent::ConsentSnapshot& snapshot,
            std::string_view category) {
    state.Reserve();
    sink = s;
    purpose_id.assign(purpose.data(), purpose.size());
    target.Resolve(snapshot, purpose, category);
    log_id = id;
    log_closed = false;
    released.store(false, std::memory_order_relaxed);
    delivered.store(0, std::memory_order_relaxed);
    ended_unix_ms.store(0, std::memory_order_relaxed);
  }
};

// Called by the one thread that moved `slot` into kSealing: stamps the end time, tells the sink
// (not for kCompletedByCaller), and marks the slot sealed.
template <typename Sink>
void FinishSeal(Slot<Sink>& slot, SessionState::End end, platform::Clock& clock) {
  slot.ended_unix_ms.store(clock.NowUnixMillis(), std::memory_order_relaxed);
  if (end.reason != EndReason::kCompletedByCaller) {
    SinkCallScope scope(&slot);
    slot.sink->OnSessionEnded(end.reason);
  }
  slot.state.MarkSealed();
}

// Ends `slot` for `end` from any thread. True when something changed that the control thread
// must reconcile.
template <typename Sink>
bool RequestEnd(Slot<Sink>& slot, SessionState::End end, platform::Clock& clock) {
  switch (slot.state.RequestEnd(end)) {
    case SessionState::Request::kSealNow: FinishSeal(slot, end, clock); return true;
    case SessionState::Request::kDeliveryWillSeal: return true;
    case SessionState::Request::kAlreadyEnding: return false;
  }
  return false;
}

// The owner lets go: ends the slot as completed by the caller if the gate has not ended it,
// waits for a delivery in progress (unless it is this thread's own sink call), and marks the slot
// released. The caller then reconciles (closes the log row, frees the slot).
template <typename Sink>
void ReleaseSlot(Slot<Sink>& slot, platform::Clock& clock, EndReason* end, uint64_t* delivered) {
  RequestEnd(slot, SessionState::End{EndReason::kCompletedByCaller, DenialReason::kNone}, clock);
  if (t_sink_slot != &slot) {
    while (slot.state.phase() != SessionState::kSealed) std::this_thread::yield();
  }
  *end = slot.state.end().reason;
  *delivered = slot.delivered.load(std::memory_order_relaxed);
  slot.released.store(true, std::memory_order_release);
}

// Control mutex held. The end-of-capture row for a sealed slot whose access-log row is still
// open, with the fields every capture carries (end time, outcome, reason); the gate adds its
// amounts (frames and audio, or fixes and precision), then calls CloseLogRow.
template <typename Sink>
CaptureEnd SealedEndRecord(const Slot<Sink>& slot) {
  const SessionState::End end = slot.state.end();
  CaptureEnd record;
  record.ended_unix_ms = slot.ended_unix_ms.load(std::memory_order_relaxed);
  record.outcome = OutcomeFor(end.reason);
  record.reason = end.detail;
  return record;
}

// Control mutex held. Closes the slot's row; a row that cannot be closed stays 'open' and
// becomes 'interrupted' when the log is next opened.
template <typename Sink>
void CloseLogRow(Slot<Sink>& slot, AccessLog& log, const CaptureEnd& record) {
  log.RecordEnd(slot.log_id, record).IgnoreError();
  slot.log_closed = true;
}

// Control mutex held. Frees a sealed slot whose owner has let go of its handle; true if freed.
template <typename Sink>
bool FreeIfReleased(Slot<Sink>& slot) {
  if (slot.state.phase() != SessionState::kSealed ||
      !slot.released.load(std::memory_order_acquire)) {
    return false;
  }
  slot.sink = nullptr;
  slot.purpose_id.clear();
  slot.target = CollectionTarget{};
  slot.state.Free();
  return true;
}

// Control mutex held. How many slots are not free.
template <typename Slots>
size_t CountInUse(const Slots& slots) {
  size_t n = 0;
  for (const auto& slot : slots) n += slot.state.phase() != SessionState::kFree ? 1 : 0;
  return n;
}

// The move-only RAII handle for a granted capture. `Gate` provides slot_state(i),
// slot_delivered(i) and Release(i, EndReason*, uint64_t*), and declares this class a friend.
// Destroying or End()ing it stops delivery to the sink and closes the access-log row; once End
// returns no further sink call starts (called from inside the sink, the current call simply
// returns last). Blocks only while a delivery to this session's sink is in progress. Must not
// outlive its gate. One owner; End may run concurrently with the gate's own threads.
template <typename Gate>
class SessionHandle {
 public:
  SessionHandle() = default;
  SessionHandle(SessionHandle&& other) noexcept { *this = std::move(other); }
  SessionHandle& operator=(SessionHandle&& other) noexcept {
    if (this != &other) {
      End();
      gate_ = std::exchange(other.gate_, nullptr);
      slot_ = other.slot_;
      ended_ = other.ended_;
      final_delivered_ = other.final_delivered_;
    }
    return *this;
  }
  SessionHandle(const SessionHandle&) = delete;
  SessionHandle& operator=(const SessionHandle&) = delete;
  ~SessionHandle() { End(); }

  // True while deliveries may still reach the sink.
  bool active() const noexcept {
    return gate_ != nullptr && gate_->slot_state(slot_).end().reason == EndReason::kNone;
  }
  // kNone while active; why it ended otherwise (kCompletedByCaller after End()).
  EndReason end_reason() const noexcept {
    return gate_ != nullptr ? gate_->slot_state(slot_).end().reason : ended_;
  }
  // Audio frames (voice) or fixes (location) handed to the sink so far.
  uint64_t delivered() const noexcept {
    return gate_ != nullptr ? gate_->slot_delivered(slot_) : final_delivered_;
  }
  void End() {
    if (gate_ == nullptr) return;
    gate_->Release(slot_, &ended_, &final_delivered_);
    gate_ = nullptr;
  }

 private:
  friend Gate;
  SessionHandle(Gate* gate, size_t slot) : gate_(gate), slot_(slot) {}

  Gate* gate_ = nullptr;
  size_t slot_ = 0;
  EndReason ended_ = EndReason::kNone;
  uint64_t final_delivered_ = 0;
};

// Either a session or the reason there is none.
template <typename Session>
class AcquireResult {
 public:
  bool granted() const noexcept { return denial_ == DenialReason::kNone; }
  DenialReason denial() const noexcept { return denial_; }
  // The session (inactive when denied); move it out to keep it.
  Session& session() noexcept { return session_; }

  AcquireResult() = default;
  AcquireResult(Session session, DenialReason denial)
      : session_(std::move(session)), denial_(denial) {}

 private:
  Session session_;
  DenialReason denial_ = DenialReason::kInvalidRequest;
};

}  // namespace tacet::gate::internal

#endif  // TACET_GATE_INTERNAL_SESSION_SLOT_H_
