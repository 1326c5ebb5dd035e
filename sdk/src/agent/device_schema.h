// The device database's schema: every module's tables in the one SQLite file an agent opens.
//
// Each module publishes its own steps (ConsentMigrations(), AuditMigrations(), ...) numbered from
// 1 within the module. The device schema lists them once, in the order they were first shipped,
// as device versions 1..N. A module's later step is appended at the end of this list with the
// next device version, never inserted among the old ones, so a database migrated by one release
// is understood by the next.
#ifndef TACET_AGENT_DEVICE_SCHEMA_H_
#define TACET_AGENT_DEVICE_SCHEMA_H_

#include "store/schema.h"

namespace tacet::agent {

// Built once; valid for the life of the process. Thread-safe.
const store::Schema& DeviceSchema();

}  // namespace tacet::agent

#endif  // TACET_AGENT_DEVICE_SCHEMA_H_
