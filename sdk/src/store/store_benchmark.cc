// Storage baseline: SQLite insert throughput of 256-byte blobs through tacet::store, all rows in
// one transaction vs one transaction per row, both Durability::kNormal, on a file in a temp dir.
// Modules that store rows (vault, audit log, outbox) are judged against these figures.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "store/database.h"

namespace tacet::store {
namespace {

enum class Batching { kOneTransaction, kTransactionPerRow };

// A fresh directory under $TMPDIR (or /tmp), removed on destruction.
class BenchDir {
 public:
  BenchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/tacet-bench-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~BenchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Status InsertRows(Database& db, Statement& insert, ByteView payload, int64_t rows,
                  Batching batching) {
  if (batching == Batching::kOneTransaction) {
    TACET_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, Durability::kNormal));
    for (int64_t i = 0; i < rows; ++i) {
      TACET_RETURN_IF_ERROR(insert.BindBlob(1, payload));
      TACET_RETURN_IF_ERROR(insert.Step().status());
      TACET_RETURN_IF_ERROR(insert.Reset());
    }
    return txn.Commit();
  }
  for (int64_t i = 0; i < rows; ++i) {
    TACET_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, Durability::kNormal));
    TACET_RETURN_IF_ERROR(insert.BindBlob(1, payload));
    TACET_RETURN_IF_ERROR(insert.Step().status());
    TACET_RETURN_IF_ERROR(insert.Reset());
    TACET_RETURN_IF_ERROR(txn.Commit());
  }
  return OkStatus();
}

void BM_StoreInsert(benchmark::State& state, Batching batching) {
  BenchDir dir;
  StatusOr<std::unique_ptr<Database>> db = Database::Open(dir.path() + "/bench.db", {});
  if (dir.path().empty() || !db.ok()) {
    state.SkipWithError(("open: " + db.status().ToString()).c_str());
    return;
  }
  Status s = (*db)->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)");
  StatusOr<Statement> insert = (*db)->Prepare("INSERT INTO t (payload) VALUES (?1)");
  if (!s.ok() || !insert.ok()) {
    state.SkipWithError("setup failed");
    return;
  }
  const Bytes payload(256, 0x42);
  const int64_t rows = state.range(0);
  for (auto _ : state) {
    s = InsertRows(**db, *insert, payload, rows, batching);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
    state.PauseTiming();
    s = (*db)->Exec("DELETE FROM t");
    state.ResumeTiming();
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * rows);
}

BENCHMARK_CAPTURE(BM_StoreInsert, one_txn, Batching::kOneTransaction)->Arg(1000);
BENCHMARK_CAPTURE(BM_StoreInsert, txn_per_row, Batching::kTransactionPerRow)->Arg(1000);

}  // namespace
}  // namespace tacet::store
