/*
 * Tacet: an on-device privacy agent. The public C API: the one stable ABI every binding stands on.
 *
 *   tacet_options_t *options;
 *   tacet_agent_t *agent;
 *   tacet_options_new(&options);
 *   tacet_options_set_data_dir(options, "/var/lib/tacet");
 *   if (tacet_agent_open(options, &agent) != TACET_OK) {
 *     fprintf(stderr, "%s\n", tacet_last_error_message());
 *   }
 *   tacet_options_free(options);
 *   tacet_consent_set_purpose(agent, "voice_features", TACET_CONSENT_GRANTED, TACET_SOURCE_USER);
 *   ...
 *   tacet_agent_free(agent);
 *
 * Conventions (they hold for every function below unless its comment says otherwise):
 *
 * Status. Every call that can fail returns a tacet_status; TACET_OK is 0. Out-parameters come
 *   last and are written only on TACET_OK (out-parameters that say why something failed, such as
 *   a denial reason, say when they are written). After a failure, tacet_last_error_message()
 *   gives the reason in English on the same thread. No call lets a C++ exception escape.
 *
 * Handles. tacet_options_t, tacet_agent_t, tacet_voice_session_t and tacet_location_session_t
 *   are opaque. Each has one function that releases it (_free), which accepts NULL. A handle
 *   passed after it was freed is refused with TACET_ERR_INVALID_ARGUMENT as long as its address
 *   has not been reused by a new handle (the library keeps a registry of live handles); never
 *   rely on that. A handle must not be freed while another thread is inside a call with it.
 *
 * Memory. Everything the library allocates for the caller (strings, lists, records) is one block,
 *   owned by the caller and released with tacet_free. Pointers inside a block point into the same
 *   block. Input buffers are borrowed for the duration of the call only.
 *
 * Strings. Text is UTF-8. Identifiers (purpose, channel, category and field ids, history
 *   subjects) are NUL-terminated; at most TACET_MAX_ID_LENGTH bytes before the NUL are read, and
 *   a longer, unterminated or malformed one is TACET_ERR_INVALID_ARGUMENT. Paths are
 *   NUL-terminated within TACET_MAX_PATH_LENGTH bytes. Values take an explicit length and need no
 *   NUL.
 *
 * Enums. A value outside its enum is TACET_ERR_INVALID_ARGUMENT.
 *
 * Threads. Every function may be called from any thread, and every tacet_agent_t from several
 *   threads at once (the agent serialises storage work itself). Callbacks run on the thread this
 *   header names for each. Inside a callback only the functions marked "callback-safe" may be
 *   called; any other returns TACET_ERR_FAILED_PRECONDITION at once, doing nothing (a callback
 *   runs while the agent holds locks that the call would need). Callbacks must not throw, must
 *   not longjmp out, and should return quickly.
 *
 * Callbacks take a `void *user_data` given with them; where a callback is registered for longer
 *   than the call, an optional `free_user_data` is called once with it when no further callback
 *   can follow.
 */
#ifndef TACET_TACET_H
#define TACET_TACET_H

#include <stddef.h>
#include <stdint.h>

#include "tacet/tacet_platform.h"
#include "tacet/tacet_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version of this header. tacet_abi_version() returns the library's; a program should
 * refuse to run when they differ. Raised only when a published signature or struct changes
 * incompatibly (which the rules above avoid: new names are added instead). */
#define TACET_ABI_VERSION 1

/* Longest identifier, in bytes before its NUL. */
#define TACET_MAX_ID_LENGTH 255
/* Longest path, in bytes before its NUL. */
#define TACET_MAX_PATH_LENGTH 4095

/* The library's ABI version (TACET_ABI_VERSION of the header it was built with). Callback-safe. */
TACET_API uint32_t tacet_abi_version(void);

/* 1 while the calling thread is inside a callback the library is running (a consent listener, a
 * session's frames, fixes or on_ended, a log line, a writer), 0 otherwise. The calls marked "not
 * from inside a callback" (the frees among them) are refused there; a binding whose objects free
 * their handles from a destructor (Swift deinit, a finalizer) asks this first and, when it is 1,
 * hands the free to another thread, where it waits for the callback to return. Callback-safe. */
TACET_API int tacet_in_callback(void);

/* The reason for the last failed call on this thread, e.g. "vault: refusing to store
 * contact.email_address: ...", or "" when the last call succeeded. Never NULL. Thread-local
 * storage owned by the library, valid until the next Tacet call on this thread. Callback-safe. */
TACET_API const char *tacet_last_error_message(void);

/* Releases a block the library handed out (strings, lists, records). NULL is ignored.
 * Callback-safe. */
TACET_API void tacet_free(void *block);

/* ============================================================================================
 * Vocabulary
 * ========================================================================================== */

/* A consent decision. For optional data categories GRANTED means "provided" and DENIED
 * "declined". UNKNOWN (never asked, or re-opened by a policy update) is never treated as granted. */
typedef enum tacet_consent_state {
  TACET_CONSENT_UNKNOWN = 0,
  TACET_CONSENT_GRANTED = 1,
  TACET_CONSENT_DENIED = 2
} tacet_consent_state;

/* Where a decision came from. Stored in the consent history. */
typedef enum tacet_decision_source {
  TACET_SOURCE_USER = 1,           /* the user answered a prompt or changed a setting */
  TACET_SOURCE_OS_PERMISSION = 2,  /* an OS permission changed */
  TACET_SOURCE_POLICY_UPDATE = 3,  /* a policy update re-opened the question */
  TACET_SOURCE_IMPORT = 4,         /* restored from an export or another device */
  TACET_SOURCE_POLICY_DEFAULT = 5  /* nobody decided: the policy's initial state */
} tacet_decision_source;

/* What a consent decision is about. */
typedef enum tacet_subject_kind {
  TACET_SUBJECT_PURPOSE = 0,
  TACET_SUBJECT_CHANNEL = 1,
  TACET_SUBJECT_CATEGORY = 2, /* optional data categories (provided / declined) */
  TACET_SUBJECT_LOCATION = 3  /* the location precision the user allows */
} tacet_subject_kind;

/* Whether an app feature can work with the user's current choices. */
typedef enum tacet_feature_availability {
  TACET_FEATURE_AVAILABLE = 0,
  TACET_FEATURE_NOT_ASKED = 1, /* something it needs was never asked: the app may ask */
  TACET_FEATURE_DECLINED = 2   /* the user declined something it needs: grey it out */
} tacet_feature_availability;

/* Why a capture session was refused. The gates check in this order and report the first. */
typedef enum tacet_denial_reason {
  TACET_DENIAL_NONE = 0,
  TACET_DENIAL_PURPOSE_NOT_ALLOWED_BY_POLICY = 1,
  TACET_DENIAL_VOICE_DATA_NOT_PROVIDED = 2,
  TACET_DENIAL_LOCATION_DATA_NOT_PROVIDED = 3,
  TACET_DENIAL_CONSENT_UNKNOWN = 4, /* never asked: ask */
  TACET_DENIAL_NO_CONSENT = 5,      /* refused, or location precision off */
  TACET_DENIAL_OS_PERMISSION_DENIED = 6,
  TACET_DENIAL_HARDWARE_MUTED = 7,
  TACET_DENIAL_TOO_MANY_SESSIONS = 8,
  TACET_DENIAL_DEVICE_UNAVAILABLE = 9,
  TACET_DENIAL_ACCESS_LOG_UNAVAILABLE = 10,
  TACET_DENIAL_INVALID_REQUEST = 11,
  /* The purpose's legal basis (a legal obligation, or a legitimate interest the user cannot
   * object to) is no reason to capture: capture needs a purpose the user can grant. */
  TACET_DENIAL_NOT_A_COLLECTION_BASIS = 12
} tacet_denial_reason;

/* Why a capture session ended. */
typedef enum tacet_end_reason {
  TACET_END_NONE = 0,                /* still open */
  TACET_END_COMPLETED_BY_CALLER = 1, /* tacet_*_session_end or _free */
  TACET_END_CONSENT_WITHDRAWN = 2,   /* consent revoked, category declined or policy changed */
  TACET_END_OS_PERMISSION_LOST = 3,
  TACET_END_HARDWARE_MUTED = 4,
  TACET_END_DEVICE_ERROR = 5,        /* the driver failed: tacet_voice_report_device_error */
  TACET_END_AGENT_CLOSED = 6 /* tacet_agent_close or _free with the session still open */
} tacet_end_reason;

/* Who wrote a vault value. */
typedef enum tacet_change_source {
  TACET_CHANGE_USER = 0,
  TACET_CHANGE_APP = 1,
  TACET_CHANGE_SERVICE = 2,
  TACET_CHANGE_IMPORT = 3
} tacet_change_source;

/* Stable snake_case names ("granted", "no_consent", "consent_withdrawn", ...), static storage,
 * "invalid" for a value out of range. Callback-safe. */
TACET_API const char *tacet_consent_state_name(tacet_consent_state state);
TACET_API const char *tacet_decision_source_name(tacet_decision_source source);
TACET_API const char *tacet_denial_reason_name(tacet_denial_reason reason);
TACET_API const char *tacet_end_reason_name(tacet_end_reason reason);
TACET_API const char *tacet_location_precision_name(tacet_location_precision precision);

/* A list of strings, one block (free with tacet_free). */
typedef struct tacet_string_list {
  size_t count;
  const char *const *items; /* `count` NUL-terminated strings */
} tacet_string_list;

/* ============================================================================================
 * Options and the agent
 * ========================================================================================== */

typedef struct tacet_options tacet_options_t;
typedef struct tacet_agent tacet_agent_t;

/* New options with the defaults: no data directory (it must be set), create the device when
 * missing, read-write, a 5 s lock timeout, 16 kHz mono 20 ms audio frames, log level INFO to
 * standard error, the posix platform services, signed policy updates refused. The caller owns
 * *out_options (free with tacet_options_free). Options are not thread-safe: one thread at a
 * time. */
TACET_API tacet_status tacet_options_new(tacet_options_t **out_options);
TACET_API void tacet_options_free(tacet_options_t *options);

/* The device folder (holds tacet.db, its lock and, with the default key store, keys/). Copied. */
TACET_API tacet_status tacet_options_set_data_dir(tacet_options_t *options, const char *path);
/* Where the default key store (one file per secret, posix) keeps the agent's secrets, instead of
 * "<data_dir>/keys": e.g. a separate, better protected partition. Created (mode 0700) at open
 * when missing and the device is being created; its parent must exist. An existing device whose
 * key store directory is missing is refused at open with TACET_ERR_FAILED_PRECONDITION (new keys
 * are never made for existing data, so a mistyped path cannot orphan it), and without create a
 * missing directory is TACET_ERR_NOT_FOUND. Export and report files are refused inside it as
 * inside the data directory. Exclusive with tacet_options_set_key_store: with both, open fails
 * with TACET_ERR_INVALID_ARGUMENT. Copied. NULL restores the default. */
TACET_API tacet_status tacet_options_set_key_store_dir(tacet_options_t *options, const char *path);
/* The backend's policy-signing key: a 65-byte uncompressed P-256 point (0x04 || X || Y). Copied.
 * Without it tacet_policy_apply_update is refused. */
TACET_API tacet_status tacet_options_set_policy_update_key(tacet_options_t *options,
                                                           const uint8_t *public_key,
                                                           size_t public_key_len);
/* Diagnostics below `level` are dropped; TACET_LOG_NONE drops everything. */
TACET_API tacet_status tacet_options_set_log_level(tacet_options_t *options, tacet_log_level level);
/* Non-zero (the default): create the device when the folder holds none. Zero: a missing device
 * is TACET_ERR_NOT_FOUND at open. */
TACET_API tacet_status tacet_options_set_create(tacet_options_t *options, int create);
/* Non-zero: open for reading only (a shared lock; every call that writes fails with
 * TACET_ERR_FAILED_PRECONDITION). */
TACET_API tacet_status tacet_options_set_read_only(tacet_options_t *options, int read_only);
/* How long open waits for another process that owns the folder (0 .. 600000 ms). */
TACET_API tacet_status tacet_options_set_lock_timeout_ms(tacet_options_t *options,
                                                         int32_t timeout_ms);
/* The format of the frames the firmware pushes with tacet_voice_push_frame (8000..48000 Hz,
 * 1..2 channels, 10..100 ms frames holding a whole number of samples). */
TACET_API tacet_status tacet_options_set_audio_format(tacet_options_t *options,
                                                      int32_t sample_rate_hz, int32_t channels,
                                                      int32_t frame_ms);
/* Platform services (tacet/tacet_platform.h). Each table is validated (struct_size, required
 * functions) and copied; NULL restores the posix default. */
TACET_API tacet_status tacet_options_set_key_store(tacet_options_t *options,
                                                   const tacet_key_store *key_store);
TACET_API tacet_status tacet_options_set_permissions(tacet_options_t *options,
                                                     const tacet_permissions *permissions);
TACET_API tacet_status tacet_options_set_clock(tacet_options_t *options, const tacet_clock *clock);
TACET_API tacet_status tacet_options_set_entropy(tacet_options_t *options,
                                                 const tacet_entropy *entropy);
TACET_API tacet_status tacet_options_set_logger(tacet_options_t *options,
                                                const tacet_logger *logger);

/* Opens the device in the options' data directory (creating it when missing and allowed): takes
 * the folder's lock, opens the database and every module, schedules the retention sweep. The
 * options are copied: the caller still owns and frees them. The caller owns *out_agent (free
 * with tacet_agent_free). Errors: TACET_ERR_INVALID_ARGUMENT for missing or bad options;
 * TACET_ERR_UNAVAILABLE when another process owns the folder; TACET_ERR_NOT_FOUND for a missing
 * device without create; TACET_ERR_FAILED_PRECONDITION for a key store that does not belong to the
 * database; TACET_ERR_DATA_LOSS for a damaged or rolled-back device. On error nothing is left
 * open. */
TACET_API tacet_status tacet_agent_open(const tacet_options_t *options, tacet_agent_t **out_agent);

/* Ends every open capture session (each one's on_ended hears TACET_END_AGENT_CLOSED, on this
 * thread), removes every consent listener (calling its free_user_data), closes the database and
 * releases the folder's lock. The handle stays valid: every later call with it fails with
 * TACET_ERR_FAILED_PRECONDITION ("the agent is closed") until tacet_agent_free. Idempotent; NULL
 * is OK. Session handles stay valid too and must still be freed. */
TACET_API tacet_status tacet_agent_close(tacet_agent_t *agent);
/* tacet_agent_close, then releases the handle. NULL is ignored. Not from inside a callback
 * (refused: the handle is left alone and the thread's last error says why). */
TACET_API void tacet_agent_free(tacet_agent_t *agent);

/* ============================================================================================
 * Policy
 * ========================================================================================== */

/* The active policy's id (caller owns *out_id: tacet_free), version and SHA-256 of its bytes. */
TACET_API tacet_status tacet_policy_id(tacet_agent_t *agent, char **out_id);
TACET_API tacet_status tacet_policy_version(tacet_agent_t *agent, uint64_t *out_version);
TACET_API tacet_status tacet_policy_hash(tacet_agent_t *agent, uint8_t out_hash[32]);

/* What a signed policy update changed. One block: free with tacet_free. */
typedef struct tacet_policy_update_result {
  uint64_t old_version;
  uint64_t new_version;
  /* Purposes whose consent must now be asked (new ones, and the ones the update widened). */
  tacet_string_list purposes_to_ask;
  /* Non-zero: the controller changed; disclosures stop until
   * tacet_policy_acknowledge_controller_notice. */
  int controller_notice_required;
} tacet_policy_update_result;

/* Verifies `signature_der` (ECDSA P-256 over SHA-256, DER) over `policy` with the key set by
 * tacet_options_set_policy_update_key, then applies the policy to consent, vault and gates at
 * once. *out_result (optional: may be NULL) is owned by the caller. Errors:
 * TACET_ERR_FAILED_PRECONDITION without a key; TACET_ERR_PERMISSION_DENIED for a bad signature;
 * TACET_ERR_INVALID_ARGUMENT for a malformed policy; TACET_ERR_OUT_OF_RANGE for a version not
 * newer than the current one. On any error nothing changed. */
TACET_API tacet_status tacet_policy_apply_update(tacet_agent_t *agent, const uint8_t *policy,
                                                 size_t policy_len, const uint8_t *signature_der,
                                                 size_t signature_len,
                                                 tacet_policy_update_result **out_result);
/* *out_pending non-zero while a controller-change notice awaits the user's acknowledgement. */
TACET_API tacet_status tacet_policy_controller_notice_pending(tacet_agent_t *agent,
                                                              int *out_pending);
TACET_API tacet_status tacet_policy_acknowledge_controller_notice(tacet_agent_t *agent);

/* ============================================================================================
 * Consent
 * ========================================================================================== */

/* The current state of one purpose, channel or category (`id`), or, for TACET_SUBJECT_LOCATION
 * (`id` ignored, may be NULL): UNKNOWN until the user chose, GRANTED when they allow some
 * precision, DENIED when they turned location off.
 * TACET_ERR_NOT_FOUND when the policy has no such subject. Lock-free. Callback-safe. */
TACET_API tacet_status tacet_consent_get(tacet_agent_t *agent, tacet_subject_kind kind,
                                         const char *id, tacet_consent_state *out_state);
/* The location precision the user allows (TACET_PRECISION_NONE until they chose). Lock-free.
 * Callback-safe. */
TACET_API tacet_status tacet_consent_location_precision(tacet_agent_t *agent,
                                                        tacet_location_precision *out_precision);

/* One purpose, channel or category of the policy with its current decision. */
typedef struct tacet_consent_item {
  const char *id;
  const char *display_name;
  const char *description;
  tacet_consent_state state;
  tacet_decision_source source; /* where the current state came from */
  /* Purposes: the user may refuse or object. Categories: the user may decline to provide it.
   * Channels: always 1. When 0, the state is fixed by the policy and need not be asked. */
  int askable;
  /* Purposes only: "consent", "contract", "legitimate_interest" or "legal_obligation"; else "". */
  const char *legal_basis;
} tacet_consent_item;

typedef struct tacet_consent_list {
  size_t count;
  const tacet_consent_item *items;
} tacet_consent_list;

/* Every purpose, channel or category (all categories, optional or not) of the active policy, in
 * policy order, with its current state. A purpose to ask about is one with askable != 0 and state
 * TACET_CONSENT_UNKNOWN. The caller owns *out_list (tacet_free). Not for TACET_SUBJECT_LOCATION. */
TACET_API tacet_status tacet_consent_items(tacet_agent_t *agent, tacet_subject_kind kind,
                                           tacet_consent_list **out_list);

/* Record a decision; each call is one durable, hash-chained history entry. Consent listeners and
 * the capture gates hear of it before the call returns, on this thread (a revocation ends the
 * sessions it no longer allows: their on_ended runs here). Errors: TACET_ERR_NOT_FOUND for an id
 * the policy lacks; TACET_ERR_FAILED_PRECONDITION for refusing a non-refusable purpose or
 * declining a non-optional category. */
TACET_API tacet_status tacet_consent_set_purpose(tacet_agent_t *agent, const char *purpose_id,
                                                 tacet_consent_state state,
                                                 tacet_decision_source source);
TACET_API tacet_status tacet_consent_set_channel(tacet_agent_t *agent, const char *channel_id,
                                                 tacet_consent_state state,
                                                 tacet_decision_source source);
TACET_API tacet_status tacet_consent_set_category_provided(tacet_agent_t *agent,
                                                           const char *category_id, int provided,
                                                           tacet_decision_source source);
TACET_API tacet_status tacet_consent_set_location_precision(tacet_agent_t *agent,
                                                            tacet_location_precision precision,
                                                            tacet_decision_source source);

/* One entry of the consent history. Valid only during the callback that receives it. */
typedef struct tacet_consent_entry {
  int64_t seq;          /* 1, 2, 3, ... */
  const char *subject;  /* "purpose:<id>", "channel:<id>", "category:<id>" or "location" */
  tacet_consent_state state;
  tacet_location_precision precision; /* NONE except for "location" */
  int64_t time_unix_ms;
  const char *policy_id;
  uint64_t policy_version;
  uint8_t policy_hash[32];
  tacet_decision_source source;
  uint8_t entry_hash[32];
} tacet_consent_entry;

/* Return 0 to go on, non-zero to stop (the iteration then returns TACET_OK). */
typedef int (*tacet_consent_entry_fn)(const tacet_consent_entry *entry, void *user_data);

/* Calls `fn` with every history entry in seq order, or only `subject`'s ("purpose:<id>", ...)
 * when it is not NULL, on this thread, before returning. */
TACET_API tacet_status tacet_consent_history(tacet_agent_t *agent, const char *subject,
                                             tacet_consent_entry_fn fn, void *user_data);
/* The receipt of history entry `seq` as a JSON object (docs/consent.md), after checking the
 * entry's hash. Caller owns *out_json (tacet_free). TACET_ERR_NOT_FOUND for no such entry;
 * TACET_ERR_DATA_LOSS when the entry does not match its hash. */
TACET_API tacet_status tacet_consent_receipt(tacet_agent_t *agent, int64_t seq, char **out_json);
/* Recomputes the whole hash chain and checks the keyed head. TACET_ERR_DATA_LOSS naming the
 * first bad entry. */
TACET_API tacet_status tacet_consent_verify(tacet_agent_t *agent);

/* Told after every committed consent change, on the thread that made it (the one inside
 * tacet_consent_set_* or tacet_policy_apply_update), serialised. `generation` grows with each
 * change. Inside, the callback-safe functions may read the new state. */
typedef void (*tacet_consent_listener_fn)(uint64_t generation, void *user_data);

/* Registers a listener. *out_listener_id identifies it for removal. `free_user_data` (optional)
 * is called with `user_data` once the listener is removed or the agent closed. */
TACET_API tacet_status tacet_consent_add_listener(tacet_agent_t *agent,
                                                  tacet_consent_listener_fn fn, void *user_data,
                                                  void (*free_user_data)(void *user_data),
                                                  uint64_t *out_listener_id);
/* Once this returns, the listener is not called again. TACET_ERR_NOT_FOUND for an unknown id. */
TACET_API tacet_status tacet_consent_remove_listener(tacet_agent_t *agent, uint64_t listener_id);

/* ============================================================================================
 * Feature availability
 * ========================================================================================== */

typedef struct tacet_feature {
  const char *feature;
  tacet_feature_availability availability;
  /* One sentence for logs and settings screens, e.g. "needs category 'voice' (declined)". */
  const char *reason;
  /* Optional categories it needs that are not provided. */
  tacet_string_list missing_categories;
  /* The purpose of the same name when it exists and is not allowed; else "". */
  const char *purpose_not_allowed;
} tacet_feature;

typedef struct tacet_feature_list {
  size_t count;
  const tacet_feature *items;
} tacet_feature_list;

/* Every feature the policy names, with whether the user's choices leave it available. Caller
 * owns *out_list (tacet_free). */
TACET_API tacet_status tacet_features(tacet_agent_t *agent, tacet_feature_list **out_list);

/* ============================================================================================
 * OS permissions (firmware without a tacet_permissions table)
 * ========================================================================================== */

/* Sets the OS permission state the gates see, when no tacet_permissions table was registered
 * (then TACET_ERR_FAILED_PRECONDITION). `precision` must be APPROXIMATE or PRECISE for a granted
 * location and NONE otherwise. Until set, every permission is NOT_DETERMINED. A loss ends the
 * capture sessions it no longer allows (their on_ended runs on this thread). */
TACET_API tacet_status tacet_agent_set_os_permission(tacet_agent_t *agent,
                                                     tacet_os_permission permission,
                                                     tacet_permission_state state,
                                                     tacet_location_precision precision);
/* With a tacet_permissions table: the table's answer for `permission` changed. Re-checks every
 * open session at once (on this thread). Without a table: TACET_ERR_FAILED_PRECONDITION. */
TACET_API tacet_status tacet_agent_os_permission_changed(tacet_agent_t *agent,
                                                         tacet_os_permission permission);

/* ============================================================================================
 * Voice gate
 * ========================================================================================== */

typedef struct tacet_voice_session tacet_voice_session_t;

/* What a voice session delivers to. */
typedef struct tacet_voice_callbacks {
  uint32_t struct_size; /* sizeof(tacet_voice_callbacks) */
  /* One frame of signed 16-bit PCM (interleaved when stereo), `count` samples, valid only during
   * the call. Runs on the thread calling tacet_voice_push_frame. Required. */
  void (*on_frame)(const int16_t *samples, size_t count, int64_t capture_monotonic_ns,
                   void *user_data);
  /* The session was ended by the agent (revocation, permission loss, mute, device error, agent
   * closed); no frame follows. Runs on the thread that caused it (inside tacet_consent_set_*,
   * tacet_policy_apply_update, tacet_agent_set_os_permission, tacet_voice_set_hardware_muted or
   * tacet_agent_close), or, when a frame is being delivered to this session at that moment, on
   * the thread pushing it, right after that frame. Never called for
   * TACET_END_COMPLETED_BY_CALLER. Optional. */
  void (*on_ended)(tacet_end_reason reason, void *user_data);
  void *user_data;
  /* Optional: called once with user_data when the session is freed. */
  void (*free_user_data)(void *user_data);
} tacet_voice_callbacks;

/* Asks to capture the microphone for `purpose_id`. Checks, in order: the policy lets the purpose
 * use voice data, the user provides voice data, the user's consent for the purpose (and the
 * purposes it requires), the OS microphone permission, the hardware mute switch, a free session
 * slot (4 at most, counting sessions not yet freed). Every grant and denial is written to the
 * capture access log. On a grant: TACET_OK, *out_session owned by the caller (free with
 * tacet_voice_session_free), and *out_denial (optional) set to TACET_DENIAL_NONE. On a denial:
 * TACET_ERR_PERMISSION_DENIED, *out_session set to NULL and *out_denial to the reason. The
 * callbacks struct is copied. */
TACET_API tacet_status tacet_voice_session_open(tacet_agent_t *agent, const char *purpose_id,
                                                const tacet_voice_callbacks *callbacks,
                                                tacet_voice_session_t **out_session,
                                                tacet_denial_reason *out_denial);
/* What tacet_voice_session_open would answer now about policy, consent, permission and mute,
 * without capturing or logging. Lock-free. Callback-safe. */
TACET_API tacet_status tacet_voice_check(tacet_agent_t *agent, const char *purpose_id,
                                         tacet_denial_reason *out_denial);
/* Ends delivery. Once it returns no frame callback starts (called from this session's own
 * callback, the current call is the last). Idempotent. Callback-safe. */
TACET_API tacet_status tacet_voice_session_end(tacet_voice_session_t *session);
/* TACET_END_NONE while open, else why it ended; and the frames delivered so far. Either output
 * may be NULL. Callback-safe. */
TACET_API tacet_status tacet_voice_session_state(const tacet_voice_session_t *session,
                                                 tacet_end_reason *out_reason,
                                                 uint64_t *out_frames_delivered);
/* Ends the session (if open), frees its slot and the handle, then calls free_user_data. NULL is
 * ignored. Not from inside a callback (refused; see tacet_agent_free). */
TACET_API void tacet_voice_session_free(tacet_voice_session_t *session);

/* The firmware owns the microphone: it pushes every frame it captures (`count` must equal the
 * samples per frame of the configured format, all channels counted), and the gate passes it on
 * to each open session that is still allowed, re-checking consent, permission and mute per frame.
 * Frames pushed while no session is open are dropped. Call from the audio thread; does not
 * allocate. */
TACET_API tacet_status tacet_voice_push_frame(tacet_agent_t *agent, const int16_t *samples,
                                              size_t count, int64_t capture_monotonic_ns);
/* The hardware mute switch moved. Muting ends every voice session (on_ended with
 * TACET_END_HARDWARE_MUTED, on this thread). */
TACET_API tacet_status tacet_voice_set_hardware_muted(tacet_agent_t *agent, int muted);
/* The firmware's microphone driver failed (an I2S or DMA error, the codec stopped answering):
 * ends every open voice session, each one's on_ended hearing TACET_END_DEVICE_ERROR on this
 * thread, and records each in the capture access log as ended by a device error. Frames pushed
 * afterwards reach no session until a new one is opened (which may be at once, once the driver
 * works again). TACET_OK also when no session is open (then nothing is recorded). */
TACET_API tacet_status tacet_voice_report_device_error(tacet_agent_t *agent);

/* ============================================================================================
 * Location gate
 * ========================================================================================== */

typedef struct tacet_location_session tacet_location_session_t;

typedef struct tacet_location_fix {
  double latitude_deg;  /* WGS 84, -90 .. 90 */
  double longitude_deg; /* WGS 84, -180 .. 180 */
  double accuracy_m;    /* >= 0 */
  int64_t unix_ms;      /* when the fix was taken */
} tacet_location_fix;

typedef struct tacet_location_callbacks {
  uint32_t struct_size; /* sizeof(tacet_location_callbacks) */
  /* A fix, already coarsened to `precision` (the least of the user's choice, the OS permission
   * and the request). Valid during the call. Runs on the thread calling
   * tacet_location_push_fix. Required. */
  void (*on_fix)(const tacet_location_fix *fix, tacet_location_precision precision,
                 void *user_data);
  /* As for tacet_voice_callbacks. Optional. */
  void (*on_ended)(tacet_end_reason reason, void *user_data);
  void *user_data;
  void (*free_user_data)(void *user_data);
} tacet_location_callbacks;

/* As tacet_voice_session_open, for location fixes at no more than `requested` (APPROXIMATE or
 * PRECISE). */
TACET_API tacet_status tacet_location_session_open(tacet_agent_t *agent, const char *purpose_id,
                                                   tacet_location_precision requested,
                                                   const tacet_location_callbacks *callbacks,
                                                   tacet_location_session_t **out_session,
                                                   tacet_denial_reason *out_denial);
/* What open would answer now; *out_effective (optional) the precision fixes would have.
 * Callback-safe. */
TACET_API tacet_status tacet_location_check(tacet_agent_t *agent, const char *purpose_id,
                                            tacet_location_precision requested,
                                            tacet_denial_reason *out_denial,
                                            tacet_location_precision *out_effective);
TACET_API tacet_status tacet_location_session_end(tacet_location_session_t *session);
TACET_API tacet_status tacet_location_session_state(const tacet_location_session_t *session,
                                                    tacet_end_reason *out_reason,
                                                    uint64_t *out_fixes_delivered);
TACET_API void tacet_location_session_free(tacet_location_session_t *session);
/* The firmware's GNSS driver (or a location set at setup) pushes a fix; it reaches each open,
 * allowed session at its allowed precision. TACET_ERR_INVALID_ARGUMENT for coordinates out of
 * range, NaN or negative accuracy. */
TACET_API tacet_status tacet_location_push_fix(tacet_agent_t *agent,
                                               const tacet_location_fix *fix);

/* ============================================================================================
 * Vault: the user's personal data, encrypted at rest, every change kept
 * ========================================================================================== */

/* One value. One block (or part of a list block): free the block with tacet_free. */
typedef struct tacet_vault_record {
  int64_t id;
  const char *category;
  const char *field;
  int64_t version; /* 1 when written, +1 per correction */
  const char *value; /* `value_len` bytes, followed by a NUL (binary fields may hold NULs) */
  size_t value_len;
  int64_t created_unix_ms;
  int64_t written_unix_ms;
  tacet_change_source source;
} tacet_vault_record;

typedef struct tacet_vault_record_list {
  size_t count;
  const tacet_vault_record *items;
} tacet_vault_record_list;

/* One version of a record; replaced_unix_ms is 0 for the current one. */
typedef struct tacet_vault_version {
  int64_t record_id;
  int64_t version;
  const char *value;
  size_t value_len;
  int64_t written_unix_ms;
  int64_t replaced_unix_ms;
  tacet_change_source source;
} tacet_vault_version;

typedef struct tacet_vault_version_list {
  size_t count;
  const tacet_vault_version *items;
} tacet_vault_version_list;

typedef struct tacet_erasure_result {
  int64_t records;
  int64_t history_entries;
} tacet_erasure_result;

/* Stores `value` (`value_len` bytes; NULL only when 0) in `category`.`field`. A single-valued
 * field (a name, an e-mail address) is corrected when it has a value (the old one kept in its
 * history); a log-like field gets a new entry. *out_record_id (optional) gets the record id.
 * Errors: TACET_ERR_NOT_FOUND for a category or field the policy lacks;
 * TACET_ERR_INVALID_ARGUMENT for a value the field refuses; TACET_ERR_PERMISSION_DENIED when
 * the user's consent does not allow storing it (the message says why). Nothing is written on
 * error. */
TACET_API tacet_status tacet_vault_set(tacet_agent_t *agent, const char *category,
                                       const char *field, const char *value, size_t value_len,
                                       tacet_change_source source, int64_t *out_record_id);
/* Always a new record; TACET_ERR_ALREADY_EXISTS for a single-valued field that has one. */
TACET_API tacet_status tacet_vault_add(tacet_agent_t *agent, const char *category,
                                       const char *field, const char *value, size_t value_len,
                                       tacet_change_source source, int64_t *out_record_id);
/* Replaces record `record_id`'s value, keeping the old one in its history. */
TACET_API tacet_status tacet_vault_correct(tacet_agent_t *agent, int64_t record_id,
                                           const char *value, size_t value_len,
                                           tacet_change_source source);
/* Record `record_id`, decrypted. Caller owns *out_record (tacet_free). TACET_ERR_NOT_FOUND;
 * TACET_ERR_DATA_LOSS when it does not authenticate. */
TACET_API tacet_status tacet_vault_get(tacet_agent_t *agent, int64_t record_id,
                                       tacet_vault_record **out_record);
/* The current records of `category`.`field`, oldest first. Caller owns *out_list. */
TACET_API tacet_status tacet_vault_list(tacet_agent_t *agent, const char *category,
                                        const char *field, tacet_vault_record_list **out_list);
/* Every version of every record of `category`.`field`, by record then version (the last of each
 * record is its current value). Caller owns *out_list. */
TACET_API tacet_status tacet_vault_history(tacet_agent_t *agent, const char *category,
                                           const char *field,
                                           tacet_vault_version_list **out_list);
/* Erases `category` (records and past versions; its data key is destroyed). *out_result
 * optional. */
TACET_API tacet_status tacet_vault_erase(tacet_agent_t *agent, const char *category,
                                         tacet_erasure_result *out_result);
/* Erases every category and the capture access log. The consent history stays: it is the proof
 * of the user's choices. */
TACET_API tacet_status tacet_vault_erase_all(tacet_agent_t *agent,
                                             tacet_erasure_result *out_result);
/* Checks every stored value and version against the vault's integrity head and the audit log.
 * TACET_ERR_DATA_LOSS naming the first record that does not fit (never a value). */
TACET_API tacet_status tacet_vault_verify(tacet_agent_t *agent);

/* ============================================================================================
 * Recording: events that may leave the device (docs/sync.md)
 * ========================================================================================== */

/* One field of an event. The caller owns the strings; tacet_record copies what it keeps. */
typedef struct tacet_event_field {
  const char *key;   /* "<category>.<field>" of the policy, NUL-terminated */
  const char *value; /* `value_len` bytes, any content; NULL only when value_len is 0 */
  size_t value_len;
} tacet_event_field;

/* tacet_record flags. */
#define TACET_RECORD_HOLD_IF_UNDECIDED 1u /* hold an event whose only obstacle is an unasked question */

/* At most this many fields per event, each value at most TACET_MAX_EVENT_VALUE bytes. */
#define TACET_MAX_EVENT_FIELDS 64
#define TACET_MAX_EVENT_VALUE 16384

/* Records an event for `purpose` with `field_count` fields (1..TACET_MAX_EVENT_FIELDS), which
 * happened at `occurred_unix_ms`. Nothing is stored unless the user's consent lets the purpose
 * collect every category the fields belong to: then the event is queued, sealed at rest, to leave
 * the device only in the form each recipient may get. With TACET_RECORD_HOLD_IF_UNDECIDED, an
 * event whose only obstacle is a question the user has not answered yet is stored held instead:
 * a grant releases it, a refusal deletes it.
 * Out: *out_event_id (optional) the event's id; *out_held (optional) 1 when held, else 0.
 * Errors (nothing stored, the refusal counted): TACET_ERR_PERMISSION_DENIED naming the purpose,
 * the category and the reason; TACET_ERR_NOT_FOUND for a purpose or field the policy lacks;
 * TACET_ERR_INVALID_ARGUMENT for NULLs, a bad key, too many fields, an oversized value or unknown
 * flags; TACET_ERR_FAILED_PRECONDITION for a closed or read-only agent.
 * Ownership: nothing is retained from the arguments. Threads: any thread; not from a callback. */
TACET_API tacet_status tacet_record(tacet_agent_t *agent, const char *purpose,
                                    const tacet_event_field *fields, size_t field_count,
                                    int64_t occurred_unix_ms, uint32_t flags,
                                    int64_t *out_event_id, int *out_held);

/* One event for tacet_record_batch: what tacet_record takes for one event. */
typedef struct tacet_event {
  const char *purpose;             /* NUL-terminated purpose id */
  const tacet_event_field *fields; /* field_count fields (1..TACET_MAX_EVENT_FIELDS) */
  size_t field_count;
  int64_t occurred_unix_ms;
} tacet_event;

/* What tacet_record_batch did with one event. */
typedef struct tacet_record_outcome {
  tacet_status status; /* TACET_OK: stored; otherwise what tacet_record would have returned */
  int64_t event_id;    /* the event's id when stored, else 0 */
  int held;            /* 1 when stored held, else 0 */
} tacet_record_outcome;

/* At most this many events per tacet_record_batch call. */
#define TACET_MAX_RECORD_BATCH 10000

/* Records `count` events (1..TACET_MAX_RECORD_BATCH) with ONE commit: each event gets
 * tacet_record's decision, and its own outcome in out_outcomes[i] (caller-allocated, `count`
 * entries). A refused or malformed event (its status in its outcome, the refusal counted by
 * reason) stores nothing of it while the others are stored; all the events stored are stored in
 * one transaction, so once this returns TACET_OK they all survive a crash of the process.
 * Returns TACET_OK when the call ran (look at each outcome). Errors, nothing of the batch stored
 * (refusals already decided stay counted): a storage error (e.g. TACET_ERR_IO); and, before any
 * decision, TACET_ERR_INVALID_ARGUMENT for a NULL events or out_outcomes, a count out of range or
 * unknown flags; TACET_ERR_FAILED_PRECONDITION for a closed or read-only agent. On an error the
 * outcomes are unspecified. Per-event messages are not kept (tacet_last_error_message describes
 * the call); record the event alone with tacet_record for its message.
 * Ownership: nothing is retained from the arguments. Threads: any thread; not from a callback. */
TACET_API tacet_status tacet_record_batch(tacet_agent_t *agent, const tacet_event *events,
                                          size_t count, uint32_t flags,
                                          tacet_record_outcome *out_outcomes);

/* Marks a declaration kept only for binaries built against an older tacet.h. */
#if defined(__GNUC__) || defined(__clang__)
#  define TACET_DEPRECATED(message) __attribute__((deprecated(message)))
#else
#  define TACET_DEPRECATED(message)
#endif

/* The outbox as it is and its running totals since the device database was created: the first
 * version, with no struct_size, so it cannot grow. It shipped in this form (exported by the
 * TACET_0 version node, called by firmware built against it), so it stays, unchanged, for those
 * binaries; new code uses tacet_record_counts2, which carries struct_size and the later counts. */
typedef struct tacet_record_counts {
  int64_t queued;            /* waiting to leave */
  int64_t held;              /* waiting for the user's answer */
  int64_t refused;           /* never stored: consent did not allow them */
  int64_t evicted;           /* dropped at the outbox's size cap */
  int64_t purged_by_consent; /* deleted by a revocation, refusal or policy change */
  int64_t released;          /* held events a grant released */
  int64_t erased;            /* deleted by an erasure */
} tacet_record_counts;

/* Deprecated: use tacet_record_counts2_get. Fills *out_counts.
 * Threads: any thread; not from a callback. */
TACET_API TACET_DEPRECATED("use tacet_record_counts2_get") tacet_status
tacet_record_counts_get(tacet_agent_t *agent, tacet_record_counts *out_counts);

/* The outbox as it is and its running totals since the device database was created. Versioned:
 * the caller sets struct_size to sizeof(tacet_record_counts2) of the header it was built with.
 * Later versions only append fields. */
typedef struct tacet_record_counts2 {
  uint32_t struct_size;      /* caller sets sizeof(tacet_record_counts2); see below */
  int64_t queued;            /* waiting to leave */
  int64_t held;              /* waiting for the user's answer */
  int64_t refused;           /* never stored: consent did not allow them (every reason) */
  int64_t evicted;           /* dropped at the outbox's size cap */
  int64_t purged_by_consent; /* deleted by a revocation, refusal or policy change */
  int64_t released;          /* held events a grant released */
  int64_t erased;            /* deleted by an erasure */
  int64_t expired;           /* held or queued events deleted past their categories' retention */
  int64_t quarantined;       /* stored events whose seal did not open: kept, never sent */
} tacet_record_counts2;

/* The size of the first version of tacet_record_counts2, up to its last field `quarantined` (the
 * smallest struct_size accepted). It stays this value when fields are appended. */
#define TACET_RECORD_COUNTS2_V1_SIZE \
  (offsetof(tacet_record_counts2, quarantined) + sizeof(int64_t))

/* Fills *out_counts. Its struct_size must be at least TACET_RECORD_COUNTS2_V1_SIZE, else
 * TACET_ERR_INVALID_ARGUMENT naming out_counts->struct_size (nothing written). A field that does
 * not fit in the caller's struct_size is not written (a caller built against an older header
 * gets the fields it knows); bytes beyond the fields this library knows are not written either.
 * On TACET_OK, struct_size is set to the number of bytes written: the smaller of the caller's
 * struct_size and this library's sizeof(tacet_record_counts2), so a caller built against a newer
 * header can tell which fields an older library filled.
 * Threads: any thread; not from a callback. */
TACET_API tacet_status tacet_record_counts2_get(tacet_agent_t *agent,
                                                tacet_record_counts2 *out_counts);

/* How many events were refused for one reason. */
typedef struct tacet_record_refusal {
  const char *reason; /* NUL-terminated: the recorder's reason names, docs/sync.md "Recorder" */
  int64_t count;      /* refusals for this reason since the device database was created */
} tacet_record_refusal;

typedef struct tacet_record_refusal_list {
  size_t count;
  const tacet_record_refusal *items; /* sorted by reason; NULL when count is 0 */
} tacet_record_refusal_list;

/* The refusals counted by reason (the per-reason part of tacet_record_counts2.refused), read in
 * one go. Reasons are names such as "purpose_refused", "category_not_asked", "unknown_field",
 * "raw_audio" or "location_precision_not_granted"; a reason with no refusal is not listed. Events
 * refused by an older library that did not count reasons yet are in `refused` only, so the items
 * may add up to less than `refused`.
 * Ownership: *out_list is one block (items and reason strings inside it) owned by the caller,
 * released with tacet_free. Threads: any thread; not from a callback. */
TACET_API tacet_status tacet_record_refusals_get(tacet_agent_t *agent,
                                                 tacet_record_refusal_list **out_list);

/* ============================================================================================
 * Sync: uploads over Oblivious HTTP (RFC 9458) to the gateway (docs/sync.md)
 * ========================================================================================== */

typedef struct tacet_sync_config {
  uint32_t struct_size;          /* sizeof(tacet_sync_config) */
  const char *url;               /* "https://host:port/path" of the OHTTP relay (or the gateway's /gateway) */
  const uint8_t *spki_sha256;    /* 32 bytes: pinned SHA-256 of the server's SubjectPublicKeyInfo; may be NULL if ca_pem set */
  const char *ca_pem;            /* NULL, or trust anchors (PEM, NUL-terminated): chain and host name checked */
  const uint8_t *key_config;     /* the gateway's key configuration (RFC 9458 section 3.1), pinned */
  size_t key_config_len;
  const char *gateway_authority; /* NULL: "collector.tacet.invalid" */
  uint32_t max_events_per_batch; /* 0: 500 */
  int64_t interval_ms;           /* background uploads on the scheduler every interval; 0: only tacet_sync_now */
  int32_t timeout_ms;            /* per attempt (connect, handshake, read); 0: 10000 */
} tacet_sync_config;

/* Copies the config into the options. Checked here: struct_size, a non-empty key configuration,
 * a url, spki_sha256 or ca_pem, non-negative interval and timeout (TACET_ERR_INVALID_ARGUMENT
 * naming the field). Validated at tacet_agent_open (key configuration parsed, URL parsed).
 * Threads: not concurrently with another use of the same options. */
TACET_API tacet_status tacet_options_set_sync(tacet_options_t *options, const tacet_sync_config *config);

typedef struct tacet_sync_result {
  uint32_t struct_size;                  /* caller sets sizeof(tacet_sync_result) */
  int64_t batches_sent;                  /* attempts made in this round */
  int64_t batches_acknowledged;          /* acknowledged in this round */
  int64_t events_delivered;              /* events in batches acknowledged in this round */
  int64_t deletions_delivered;           /* deletion requests acknowledged in this round */
  int64_t batches_rejected;              /* rejected in this round (kept, never resent) */
  int64_t batches_pending;               /* still waiting after this round */
  int64_t peer_authentication_failures;  /* in this round */
  int64_t next_attempt_unix_ms;          /* 0: nothing waiting */
} tacet_sync_result;

/* One upload round now: builds batches for what is queued, then sends what is due (ignoring the
 * backoff wait, not a Retry-After) one batch at a time, the next after the previous answer. It
 * waits for each answer at most 3 x timeout_ms (one attempt may take a connect, a handshake and a
 * read timeout) and for the whole call at most 30 x timeout_ms; batches not attempted by then go
 * in a later round. Closing the agent ends the wait. TACET_ERR_FAILED_PRECONDITION when sync is not
 * configured or the agent is read-only/closed; transport failures are not errors (they are
 * counted). out_result may be NULL; when given, its struct_size must be set.
 * Threads: any thread; not from a callback. Blocks while it waits for the answers. */
TACET_API tacet_status tacet_sync_now(tacet_agent_t *agent, tacet_sync_result *out_result);

/* ============================================================================================
 * The user's rights: export and privacy report
 * ========================================================================================== */

/* Receives the document in pieces, in order, on the calling thread. Return TACET_OK to go on;
 * anything else stops the export, which then returns that status (and records nothing). */
typedef tacet_status (*tacet_write_fn)(const uint8_t *bytes, size_t len, void *user_data);

typedef struct tacet_export_summary {
  int64_t records;
  int64_t history_entries;
} tacet_export_summary;

typedef struct tacet_report_summary {
  int64_t records;
  int64_t categories_held;
} tacet_report_summary;

/* The export (JSON, docs/export.md): every value, past version, consent decision and capture,
 * streamed (one record in memory at a time). To a file: written to a new private file (mode
 * 0600) beside `path`, flushed to disk, then renamed over `path`, so `path` is either the old file
 * or the whole new export; on error nothing is left behind. *out_summary optional. */
TACET_API tacet_status tacet_export_to_file(tacet_agent_t *agent, const char *path,
                                            tacet_export_summary *out_summary);
TACET_API tacet_status tacet_export_to_writer(tacet_agent_t *agent, tacet_write_fn write,
                                              void *user_data, tacet_export_summary *out_summary);
/* The privacy report: a self-contained HTML page for the user (docs/report.md). As the export. */
TACET_API tacet_status tacet_report_to_file(tacet_agent_t *agent, const char *path,
                                            tacet_report_summary *out_summary);
TACET_API tacet_status tacet_report_to_writer(tacet_agent_t *agent, tacet_write_fn write,
                                              void *user_data, tacet_report_summary *out_summary);

/* ============================================================================================
 * Audit and upkeep
 * ========================================================================================== */

/* Checks the audit log's hash chain and its anchor. TACET_ERR_DATA_LOSS naming the first bad
 * entry. */
TACET_API tacet_status tacet_audit_verify(tacet_agent_t *agent);
TACET_API tacet_status tacet_audit_entry_count(tacet_agent_t *agent, int64_t *out_count);
/* Runs the retention sweep now (it also runs when the agent opens and periodically):
 * deletes every value older than its category's retention period. *out_result optional. */
TACET_API tacet_status tacet_vault_sweep(tacet_agent_t *agent, tacet_erasure_result *out_result);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TACET_TACET_H */
