// tacet::store::Database: the one device database, a small RAII layer over SQLite 3.
//
// Every module (consent ledger, vault, audit log, outbox) keeps its tables here, through
// prepared statements (statement.h), transactions with a chosen durability (transaction.h) and
// stepwise migrations (schema.h). See docs/storage.md.
//
// What Open guarantees
//   - SQLITE_DBCONFIG_DEFENSIVE (no writable_schema, no direct shadow-table writes),
//     trusted_schema off, secure_delete=ON (deleted content is overwritten with zeros),
//     foreign_keys=ON, a busy timeout, and journal_mode=WAL (verified) for read-write files.
//   - The file is Tacet's: PRAGMA application_id is kApplicationId, set when the database is
//     created. A SQLite database that belongs to something else, a file that is not a database,
//     a corrupt file and a schema newer than this build are refused with a Status and the file is
//     left byte-for-byte as it was: nothing is written before these checks pass.
//   - Missing schema steps are applied in ONE transaction: either all of them and the new
//     user_version are committed, or the file keeps its old version and contents.
//
// Errors: every SQLite failure becomes a Status through one mapping (internal/sqlite_status.h):
// not a database / corrupt → kDataLoss; cannot open → kNotFound, kPermissionDenied or
// kFailedPrecondition; read-only → kFailedPrecondition; disk full → kResourceExhausted;
// busy/locked → kUnavailable; too big → kInvalidArgument; UNIQUE/PRIMARY KEY → kAlreadyExists,
// other constraints → kFailedPrecondition; the rest → kInternal. Messages name the file and end
// with SQLite's own text.
//
// Thread-safety: a Database is one SQLite connection, used by one thread at a time; callers
// serialise every use of it and of its Statements and Transactions. The connection is opened
// with SQLITE_OPEN_FULLMUTEX as a safety net only: a caller that breaks the rule gets interleaved
// (and logically wrong) but memory-safe calls instead of heap corruption. The uncontended mutex
// costs nanoseconds next to a commit. Separate Databases on the same file (other threads or
// processes) are fine: SQLite's file locking and the busy timeout arbitrate.
#ifndef TACET_STORE_DATABASE_H_
#define TACET_STORE_DATABASE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/schema.h"
#include "store/statement.h"
#include "store/transaction.h"

struct sqlite3;

namespace tacet::store {

// Refuses (kInvalidArgument naming what it is) a database path that exists but is not a regular
// file — a device such as /dev/null, a directory, a FIFO, a socket — before anything opens it.
// A path that does not exist is OK (Open decides whether to create it). Database::Open calls it;
// callers that check a device folder before opening anything call it first too.
Status CheckDatabasePath(const std::string& path);

// PRAGMA application_id of every Tacet database: 'TACT'.
inline constexpr int32_t kApplicationId = 0x54414354;

struct OpenOptions {
  // Open without write access. No journal-mode change, no migration: a database that needs one is
  // refused with kFailedPrecondition.
  bool read_only = false;
  // Create the file when missing (ignored when read_only). When false, a missing file is
  // kNotFound.
  bool create_if_missing = true;
  // How long a statement waits for another connection's lock before kUnavailable.
  int busy_timeout_ms = 5000;
  // Applied on open when set (not owned; must stay valid during Open). Without a schema the
  // user_version is neither checked nor changed.
  const Schema* schema = nullptr;
};

// `PRAGMA wal_checkpoint(...)` modes. kTruncate also empties the -wal file, so no copy of
// overwritten or deleted rows stays behind in it (erasure relies on this).
enum class CheckpointMode { kPassive, kFull, kRestart, kTruncate };

class Database {
 public:
  // Opens (and, with create_if_missing, creates) the database file at `path` — a plain path, not
  // a URI — checks that it is Tacet's, configures the connection and applies `options.schema`.
  // A path that exists but is not a regular file (a device such as /dev/null, a directory, a
  // FIFO) is refused with kInvalidArgument naming it, before SQLite opens it or creates anything
  // beside it. A database file Open creates has mode 0600 (less the umask), and so have the
  // -wal, -shm and -journal files SQLite creates beside it (SQLite gives them the database
  // file's mode); an existing file keeps its mode.
  // The caller owns the returned Database. Errors as in the header comment; additionally
  // kInvalidArgument for an empty path or ":memory:" (use OpenInMemory), kPermissionDenied when
  // a read-write open finds the file or its file system read-only, kFailedPrecondition for a
  // database of another application or a newer schema, kInternal for an invalid Schema.
  static StatusOr<std::unique_ptr<Database>> Open(const std::string& path,
                                                  const OpenOptions& options);
  // A private in-memory database (for tests and tools): same configuration and migrations, no
  // WAL, no files. read_only and create_if_missing are ignored.
  static StatusOr<std::unique_ptr<Database>> OpenInMemory(const OpenOptions& options);

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  // Closes the connection (sqlite3_close_v2). Statements and Transactions must be gone first.
  ~Database();

  // Runs one or more SQL statements that take no parameters: DDL, pragmas, migrations. Anything
  // carrying a value goes through Prepare and Bind instead.
  Status Exec(std::string_view sql);
  // Compiles exactly one statement (trailing whitespace and ';' allowed; a second statement is
  // kInvalidArgument). The Statement refers to this Database, which must outlive it.
  StatusOr<Statement> Prepare(std::string_view sql);

  // Rowid of the last successful INSERT on this connection, and rows changed by the last
  // INSERT/UPDATE/DELETE.
  int64_t LastInsertRowId() const;
  int Changes() const;

  // Copies the WAL into the database file. kUnavailable if readers or writers of other
  // connections keep the requested mode from completing; OK and no-op for an in-memory database.
  Status Checkpoint(CheckpointMode mode);

  // Counts the SQLite virtual-machine instructions this connection runs from now on (through
  // sqlite3_progress_handler, called every `granularity` instructions; replaces any earlier
  // count). For tests that check that an operation's cost follows what it changes, not the rows
  // stored: a statement that walks every row of a table runs instructions per row. Off unless
  // called; it observes and never interrupts.
  void StartCountingVmInstructions(int granularity = 1);
  // Instructions counted since StartCountingVmInstructions (a multiple of its granularity); 0
  // when counting was never started.
  int64_t vm_instructions_counted() const { return vm_instructions_; }

  // The path given to Open (":memory:" for OpenInMemory).
  const std::string& path() const { return path_; }
  // PRAGMA user_version: the schema version the file is at, or -1 if it cannot be read.
  int UserVersion();
  bool read_only() const { return read_only_; }
  // Every file SQLite may keep for this database, whether it exists now or not: the database,
  // "-wal", "-shm" and "-journal". Empty for an in-memory database. For tests that scan the
  // disk for data that should be gone.
  std::vector<std::string> Files() const;

 private:
  friend class Statement;
  friend class Transaction;

  Database(std::string path, sqlite3* db, bool read_only, bool in_memory);
  static StatusOr<std::unique_ptr<Database>> OpenImpl(const std::string& path,
                                                      const OpenOptions& options, bool in_memory);
  // Checks ownership and version, then configures and migrates. Nothing is written before the
  // checks pass.
  Status Initialise(const OpenOptions& options);
  struct FileState {
    int64_t application_id = 0;
    int64_t version = 0;  // PRAGMA user_version
    bool empty = false;   // no owner, no version, no schema objects
  };
  StatusOr<FileState> ReadState();
  // kDataLoss for a negative user_version; kFailedPrecondition for another application's
  // database or a newer schema.
  Status CheckState(const FileState& state, const Schema* schema) const;
  Status Migrate(const Schema* schema);
  StatusOr<int64_t> QueryInt(const char* sql);
  StatusOr<std::string> QueryText(const char* sql);
  // Maps the connection's last error (with `rc`) to a Status.
  Status Error(int rc, std::string_view action) const;
  // PRAGMA synchronous=FULL or NORMAL.
  Status SetDurability(Durability d);
  bool InTransaction() const;
  // The statements every Transaction runs (BEGIN IMMEDIATE, COMMIT, ROLLBACK and the two
  // synchronous levels), each prepared on first use and kept: a write through Exec parsed them
  // again each time, which cost a small transaction (Agent::Record) several microseconds.
  enum class Control { kBegin, kCommit, kRollback, kSynchronousFull, kSynchronousNormal };
  Status Run(Control control);

  std::string path_;
  sqlite3* db_ = nullptr;
  bool read_only_ = false;
  bool in_memory_ = false;
  std::optional<Statement> controls_[5];  // by Control
  int64_t vm_instructions_ = 0;
  int vm_granularity_ = 1;
};

}  // namespace tacet::store

#endif  // TACET_STORE_DATABASE_H_
