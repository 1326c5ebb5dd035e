// The C API: recording events (Agent::Record) and the outbox's counts.
#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "capi/capi_agent.h"
#include "capi/capi_internal.h"
#include "outbox/outbox.h"

using tacet::Status;
using tacet::capi::Block;
using tacet::capi::CheckAgent;
using tacet::capi::CheckBuffer;
using tacet::capi::CheckId;
using tacet::capi::CheckOut;
using tacet::capi::Run;

static_assert(TACET_MAX_EVENT_FIELDS == tacet::outbox::kMaxFieldsPerEvent, "one limit");
static_assert(TACET_MAX_EVENT_VALUE == tacet::outbox::kMaxValueBytes, "one limit");

namespace {

// The C event as an outbox::Event; kInvalidArgument naming what is wrong (`what` prefixes it).
Status ToEvent(const char* purpose, const tacet_event_field* fields, size_t field_count,
               int64_t occurred_unix_ms, const std::string& what, tacet::outbox::Event* event) {
  std::string_view p;
  TACET_RETURN_IF_ERROR(CheckId(purpose, (what + "purpose").c_str(), &p));
  if (field_count == 0 || field_count > TACET_MAX_EVENT_FIELDS) {
    return tacet::InvalidArgumentError(what + "field_count is " + std::to_string(field_count) +
                                       ", not 1.." + std::to_string(TACET_MAX_EVENT_FIELDS));
  }
  TACET_RETURN_IF_ERROR(CheckBuffer(fields, field_count, (what + "fields").c_str()));
  event->purpose = std::string(p);
  event->occurred_unix_ms = occurred_unix_ms;
  event->fields.clear();
  event->fields.reserve(field_count);
  for (size_t i = 0; i < field_count; ++i) {
    const std::string field = what + "fields[" + std::to_string(i) + "]";
    std::string_view key;
    TACET_RETURN_IF_ERROR(CheckId(fields[i].key, (field + ".key").c_str(), &key));
    if (fields[i].value_len > TACET_MAX_EVENT_VALUE) {
      return tacet::InvalidArgumentError(field + ".value_len is " +
                                         std::to_string(fields[i].value_len) + ", over " +
                                         std::to_string(TACET_MAX_EVENT_VALUE));
    }
    TACET_RETURN_IF_ERROR(
        CheckBuffer(fields[i].value, fields[i].value_len, (field + ".value").c_str()));
    event->fields.push_back(
        {std::string(key), fields[i].value_len == 0
                               ? std::string()
                               : std::string(fields[i].value, fields[i].value_len)});
  }
  return tacet::OkStatus();
}

Status CheckFlags(uint32_t flags) {
  if ((flags & ~TACET_RECORD_HOLD_IF_UNDECIDED) != 0) {
    return tacet::InvalidArgumentError("flags has unknown bits " + std::to_string(flags));
  }
  return tacet::OkStatus();
}

}  // namespace

tacet_status tacet_record(tacet_agent_t* agent, const char* purpose,
                          const tacet_event_field* fields, size_t field_count,
                          int64_t occurred_unix_ms, uint32_t flags, int64_t* out_event_id,
                          int* out_held) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(CheckFlags(flags));
    tacet::outbox::Event event;
    TACET_RETURN_IF_ERROR(ToEvent(purpose, fields, field_count, occurred_unix_ms, "", &event));
    TACET_ASSIGN_OR_RETURN(
        tacet::agent::RecordResult r,
        agent->core->Record(event, (flags & TACET_RECORD_HOLD_IF_UNDECIDED) != 0));
    if (out_event_id != nullptr) *out_event_id = r.id;
    if (out_held != nullptr) *out_held = r.held ? 1 : 0;
    return tacet::OkStatus();
  });
}

tacet_status tacet_record_batch(tacet_agent_t* agent, const tacet_event* events, size_t count,
                                uint32_t flags, tacet_record_outcome* out_outcomes) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(CheckFlags(flags));
    if (count == 0 || count > TACET_MAX_RECORD_BATCH) {
      return tacet::InvalidArgumentError("count is " + std::to_string(count) + ", not 1.." +
                                         std::to_string(TACET_MAX_RECORD_BATCH));
    }
    TACET_RETURN_IF_ERROR(CheckBuffer(events, count, "events"));
    TACET_RETURN_IF_ERROR(CheckBuffer(out_outcomes, count, "out_outcomes"));
    // An event whose arguments are malformed gets its own outcome; the others go on.
    std::vector<tacet::outbox::Event> converted;
    std::vector<size_t> index;  // position in `events` of each converted event
    std::vector<Status> bad(count);
    converted.reserve(count);
    index.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      tacet::outbox::Event event;
      const std::string what = "events[" + std::to_string(i) + "].";
      bad[i] = ToEvent(events[i].purpose, events[i].fields, events[i].field_count,
                       events[i].occurred_unix_ms, what, &event);
      if (!bad[i].ok()) continue;
      converted.push_back(std::move(event));
      index.push_back(i);
    }
    TACET_ASSIGN_OR_RETURN(
        std::vector<tacet::agent::RecordOutcome> outcomes,
        agent->core->RecordBatch(converted, (flags & TACET_RECORD_HOLD_IF_UNDECIDED) != 0));
    for (size_t i = 0; i < count; ++i) {
      out_outcomes[i] = tacet_record_outcome{bad[i].c_code(), 0, 0};
    }
    for (size_t k = 0; k < outcomes.size(); ++k) {
      tacet_record_outcome& o = out_outcomes[index[k]];
      o.status = outcomes[k].status.c_code();
      o.event_id = outcomes[k].status.ok() ? outcomes[k].id : 0;
      o.held = outcomes[k].status.ok() && outcomes[k].held ? 1 : 0;
    }
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

namespace {

// Writes `value` into the caller's struct at `member` only when the member fits in its
// struct_size (a caller built against an older header has a shorter struct).
void PutIfFits(tacet_record_counts2* out, uint32_t size, int64_t tacet_record_counts2::*member,
               int64_t value) {
  int64_t* field = &(out->*member);
  const size_t end = static_cast<size_t>(reinterpret_cast<const char*>(field + 1) -
                                         reinterpret_cast<const char*>(out));
  if (end <= size) std::memcpy(field, &value, sizeof value);
}

}  // namespace

tacet_status tacet_record_counts2_get(tacet_agent_t* agent, tacet_record_counts2* out_counts) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(CheckOut(out_counts, "out_counts"));
    const uint32_t size = out_counts->struct_size;
    if (size < TACET_RECORD_COUNTS2_V1_SIZE) {
      return tacet::InvalidArgumentError(
          "out_counts->struct_size is " + std::to_string(size) +
          ", less than TACET_RECORD_COUNTS2_V1_SIZE = " +
          std::to_string(TACET_RECORD_COUNTS2_V1_SIZE) + " (set it to sizeof(tacet_record_counts2))");
    }
    TACET_ASSIGN_OR_RETURN(tacet::outbox::OutboxCounts c, agent->core->RecordCounts());
    using C = tacet_record_counts2;
    const std::pair<int64_t C::*, int64_t> fields[] = {
        {&C::queued, c.queued},
        {&C::held, c.held},
        {&C::refused, c.refused},
        {&C::evicted, c.evicted},
        {&C::purged_by_consent, c.purged_by_consent},
        {&C::released, c.released},
        {&C::erased, c.erased},
        {&C::expired, c.expired},
        {&C::quarantined, c.quarantined},
    };
    for (const auto& [member, value] : fields) PutIfFits(out_counts, size, member, value);
    out_counts->struct_size =
        static_cast<uint32_t>(std::min<size_t>(size, sizeof(tacet_record_counts2)));
    return tacet::OkStatus();
  });
}

tacet_status tacet_record_refusals_get(tacet_agent_t* agent, tacet_record_refusal_list** out_list) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    TACET_RETURN_IF_ERROR(CheckOut(out_list, "out_list"));
    TACET_ASSIGN_OR_RETURN(tacet::outbox::OutboxCounts c, agent->core->RecordCounts());
    const std::map<std::string, int64_t>& by_reason = c.refused_by_reason;
    Block block;
    const size_t head =
        block.Reserve(sizeof(tacet_record_refusal_list), alignof(tacet_record_refusal_list));
    const size_t array =
        block.Reserve(sizeof(tacet_record_refusal) * by_reason.size(), alignof(tacet_record_refusal));
    for (const auto& entry : by_reason) block.CountText(entry.first);
    if (!block.Allocate()) return tacet::capi::OutOfMemory();
    auto* items = block.At<tacet_record_refusal>(array);
    size_t i = 0;
    for (const auto& [reason, count] : by_reason) {
      items[i].reason = block.PutText(reason);
      items[i].count = count;
      ++i;
    }
    auto* list = block.At<tacet_record_refusal_list>(head);
    list->count = by_reason.size();
    list->items = by_reason.empty() ? nullptr : items;
    *out_list = static_cast<tacet_record_refusal_list*>(block.Release());
    return tacet::OkStatus();
  });
}
