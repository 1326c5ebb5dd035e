// The C API: the voice and location gates, and the frames and fixes the firmware pushes.
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "capi/capi_agent.h"
#include "capi/capi_internal.h"
#include "gate/gate_types.h"

using tacet::Status;
using tacet::capi::CheckAgent;
using tacet::capi::CheckEnum;
using tacet::capi::CheckHandle;
using tacet::capi::CheckId;
using tacet::capi::EnumValue;
using tacet::capi::HandleKind;
using tacet::capi::Run;

namespace gate = tacet::gate;
namespace platform = tacet::platform;

// The gates' reasons reach the caller as the C enums by value: every gate value must be one.
#define TACET_SAME_VALUE(c, cxx) static_assert(static_cast<int>(cxx) == (c), #c)
TACET_SAME_VALUE(TACET_DENIAL_NONE, gate::DenialReason::kNone);
TACET_SAME_VALUE(TACET_DENIAL_PURPOSE_NOT_ALLOWED_BY_POLICY,
                 gate::DenialReason::kPurposeNotAllowedByPolicy);
TACET_SAME_VALUE(TACET_DENIAL_VOICE_DATA_NOT_PROVIDED, gate::DenialReason::kVoiceDataNotProvided);
TACET_SAME_VALUE(TACET_DENIAL_LOCATION_DATA_NOT_PROVIDED,
                 gate::DenialReason::kLocationDataNotProvided);
TACET_SAME_VALUE(TACET_DENIAL_CONSENT_UNKNOWN, gate::DenialReason::kConsentUnknown);
TACET_SAME_VALUE(TACET_DENIAL_NO_CONSENT, gate::DenialReason::kNoConsent);
TACET_SAME_VALUE(TACET_DENIAL_OS_PERMISSION_DENIED, gate::DenialReason::kOsPermissionDenied);
TACET_SAME_VALUE(TACET_DENIAL_HARDWARE_MUTED, gate::DenialReason::kHardwareMuted);
TACET_SAME_VALUE(TACET_DENIAL_TOO_MANY_SESSIONS, gate::DenialReason::kTooManySessions);
TACET_SAME_VALUE(TACET_DENIAL_DEVICE_UNAVAILABLE, gate::DenialReason::kDeviceUnavailable);
TACET_SAME_VALUE(TACET_DENIAL_ACCESS_LOG_UNAVAILABLE, gate::DenialReason::kAccessLogUnavailable);
TACET_SAME_VALUE(TACET_DENIAL_INVALID_REQUEST, gate::DenialReason::kInvalidRequest);
TACET_SAME_VALUE(TACET_DENIAL_NOT_A_COLLECTION_BASIS, gate::DenialReason::kNotACollectionBasis);
TACET_SAME_VALUE(TACET_END_NONE, gate::EndReason::kNone);
TACET_SAME_VALUE(TACET_END_COMPLETED_BY_CALLER, gate::EndReason::kCompletedByCaller);
TACET_SAME_VALUE(TACET_END_CONSENT_WITHDRAWN, gate::EndReason::kConsentWithdrawn);
TACET_SAME_VALUE(TACET_END_OS_PERMISSION_LOST, gate::EndReason::kOsPermissionLost);
TACET_SAME_VALUE(TACET_END_HARDWARE_MUTED, gate::EndReason::kHardwareMuted);
TACET_SAME_VALUE(TACET_END_DEVICE_ERROR, gate::EndReason::kDeviceError);
#undef TACET_SAME_VALUE

namespace tacet::capi {

VoiceSessionCore::~VoiceSessionCore() { handle.End(); }

void VoiceSessionCore::OnVoiceFrame(const platform::AudioFrame& frame) {
  CountDelivery();
  CallbackScope scope(static_cast<SessionCore*>(this));
  on_frame_(frame.samples, frame.count, frame.capture_monotonic_ns, user_data());
}

LocationSessionCore::~LocationSessionCore() { handle.End(); }

void LocationSessionCore::OnLocationFix(const platform::LocationFix& fix,
                                        platform::LocationPrecision precision) {
  CountDelivery();
  tacet_location_fix out{fix.latitude_deg, fix.longitude_deg, fix.accuracy_m, fix.unix_millis};
  CallbackScope scope(static_cast<SessionCore*>(this));
  on_fix_(&out, static_cast<tacet_location_precision>(precision), user_data());
}

}  // namespace tacet::capi

namespace {

// Holds the agent's lifecycle lock (shared) so that close cannot destroy the gates meanwhile;
// inside a callback the lock is not taken (close may hold it while the callback runs, and the
// call that runs the callback keeps the gate alive).
class GateUse {
 public:
  explicit GateUse(tacet_agent* agent) {
    if (!tacet::capi::InCallback()) lock_ = std::shared_lock<std::shared_mutex>(agent->lifecycle);
  }

 private:
  std::shared_lock<std::shared_mutex> lock_;
};

// Enum arguments are taken by reference and read with EnumValue: a C caller may pass a value
// outside the enum, and loading one as the enum type is undefined in C++ (UBSan flags it).
Status CheckRequested(const tacet_location_precision& requested) {
  return CheckEnum(EnumValue(requested), TACET_PRECISION_APPROXIMATE, TACET_PRECISION_PRECISE,
                   "requested", "TACET_PRECISION_APPROXIMATE, _PRECISE");
}

Status Denied(const char* what, std::string_view purpose, gate::DenialReason reason) {
  return tacet::PermissionDeniedError(std::string(what) + " capture for '" + std::string(purpose) +
                                      "' denied: " + gate::DenialReasonName(reason));
}

Status NoGate(const char* what) {
  return tacet::FailedPreconditionError(std::string("this agent has no ") + what +
                                        " gate (opened read-only)");
}

// Links a granted session to its agent and registers its handle. Under the lifecycle lock.
template <typename Handle, typename Core>
Handle* Adopt(tacet_agent* agent, std::shared_ptr<Core> core, HandleKind kind) {
  auto* handle = new Handle{core};
  std::lock_guard<std::mutex> lock(tacet::capi::RegistryMutex());
  core->agent = agent;
  agent->sessions.emplace(core.get(), core);
  tacet::capi::RegisterHandle(handle, kind);
  return handle;
}

// Ends and frees a session handle. Not inside a callback (Run refuses).
template <typename Handle>
void FreeSession(const char* function, Handle* session, HandleKind kind) {
  if (session == nullptr) return;
  Run(function, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckHandle(session, kind, "session"));
    // End first, while the agent still sees the session: a concurrent close then waits for this
    // end to finish before it closes the gates.
    session->core->End(/*agent_closing=*/false);
    {
      std::lock_guard<std::mutex> lock(tacet::capi::RegistryMutex());
      tacet::capi::UnregisterHandle(session);
      if (session->core->agent != nullptr) {
        session->core->agent->sessions.erase(session->core.get());
        session->core->agent = nullptr;
      }
    }
    delete session;  // the core goes with the last reference (free_user_data then)
    return tacet::OkStatus();
  });
}

template <typename Handle>
tacet_status SessionState(const char* function, const Handle* session, HandleKind kind,
                          tacet_end_reason* out_reason, uint64_t* out_delivered) {
  return Run(function, /*callback_safe=*/true, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckHandle(session, kind, "session"));
    if (out_reason != nullptr) *out_reason = session->core->reason();
    if (out_delivered != nullptr) *out_delivered = session->core->delivered();
    return tacet::OkStatus();
  });
}

}  // namespace

extern "C" {

// ---- voice --------------------------------------------------------------------------------------

tacet_status tacet_voice_session_open(tacet_agent_t* agent, const char* purpose_id,
                                      const tacet_voice_callbacks* callbacks,
                                      tacet_voice_session_t** out_session,
                                      tacet_denial_reason* out_denial) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    std::string_view purpose;
    TACET_RETURN_IF_ERROR(CheckId(purpose_id, "purpose_id", &purpose));
    if (callbacks == nullptr) return tacet::InvalidArgumentError("callbacks is NULL");
    if (callbacks->struct_size < sizeof(tacet_voice_callbacks)) {
      return tacet::InvalidArgumentError("callbacks->struct_size is " +
                                         std::to_string(callbacks->struct_size) +
                                         "; set it to sizeof(tacet_voice_callbacks)");
    }
    if (callbacks->on_frame == nullptr) return tacet::InvalidArgumentError("callbacks->on_frame is NULL");
    TACET_RETURN_IF_ERROR(tacet::capi::CheckOut(out_session, "out_session"));
    GateUse use(agent);
    if (agent->closed.load(std::memory_order_acquire)) {
      return tacet::FailedPreconditionError("the agent is closed (tacet_agent_close)");
    }
    gate::VoiceGate* voice = agent->core->voice_gate();
    if (voice == nullptr) return NoGate("voice");
    auto core = std::make_shared<tacet::capi::VoiceSessionCore>(*callbacks);
    gate::VoiceAcquireResult result = voice->Acquire(purpose, core.get());
    if (!result.granted()) {
      core->Disown();
      *out_session = nullptr;
      if (out_denial != nullptr) *out_denial = static_cast<tacet_denial_reason>(result.denial());
      return Denied("voice", purpose, result.denial());
    }
    core->handle = std::move(result.session());
    *out_session = Adopt<tacet_voice_session>(agent, core, HandleKind::kVoiceSession);
    if (out_denial != nullptr) *out_denial = TACET_DENIAL_NONE;
    return tacet::OkStatus();
  });
}

tacet_status tacet_voice_check(tacet_agent_t* agent, const char* purpose_id,
                               tacet_denial_reason* out_denial) {
  return Run(__func__, /*callback_safe=*/true, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    std::string_view purpose;
    TACET_RETURN_IF_ERROR(CheckId(purpose_id, "purpose_id", &purpose));
    TACET_RETURN_IF_ERROR(tacet::capi::CheckOut(out_denial, "out_denial"));
    GateUse use(agent);
    gate::VoiceGate* voice = agent->core->voice_gate();
    if (voice == nullptr) return NoGate("voice");
    *out_denial = static_cast<tacet_denial_reason>(voice->Check(purpose));
    return tacet::OkStatus();
  });
}

tacet_status tacet_voice_session_end(tacet_voice_session_t* session) {
  return Run(__func__, /*callback_safe=*/true, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckHandle(session, HandleKind::kVoiceSession, "session"));
    session->core->End(/*agent_closing=*/false);
    return tacet::OkStatus();
  });
}

tacet_status tacet_voice_session_state(const tacet_voice_session_t* session,
                                       tacet_end_reason* out_reason,
                                       uint64_t* out_frames_delivered) {
  return SessionState(__func__, session, HandleKind::kVoiceSession, out_reason,
                      out_frames_delivered);
}

void tacet_voice_session_free(tacet_voice_session_t* session) {
  FreeSession(__func__, session, HandleKind::kVoiceSession);
}

tacet_status tacet_voice_push_frame(tacet_agent_t* agent, const int16_t* samples, size_t count,
                                    int64_t capture_monotonic_ns) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    if (samples == nullptr) return tacet::InvalidArgumentError("samples is NULL");
    if (count != agent->samples_per_frame) {
      return tacet::InvalidArgumentError(
          "a frame has " + std::to_string(agent->samples_per_frame) +
          " samples in the configured audio format (tacet_options_set_audio_format), not " +
          std::to_string(count));
    }
    return agent->microphone->Push(samples, count, capture_monotonic_ns);
  });
}

tacet_status tacet_voice_set_hardware_muted(tacet_agent_t* agent, int muted) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    agent->microphone->SetHardwareMuted(muted != 0);
    return tacet::OkStatus();
  });
}

tacet_status tacet_voice_report_device_error(tacet_agent_t* agent) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    // The microphone tells the voice gate, which ends every session with kDeviceError (on_ended
    // TACET_END_DEVICE_ERROR) and records each as ended_by_device_error in the access log.
    agent->microphone->ReportStopped(platform::MicrophoneStopReason::kDeviceError);
    return tacet::OkStatus();
  });
}

// ---- location -----------------------------------------------------------------------------------

tacet_status tacet_location_session_open(tacet_agent_t* agent, const char* purpose_id,
                                         tacet_location_precision requested,
                                         const tacet_location_callbacks* callbacks,
                                         tacet_location_session_t** out_session,
                                         tacet_denial_reason* out_denial) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    std::string_view purpose;
    TACET_RETURN_IF_ERROR(CheckId(purpose_id, "purpose_id", &purpose));
    TACET_RETURN_IF_ERROR(CheckRequested(requested));
    if (callbacks == nullptr) return tacet::InvalidArgumentError("callbacks is NULL");
    if (callbacks->struct_size < sizeof(tacet_location_callbacks)) {
      return tacet::InvalidArgumentError("callbacks->struct_size is " +
                                         std::to_string(callbacks->struct_size) +
                                         "; set it to sizeof(tacet_location_callbacks)");
    }
    if (callbacks->on_fix == nullptr) return tacet::InvalidArgumentError("callbacks->on_fix is NULL");
    TACET_RETURN_IF_ERROR(tacet::capi::CheckOut(out_session, "out_session"));
    GateUse use(agent);
    if (agent->closed.load(std::memory_order_acquire)) {
      return tacet::FailedPreconditionError("the agent is closed (tacet_agent_close)");
    }
    gate::LocationGate* location = agent->core->location_gate();
    if (location == nullptr) return NoGate("location");
    auto core = std::make_shared<tacet::capi::LocationSessionCore>(*callbacks);
    gate::LocationAcquireResult result = location->Acquire(
        purpose, static_cast<platform::LocationPrecision>(EnumValue(requested)), core.get());
    if (!result.granted()) {
      core->Disown();
      *out_session = nullptr;
      if (out_denial != nullptr) *out_denial = static_cast<tacet_denial_reason>(result.denial());
      return Denied("location", purpose, result.denial());
    }
    core->handle = std::move(result.session());
    *out_session = Adopt<tacet_location_session>(agent, core, HandleKind::kLocationSession);
    if (out_denial != nullptr) *out_denial = TACET_DENIAL_NONE;
    return tacet::OkStatus();
  });
}

tacet_status tacet_location_check(tacet_agent_t* agent, const char* purpose_id,
                                  tacet_location_precision requested,
                                  tacet_denial_reason* out_denial,
                                  tacet_location_precision* out_effective) {
  return Run(__func__, /*callback_safe=*/true, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    std::string_view purpose;
    TACET_RETURN_IF_ERROR(CheckId(purpose_id, "purpose_id", &purpose));
    TACET_RETURN_IF_ERROR(CheckRequested(requested));
    TACET_RETURN_IF_ERROR(tacet::capi::CheckOut(out_denial, "out_denial"));
    GateUse use(agent);
    gate::LocationGate* location = agent->core->location_gate();
    if (location == nullptr) return NoGate("location");
    platform::LocationPrecision effective = platform::LocationPrecision::kNone;
    *out_denial = static_cast<tacet_denial_reason>(location->Check(
        purpose, static_cast<platform::LocationPrecision>(EnumValue(requested)), &effective));
    if (out_effective != nullptr) *out_effective = static_cast<tacet_location_precision>(effective);
    return tacet::OkStatus();
  });
}

tacet_status tacet_location_session_end(tacet_location_session_t* session) {
  return Run(__func__, /*callback_safe=*/true, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckHandle(session, HandleKind::kLocationSession, "session"));
    session->core->End(/*agent_closing=*/false);
    return tacet::OkStatus();
  });
}

tacet_status tacet_location_session_state(const tacet_location_session_t* session,
                                          tacet_end_reason* out_reason,
                                          uint64_t* out_fixes_delivered) {
  return SessionState(__func__, session, HandleKind::kLocationSession, out_reason,
                      out_fixes_delivered);
}

void tacet_location_session_free(tacet_location_session_t* session) {
  FreeSession(__func__, session, HandleKind::kLocationSession);
}

tacet_status tacet_location_push_fix(tacet_agent_t* agent, const tacet_location_fix* fix) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    if (fix == nullptr) return tacet::InvalidArgumentError("fix is NULL");
    platform::LocationFix f;
    f.latitude_deg = fix->latitude_deg;
    f.longitude_deg = fix->longitude_deg;
    f.accuracy_m = fix->accuracy_m;
    f.unix_millis = fix->unix_ms;
    return agent->location->Push(f);
  });
}

}  // extern "C"
