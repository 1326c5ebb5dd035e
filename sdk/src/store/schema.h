// A table layout as a list of stepwise migrations, applied by Database::Open.
#ifndef TACET_STORE_SCHEMA_H_
#define TACET_STORE_SCHEMA_H_

#include <vector>

#include "base/status.h"

namespace tacet::store {

class Database;

// One step from version `to_version - 1` to `to_version`. Exactly one of `sql` (one or more
// statements, run with Database::Exec) and `apply` (for steps that need code, e.g. rewriting rows
// with prepared statements) is set. Both run inside the migration transaction that Open holds:
// `apply` must not begin or commit a transaction of its own. All strings are static storage.
struct Migration {
  int to_version;
  const char* description;
  const char* sql = nullptr;
  Status (*apply)(Database&) = nullptr;
};

// A module's (or the device database's) schema: `migrations[i].to_version` must be i + 1, so the
// latest version is migrations.size(). Checked by ValidateSchema on every open. A published step
// never changes: new layouts are new steps.
struct Schema {
  const char* name;
  std::vector<Migration> migrations;

  int latest_version() const { return static_cast<int>(migrations.size()); }
};

// OK, or kInternal naming the schema and the first bad step (a gap, a repeat, a step with both
// or neither of sql/apply, a missing name or description). Pure; thread-safe.
Status ValidateSchema(const Schema& schema);

}  // namespace tacet::store

#endif  // TACET_STORE_SCHEMA_H_
