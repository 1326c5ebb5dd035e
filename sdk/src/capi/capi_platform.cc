#include "capi/capi_platform.h"

#include <cstddef>
#include <cstring>
#include <string>

#include "capi/capi_internal.h"
#include "crypto/secure.h"
#include "posix/stderr_logger.h"

namespace tacet::capi {
namespace {

// Checks struct_size against what this library's header declares (tables from an older header
// would be smaller; there are none yet, so the whole struct is required) and copies the known
// prefix.
template <typename Table>
Status CopyPrefix(const Table* in, Table* out, const char* name) {
  if (in == nullptr) return InvalidArgumentError(std::string(name) + " is NULL");
  if (in->struct_size < sizeof(Table)) {
    return InvalidArgumentError(std::string(name) + ".struct_size is " +
                                std::to_string(in->struct_size) + "; this library needs at least " +
                                std::to_string(sizeof(Table)) + " (set it to sizeof(" + name +
                                "))");
  }
  std::memset(out, 0, sizeof(Table));
  std::memcpy(out, in, sizeof(Table));
  out->struct_size = static_cast<uint32_t>(sizeof(Table));
  return OkStatus();
}

Status Require(const void* fn, const char* table, const char* field) {
  if (fn != nullptr) return OkStatus();
  return InvalidArgumentError(std::string(table) + "." + field + " is NULL");
}

}  // namespace

Status CopyTable(const tacet_key_store* in, tacet_key_store* out) {
  TACET_RETURN_IF_ERROR(CopyPrefix(in, out, "tacet_key_store"));
  TACET_RETURN_IF_ERROR(Require(reinterpret_cast<const void*>(out->put), "tacet_key_store", "put"));
  TACET_RETURN_IF_ERROR(Require(reinterpret_cast<const void*>(out->get), "tacet_key_store", "get"));
  return Require(reinterpret_cast<const void*>(out->del), "tacet_key_store", "del");
}

Status CopyTable(const tacet_permissions* in, tacet_permissions* out) {
  TACET_RETURN_IF_ERROR(CopyPrefix(in, out, "tacet_permissions"));
  TACET_RETURN_IF_ERROR(
      Require(reinterpret_cast<const void*>(out->query), "tacet_permissions", "query"));
  return Require(reinterpret_cast<const void*>(out->location_precision), "tacet_permissions",
                 "location_precision");
}

Status CopyTable(const tacet_clock* in, tacet_clock* out) {
  TACET_RETURN_IF_ERROR(CopyPrefix(in, out, "tacet_clock"));
  TACET_RETURN_IF_ERROR(
      Require(reinterpret_cast<const void*>(out->now_unix_ms), "tacet_clock", "now_unix_ms"));
  return Require(reinterpret_cast<const void*>(out->monotonic_ns), "tacet_clock", "monotonic_ns");
}

Status CopyTable(const tacet_entropy* in, tacet_entropy* out) {
  TACET_RETURN_IF_ERROR(CopyPrefix(in, out, "tacet_entropy"));
  return Require(reinterpret_cast<const void*>(out->fill), "tacet_entropy", "fill");
}

Status CopyTable(const tacet_logger* in, tacet_logger* out) {
  TACET_RETURN_IF_ERROR(CopyPrefix(in, out, "tacet_logger"));
  return Require(reinterpret_cast<const void*>(out->log), "tacet_logger", "log");
}

// ---- key store ----------------------------------------------------------------------------------

Status TableKeyStore::Put(std::string_view name, ByteView secret) {
  TACET_RETURN_IF_ERROR(platform::ValidatePut(name, secret));
  const std::string n(name);
  tacet_status code;
  {
    CallbackScope scope;
    code = table_.put(table_.ctx, n.c_str(), secret.data(), secret.size());
  }
  return FromCallerStatus(code, "key store: the platform's put of '" + n + "' failed");
}

StatusOr<Bytes> TableKeyStore::Get(std::string_view name) {
  TACET_RETURN_IF_ERROR(platform::ValidateKeyName(name));
  const std::string n(name);
  Bytes buffer(platform::kMaxSecretSize, 0);
  size_t len = 0;
  tacet_status code;
  {
    CallbackScope scope;
    code = table_.get(table_.ctx, n.c_str(), buffer.data(), buffer.size(), &len);
  }
  Status status = FromCallerStatus(code, "key store: the platform's get of '" + n + "' failed");
  if (status.ok() && (len == 0 || len > buffer.size())) {
    status = DataLossError("key store: the platform's get of '" + n + "' reported " +
                           std::to_string(len) + " bytes; a secret has 1 to " +
                           std::to_string(platform::kMaxSecretSize));
  }
  if (!status.ok()) {
    crypto::SecureZero(buffer.data(), buffer.size());
    return status;
  }
  crypto::SecureZero(buffer.data() + len, buffer.size() - len);
  buffer.resize(len);
  return buffer;
}

Status TableKeyStore::Delete(std::string_view name) {
  TACET_RETURN_IF_ERROR(platform::ValidateKeyName(name));
  const std::string n(name);
  tacet_status code;
  {
    CallbackScope scope;
    code = table_.del(table_.ctx, n.c_str());
  }
  return FromCallerStatus(code, "key store: the platform's del of '" + n + "' failed");
}

// ---- permissions --------------------------------------------------------------------------------

platform::PermissionState TablePermissions::Query(platform::Permission permission) {
  tacet_permission_state answer;
  {
    CallbackScope scope;
    answer = table_.query(table_.ctx, permission == platform::Permission::kMicrophone
                                          ? TACET_OS_PERMISSION_MICROPHONE
                                          : TACET_OS_PERMISSION_LOCATION);
  }
  switch (EnumValue(answer)) {
    case TACET_PERMISSION_DENIED: return platform::PermissionState::kDenied;
    case TACET_PERMISSION_GRANTED: return platform::PermissionState::kGranted;
    default: return platform::PermissionState::kNotDetermined;  // never read garbage as granted
  }
}

platform::LocationPrecision TablePermissions::LocationPermissionPrecision() {
  tacet_location_precision answer;
  {
    CallbackScope scope;
    answer = table_.location_precision(table_.ctx);
  }
  switch (EnumValue(answer)) {
    case TACET_PRECISION_APPROXIMATE: return platform::LocationPrecision::kApproximate;
    case TACET_PRECISION_PRECISE: return platform::LocationPrecision::kPrecise;
    default: return platform::LocationPrecision::kNone;
  }
}

void TablePermissions::SetListener(platform::PermissionListener* listener) {
  std::lock_guard<std::mutex> lock(mu_);
  listener_ = listener;
}

void TablePermissions::Changed(platform::Permission permission) {
  std::lock_guard<std::mutex> lock(mu_);
  if (listener_ != nullptr) listener_->OnPermissionChanged(permission, Query(permission));
}

// ---- clock, entropy, logger ---------------------------------------------------------------------

int64_t TableClock::NowUnixMillis() {
  CallbackScope scope;
  return table_.now_unix_ms(table_.ctx);
}

int64_t TableClock::MonotonicNanos() {
  CallbackScope scope;
  return table_.monotonic_ns(table_.ctx);
}

Status TableEntropy::Fill(uint8_t* out, size_t len) {
  tacet_status code;
  {
    CallbackScope scope;
    code = table_.fill(table_.ctx, out, len);
  }
  Status status = FromCallerStatus(code, "entropy: the platform's fill failed");
  if (!status.ok()) crypto::SecureZero(out, len);
  return status;
}

FilteredLogger::FilteredLogger(int min_level, const tacet_logger* table)
    : min_level_(min_level), has_table_(table != nullptr) {
  if (table != nullptr) {
    table_ = *table;
  } else {
    stderr_ = std::make_unique<platform::StderrLogger>(platform::LogLevel::kDebug);
  }
}

void FilteredLogger::Log(platform::LogLevel level, std::string_view message) {
  const int value = static_cast<int>(level);
  if (value < min_level_) return;
  if (!has_table_) {
    stderr_->Log(level, message);
    return;
  }
  // The table gets a NUL-terminated copy; messages are short diagnostics.
  std::string copy(message);
  CallbackScope scope;
  table_.log(table_.ctx, static_cast<tacet_log_level>(value), copy.c_str(), copy.size());
}

}  // namespace tacet::capi
