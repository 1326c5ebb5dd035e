// The right of access: everything Tacet keeps about the user as one JSON document, streamed.
// Format: docs/export.md, JSON Schema: docs/export.schema.json ("format": "tacet-export",
// "version": 1).
#ifndef TACET_VAULT_EXPORT_H_
#define TACET_VAULT_EXPORT_H_

#include <cstdint>

#include "audit/audit_log.h"
#include "base/json_writer.h"
#include "base/status.h"
#include "consent/consent_ledger.h"
#include "tacet/platform/clock.h"
#include "vault/vault.h"

namespace tacet::vault {

inline constexpr int kExportVersion = 1;

// A section another module fills in: the capture access log (gates) and the disclosures (sync).
// WriteEntries writes zero or more JSON values (one per entry) into the open array; it is called
// on the exporting thread and should stream rather than collect.
class ExportSection {
 public:
  virtual ~ExportSection() = default;
  virtual Status WriteEntries(JsonWriter& out) = 0;
};

// Where the export reads from. Non-owning; vault, audit and clock are required, the rest may be
// null, in which case the section is written with "available": false and a note saying which
// module fills it in.
struct ExportSources {
  Vault* vault = nullptr;
  audit::AuditLog* audit = nullptr;
  platform::Clock* clock = nullptr;
  consent::ConsentLedger* ledger = nullptr;
  ExportSection* access_log = nullptr;
  ExportSection* disclosures = nullptr;
};

struct ExportSummary {
  int64_t records = 0;
  int64_t history_entries = 0;
};

// Streams the export to `sink`, one record in memory at a time (the writer buffers 8 KiB). Reads
// inside one transaction on the vault's Database, so the document is a consistent picture, and
// appends the kExport audit entry in it: an export that fails part-way (sink error, data loss)
// leaves no audit entry and returns the error. The caller owns the sink and whatever it wrote.
// Thread-safety: as for the Vault (its thread).
StatusOr<ExportSummary> WriteExport(const ExportSources& sources, store::Database& db,
                                    ByteSink& sink);

}  // namespace tacet::vault

#endif  // TACET_VAULT_EXPORT_H_
