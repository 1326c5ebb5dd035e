#include "store/transaction.h"

#include <utility>

#include "store/database.h"

namespace tacet::store {

StatusOr<Transaction> Transaction::Begin(Database& db, Durability durability) {
  if (db.read_only()) {
    return FailedPreconditionError("cannot begin a write transaction on " + db.path() +
                                   ": it was opened read-only");
  }
  if (db.InTransaction()) {
    return FailedPreconditionError("cannot begin a transaction on " + db.path() +
                                   ": one is already open on this connection");
  }
  // synchronous cannot be changed inside a transaction, so it is set before BEGIN.
  TACET_RETURN_IF_ERROR(db.SetDurability(durability));
  Status s = db.Run(Database::Control::kBegin);
  if (!s.ok()) {
    db.SetDurability(Durability::kCritical).IgnoreError();
    return s.WithContext("begin transaction");
  }
  return Transaction(&db, durability);
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), durability_(other.durability_) {}

Transaction& Transaction::operator=(Transaction&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) Finish(/*commit=*/false).IgnoreError();
    db_ = std::exchange(other.db_, nullptr);
    durability_ = other.durability_;
  }
  return *this;
}

Transaction::~Transaction() {
  if (db_ != nullptr) Finish(/*commit=*/false).IgnoreError();  // best effort; cannot report
}

Status Transaction::Commit() { return Finish(/*commit=*/true); }

Status Transaction::Rollback() { return Finish(/*commit=*/false); }

Status Transaction::Finish(bool commit) {
  if (db_ == nullptr) return FailedPreconditionError("transaction already finished");
  Database* db = std::exchange(db_, nullptr);
  Status result = commit ? db->Run(Database::Control::kCommit).WithContext("commit") : OkStatus();
  // Still open after a rollback request or a failed COMMIT (SQLite rolls back some errors itself).
  if (db->InTransaction()) {
    Status rolled_back = db->Run(Database::Control::kRollback);
    if (result.ok()) result = rolled_back.WithContext("rollback");
  }
  if (durability_ != Durability::kCritical) {
    // Back to the connection's resting level. Best effort: the outcome of the transaction is
    // already decided, and every Begin sets its own level anyway.
    db->SetDurability(Durability::kCritical).IgnoreError();
  }
  return result;
}

}  // namespace tacet::store
