// The export streams: its peak heap does not grow with the number of records. This executable
// links heap_counter_new.cc, which counts every operator new.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "testing/status_matchers.h"
#include "vault/export.h"
#include "testing/heap_counter.h"
#include "vault/vault_test_util.h"

namespace tacet::vault {
namespace {

// Counts bytes and drops them.
class CountingSink final : public ByteSink {
 public:
  Status Write(std::string_view bytes) override {
    total += bytes.size();
    return OkStatus();
  }
  size_t total = 0;
};

struct Measure {
  size_t peak_growth;  // peak heap during the export above what was live before it
  size_t bytes;
};

Measure ExportPeak(testing::VaultHarness& h) {
  ExportSources src;
  src.vault = &h.vault();
  src.audit = &h.audit();
  src.clock = &h.device().clock();
  src.ledger = &h.ledger();
  CountingSink sink;
  const size_t before = ::tacet::testing::heap_counter::Current();
  ::tacet::testing::heap_counter::ResetPeak();
  EXPECT_OK(WriteExport(src, h.db(), sink).status());
  return {::tacet::testing::heap_counter::Peak() - before, sink.total};
}

TEST(ExportMemoryTest, PeakHeapDoesNotGrowWithTheNumberOfRecords) {
  testing::VaultHarness h;
  const std::string value(200, 'v');
  auto add = [&](int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_OK(h.vault().Add("usage", "listening_history", value, ChangeSource::kApp).status());
    }
  };
  add(1000);
  const Measure small = ExportPeak(h);
  add(9000);
  const Measure large = ExportPeak(h);
  std::printf("export of 1000 records: %zu bytes out, peak heap +%zu bytes\n", small.bytes,
              small.peak_growth);
  std::printf("export of 10000 records: %zu bytes out, peak heap +%zu bytes\n", large.bytes,
              large.peak_growth);
  EXPECT_GT(large.bytes, 10 * 200 * 1000u);  // the 10000 values went out...
  // ...through a peak that is the same order as for 1000: no per-record accumulation. (Holding
  // the records would cost >= 2 MB more; the slack covers SQLite-independent noise.)
  EXPECT_LT(large.peak_growth, small.peak_growth + 16 * 1024);
  EXPECT_LT(large.peak_growth, 256 * 1024u);
}

}  // namespace
}  // namespace tacet::vault
