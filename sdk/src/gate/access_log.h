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
#ifndef TACET_GATE_ACCESS_LOG_H_
#define TACET_GATE_ACCESS_LOG_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

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

}  // namespace tacet::gate

#endif  // TACET_GATE_ACCESS_LOG_H_
