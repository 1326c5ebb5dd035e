#include "gate/access_log.h"

#include <cstdint>
#include <utility>

#include "store/statement.h"
#include "store/transaction.h"

namespace tacet::gate {
namespace {

using platform::LocationPrecision;

constexpr char kCreateTable[] = R"sql(
CREATE TABLE gate_access_log (
  id                  INTEGER PRIMARY KEY,
  kind                TEXT NOT NULL CHECK (kind IN ('voice', 'location')),
  purpose_id          TEXT NOT NULL CHECK (length(purpose_id) > 0),
  requested_precision TEXT CHECK (requested_precision IN ('none', 'approximate', 'precise')),
  delivered_precision TEXT CHECK (delivered_precision IN ('none', 'approximate', 'precise')),
  started_unix_ms     INTEGER NOT NULL,
  ended_unix_ms       INTEGER,
  frames              INTEGER NOT NULL DEFAULT 0 CHECK (frames >= 0),
  audio_ms            INTEGER NOT NULL DEFAULT 0 CHECK (audio_ms >= 0),
  fixes               INTEGER NOT NULL DEFAULT 0 CHECK (fixes >= 0),
  outcome             TEXT NOT NULL,
  reason              TEXT NOT NULL DEFAULT 'none'
);
CREATE INDEX gate_access_log_by_start ON gate_access_log (started_unix_ms);
)sql";

// Location rows carry precisions; voice rows keep NULL there.
Status BindPrecision(store::Statement& st, int index, CaptureKind kind, LocationPrecision p) {
  if (kind != CaptureKind::kLocation) return st.BindNull(index);
  return st.Bind(index, platform::LocationPrecisionName(p));
}

Status Insert(store::Database& db, const CaptureStart& start, const CaptureEnd* end,
              CaptureOutcome outcome, DenialReason reason) {
  if (start.purpose_id.empty()) {
    return InvalidArgumentError("access log: a capture needs a purpose id");
  }
  TACET_ASSIGN_OR_RETURN(store::Statement st,
                         db.Prepare("INSERT INTO gate_access_log (kind, purpose_id, "
                                    "requested_precision, delivered_precision, started_unix_ms, "
                                    "ended_unix_ms, outcome, reason) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  TACET_RETURN_IF_ERROR(st.Bind(1, CaptureKindName(start.kind)));
  TACET_RETURN_IF_ERROR(st.Bind(2, start.purpose_id));
  TACET_RETURN_IF_ERROR(BindPrecision(st, 3, start.kind, start.requested_precision));
  TACET_RETURN_IF_ERROR(BindPrecision(st, 4, start.kind, LocationPrecision::kNone));
  TACET_RETURN_IF_ERROR(st.Bind(5, start.started_unix_ms));
  TACET_RETURN_IF_ERROR(end != nullptr ? st.Bind(6, end->ended_unix_ms) : st.BindNull(6));
  TACET_RETURN_IF_ERROR(st.Bind(7, CaptureOutcomeName(outcome)));
  TACET_RETURN_IF_ERROR(st.Bind(8, DenialReasonName(reason)));
  TACET_ASSIGN_OR_RETURN(bool row, st.Step());
  (void)row;
  return OkStatus();
}

}  // namespace

std::vector<store::Migration> GateMigrations() {
  return {store::Migration{1, "gate: access log of microphone and location captures", kCreateTable}};
}

StatusOr<std::unique_ptr<AccessLog>> AccessLog::Open(store::Database& db) {
  std::unique_ptr<AccessLog> log(new AccessLog(db));
  TACET_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(db, store::Durability::kNormal));
  TACET_ASSIGN_OR_RETURN(store::Statement st,
                         db.Prepare("UPDATE gate_access_log SET outcome = 'interrupted' "
                                    "WHERE outcome = 'open'"));
  TACET_RETURN_IF_ERROR(st.Step().status());
  log->interrupted_at_open_ = db.Changes();
  TACET_RETURN_IF_ERROR(tx.Commit());
  return log;
}

StatusOr<int64_t> AccessLog::RecordStart(const CaptureStart& start) {
  std::lock_guard<std::mutex> lock(mu_);
  TACET_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(db_, store::Durability::kNormal));
  TACET_RETURN_IF_ERROR(Insert(db_, start, nullptr, CaptureOutcome::kOpen, DenialReason::kNone));
  int64_t id = db_.LastInsertRowId();
  TACET_RETURN_IF_ERROR(tx.Commit());
  return id;
}

Status AccessLog::RecordDenial(const CaptureStart& start, DenialReason reason) {
  std::lock_guard<std::mutex> lock(mu_);
  TACET_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(db_, store::Durability::kNormal));
  CaptureEnd end;
  end.ended_unix_ms = start.started_unix_ms;
  TACET_RETURN_IF_ERROR(Insert(db_, start, &end, CaptureOutcome::kDenied, reason));
  return tx.Commit();
}

Status AccessLog::RecordEnd(int64_t id, const CaptureEnd& end) {
  if (end.outcome == CaptureOutcome::kOpen || end.outcome == CaptureOutcome::kDenied ||
      end.outcome == CaptureOutcome::kInterrupted) {
    return InvalidArgumentError(std::string("access log: a capture cannot end as '") +
                                CaptureOutcomeName(end.outcome) + "'");
  }
  if (end.frames < 0 || end.audio_ms < 0 || end.fixes < 0) {
    return InvalidArgumentError("access log: negative amount for capture " + std::to_string(id));
  }
  std::lock_guard<std::mutex> lock(mu_);
  TACET_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(db_, store::Durability::kNormal));
  TACET_ASSIGN_OR_RETURN(store::Statement st,
                         db_.Prepare("UPDATE gate_access_log SET ended_unix_ms = ?2, outcome = ?3, "
                                     "reason = ?4, frames = ?5, audio_ms = ?6, fixes = ?7, "
                                     "delivered_precision = CASE kind WHEN 'location' THEN ?8 END "
                                     "WHERE id = ?1 AND outcome = 'open'"));
  TACET_RETURN_IF_ERROR(st.Bind(1, id));
  TACET_RETURN_IF_ERROR(st.Bind(2, end.ended_unix_ms));
  TACET_RETURN_IF_ERROR(st.Bind(3, CaptureOutcomeName(end.outcome)));
  TACET_RETURN_IF_ERROR(st.Bind(4, DenialReasonName(end.reason)));
  TACET_RETURN_IF_ERROR(st.Bind(5, end.frames));
  TACET_RETURN_IF_ERROR(st.Bind(6, end.audio_ms));
  TACET_RETURN_IF_ERROR(st.Bind(7, end.fixes));
  TACET_RETURN_IF_ERROR(st.Bind(8, platform::LocationPrecisionName(end.delivered_precision)));
  TACET_RETURN_IF_ERROR(st.Step().status());
  if (db_.Changes() != 1) {
    TACET_ASSIGN_OR_RETURN(store::Statement probe,
                           db_.Prepare("SELECT outcome FROM gate_access_log WHERE id = ?1"));
    TACET_RETURN_IF_ERROR(probe.Bind(1, id));
    TACET_ASSIGN_OR_RETURN(bool found, probe.Step());
    if (!found) return NotFoundError("access log: no capture " + std::to_string(id));
    return FailedPreconditionError("access log: capture " + std::to_string(id) +
                                   " is already closed as '" + probe.ColumnText(0) + "'");
  }
  return tx.Commit();
}

StatusOr<std::vector<AccessLogEntry>> AccessLog::Entries(int64_t from_unix_ms, int64_t to_unix_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return ReadAccessLog(db_, from_unix_ms, to_unix_ms);
}

StatusOr<std::vector<AccessLogEntry>> ReadAccessLog(store::Database& db, int64_t from_unix_ms,
                                                    int64_t to_unix_ms) {
  TACET_ASSIGN_OR_RETURN(
      store::Statement st,
      db.Prepare("SELECT id, kind, purpose_id, requested_precision, delivered_precision, "
                  "started_unix_ms, ended_unix_ms, frames, audio_ms, fixes, outcome, reason "
                  "FROM gate_access_log WHERE started_unix_ms < ?2 AND "
                  "(ended_unix_ms IS NULL OR ended_unix_ms >= ?1) ORDER BY started_unix_ms, id"));
  TACET_RETURN_IF_ERROR(st.Bind(1, from_unix_ms));
  TACET_RETURN_IF_ERROR(st.Bind(2, to_unix_ms));
  std::vector<AccessLogEntry> entries;
  for (;;) {
    TACET_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    AccessLogEntry e;
    e.id = st.ColumnInt64(0);
    std::string kind = st.ColumnText(1), outcome = st.ColumnText(10), reason = st.ColumnText(11);
    if (!ParseCaptureKind(kind, &e.kind) || !ParseCaptureOutcome(outcome, &e.outcome) ||
        !ParseDenialReason(reason, &e.reason) ||
        (!st.ColumnIsNull(3) && !ParseLocationPrecision(st.ColumnText(3), &e.requested_precision)) ||
        (!st.ColumnIsNull(4) && !ParseLocationPrecision(st.ColumnText(4), &e.delivered_precision))) {
      return DataLossError("access log: row " + std::to_string(e.id) +
                           " has an unknown kind, outcome, reason or precision");
    }
    e.purpose_id = st.ColumnText(2);
    e.started_unix_ms = st.ColumnInt64(5);
    e.ended = !st.ColumnIsNull(6);
    e.ended_unix_ms = st.ColumnInt64(6);
    e.frames = st.ColumnInt64(7);
    e.audio_ms = st.ColumnInt64(8);
    e.fixes = st.ColumnInt64(9);
    entries.push_back(std::move(e));
  }
  return entries;
}

StatusOr<AccessLogPurge> PurgeExpiredAccessLog(store::Database& db, audit::AuditLog& audit,
                                               int64_t now_unix_ms, int64_t retention_days) {
  if (retention_days < 1 || retention_days > kMaxAccessLogRetentionDays) {
    return InvalidArgumentError("access log: retention of " + std::to_string(retention_days) +
                                " days is outside 1.." +
                                std::to_string(kMaxAccessLogRetentionDays));
  }
  constexpr int64_t kMillisPerDay = 24LL * 60 * 60 * 1000;
  const int64_t span = retention_days * kMillisPerDay;
  // Saturate rather than overflow for a clock near the ends of int64.
  const int64_t cutoff = now_unix_ms < INT64_MIN + span ? INT64_MIN : now_unix_ms - span;
  TACET_ASSIGN_OR_RETURN(store::Transaction tx,
                         store::Transaction::Begin(db, store::Durability::kNormal));
  TACET_ASSIGN_OR_RETURN(store::Statement st,
                         db.Prepare("DELETE FROM gate_access_log WHERE outcome <> 'open' AND "
                                    "COALESCE(ended_unix_ms, started_unix_ms) <= ?1"));
  TACET_RETURN_IF_ERROR(st.Bind(1, cutoff));
  TACET_RETURN_IF_ERROR(st.Step().status());
  AccessLogPurge purge;
  purge.rows = db.Changes();
  if (purge.rows == 0) {
    TACET_RETURN_IF_ERROR(tx.Rollback());
    return purge;
  }
  TACET_RETURN_IF_ERROR(audit.AppendInTransaction(
      tx, audit::AuditKind::kRetentionPurge, "gate_access_log",
      "rows=" + std::to_string(purge.rows) + " retention_days=" + std::to_string(retention_days)));
  TACET_RETURN_IF_ERROR(tx.Commit());
  return purge;
}

StatusOr<AccessLogPurge> EraseAccessLog(store::Database& db, audit::AuditLog& audit) {
  TACET_ASSIGN_OR_RETURN(store::Transaction tx,
                         store::Transaction::Begin(db, store::Durability::kCritical));
  TACET_ASSIGN_OR_RETURN(store::Statement st,
                         db.Prepare("DELETE FROM gate_access_log WHERE outcome <> 'open'"));
  TACET_RETURN_IF_ERROR(st.Step().status());
  AccessLogPurge purge;
  purge.rows = db.Changes();
  TACET_ASSIGN_OR_RETURN(store::Statement open,
                         db.Prepare("SELECT count(*) FROM gate_access_log"));
  TACET_ASSIGN_OR_RETURN(bool row, open.Step());
  purge.kept_open = row ? open.ColumnInt64(0) : 0;
  TACET_RETURN_IF_ERROR(open.Reset());
  TACET_RETURN_IF_ERROR(audit.AppendInTransaction(
      tx, audit::AuditKind::kErasure, "gate_access_log",
      "rows=" + std::to_string(purge.rows) + " kept_open=" + std::to_string(purge.kept_open)));
  TACET_RETURN_IF_ERROR(tx.Commit());
  return purge;
}

}  // namespace tacet::gate
