// The C API's plumbing: the per-thread error message, the guard every entry point runs in
// (callback re-entry, exceptions), the registry of live handles, argument checks, and the
// one-block allocations the library hands out. Private to sdk/src/capi/.
#ifndef TACET_CAPI_CAPI_INTERNAL_H_
#define TACET_CAPI_CAPI_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <string_view>

#include "base/status.h"
#include "tacet/tacet.h"

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#define TACET_CAPI_EXCEPTIONS 1
#else
#define TACET_CAPI_EXCEPTIONS 0
#endif

namespace tacet::capi {

// ---- the per-thread error message ---------------------------------------------------------------

// Stores "<function>: <message>" (cut to the buffer at a UTF-8 boundary) as this thread's last
// error and returns `code`. Never allocates.
tacet_status SetError(const char* function, tacet_status code, std::string_view message);
// Clears this thread's last error.
void ClearError();
// This thread's last error ("" when none). Thread-local storage.
const char* LastErrorMessage();
// OK clears the message; anything else stores it.
tacet_status Finish(const char* function, const Status& status);

// ---- callbacks ----------------------------------------------------------------------------------

// While one is alive on a thread, that thread is inside a callback into the caller's code (a
// listener, a frame sink, a write function, a platform table): entry points that are not
// callback-safe refuse. `session` marks the capture session whose callback runs, so that the
// session may end itself. Nests.
class CallbackScope {
 public:
  explicit CallbackScope(const void* session = nullptr) noexcept;
  ~CallbackScope();
  CallbackScope(const CallbackScope&) = delete;
  CallbackScope& operator=(const CallbackScope&) = delete;

 private:
  const void* previous_session_;
};
bool InCallback() noexcept;
// The session whose callback runs on this thread, or null.
const void* CurrentCallbackSession() noexcept;

// Runs `body` (returning Status) for the entry point `function`: refuses inside a callback unless
// `callback_safe`, turns an escaping exception (when the library is built with them) into
// TACET_ERR_RESOURCE_EXHAUSTED or TACET_ERR_INTERNAL, and records the outcome as the thread's
// last error.
template <typename Body>
tacet_status Run(const char* function, bool callback_safe, Body&& body) noexcept {
  if (!callback_safe && InCallback()) {
    return SetError(function, TACET_ERR_FAILED_PRECONDITION,
                    "called from inside a Tacet callback; only the functions marked "
                    "callback-safe in tacet.h may be called there");
  }
#if TACET_CAPI_EXCEPTIONS
  try {
    return Finish(function, body());
  } catch (const std::bad_alloc&) {
    return SetError(function, TACET_ERR_RESOURCE_EXHAUSTED, "out of memory");
  } catch (...) {
    return SetError(function, TACET_ERR_INTERNAL, "unexpected C++ exception inside Tacet");
  }
#else
  return Finish(function, body());
#endif
}
template <typename Body>
tacet_status Run(const char* function, Body&& body) noexcept {
  return Run(function, false, static_cast<Body&&>(body));
}

// ---- live handles -------------------------------------------------------------------------------

enum class HandleKind : uint8_t { kOptions, kAgent, kVoiceSession, kLocationSession };

// The registry's mutex: a leaf lock (nothing is called out while holding it). Also guards the
// links between agents and their sessions (capi_agent.h).
std::mutex& RegistryMutex();
void RegisterHandle(const void* handle, HandleKind kind);    // RegistryMutex held
void UnregisterHandle(const void* handle);                    // RegistryMutex held
bool IsLiveHandle(const void* handle, HandleKind kind);       // RegistryMutex held

// kInvalidArgument when `handle` is null ("<what> is NULL") or not a live handle of `kind`.
Status CheckHandle(const void* handle, HandleKind kind, const char* what);

// ---- arguments ----------------------------------------------------------------------------------

// A NUL-terminated UTF-8 identifier of 1..TACET_MAX_ID_LENGTH bytes. Reads at most
// TACET_MAX_ID_LENGTH + 1 bytes of `s`.
Status CheckId(const char* s, const char* what, std::string_view* out);
// A NUL-terminated path of 1..TACET_MAX_PATH_LENGTH bytes.
Status CheckPath(const char* s, const char* what, std::string* out);
// A buffer of `len` bytes: `data` may be null only when `len` is 0.
Status CheckBuffer(const void* data, size_t len, const char* what);
// kInvalidArgument "<what> is NULL" for a null out-parameter.
Status CheckOut(const void* out, const char* what);

// The int value of a C enum argument, read without an enum-typed load (a C caller may pass any
// int; C++ would call loading such a value undefined).
template <typename E>
int EnumValue(const E& value) noexcept {
  static_assert(sizeof(E) == sizeof(int), "C enums are int-sized");
  int v;
  std::memcpy(&v, &value, sizeof v);
  return v;
}
// kInvalidArgument "<what> is <value>, not one of <allowed>" unless lo <= value <= hi.
Status CheckEnum(int value, int lo, int hi, const char* what, const char* allowed);

// A tacet_status returned by the caller's code (a platform table, a write function): OK, or a
// Status with that code and `message`; a value outside the enum becomes kInternal saying so.
// By reference: the caller's value is read as bytes (EnumValue), never loaded as a tacet_status
// until it is known to be one (loading an out-of-range enum value is undefined behaviour; the
// capi_sequence_fuzzer's lying entropy table found it under UBSan).
Status FromCallerStatus(const tacet_status& code, std::string_view message);

// ---- one-block results --------------------------------------------------------------------------

// Lays out and fills one malloc'ed block: fixed-size parts first (Reserve, in the order they are
// filled), then the text of every string (CountText during planning, PutText while filling).
// Released by the caller with tacet_free.
class Block {
 public:
  // Planning.
  size_t Reserve(size_t bytes, size_t align);
  void CountText(std::string_view s) { text_bytes_ += s.size() + 1; }
  // Filling. Allocate returns false when out of memory.
  bool Allocate();
  template <typename T>
  T* At(size_t offset) {
    return reinterpret_cast<T*>(base_ + offset);
  }
  // Copies `s` (NUL-terminated) into the text area and returns where it went.
  const char* PutText(std::string_view s);
  // Hands the block to the caller.
  void* Release() {
    void* b = base_;
    base_ = nullptr;
    return b;
  }
  ~Block();

 private:
  size_t fixed_ = 0;
  size_t text_bytes_ = 0;
  size_t text_used_ = 0;
  char* base_ = nullptr;
};

// A malloc'ed NUL-terminated copy of `s` for the caller (tacet_free), or null when out of memory.
char* CopyString(std::string_view s);

Status OutOfMemory();

}  // namespace tacet::capi

#endif  // TACET_CAPI_CAPI_INTERNAL_H_
