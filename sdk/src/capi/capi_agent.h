// What the C API's opaque handles are: tacet_options, tacet_agent and the capture sessions, over
// tacet::agent::Agent. Private to sdk/src/capi/.
//
// Locks, outermost first:
//   tacet_agent::lifecycle   shared by session opens and gate checks, exclusive in close (the
//                            agent's gates must not be used while Close destroys them)
//   tacet_agent::listeners_mu
//   RegistryMutex()          a leaf: the live-handle registry, agent <-> session links
// No lock is held while calling into the caller's code, except that close holds `lifecycle`
// while a session's on_ended runs (callback-safe functions never take it inside a callback).
#ifndef TACET_CAPI_CAPI_AGENT_H_
#define TACET_CAPI_CAPI_AGENT_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "agent/agent.h"
#include "base/bytes.h"
#include "capi/capi_platform.h"
#include "consent/consent_ledger.h"
#include "gate/location_gate.h"
#include "gate/voice_gate.h"
#include "posix/injected_location.h"
#include "posix/injected_microphone.h"
#include "posix/posix_scheduler.h"
#include "posix/static_permissions.h"
#include "tacet/platform/microphone.h"
#include "tacet/tacet.h"

struct tacet_options {
  std::string data_dir;
  std::string key_store_dir;  // empty: "<data_dir>/keys"
  tacet::Bytes policy_update_key;
  int log_level = TACET_LOG_INFO;
  bool create = true;
  bool read_only = false;
  int32_t lock_timeout_ms = 5000;
  tacet::platform::AudioFormat format;
  std::optional<tacet_key_store> key_store;
  std::optional<tacet_permissions> permissions;
  std::optional<tacet_clock> clock;
  std::optional<tacet_entropy> entropy;
  std::optional<tacet_logger> logger;
  std::optional<tacet::agent::SyncOptions> sync;  // tacet_options_set_sync
};

namespace tacet::capi {

// What both kinds of session share: the caller's on_ended and user data, and ending exactly once.
class SessionCore {
 public:
  SessionCore(void (*on_ended)(tacet_end_reason, void*), void* user_data,
              void (*free_user_data)(void*))
      : on_ended_(on_ended), user_data_(user_data), free_user_data_(free_user_data) {}
  // Calls free_user_data (inside a CallbackScope), unless Disown() was called.
  virtual ~SessionCore();
  SessionCore(const SessionCore&) = delete;
  SessionCore& operator=(const SessionCore&) = delete;

  // The open failed: the caller keeps its user data.
  void Disown() { free_user_data_ = nullptr; }

  // Ends the session once, whoever asks first (the caller, close, free); the others wait until
  // it has ended, except from inside this session's own callback, which returns at once (the
  // current callback is then the last). `agent_closing`: tell on_ended TACET_END_AGENT_CLOSED if
  // the gate had not ended the session already.
  void End(bool agent_closing);

  tacet_end_reason reason() const {
    return static_cast<tacet_end_reason>(reason_.load(std::memory_order_acquire));
  }
  uint64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }

  // The agent whose session this is; null once it closed or the session was freed.
  // RegistryMutex() guards it.
  tacet_agent* agent = nullptr;

 protected:
  // The gate ended the session (sink OnSessionEnded).
  void GateEnded(gate::EndReason reason);
  void CountDelivery() { delivered_.fetch_add(1, std::memory_order_relaxed); }
  void* user_data() const { return user_data_; }
  // Releases the gate's session handle.
  virtual void EndHandle() = 0;

 private:
  // Records `reason` if none is recorded yet and, if so, tells on_ended.
  void Ended(int reason);

  void (*const on_ended_)(tacet_end_reason, void*);
  void* const user_data_;
  void (*free_user_data_)(void*);
  std::atomic<bool> end_claimed_{false};
  std::atomic<bool> end_done_{false};
  std::atomic<int> reason_{TACET_END_NONE};
  std::atomic<uint64_t> delivered_{0};
};

class VoiceSessionCore final : public SessionCore, public gate::VoiceFrameSink {
 public:
  explicit VoiceSessionCore(const tacet_voice_callbacks& cb)
      : SessionCore(cb.on_ended, cb.user_data, cb.free_user_data), on_frame_(cb.on_frame) {}
  ~VoiceSessionCore() override;
  void OnVoiceFrame(const platform::AudioFrame& frame) override;
  void OnSessionEnded(gate::EndReason reason) override { GateEnded(reason); }
  gate::VoiceCaptureSession handle;

 private:
  void EndHandle() override { handle.End(); }
  void (*const on_frame_)(const int16_t*, size_t, int64_t, void*);
};

class LocationSessionCore final : public SessionCore, public gate::LocationFixSink {
 public:
  explicit LocationSessionCore(const tacet_location_callbacks& cb)
      : SessionCore(cb.on_ended, cb.user_data, cb.free_user_data), on_fix_(cb.on_fix) {}
  ~LocationSessionCore() override;
  void OnLocationFix(const platform::LocationFix& fix,
                     platform::LocationPrecision precision) override;
  void OnSessionEnded(gate::EndReason reason) override { GateEnded(reason); }
  gate::LocationSession handle;

 private:
  void EndHandle() override { handle.End(); }
  void (*const on_fix_)(const tacet_location_fix*, tacet_location_precision, void*);
};

// A consent listener registered through the C API.
class ConsentListenerAdapter final : public consent::ConsentListener {
 public:
  ConsentListenerAdapter(tacet_consent_listener_fn fn, void* user_data, void (*free_fn)(void*))
      : fn_(fn), user_data_(user_data), free_fn_(free_fn) {}
  ~ConsentListenerAdapter() override;
  void OnConsentChanged(const consent::ConsentSnapshot& snapshot) override;

 private:
  const tacet_consent_listener_fn fn_;
  void* const user_data_;
  void (*const free_fn_)(void*);
};

}  // namespace tacet::capi

struct tacet_agent {
  // The platform services, declared before `core` so that they outlive it.
  std::unique_ptr<tacet::platform::Logger> logger;
  std::unique_ptr<tacet::platform::Clock> clock;
  std::unique_ptr<tacet::platform::EntropySource> entropy;
  std::unique_ptr<tacet::platform::KeyStore> key_store;  // null: the agent's own FileKeyStore
  std::unique_ptr<tacet::platform::StaticPermissionProvider> static_permissions;  // no table
  std::unique_ptr<tacet::capi::TablePermissions> table_permissions;             // a table
  std::unique_ptr<tacet::platform::InjectedMicrophone> microphone;
  std::unique_ptr<tacet::platform::InjectedLocationProvider> location;
  std::unique_ptr<tacet::platform::PosixScheduler> scheduler;
  size_t samples_per_frame = 0;
  std::string data_dir;       // as given in the options
  std::string key_store_dir;  // as given in the options; empty: the default under data_dir

  std::unique_ptr<tacet::agent::Agent> core;

  std::atomic<bool> closed{false};
  std::shared_mutex lifecycle;
  // Open sessions by core; RegistryMutex() guards it.
  std::unordered_map<tacet::capi::SessionCore*, std::shared_ptr<tacet::capi::SessionCore>> sessions;
  std::mutex listeners_mu;
  std::map<uint64_t, std::unique_ptr<tacet::capi::ConsentListenerAdapter>> listeners;
  uint64_t next_listener_id = 1;
};

struct tacet_voice_session {
  std::shared_ptr<tacet::capi::VoiceSessionCore> core;
};

struct tacet_location_session {
  std::shared_ptr<tacet::capi::LocationSessionCore> core;
};

namespace tacet::capi {

// kInvalidArgument for a bad handle, kFailedPrecondition "the agent is closed".
Status CheckAgent(tacet_agent* agent);
// Closes `agent` (idempotent): ends its sessions, removes its listeners, closes the core.
Status CloseAgent(tacet_agent* agent);

}  // namespace tacet::capi

#endif  // TACET_CAPI_CAPI_AGENT_H_
