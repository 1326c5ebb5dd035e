/*
 * Tacet: platform services a device may supply to the agent, as versioned function tables.
 *
 * Included by tacet/tacet.h. C99-clean; valid C++.
 *
 * The posix defaults need none of these tables: without one, the agent keeps its secrets in files
 * under the data directory ("keys/", mode 0700), reads the system clocks, draws entropy from
 * getrandom(2), logs to standard error and takes OS permission states from
 * tacet_agent_set_os_permission. Firmware that has a secure element, its own clock or logger,
 * or an OS that answers permission questions registers a table with tacet_options_set_* instead.
 *
 * Every table starts with `uint32_t struct_size`, which the caller sets to sizeof the struct as
 * its header declares it; then come the function pointers, then `void *ctx`, which is passed back
 * as the first argument of every function. Later versions of this header only append fields, so
 * a table from an older header (a smaller struct_size) still works, and the fields a newer header
 * added are ignored by an older library. Tables are copied when registered: the caller may reuse
 * or free the struct at once, but `ctx` (and whatever it points to) must stay valid, and every
 * function callable, until tacet_agent_free of every agent opened with those options returns.
 *
 * Threads. Unless a function says otherwise, the agent may call it from any thread, including
 * several at once; implementations must be thread-safe. None may call back into Tacet (they run
 * inside Tacet calls: such calls fail with TACET_ERR_FAILED_PRECONDITION).
 */
#ifndef TACET_TACET_PLATFORM_H
#define TACET_TACET_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "tacet/tacet_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Severity of a diagnostic. Tacet never logs personal data, secrets or payloads. */
typedef enum tacet_log_level {
  TACET_LOG_DEBUG = 0,
  TACET_LOG_INFO = 1,
  TACET_LOG_WARNING = 2,
  TACET_LOG_ERROR = 3,
  TACET_LOG_NONE = 4 /* only for tacet_options_set_log_level: log nothing */
} tacet_log_level;

/* An OS permission the capture gates depend on. */
typedef enum tacet_os_permission {
  TACET_OS_PERMISSION_MICROPHONE = 0,
  TACET_OS_PERMISSION_LOCATION = 1
} tacet_os_permission;

/* What the OS (or, on a speaker, the firmware's own settings) allows. NOT_DETERMINED is never
 * treated as granted. */
typedef enum tacet_permission_state {
  TACET_PERMISSION_NOT_DETERMINED = 0,
  TACET_PERMISSION_DENIED = 1,
  TACET_PERMISSION_GRANTED = 2
} tacet_permission_state;

/* How precise a location may be: the user's choice (consent), the OS permission, or a request. */
typedef enum tacet_location_precision {
  TACET_PRECISION_NONE = 0,
  TACET_PRECISION_APPROXIMATE = 1,
  TACET_PRECISION_PRECISE = 2
} tacet_location_precision;

/*
 * Key store: where the agent keeps its small named secrets (key-wrapping keys, data keys, the
 * consent head key). Deleting a secret is how erased data is crypto-shredded, so `del` must make
 * it unrecoverable as far as the medium allows. All three functions are required.
 *
 * Names are 1..64 characters from [a-z0-9_-], NUL-terminated, valid only during the call.
 * Secrets are 1..4096 bytes.
 */
typedef struct tacet_key_store {
  uint32_t struct_size; /* sizeof(tacet_key_store) */
  /* Stores a copy of `secret` under `name`, durably (it survives a crash once this returns OK).
   * Never replaces: an existing name is TACET_ERR_ALREADY_EXISTS. `secret` is borrowed for the
   * call. */
  tacet_status (*put)(void *ctx, const char *name, const uint8_t *secret, size_t secret_len);
  /* Copies the secret into `buffer` (capacity `buffer_len`, always 4096) and sets *out_len.
   * TACET_ERR_NOT_FOUND when there is none. The agent wipes the buffer after use. */
  tacet_status (*get)(void *ctx, const char *name, uint8_t *buffer, size_t buffer_len,
                      size_t *out_len);
  /* Destroys the secret; TACET_ERR_NOT_FOUND when there is none. After OK, get answers
   * TACET_ERR_NOT_FOUND, also after a crash. */
  tacet_status (*del)(void *ctx, const char *name);
  void *ctx;
} tacet_key_store;

/*
 * OS permission state. Both functions are required, are called on the capture path (audio and
 * location threads) and must not block. Values outside the enums are read as NOT_DETERMINED and
 * NONE. When a state changes, tell the agent with tacet_agent_os_permission_changed so open
 * capture sessions are re-checked at once (they are also re-checked at every frame or fix).
 */
typedef struct tacet_permissions {
  uint32_t struct_size; /* sizeof(tacet_permissions) */
  tacet_permission_state (*query)(void *ctx, tacet_os_permission permission);
  /* TACET_PRECISION_NONE unless query(LOCATION) is GRANTED. */
  tacet_location_precision (*location_precision)(void *ctx);
  void *ctx;
} tacet_permissions;

/* Clocks. Both functions are required, must not block, and are called on every thread. */
typedef struct tacet_clock {
  uint32_t struct_size; /* sizeof(tacet_clock) */
  /* Milliseconds since the Unix epoch (UTC); may jump. */
  int64_t (*now_unix_ms)(void *ctx);
  /* Nanoseconds from an arbitrary origin; never goes backwards. */
  int64_t (*monotonic_ns)(void *ctx);
  void *ctx;
} tacet_clock;

/* Entropy that seeds the agent's CTR-DRBG. Required. Writes all `len` bytes of full-entropy
 * output and returns TACET_OK, or returns an error (TACET_ERR_UNAVAILABLE when temporarily
 * unable); never partial output with TACET_OK. */
typedef struct tacet_entropy {
  uint32_t struct_size; /* sizeof(tacet_entropy) */
  tacet_status (*fill)(void *ctx, uint8_t *out, size_t len);
  void *ctx;
} tacet_entropy;

/* Diagnostics. Required. `message` (UTF-8, `len` bytes, also NUL-terminated) is valid only
 * during the call. Called from any thread, including the audio thread: must not block for long.
 * Messages below the level set with tacet_options_set_log_level are not passed on. */
typedef struct tacet_logger {
  uint32_t struct_size; /* sizeof(tacet_logger) */
  void (*log)(void *ctx, tacet_log_level level, const char *message, size_t len);
  void *ctx;
} tacet_logger;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TACET_TACET_PLATFORM_H */
