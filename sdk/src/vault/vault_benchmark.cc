// The vault against plain SQLite, in the same run on the same database file:
//   BM_VaultWrite/{n}        Vault::Add of an n-byte value (seal + insert + update, one txn)
//   BM_PlainSqliteInsert/{n} INSERT of the same n bytes in clear, one txn per row (kNormal)
//   BM_VaultRead/{n}         Vault::Get of an n-byte value (select + AES-256-GCM open)
//   BM_PlainSqliteSelect/{n} SELECT of the same n bytes by id
//   BM_Export/100000         WriteExport of 100,000 records of 200 bytes into a counting sink;
//                            counters: peak_heap_bytes (C++ heap growth during the export,
//                            via heap_counter_new.cc linked into tacet_bench), bytes_out.
// The vault runs on the posix platform (FileKeyStore, PosixClock, PosixEntropy) with the
// embedded policy and the real consent ledger and audit log, as tacetctl does.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>

#include "agent/device_schema.h"
#include "audit/audit_log.h"
#include "consent/consent_ledger.h"
#include "crypto/drbg.h"
#include "posix/file_key_store.h"
#include "posix/posix_clock.h"
#include "posix/posix_entropy.h"
#include "store/database.h"
#include "store/transaction.h"
#include "vault/consent_view.h"
#include "vault/export.h"
#include "testing/heap_counter.h"
#include "vault/vault.h"

namespace tacet::vault {
namespace {

// A vault in a fresh temporary directory, removed on destruction.
class BenchVault {
 public:
  BenchVault() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/tacet-vault-bench-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      status_ = UnavailableError("mkdtemp failed");
      return;
    }
    dir_ = tmpl;
    status_ = Open();
  }
  ~BenchVault() {
    vault_.reset();
    audit_.reset();
    view_.reset();
    ledger_.reset();
    db_.reset();
    keys_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  const Status& status() const { return status_; }
  Vault& vault() { return *vault_; }
  store::Database& db() { return *db_; }
  ExportSources sources() {
    ExportSources s;
    s.vault = vault_.get();
    s.audit = audit_.get();
    s.clock = &clock_;
    s.ledger = ledger_.get();
    return s;
  }

 private:
  Status Open() {
    TACET_ASSIGN_OR_RETURN(auto policy, policy::Policy::LoadEmbedded());
    TACET_ASSIGN_OR_RETURN(drbg_, crypto::Drbg::Create(entropy_, "vault benchmark"));
    TACET_ASSIGN_OR_RETURN(keys_, platform::FileKeyStore::Open(dir_ + "/keys"));
    store::OpenOptions options;
    options.schema = &agent::DeviceSchema();
    TACET_ASSIGN_OR_RETURN(db_, store::Database::Open(dir_ + "/device.db", options));
    TACET_ASSIGN_OR_RETURN(ledger_, consent::ConsentLedger::Open(*db_, policy, clock_, *keys_, *drbg_));
    view_ = std::make_unique<LedgerConsentView>(*ledger_);
    TACET_ASSIGN_OR_RETURN(audit_, audit::AuditLog::Open(*db_, clock_, *keys_, *drbg_));
    VaultDeps deps;
    deps.db = db_.get();
    deps.policy = policy;
    deps.consent = view_.get();
    deps.keys = keys_.get();
    deps.clock = &clock_;
    deps.drbg = drbg_.get();
    deps.audit = audit_.get();
    TACET_ASSIGN_OR_RETURN(vault_, Vault::Open(deps));
    // The baseline table: the same columns the vault keeps in clear, and the value in clear.
    return db_->Exec(
        "CREATE TABLE IF NOT EXISTS bench_plain(id INTEGER PRIMARY KEY, category TEXT NOT NULL, "
        "field TEXT NOT NULL, written_unix_ms INTEGER NOT NULL, source TEXT NOT NULL, "
        "value BLOB NOT NULL)");
  }

  std::string dir_;
  Status status_;
  platform::PosixClock clock_;
  platform::PosixEntropy entropy_;
  std::unique_ptr<crypto::Drbg> drbg_;
  std::unique_ptr<platform::FileKeyStore> keys_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<consent::ConsentLedger> ledger_;
  std::unique_ptr<LedgerConsentView> view_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<Vault> vault_;
};

// "usage.listening_history" is free text (up to 4096 code points), allowed by the contract-based
// provide_service purpose without any consent decision.
constexpr char kCategory[] = "usage";
constexpr char kField[] = "listening_history";

std::string Payload(int64_t n) { return std::string(static_cast<size_t>(n), 'v'); }

void BM_VaultWrite(benchmark::State& state) {
  BenchVault b;
  if (!b.status().ok()) return state.SkipWithError(b.status().ToString().c_str());
  const std::string value = Payload(state.range(0));
  for (auto _ : state) {
    StatusOr<int64_t> id = b.vault().Add(kCategory, kField, value, ChangeSource::kApp);
    if (!id.ok()) return state.SkipWithError(id.status().ToString().c_str());
    benchmark::DoNotOptimize(*id);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

Status PlainInsert(store::Database& db, store::Statement& insert, const std::string& value) {
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(db, store::Durability::kNormal));
  TACET_RETURN_IF_ERROR(insert.Bind(1, std::string_view(kCategory)));
  TACET_RETURN_IF_ERROR(insert.Bind(2, std::string_view(kField)));
  TACET_RETURN_IF_ERROR(insert.Bind(3, int64_t{1704067200000}));
  TACET_RETURN_IF_ERROR(insert.Bind(4, std::string_view("app")));
  TACET_RETURN_IF_ERROR(insert.BindBlob(5, ByteView::FromString(value)));
  TACET_RETURN_IF_ERROR(insert.Step().status());
  TACET_RETURN_IF_ERROR(insert.Reset());
  return txn.Commit();
}

void BM_PlainSqliteInsert(benchmark::State& state) {
  BenchVault b;
  if (!b.status().ok()) return state.SkipWithError(b.status().ToString().c_str());
  const std::string value = Payload(state.range(0));
  auto insert = b.db().Prepare(
      "INSERT INTO bench_plain(category, field, written_unix_ms, source, value) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!insert.ok()) return state.SkipWithError(insert.status().ToString().c_str());
  for (auto _ : state) {
    const Status s = PlainInsert(b.db(), *insert, value);
    if (!s.ok()) return state.SkipWithError(s.ToString().c_str());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

// Reads cycle over this many rows, so the same page is not always hot in SQLite's cache.
constexpr int kReadRows = 1000;

void BM_VaultRead(benchmark::State& state) {
  BenchVault b;
  if (!b.status().ok()) return state.SkipWithError(b.status().ToString().c_str());
  const std::string value = Payload(state.range(0));
  int64_t first = 0;
  for (int i = 0; i < kReadRows; ++i) {
    StatusOr<int64_t> id = b.vault().Add(kCategory, kField, value, ChangeSource::kApp);
    if (!id.ok()) return state.SkipWithError(id.status().ToString().c_str());
    if (i == 0) first = *id;
  }
  int64_t i = 0;
  for (auto _ : state) {
    StatusOr<Record> r = b.vault().Get(first + (i++ % kReadRows));
    if (!r.ok()) return state.SkipWithError(r.status().ToString().c_str());
    benchmark::DoNotOptimize(r->value.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void BM_PlainSqliteSelect(benchmark::State& state) {
  BenchVault b;
  if (!b.status().ok()) return state.SkipWithError(b.status().ToString().c_str());
  const std::string value = Payload(state.range(0));
  {
    auto insert = b.db().Prepare(
        "INSERT INTO bench_plain(category, field, written_unix_ms, source, value) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!insert.ok()) return state.SkipWithError(insert.status().ToString().c_str());
    for (int i = 0; i < kReadRows; ++i) {
      const Status s = PlainInsert(b.db(), *insert, value);
      if (!s.ok()) return state.SkipWithError(s.ToString().c_str());
    }
  }
  auto select = b.db().Prepare(
      "SELECT category, field, written_unix_ms, source, value FROM bench_plain WHERE id = ?1");
  if (!select.ok()) return state.SkipWithError(select.status().ToString().c_str());
  int64_t i = 0;
  for (auto _ : state) {
    if (!select->Bind(1, 1 + (i++ % kReadRows)).ok()) return state.SkipWithError("bind");
    StatusOr<bool> row = select->Step();
    if (!row.ok() || !*row) return state.SkipWithError("select found no row");
    Bytes v = select->ColumnBlob(4);
    std::string category = select->ColumnText(0);
    benchmark::DoNotOptimize(v.data());
    benchmark::DoNotOptimize(category.data());
    if (!select->Reset().ok()) return state.SkipWithError("reset");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

class CountingSink final : public ByteSink {
 public:
  Status Write(std::string_view bytes) override {
    total += bytes.size();
    return OkStatus();
  }
  size_t total = 0;
};

// Filled once (100,000 writes take a few seconds) and shared by every repetition.
BenchVault& ExportVault(int64_t records, Status* status) {
  static BenchVault* b = nullptr;
  static int64_t filled = 0;
  if (b == nullptr) b = new BenchVault();
  *status = b->status();
  if (!status->ok()) return *b;
  const std::string value = Payload(200);
  for (; filled < records; ++filled) {
    StatusOr<int64_t> id = b->vault().Add(kCategory, kField, value, ChangeSource::kApp);
    if (!id.ok()) {
      *status = id.status();
      break;
    }
  }
  return *b;
}

void BM_Export(benchmark::State& state) {
  Status status;
  BenchVault& b = ExportVault(state.range(0), &status);
  if (!status.ok()) return state.SkipWithError(status.ToString().c_str());
  size_t peak = 0, bytes = 0;
  for (auto _ : state) {
    CountingSink sink;
    const size_t before = ::tacet::testing::heap_counter::Current();
    ::tacet::testing::heap_counter::ResetPeak();
    StatusOr<ExportSummary> summary = WriteExport(b.sources(), b.db(), sink);
    if (!summary.ok()) return state.SkipWithError(summary.status().ToString().c_str());
    if (summary->records != state.range(0)) return state.SkipWithError("records missing");
    peak = std::max(peak, ::tacet::testing::heap_counter::Peak() - before);
    bytes = sink.total;
  }
  state.counters["peak_heap_bytes"] = static_cast<double>(peak);
  state.counters["bytes_out"] = static_cast<double>(bytes);
}

BENCHMARK(BM_VaultWrite)->Arg(64)->Arg(1024)->Arg(4096);
BENCHMARK(BM_PlainSqliteInsert)->Arg(64)->Arg(1024)->Arg(4096);
BENCHMARK(BM_VaultRead)->Arg(64)->Arg(1024)->Arg(4096);
BENCHMARK(BM_PlainSqliteSelect)->Arg(64)->Arg(1024)->Arg(4096);
BENCHMARK(BM_Export)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace
}  // namespace tacet::vault
