// tacet::sync batches: the body of one upload, minimised events for one recipient in the compact
// wire form of sdk/schema/wire.fbs (docs/wire-format.md, "The batch"). The device encodes; the
// gateway (tacet-collector) decodes.
//
// Every string of a batch (purposes, field keys, values) is stored once and referred to by index;
// events and their fields are fixed-size structs. Decoding verifies the flatbuffer and every index
// and range before anything is read, under a caller's size cap.
#ifndef TACET_SYNC_BATCH_H_
#define TACET_SYNC_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "minimise/minimiser.h"

namespace tacet::sync {

inline constexpr size_t kBatchIdSize = 16;
// Hard limits of the format (indices are 16 and 32 bits wide).
inline constexpr size_t kMaxBatchStrings = 65535;
inline constexpr size_t kMaxBatchEvents = 1 << 20;

struct DeletionRequest {
  std::string category;
  int64_t requested_at_s = 0;
};

struct Batch {
  Bytes batch_id;  // kBatchIdSize random bytes
  std::string recipient;
  std::string policy_id;
  uint64_t policy_version = 0;
  Bytes subject;  // the device's pseudonym for this recipient and period
  uint32_t time_bucket_s = 3600;
  std::vector<minimise::MinimisedEvent> events;  // events with no fields are not encoded
  std::vector<DeletionRequest> deletions;
};

// The wire bytes of `batch`. kInvalidArgument naming the problem for a batch id of the wrong size,
// an event time before another's base (times must be >= 0), more strings or events than the format
// holds, or an unknown transform.
StatusOr<Bytes> EncodeBatch(const Batch& batch);

// Reads wire bytes (at most `max_bytes`, refused before parsing: kResourceExhausted). Verifies the
// flatbuffer (kInvalidArgument "not a batch" / "corrupt"), the batch id's size, a non-zero time
// bucket, a base time in [0, INT64_MAX - UINT32_MAX], and every string index, field range and form
// (kInvalidArgument naming the event); refuses a batch whose fields name more than 8 times
// `max_bytes` of text in total (kResourceExhausted: one long string named many times). The
// result owns its strings; whatever decodes, EncodeBatch accepts (batch_decoder_fuzzer checks it).
StatusOr<Batch> DecodeBatch(ByteView bytes, size_t max_bytes);

// The same events as plain JSON (one object per event with "purpose", "time" and a "fields" object),
// the baseline the wire format is measured against (issue 10: at most 0.3x its size).
std::string BatchAsJson(const Batch& batch);

}  // namespace tacet::sync

#endif  // TACET_SYNC_BATCH_H_
