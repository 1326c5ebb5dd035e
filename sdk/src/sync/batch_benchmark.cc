// Bytes on the wire per event (issue 10's figure: at most 0.3x a plain JSON encoding of the same
// events). A speaker's hour of listening as the music-industry partners get it: 500 plays of 60
// tracks, each play an event with the track, the device class and a pseudonymised account field.
//   BM_WireBatchEncode   EncodeBatch; counters: bytes_per_event, json_bytes_per_event, ratio
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "sync/batch.h"

namespace tacet::sync {
namespace {

Batch ListeningHour() {
  Batch b;
  b.batch_id = Bytes(kBatchIdSize, 7);
  b.recipient = "music_industry_partners";
  b.policy_id = "streaming_service";
  b.policy_version = 1;
  b.subject = Bytes(16, 9);
  for (int i = 0; i < 500; ++i) {
    minimise::MinimisedEvent e;
    e.purpose = "content_performance_reporting";
    e.time_s = 1'700'000'000 - 1'700'000'000 % 3600;
    char track[64];
    std::snprintf(track, sizeof track, "spotify:track:%022d", (i * 7) % 60);
    e.fields = {{"usage.listening_history", track, policy::Transform::kNone},
                {"usage.device_information", "smart speaker, firmware 2.4", policy::Transform::kNone},
                {"contact.email_address", "5f2b9c0e1d7a43b8a6c4e2f1d0b9a8c7", policy::Transform::kPseudonymise}};
    b.events.push_back(std::move(e));
  }
  return b;
}

void BM_WireBatchEncode(benchmark::State& state) {
  const Batch batch = ListeningHour();
  size_t bytes = 0;
  for (auto _ : state) {
    auto wire = EncodeBatch(batch);
    if (!wire.ok()) {
      state.SkipWithError(wire.status().ToString().c_str());
      return;
    }
    bytes = wire->size();
    benchmark::DoNotOptimize(wire->data());
  }
  const double n = static_cast<double>(batch.events.size());
  const double json = static_cast<double>(BatchAsJson(batch).size());
  state.counters["bytes_per_event"] = static_cast<double>(bytes) / n;
  state.counters["json_bytes_per_event"] = json / n;
  state.counters["ratio"] = static_cast<double>(bytes) / json;
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch.events.size()));
}
BENCHMARK(BM_WireBatchEncode)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tacet::sync
