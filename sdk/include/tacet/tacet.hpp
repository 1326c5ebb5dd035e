// Tacet for C++17: a header-only wrapper over the C API (tacet/tacet.h), so that C++ firmware
// and apps use the one stable ABI and never a private header.
//
//   auto agent = tacet::Agent::Open(tacet::Options().DataDir("/var/lib/tacet"));
//   if (!agent.ok()) { std::cerr << agent.error().message() << "\n"; return 1; }
//   agent->SetPurpose("voice_features", TACET_CONSENT_GRANTED);
//   auto session = agent->OpenVoiceSession("voice_features",
//       [](const int16_t* samples, size_t count, int64_t t_ns) { ... });
//   agent->SetValue("contact", "email_address", "ada@example.org");
//
// Ownership: Agent, Options and the sessions are move-only RAII handles (their destructors call
// the C API's _free). Strings come in as std::string_view (copied when the C API needs a NUL) and
// go out as std::string. Every call returns an Error (code + message, ok() when TACET_OK) or a
// Result<T> holding a T or an Error; nothing throws, except what std::string and std::function
// allocation may. Threads and callbacks: as documented in tacet.h for the function each method
// calls; a std::function callback must not throw (an exception is caught at the boundary and the
// callback treated as failed).
#ifndef TACET_TACET_HPP
#define TACET_TACET_HPP

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tacet/tacet.h"

namespace tacet {

// A tacet_status with the thread's message at the time of the failure.
class [[nodiscard]] Error {
 public:
  Error() = default;
  Error(tacet_status code, std::string message) : code_(code), message_(std::move(message)) {}
  // The status of the C call just made on this thread.
  static Error FromLastCall(tacet_status code) {
    return code == TACET_OK ? Error() : Error(code, tacet_last_error_message());
  }
  bool ok() const { return code_ == TACET_OK; }
  tacet_status code() const { return code_; }
  const std::string& message() const { return message_; }
  // "permission denied: tacet_vault_set: vault: ..." or "ok".
  std::string ToString() const {
    return ok() ? std::string("ok") : std::string(tacet_status_name(code_)) + ": " + message_;
  }

 private:
  tacet_status code_ = TACET_OK;
  std::string message_;
};

// A T or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)), has_value_(true) {}  // NOLINT
  Result(Error error) : error_(std::move(error)) {}                 // NOLINT
  bool ok() const { return has_value_; }
  const Error& error() const { return error_; }
  T& value() & { return value_; }
  const T& value() const& { return value_; }
  T&& value() && { return std::move(value_); }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }
  T& operator*() & { return value_; }

 private:
  T value_{};
  Error error_;
  bool has_value_ = false;
};

namespace internal {
struct FreeBlock {
  void operator()(void* p) const { tacet_free(p); }
};
template <typename T>
using Block = std::unique_ptr<T, FreeBlock>;
inline std::string Str(const char* s) { return s == nullptr ? std::string() : std::string(s); }
inline std::string Str(const char* s, size_t n) { return s == nullptr ? std::string() : std::string(s, n); }
}  // namespace internal

class Options {
 public:
  Options() { status_ = Error::FromLastCall(tacet_options_new(&options_)); }
  ~Options() { tacet_options_free(options_); }
  Options(Options&& o) noexcept : options_(std::exchange(o.options_, nullptr)), status_(o.status_) {}
  Options& operator=(Options&& o) noexcept {
    std::swap(options_, o.options_);
    std::swap(status_, o.status_);
    return *this;
  }
  Options(const Options&) = delete;
  Options& operator=(const Options&) = delete;

  // Setters chain; the first failure is kept and returned by Agent::Open.
  Options& DataDir(std::string_view path) {
    const std::string p(path);
    return Keep(tacet_options_set_data_dir(options_, p.c_str()));
  }
  Options& KeyStoreDir(std::string_view path) {
    const std::string p(path);
    return Keep(tacet_options_set_key_store_dir(options_, p.c_str()));
  }
  Options& PolicyUpdateKey(const std::vector<uint8_t>& key) {
    return Keep(tacet_options_set_policy_update_key(options_, key.data(), key.size()));
  }
  Options& LogLevel(tacet_log_level level) { return Keep(tacet_options_set_log_level(options_, level)); }
  Options& Create(bool create) { return Keep(tacet_options_set_create(options_, create ? 1 : 0)); }
  Options& ReadOnly(bool read_only) {
    return Keep(tacet_options_set_read_only(options_, read_only ? 1 : 0));
  }
  Options& AudioFormat(int32_t sample_rate_hz, int32_t channels, int32_t frame_ms) {
    return Keep(tacet_options_set_audio_format(options_, sample_rate_hz, channels, frame_ms));
  }
  // The platform tables (tacet/tacet_platform.h); copied by the C API.
  Options& KeyStore(const tacet_key_store& t) { return Keep(tacet_options_set_key_store(options_, &t)); }
  Options& Permissions(const tacet_permissions& t) {
    return Keep(tacet_options_set_permissions(options_, &t));
  }
  Options& Clock(const tacet_clock& t) { return Keep(tacet_options_set_clock(options_, &t)); }
  Options& Entropy(const tacet_entropy& t) { return Keep(tacet_options_set_entropy(options_, &t)); }
  Options& Logger(const tacet_logger& t) { return Keep(tacet_options_set_logger(options_, &t)); }
  // Sync (tacet_options_set_sync); the config's pointers are copied by the C API.
  Options& Sync(const tacet_sync_config& config) {
    return Keep(tacet_options_set_sync(options_, &config));
  }

  const Error& status() const { return status_; }
  const tacet_options_t* get() const { return options_; }

 private:
  Options& Keep(tacet_status s) {
    if (status_.ok()) status_ = Error::FromLastCall(s);
    return *this;
  }
  tacet_options_t* options_ = nullptr;
  Error status_;
};

struct ConsentItem {
  std::string id, display_name, description, legal_basis;
  tacet_consent_state state = TACET_CONSENT_UNKNOWN;
  tacet_decision_source source = TACET_SOURCE_POLICY_DEFAULT;
  bool askable = false;
};

struct ConsentEntry {
  int64_t seq = 0;
  std::string subject;
  tacet_consent_state state = TACET_CONSENT_UNKNOWN;
  tacet_location_precision precision = TACET_PRECISION_NONE;
  int64_t time_unix_ms = 0;
  std::string policy_id;
  uint64_t policy_version = 0;
  tacet_decision_source source = TACET_SOURCE_USER;
};

struct Feature {
  std::string feature, reason, purpose_not_allowed;
  tacet_feature_availability availability = TACET_FEATURE_NOT_ASKED;
  std::vector<std::string> missing_categories;
};

struct VaultRecord {
  int64_t id = 0;
  std::string category, field, value;
  int64_t version = 0, created_unix_ms = 0, written_unix_ms = 0;
  tacet_change_source source = TACET_CHANGE_APP;
};

struct VaultVersion {
  int64_t record_id = 0, version = 0;
  std::string value;
  int64_t written_unix_ms = 0, replaced_unix_ms = 0;
  tacet_change_source source = TACET_CHANGE_APP;
};

// Agent::GetRecordCounts: the outbox's counts and the refusals by reason, sorted by reason.
struct RecordCounts {
  tacet_record_counts2 totals{};
  std::vector<std::pair<std::string, int64_t>> refused_by_reason;
};

struct PolicyUpdate {
  uint64_t old_version = 0, new_version = 0;
  std::vector<std::string> purposes_to_ask;
  bool controller_notice_required = false;
};

// Called with each frame (samples, count, capture time) and, optionally, when the agent ends the
// session. Threads as in tacet.h (tacet_voice_callbacks).
using FrameFn = std::function<void(const int16_t* samples, size_t count, int64_t capture_ns)>;
using FixFn = std::function<void(const tacet_location_fix& fix, tacet_location_precision)>;
using EndedFn = std::function<void(tacet_end_reason reason)>;
// Receives the export or report in pieces; return false to stop it.
using WriteFn = std::function<bool(std::string_view bytes)>;

namespace internal {
struct SessionCallbacks {
  FrameFn on_frame;
  FixFn on_fix;
  EndedFn on_ended;
  static void Frame(const int16_t* s, size_t n, int64_t t, void* u) {
    try {
      static_cast<SessionCallbacks*>(u)->on_frame(s, n, t);
    } catch (...) {
    }
  }
  static void Fix(const tacet_location_fix* f, tacet_location_precision p, void* u) {
    try {
      static_cast<SessionCallbacks*>(u)->on_fix(*f, p);
    } catch (...) {
    }
  }
  static void Ended(tacet_end_reason r, void* u) {
    auto* self = static_cast<SessionCallbacks*>(u);
    try {
      if (self->on_ended) self->on_ended(r);
    } catch (...) {
    }
  }
  static void Free(void* u) { delete static_cast<SessionCallbacks*>(u); }
};
inline tacet_status Write(const uint8_t* bytes, size_t len, void* u) {
  try {
    return (*static_cast<WriteFn*>(u))(std::string_view(reinterpret_cast<const char*>(bytes), len))
               ? TACET_OK
               : TACET_ERR_UNAVAILABLE;
  } catch (...) {
    return TACET_ERR_INTERNAL;
  }
}
}  // namespace internal

// A granted capture (voice or location): ends and frees on destruction.
template <typename Handle, void (*FreeFn)(Handle*), tacet_status (*EndFn)(Handle*),
          tacet_status (*StateFn)(const Handle*, tacet_end_reason*, uint64_t*)>
class Session {
 public:
  Session() = default;
  explicit Session(Handle* h) : handle_(h) {}
  ~Session() { FreeFn(handle_); }
  Session(Session&& o) noexcept : handle_(std::exchange(o.handle_, nullptr)) {}
  Session& operator=(Session&& o) noexcept {
    std::swap(handle_, o.handle_);
    return *this;
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Error End() { return Error::FromLastCall(EndFn(handle_)); }
  // TACET_END_NONE while open.
  tacet_end_reason end_reason() const {
    tacet_end_reason r = TACET_END_NONE;
    (void)StateFn(handle_, &r, nullptr);
    return r;
  }
  uint64_t delivered() const {
    uint64_t n = 0;
    (void)StateFn(handle_, nullptr, &n);
    return n;
  }
  bool active() const { return handle_ != nullptr && end_reason() == TACET_END_NONE; }

 private:
  Handle* handle_ = nullptr;
};
using VoiceSession = Session<tacet_voice_session_t, tacet_voice_session_free,
                             tacet_voice_session_end, tacet_voice_session_state>;
using LocationSession = Session<tacet_location_session_t, tacet_location_session_free,
                                tacet_location_session_end, tacet_location_session_state>;

class Agent {
 public:
  static Result<Agent> Open(const Options& options) {
    if (!options.status().ok()) return options.status();
    tacet_agent_t* a = nullptr;
    tacet_status s = tacet_agent_open(options.get(), &a);
    if (s != TACET_OK) return Error::FromLastCall(s);
    return Agent(a);
  }
  Agent() = default;
  ~Agent() { tacet_agent_free(agent_); }
  Agent(Agent&& o) noexcept : agent_(std::exchange(o.agent_, nullptr)) {}
  Agent& operator=(Agent&& o) noexcept {
    std::swap(agent_, o.agent_);
    return *this;
  }
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  Error Close() { return Error::FromLastCall(tacet_agent_close(agent_)); }
  tacet_agent_t* get() const { return agent_; }

  // ---- policy ----
  Result<std::string> PolicyId() const {
    char* id = nullptr;
    tacet_status s = tacet_policy_id(agent_, &id);
    if (s != TACET_OK) return Error::FromLastCall(s);
    internal::Block<char> owned(id);
    return std::string(id);
  }
  Result<uint64_t> PolicyVersion() const {
    uint64_t v = 0;
    tacet_status s = tacet_policy_version(agent_, &v);
    if (s != TACET_OK) return Error::FromLastCall(s);
    return v;
  }
  Result<PolicyUpdate> ApplyPolicyUpdate(const std::vector<uint8_t>& policy,
                                         const std::vector<uint8_t>& signature_der) {
    tacet_policy_update_result* r = nullptr;
    tacet_status s = tacet_policy_apply_update(agent_, policy.data(), policy.size(),
                                               signature_der.data(), signature_der.size(), &r);
    if (s != TACET_OK) return Error::FromLastCall(s);
    internal::Block<tacet_policy_update_result> owned(r);
    PolicyUpdate out;
    out.old_version = r->old_version;
    out.new_version = r->new_version;
    for (size_t i = 0; i < r->purposes_to_ask.count; ++i) {
      out.purposes_to_ask.push_back(r->purposes_to_ask.items[i]);
    }
    out.controller_notice_required = r->controller_notice_required != 0;
    return out;
  }

  // ---- consent ----
  Result<tacet_consent_state> Consent(tacet_subject_kind kind, std::string_view id = {}) const {
    const std::string i(id);
    tacet_consent_state state = TACET_CONSENT_UNKNOWN;
    tacet_status s = tacet_consent_get(agent_, kind, id.empty() ? nullptr : i.c_str(), &state);
    if (s != TACET_OK) return Error::FromLastCall(s);
    return state;
  }
  Result<std::vector<ConsentItem>> ConsentItems(tacet_subject_kind kind) const {
    tacet_consent_list* list = nullptr;
    tacet_status s = tacet_consent_items(agent_, kind, &list);
    if (s != TACET_OK) return Error::FromLastCall(s);
    internal::Block<tacet_consent_list> owned(list);
    std::vector<ConsentItem> out;
    for (size_t i = 0; i < list->count; ++i) {
      const tacet_consent_item& c = list->items[i];
      out.push_back({c.id, c.display_name, c.description, c.legal_basis, c.state, c.source,
                     c.askable != 0});
    }
    return out;
  }
  // The purposes to ask about: askable and never decided.
  Result<std::vector<std::string>> PurposesToAsk() const {
    auto items = ConsentItems(TACET_SUBJECT_PURPOSE);
    if (!items.ok()) return items.error();
    std::vector<std::string> out;
    for (const ConsentItem& p : *items) {
      if (p.askable && p.state == TACET_CONSENT_UNKNOWN) out.push_back(p.id);
    }
    return out;
  }
  Error SetPurpose(std::string_view id, tacet_consent_state state,
                   tacet_decision_source source = TACET_SOURCE_USER) {
    const std::string i(id);
    return Error::FromLastCall(tacet_consent_set_purpose(agent_, i.c_str(), state, source));
  }
  Error SetChannel(std::string_view id, tacet_consent_state state,
                   tacet_decision_source source = TACET_SOURCE_USER) {
    const std::string i(id);
    return Error::FromLastCall(tacet_consent_set_channel(agent_, i.c_str(), state, source));
  }
  Error SetCategoryProvided(std::string_view id, bool provided,
                            tacet_decision_source source = TACET_SOURCE_USER) {
    const std::string i(id);
    return Error::FromLastCall(
        tacet_consent_set_category_provided(agent_, i.c_str(), provided ? 1 : 0, source));
  }
  Error SetLocationPrecision(tacet_location_precision precision,
                             tacet_decision_source source = TACET_SOURCE_USER) {
    return Error::FromLastCall(tacet_consent_set_location_precision(agent_, precision, source));
  }
  Result<std::vector<ConsentEntry>> ConsentHistory(std::string_view subject = {}) const {
    const std::string sub(subject);
    std::vector<ConsentEntry> out;
    tacet_status s = tacet_consent_history(
        agent_, subject.empty() ? nullptr : sub.c_str(),
        [](const tacet_consent_entry* e, void* u) {
          static_cast<std::vector<ConsentEntry>*>(u)->push_back(
              {e->seq, e->subject, e->state, e->precision, e->time_unix_ms, e->policy_id,
               e->policy_version, e->source});
          return 0;
        },
        &out);
    if (s != TACET_OK) return Error::FromLastCall(s);
    return out;
  }
  Result<std::string> ConsentReceipt(int64_t seq) const {
    char* json = nullptr;
    tacet_status s = tacet_consent_receipt(agent_, seq, &json);
    if (s != TACET_OK) return Error::FromLastCall(s);
    internal::Block<char> owned(json);
    return std::string(json);
  }
  Error VerifyConsent() { return Error::FromLastCall(tacet_consent_verify(agent_)); }
  Result<std::vector<Feature>> Features() const {
    tacet_feature_list* list = nullptr;
    tacet_status s = tacet_features(agent_, &list);
    if (s != TACET_OK) return Error::FromLastCall(s);
    internal::Block<tacet_feature_list> owned(list);
    std::vector<Feature> out;
    for (size_t i = 0; i < list->count; ++i) {
      const tacet_feature& f = list->items[i];
      Feature feature{f.feature, f.reason, f.purpose_not_allowed, f.availability, {}};
      for (size_t j = 0; j < f.missing_categories.count; ++j) {
        feature.missing_categories.push_back(f.missing_categories.items[j]);
      }
      out.push_back(std::move(feature));
    }
    return out;
  }

  // ---- OS permissions and capture ----
  Error SetOsPermission(tacet_os_permission permission, tacet_permission_state state,
                        tacet_location_precision precision = TACET_PRECISION_NONE) {
    return Error::FromLastCall(
        tacet_agent_set_os_permission(agent_, permission, state, precision));
  }
  // A granted session, or an Error (TACET_ERR_PERMISSION_DENIED) with *denial set.
  Result<VoiceSession> OpenVoiceSession(std::string_view purpose, FrameFn on_frame,
                                        EndedFn on_ended = nullptr,
                                        tacet_denial_reason* denial = nullptr) {
    const std::string p(purpose);
    auto* cbs = new internal::SessionCallbacks{std::move(on_frame), nullptr, std::move(on_ended)};
    tacet_voice_callbacks c{sizeof(tacet_voice_callbacks), internal::SessionCallbacks::Frame,
                            internal::SessionCallbacks::Ended, cbs,
                            internal::SessionCallbacks::Free};
    tacet_voice_session_t* h = nullptr;
    tacet_status s = tacet_voice_session_open(agent_, p.c_str(), &c, &h, denial);
    if (s != TACET_OK) {
      Error e = Error::FromLastCall(s);
      delete cbs;  // a refused open leaves the user data to the caller
      return e;
    }
    return VoiceSession(h);
  }
  Error PushFrame(const int16_t* samples, size_t count, int64_t capture_ns) {
    return Error::FromLastCall(tacet_voice_push_frame(agent_, samples, count, capture_ns));
  }
  Error SetHardwareMuted(bool muted) {
    return Error::FromLastCall(tacet_voice_set_hardware_muted(agent_, muted ? 1 : 0));
  }
  Error ReportMicrophoneError() {
    return Error::FromLastCall(tacet_voice_report_device_error(agent_));
  }
  Result<LocationSession> OpenLocationSession(std::string_view purpose,
                                              tacet_location_precision requested, FixFn on_fix,
                                              EndedFn on_ended = nullptr,
                                              tacet_denial_reason* denial = nullptr) {
    const std::string p(purpose);
    auto* cbs = new internal::SessionCallbacks{nullptr, std::move(on_fix), std::move(on_ended)};
    tacet_location_callbacks c{sizeof(tacet_location_callbacks), internal::SessionCallbacks::Fix,
                               internal::SessionCallbacks::Ended, cbs,
                               internal::SessionCallbacks::Free};
    tacet_location_session_t* h = nullptr;
    tacet_status s = tacet_location_session_open(agent_, p.c_str(), requested, &c, &h, denial);
    if (s != TACET_OK) {
      Error e = Error::FromLastCall(s);
      delete cbs;
      return e;
    }
    return LocationSession(h);
  }
  Error PushFix(const tacet_location_fix& fix) {
    return Error::FromLastCall(tacet_location_push_fix(agent_, &fix));
  }

  // ---- vault ----
  // tacet_record: `fields` are {"<category>.<field>", value} pairs. Returns the event id; *held
  // (optional) says whether it is held until the user answers.
  Result<int64_t> Record(std::string_view purpose,
                         const std::vector<std::pair<std::string, std::string>>& fields,
                         int64_t occurred_unix_ms, bool hold_if_undecided = false,
                         bool* held = nullptr) {
    const std::string p(purpose);
    std::vector<tacet_event_field> c_fields;
    c_fields.reserve(fields.size());
    for (const auto& f : fields) {
      c_fields.push_back(tacet_event_field{f.first.c_str(), f.second.data(), f.second.size()});
    }
    int64_t id = 0;
    int is_held = 0;
    tacet_status s = tacet_record(agent_, p.c_str(), c_fields.data(), c_fields.size(),
                                  occurred_unix_ms,
                                  hold_if_undecided ? TACET_RECORD_HOLD_IF_UNDECIDED : 0u, &id,
                                  &is_held);
    if (s != TACET_OK) return Error::FromLastCall(s);
    if (held != nullptr) *held = is_held != 0;
    return id;
  }
  // One event for RecordBatch.
  struct Event {
    std::string purpose;
    std::vector<std::pair<std::string, std::string>> fields;  // {"<category>.<field>", value}
    int64_t occurred_unix_ms = 0;
  };
  // tacet_record_batch: every event with one commit; one outcome per event, in order (its status
  // TACET_OK when stored). An error of the call itself stores nothing of the batch.
  Result<std::vector<tacet_record_outcome>> RecordBatch(const std::vector<Event>& events,
                                                        bool hold_if_undecided = false) {
    std::vector<std::vector<tacet_event_field>> c_fields(events.size());
    std::vector<tacet_event> c_events;
    c_events.reserve(events.size());
    for (size_t i = 0; i < events.size(); ++i) {
      for (const auto& f : events[i].fields) {
        c_fields[i].push_back(tacet_event_field{f.first.c_str(), f.second.data(), f.second.size()});
      }
      c_events.push_back(tacet_event{events[i].purpose.c_str(), c_fields[i].data(),
                                     c_fields[i].size(), events[i].occurred_unix_ms});
    }
    std::vector<tacet_record_outcome> outcomes(events.size());
    tacet_status s = tacet_record_batch(agent_, c_events.data(), c_events.size(),
                                        hold_if_undecided ? TACET_RECORD_HOLD_IF_UNDECIDED : 0u,
                                        outcomes.data());
    if (s != TACET_OK) return Error::FromLastCall(s);
    return outcomes;
  }
  // tacet_record_counts2_get and tacet_record_refusals_get: the outbox's counts and the refusals
  // by reason (two reads: a refusal counted between them may show in one and not the other).
  Result<RecordCounts> GetRecordCounts() const {
    RecordCounts out;
    out.totals.struct_size = sizeof out.totals;
    tacet_status s = tacet_record_counts2_get(agent_, &out.totals);
    if (s != TACET_OK) return Error::FromLastCall(s);
    tacet_record_refusal_list* list = nullptr;
    s = tacet_record_refusals_get(agent_, &list);
    if (s != TACET_OK) return Error::FromLastCall(s);
    internal::Block<tacet_record_refusal_list> owned(list);
    for (size_t i = 0; i < list->count; ++i) {
      out.refused_by_reason.emplace_back(list->items[i].reason, list->items[i].count);
    }
    return out;
  }
  // tacet_sync_now: one upload round (builds, sends what is due, waits for the answers).
  Result<tacet_sync_result> SyncNow() {
    tacet_sync_result r{};
    r.struct_size = sizeof r;
    tacet_status s = tacet_sync_now(agent_, &r);
    if (s != TACET_OK) return Error::FromLastCall(s);
    return r;
  }
  Result<int64_t> SetValue(std::string_view category, std::string_view field,
                           std::string_view value, tacet_change_source source = TACET_CHANGE_USER) {
    const std::string c(category), f(field);
    int64_t id = 0;
    tacet_status s =
        tacet_vault_set(agent_, c.c_str(), f.c_str(), value.data(), value.size(), source, &id);
    if (s != TACET_OK) return Error::FromLastCall(s);
    return id;
  }
  Error CorrectValue(int64_t record_id, std::string_view value,
                     tacet_change_source source = TACET_CHANGE_USER) {
    return Error::FromLastCall(
        tacet_vault_correct(agent_, record_id, value.data(), value.size(), source));
  }
  Result<VaultRecord> GetValue(int64_t record_id) const {
    tacet_vault_record* r = nullptr;
    tacet_status s = tacet_vault_get(agent_, record_id, &r);
    if (s != TACET_OK) return Error::FromLastCall(s);
    internal::Block<tacet_vault_record> owned(r);
    return Convert(*r);
  }
  Result<std::vector<VaultRecord>> ListValues(std::string_view category,
                                              std::string_view field) const {
    const std::string c(category), f(field);
    tacet_vault_record_list* list = nullptr;
    tacet_status s = tacet_vault_list(agent_, c.c_str(), f.c_str(), &list);
    if (s != TACET_OK) return Error::FromLastCall(s);
    internal::Block<tacet_vault_record_list> owned(list);
    std::vector<VaultRecord> out;
    for (size_t i = 0; i < list->count; ++i) out.push_back(Convert(list->items[i]));
    return out;
  }
  Result<std::vector<VaultVersion>> ValueHistory(std::string_view category,
                                                 std::string_view field) const {
    const std::string c(category), f(field);
    tacet_vault_version_list* list = nullptr;
    tacet_status s = tacet_vault_history(agent_, c.c_str(), f.c_str(), &list);
    if (s != TACET_OK) return Error::FromLastCall(s);
    internal::Block<tacet_vault_version_list> owned(list);
    std::vector<VaultVersion> out;
    for (size_t i = 0; i < list->count; ++i) {
      const tacet_vault_version& v = list->items[i];
      out.push_back({v.record_id, v.version, internal::Str(v.value, v.value_len),
                     v.written_unix_ms, v.replaced_unix_ms, v.source});
    }
    return out;
  }
  Result<tacet_erasure_result> Erase(std::string_view category) {
    const std::string c(category);
    tacet_erasure_result r{};
    tacet_status s = tacet_vault_erase(agent_, c.c_str(), &r);
    if (s != TACET_OK) return Error::FromLastCall(s);
    return r;
  }
  Result<tacet_erasure_result> EraseAll() {
    tacet_erasure_result r{};
    tacet_status s = tacet_vault_erase_all(agent_, &r);
    if (s != TACET_OK) return Error::FromLastCall(s);
    return r;
  }

  // ---- the user's rights and verification ----
  Result<tacet_export_summary> ExportToFile(std::string_view path) {
    const std::string p(path);
    tacet_export_summary r{};
    tacet_status s = tacet_export_to_file(agent_, p.c_str(), &r);
    if (s != TACET_OK) return Error::FromLastCall(s);
    return r;
  }
  Result<tacet_export_summary> Export(WriteFn write) {
    tacet_export_summary r{};
    tacet_status s = tacet_export_to_writer(agent_, internal::Write, &write, &r);
    if (s != TACET_OK) return Error::FromLastCall(s);
    return r;
  }
  Result<tacet_report_summary> ReportToFile(std::string_view path) {
    const std::string p(path);
    tacet_report_summary r{};
    tacet_status s = tacet_report_to_file(agent_, p.c_str(), &r);
    if (s != TACET_OK) return Error::FromLastCall(s);
    return r;
  }
  Error VerifyAudit() { return Error::FromLastCall(tacet_audit_verify(agent_)); }
  Error VerifyVault() { return Error::FromLastCall(tacet_vault_verify(agent_)); }

 private:
  explicit Agent(tacet_agent_t* agent) : agent_(agent) {}
  static VaultRecord Convert(const tacet_vault_record& r) {
    return {r.id, r.category, r.field, internal::Str(r.value, r.value_len), r.version,
            r.created_unix_ms, r.written_unix_ms, r.source};
  }
  tacet_agent_t* agent_ = nullptr;
};

}  // namespace tacet

#endif  // TACET_TACET_HPP
