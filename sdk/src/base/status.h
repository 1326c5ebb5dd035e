// tacet::Status and tacet::StatusOr<T>: how every fallible call in the core reports its outcome.
//
// The library never throws. A Status carries a code (the same numbers as the C API's
// tacet_status) and a message that names what went wrong ("policy: purpose 'ads' refers to unknown
// category 'gps'"). Both types are [[nodiscard]]: ignoring one is a compile-time warning, and with
// TACET_WERROR an error.
#ifndef TACET_BASE_STATUS_H_
#define TACET_BASE_STATUS_H_

#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "base/enum_names.h"
#include "tacet/tacet_status.h"

namespace tacet {

enum class StatusCode : int {
  kOk = TACET_OK,
  kInvalidArgument = TACET_ERR_INVALID_ARGUMENT,
  kNotFound = TACET_ERR_NOT_FOUND,
  kAlreadyExists = TACET_ERR_ALREADY_EXISTS,
  kPermissionDenied = TACET_ERR_PERMISSION_DENIED,
  kFailedPrecondition = TACET_ERR_FAILED_PRECONDITION,
  kOutOfRange = TACET_ERR_OUT_OF_RANGE,
  kResourceExhausted = TACET_ERR_RESOURCE_EXHAUSTED,
  kUnavailable = TACET_ERR_UNAVAILABLE,
  kDataLoss = TACET_ERR_DATA_LOSS,
  kInternal = TACET_ERR_INTERNAL,
  kUnimplemented = TACET_ERR_UNIMPLEMENTED,
};

// The names of the codes, also those of the C API's tacet_status_name.
inline constexpr EnumName<StatusCode> kStatusCodeNames[] = {
    {StatusCode::kOk, "ok"},
    {StatusCode::kInvalidArgument, "invalid argument"},
    {StatusCode::kNotFound, "not found"},
    {StatusCode::kAlreadyExists, "already exists"},
    {StatusCode::kPermissionDenied, "permission denied"},
    {StatusCode::kFailedPrecondition, "failed precondition"},
    {StatusCode::kOutOfRange, "out of range"},
    {StatusCode::kResourceExhausted, "resource exhausted"},
    {StatusCode::kUnavailable, "unavailable"},
    {StatusCode::kDataLoss, "data loss"},
    {StatusCode::kInternal, "internal"},
    {StatusCode::kUnimplemented, "unimplemented"},
};
static_assert(EnumNamesAreUnique(kStatusCodeNames));

// "invalid argument", "data loss", ... ("unknown status" out of range). Static storage.
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  // OK. Cheap: an OK status holds no string.
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {
    if (code_ == StatusCode::kOk) message_.clear();
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  tacet_status c_code() const { return static_cast<tacet_status>(code_); }

  // "data loss: vault record 17 failed authentication", or "ok".
  std::string ToString() const;

  // Returns a copy whose message is "<prefix>: <message>"; OK stays OK.
  Status WithContext(std::string_view prefix) const;

  // Explicitly drops a status the caller has decided not to act on (best-effort cleanup paths).
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }
  friend bool operator!=(const Status& a, const Status& b) { return !(a == b); }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
inline Status InvalidArgumentError(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExistsError(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status PermissionDeniedError(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
inline Status FailedPreconditionError(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status OutOfRangeError(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status ResourceExhaustedError(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status DataLossError(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status UnimplementedError(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }

namespace internal {
// Misuse of StatusOr (reading the value of an error) is a programming error: report and abort,
// since the library cannot throw.
[[noreturn]] void DieBadStatusOrAccess(const Status& status);
}  // namespace internal

// Either a T or a non-OK Status. Constructing one from an OK Status is a programming error and is
// turned into an internal error rather than an empty value.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& status) : status_(status) { FixOkWithoutValue(); }  // NOLINT
  StatusOr(Status&& status) : status_(std::move(status)) { FixOkWithoutValue(); }  // NOLINT
  StatusOr(const T& value) : has_value_(true) { new (&storage_) T(value); }  // NOLINT
  StatusOr(T&& value) : has_value_(true) { new (&storage_) T(std::move(value)); }  // NOLINT
  template <typename U,
            typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                        !std::is_same_v<std::decay_t<U>, T> &&
                                        !std::is_same_v<std::decay_t<U>, Status> &&
                                        !std::is_same_v<std::decay_t<U>, StatusOr>>>
  StatusOr(U&& value) : has_value_(true) {  // NOLINT
    new (&storage_) T(std::forward<U>(value));
  }

  StatusOr(const StatusOr& other) : status_(other.status_), has_value_(other.has_value_) {
    if (has_value_) new (&storage_) T(*other.ptr());
  }
  StatusOr(StatusOr&& other) noexcept : status_(std::move(other.status_)), has_value_(other.has_value_) {
    if (has_value_) new (&storage_) T(std::move(*other.ptr()));
  }
  StatusOr& operator=(const StatusOr& other) {
    if (this != &other) {
      Reset();
      status_ = other.status_;
      has_value_ = other.has_value_;
      if (has_value_) new (&storage_) T(*other.ptr());
    }
    return *this;
  }
  StatusOr& operator=(StatusOr&& other) noexcept {
    if (this != &other) {
      Reset();
      status_ = std::move(other.status_);
      has_value_ = other.has_value_;
      if (has_value_) new (&storage_) T(std::move(*other.ptr()));
    }
    return *this;
  }
  ~StatusOr() { Reset(); }

  bool ok() const { return has_value_; }
  const Status& status() const { return status_; }

  const T& value() const& { Check(); return *ptr(); }
  T& value() & { Check(); return *ptr(); }
  T&& value() && { Check(); return std::move(*ptr()); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  void FixOkWithoutValue() {
    if (status_.ok()) status_ = InternalError("StatusOr constructed from an OK status without a value");
  }
  void Check() const {
    if (!has_value_) internal::DieBadStatusOrAccess(status_);
  }
  void Reset() {
    if (has_value_) {
      ptr()->~T();
      has_value_ = false;
    }
  }
  T* ptr() { return std::launder(reinterpret_cast<T*>(&storage_)); }
  const T* ptr() const { return std::launder(reinterpret_cast<const T*>(&storage_)); }

  Status status_;
  bool has_value_ = false;
  alignas(T) unsigned char storage_[sizeof(T)];
};

}  // namespace tacet

#define TACET_STATUS_CONCAT_INNER_(a, b) a##b
#define TACET_STATUS_CONCAT_(a, b) TACET_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define TACET_RETURN_IF_ERROR(expr)                  \
  do {                                               \
    ::tacet::Status tacet_status_tmp_ = (expr);      \
    if (!tacet_status_tmp_.ok()) return tacet_status_tmp_; \
  } while (0)

// `TACET_ASSIGN_OR_RETURN(auto x, Foo());` declares x from a StatusOr, or returns its error.
#define TACET_ASSIGN_OR_RETURN(lhs, expr) \
  TACET_ASSIGN_OR_RETURN_IMPL_(TACET_STATUS_CONCAT_(tacet_statusor_, __LINE__), lhs, expr)
#define TACET_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

#endif  // TACET_BASE_STATUS_H_
