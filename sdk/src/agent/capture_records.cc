#include "agent/capture_records.h"

#include <algorithm>
#include <limits>

#include "base/time_format.h"
#include "tacet/platform/permissions.h"

namespace tacet::agent {

Status AccessLogExportSection::WriteEntries(JsonWriter& out) {
  TACET_ASSIGN_OR_RETURN(auto entries,
                         gate::ReadAccessLog(db_, std::numeric_limits<int64_t>::min(),
                                             std::numeric_limits<int64_t>::max()));
  for (const gate::AccessLogEntry& e : entries) {
    TACET_RETURN_IF_ERROR(out.BeginObject());
    TACET_RETURN_IF_ERROR(out.Member("id", e.id));
    TACET_RETURN_IF_ERROR(out.Member("kind", gate::CaptureKindName(e.kind)));
    TACET_RETURN_IF_ERROR(out.Member("purpose", e.purpose_id));
    if (e.kind == gate::CaptureKind::kLocation) {
      TACET_RETURN_IF_ERROR(out.Member("requested_precision",
                                       platform::LocationPrecisionName(e.requested_precision)));
      TACET_RETURN_IF_ERROR(out.Member("delivered_precision",
                                       platform::LocationPrecisionName(e.delivered_precision)));
    }
    TACET_ASSIGN_OR_RETURN(std::string started, FormatRfc3339Utc(e.started_unix_ms));
    TACET_RETURN_IF_ERROR(out.Member("started", started));
    TACET_RETURN_IF_ERROR(out.Key("ended"));
    if (e.ended) {
      TACET_ASSIGN_OR_RETURN(std::string ended, FormatRfc3339Utc(e.ended_unix_ms));
      TACET_RETURN_IF_ERROR(out.String(ended));
    } else {
      TACET_RETURN_IF_ERROR(out.Null());
    }
    TACET_RETURN_IF_ERROR(out.Member("frames", e.frames));
    TACET_RETURN_IF_ERROR(out.Member("audio_ms", e.audio_ms));
    TACET_RETURN_IF_ERROR(out.Member("fixes", e.fixes));
    TACET_RETURN_IF_ERROR(out.Member("outcome", gate::CaptureOutcomeName(e.outcome)));
    TACET_RETURN_IF_ERROR(out.Member("reason", gate::DenialReasonName(e.reason)));
    TACET_RETURN_IF_ERROR(out.EndObject());
  }
  return OkStatus();
}

StatusOr<std::vector<report::CaptureInterval>> CaptureIntervals(store::Database& db,
                                                                int64_t from_unix_ms,
                                                                int64_t to_unix_ms) {
  TACET_ASSIGN_OR_RETURN(auto entries, gate::ReadAccessLog(db, from_unix_ms, to_unix_ms));
  std::vector<report::CaptureInterval> out;
  out.reserve(entries.size());
  for (const gate::AccessLogEntry& e : entries) {
    if (e.outcome == gate::CaptureOutcome::kDenied) continue;
    report::CaptureInterval c;
    c.kind = e.kind == gate::CaptureKind::kVoice ? report::CaptureKind::kMicrophone
                                                 : report::CaptureKind::kLocation;
    c.start_unix_ms = e.started_unix_ms;
    c.end_unix_ms = std::max(e.started_unix_ms, e.ended ? e.ended_unix_ms : to_unix_ms);
    c.feature = e.purpose_id;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace tacet::agent
