// Recording through the Agent, and opening an Agent whose outbox is full (issue 10's figures).
//   BM_Record                 Agent::Record of one usage event (the collection decision, the seal,
//                             one transaction) on the posix platform, per event
//   BM_RecordBatch            Agent::RecordBatch of 1,000 such events per call (one decision per
//                             event, one transaction for the lot), per event
//   BM_RawSqliteInsert        the baseline: the same row bytes (purpose, categories, times, a
//                             blob of the sealed size) inserted with plain SQLite, many rows in
//                             one transaction, per row
//   BM_RawSqliteInsertOutboxSchema
//                             not a baseline of the issue: the same inserts with plain SQLite into
//                             the outbox's own table (its migrations: AUTOINCREMENT, CHECKs, four
//                             indexes), 1,000 per transaction; what the schema alone costs, so
//                             that BM_RecordBatch's distance to it is what the recorder adds
//   BM_AgentOpenClose_100kQueuedEvents
//                             Agent::Open + Close on a folder whose outbox holds 100,000 events
//   BM_AgentOpen_100kQueuedEvents, BM_AgentOpen_EmptyOutbox
//                             Agent::Open alone (the close is outside the timing) on that folder
//                             and, as the baseline, on a device with the same policy and an empty
//                             outbox: what 100,000 queued events add to the open
// Folders live under $TMPDIR (or /tmp) and are removed at exit.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "outbox/outbox.h"
#include "posix/posix_services.h"

namespace tacet::agent {
namespace {

constexpr int kQueued = 100000;

using Services = platform::PosixServices;

std::string MakeTempDir(const char* name) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/" + name + "-XXXXXX";
  return mkdtemp(pattern.data()) == nullptr ? std::string() : pattern;
}

outbox::Event PlayEvent(int i) {
  outbox::Event e;
  e.purpose = "analytics";  // a legitimate interest, allowed until the user objects
  char value[64];
  std::snprintf(value, sizeof value, "play track %06d from playlist 12", i % 1000);
  e.fields = {{"usage.interaction_events", value}, {"usage.device_information", "speaker v2"}};
  e.occurred_unix_ms = 1'700'000'000'000 + i;
  return e;
}

AgentOptions OptionsIn(const std::string& dir) {
  AgentOptions options;
  options.data_dir = dir + "/device";
  options.sweep_interval_ms = 24LL * 3600 * 1000;
  return options;
}

void BM_Record(benchmark::State& state) {
  const std::string dir = MakeTempDir("tacet-record-bench");
  Services s;
  auto agent = Agent::Open(OptionsIn(dir), s.platform());
  if (!agent.ok()) {
    state.SkipWithError(agent.status().ToString().c_str());
    return;
  }
  int i = 0;
  for (auto _ : state) {
    auto recorded = (*agent)->Record(PlayEvent(i++));
    if (!recorded.ok()) {
      state.SkipWithError(recorded.status().ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  (void)(*agent)->Close();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Record)->Unit(benchmark::kMicrosecond);

constexpr int kBatch = 1000;

void BM_RecordBatch(benchmark::State& state) {
  const std::string dir = MakeTempDir("tacet-record-batch-bench");
  Services s;
  auto agent = Agent::Open(OptionsIn(dir), s.platform());
  if (!agent.ok()) {
    state.SkipWithError(agent.status().ToString().c_str());
    return;
  }
  std::vector<outbox::Event> events;
  events.reserve(kBatch);
  int i = 0;
  for (auto _ : state) {
    state.PauseTiming();
    events.clear();
    for (int k = 0; k < kBatch; ++k) events.push_back(PlayEvent(i++));
    state.ResumeTiming();
    auto recorded = (*agent)->RecordBatch(events);
    if (!recorded.ok() || !(*recorded)[0].status.ok()) {
      state.SkipWithError(!recorded.ok() ? recorded.status().ToString().c_str() : "refused");
      break;
    }
  }
  // The time is per call (1,000 events): scripts/bench_ratios.py divides it by 1,000 to compare
  // per event with the baseline's per row; items/s is events per second.
  state.SetItemsProcessed(state.iterations() * kBatch);
  (void)(*agent)->Close();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RecordBatch)->Unit(benchmark::kMicrosecond);

// Inserts PlayEvent-sized rows with plain SQLite after `schema_sql`, 1,000 per transaction.
void RawInserts(benchmark::State& state, const std::vector<const char*>& schema_sql,
                const char* insert_sql) {
  const std::string dir = MakeTempDir("tacet-raw-bench");
  sqlite3* db = nullptr;
  if (sqlite3_open((dir + "/raw.db").c_str(), &db) != SQLITE_OK) {
    state.SkipWithError("sqlite3_open failed");
    return;
  }
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr,
               nullptr);
  for (const char* sql : schema_sql) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      state.SkipWithError(sqlite3_errmsg(db));
      sqlite3_close(db);
      return;
    }
  }
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, insert_sql, -1, &insert, nullptr);
  // The sealed size of PlayEvent: 4 + (4 + 24 + 4 + 35) + (4 + 24 + 4 + 10) fields + 16 tag.
  const std::string sealed(133, 'x');
  const std::string nonce(12, 'n');
  constexpr int kPerTransaction = 1000;
  int n = 0;
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  for (auto _ : state) {
    sqlite3_bind_text(insert, 1, "analytics", -1, SQLITE_STATIC);
    sqlite3_bind_text(insert, 2, ",usage,", -1, SQLITE_STATIC);
    sqlite3_bind_int64(insert, 3, 1'700'000'000'000 + n);
    sqlite3_bind_int64(insert, 4, 1'700'000'000'000 + n);
    sqlite3_bind_blob(insert, 5, nonce.data(), static_cast<int>(nonce.size()), SQLITE_STATIC);
    sqlite3_bind_blob(insert, 6, sealed.data(), static_cast<int>(sealed.size()), SQLITE_STATIC);
    sqlite3_step(insert);
    sqlite3_reset(insert);
    if (++n % kPerTransaction == 0) {
      sqlite3_exec(db, "COMMIT; BEGIN", nullptr, nullptr, nullptr);
    }
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_finalize(insert);
  sqlite3_close(db);
  state.SetItemsProcessed(state.iterations());
  std::filesystem::remove_all(dir);
}

void BM_RawSqliteInsert(benchmark::State& state) {
  RawInserts(state,
             {"CREATE TABLE t (id INTEGER PRIMARY KEY, purpose TEXT, categories TEXT, "
              "state INTEGER, occurred INTEGER, recorded INTEGER, nonce BLOB, sealed BLOB)"},
             "INSERT INTO t (purpose, categories, state, occurred, recorded, nonce, sealed) "
             "VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6)");
}
BENCHMARK(BM_RawSqliteInsert)->Unit(benchmark::kMicrosecond);

void BM_RawSqliteInsertOutboxSchema(benchmark::State& state) {
  std::vector<const char*> schema;
  for (const store::Migration& m : outbox::OutboxMigrations()) {
    if (m.sql == nullptr) {
      state.SkipWithError("an outbox migration step is code, not SQL");
      return;
    }
    schema.push_back(m.sql);
  }
  RawInserts(state, schema,
             "INSERT INTO outbox_events (purpose, categories, state, occurred_unix_ms, "
             "recorded_unix_ms, nonce, sealed) VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6)");
}
BENCHMARK(BM_RawSqliteInsertOutboxSchema)->Unit(benchmark::kMicrosecond);

class QueuedDevice {
 public:
  // Destroyed at exit, which removes its folder (a leaked one left 30 MB in $TMPDIR per run).
  static QueuedDevice& Get() {
    static QueuedDevice device;
    return device;
  }
  const std::string& dir() const { return dir_; }
  const std::string& error() const { return error_; }
  ~QueuedDevice() { std::filesystem::remove_all(dir_); }

 private:
  QueuedDevice() : dir_(MakeTempDir("tacet-queued-bench")) {
    Services s;
    auto agent = Agent::Open(OptionsIn(dir_), s.platform());
    if (!agent.ok()) {
      error_ = agent.status().ToString();
      return;
    }
    for (int i = 0; i < kQueued; ++i) {
      auto recorded = (*agent)->Record(PlayEvent(i));
      if (!recorded.ok()) {
        error_ = recorded.status().ToString();
        return;
      }
    }
    const Status closed = (*agent)->Close();
    if (!closed.ok()) error_ = closed.ToString();
  }
  std::string dir_;
  std::string error_;
};

void BM_AgentOpenClose_100kQueuedEvents(benchmark::State& state) {
  QueuedDevice& device = QueuedDevice::Get();
  if (!device.error().empty()) {
    state.SkipWithError(device.error().c_str());
    return;
  }
  Services s;
  for (auto _ : state) {
    auto agent = Agent::Open(OptionsIn(device.dir()), s.platform());
    if (!agent.ok() || !(*agent)->Close().ok()) {
      state.SkipWithError("open or close failed");
      return;
    }
  }
  state.counters["queued"] = kQueued;
}
BENCHMARK(BM_AgentOpenClose_100kQueuedEvents)->Unit(benchmark::kMillisecond);

// Open only: the close (a generation step, key-store writes) is not timed.
void OpenOnly(benchmark::State& state, const std::string& dir) {
  Services s;
  for (auto _ : state) {
    auto agent = Agent::Open(OptionsIn(dir), s.platform());
    state.PauseTiming();
    if (!agent.ok() || !(*agent)->Close().ok()) {
      state.SkipWithError("open or close failed");
      state.ResumeTiming();
      return;
    }
    agent->reset();
    state.ResumeTiming();
  }
}

void BM_AgentOpen_100kQueuedEvents(benchmark::State& state) {
  QueuedDevice& device = QueuedDevice::Get();
  if (!device.error().empty()) {
    state.SkipWithError(device.error().c_str());
    return;
  }
  OpenOnly(state, device.dir());
  state.counters["queued"] = kQueued;
}
BENCHMARK(BM_AgentOpen_100kQueuedEvents)->Unit(benchmark::kMillisecond);

void BM_AgentOpen_EmptyOutbox(benchmark::State& state) {
  const std::string dir = MakeTempDir("tacet-empty-bench");
  {
    Services s;
    auto agent = Agent::Open(OptionsIn(dir), s.platform());
    if (!agent.ok() || !(*agent)->Close().ok()) {
      state.SkipWithError("creating the device failed");
      return;
    }
  }
  OpenOnly(state, dir);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AgentOpen_EmptyOutbox)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tacet::agent
