// End-to-end events per second (issue 10's figures): from Agent::Record to the gateway's database,
// over loopback TLS.
//   BM_EndToEndEventsPerSecond   per iteration: Agent::Record of 1000 usage events (purpose
//                                analytics: two recipients, the controller and the group
//                                companies), then Agent::SyncNow until every batch is acknowledged
//                                (500 events a batch: 4 batches, each sealed with OHTTP, POSTed
//                                over a new TLS 1.2 connection to an in-process tacet-collector
//                                (examples/net HttpsServer + collector::Collector), opened, decoded
//                                and stored in its SQLite database, acknowledged, and deleted from
//                                the outbox with its sharing-log row). The device is on the posix
//                                platform (file key store, wall clock); both ends in $TMPDIR.
//   BM_EndToEndBaselinePlain     the same work without Tacet: the 1000 events' plain text
//                                inserted with plain SQLite in one transaction, then as many
//                                HTTPS POSTs as the real run sends batches (4, each on a new TLS
//                                connection, the same posix HttpsTransport and HttpsServer)
//                                carrying the events' plain JSON, each inserted by the server into
//                                its own SQLite table in one transaction per POST. No consent
//                                decision, sealing at rest, minimisation, OHTTP or acknowledgement.
// Counter events_per_s: recorded events (1000 an iteration) per second of wall time.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <future>
#include <vector>
#include <memory>
#include <string>

#include "agent/agent.h"
#include "collector.h"
#include "https_server.h"
#include "posix/https_transport.h"
#include "posix/posix_services.h"

namespace tacet::e2e {
namespace {

constexpr int kEventsPerIteration = 1000;
constexpr int kEventsPerBatch = 500;
constexpr int kRecipients = 2;  // analytics over usage: controller, group_companies

std::string MakeTempDir(const char* name) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/" + name + "-XXXXXX";
  return mkdtemp(pattern.data()) == nullptr ? std::string() : pattern;
}

std::string Interaction(int i) {
  char value[64];
  std::snprintf(value, sizeof value, "play track %06d from playlist 12", i % 1000);
  return value;
}

outbox::Event PlayEvent(int i) {
  outbox::Event e;
  e.purpose = "analytics";
  e.fields = {{"usage.interaction_events", Interaction(i)}, {"usage.device_information", "speaker v2"}};
  e.occurred_unix_ms = 1'700'000'000'000 + i;
  return e;
}

void BM_EndToEndEventsPerSecond(benchmark::State& state) {
  const std::string dir = MakeTempDir("tacet-e2e-bench");
  collector::CollectorOptions collector_options;
  auto gateway = collector::Collector::Open(dir + "/collector", collector_options);
  if (!gateway.ok()) {
    state.SkipWithError(gateway.status().ToString().c_str());
    return;
  }
  net::HttpsServerOptions server_options;
  server_options.cert_pem = (*gateway)->tls().cert_pem;
  server_options.key_pem = (*gateway)->tls().key_pem;
  collector::Collector* c = gateway->get();
  auto server = net::HttpsServer::Start(std::move(server_options),
                                        [c](const net::HttpRequest& r) { return c->Handle(r); });
  if (!server.ok()) {
    state.SkipWithError(server.status().ToString().c_str());
    return;
  }
  platform::PosixServices services;
  agent::AgentOptions options;
  options.data_dir = dir + "/device";
  options.sweep_interval_ms = 24LL * 3600 * 1000;
  options.sync.key_config = (*gateway)->key_config();
  options.sync.url = "https://127.0.0.1:" + std::to_string((*server)->port()) + collector::kGatewayPath;
  options.sync.spki_sha256_pins = {(*gateway)->tls().spki_sha256};
  options.sync.max_events_per_batch = kEventsPerBatch;
  auto agent = agent::Agent::Open(options, services.platform());
  if (!agent.ok()) {
    state.SkipWithError(agent.status().ToString().c_str());
    return;
  }
  int i = 0;
  int64_t batches = 0;
  for (auto _ : state) {
    for (int n = 0; n < kEventsPerIteration; ++n) {
      auto recorded = (*agent)->Record(PlayEvent(i++));
      if (!recorded.ok()) {
        state.SkipWithError(recorded.status().ToString().c_str());
        return;
      }
    }
    for (int round = 0;; ++round) {
      auto r = (*agent)->SyncNow();
      if (!r.ok() || round == 10 || r->batches_rejected != 0) {
        state.SkipWithError(r.ok() ? "not delivered after 10 rounds" : r.status().ToString().c_str());
        return;
      }
      batches += r->batches_acknowledged;
      if (r->batches_pending == 0) break;
    }
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kEventsPerIteration, benchmark::Counter::kIsRate);
  state.counters["batches_per_iter"] =
      benchmark::Counter(static_cast<double>(batches) / static_cast<double>(state.iterations()));
  (void)(*agent)->Close();
  agent->reset();
  (*server)->Stop();
  gateway->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_EndToEndEventsPerSecond)->Unit(benchmark::kMillisecond)->UseRealTime();

sqlite3* OpenRaw(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return nullptr;
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                   "CREATE TABLE t (id INTEGER PRIMARY KEY, purpose TEXT, occurred INTEGER, body TEXT)",
               nullptr, nullptr, nullptr);
  return db;
}

// Inserts rows[...] in one transaction.
void InsertAll(sqlite3* db, sqlite3_stmt* insert, const std::vector<std::string>& rows) {
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  int64_t t = 1'700'000'000'000;
  for (const std::string& row : rows) {
    sqlite3_bind_text(insert, 1, "analytics", -1, SQLITE_STATIC);
    sqlite3_bind_int64(insert, 2, t++);
    sqlite3_bind_text(insert, 3, row.data(), static_cast<int>(row.size()), SQLITE_STATIC);
    sqlite3_step(insert);
    sqlite3_reset(insert);
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
}

std::string EventJson(int i) {
  return "{\"purpose\":\"analytics\",\"time\":" + std::to_string(1'700'000'000'000 + i) +
         ",\"fields\":{\"usage.interaction_events\":\"" + Interaction(i) +
         "\",\"usage.device_information\":\"speaker v2\"}}";
}

void BM_EndToEndBaselinePlain(benchmark::State& state) {
  const std::string dir = MakeTempDir("tacet-e2e-base");
  sqlite3* device = OpenRaw(dir + "/device.db");
  sqlite3* server_db = OpenRaw(dir + "/server.db");
  if (device == nullptr || server_db == nullptr) {
    state.SkipWithError("sqlite3_open failed");
    return;
  }
  sqlite3_stmt* device_insert = nullptr;
  sqlite3_stmt* server_insert = nullptr;
  const char* sql = "INSERT INTO t (purpose, occurred, body) VALUES (?1, ?2, ?3)";
  sqlite3_prepare_v2(device, sql, -1, &device_insert, nullptr);
  sqlite3_prepare_v2(server_db, sql, -1, &server_insert, nullptr);
  auto creds = net::GenerateTestCredentials();
  if (!creds.ok()) {
    state.SkipWithError(creds.status().ToString().c_str());
    return;
  }
  net::HttpsServerOptions server_options;
  server_options.cert_pem = creds->cert_pem;
  server_options.key_pem = creds->key_pem;
  // The server splits the body into its events (one per line) and stores them.
  auto server = net::HttpsServer::Start(std::move(server_options), [&](const net::HttpRequest& r) {
    std::vector<std::string> rows;
    size_t start = 0;
    const std::string body(r.body.begin(), r.body.end());
    while (start < body.size()) {
      size_t end = body.find('\n', start);
      if (end == std::string::npos) end = body.size();
      rows.push_back(body.substr(start, end - start));
      start = end + 1;
    }
    InsertAll(server_db, server_insert, rows);  // one connection at a time: the client waits
    net::HttpResponse ok;
    ok.content_type = "text/plain";
    ok.body = Bytes{'o', 'k'};
    return ok;
  });
  if (!server.ok()) {
    state.SkipWithError(server.status().ToString().c_str());
    return;
  }
  platform::HttpsTransportOptions o;
  o.host = "127.0.0.1";
  o.port = (*server)->port();
  o.path = "/events";
  o.spki_sha256_pins = {creds->spki_sha256};
  auto transport = platform::HttpsTransport::Create(o);
  if (!transport.ok()) {
    state.SkipWithError(transport.status().ToString().c_str());
    return;
  }
  int i = 0;
  for (auto _ : state) {
    std::vector<std::string> rows;
    const int first = i;
    for (int n = 0; n < kEventsPerIteration; ++n) rows.push_back(EventJson(i++));
    InsertAll(device, device_insert, rows);
    for (int recipient = 0; recipient < kRecipients; ++recipient) {
      for (int b = 0; b < kEventsPerIteration / kEventsPerBatch; ++b) {
        std::string body;
        for (int n = 0; n < kEventsPerBatch; ++n) body += EventJson(first + b * kEventsPerBatch + n) + "\n";
        std::promise<platform::SendResult> answer;
        (*transport)->Send(platform::SendRequest{ByteView(reinterpret_cast<const uint8_t*>(body.data()), body.size()),
                                                 "application/json"},
                           [&](const platform::SendResult& r) { answer.set_value(r); });
        const platform::SendResult r = answer.get_future().get();
        if (r.outcome != platform::SendOutcome::kDelivered) {
          state.SkipWithError(r.detail.c_str());
          return;
        }
      }
    }
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kEventsPerIteration, benchmark::Counter::kIsRate);
  transport->reset();
  (*server)->Stop();
  sqlite3_finalize(device_insert);
  sqlite3_finalize(server_insert);
  sqlite3_close(device);
  sqlite3_close(server_db);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_EndToEndBaselinePlain)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace tacet::e2e
