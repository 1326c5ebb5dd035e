// The gates' access log as the export and the privacy report read it.
//
// The gates (sdk/src/gate) record every microphone and location capture, and every refusal, in
// gate_access_log. The export (sdk/src/vault/export.h) and the report (sdk/src/report) know nothing
// of the gates; these adapters, in the agent that wires the modules together, hand the log to them.
#ifndef TACET_AGENT_CAPTURE_RECORDS_H_
#define TACET_AGENT_CAPTURE_RECORDS_H_

#include <cstdint>
#include <vector>

#include "base/json_writer.h"
#include "base/status.h"
#include "gate/access_log.h"
#include "report/privacy_report.h"
#include "vault/export.h"

namespace tacet::agent {

// Writes one JSON object per access-log row into the export's "access_log" section: id, kind,
// purpose, requested and delivered precision, start and end (RFC 3339), frames, audio_ms, fixes,
// outcome and reason. Never audio or coordinates: the log holds neither. Reads the device database
// `db` (non-owning; must outlive the section) with gate::ReadAccessLog, on the exporting thread,
// inside the export's transaction when it is the export's database.
class AccessLogExportSection final : public vault::ExportSection {
 public:
  explicit AccessLogExportSection(store::Database& db) : db_(db) {}
  Status WriteEntries(JsonWriter& out) override;

 private:
  store::Database& db_;
};

// The captures that overlap [from, to] as the report's timeline draws them. Refusals are not
// captures (nothing was recorded) and are left out; a capture still open, or interrupted by a
// crash, ends at `to`.
StatusOr<std::vector<report::CaptureInterval>> CaptureIntervals(store::Database& db,
                                                                int64_t from_unix_ms,
                                                                int64_t to_unix_ms);

}  // namespace tacet::agent

#endif  // TACET_AGENT_CAPTURE_RECORDS_H_
