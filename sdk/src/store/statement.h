// tacet::store::Statement: one prepared SQLite statement, finalised on destruction.
#ifndef TACET_STORE_STATEMENT_H_
#define TACET_STORE_STATEMENT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

struct sqlite3_stmt;

namespace tacet::store {

class Database;

// Made by Database::Prepare. Values only ever reach SQL through Bind*: no SQL is built from
// strings that contain values.
//
// Ownership: owns its sqlite3_stmt (sqlite3_finalize in the destructor); refers to, but does not
// own, the Database that prepared it, which must outlive it. Move-only.
// Thread-safety: as for its Database: used by one thread at a time, serialised with every other
// use of the same Database.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binds parameter `index` (1-based, as in SQL "?1"). Text and blobs are copied into SQLite, so
  // the caller's buffer need not outlive the call. An empty view binds an empty value, never NULL.
  // kInternal for an index out of range; kInvalidArgument for a value over SQLite's limits.
  Status Bind(int index, int64_t value);
  Status Bind(int index, std::string_view text);
  Status BindBlob(int index, ByteView blob);
  Status BindNull(int index);
  // Sets every parameter back to NULL (so no copy of a bound secret lingers in the statement).
  Status ClearBindings();

  // Runs the statement one step: true when a row is available through the Column* getters,
  // false when the statement has finished. Errors are mapped as described in database.h.
  StatusOr<bool> Step();

  // Column getters for the current row (0-based `column`), valid after Step() returned true.
  // A NULL reads as 0 / "" / empty; use ColumnIsNull to tell. Returned values are copies.
  int64_t ColumnInt64(int column) const;
  std::string ColumnText(int column) const;
  Bytes ColumnBlob(int column) const;
  bool ColumnIsNull(int column) const;
  int ColumnCount() const;

  // Rewinds the statement so it can run again; bindings are kept (see ClearBindings). An error of
  // the last Step was already returned by that Step and is not repeated here.
  Status Reset();

 private:
  friend class Database;
  Statement(Database* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Status BindResult(int rc, int index);

  Database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace tacet::store

#endif  // TACET_STORE_STATEMENT_H_
