#include "store/database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <utility>

#include "store/internal/sqlite_status.h"

namespace tacet::store {
namespace {

std::string Hex32(int64_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08llx", static_cast<unsigned long long>(v & 0xffffffff));
  return buf;
}

// SQLite reports the errno of its last attempt to open a file, which after its fallback from
// read-write to read-only is often a misleading ENOENT. Finds the real reason for SQLITE_CANTOPEN.
int DiagnoseCantOpen(const std::string& path, bool may_create, int sqlite_errno) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (!may_create) return ENOENT;
    // SQLite failed to create the file. Repeat the attempt to learn why (EACCES, EROFS, ENOENT
    // for a missing directory, ...); O_EXCL guarantees that a file it does create is ours to
    // remove again.
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return errno;
    ::close(fd);
    ::unlink(path.c_str());
    return sqlite_errno;
  }
  // An existing WAL database also needs its -shm and -wal files, created in its directory.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  if (access(dir.c_str(), W_OK) != 0) return errno;
  return sqlite_errno;
}

// Refuses a path that exists but is not a regular file (a device such as /dev/null, a directory,
// a FIFO, a socket) before SQLite opens it: SQLite would create "-journal" or "-wal" files beside
// it, and reading or writing a device is never what was meant. A symbolic link is followed, as
// SQLite follows it. A path that does not exist, or that cannot be examined, is left to SQLite,
// which reports it precisely.
}  // namespace

Status CheckDatabasePath(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return OkStatus();
  if (S_ISREG(st.st_mode)) return OkStatus();
  const char* what = S_ISDIR(st.st_mode)   ? "a directory"
                     : S_ISCHR(st.st_mode) ? "a character device"
                     : S_ISBLK(st.st_mode) ? "a block device"
                     : S_ISFIFO(st.st_mode) ? "a FIFO"
                     : S_ISSOCK(st.st_mode) ? "a socket"
                                            : "not a regular file";
  return InvalidArgumentError("database path '" + path + "' is " + what +
                              ", not a regular file; refusing to open it");
}

namespace {

// A WAL database in a folder nobody can write (a read-only mount, a folder of another user) whose
// "-shm" file is gone (SQLite removes it at the last clean close) cannot be opened even read-only:
// SQLite wants to create the -shm. Nobody can be writing such a database, since a writer would
// need that -shm, so it is safe to read it as immutable. True in that case; kFailedPrecondition
// when a non-empty "-wal" is left there too (committed transactions SQLite could not replay
// without writing: reading the file alone would show an older state).
StatusOr<bool> NeedsImmutableOpen(const std::string& path) {
  struct stat st {};
  if (::stat((path + "-shm").c_str(), &st) == 0) return false;
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  if (::access(dir.c_str(), W_OK) == 0) return false;
  if (::stat((path + "-wal").c_str(), &st) == 0 && st.st_size > 0) {
    return FailedPreconditionError(
        path + " has an unfinished write-ahead log in a folder that cannot be written; open it "
               "once where it can be written (or copy the folder) to read it");
  }
  return true;
}

// "file:<path>?immutable=1", with every byte outside [A-Za-z0-9/._-] percent-encoded.
std::string ImmutableUri(const std::string& path) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string uri = "file:";
  for (unsigned char c : path) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9') || c == '/' || c == '.' || c == '_' || c == '-';
    if (plain) {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 0xf];
    }
  }
  return uri + "?immutable=1";
}

// Creates a missing database file as an empty file with mode 0600 before SQLite opens it. SQLite
// would create it with 0644 (less the umask), and it creates the -wal, -shm and -journal files
// with the mode of the database file, so this keeps all of them private. An empty file is an
// empty database to SQLite. Losing a race with another process that creates it first is fine.
void CreatePrivateFile(const std::string& path) {
  // EEXIST means someone else made it first. Any other failure (a missing folder, no
  // permission, a read-only file system) is left to SQLite's own attempt, whose error
  // DiagnoseCantOpen explains.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
}

}  // namespace

Database::Database(std::string path, sqlite3* db, bool read_only, bool in_memory)
    : path_(std::move(path)), db_(db), read_only_(read_only), in_memory_(in_memory) {}

Database::~Database() {
  // close_v2 rather than close: should a Statement outlive us by mistake, the connection becomes a
  // zombie that is freed with the last statement instead of failing to close.
  for (std::optional<Statement>& control : controls_) control.reset();
  sqlite3_close_v2(db_);
}

StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                   const OpenOptions& options) {
  if (path.empty()) return InvalidArgumentError("database path is empty");
  if (path == ":memory:") {
    return InvalidArgumentError("':memory:' is not a file path; use Database::OpenInMemory");
  }
  return OpenImpl(path, options, /*in_memory=*/false);
}

StatusOr<std::unique_ptr<Database>> Database::OpenInMemory(const OpenOptions& options) {
  OpenOptions o = options;
  o.read_only = false;
  o.create_if_missing = true;
  return OpenImpl(":memory:", o, /*in_memory=*/true);
}

StatusOr<std::unique_ptr<Database>> Database::OpenImpl(const std::string& path,
                                                       const OpenOptions& options,
                                                       bool in_memory) {
  if (options.schema != nullptr) TACET_RETURN_IF_ERROR(ValidateSchema(*options.schema));
  if (options.busy_timeout_ms < 0) {
    return InvalidArgumentError("busy_timeout_ms must not be negative, got " +
                                std::to_string(options.busy_timeout_ms));
  }
  if (!in_memory) {
    TACET_RETURN_IF_ERROR(CheckDatabasePath(path));
    if (!options.read_only && options.create_if_missing) {
      CreatePrivateFile(path);
    }
  }
  // `path` is always a plain file name; a URI is built here only for the immutable case below.
  int flags = SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_PRIVATECACHE;
  std::string open_name = path;
  if (options.read_only && !in_memory) {
    TACET_ASSIGN_OR_RETURN(bool immutable, NeedsImmutableOpen(path));
    if (immutable) {
      open_name = ImmutableUri(path);
      flags |= SQLITE_OPEN_URI;
    }
  }
  if (options.read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE;
    if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(open_name.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    int sys_errno = raw ? sqlite3_system_errno(raw) : 0;
    if ((rc & 0xff) == SQLITE_CANTOPEN && !in_memory) {
      sys_errno = DiagnoseCantOpen(path, !options.read_only && options.create_if_missing, sys_errno);
    }
    Status s = internal::StatusFromSqlite(rc, path, raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc),
                                          sys_errno, "open");
    sqlite3_close_v2(raw);  // a handle is returned even on failure; NULL is fine
    return s;
  }
  std::unique_ptr<Database> db(new Database(path, raw, options.read_only, in_memory));
  TACET_RETURN_IF_ERROR(db->Initialise(options));
  return db;
}

Status Database::Initialise(const OpenOptions& options) {
  // Connection settings first; none of these touch the file.
  int defensive = 0;
  int rc = sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, &defensive);
  if (rc != SQLITE_OK || defensive != 1) return Error(rc, "enable SQLITE_DBCONFIG_DEFENSIVE");
  // Schema-embedded SQL (views, triggers) may not call functions with side effects.
  rc = sqlite3_db_config(db_, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "disable SQLITE_DBCONFIG_TRUSTED_SCHEMA");
  rc = sqlite3_busy_timeout(db_, options.busy_timeout_ms);
  if (rc != SQLITE_OK) return Error(rc, "set busy timeout");
  // SQLITE_OPEN_READWRITE quietly falls back to read-only when the file or its file system is;
  // say so now rather than at the first write.
  if (!read_only_ && sqlite3_db_readonly(db_, "main") == 1) {
    return PermissionDeniedError(path_ +
                                 " is not writable (the file or its file system is read-only); "
                                 "open it with read_only to read it");
  }
  TACET_RETURN_IF_ERROR(Exec("PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON"));

  // Whose file is it, and which version? Only reads so far.
  TACET_ASSIGN_OR_RETURN(FileState state, ReadState());
  TACET_RETURN_IF_ERROR(CheckState(state, options.schema));
  const int latest = options.schema != nullptr ? options.schema->latest_version() : 0;
  const bool needs_migration = state.empty || state.version < latest;
  if (read_only_) {
    if (options.schema != nullptr && state.version < latest) {
      return FailedPreconditionError(
          path_ + " is at version " + std::to_string(state.version) + " of schema '" +
          options.schema->name + "' and needs migrating to " + std::to_string(latest) +
          ", which a read-only open cannot do");
    }
    return OkStatus();
  }

  // The file is Tacet's (or empty): from here on we may write.
  if (!in_memory_) {
    TACET_ASSIGN_OR_RETURN(std::string mode, QueryText("PRAGMA journal_mode=WAL"));
    if (mode != "wal") {
      return FailedPreconditionError(path_ + ": journal_mode is '" + mode +
                                     "' after asking for WAL");
    }
  }
  TACET_RETURN_IF_ERROR(SetDurability(Durability::kCritical));
  if (needs_migration) TACET_RETURN_IF_ERROR(Migrate(options.schema));
  return OkStatus();
}

StatusOr<Database::FileState> Database::ReadState() {
  FileState state;
  TACET_ASSIGN_OR_RETURN(state.application_id, QueryInt("PRAGMA application_id"));
  TACET_ASSIGN_OR_RETURN(state.version, QueryInt("PRAGMA user_version"));
  TACET_ASSIGN_OR_RETURN(int64_t objects, QueryInt("SELECT count(*) FROM sqlite_schema"));
  // A database without tables, version or owner holds nothing to lose: Tacet may claim it. This
  // is a file created just now, or one whose creation stopped before the first commit.
  state.empty = state.application_id == 0 && state.version == 0 && objects == 0;
  return state;
}

Status Database::CheckState(const FileState& state, const Schema* schema) const {
  if (state.version < 0) {
    // Tacet only ever writes 0..latest; a negative value is damage (or tampering), and migrating
    // from it would index the schema's steps below 0.
    return DataLossError(path_ + ": negative schema version " + std::to_string(state.version) +
                         " (PRAGMA user_version); the file is damaged");
  }
  if (!state.empty && state.application_id != kApplicationId) {
    return FailedPreconditionError(
        path_ + " is a SQLite database of another application (application_id " +
        Hex32(state.application_id) + ", Tacet's is " + Hex32(kApplicationId) +
        "); refusing to use or change it");
  }
  if (schema != nullptr && state.version > schema->latest_version()) {
    return FailedPreconditionError(path_ + ": database schema version " +
                                   std::to_string(state.version) +
                                   " is newer than this build supports (" +
                                   std::to_string(schema->latest_version()) + ") for schema '" +
                                   schema->name + "'");
  }
  return OkStatus();
}

Status Database::Migrate(const Schema* schema) {
  TACET_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*this, Durability::kCritical));
  // Read again under the write lock: another connection may have created or migrated the file
  // between the first look and BEGIN IMMEDIATE.
  TACET_ASSIGN_OR_RETURN(FileState state, ReadState());
  TACET_RETURN_IF_ERROR(CheckState(state, schema));
  if (state.application_id == 0) {
    // Pragmas take no parameters; the value is our own constant.
    TACET_RETURN_IF_ERROR(Exec("PRAGMA application_id=" + std::to_string(kApplicationId)));
  }
  const int latest = schema != nullptr ? schema->latest_version() : 0;
  for (int v = static_cast<int>(state.version) + 1; v <= latest; ++v) {
    const Migration& m = schema->migrations[static_cast<size_t>(v - 1)];
    Status s = m.sql != nullptr ? Exec(m.sql) : m.apply(*this);
    if (!s.ok()) {
      // `txn` rolls back: the file keeps its old version and contents.
      return s.WithContext(std::string("schema '") + schema->name + "' migration to version " +
                           std::to_string(v) + " (" + m.description + ")");
    }
  }
  if (latest > state.version) {
    TACET_RETURN_IF_ERROR(Exec("PRAGMA user_version=" + std::to_string(latest)));
  }
  return txn.Commit();
}

Status Database::Exec(std::string_view sql) {
  if (sql.find('\0') != std::string_view::npos) {
    return InvalidArgumentError("exec: SQL contains a NUL character");
  }
  const std::string terminated(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, terminated.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return OkStatus();
  const std::string text = message != nullptr ? message : sqlite3_errmsg(db_);
  sqlite3_free(message);
  return internal::StatusFromSqlite(rc, path_, text, sqlite3_system_errno(db_), "exec");
}

StatusOr<Statement> Database::Prepare(std::string_view sql) {
  if (sql.size() > static_cast<size_t>(INT_MAX)) return InvalidArgumentError("prepare: SQL too long");
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, &tail);
  if (rc != SQLITE_OK) return Error(rc, "prepare");
  Statement statement(this, raw);  // finalised on every path below
  if (raw == nullptr) return InvalidArgumentError("prepare: no SQL statement in '" + std::string(sql) + "'");
  // Whatever follows the first statement must be empty (whitespace, ';' or comments).
  const size_t used = static_cast<size_t>(tail - sql.data());
  if (used < sql.size()) {
    sqlite3_stmt* next = nullptr;
    rc = sqlite3_prepare_v2(db_, tail, static_cast<int>(sql.size() - used), &next, nullptr);
    sqlite3_finalize(next);
    if (rc != SQLITE_OK || next != nullptr) {
      return InvalidArgumentError("prepare takes one SQL statement; found more after '" +
                                  std::string(sql.substr(0, used)) + "'");
    }
  }
  return statement;
}

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

int Database::Changes() const { return sqlite3_changes(db_); }

Status Database::Checkpoint(CheckpointMode mode) {
  if (in_memory_) return OkStatus();
  int sqlite_mode = SQLITE_CHECKPOINT_PASSIVE;
  switch (mode) {
    case CheckpointMode::kPassive: sqlite_mode = SQLITE_CHECKPOINT_PASSIVE; break;
    case CheckpointMode::kFull: sqlite_mode = SQLITE_CHECKPOINT_FULL; break;
    case CheckpointMode::kRestart: sqlite_mode = SQLITE_CHECKPOINT_RESTART; break;
    case CheckpointMode::kTruncate: sqlite_mode = SQLITE_CHECKPOINT_TRUNCATE; break;
  }
  const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, sqlite_mode, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "checkpoint");
  return OkStatus();
}

void Database::StartCountingVmInstructions(int granularity) {
  vm_granularity_ = granularity < 1 ? 1 : granularity;
  vm_instructions_ = 0;
  sqlite3_progress_handler(
      db_, vm_granularity_,
      [](void* self) {
        auto* db = static_cast<Database*>(self);
        db->vm_instructions_ += db->vm_granularity_;
        return 0;  // never interrupts
      },
      this);
}

int Database::UserVersion() {
  StatusOr<int64_t> v = QueryInt("PRAGMA user_version");
  return v.ok() ? static_cast<int>(*v) : -1;
}

std::vector<std::string> Database::Files() const {
  if (in_memory_) return {};
  // The absolute name SQLite derives its companion files from.
  const char* name = sqlite3_db_filename(db_, "main");
  const std::string base = (name != nullptr && *name != '\0') ? name : path_;
  return {base, base + "-wal", base + "-shm", base + "-journal"};
}

StatusOr<int64_t> Database::QueryInt(const char* sql) {
  TACET_ASSIGN_OR_RETURN(Statement st, Prepare(sql));
  TACET_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return InternalError(std::string("'") + sql + "' returned no row on " + path_);
  return st.ColumnInt64(0);
}

StatusOr<std::string> Database::QueryText(const char* sql) {
  TACET_ASSIGN_OR_RETURN(Statement st, Prepare(sql));
  TACET_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return InternalError(std::string("'") + sql + "' returned no row on " + path_);
  return st.ColumnText(0);
}

Status Database::Error(int rc, std::string_view action) const {
  int sys_errno = sqlite3_system_errno(db_);
  std::string message = sqlite3_errmsg(db_);
  if ((rc & 0xff) == SQLITE_CANTOPEN && !in_memory_) {
    // The database is open, so this is a companion file: a WAL database cannot even be read
    // without its -shm file.
    sys_errno = DiagnoseCantOpen(path_, /*may_create=*/false, sys_errno);
    std::error_code ec;
    if (!std::filesystem::exists(path_ + "-shm", ec)) {
      message += "; " + path_ + "-shm is missing and cannot be created";
    }
  }
  return internal::StatusFromSqlite(rc, path_, message, sys_errno, action);
}

Status Database::SetDurability(Durability d) {
  return Run(d == Durability::kCritical ? Control::kSynchronousFull : Control::kSynchronousNormal);
}

Status Database::Run(Control control) {
  static constexpr const char* kSql[] = {"BEGIN IMMEDIATE", "COMMIT", "ROLLBACK",
                                         "PRAGMA synchronous=FULL", "PRAGMA synchronous=NORMAL"};
  const auto i = static_cast<size_t>(control);
  std::optional<Statement>& statement = controls_[i];
  if (!statement) {
    TACET_ASSIGN_OR_RETURN(statement, Prepare(kSql[i]));
  }
  const Status stepped = statement->Step().status();
  // Rewound at once so that no finished statement is left pending on the connection.
  const Status reset = statement->Reset();
  TACET_RETURN_IF_ERROR(stepped);
  return reset;
}

bool Database::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

}  // namespace tacet::store
