#include "gate/voice_gate.h"

#include <thread>
#include <utility>

#include "gate/internal/consent_check.h"

namespace tacet::gate {

using internal::SessionState;
using platform::Permission;
using platform::PermissionState;

// ---- VoiceGate ------------------------------------------------------------------------------------

VoiceGate::VoiceGate(consent::ConsentLedger& ledger, platform::Microphone& microphone,
                     platform::PermissionProvider& permissions, platform::Clock& clock,
                     AccessLog& log, VoiceGateOptions options)
    : ledger_(ledger),
      microphone_(microphone),
      permissions_(permissions),
      clock_(clock),
      log_(log),
      options_(std::move(options)) {
  ledger_.AddListener(this);
  microphone_.SetMuteListener(this);
}

VoiceGate::~VoiceGate() {
  ledger_.RemoveListener(this);
  microphone_.SetMuteListener(nullptr);
  SetOnDeviceProcessor(nullptr);
  // Sessions should be gone; any left open are ended (their handles must not be used again).
  EndAll(EndReason::kGateClosed);
  for (Slot& slot : slots_) {
    while (slot.state.live()) std::this_thread::yield();  // a delivery finishing its seal
    slot.released.store(true, std::memory_order_release);
  }
  Reconcile();
  std::lock_guard<std::mutex> lock(control_.mutex());
  if (microphone_open_) microphone_.Stop();
  microphone_open_ = false;
}

DenialReason VoiceGate::Evaluate(const consent::ConsentSnapshot& snapshot,
                                 std::string_view purpose_id,
                                 const internal::CollectionTarget* target) const noexcept {
  DenialReason consent =
      target != nullptr
          ? internal::CheckConsent(snapshot, *target, purpose_id, options_.voice_category,
                                   DenialReason::kVoiceDataNotProvided)
          : internal::CheckConsent(snapshot, purpose_id, options_.voice_category,
                                   DenialReason::kVoiceDataNotProvided);
  if (consent != DenialReason::kNone) return consent;
  if (permissions_.Query(Permission::kMicrophone) != PermissionState::kGranted) {
    return DenialReason::kOsPermissionDenied;
  }
  if (microphone_.HardwareMuted()) return DenialReason::kHardwareMuted;
  return DenialReason::kNone;
}

DenialReason VoiceGate::Check(std::string_view purpose_id) const noexcept {
  return Evaluate(ledger_.snapshot(), purpose_id);
}

VoiceAcquireResult VoiceGate::Acquire(std::string_view purpose_id, VoiceFrameSink* sink) {
  if (sink == nullptr || purpose_id.empty() || internal::InPlatformCallback() ||
      internal::t_sink_slot != nullptr) {
    return {};  // kInvalidRequest: a caller bug, not an access attempt, so not logged
  }
  VoiceCaptureSession session;
  CaptureStart start;
  start.kind = CaptureKind::kVoice;
  start.purpose_id = purpose_id;
  start.started_unix_ms = clock_.NowUnixMillis();
  const consent::ConsentSnapshot& snapshot = ledger_.snapshot();
  DenialReason denial = Evaluate(snapshot, purpose_id);
  {
    std::lock_guard<std::mutex> lock(control_.mutex());
    Slot* slot = nullptr;
    size_t index = 0;
    if (denial == DenialReason::kNone) {
      for (index = 0; index < slots_.size(); ++index) {
        if (slots_[index].state.phase() == SessionState::kFree) {
          slot = &slots_[index];
          break;
        }
      }
      if (slot == nullptr) denial = DenialReason::kTooManySessions;
    }
    if (denial == DenialReason::kNone && !microphone_open_) {
      if (microphone_.Start(options_.format, this).ok()) {
        microphone_open_ = true;
      } else {
        denial = DenialReason::kDeviceUnavailable;
      }
    }
    int64_t log_id = 0;
    if (denial == DenialReason::kNone) {
      StatusOr<int64_t> id = log_.RecordStart(start);
      if (id.ok()) {
        log_id = *id;
      } else {
        denial = DenialReason::kAccessLogUnavailable;
        control_.MarkDirty();  // closes the microphone again if nothing else needs it
      }
    } else {
      // Best effort: a denial that cannot be logged is still a denial.
      log_.RecordDenial(start, denial).IgnoreError();
    }
    if (denial == DenialReason::kNone) {
      slot->Fill(sink, purpose_id, log_id, snapshot, options_.voice_category);
      slot->state.Publish();
      session = VoiceCaptureSession(this, index);
    }
  }
  // A revocation that committed between Evaluate and Publish is caught by the first frame's
  // check; draining here runs any reconciliation a listener left to us.
  control_.Drain([this] { ReconcileLocked(); });
  return VoiceAcquireResult(std::move(session), denial);
}

void VoiceGate::EndAll(EndReason reason) {
  for (Slot& slot : slots_) {
    internal::RequestEnd(slot, SessionState::End{reason, DenialReason::kNone}, clock_);
  }
  Reconcile();
}

void VoiceGate::Reconcile() {
  control_.MarkDirty();
  control_.Drain([this] { ReconcileLocked(); });
}

void VoiceGate::ReconcileLocked() {
  if (microphone_stopped_by_platform_.exchange(false)) microphone_open_ = false;
  bool wanted = processor_.load() != nullptr;
  for (Slot& slot : slots_) {
    SessionState::Phase phase = slot.state.phase();
    if (phase == SessionState::kSealed && !slot.log_closed) {
      CaptureEnd record = internal::SealedEndRecord(slot);
      record.frames = static_cast<int64_t>(slot.delivered.load(std::memory_order_relaxed));
      record.audio_ms = record.frames * options_.format.frame_ms;
      internal::CloseLogRow(slot, log_, record);
    }
    if (internal::FreeIfReleased(slot)) continue;
    if (slot.state.live()) wanted = true;
  }
  bool allowed = permissions_.Query(Permission::kMicrophone) == PermissionState::kGranted &&
                 !microphone_.HardwareMuted();
  if (wanted && allowed && !microphone_open_) {
    microphone_open_ = microphone_.Start(options_.format, this).ok();
  } else if ((!wanted || !allowed) && microphone_open_) {
    microphone_.Stop();
    microphone_open_ = false;
  }
}

void VoiceGate::Release(size_t index, EndReason* end, uint64_t* delivered) {
  internal::ReleaseSlot(slots_[index], clock_, end, delivered);
  Reconcile();
}

void VoiceGate::OnFrame(const platform::AudioFrame& frame) {
  internal::PlatformCallbackScope in_callback;
  bool permitted = permissions_.Query(Permission::kMicrophone) == PermissionState::kGranted;
  bool muted = microphone_.HardwareMuted();

  if (permitted && !muted) {
    processor_busy_.store(true);
    if (internal::OnDeviceAudioProcessor* processor = processor_.load()) {
      processor->ProcessOnDevice(frame);
    }
    processor_busy_.store(false);
  }

  bool sealed = false;
  for (Slot& slot : slots_) {
    if (!slot.state.BeginDelivery()) continue;
    SessionState::End end;
    if (!permitted) {
      end.reason = EndReason::kOsPermissionLost;
    } else if (muted) {
      end.reason = EndReason::kHardwareMuted;
    } else {
      // Loaded per slot: a sink may have changed consent during the previous slot's frame.
      end.detail = internal::CheckConsent(ledger_.snapshot(), slot.target, slot.purpose_id,
                                          options_.voice_category,
                                          DenialReason::kVoiceDataNotProvided);
      if (end.detail != DenialReason::kNone) end.reason = EndReason::kConsentWithdrawn;
    }
    if (end.reason != EndReason::kNone) {
      // This frame is discarded: the session ends before it is handed over.
      internal::FinishSeal(slot, slot.state.SealFromDelivery(end), clock_);
      sealed = true;
      continue;
    }
    {
      internal::SinkCallScope scope(&slot);
      slot.sink->OnVoiceFrame(frame);
    }
    slot.delivered.fetch_add(1, std::memory_order_relaxed);
    SessionState::End requested;
    if (!slot.state.EndDelivery(&requested)) {
      internal::FinishSeal(slot, requested, clock_);
      sealed = true;
    }
  }
  if (sealed) Reconcile();  // try-lock only: never waits on the audio thread
}

void VoiceGate::OnStopped(platform::MicrophoneStopReason reason) {
  internal::PlatformCallbackScope in_callback;
  microphone_stopped_by_platform_.store(true);
  switch (reason) {
    case platform::MicrophoneStopReason::kHardwareMuted: EndAll(EndReason::kHardwareMuted); break;
    case platform::MicrophoneStopReason::kPermissionRevoked: EndAll(EndReason::kOsPermissionLost); break;
    case platform::MicrophoneStopReason::kDeviceError: EndAll(EndReason::kDeviceError); break;
  }
}

void VoiceGate::OnConsentChanged(const consent::ConsentSnapshot& snapshot) {
  // Reading a slot's purpose needs the control mutex (so the slot is not reused meanwhile). A
  // thread that must not block on it leaves the work to the per-frame check.
  std::unique_lock<std::mutex> lock(control_.mutex(), std::defer_lock);
  if (internal::InPlatformCallback()) {
    if (!lock.try_lock()) return;
  } else {
    lock.lock();
  }
  std::array<std::pair<Slot*, SessionState::End>, kMaxVoiceSessions> to_tell;
  size_t count = 0;
  for (Slot& slot : slots_) {
    if (!slot.state.live()) continue;
    SessionState::End end;
    end.detail = internal::CheckConsent(snapshot, slot.target, slot.purpose_id,
                                        options_.voice_category,
                                        DenialReason::kVoiceDataNotProvided);
    if (end.detail == DenialReason::kNone) continue;
    end.reason = EndReason::kConsentWithdrawn;
    if (slot.state.RequestEnd(end) == SessionState::Request::kSealNow) to_tell[count++] = {&slot, end};
  }
  lock.unlock();
  // Sinks are told outside the mutex (they may end their session from OnSessionEnded).
  for (size_t i = 0; i < count; ++i) internal::FinishSeal(*to_tell[i].first, to_tell[i].second, clock_);
  Reconcile();
}

void VoiceGate::OnPermissionChanged(platform::Permission permission, platform::PermissionState state) {
  if (permission != Permission::kMicrophone) return;
  if (state != PermissionState::kGranted) {
    EndAll(EndReason::kOsPermissionLost);
  } else {
    Reconcile();  // the wake-word detector may listen again
  }
}

void VoiceGate::OnHardwareMuteChanged(bool muted) {
  if (muted) {
    EndAll(EndReason::kHardwareMuted);
  } else {
    Reconcile();
  }
}

void VoiceGate::SetOnDeviceProcessor(internal::OnDeviceAudioProcessor* processor) {
  processor_.store(processor);
  if (processor == nullptr) {
    // Dekker-style hand-over with OnFrame (both sides sequentially consistent): once this loop
    // ends, the audio thread has either finished with the old processor or will load nullptr.
    while (processor_busy_.load()) std::this_thread::yield();
  }
  Reconcile();
}

// Every holder of the control mutex drains after unlocking: a platform callback whose
// reconciliation found the mutex taken left the work to this thread (internal/control.h).
size_t VoiceGate::sessions_in_use() {
  size_t n = 0;
  {
    std::lock_guard<std::mutex> lock(control_.mutex());
    n = internal::CountInUse(slots_);
  }
  control_.Drain([this] { ReconcileLocked(); });
  return n;
}

bool VoiceGate::microphone_open() {
  bool value;
  {
    std::lock_guard<std::mutex> lock(control_.mutex());
    value = microphone_open_;
  }
  control_.Drain([this] { ReconcileLocked(); });
  return value;
}

}  // namespace tacet::gate
