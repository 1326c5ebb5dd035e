// The policy schema's text (sdk/schema/policy.fbs), embedded in tacetctl at build time so that
// `policy show --json` and `policy compile` need no source tree.
#ifndef TACET_CLI_POLICY_SCHEMA_H_
#define TACET_CLI_POLICY_SCHEMA_H_

#include "base/bytes.h"

namespace tacet::cli {

// Static storage; valid for the life of the program.
ByteView PolicySchemaText();

}  // namespace tacet::cli

#endif  // TACET_CLI_POLICY_SCHEMA_H_
