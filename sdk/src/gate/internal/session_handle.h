// What a gate hands its caller: the move-only RAII session handle and the acquire result, over
// the shared CaptureGateCore.
#ifndef TACET_GATE_INTERNAL_SESSION_HANDLE_H_
#define TACET_GATE_INTERNAL_SESSION_HANDLE_H_

#include <cstddef>
#include <cstdint>
#include <utility>

#include "gate/gate_types.h"
#include "gate/internal/capture_gate_core.h"

namespace tacet::gate::internal {

template <typename Session>
class AcquireResult;

// The move-only RAII handle for a granted capture. `Gate` only tells the voice and location
// sessions apart as types. Destroying or End()ing it stops delivery to the sink and closes the
// access-log row; once End returns no further sink call starts (called from inside the sink, the
// current call simply returns last). Blocks only while a delivery to this session's sink is in
// progress. Must not outlive its gate. One owner; End may run concurrently with the gate's own
// threads.
template <typename Gate>
class SessionHandle {
 public:
  SessionHandle() = default;
  SessionHandle(SessionHandle&& other) noexcept { *this = std::move(other); }
  SessionHandle& operator=(SessionHandle&& other) noexcept {
    if (this != &other) {
      End();
      core_ = std::exchange(other.core_, nullptr);
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
    return core_ != nullptr && core_->slot_state(slot_).end().reason == EndReason::kNone;
  }
  // kNone while active; why it ended otherwise (kCompletedByCaller after End()).
  EndReason end_reason() const noexcept {
    return core_ != nullptr ? core_->slot_state(slot_).end().reason : ended_;
  }
  // Audio frames (voice) or fixes (location) handed to the sink so far.
  uint64_t delivered() const noexcept {
    return core_ != nullptr ? core_->slot_delivered(slot_) : final_delivered_;
  }
  void End() {
    if (core_ == nullptr) return;
    core_->Release(slot_, &ended_, &final_delivered_);
    core_ = nullptr;
  }

 private:
  friend class AcquireResult<SessionHandle>;
  SessionHandle(CaptureGateCore* core, size_t slot) : core_(core), slot_(slot) {}

  CaptureGateCore* core_ = nullptr;
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
  // What `core` answered: the session in its slot when granted.
  AcquireResult(CaptureGateCore* core, Acquired acquired) : denial_(acquired.denial) {
    if (granted()) session_ = Session(core, acquired.slot);
  }

 private:
  Session session_;
  DenialReason denial_ = DenialReason::kInvalidRequest;
};

}  // namespace tacet::gate::internal

#endif  // TACET_GATE_INTERNAL_SESSION_HANDLE_H_
