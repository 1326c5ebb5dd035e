// AccessLog: one row per microphone or location capture, and per refused attempt, for the user's
// privacy report. Never holds audio or coordinates: only who (purpose), when, how much, how
// precise and how it ended.
//
// Table gate_access_log (GateMigrations()):
//   id                   INTEGER PRIMARY KEY
//   kind                 'voice' | 'location'
//   purpose_id           the policy purpose the capture was for
//   requested_precision  location: what the caller asked for; voice: NULL
//   delivered_precision  location: the finest precision any delivered fix had ('none' if no fix);
//                        voice: NULL
//   started_unix_ms      when Acquire granted (or refused) the capture, wall clock
//   ended_unix_ms        when it ended; NULL while open or if the process died (outcome
//                        'interrupted'); equal to started_unix_ms for a denial
//   frames, audio_ms     voice: audio frames delivered to the caller and their duration
//   fixes                location: fixes delivered to the caller
//   outcome              CaptureOutcomeName(): open, completed, ended_by_revocation,
//                        ended_by_permission_loss, ended_by_mute, ended_by_device_error,
//                        ended_by_gate_closed, denied, interrupted
//   reason               DenialReasonName(): for 'denied' why Acquire refused; for
//                        'ended_by_revocation' which consent check failed; otherwise 'none'
// Writes use Durability::kNormal: a log row lost in a power cut is acceptable, a capture without
// a row is not (Acquire refuses when RecordStart fails).
//
// Retention. A row is kept kAccessLogRetentionDays after its capture ended (a refusal ends when it
// happened; an interrupted capture counts from its start), then PurgeExpiredAccessLog deletes it;
// EraseAccessLog empties the log when the user erases everything. Both write one audit entry in
// the same transaction as the deletion. docs/gates.md, "Retention of the access log".
#ifndef TACET_GATE_ACCESS_LOG_H_
#define TACET_GATE_ACCESS_LOG_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.h"
#include "base/status.h"
#include "gate/gate_types.h"
#include "store/database.h"
#include "tacet/platform/permissions.h"

namespace tacet::gate {

// The gate module's tables, versions 1..k within the module (the device schema renumbers them).
std::vector<store::Migration> GateMigrations();

struct AccessLogEntry {
  int64_t id = 0;
  CaptureKind kind = CaptureKind::kVoice;
  std::string purpose_id;
  platform::LocationPrecision requested_precision = platform::LocationPrecision::kNone;
  platform::LocationPrecision delivered_precision = platform::LocationPrecision::kNone;
  int64_t started_unix_ms = 0;
  bool ended = false;  // false: open, or interrupted
  int64_t ended_unix_ms = 0;
  int64_t frames = 0;
  int64_t audio_ms = 0;
  int64_t fixes = 0;
  CaptureOutcome outcome = CaptureOutcome::kOpen;
  DenialReason reason = DenialReason::kNone;
};

struct CaptureStart {
  CaptureKind kind = CaptureKind::kVoice;
  std::string_view purpose_id;
  platform::LocationPrecision requested_precision = platform::LocationPrecision::kNone;  // location
  int64_t started_unix_ms = 0;
};

struct CaptureEnd {
  int64_t ended_unix_ms = 0;
  CaptureOutcome outcome = CaptureOutcome::kCompleted;
  DenialReason reason = DenialReason::kNone;
  int64_t frames = 0;
  int64_t audio_ms = 0;
  int64_t fixes = 0;
  platform::LocationPrecision delivered_precision = platform::LocationPrecision::kNone;  // location
};

// Thread-safety: every method is safe from any thread (an internal mutex serialises use of the
// Database). The AccessLog must be the only user of its Database connection while it lives (open
// a connection of its own on the device file): store::Database requires callers to serialise.
class AccessLog {
 public:
  // `db` (not owned; must outlive the log) must have been opened with a schema including
  // GateMigrations(). Rows left 'open' by a previous process become 'interrupted'. Only one
  // AccessLog per device database.
  static StatusOr<std::unique_ptr<AccessLog>> Open(store::Database& db);

  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Appends an 'open' row; returns its id. kInvalidArgument for an empty purpose id.
  StatusOr<int64_t> RecordStart(const CaptureStart& start);
  // Closes row `id` (which must be open: kFailedPrecondition otherwise, kNotFound if absent).
  Status RecordEnd(int64_t id, const CaptureEnd& end);
  // Appends a 'denied' row (ended = started) with `reason`.
  Status RecordDenial(const CaptureStart& start, DenialReason reason);

  // Rows whose capture overlaps [from_unix_ms, to_unix_ms): started before `to` and not ended
  // before `from` (open and interrupted rows count as not ended). Oldest first. The caller owns
  // the vector.
  StatusOr<std::vector<AccessLogEntry>> Entries(int64_t from_unix_ms, int64_t to_unix_ms);

  // How many 'open' rows Open turned into 'interrupted'.
  int64_t interrupted_at_open() const { return interrupted_at_open_; }

 private:
  explicit AccessLog(store::Database& db) : db_(db) {}

  store::Database& db_;
  std::mutex mu_;
  int64_t interrupted_at_open_ = 0;
};

// Entries() without an AccessLog: reads the rows of a device database without taking the log
// over (it marks no open row interrupted), for tools and the export, which inspect a database
// that a running agent may own. The caller serialises use of `db` as store::Database requires.
StatusOr<std::vector<AccessLogEntry>> ReadAccessLog(store::Database& db, int64_t from_unix_ms,
                                                    int64_t to_unix_ms);

// How long a row stays after its capture ended: 365 days. The policy gives no period for this
// record; a row holds no audio and no coordinates, only which purpose used the microphone or the
// location, when, for how long and how it ended — data about the use of the device, so it gets
// the period the shipped policy gives the `usage` category (interaction and device information,
// 365 days). Longer than the voice (90 days) and location (30 days) data themselves on purpose: the
// user can still see that a capture happened after what it captured is gone.
inline constexpr int64_t kAccessLogRetentionDays = 365;
// The longest period PurgeExpiredAccessLog accepts (100 years; keeps the arithmetic in range).
inline constexpr int64_t kMaxAccessLogRetentionDays = 36500;

struct AccessLogPurge {
  int64_t rows = 0;       // rows deleted
  int64_t kept_open = 0;  // EraseAccessLog only: rows of captures running at that moment, kept
};

// Deletes, in one transaction on `db`, every row that is not 'open' and whose end (for an
// interrupted row, whose start) is at or before now_unix_ms - retention_days days, and appends one
// audit entry for it (kind retention_purge, subject "gate_access_log", detail
// "rows=<n> retention_days=<d>") in the same transaction: both commit or neither does. Nothing
// expired: no transaction is committed and no entry is written (rows = 0).
// `db` must be the device database connection `audit` was opened on (AppendInTransaction writes
// through it); it may be another connection than the AccessLog's (SQLite serialises the writers;
// a purge never touches an 'open' row, the only rows the gates still update). The caller
// serialises use of `db` as store::Database requires — the agent runs this on its storage thread
// next to the vault's sweep. kInvalidArgument when retention_days is not in
// 1..kMaxAccessLogRetentionDays; an audit failure (e.g. kDataLoss for a broken audit head) is
// returned and nothing is deleted.
StatusOr<AccessLogPurge> PurgeExpiredAccessLog(store::Database& db, audit::AuditLog& audit,
                                               int64_t now_unix_ms,
                                               int64_t retention_days = kAccessLogRetentionDays);

// For "erase everything": deletes every row of the log except those of captures running right
// now ('open' rows, counted in kept_open: a capture must never run without its row; they are
// closed when the capture ends and purged with the rest), with one audit entry (kind erasure,
// subject "gate_access_log", detail "rows=<n> kept_open=<m>") in the same transaction, written
// even when the log was already empty (the user's request is recorded). End the gates' sessions
// first to leave nothing. `db` and thread rules as for PurgeExpiredAccessLog.
StatusOr<AccessLogPurge> EraseAccessLog(store::Database& db, audit::AuditLog& audit);

}  // namespace tacet::gate

#endif  // TACET_GATE_ACCESS_LOG_H_
