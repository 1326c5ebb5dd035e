/*
 * Tacet: the status codes, the export macro and the version query of the public C API.
 *
 * Included by tacet/tacet.h (include that one) and by the C++ core's base/status.h, which uses
 * the same numbers, so the core does not depend on the rest of the C API's declarations.
 * C99-clean.
 */
#ifndef TACET_TACET_STATUS_H
#define TACET_TACET_STATUS_H

#include <stddef.h>
#include <stdint.h>

#if defined(TACET_STATIC)
#  define TACET_API
#elif defined(_WIN32)
#  if defined(TACET_BUILDING_LIBRARY)
#    define TACET_API __declspec(dllexport)
#  else
#    define TACET_API __declspec(dllimport)
#  endif
#else
#  define TACET_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Status codes. Stable: a code's number never changes and new codes are only appended.
 * The C++ core uses the same numbers (tacet::StatusCode).
 */
typedef enum tacet_status {
  TACET_OK = 0,
  TACET_ERR_INVALID_ARGUMENT = 1,   /* the caller passed something malformed or out of range */
  TACET_ERR_NOT_FOUND = 2,          /* the thing asked for does not exist */
  TACET_ERR_ALREADY_EXISTS = 3,     /* the thing to be created exists already */
  TACET_ERR_PERMISSION_DENIED = 4,  /* the user's choices or the policy forbid it */
  TACET_ERR_FAILED_PRECONDITION = 5,/* the system is not in a state where this can be done */
  TACET_ERR_OUT_OF_RANGE = 6,       /* e.g. a version older than the current one */
  TACET_ERR_RESOURCE_EXHAUSTED = 7, /* disk full, quota or size limit reached */
  TACET_ERR_UNAVAILABLE = 8,        /* transient: try again later */
  TACET_ERR_DATA_LOSS = 9,          /* stored or received data is corrupt or was tampered with */
  TACET_ERR_INTERNAL = 10,          /* a bug in Tacet or a dependency */
  TACET_ERR_UNIMPLEMENTED = 11      /* not supported by this build or platform */
} tacet_status;

/* A short, static, English name for a status code ("invalid argument"). Never NULL. */
TACET_API const char *tacet_status_name(tacet_status status);

/* The library's version as "MAJOR.MINOR.PATCH". Static storage; never NULL. */
TACET_API const char *tacet_version(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TACET_TACET_STATUS_H */
