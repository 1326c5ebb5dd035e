// The C API: the vault, the export and the privacy report, audit, and the small helpers
// (names, versions, the error message, tacet_free).
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/byte_sink.h"
#include "capi/capi_agent.h"
#include "capi/capi_internal.h"
#include "consent/consent_types.h"
#include "gate/gate_types.h"

using tacet::Status;
using tacet::StatusOr;
using tacet::capi::Block;
using tacet::capi::CheckAgent;
using tacet::capi::CheckEnum;
using tacet::capi::CheckId;
using tacet::capi::EnumValue;
using tacet::capi::Run;

namespace vault = tacet::vault;

namespace {

Status CheckValue(const char* value, size_t value_len) {
  return tacet::capi::CheckBuffer(value, value_len, "value");
}

// Enum arguments are taken by reference and read with EnumValue: a C caller may pass a value
// outside the enum, and loading one as the enum type is undefined in C++ (UBSan flags it).
Status CheckChangeSource(const tacet_change_source& source) {
  return CheckEnum(EnumValue(source), TACET_CHANGE_USER, TACET_CHANGE_IMPORT, "source",
                   "TACET_CHANGE_USER, _APP, _SERVICE, _IMPORT");
}

vault::ChangeSource ToChangeSource(const tacet_change_source& source) {
  return static_cast<vault::ChangeSource>(EnumValue(source));
}

std::string_view ValueView(const char* value, size_t len) {
  return len == 0 ? std::string_view() : std::string_view(value, len);
}

// Lays out one record (strings planned in `block`); FillRecord writes it.
void PlanRecord(Block& block, const vault::Record& r) {
  block.CountText(r.category);
  block.CountText(r.field);
  block.CountText(r.value);
}
void FillRecord(Block& block, const vault::Record& r, tacet_vault_record* out) {
  out->id = r.id;
  out->category = block.PutText(r.category);
  out->field = block.PutText(r.field);
  out->version = r.version;
  out->value = block.PutText(r.value);
  out->value_len = r.value.size();
  out->created_unix_ms = r.created_unix_ms;
  out->written_unix_ms = r.written_unix_ms;
  out->source = static_cast<tacet_change_source>(r.source);
}

// Hands the document to the caller's write function, piece by piece.
class CallbackSink final : public tacet::ByteSink {
 public:
  CallbackSink(tacet_write_fn fn, void* user_data) : fn_(fn), user_data_(user_data) {}
  Status Write(std::string_view bytes) override {
    tacet_status code;
    {
      tacet::capi::CallbackScope scope;
      code = fn_(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), user_data_);
    }
    return tacet::capi::FromCallerStatus(code, "the write callback failed");
  }

 private:
  const tacet_write_fn fn_;
  void* const user_data_;
};

// Writes to a file descriptor, retrying short writes and EINTR.
class FdSink final : public tacet::ByteSink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  Status Write(std::string_view bytes) override {
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return tacet::UnavailableError(std::string("writing failed: ") + std::strerror(errno));
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return tacet::OkStatus();
  }

 private:
  const int fd_;
};

std::string RealFolder(const std::string& folder) {
  char real[PATH_MAX];
  if (::realpath(folder.c_str(), real) == nullptr) return std::string();
  return real;
}

// Writes a new private file (0600) beside `path` with `write`, flushes it, renames it over
// `path` and flushes the folder; on any error removes it. Refuses a destination inside the
// device folder (the database, its lock, its keys) or inside a key store directory set apart.
template <typename Write>
Status WriteFileAtomically(tacet_agent* agent, const std::string& path, Write&& write) {
  const size_t slash = path.rfind('/');
  const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") {
    return tacet::InvalidArgumentError("'" + path + "' names a folder, not a file");
  }
  const std::string real_folder = RealFolder(folder);
  if (real_folder.empty()) {
    return tacet::NotFoundError("the folder of '" + path + "' does not exist or cannot be read: " +
                                std::strerror(errno));
  }
  const auto inside = [&](const std::string& protected_folder) {
    const std::string real = RealFolder(protected_folder);
    return !real.empty() && (real_folder == real || real_folder.rfind(real + "/", 0) == 0);
  };
  if (inside(agent->data_dir)) {
    return tacet::InvalidArgumentError("refusing to write '" + path +
                                       "' inside the device folder '" + agent->data_dir + "'");
  }
  if (!agent->key_store_dir.empty() && inside(agent->key_store_dir)) {
    return tacet::InvalidArgumentError("refusing to write '" + path +
                                       "' inside the key store directory '" +
                                       agent->key_store_dir + "'");
  }
  std::string temp = real_folder + "/." + name + ".tmp-XXXXXX";
  std::vector<char> temp_buf(temp.begin(), temp.end());
  temp_buf.push_back('\0');
  int fd = ::mkstemp(temp_buf.data());  // mode 0600
  if (fd < 0) {
    return tacet::UnavailableError("cannot create a file in '" + folder + "': " +
                                   std::strerror(errno));
  }
  temp.assign(temp_buf.data());
  FdSink sink(fd);
  Status status = write(static_cast<tacet::ByteSink&>(sink));
  if (status.ok() && ::fsync(fd) != 0) {
    status = tacet::UnavailableError(std::string("flushing failed: ") + std::strerror(errno));
  }
  if (::close(fd) != 0 && status.ok()) {
    status = tacet::UnavailableError(std::string("closing failed: ") + std::strerror(errno));
  }
  if (status.ok() && ::rename(temp.c_str(), (real_folder + "/" + name).c_str()) != 0) {
    status = tacet::UnavailableError("cannot replace '" + path + "': " + std::strerror(errno));
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  int dir = ::open(real_folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return tacet::OkStatus();
}

}  // namespace

namespace {

// The export and the report are both a document an Agent method streams into a sink. To a file:
// checked path, written to a new file that replaces `path` only once complete (WriteFileAtomically).
template <typename Summary>
StatusOr<Summary> ProduceToFile(tacet_agent_t* agent, const char* path,
                                StatusOr<Summary> (tacet::agent::Agent::*produce)(tacet::ByteSink&)) {
  TACET_RETURN_IF_ERROR(CheckAgent(agent));
  std::string p;
  TACET_RETURN_IF_ERROR(tacet::capi::CheckPath(path, "path", &p));
  Summary summary;
  TACET_RETURN_IF_ERROR(WriteFileAtomically(agent, p, [&](tacet::ByteSink& sink) -> Status {
    TACET_ASSIGN_OR_RETURN(summary, (agent->core.get()->*produce)(sink));
    return tacet::OkStatus();
  }));
  return summary;
}

// To the caller's write function, piece by piece on the calling thread.
template <typename Summary>
StatusOr<Summary> ProduceToWriter(tacet_agent_t* agent, tacet_write_fn write, void* user_data,
                                  StatusOr<Summary> (tacet::agent::Agent::*produce)(tacet::ByteSink&)) {
  TACET_RETURN_IF_ERROR(CheckAgent(agent));
  if (write == nullptr) return tacet::InvalidArgumentError("write is NULL");
  CallbackSink sink(write, user_data);
  return (agent->core.get()->*produce)(sink);
}

void Fill(const vault::ExportSummary& s, tacet_export_summary* out) {
  if (out != nullptr) *out = tacet_export_summary{s.records, s.history_entries};
}
void Fill(const tacet::report::ReportSummary& s, tacet_report_summary* out) {
  if (out != nullptr) *out = tacet_report_summary{s.records, s.categories_held};
}

}  // namespace

extern "C" {

// ---- vault --------------------------------------------------------------------------------------

tacet_status tacet_vault_set(tacet_agent_t* agent, const char* category, const char* field,
                             const char* value, size_t value_len, tacet_change_source source,
                             int64_t* out_record_id) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    std::string_view c, f;
    TACET_RETURN_IF_ERROR(CheckId(category, "category", &c));
    TACET_RETURN_IF_ERROR(CheckId(field, "field", &f));
    TACET_RETURN_IF_ERROR(CheckValue(value, value_len));
    TACET_RETURN_IF_ERROR(CheckChangeSource(source));
    TACET_ASSIGN_OR_RETURN(int64_t id, agent->core->SetValue(c, f, ValueView(value, value_len),
                                                             ToChangeSource(source)));
    if (out_record_id != nullptr) *out_record_id = id;
    return tacet::OkStatus();
  });
}

tacet_status tacet_vault_add(tacet_agent_t* agent, const char* category, const char* field,
                             const char* value, size_t value_len, tacet_change_source source,
                             int64_t* out_record_id) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    std::string_view c, f;
    TACET_RETURN_IF_ERROR(CheckId(category, "category", &c));
    TACET_RETURN_IF_ERROR(CheckId(field, "field", &f));
    TACET_RETURN_IF_ERROR(CheckValue(value, value_len));
    TACET_RETURN_IF_ERROR(CheckChangeSource(source));
    TACET_ASSIGN_OR_RETURN(int64_t id, agent->core->AddValue(c, f, ValueView(value, value_len),
                                                             ToChangeSource(source)));
    if (out_record_id != nullptr) *out_record_id = id;
    return tacet::OkStatus();
  });
}

tacet_status tacet_vault_correct(tacet_agent_t* agent, int64_t record_id, const char* value,
                                 size_t value_len, tacet_change_source source) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(CheckValue(value, value_len));
    TACET_RETURN_IF_ERROR(CheckChangeSource(source));
    return agent->core->CorrectValue(record_id, ValueView(value, value_len),
                                     ToChangeSource(source));
  });
}

tacet_status tacet_vault_get(tacet_agent_t* agent, int64_t record_id,
                             tacet_vault_record** out_record) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(tacet::capi::CheckOut(out_record, "out_record"));
    TACET_ASSIGN_OR_RETURN(vault::Record record, agent->core->GetValue(record_id));
    Block block;
    size_t head = block.Reserve(sizeof(tacet_vault_record), alignof(tacet_vault_record));
    PlanRecord(block, record);
    if (!block.Allocate()) return tacet::capi::OutOfMemory();
    FillRecord(block, record, block.At<tacet_vault_record>(head));
    *out_record = static_cast<tacet_vault_record*>(block.Release());
    return tacet::OkStatus();
  });
}

tacet_status tacet_vault_list(tacet_agent_t* agent, const char* category, const char* field,
                              tacet_vault_record_list** out_list) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    std::string_view c, f;
    TACET_RETURN_IF_ERROR(CheckId(category, "category", &c));
    TACET_RETURN_IF_ERROR(CheckId(field, "field", &f));
    TACET_RETURN_IF_ERROR(tacet::capi::CheckOut(out_list, "out_list"));
    TACET_ASSIGN_OR_RETURN(std::vector<vault::Record> records, agent->core->ListValues(c, f));
    Block block;
    size_t head = block.Reserve(sizeof(tacet_vault_record_list), alignof(tacet_vault_record_list));
    size_t array = block.Reserve(sizeof(tacet_vault_record) * records.size(),
                                 alignof(tacet_vault_record));
    for (const auto& r : records) PlanRecord(block, r);
    if (!block.Allocate()) return tacet::capi::OutOfMemory();
    auto* items = block.At<tacet_vault_record>(array);
    for (size_t i = 0; i < records.size(); ++i) FillRecord(block, records[i], &items[i]);
    auto* list = block.At<tacet_vault_record_list>(head);
    list->count = records.size();
    list->items = records.empty() ? nullptr : items;
    *out_list = static_cast<tacet_vault_record_list*>(block.Release());
    return tacet::OkStatus();
  });
}

tacet_status tacet_vault_history(tacet_agent_t* agent, const char* category, const char* field,
                                 tacet_vault_version_list** out_list) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    std::string_view c, f;
    TACET_RETURN_IF_ERROR(CheckId(category, "category", &c));
    TACET_RETURN_IF_ERROR(CheckId(field, "field", &f));
    TACET_RETURN_IF_ERROR(tacet::capi::CheckOut(out_list, "out_list"));
    TACET_ASSIGN_OR_RETURN(std::vector<vault::HistoryEntry> versions,
                           agent->core->ValueHistory(c, f));
    Block block;
    size_t head =
        block.Reserve(sizeof(tacet_vault_version_list), alignof(tacet_vault_version_list));
    size_t array = block.Reserve(sizeof(tacet_vault_version) * versions.size(),
                                 alignof(tacet_vault_version));
    for (const auto& v : versions) block.CountText(v.value);
    if (!block.Allocate()) return tacet::capi::OutOfMemory();
    auto* items = block.At<tacet_vault_version>(array);
    for (size_t i = 0; i < versions.size(); ++i) {
      const vault::HistoryEntry& v = versions[i];
      items[i].record_id = v.record_id;
      items[i].version = v.version;
      items[i].value = block.PutText(v.value);
      items[i].value_len = v.value.size();
      items[i].written_unix_ms = v.written_unix_ms;
      items[i].replaced_unix_ms = v.replaced_unix_ms;
      items[i].source = static_cast<tacet_change_source>(v.source);
    }
    auto* list = block.At<tacet_vault_version_list>(head);
    list->count = versions.size();
    list->items = versions.empty() ? nullptr : items;
    *out_list = static_cast<tacet_vault_version_list*>(block.Release());
    return tacet::OkStatus();
  });
}

tacet_status tacet_vault_erase(tacet_agent_t* agent, const char* category,
                               tacet_erasure_result* out_result) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    std::string_view c;
    TACET_RETURN_IF_ERROR(CheckId(category, "category", &c));
    TACET_ASSIGN_OR_RETURN(vault::ErasureResult r, agent->core->Erase(c));
    if (out_result != nullptr) *out_result = tacet_erasure_result{r.records, r.history_entries};
    return tacet::OkStatus();
  });
}

tacet_status tacet_vault_erase_all(tacet_agent_t* agent, tacet_erasure_result* out_result) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_ASSIGN_OR_RETURN(vault::ErasureResult r, agent->core->EraseAll());
    if (out_result != nullptr) *out_result = tacet_erasure_result{r.records, r.history_entries};
    return tacet::OkStatus();
  });
}

tacet_status tacet_vault_verify(tacet_agent_t* agent) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    return agent->core->VerifyVault();
  });
}

tacet_status tacet_vault_sweep(tacet_agent_t* agent, tacet_erasure_result* out_result) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_ASSIGN_OR_RETURN(vault::SweepResult r, agent->core->SweepNow());
    if (out_result != nullptr) *out_result = tacet_erasure_result{r.records, r.history_entries};
    return tacet::OkStatus();
  });
}

// ---- export and report --------------------------------------------------------------------------

tacet_status tacet_export_to_file(tacet_agent_t* agent, const char* path,
                                  tacet_export_summary* out_summary) {
  return Run(__func__, [&]() -> Status {
    TACET_ASSIGN_OR_RETURN(auto summary, ProduceToFile(agent, path, &tacet::agent::Agent::Export));
    Fill(summary, out_summary);
    return tacet::OkStatus();
  });
}

tacet_status tacet_export_to_writer(tacet_agent_t* agent, tacet_write_fn write, void* user_data,
                                    tacet_export_summary* out_summary) {
  return Run(__func__, [&]() -> Status {
    TACET_ASSIGN_OR_RETURN(auto summary,
                           ProduceToWriter(agent, write, user_data, &tacet::agent::Agent::Export));
    Fill(summary, out_summary);
    return tacet::OkStatus();
  });
}

tacet_status tacet_report_to_file(tacet_agent_t* agent, const char* path,
                                  tacet_report_summary* out_summary) {
  return Run(__func__, [&]() -> Status {
    TACET_ASSIGN_OR_RETURN(auto summary, ProduceToFile(agent, path, &tacet::agent::Agent::Report));
    Fill(summary, out_summary);
    return tacet::OkStatus();
  });
}

tacet_status tacet_report_to_writer(tacet_agent_t* agent, tacet_write_fn write, void* user_data,
                                    tacet_report_summary* out_summary) {
  return Run(__func__, [&]() -> Status {
    TACET_ASSIGN_OR_RETURN(auto summary,
                           ProduceToWriter(agent, write, user_data, &tacet::agent::Agent::Report));
    Fill(summary, out_summary);
    return tacet::OkStatus();
  });
}

// ---- audit --------------------------------------------------------------------------------------

tacet_status tacet_audit_verify(tacet_agent_t* agent) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    return agent->core->VerifyAudit();
  });
}

tacet_status tacet_audit_entry_count(tacet_agent_t* agent, int64_t* out_count) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(tacet::capi::CheckOut(out_count, "out_count"));
    TACET_ASSIGN_OR_RETURN(*out_count, agent->core->AuditEntryCount());
    return tacet::OkStatus();
  });
}

// ---- small helpers ------------------------------------------------------------------------------

uint32_t tacet_abi_version(void) { return TACET_ABI_VERSION; }

int tacet_in_callback(void) { return tacet::capi::InCallback() ? 1 : 0; }

const char* tacet_last_error_message(void) { return tacet::capi::LastErrorMessage(); }

void tacet_free(void* block) { std::free(block); }

const char* tacet_consent_state_name(tacet_consent_state state) {
  int v = EnumValue(state);
  if (v < TACET_CONSENT_UNKNOWN || v > TACET_CONSENT_DENIED) return "invalid";
  return tacet::consent::ConsentStateName(static_cast<tacet::consent::ConsentState>(v));
}

const char* tacet_decision_source_name(tacet_decision_source source) {
  int v = EnumValue(source);
  if (v < TACET_SOURCE_USER || v > TACET_SOURCE_POLICY_DEFAULT) return "invalid";
  return tacet::consent::DecisionSourceName(static_cast<tacet::consent::DecisionSource>(v));
}

const char* tacet_denial_reason_name(tacet_denial_reason reason) {
  int v = EnumValue(reason);
  if (v < TACET_DENIAL_NONE || v > TACET_DENIAL_NOT_A_COLLECTION_BASIS) return "invalid";
  return tacet::gate::DenialReasonName(static_cast<tacet::gate::DenialReason>(v));
}

const char* tacet_end_reason_name(tacet_end_reason reason) {
  int v = EnumValue(reason);
  if (v == TACET_END_AGENT_CLOSED) return "agent_closed";
  if (v < TACET_END_NONE || v > TACET_END_DEVICE_ERROR) return "invalid";
  return tacet::gate::EndReasonName(static_cast<tacet::gate::EndReason>(v));
}

const char* tacet_location_precision_name(tacet_location_precision precision) {
  int v = EnumValue(precision);
  if (v < TACET_PRECISION_NONE || v > TACET_PRECISION_PRECISE) return "invalid";
  return tacet::platform::LocationPrecisionName(static_cast<tacet::platform::LocationPrecision>(v));
}

}  // extern "C"
