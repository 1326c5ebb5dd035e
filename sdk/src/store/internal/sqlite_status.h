// The one place where SQLite result codes become tacet::Status. Private to store/.
#ifndef TACET_STORE_INTERNAL_SQLITE_STATUS_H_
#define TACET_STORE_INTERNAL_SQLITE_STATUS_H_

#include <string_view>

#include "base/status.h"

namespace tacet::store::internal {

// Maps an (extended) SQLite result code to a Status whose message names `path` and the reason and
// ends with SQLite's own text, e.g. "/data/tacet.db is corrupt (sqlite: database disk image is
// malformed)". `sqlite_message` is sqlite3_errmsg() (or sqlite3_errstr() when there is no
// connection); `system_errno` is sqlite3_system_errno(), or 0 when unknown, and only refines
// SQLITE_CANTOPEN. `action` ("open", "prepare", "step", ...) prefixes the message when not empty.
//
//   SQLITE_NOTADB                      kDataLoss           "<path> is not a database"
//   SQLITE_CORRUPT                     kDataLoss           "<path> is corrupt"
//   SQLITE_CANTOPEN  (ENOENT)          kNotFound           "cannot open <path>: <strerror>"
//   SQLITE_CANTOPEN  (EACCES/EPERM/EROFS) kPermissionDenied
//   SQLITE_CANTOPEN  (other)           kFailedPrecondition
//   SQLITE_PERM, SQLITE_AUTH           kPermissionDenied
//   SQLITE_READONLY                    kFailedPrecondition "<path> is read-only"
//   SQLITE_FULL                        kResourceExhausted  "disk full"
//   SQLITE_NOMEM                       kResourceExhausted  "out of memory"
//   SQLITE_BUSY, SQLITE_LOCKED         kUnavailable
//   SQLITE_TOOBIG                      kInvalidArgument
//   SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY kAlreadyExists
//   other SQLITE_CONSTRAINT            kFailedPrecondition
//   anything else                      kInternal
//
// Must not be called with SQLITE_OK, SQLITE_ROW or SQLITE_DONE (returns kInternal if it is).
// Pure function; thread-safe.
Status StatusFromSqlite(int rc, std::string_view path, std::string_view sqlite_message,
                        int system_errno = 0, std::string_view action = {});

}  // namespace tacet::store::internal

#endif  // TACET_STORE_INTERNAL_SQLITE_STATUS_H_
