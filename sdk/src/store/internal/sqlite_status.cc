#include "store/internal/sqlite_status.h"

#include <sqlite3.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace tacet::store::internal {

Status StatusFromSqlite(int rc, std::string_view path, std::string_view sqlite_message,
                        int system_errno, std::string_view action) {
  const std::string p(path);
  const std::string suffix = " (sqlite: " + std::string(sqlite_message) + ")";
  StatusCode code = StatusCode::kInternal;
  std::string what;
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
      code = StatusCode::kDataLoss;
      what = p + " is not a database";
      break;
    case SQLITE_CORRUPT:
      code = StatusCode::kDataLoss;
      what = p + " is corrupt";
      break;
    case SQLITE_CANTOPEN:
      if (system_errno == ENOENT) {
        code = StatusCode::kNotFound;
      } else if (system_errno == EACCES || system_errno == EPERM || system_errno == EROFS) {
        code = StatusCode::kPermissionDenied;
      } else {
        code = StatusCode::kFailedPrecondition;
      }
      what = "cannot open " + p;
      if (system_errno != 0) what += std::string(": ") + std::strerror(system_errno);
      break;
    case SQLITE_PERM:
    case SQLITE_AUTH:
      code = StatusCode::kPermissionDenied;
      what = "access to " + p + " denied";
      break;
    case SQLITE_READONLY:
      code = StatusCode::kFailedPrecondition;
      what = p + " is read-only";
      break;
    case SQLITE_FULL:
      code = StatusCode::kResourceExhausted;
      what = "disk full (or database size limit reached) writing " + p;
      break;
    case SQLITE_NOMEM:
      code = StatusCode::kResourceExhausted;
      what = "out of memory working on " + p;
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = StatusCode::kUnavailable;
      what = p + " is locked by another connection";
      break;
    case SQLITE_TOOBIG:
      code = StatusCode::kInvalidArgument;
      what = "value too large for " + p;
      break;
    case SQLITE_CONSTRAINT:
      code = (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
                 ? StatusCode::kAlreadyExists
                 : StatusCode::kFailedPrecondition;
      what = "constraint violated in " + p;
      break;
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      what = "result code " + std::to_string(rc) + " is not an error, on " + p;
      break;
    default:
      what = "sqlite error " + std::to_string(rc) + " (" + sqlite3_errstr(rc) + ") on " + p;
      break;
  }
  std::string message = action.empty() ? std::string() : std::string(action) + ": ";
  message += what;
  message += suffix;
  return Status(code, std::move(message));
}

}  // namespace tacet::store::internal
