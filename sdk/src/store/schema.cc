#include "store/schema.h"

#include <string>

namespace tacet::store {

Status ValidateSchema(const Schema& schema) {
  const std::string name = schema.name != nullptr ? schema.name : "";
  if (name.empty()) return InternalError("schema has no name");
  for (size_t i = 0; i < schema.migrations.size(); ++i) {
    const Migration& m = schema.migrations[i];
    const std::string where = "schema '" + name + "' migration #" + std::to_string(i + 1);
    if (m.to_version != static_cast<int>(i) + 1) {
      return InternalError(where + " has to_version " + std::to_string(m.to_version) +
                           ", expected " + std::to_string(i + 1) +
                           " (versions must run 1..N without gaps)");
    }
    if (m.description == nullptr || *m.description == '\0') {
      return InternalError(where + " has no description");
    }
    if ((m.sql == nullptr) == (m.apply == nullptr)) {
      return InternalError(where + " must set exactly one of sql and apply");
    }
  }
  return OkStatus();
}

}  // namespace tacet::store
