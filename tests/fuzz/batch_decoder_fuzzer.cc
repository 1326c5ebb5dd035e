// libFuzzer target for the wire batch decoder (sdk/src/sync/batch.h), the first thing the gateway
// runs on a batch it has opened. Invariants: a batch that decodes re-encodes, and the re-encoding
// decodes to the same events. Any crash, sanitizer report or broken invariant (abort) is a bug.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "sync/batch.h"

namespace {

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tacet::sync::DecodeBatch;
  using tacet::sync::EncodeBatch;
  auto batch = DecodeBatch(tacet::ByteView(data, size), 256 * 1024);
  if (!batch.ok()) return 0;
  auto again = EncodeBatch(*batch);
  // The encoder drops events without fields and refuses a bad batch id; the decoder accepts
  // neither, so what decodes must encode.
  bool has_empty = false;
  for (const auto& e : batch->events) has_empty = has_empty || e.fields.empty();
  if (has_empty) return 0;
  Check(again.ok(), "a decoded batch re-encodes");
  auto back = DecodeBatch(*again, 1 << 24);
  Check(back.ok(), "a re-encoded batch decodes");
  Check(back->events.size() == batch->events.size(), "same number of events");
  for (size_t i = 0; i < back->events.size(); ++i) {
    Check(back->events[i].purpose == batch->events[i].purpose, "same purpose");
    Check(back->events[i].time_s == batch->events[i].time_s, "same time");
    Check(back->events[i].fields.size() == batch->events[i].fields.size(), "same fields");
  }
  return 0;
}
