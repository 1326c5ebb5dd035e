// The C API: recording events (Agent::Record) and the outbox's counts.
#include <cstring>
#include <string>
#include <vector>

#include "capi/capi_agent.h"
#include "capi/capi_internal.h"
#include "outbox/outbox.h"

using tacet::Status;
using tacet::capi::CheckAgent;
using tacet::capi::CheckBuffer;
using tacet::capi::CheckId;
using tacet::capi::CheckOut;
using tacet::capi::Run;

static_assert(TACET_MAX_EVENT_FIELDS == tacet::outbox::kMaxFieldsPerEvent, "one limit");
static_assert(TACET_MAX_EVENT_VALUE == tacet::outbox::kMaxValueBytes, "one limit");

tacet_status tacet_record(tacet_agent_t* agent, const char* purpose,
                          const tacet_event_field* fields, size_t field_count,
                          int64_t occurred_unix_ms, uint32_t flags, int64_t* out_event_id,
                          int* out_held) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    std::string_view p;
    TACET_RETURN_IF_ERROR(CheckId(purpose, "purpose", &p));
    if ((flags & ~TACET_RECORD_HOLD_IF_UNDECIDED) != 0) {
      return tacet::InvalidArgumentError("flags has unknown bits " + std::to_string(flags));
    }
    if (field_count == 0 || field_count > TACET_MAX_EVENT_FIELDS) {
      return tacet::InvalidArgumentError("field_count is " + std::to_string(field_count) +
                                         ", not 1.." + std::to_string(TACET_MAX_EVENT_FIELDS));
    }
    TACET_RETURN_IF_ERROR(CheckBuffer(fields, field_count, "fields"));
    tacet::outbox::Event event;
    event.purpose = std::string(p);
    event.occurred_unix_ms = occurred_unix_ms;
    event.fields.reserve(field_count);
    for (size_t i = 0; i < field_count; ++i) {
      const std::string what = "fields[" + std::to_string(i) + "]";
      std::string_view key;
      TACET_RETURN_IF_ERROR(CheckId(fields[i].key, (what + ".key").c_str(), &key));
      if (fields[i].value_len > TACET_MAX_EVENT_VALUE) {
        return tacet::InvalidArgumentError(what + ".value_len is " +
                                           std::to_string(fields[i].value_len) + ", over " +
                                           std::to_string(TACET_MAX_EVENT_VALUE));
      }
      TACET_RETURN_IF_ERROR(
          CheckBuffer(fields[i].value, fields[i].value_len, (what + ".value").c_str()));
      event.fields.push_back(
          {std::string(key), fields[i].value_len == 0
                                 ? std::string()
                                 : std::string(fields[i].value, fields[i].value_len)});
    }
    TACET_ASSIGN_OR_RETURN(
        tacet::agent::RecordResult r,
        agent->core->Record(event, (flags & TACET_RECORD_HOLD_IF_UNDECIDED) != 0));
    if (out_event_id != nullptr) *out_event_id = r.id;
    if (out_held != nullptr) *out_held = r.held ? 1 : 0;
    return tacet::OkStatus();
  });
}

tacet_status tacet_record_counts_get(tacet_agent_t* agent, tacet_record_counts* out_counts) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(CheckOut(out_counts, "out_counts"));
    TACET_ASSIGN_OR_RETURN(tacet::outbox::OutboxCounts c, agent->core->RecordCounts());
    out_counts->queued = c.queued;
    out_counts->held = c.held;
    out_counts->refused = c.refused;
    out_counts->evicted = c.evicted;
    out_counts->purged_by_consent = c.purged_by_consent;
    out_counts->released = c.released;
    out_counts->erased = c.erased;
    return tacet::OkStatus();
  });
}
