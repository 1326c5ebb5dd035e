// tacet::store::Transaction: BEGIN IMMEDIATE ... COMMIT, rolled back unless committed.
#ifndef TACET_STORE_TRANSACTION_H_
#define TACET_STORE_TRANSACTION_H_

#include "base/status.h"

namespace tacet::store {

class Database;

// How hard a commit tries to survive power loss. In WAL mode `PRAGMA synchronous` is a
// per-connection setting that may change between transactions; Transaction::Begin sets it:
//
//   kCritical  synchronous=FULL (2)   the WAL is fsync'ed at every commit: once Commit() returns
//                                     OK the change survives power loss. For what must never be
//                                     lost: consent decisions, erasure, revocations (a user's "no").
//   kNormal    synchronous=NORMAL (1) WAL-safe against corruption, but the last commits before a
//                                     power cut may be lost (the WAL is synced only at
//                                     checkpoints). For what can be redone: vault edits that the
//                                     app retries, logs, outbox bookkeeping.
//
// Outside any Transaction a connection rests at FULL, so a lone autocommit write is critical too.
enum class Durability { kCritical, kNormal };

// A write transaction on one Database. BEGIN IMMEDIATE takes the write lock up front, so a
// competing writer waits (busy_timeout_ms) at Begin rather than failing halfway through.
//
// Ownership: refers to, but does not own, the Database, which must outlive it. Move-only; a
// moved-from Transaction does nothing. Not nestable: Begin while another transaction is open on
// the same Database is kFailedPrecondition.
// Thread-safety: as for its Database (one thread at a time, callers serialise).
class Transaction {
 public:
  // Sets the durability, then BEGIN IMMEDIATE. kUnavailable when another connection holds the
  // write lock past the busy timeout; kFailedPrecondition on a read-only Database.
  static StatusOr<Transaction> Begin(Database& db, Durability durability);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&& other) noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // Rolls back if neither Commit nor Rollback succeeded.
  ~Transaction();

  // COMMIT. On error the transaction is rolled back (here or by the destructor) and nothing of it
  // is kept. kFailedPrecondition when already finished.
  Status Commit();
  // ROLLBACK now instead of at destruction.
  Status Rollback();

  Durability durability() const { return durability_; }

 private:
  Transaction(Database* db, Durability durability) : db_(db), durability_(durability) {}
  // Rolls back if still open and restores the connection's resting durability.
  Status Finish(bool commit);

  Database* db_ = nullptr;
  Durability durability_ = Durability::kCritical;
};

}  // namespace tacet::store

#endif  // TACET_STORE_TRANSACTION_H_
