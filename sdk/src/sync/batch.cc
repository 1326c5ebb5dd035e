#include "sync/batch.h"

#include <algorithm>
#include <limits>
#include <unordered_map>
#include <utility>

#include "wire_generated.h"

namespace tacet::sync {
namespace {

constexpr flatbuffers::uoffset_t kMaxVerifierDepth = 8;
constexpr flatbuffers::uoffset_t kMaxVerifierTables = 1 << 20;
constexpr uint64_t kMaxDecodedFactor = 8;
// The encoder's budget: far below flatbuffers' 2 GiB limit.
constexpr size_t kMaxEncodedBytes = 64u << 20;

// Strings of a batch, each once, in first-use order.
class Interner {
 public:
  StatusOr<uint32_t> Index(const std::string& s) {
    auto it = index_.find(s);
    if (it != index_.end()) return it->second;
    if (strings_.size() >= kMaxBatchStrings) {
      return InvalidArgumentError("batch: more than " + std::to_string(kMaxBatchStrings) +
                                  " distinct strings");
    }
    const auto i = static_cast<uint32_t>(strings_.size());
    strings_.push_back(s);
    index_.emplace(s, i);
    return i;
  }
  const std::vector<std::string>& strings() const { return strings_; }

 private:
  std::vector<std::string> strings_;
  std::unordered_map<std::string, uint32_t> index_;
};

StatusOr<wire::Form> FormOf(policy::Transform t) {
  switch (t) {
    case policy::Transform::kNone: return wire::Form::AsCollected;
    case policy::Transform::kCoarsen: return wire::Form::Coarsened;
    case policy::Transform::kPseudonymise: return wire::Form::Pseudonymised;
    case policy::Transform::kAggregate: return wire::Form::Aggregated;
    case policy::Transform::kDrop: break;
  }
  return InvalidArgumentError("batch: a dropped or unknown transform has no wire form");
}

StatusOr<policy::Transform> TransformOf(wire::Form f) {
  switch (f) {
    case wire::Form::AsCollected: return policy::Transform::kNone;
    case wire::Form::Coarsened: return policy::Transform::kCoarsen;
    case wire::Form::Pseudonymised: return policy::Transform::kPseudonymise;
    case wire::Form::Aggregated: return policy::Transform::kAggregate;
  }
  return InvalidArgumentError("batch: unknown field form " + std::to_string(static_cast<int>(f)));
}

std::string Str(const flatbuffers::String* s) { return s == nullptr ? std::string() : s->str(); }

void JsonString(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", c);
      out += esc;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

}  // namespace

StatusOr<Bytes> EncodeBatch(const Batch& batch) {
  if (batch.batch_id.size() != kBatchIdSize) {
    return InvalidArgumentError("batch: the batch id has " + std::to_string(batch.batch_id.size()) +
                                " bytes, not " + std::to_string(kBatchIdSize));
  }
  if (batch.time_bucket_s == 0) return InvalidArgumentError("batch: the time bucket is 0");
  std::vector<const minimise::MinimisedEvent*> events;
  for (const auto& e : batch.events) {
    if (!e.fields.empty()) events.push_back(&e);
  }
  if (events.size() > kMaxBatchEvents) {
    return InvalidArgumentError("batch: " + std::to_string(events.size()) + " events, over " +
                                std::to_string(kMaxBatchEvents));
  }
  int64_t base = 0;
  if (!events.empty()) {
    base = (*std::min_element(events.begin(), events.end(), [](auto* a, auto* b) {
             return a->time_s < b->time_s;
           }))->time_s;
  }
  Interner strings;
  std::vector<wire::Event> wire_events;
  std::vector<wire::FieldRef> wire_fields;
  wire_events.reserve(events.size());
  for (const minimise::MinimisedEvent* e : events) {
    const int64_t offset = e->time_s - base;
    if (offset > std::numeric_limits<uint32_t>::max()) {
      return InvalidArgumentError("batch: events span more than 136 years");
    }
    if (e->fields.size() > std::numeric_limits<uint16_t>::max()) {
      return InvalidArgumentError("batch: an event has more than 65535 fields");
    }
    TACET_ASSIGN_OR_RETURN(uint32_t purpose, strings.Index(e->purpose));
    wire_events.emplace_back(static_cast<uint32_t>(offset), static_cast<uint16_t>(purpose),
                             static_cast<uint32_t>(wire_fields.size()),
                             static_cast<uint16_t>(e->fields.size()));
    for (const minimise::MinimisedField& f : e->fields) {
      TACET_ASSIGN_OR_RETURN(uint32_t key, strings.Index(f.key));
      TACET_ASSIGN_OR_RETURN(uint32_t value, strings.Index(f.value));
      TACET_ASSIGN_OR_RETURN(wire::Form form, FormOf(f.form));
      wire_fields.emplace_back(static_cast<uint16_t>(key), form, value);
    }
  }
  size_t budget = 0;
  for (const std::string& str : strings.strings()) budget += str.size() + 8;
  budget += wire_events.size() * sizeof(wire::Event) + wire_fields.size() * sizeof(wire::FieldRef);
  if (budget > kMaxEncodedBytes) {
    return InvalidArgumentError("batch: about " + std::to_string(budget) + " bytes, over the " +
                                std::to_string(kMaxEncodedBytes) + "-byte limit of one batch");
  }
  if (base < 0) return InvalidArgumentError("batch: an event time is before 1970");
  flatbuffers::FlatBufferBuilder b(1024);
  std::vector<flatbuffers::Offset<flatbuffers::String>> string_offsets;
  string_offsets.reserve(strings.strings().size());
  for (const std::string& s : strings.strings()) string_offsets.push_back(b.CreateString(s));
  std::vector<flatbuffers::Offset<wire::DeletionRequest>> deletions;
  for (const DeletionRequest& d : batch.deletions) {
    deletions.push_back(wire::CreateDeletionRequest(b, b.CreateString(d.category), d.requested_at_s));
  }
  const auto root = wire::CreateBatch(
      b, b.CreateVector(batch.batch_id), b.CreateString(batch.recipient),
      b.CreateString(batch.policy_id), batch.policy_version, b.CreateVector(batch.subject), base,
      batch.time_bucket_s, b.CreateVector(string_offsets), b.CreateVectorOfStructs(wire_events),
      b.CreateVectorOfStructs(wire_fields), b.CreateVector(deletions));
  wire::FinishBatchBuffer(b, root);
  return Bytes(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

StatusOr<Batch> DecodeBatch(ByteView bytes, size_t max_bytes) {
  if (bytes.size() > max_bytes) {
    return ResourceExhaustedError("batch: " + std::to_string(bytes.size()) + " bytes, over the " +
                                  std::to_string(max_bytes) + "-byte limit");
  }
  if (bytes.size() < 8 || !wire::BatchBufferHasIdentifier(bytes.data())) {
    return InvalidArgumentError("batch: not a Tacet batch (no 'TWB1' identifier)");
  }
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), kMaxVerifierDepth, kMaxVerifierTables);
  if (!wire::VerifyBatchBuffer(verifier)) {
    return InvalidArgumentError("batch: corrupt or truncated flatbuffer");
  }
  const wire::Batch& w = *wire::GetBatch(bytes.data());
  Batch out;
  if (w.batch_id() == nullptr || w.batch_id()->size() != kBatchIdSize) {
    return InvalidArgumentError("batch: the batch id is missing or not 16 bytes");
  }
  out.batch_id.assign(w.batch_id()->begin(), w.batch_id()->end());
  out.recipient = Str(w.recipient());
  out.policy_id = Str(w.policy_id());
  out.policy_version = w.policy_version();
  if (w.subject() != nullptr) out.subject.assign(w.subject()->begin(), w.subject()->end());
  out.time_bucket_s = w.time_bucket_s();
  if (out.time_bucket_s == 0) return InvalidArgumentError("batch: the time bucket is 0");
  std::vector<std::string> strings;
  if (w.strings() != nullptr) {
    for (const flatbuffers::String* s : *w.strings()) strings.push_back(Str(s));
  }
  const size_t n_fields = w.fields() == nullptr ? 0 : w.fields()->size();
  // A field refers to a string by index, so a small batch could name one long string many times:
  // the decoded text is capped at kMaxDecodedFactor times the wire size.
  const uint64_t decoded_cap = static_cast<uint64_t>(max_bytes) * kMaxDecodedFactor;
  uint64_t decoded = 0;
  if (w.base_time_s() > std::numeric_limits<int64_t>::max() - std::numeric_limits<uint32_t>::max() ||
      w.base_time_s() < 0) {
    return InvalidArgumentError("batch: base time " + std::to_string(w.base_time_s()) +
                                " is out of range");
  }
  if (w.events() != nullptr) {
    size_t i = 0;
    for (const wire::Event* e : *w.events()) {
      const std::string where = "batch: event " + std::to_string(i++);
      if (e->purpose() >= strings.size()) return InvalidArgumentError(where + ": purpose index out of range");
      const uint64_t first = e->first_field(), count = e->field_count();
      if (first + count > n_fields) return InvalidArgumentError(where + ": its fields run past the list");
      minimise::MinimisedEvent m;
      m.purpose = strings[e->purpose()];
      m.time_s = w.base_time_s() + static_cast<int64_t>(e->time_offset_s());
      for (uint64_t f = first; f < first + count; ++f) {
        const wire::FieldRef* r = w.fields()->Get(static_cast<flatbuffers::uoffset_t>(f));
        if (r->key() >= strings.size() || r->value() >= strings.size()) {
          return InvalidArgumentError(where + ": a field index is out of range");
        }
        TACET_ASSIGN_OR_RETURN(policy::Transform form, TransformOf(r->form()));
        decoded += strings[r->key()].size() + strings[r->value()].size();
        if (decoded > decoded_cap) {
          return ResourceExhaustedError("batch: its fields name more than " +
                                        std::to_string(decoded_cap) + " bytes of text");
        }
        m.fields.push_back({strings[r->key()], strings[r->value()], form});
      }
      out.events.push_back(std::move(m));
    }
  }
  if (w.deletions() != nullptr) {
    for (const wire::DeletionRequest* d : *w.deletions()) {
      out.deletions.push_back({Str(d->category()), d->requested_at_s()});
    }
  }
  return out;
}

std::string BatchAsJson(const Batch& batch) {
  std::string out = "[";
  bool first = true;
  for (const minimise::MinimisedEvent& e : batch.events) {
    if (e.fields.empty()) continue;
    if (!first) out += ',';
    first = false;
    out += "{\"purpose\":";
    JsonString(out, e.purpose);
    out += ",\"time\":" + std::to_string(e.time_s) + ",\"fields\":{";
    for (size_t i = 0; i < e.fields.size(); ++i) {
      if (i > 0) out += ',';
      JsonString(out, e.fields[i].key);
      out += ':';
      JsonString(out, e.fields[i].value);
    }
    out += "}}";
  }
  return out + "]";
}

}  // namespace tacet::sync
