#include "store/statement.h"

#include <sqlite3.h>

#include <utility>

#include "store/database.h"

namespace tacet::store {

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }  // NULL is a no-op

Status Statement::BindResult(int rc, int index) {
  if (rc == SQLITE_OK) return OkStatus();
  if (db_ == nullptr) return FailedPreconditionError("bind on a moved-from Statement");
  return db_->Error(rc, "bind parameter " + std::to_string(index));
}

Status Statement::Bind(int index, int64_t value) {
  return BindResult(sqlite3_bind_int64(stmt_, index, value), index);
}

Status Statement::Bind(int index, std::string_view text) {
  // A NULL data pointer would bind SQL NULL; an empty string must stay an empty string.
  const char* data = text.empty() ? "" : text.data();
  return BindResult(
      sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8), index);
}

Status Statement::BindBlob(int index, ByteView blob) {
  if (blob.empty()) return BindResult(sqlite3_bind_zeroblob(stmt_, index, 0), index);
  return BindResult(sqlite3_bind_blob64(stmt_, index, blob.data(), blob.size(), SQLITE_TRANSIENT),
                    index);
}

Status Statement::BindNull(int index) { return BindResult(sqlite3_bind_null(stmt_, index), index); }

Status Statement::ClearBindings() { return BindResult(sqlite3_clear_bindings(stmt_), 0); }

StatusOr<bool> Statement::Step() {
  if (db_ == nullptr) return FailedPreconditionError("step on a moved-from Statement");
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(rc, "step");
}

int64_t Statement::ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::ColumnText(int column) const {
  // Pointer first, then size: the documented order that avoids a second conversion.
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  if (p == nullptr || n <= 0) return std::string();
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
}

Bytes Statement::ColumnBlob(int column) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, column));
  const int n = sqlite3_column_bytes(stmt_, column);
  if (p == nullptr || n <= 0) return Bytes();
  return Bytes(p, p + n);
}

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }

Status Statement::Reset() {
  if (db_ == nullptr) return FailedPreconditionError("reset on a moved-from Statement");
  // sqlite3_reset repeats the last Step's error, which the caller has already seen.
  sqlite3_reset(stmt_);
  return OkStatus();
}

}  // namespace tacet::store
