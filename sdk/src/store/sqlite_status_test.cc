#include "store/internal/sqlite_status.h"

#include <sqlite3.h>

#include <cerrno>

#include "testing/status_matchers.h"

namespace tacet::store::internal {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

Status Map(int rc, int sys_errno = 0) {
  return StatusFromSqlite(rc, "/data/tacet.db", "sqlite says why", sys_errno, "step");
}

TEST(SqliteStatusTest, EveryMessageNamesActionPathAndSqliteText) {
  EXPECT_THAT(Map(SQLITE_IOERR_WRITE),
              StatusIs(StatusCode::kInternal,
                       AllOf(HasSubstr("step: "), HasSubstr("/data/tacet.db"),
                             HasSubstr("(sqlite: sqlite says why)"))));
}

TEST(SqliteStatusTest, NotADatabaseAndCorruptAreDataLoss) {
  EXPECT_THAT(Map(SQLITE_NOTADB),
              StatusIs(StatusCode::kDataLoss, HasSubstr("/data/tacet.db is not a database")));
  EXPECT_THAT(Map(SQLITE_CORRUPT),
              StatusIs(StatusCode::kDataLoss, HasSubstr("/data/tacet.db is corrupt")));
  EXPECT_THAT(Map(SQLITE_CORRUPT_INDEX), StatusIs(StatusCode::kDataLoss, HasSubstr("corrupt")));
}

TEST(SqliteStatusTest, CantOpenIsRefinedBySystemErrno) {
  EXPECT_THAT(Map(SQLITE_CANTOPEN, ENOENT),
              StatusIs(StatusCode::kNotFound, HasSubstr("cannot open /data/tacet.db")));
  EXPECT_THAT(Map(SQLITE_CANTOPEN, EACCES), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(Map(SQLITE_CANTOPEN, EROFS),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("Read-only file system")));
  EXPECT_THAT(Map(SQLITE_CANTOPEN_ISDIR, EISDIR), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(Map(SQLITE_CANTOPEN), StatusIs(StatusCode::kFailedPrecondition));
}

TEST(SqliteStatusTest, AccessAndReadOnly) {
  EXPECT_THAT(Map(SQLITE_PERM), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(Map(SQLITE_AUTH), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(Map(SQLITE_READONLY),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("/data/tacet.db is read-only")));
  EXPECT_THAT(Map(SQLITE_READONLY_DIRECTORY), StatusIs(StatusCode::kFailedPrecondition));
}

TEST(SqliteStatusTest, ResourcesAndLocks) {
  EXPECT_THAT(Map(SQLITE_FULL), StatusIs(StatusCode::kResourceExhausted, HasSubstr("disk full")));
  EXPECT_THAT(Map(SQLITE_NOMEM), StatusIs(StatusCode::kResourceExhausted));
  EXPECT_THAT(Map(SQLITE_BUSY), StatusIs(StatusCode::kUnavailable));
  EXPECT_THAT(Map(SQLITE_BUSY_SNAPSHOT), StatusIs(StatusCode::kUnavailable));
  EXPECT_THAT(Map(SQLITE_LOCKED), StatusIs(StatusCode::kUnavailable));
  EXPECT_THAT(Map(SQLITE_TOOBIG), StatusIs(StatusCode::kInvalidArgument));
}

TEST(SqliteStatusTest, Constraints) {
  EXPECT_THAT(Map(SQLITE_CONSTRAINT_UNIQUE), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(Map(SQLITE_CONSTRAINT_PRIMARYKEY), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(Map(SQLITE_CONSTRAINT_FOREIGNKEY), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(Map(SQLITE_CONSTRAINT_NOTNULL), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(Map(SQLITE_CONSTRAINT_CHECK), StatusIs(StatusCode::kFailedPrecondition));
}

TEST(SqliteStatusTest, OthersAreInternalAndNonErrorsAreNotOk) {
  EXPECT_THAT(Map(SQLITE_ERROR), StatusIs(StatusCode::kInternal));
  EXPECT_THAT(Map(SQLITE_MISUSE), StatusIs(StatusCode::kInternal));
  EXPECT_THAT(Map(SQLITE_RANGE), StatusIs(StatusCode::kInternal));
  EXPECT_THAT(Map(SQLITE_OK), StatusIs(StatusCode::kInternal));
  EXPECT_THAT(Map(SQLITE_DONE), StatusIs(StatusCode::kInternal));
}

}  // namespace
}  // namespace tacet::store::internal
