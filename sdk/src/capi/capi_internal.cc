#include "capi/capi_internal.h"

#include <cstdlib>
#include <unordered_map>

#include "base/utf8.h"

namespace tacet::capi {
namespace {

constexpr size_t kErrorCapacity = 1024;
thread_local char t_error[kErrorCapacity] = {0};
thread_local int t_callback_depth = 0;
thread_local const void* t_callback_session = nullptr;

// Appends as much of `s` as fits (leaving room for the NUL) at `*used`, never cutting a UTF-8
// sequence in half.
void AppendBounded(std::string_view s, size_t* used) {
  size_t room = kErrorCapacity - 1 - *used;
  size_t n = s.size() < room ? s.size() : room;
  if (n < s.size()) {
    // Back off to the start of a code point.
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  }
  std::memcpy(t_error + *used, s.data(), n);
  *used += n;
  t_error[*used] = '\0';
}

}  // namespace

tacet_status SetError(const char* function, tacet_status code, std::string_view message) {
  size_t used = 0;
  t_error[0] = '\0';
  AppendBounded(function, &used);
  AppendBounded(": ", &used);
  AppendBounded(message, &used);
  return code;
}

void ClearError() { t_error[0] = '\0'; }

const char* LastErrorMessage() { return t_error; }

tacet_status Finish(const char* function, const Status& status) {
  if (status.ok()) {
    ClearError();
    return TACET_OK;
  }
  return SetError(function, status.c_code(), status.message());
}

CallbackScope::CallbackScope(const void* session) noexcept
    : previous_session_(t_callback_session) {
  ++t_callback_depth;
  if (session != nullptr) t_callback_session = session;
}

CallbackScope::~CallbackScope() {
  --t_callback_depth;
  t_callback_session = previous_session_;
}

bool InCallback() noexcept { return t_callback_depth > 0; }
const void* CurrentCallbackSession() noexcept { return t_callback_session; }

// ---- live handles -------------------------------------------------------------------------------

namespace {
// Never destroyed: a handle freed from an atexit handler or a static destructor still finds it.
std::unordered_map<const void*, HandleKind>& Registry() {
  static auto* registry = new std::unordered_map<const void*, HandleKind>();
  return *registry;
}

const char* HandleTypeName(HandleKind kind) {
  switch (kind) {
    case HandleKind::kOptions: return "tacet_options_t";
    case HandleKind::kAgent: return "tacet_agent_t";
    case HandleKind::kVoiceSession: return "tacet_voice_session_t";
    case HandleKind::kLocationSession: return "tacet_location_session_t";
  }
  return "handle";
}
}  // namespace

std::mutex& RegistryMutex() {
  static auto* mu = new std::mutex();
  return *mu;
}

void RegisterHandle(const void* handle, HandleKind kind) { Registry()[handle] = kind; }
void UnregisterHandle(const void* handle) { Registry().erase(handle); }
bool IsLiveHandle(const void* handle, HandleKind kind) {
  auto it = Registry().find(handle);
  return it != Registry().end() && it->second == kind;
}

Status CheckHandle(const void* handle, HandleKind kind, const char* what) {
  if (handle == nullptr) return InvalidArgumentError(std::string(what) + " is NULL");
  bool live;
  {
    std::lock_guard<std::mutex> lock(RegistryMutex());
    live = IsLiveHandle(handle, kind);
  }
  if (!live) {
    return InvalidArgumentError(std::string(what) + " is not a live " + HandleTypeName(kind) +
                                " (already freed, or not made by Tacet)");
  }
  return OkStatus();
}

// ---- arguments ----------------------------------------------------------------------------------

namespace {
Status CheckText(const char* s, size_t max, const char* what, std::string_view* out) {
  if (s == nullptr) return InvalidArgumentError(std::string(what) + " is NULL");
  const void* nul = std::memchr(s, '\0', max + 1);
  if (nul == nullptr) {
    return InvalidArgumentError(std::string(what) + " is not NUL-terminated within " +
                                std::to_string(max) + " bytes");
  }
  std::string_view text(s, static_cast<size_t>(static_cast<const char*>(nul) - s));
  if (text.empty()) return InvalidArgumentError(std::string(what) + " is empty");
  if (!IsValidUtf8(text)) return InvalidArgumentError(std::string(what) + " is not valid UTF-8");
  *out = text;
  return OkStatus();
}
}  // namespace

Status CheckId(const char* s, const char* what, std::string_view* out) {
  return CheckText(s, TACET_MAX_ID_LENGTH, what, out);
}

Status CheckPath(const char* s, const char* what, std::string* out) {
  std::string_view text;
  TACET_RETURN_IF_ERROR(CheckText(s, TACET_MAX_PATH_LENGTH, what, &text));
  out->assign(text.data(), text.size());
  return OkStatus();
}

Status CheckBuffer(const void* data, size_t len, const char* what) {
  if (data == nullptr && len != 0) {
    return InvalidArgumentError(std::string(what) + " is NULL but its length is " +
                                std::to_string(len));
  }
  return OkStatus();
}

Status CheckOut(const void* out, const char* what) {
  if (out == nullptr) return InvalidArgumentError(std::string(what) + " is NULL");
  return OkStatus();
}

Status CheckEnum(int value, int lo, int hi, const char* what, const char* allowed) {
  if (value >= lo && value <= hi) return OkStatus();
  return InvalidArgumentError(std::string(what) + " is " + std::to_string(value) +
                              ", not one of " + allowed);
}

Status FromCallerStatus(const tacet_status& code, std::string_view message) {
  int v = EnumValue(code);
  if (v == TACET_OK) return OkStatus();
  if (v < TACET_ERR_INVALID_ARGUMENT || v > TACET_ERR_UNIMPLEMENTED) {
    return InternalError(std::string(message) + " (returned " + std::to_string(v) +
                         ", which is not a tacet_status)");
  }
  return Status(static_cast<StatusCode>(v),
                std::string(message) + " (" + tacet_status_name(code) + ")");
}

// ---- one-block results --------------------------------------------------------------------------

size_t Block::Reserve(size_t bytes, size_t align) {
  fixed_ = (fixed_ + align - 1) / align * align;
  size_t offset = fixed_;
  fixed_ += bytes;
  return offset;
}

bool Block::Allocate() {
  // Zeroed, so that any padding handed to the caller carries no stale heap bytes.
  base_ = static_cast<char*>(std::calloc(1, fixed_ + text_bytes_ + 1));
  return base_ != nullptr;
}

const char* Block::PutText(std::string_view s) {
  char* at = base_ + fixed_ + text_used_;
  if (!s.empty()) std::memcpy(at, s.data(), s.size());
  at[s.size()] = '\0';
  text_used_ += s.size() + 1;
  return at;
}

Block::~Block() { std::free(base_); }

char* CopyString(std::string_view s) {
  auto* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out == nullptr) return nullptr;
  if (!s.empty()) std::memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  return out;
}

Status OutOfMemory() { return ResourceExhaustedError("out of memory"); }

}  // namespace tacet::capi
