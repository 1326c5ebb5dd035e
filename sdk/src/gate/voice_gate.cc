#include "gate/voice_gate.h"

#include <thread>
#include <utility>

namespace tacet::gate {

using platform::Permission;
using platform::PermissionState;

namespace {
// Voice runs at one level: the microphone is open or it is not.
constexpr internal::Level kVoiceLevel = 1;
}  // namespace

VoiceGate::VoiceGate(consent::ConsentLedger& ledger, platform::Microphone& microphone,
                     platform::PermissionProvider& permissions, platform::Clock& clock,
                     AccessLog& log, VoiceGateOptions options)
    : microphone_(microphone),
      permissions_(permissions),
      options_(std::move(options)),
      core_({CaptureKind::kVoice, Permission::kMicrophone, options_.voice_category,
             DenialReason::kVoiceDataNotProvided},
            ledger, clock, log, *this) {
  microphone_.SetMuteListener(this);
}

VoiceGate::~VoiceGate() {
  microphone_.SetMuteListener(nullptr);
  SetOnDeviceProcessor(nullptr);
  core_.Close();
}

DenialReason VoiceGate::DeviceDenial() const noexcept {
  if (permissions_.Query(Permission::kMicrophone) != PermissionState::kGranted) {
    return DenialReason::kOsPermissionDenied;
  }
  if (microphone_.HardwareMuted()) return DenialReason::kHardwareMuted;
  return DenialReason::kNone;
}

DenialReason VoiceGate::CheckDevice(const consent::ConsentSnapshot&, internal::Level,
                                    internal::Level* granted) const noexcept {
  DenialReason denial = DeviceDenial();
  if (denial == DenialReason::kNone) *granted = kVoiceLevel;
  return denial;
}

internal::Level VoiceGate::RunAt(internal::Level wanted) {
  if (microphone_stopped_by_platform_.exchange(false)) microphone_open_ = false;
  // The wake-word detector listens whenever the permission and the switch allow it.
  bool run = (wanted > 0 || processor_.load() != nullptr) && DeviceDenial() == DenialReason::kNone;
  if (run && !microphone_open_) {
    microphone_open_ = microphone_.Start(options_.format, this).ok();
  } else if (!run && microphone_open_) {
    microphone_.Stop();
    microphone_open_ = false;
  }
  return microphone_open_ ? kVoiceLevel : 0;
}

void VoiceGate::DescribeStart(internal::Level, CaptureStart*) const {}

void VoiceGate::DescribeEnd(uint64_t delivered, internal::Level, CaptureEnd* end) const {
  end->frames = static_cast<int64_t>(delivered);
  end->audio_ms = end->frames * options_.format.frame_ms;
}

DenialReason VoiceGate::Check(std::string_view purpose_id) const noexcept {
  internal::Level granted;
  return core_.Check(purpose_id, kVoiceLevel, &granted);
}

VoiceAcquireResult VoiceGate::Acquire(std::string_view purpose_id, VoiceFrameSink* sink) {
  return VoiceAcquireResult(&core_, core_.Acquire(purpose_id, kVoiceLevel, sink));
}

void VoiceGate::OnFrame(const platform::AudioFrame& frame) {
  internal::PlatformCallbackScope in_callback;
  if (DeviceDenial() == DenialReason::kNone) {
    processor_busy_.store(true);
    if (internal::OnDeviceAudioProcessor* processor = processor_.load()) {
      processor->ProcessOnDevice(frame);
    }
    processor_busy_.store(false);
  }
  core_.Deliver([&frame](internal::CaptureSink& sink, internal::Level) {
    // Every sink in this gate's slots came through Acquire as a VoiceFrameSink.
    static_cast<VoiceFrameSink&>(sink).OnVoiceFrame(frame);
  });
}

void VoiceGate::OnStopped(platform::MicrophoneStopReason reason) {
  internal::PlatformCallbackScope in_callback;
  microphone_stopped_by_platform_.store(true);
  switch (reason) {
    case platform::MicrophoneStopReason::kHardwareMuted: core_.EndAll(EndReason::kHardwareMuted); break;
    case platform::MicrophoneStopReason::kPermissionRevoked: core_.EndAll(EndReason::kOsPermissionLost); break;
    case platform::MicrophoneStopReason::kDeviceError: core_.EndAll(EndReason::kDeviceError); break;
  }
}

void VoiceGate::OnConsentChanged(const consent::ConsentSnapshot&) { core_.Reconcile(); }

void VoiceGate::OnPermissionChanged(Permission permission, PermissionState state) {
  core_.OnPermissionChanged(permission, state);
}

void VoiceGate::OnHardwareMuteChanged(bool muted) {
  if (muted) {
    core_.EndAll(EndReason::kHardwareMuted);
  } else {
    core_.Reconcile();  // the wake-word detector may listen again
  }
}

void VoiceGate::SetOnDeviceProcessor(internal::OnDeviceAudioProcessor* processor) {
  processor_.store(processor);
  if (processor == nullptr) {
    // Dekker-style hand-over with OnFrame (both sides sequentially consistent): once this loop
    // ends, the audio thread has either finished with the old processor or will load nullptr.
    while (processor_busy_.load()) std::this_thread::yield();
  }
  core_.Reconcile();
}

size_t VoiceGate::sessions_in_use() { return core_.sessions_in_use(); }

bool VoiceGate::microphone_open() {
  return core_.ReadLocked([this] { return microphone_open_; });
}

}  // namespace tacet::gate
