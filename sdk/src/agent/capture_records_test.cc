#include "agent/capture_records.h"

#include <nlohmann/json.hpp>

#include "agent/device_schema.h"
#include "base/json_writer.h"
#include "store/database.h"
#include "testing/test_util.h"

namespace tacet::agent {
namespace {

using gate::CaptureKind;
using gate::CaptureOutcome;
using platform::LocationPrecision;

class CaptureRecordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::OpenOptions options;
    options.schema = &DeviceSchema();
    auto db = store::Database::Open(dir_.File("device.db"), options);
    ASSERT_OK(db.status());
    db_ = *std::move(db);
    auto log = gate::AccessLog::Open(*db_);
    ASSERT_OK(log.status());
    log_ = *std::move(log);

    // A voice capture of 2 s that the user's revocation ended, a refused one, and a location
    // capture that is still running.
    gate::CaptureStart voice{CaptureKind::kVoice, "voice_features", LocationPrecision::kNone, 1000};
    ASSERT_OK_AND_ASSIGN(int64_t id, log_->RecordStart(voice));
    gate::CaptureEnd end;
    end.ended_unix_ms = 3000;
    end.outcome = CaptureOutcome::kEndedByRevocation;
    end.reason = gate::DenialReason::kNoConsent;
    end.frames = 100;
    end.audio_ms = 2000;
    ASSERT_OK(log_->RecordEnd(id, end));
    ASSERT_OK(log_->RecordDenial({CaptureKind::kVoice, "voice_features", LocationPrecision::kNone, 4000},
                                 gate::DenialReason::kHardwareMuted));
    ASSERT_OK(log_->RecordStart(
                      {CaptureKind::kLocation, "location_features", LocationPrecision::kPrecise, 5000})
                  .status());
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<gate::AccessLog> log_;
};

TEST_F(CaptureRecordsTest, ExportSectionWritesEveryRowWithoutValues) {
  StringSink sink;
  JsonWriter writer(sink);
  ASSERT_OK(writer.BeginArray());
  AccessLogExportSection section(*db_);
  ASSERT_OK(section.WriteEntries(writer));
  ASSERT_OK(writer.EndArray());
  ASSERT_OK(writer.Finish());
  nlohmann::json doc = nlohmann::json::parse(sink.out);
  ASSERT_EQ(doc.size(), 3u);
  EXPECT_EQ(doc[0]["kind"], "voice");
  EXPECT_EQ(doc[0]["purpose"], "voice_features");
  EXPECT_EQ(doc[0]["started"], "1970-01-01T00:00:01.000Z");
  EXPECT_EQ(doc[0]["ended"], "1970-01-01T00:00:03.000Z");
  EXPECT_EQ(doc[0]["audio_ms"], 2000);
  EXPECT_EQ(doc[0]["outcome"], "ended_by_revocation");
  EXPECT_FALSE(doc[0].contains("requested_precision"));
  EXPECT_EQ(doc[1]["outcome"], "denied");
  EXPECT_EQ(doc[1]["reason"], gate::DenialReasonName(gate::DenialReason::kHardwareMuted));
  EXPECT_EQ(doc[2]["kind"], "location");
  EXPECT_EQ(doc[2]["requested_precision"], "precise");
  EXPECT_TRUE(doc[2]["ended"].is_null());
}

TEST_F(CaptureRecordsTest, IntervalsLeaveOutRefusalsAndEndOpenCapturesAtTheWindow) {
  ASSERT_OK_AND_ASSIGN(auto intervals, CaptureIntervals(*db_, 0, 10000));
  ASSERT_EQ(intervals.size(), 2u);
  EXPECT_EQ(intervals[0].kind, report::CaptureKind::kMicrophone);
  EXPECT_EQ(intervals[0].start_unix_ms, 1000);
  EXPECT_EQ(intervals[0].end_unix_ms, 3000);
  EXPECT_EQ(intervals[1].kind, report::CaptureKind::kLocation);
  EXPECT_EQ(intervals[1].end_unix_ms, 10000);
  ASSERT_OK_AND_ASSIGN(auto later, CaptureIntervals(*db_, 3500, 10000));
  EXPECT_EQ(later.size(), 1u);
}

TEST_F(CaptureRecordsTest, ReadingDoesNotTakeTheLogOver) {
  // An AccessLog marks rows left open as interrupted; reading for an export must not.
  ASSERT_OK_AND_ASSIGN(auto rows, gate::ReadAccessLog(*db_, 0, 10000));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].outcome, CaptureOutcome::kOpen);
}

}  // namespace
}  // namespace tacet::agent
