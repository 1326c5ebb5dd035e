// VoiceGate: the only way audio leaves the microphone for a purpose.
//
//   VoiceAcquireResult r = gate.Acquire("voice_features", &my_sink);
//   if (!r.granted()) { ShowWhy(r.denial()); return; }
//   VoiceCaptureSession session = std::move(r.session());
//   ...  // frames reach my_sink.OnVoiceFrame on the audio thread while the session is active
//   session.End();  // or let it go out of scope
//
// Acquire checks, in this order, and reports the first failure (docs/gates.md); 1 to 3 are
// consent::DecideCollection, the rule the vault applies to writes too:
//   1. the policy names the purpose and lets it use the voice category (kPurposeNotAllowedByPolicy),
//      and the purpose's legal basis is a reason to collect: never a legal obligation or a
//      legitimate interest the user cannot object to (kNotACollectionBasis)
//   2. the user provides voice data (declined: kVoiceDataNotProvided; never asked: kConsentUnknown)
//   3. the user's consent for the purpose and its required purposes (kNoConsent, kConsentUnknown)
//   4. the OS microphone permission (kOsPermissionDenied)
//   5. the hardware mute switch (kHardwareMuted)
//   6. a free session slot (kTooManySessions), the microphone starting (kDeviceUnavailable), the
//      access log recording the capture (kAccessLogUnavailable).
// Every grant and every denial is written to the AccessLog.
//
// While a session is open, every frame is re-checked before it is handed over: the current
// consent snapshot (one atomic load), Query(kMicrophone) and HardwareMuted() (lock-free by
// their contracts). A revocation that has committed, a lost OS permission or the mute switch
// therefore ends the session before the next frame: at most the one frame already inside the
// sink when the change landed is delivered (20 ms of audio at the default format). The listener
// interfaces end sessions at once, without waiting for a frame; the per-frame check keeps the
// bound when a notification is late or missing. The gate buffers no audio.
#ifndef TACET_GATE_VOICE_GATE_H_
#define TACET_GATE_VOICE_GATE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "consent/consent_ledger.h"
#include "gate/access_log.h"
#include "gate/gate_types.h"
#include "gate/internal/capture_gate_core.h"
#include "gate/internal/session_handle.h"
#include "tacet/platform/clock.h"
#include "tacet/platform/microphone.h"
#include "tacet/platform/permissions.h"

namespace tacet::gate {

// Receives one session's audio. Not owned by the gate; must outlive the session.
// Thread: OnVoiceFrame runs on the platform's audio thread (emulator: inside AdvanceBy; posix: the
// thread calling InjectedMicrophone::Push). OnSessionEnded runs on whichever thread ended the
// session: the audio thread, or the thread that committed the revocation, changed the permission
// or flipped the mute switch. The two never overlap and nothing follows OnSessionEnded.
// Neither may block (a stalled sink stalls every session and the wake-word detector), and neither
// may call VoiceGate::Acquire; a sink may End() or destroy its own session from inside them.
// Nor may they call the consent ledger's mutating methods: those block, and a thread committing
// consent may be waiting (through the gate) for this very callback to return.
class VoiceFrameSink : public internal::CaptureSink {
 public:
  ~VoiceFrameSink() override = default;
  // `frame.samples` is valid only during the call; copy what must outlive it.
  virtual void OnVoiceFrame(const platform::AudioFrame& frame) = 0;
  // The gate ended the session (never called for kCompletedByCaller).
  void OnSessionEnded(EndReason reason) override = 0;
};

class VoiceGate;

// A granted capture: move-only RAII handle (internal/session_handle.h). delivered() counts frames.
using VoiceCaptureSession = internal::SessionHandle<VoiceGate>;
using VoiceAcquireResult = internal::AcquireResult<VoiceCaptureSession>;

struct VoiceGateOptions {
  platform::AudioFormat format;       // the microphone is opened in this format
  std::string voice_category = "voice";  // the policy category that covers audio
};

inline constexpr size_t kMaxVoiceSessions = internal::kMaxSessionsPerGate;

namespace internal {
// An on-device consumer of raw audio that is not a capture: nothing it receives leaves the gate
// module (the wake-word detector of SpeakerPipeline). Called on the audio thread whenever the
// microphone is open, the OS permission granted and the switch unmuted; must not block.
class OnDeviceAudioProcessor {
 public:
  virtual ~OnDeviceAudioProcessor() = default;
  virtual void ProcessOnDevice(const platform::AudioFrame& frame) = 0;
};
}  // namespace internal

// Thread-safety: Acquire, Check and the listener methods are safe from any thread, except from
// inside a sink callback (Acquire then returns kInvalidRequest). The gate registers itself with
// the ledger (AddListener) and as the microphone's mute listener; register it (or a
// PermissionFanout holding it) as the PermissionProvider's listener yourself, and unregister
// before destroying the gate. Ledger, microphone, permissions, clock and access log are not
// owned and must outlive the gate; every session must be gone before the gate is destroyed.
// The session life cycle is internal::CaptureGateCore, shared with LocationGate; this class is
// the microphone side of it.
class VoiceGate final : public consent::ConsentListener,
                        public platform::PermissionListener,
                        public platform::MuteListener,
                        private platform::MicrophoneSink,
                        private internal::CaptureDevice {
 public:
  VoiceGate(consent::ConsentLedger& ledger, platform::Microphone& microphone,
            platform::PermissionProvider& permissions, platform::Clock& clock, AccessLog& log,
            VoiceGateOptions options = {});
  ~VoiceGate() override;
  VoiceGate(const VoiceGate&) = delete;
  VoiceGate& operator=(const VoiceGate&) = delete;

  // Opens a capture of the microphone for `purpose_id`, delivering to `sink` (not owned; must
  // outlive the session), or says why not. Records the grant or the denial in the access log.
  VoiceAcquireResult Acquire(std::string_view purpose_id, VoiceFrameSink* sink);
  // What Acquire would answer about consent, permission and mute right now, without capturing
  // or logging (for greying out a button). Lock-free.
  DenialReason Check(std::string_view purpose_id) const noexcept;

  // Listener interfaces: end the sessions a change no longer allows (see the header comment).
  // The gate's own consent registration is made by its core; OnConsentChanged does the same.
  void OnConsentChanged(const consent::ConsentSnapshot& snapshot) override;
  void OnPermissionChanged(platform::Permission permission, platform::PermissionState state) override;
  void OnHardwareMuteChanged(bool muted) override;

  // Sessions not yet released by their owners (including ended ones whose handle is alive).
  size_t sessions_in_use();
  // Whether the gate holds the microphone open.
  bool microphone_open();
  const platform::AudioFormat& format() const { return options_.format; }

 private:
  friend class SpeakerPipeline;

  // MicrophoneSink (audio thread).
  void OnFrame(const platform::AudioFrame& frame) override;
  void OnStopped(platform::MicrophoneStopReason reason) override;

  // CaptureDevice: the OS permission and the mute switch; the microphone open or closed.
  DenialReason CheckDevice(const consent::ConsentSnapshot& snapshot, internal::Level requested,
                           internal::Level* granted) const noexcept override;
  internal::Level RunAt(internal::Level wanted) override;
  void DescribeStart(internal::Level requested, CaptureStart* start) const override;
  void DescribeEnd(uint64_t delivered, internal::Level finest, CaptureEnd* end) const override;

  // The OS permission, then the mute switch (lock-free).
  DenialReason DeviceDenial() const noexcept;
  void SetOnDeviceProcessor(internal::OnDeviceAudioProcessor* processor);

  platform::Microphone& microphone_;
  platform::PermissionProvider& permissions_;
  const VoiceGateOptions options_;
  bool microphone_open_ = false;                       // core's control mutex
  std::atomic<bool> microphone_stopped_by_platform_{false};
  std::atomic<internal::OnDeviceAudioProcessor*> processor_{nullptr};
  std::atomic<bool> processor_busy_{false};
  internal::CaptureGateCore core_;  // last: it may call the device as soon as it is registered
};

}  // namespace tacet::gate

#endif  // TACET_GATE_VOICE_GATE_H_
