// The C API: options, the agent's lifetime, policy, consent, features and OS permissions.
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "capi/capi_agent.h"
#include "capi/capi_internal.h"
#include "consent/feature_availability.h"
#include "policy/policy.h"
#include "posix/posix_clock.h"
#include "posix/posix_entropy.h"

using tacet::Status;
using tacet::StatusOr;
using tacet::capi::Block;
using tacet::capi::CheckAgent;
using tacet::capi::CheckEnum;
using tacet::capi::CheckHandle;
using tacet::capi::CheckId;
using tacet::capi::CheckOut;
using tacet::capi::EnumValue;
using tacet::capi::HandleKind;
using tacet::capi::Run;

namespace consent = tacet::consent;
namespace platform = tacet::platform;

namespace tacet::capi {

// ---- sessions and listeners (shared with capi_capture.cc) ---------------------------------------

SessionCore::~SessionCore() {
  if (free_user_data_ != nullptr) {
    CallbackScope scope;
    free_user_data_(user_data_);
  }
}

void SessionCore::Ended(int reason) {
  int none = TACET_END_NONE;
  if (!reason_.compare_exchange_strong(none, reason, std::memory_order_acq_rel)) return;
  if (on_ended_ != nullptr) {
    CallbackScope scope(this);
    on_ended_(static_cast<tacet_end_reason>(reason), user_data_);
  }
}

void SessionCore::GateEnded(gate::EndReason reason) {
  // The gate's numbers are the C API's, except kGateClosed (the gate was destroyed with the
  // session open), which the C API never lets happen: it ends sessions before closing.
  Ended(static_cast<int>(reason));
}

void SessionCore::End(bool agent_closing) {
  bool expected = false;
  if (end_claimed_.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
    EndHandle();
    if (agent_closing) {
      Ended(TACET_END_AGENT_CLOSED);
    } else {
      int none = TACET_END_NONE;
      reason_.compare_exchange_strong(none, TACET_END_COMPLETED_BY_CALLER,
                                      std::memory_order_acq_rel);
    }
    end_done_.store(true, std::memory_order_release);
    return;
  }
  if (CurrentCallbackSession() == this) return;
  while (!end_done_.load(std::memory_order_acquire)) std::this_thread::yield();
}

ConsentListenerAdapter::~ConsentListenerAdapter() {
  if (free_fn_ != nullptr) {
    CallbackScope scope;
    free_fn_(user_data_);
  }
}

void ConsentListenerAdapter::OnConsentChanged(const consent::ConsentSnapshot& snapshot) {
  CallbackScope scope;
  fn_(snapshot.generation(), user_data_);
}

Status CheckAgent(tacet_agent* agent) {
  TACET_RETURN_IF_ERROR(CheckHandle(agent, HandleKind::kAgent, "agent"));
  if (agent->closed.load(std::memory_order_acquire)) {
    return FailedPreconditionError("the agent is closed (tacet_agent_close)");
  }
  return OkStatus();
}

Status CloseAgent(tacet_agent* agent) {
  std::unique_lock<std::shared_mutex> lifecycle(agent->lifecycle);
  if (agent->closed.exchange(true, std::memory_order_acq_rel)) return OkStatus();
  // Sessions first: the agent refuses to close while the gates hand out session handles.
  std::vector<std::shared_ptr<SessionCore>> sessions;
  {
    std::lock_guard<std::mutex> lock(RegistryMutex());
    for (auto& entry : agent->sessions) {
      entry.second->agent = nullptr;
      sessions.push_back(std::move(entry.second));
    }
    agent->sessions.clear();
  }
  for (auto& session : sessions) session->End(/*agent_closing=*/true);
  sessions.clear();
  std::map<uint64_t, std::unique_ptr<ConsentListenerAdapter>> listeners;
  {
    std::lock_guard<std::mutex> lock(agent->listeners_mu);
    listeners.swap(agent->listeners);
  }
  for (auto& entry : listeners) agent->core->RemoveConsentListener(entry.second.get());
  listeners.clear();  // calls each free_user_data
  return agent->core->Close();
}

}  // namespace tacet::capi

namespace {

Status CheckOptions(tacet_options* options) {
  return CheckHandle(options, HandleKind::kOptions, "options");
}

// Enum arguments are taken by reference and read with EnumValue: a C caller may pass a value
// outside the enum, and loading one as the enum type is undefined in C++ (UBSan flags it).
Status CheckState(const tacet_consent_state& state) {
  return CheckEnum(EnumValue(state), TACET_CONSENT_UNKNOWN, TACET_CONSENT_DENIED, "state",
                   "TACET_CONSENT_UNKNOWN, _GRANTED, _DENIED");
}

Status CheckSource(const tacet_decision_source& source) {
  return CheckEnum(EnumValue(source), TACET_SOURCE_USER, TACET_SOURCE_POLICY_DEFAULT, "source",
                   "TACET_SOURCE_USER .. TACET_SOURCE_POLICY_DEFAULT (1..5)");
}

Status CheckPrecision(const tacet_location_precision& precision) {
  return CheckEnum(EnumValue(precision), TACET_PRECISION_NONE, TACET_PRECISION_PRECISE,
                   "precision", "TACET_PRECISION_NONE, _APPROXIMATE, _PRECISE");
}

Status CheckPermission(const tacet_os_permission& permission) {
  return CheckEnum(EnumValue(permission), TACET_OS_PERMISSION_MICROPHONE,
                   TACET_OS_PERMISSION_LOCATION, "permission",
                   "TACET_OS_PERMISSION_MICROPHONE, _LOCATION");
}

platform::Permission ToPermission(const tacet_os_permission& permission) {
  return EnumValue(permission) == TACET_OS_PERMISSION_MICROPHONE ? platform::Permission::kMicrophone
                                                                 : platform::Permission::kLocation;
}

// Sets a table option, or clears it when `table` is null.
template <typename Table>
Status SetTable(std::optional<Table>* slot, const Table* table) {
  if (table == nullptr) {
    slot->reset();
    return tacet::OkStatus();
  }
  Table copy;
  TACET_RETURN_IF_ERROR(tacet::capi::CopyTable(table, &copy));
  *slot = copy;
  return tacet::OkStatus();
}

// Fills a tacet_string_list inside `block` (planned with PlanStrings).
void PlanStrings(Block& block, const std::vector<std::string>& items, size_t* offset) {
  *offset = block.Reserve(sizeof(const char*) * items.size(), alignof(const char*));
  for (const auto& s : items) block.CountText(s);
}
tacet_string_list FillStrings(Block& block, const std::vector<std::string>& items, size_t offset) {
  auto** pointers = block.At<const char*>(offset);
  for (size_t i = 0; i < items.size(); ++i) pointers[i] = block.PutText(items[i]);
  return tacet_string_list{items.size(), items.empty() ? nullptr : pointers};
}

}  // namespace

extern "C" {

// ---- options ------------------------------------------------------------------------------------

tacet_status tacet_options_new(tacet_options_t** out_options) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckOut(out_options, "out_options"));
    auto* options = new (std::nothrow) tacet_options();
    if (options == nullptr) return tacet::capi::OutOfMemory();
    {
      std::lock_guard<std::mutex> lock(tacet::capi::RegistryMutex());
      tacet::capi::RegisterHandle(options, HandleKind::kOptions);
    }
    *out_options = options;
    return tacet::OkStatus();
  });
}

void tacet_options_free(tacet_options_t* options) {
  if (options == nullptr) return;
  Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckOptions(options));
    {
      std::lock_guard<std::mutex> lock(tacet::capi::RegistryMutex());
      tacet::capi::UnregisterHandle(options);
    }
    delete options;
    return tacet::OkStatus();
  });
}

tacet_status tacet_options_set_data_dir(tacet_options_t* options, const char* path) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckOptions(options));
    std::string p;
    TACET_RETURN_IF_ERROR(tacet::capi::CheckPath(path, "path", &p));
    options->data_dir = std::move(p);
    return tacet::OkStatus();
  });
}

tacet_status tacet_options_set_key_store_dir(tacet_options_t* options, const char* path) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckOptions(options));
    if (path == nullptr) {
      options->key_store_dir.clear();
      return tacet::OkStatus();
    }
    std::string p;
    TACET_RETURN_IF_ERROR(tacet::capi::CheckPath(path, "path", &p));
    options->key_store_dir = std::move(p);
    return tacet::OkStatus();
  });
}

tacet_status tacet_options_set_policy_update_key(tacet_options_t* options,
                                                 const uint8_t* public_key,
                                                 size_t public_key_len) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckOptions(options));
    TACET_RETURN_IF_ERROR(tacet::capi::CheckBuffer(public_key, public_key_len, "public_key"));
    if (public_key_len != 65 || public_key[0] != 0x04) {
      return tacet::InvalidArgumentError(
          "the policy update key must be an uncompressed P-256 point: 65 bytes starting with "
          "0x04 (got " + std::to_string(public_key_len) + " bytes)");
    }
    options->policy_update_key.assign(public_key, public_key + public_key_len);
    return tacet::OkStatus();
  });
}

tacet_status tacet_options_set_log_level(tacet_options_t* options, tacet_log_level level) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckOptions(options));
    TACET_RETURN_IF_ERROR(CheckEnum(EnumValue(level), TACET_LOG_DEBUG, TACET_LOG_NONE, "level",
                                    "TACET_LOG_DEBUG .. TACET_LOG_NONE (0..4)"));
    options->log_level = EnumValue(level);
    return tacet::OkStatus();
  });
}

tacet_status tacet_options_set_create(tacet_options_t* options, int create) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckOptions(options));
    options->create = create != 0;
    return tacet::OkStatus();
  });
}

tacet_status tacet_options_set_read_only(tacet_options_t* options, int read_only) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckOptions(options));
    options->read_only = read_only != 0;
    return tacet::OkStatus();
  });
}

tacet_status tacet_options_set_lock_timeout_ms(tacet_options_t* options, int32_t timeout_ms) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckOptions(options));
    if (timeout_ms < 0 || timeout_ms > 600000) {
      return tacet::InvalidArgumentError("timeout_ms is " + std::to_string(timeout_ms) +
                                         "; expected 0 .. 600000");
    }
    options->lock_timeout_ms = timeout_ms;
    return tacet::OkStatus();
  });
}

tacet_status tacet_options_set_audio_format(tacet_options_t* options, int32_t sample_rate_hz,
                                            int32_t channels, int32_t frame_ms) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckOptions(options));
    platform::AudioFormat format;
    format.sample_rate_hz = sample_rate_hz;
    format.channels = channels;
    format.frame_ms = frame_ms;
    TACET_RETURN_IF_ERROR(platform::ValidateAudioFormat(format));
    options->format = format;
    return tacet::OkStatus();
  });
}

tacet_status tacet_options_set_key_store(tacet_options_t* options, const tacet_key_store* table) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckOptions(options));
    return SetTable(&options->key_store, table);
  });
}

tacet_status tacet_options_set_permissions(tacet_options_t* options,
                                           const tacet_permissions* table) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckOptions(options));
    return SetTable(&options->permissions, table);
  });
}

tacet_status tacet_options_set_clock(tacet_options_t* options, const tacet_clock* table) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckOptions(options));
    return SetTable(&options->clock, table);
  });
}

tacet_status tacet_options_set_entropy(tacet_options_t* options, const tacet_entropy* table) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckOptions(options));
    return SetTable(&options->entropy, table);
  });
}

tacet_status tacet_options_set_logger(tacet_options_t* options, const tacet_logger* table) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckOptions(options));
    return SetTable(&options->logger, table);
  });
}

// ---- the agent ----------------------------------------------------------------------------------

tacet_status tacet_agent_open(const tacet_options_t* options, tacet_agent_t** out_agent) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckHandle(options, HandleKind::kOptions, "options"));
    TACET_RETURN_IF_ERROR(CheckOut(out_agent, "out_agent"));
    if (options->data_dir.empty()) {
      return tacet::InvalidArgumentError(
          "the options have no data directory (tacet_options_set_data_dir)");
    }
    if (options->key_store && !options->key_store_dir.empty()) {
      return tacet::InvalidArgumentError(
          "the options have both a key store table (tacet_options_set_key_store) and a key store "
          "directory (tacet_options_set_key_store_dir); the directory is only for the default key "
          "store");
    }
    auto agent = std::make_unique<tacet_agent>();
    agent->logger = std::make_unique<tacet::capi::FilteredLogger>(
        options->log_level, options->logger ? &*options->logger : nullptr);
    if (options->clock) {
      agent->clock = std::make_unique<tacet::capi::TableClock>(*options->clock);
    } else {
      agent->clock = std::make_unique<platform::PosixClock>();
    }
    if (options->entropy) {
      agent->entropy = std::make_unique<tacet::capi::TableEntropy>(*options->entropy);
    } else {
      agent->entropy = std::make_unique<platform::PosixEntropy>();
    }
    if (options->key_store) {
      agent->key_store = std::make_unique<tacet::capi::TableKeyStore>(*options->key_store);
    }
    platform::PermissionProvider* permissions;
    if (options->permissions) {
      agent->table_permissions =
          std::make_unique<tacet::capi::TablePermissions>(*options->permissions);
      permissions = agent->table_permissions.get();
    } else {
      agent->static_permissions = std::make_unique<platform::StaticPermissionProvider>();
      permissions = agent->static_permissions.get();
    }
    agent->microphone = std::make_unique<platform::InjectedMicrophone>();
    agent->location = std::make_unique<platform::InjectedLocationProvider>();
    agent->scheduler = std::make_unique<platform::PosixScheduler>();
    agent->samples_per_frame = options->format.SamplesPerFrame();
    agent->data_dir = options->data_dir;
    agent->key_store_dir = options->key_store_dir;

    platform::Platform p;
    p.clock = agent->clock.get();
    p.entropy = agent->entropy.get();
    p.key_store = agent->key_store.get();
    p.permissions = permissions;
    p.microphone = agent->microphone.get();
    p.location = agent->location.get();
    p.scheduler = agent->scheduler.get();
    p.logger = agent->logger.get();

    tacet::agent::AgentOptions o;
    o.data_dir = options->data_dir;
    o.key_store_dir = options->key_store_dir;
    o.policy_update_public_key = options->policy_update_key;
    o.create = options->create && !options->read_only;
    o.read_only = options->read_only;
    o.lock_timeout_ms = options->lock_timeout_ms;
    o.voice.format = options->format;
    if (options->sync) o.sync = *options->sync;  // the agent builds its HttpsTransport from it
    TACET_ASSIGN_OR_RETURN(agent->core, tacet::agent::Agent::Open(o, p));
    {
      std::lock_guard<std::mutex> lock(tacet::capi::RegistryMutex());
      tacet::capi::RegisterHandle(agent.get(), HandleKind::kAgent);
    }
    *out_agent = agent.release();
    return tacet::OkStatus();
  });
}

tacet_status tacet_agent_close(tacet_agent_t* agent) {
  return Run(__func__, [&]() -> Status {
    if (agent == nullptr) return tacet::OkStatus();
    TACET_RETURN_IF_ERROR(CheckHandle(agent, HandleKind::kAgent, "agent"));
    return tacet::capi::CloseAgent(agent);
  });
}

void tacet_agent_free(tacet_agent_t* agent) {
  if (agent == nullptr) return;
  Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckHandle(agent, HandleKind::kAgent, "agent"));
    {
      std::lock_guard<std::mutex> lock(tacet::capi::RegistryMutex());
      tacet::capi::UnregisterHandle(agent);
    }
    // A close that fails still leaves nothing running: the Agent's destructor closes regardless.
    Status closed = tacet::capi::CloseAgent(agent);
    delete agent;
    return closed;
  });
}

// ---- policy -------------------------------------------------------------------------------------

tacet_status tacet_policy_id(tacet_agent_t* agent, char** out_id) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(CheckOut(out_id, "out_id"));
    char* id = tacet::capi::CopyString(agent->core->policy()->id());
    if (id == nullptr) return tacet::capi::OutOfMemory();
    *out_id = id;
    return tacet::OkStatus();
  });
}

tacet_status tacet_policy_version(tacet_agent_t* agent, uint64_t* out_version) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(CheckOut(out_version, "out_version"));
    *out_version = agent->core->policy()->version();
    return tacet::OkStatus();
  });
}

tacet_status tacet_policy_hash(tacet_agent_t* agent, uint8_t out_hash[32]) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(CheckOut(out_hash, "out_hash"));
    const auto& hash = agent->core->policy()->hash();
    std::memcpy(out_hash, hash.data(), hash.size());
    return tacet::OkStatus();
  });
}

tacet_status tacet_policy_apply_update(tacet_agent_t* agent, const uint8_t* policy,
                                       size_t policy_len, const uint8_t* signature_der,
                                       size_t signature_len,
                                       tacet_policy_update_result** out_result) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(tacet::capi::CheckBuffer(policy, policy_len, "policy"));
    TACET_RETURN_IF_ERROR(tacet::capi::CheckBuffer(signature_der, signature_len, "signature_der"));
    if (policy_len == 0) return tacet::InvalidArgumentError("policy is empty");
    if (signature_len == 0) return tacet::InvalidArgumentError("signature_der is empty");
    TACET_ASSIGN_OR_RETURN(auto update,
                           agent->core->ApplyPolicyUpdate(tacet::ByteView(policy, policy_len),
                                                          tacet::ByteView(signature_der,
                                                                          signature_len)));
    if (out_result == nullptr) return tacet::OkStatus();
    Block block;
    size_t head = block.Reserve(sizeof(tacet_policy_update_result),
                                alignof(tacet_policy_update_result));
    size_t strings;
    PlanStrings(block, update.purposes_to_ask, &strings);
    if (!block.Allocate()) return tacet::capi::OutOfMemory();
    auto* r = block.At<tacet_policy_update_result>(head);
    r->old_version = update.old_version;
    r->new_version = update.new_version;
    r->purposes_to_ask = FillStrings(block, update.purposes_to_ask, strings);
    r->controller_notice_required = update.controller_notice_required ? 1 : 0;
    *out_result = static_cast<tacet_policy_update_result*>(block.Release());
    return tacet::OkStatus();
  });
}

tacet_status tacet_policy_controller_notice_pending(tacet_agent_t* agent, int* out_pending) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(CheckOut(out_pending, "out_pending"));
    *out_pending = agent->core->controller_notice_required() ? 1 : 0;
    return tacet::OkStatus();
  });
}

tacet_status tacet_policy_acknowledge_controller_notice(tacet_agent_t* agent) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    return agent->core->AcknowledgeControllerNotice();
  });
}

// ---- consent ------------------------------------------------------------------------------------

tacet_status tacet_consent_get(tacet_agent_t* agent, tacet_subject_kind kind, const char* id,
                               tacet_consent_state* out_state) {
  return Run(__func__, /*callback_safe=*/true, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(CheckEnum(EnumValue(kind), TACET_SUBJECT_PURPOSE,
                                    TACET_SUBJECT_LOCATION, "kind",
                                    "TACET_SUBJECT_PURPOSE .. TACET_SUBJECT_LOCATION (0..3)"));
    TACET_RETURN_IF_ERROR(CheckOut(out_state, "out_state"));
    const consent::ConsentSnapshot& s = agent->core->consent();
    consent::ConsentState state = consent::ConsentState::kUnknown;
    if (EnumValue(kind) == TACET_SUBJECT_LOCATION) {
      if (s.location_source() != consent::DecisionSource::kPolicyDefault) {
        state = s.location_precision() != platform::LocationPrecision::kNone
                    ? consent::ConsentState::kGranted
                    : consent::ConsentState::kDenied;
      }
    } else {
      std::string_view subject;
      TACET_RETURN_IF_ERROR(CheckId(id, "id", &subject));
      int index;
      const char* noun;
      switch (EnumValue(kind)) {
        case TACET_SUBJECT_PURPOSE: index = s.PurposeIndex(subject); noun = "purpose"; break;
        case TACET_SUBJECT_CHANNEL: index = s.ChannelIndex(subject); noun = "channel"; break;
        default: index = s.CategoryIndex(subject); noun = "category"; break;
      }
      if (index < 0) {
        return tacet::NotFoundError(std::string("the policy has no ") + noun + " '" +
                                    std::string(subject) + "'");
      }
      switch (EnumValue(kind)) {
        case TACET_SUBJECT_PURPOSE: state = s.purpose(index); break;
        case TACET_SUBJECT_CHANNEL: state = s.channel(index); break;
        default: state = s.category(index); break;
      }
    }
    *out_state = static_cast<tacet_consent_state>(state);
    return tacet::OkStatus();
  });
}

tacet_status tacet_consent_location_precision(tacet_agent_t* agent,
                                              tacet_location_precision* out_precision) {
  return Run(__func__, /*callback_safe=*/true, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(CheckOut(out_precision, "out_precision"));
    *out_precision =
        static_cast<tacet_location_precision>(agent->core->consent().location_precision());
    return tacet::OkStatus();
  });
}

tacet_status tacet_consent_items(tacet_agent_t* agent, tacet_subject_kind kind,
                                 tacet_consent_list** out_list) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(CheckEnum(EnumValue(kind), TACET_SUBJECT_PURPOSE,
                                    TACET_SUBJECT_CATEGORY, "kind",
                                    "TACET_SUBJECT_PURPOSE, _CHANNEL, _CATEGORY"));
    TACET_RETURN_IF_ERROR(CheckOut(out_list, "out_list"));
    const consent::ConsentSnapshot& s = agent->core->consent();
    const auto& root = s.policy().model();
    struct Item {
      std::string_view id, display_name, description, legal_basis;
      consent::ConsentState state;
      consent::DecisionSource source;
      bool askable;
    };
    std::vector<Item> items;
    switch (EnumValue(kind)) {
      case TACET_SUBJECT_PURPOSE:
        for (const auto& p : root.purposes) {
          int i = s.PurposeIndex(p.id);
          items.push_back({p.id, p.display_name, p.description,
                           tacet::policy::LegalBasisName(p.legal_basis), s.purpose(i),
                           s.purpose_source(i), p.refusable});
        }
        break;
      case TACET_SUBJECT_CHANNEL:
        for (const auto& c : root.channels) {
          int i = s.ChannelIndex(c.id);
          items.push_back({c.id, c.display_name, c.description, "", s.channel(i),
                           s.channel_source(i), true});
        }
        break;
      default:
        for (const auto& c : root.categories) {
          int i = s.CategoryIndex(c.id);
          items.push_back({c.id, c.display_name, c.description, "", s.category(i),
                           s.category_source(i), c.optional});
        }
        break;
    }
    Block block;
    size_t head = block.Reserve(sizeof(tacet_consent_list), alignof(tacet_consent_list));
    size_t array = block.Reserve(sizeof(tacet_consent_item) * items.size(),
                                 alignof(tacet_consent_item));
    for (const Item& it : items) {
      block.CountText(it.id);
      block.CountText(it.display_name);
      block.CountText(it.description);
      block.CountText(it.legal_basis);
    }
    if (!block.Allocate()) return tacet::capi::OutOfMemory();
    auto* list = block.At<tacet_consent_list>(head);
    auto* out = block.At<tacet_consent_item>(array);
    for (size_t i = 0; i < items.size(); ++i) {
      out[i].id = block.PutText(items[i].id);
      out[i].display_name = block.PutText(items[i].display_name);
      out[i].description = block.PutText(items[i].description);
      out[i].state = static_cast<tacet_consent_state>(items[i].state);
      out[i].source = static_cast<tacet_decision_source>(items[i].source);
      out[i].askable = items[i].askable ? 1 : 0;
      out[i].legal_basis = block.PutText(items[i].legal_basis);
    }
    list->count = items.size();
    list->items = items.empty() ? nullptr : out;
    *out_list = static_cast<tacet_consent_list*>(block.Release());
    return tacet::OkStatus();
  });
}

tacet_status tacet_consent_set_purpose(tacet_agent_t* agent, const char* purpose_id,
                                       tacet_consent_state state, tacet_decision_source source) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    std::string_view id;
    TACET_RETURN_IF_ERROR(CheckId(purpose_id, "purpose_id", &id));
    TACET_RETURN_IF_ERROR(CheckState(state));
    TACET_RETURN_IF_ERROR(CheckSource(source));
    return agent->core->SetPurpose(id, static_cast<consent::ConsentState>(EnumValue(state)),
                                   static_cast<consent::DecisionSource>(EnumValue(source)));
  });
}

tacet_status tacet_consent_set_channel(tacet_agent_t* agent, const char* channel_id,
                                       tacet_consent_state state, tacet_decision_source source) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    std::string_view id;
    TACET_RETURN_IF_ERROR(CheckId(channel_id, "channel_id", &id));
    TACET_RETURN_IF_ERROR(CheckState(state));
    TACET_RETURN_IF_ERROR(CheckSource(source));
    return agent->core->SetChannel(id, static_cast<consent::ConsentState>(EnumValue(state)),
                                   static_cast<consent::DecisionSource>(EnumValue(source)));
  });
}

tacet_status tacet_consent_set_category_provided(tacet_agent_t* agent, const char* category_id,
                                                 int provided, tacet_decision_source source) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    std::string_view id;
    TACET_RETURN_IF_ERROR(CheckId(category_id, "category_id", &id));
    TACET_RETURN_IF_ERROR(CheckSource(source));
    return agent->core->SetCategoryProvided(
        id, provided != 0, static_cast<consent::DecisionSource>(EnumValue(source)));
  });
}

tacet_status tacet_consent_set_location_precision(tacet_agent_t* agent,
                                                  tacet_location_precision precision,
                                                  tacet_decision_source source) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(CheckPrecision(precision));
    TACET_RETURN_IF_ERROR(CheckSource(source));
    return agent->core->SetLocationPrecision(
        static_cast<platform::LocationPrecision>(EnumValue(precision)),
        static_cast<consent::DecisionSource>(EnumValue(source)));
  });
}

tacet_status tacet_consent_history(tacet_agent_t* agent, const char* subject,
                                   tacet_consent_entry_fn fn, void* user_data) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    std::string_view filter;
    if (subject != nullptr) TACET_RETURN_IF_ERROR(CheckId(subject, "subject", &filter));
    if (fn == nullptr) return tacet::InvalidArgumentError("fn is NULL");
    TACET_ASSIGN_OR_RETURN(auto history, agent->core->ConsentHistory(filter));
    for (const consent::HistoryEntry& e : history) {
      tacet_consent_entry entry{};
      entry.seq = e.seq;
      entry.subject = e.subject.c_str();
      entry.state = static_cast<tacet_consent_state>(e.state);
      entry.precision = static_cast<tacet_location_precision>(e.precision);
      entry.time_unix_ms = e.time_unix_ms;
      entry.policy_id = e.policy_id.c_str();
      entry.policy_version = e.policy_version;
      std::memcpy(entry.policy_hash, e.policy_hash.data(), sizeof entry.policy_hash);
      entry.source = static_cast<tacet_decision_source>(e.source);
      std::memcpy(entry.entry_hash, e.entry_hash.data(), sizeof entry.entry_hash);
      int stop;
      {
        tacet::capi::CallbackScope scope;
        stop = fn(&entry, user_data);
      }
      if (stop != 0) break;
    }
    return tacet::OkStatus();
  });
}

tacet_status tacet_consent_receipt(tacet_agent_t* agent, int64_t seq, char** out_json) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(CheckOut(out_json, "out_json"));
    TACET_ASSIGN_OR_RETURN(std::string json, agent->core->ConsentReceipt(seq));
    char* copy = tacet::capi::CopyString(json);
    if (copy == nullptr) return tacet::capi::OutOfMemory();
    *out_json = copy;
    return tacet::OkStatus();
  });
}

tacet_status tacet_consent_verify(tacet_agent_t* agent) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    return agent->core->VerifyConsent();
  });
}

tacet_status tacet_consent_add_listener(tacet_agent_t* agent, tacet_consent_listener_fn fn,
                                        void* user_data, void (*free_user_data)(void*),
                                        uint64_t* out_listener_id) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    if (fn == nullptr) return tacet::InvalidArgumentError("fn is NULL");
    TACET_RETURN_IF_ERROR(CheckOut(out_listener_id, "out_listener_id"));
    // Under listeners_mu: CloseAgent marks the agent closed before it takes the lock to remove
    // the listeners, so a listener is either removed by it or refused here.
    std::lock_guard<std::mutex> lock(agent->listeners_mu);
    if (agent->closed.load(std::memory_order_acquire)) {
      return tacet::FailedPreconditionError("the agent is closed (tacet_agent_close)");
    }
    auto adapter =
        std::make_unique<tacet::capi::ConsentListenerAdapter>(fn, user_data, free_user_data);
    agent->core->AddConsentListener(adapter.get());
    const uint64_t id = agent->next_listener_id++;
    agent->listeners.emplace(id, std::move(adapter));
    *out_listener_id = id;
    return tacet::OkStatus();
  });
}

tacet_status tacet_consent_remove_listener(tacet_agent_t* agent, uint64_t listener_id) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    std::unique_ptr<tacet::capi::ConsentListenerAdapter> adapter;
    {
      std::lock_guard<std::mutex> lock(agent->listeners_mu);
      auto it = agent->listeners.find(listener_id);
      if (it == agent->listeners.end()) {
        return tacet::NotFoundError("no consent listener " + std::to_string(listener_id));
      }
      agent->core->RemoveConsentListener(it->second.get());
      adapter = std::move(it->second);
      agent->listeners.erase(it);
    }
    adapter.reset();  // free_user_data, outside the lock
    return tacet::OkStatus();
  });
}

// ---- features -----------------------------------------------------------------------------------

tacet_status tacet_features(tacet_agent_t* agent, tacet_feature_list** out_list) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(CheckOut(out_list, "out_list"));
    std::vector<consent::FeatureStatus> features = agent->core->Features();
    Block block;
    size_t head = block.Reserve(sizeof(tacet_feature_list), alignof(tacet_feature_list));
    size_t array = block.Reserve(sizeof(tacet_feature) * features.size(), alignof(tacet_feature));
    std::vector<size_t> missing(features.size());
    for (size_t i = 0; i < features.size(); ++i) {
      block.CountText(features[i].feature);
      block.CountText(features[i].reason);
      block.CountText(features[i].purpose_not_allowed);
      PlanStrings(block, features[i].missing_categories, &missing[i]);
    }
    if (!block.Allocate()) return tacet::capi::OutOfMemory();
    auto* list = block.At<tacet_feature_list>(head);
    auto* out = block.At<tacet_feature>(array);
    for (size_t i = 0; i < features.size(); ++i) {
      out[i].feature = block.PutText(features[i].feature);
      out[i].availability = static_cast<tacet_feature_availability>(features[i].availability);
      out[i].reason = block.PutText(features[i].reason);
      out[i].missing_categories = FillStrings(block, features[i].missing_categories, missing[i]);
      out[i].purpose_not_allowed = block.PutText(features[i].purpose_not_allowed);
    }
    list->count = features.size();
    list->items = features.empty() ? nullptr : out;
    *out_list = static_cast<tacet_feature_list*>(block.Release());
    return tacet::OkStatus();
  });
}

// ---- OS permissions -----------------------------------------------------------------------------

tacet_status tacet_agent_set_os_permission(tacet_agent_t* agent, tacet_os_permission permission,
                                           tacet_permission_state state,
                                           tacet_location_precision precision) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(CheckPermission(permission));
    TACET_RETURN_IF_ERROR(CheckEnum(EnumValue(state), TACET_PERMISSION_NOT_DETERMINED,
                                    TACET_PERMISSION_GRANTED, "state",
                                    "TACET_PERMISSION_NOT_DETERMINED, _DENIED, _GRANTED"));
    TACET_RETURN_IF_ERROR(CheckPrecision(precision));
    if (agent->static_permissions == nullptr) {
      return tacet::FailedPreconditionError(
          "permissions come from the registered tacet_permissions table; call "
          "tacet_agent_os_permission_changed when its answer changes");
    }
    return agent->static_permissions->Set(
        ToPermission(permission), static_cast<platform::PermissionState>(EnumValue(state)),
        static_cast<platform::LocationPrecision>(EnumValue(precision)));
  });
}

tacet_status tacet_agent_os_permission_changed(tacet_agent_t* agent,
                                               tacet_os_permission permission) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(CheckPermission(permission));
    if (agent->table_permissions == nullptr) {
      return tacet::FailedPreconditionError(
          "no tacet_permissions table was registered; set permissions with "
          "tacet_agent_set_os_permission");
    }
    agent->table_permissions->Changed(ToPermission(permission));
    return tacet::OkStatus();
  });
}

}  // extern "C"
