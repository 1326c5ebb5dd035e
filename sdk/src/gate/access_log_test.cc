// The access log: rows for captures and denials, closing, interrupted captures, the time query.
#include "gate/access_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"
#include "testing/test_util.h"

namespace tacet::gate {
namespace {

using platform::LocationPrecision;

const store::Schema& GateSchema() {
  static const store::Schema* schema = new store::Schema{"gate", GateMigrations()};
  return *schema;
}

std::unique_ptr<store::Database> OpenDb(const std::string& path) {
  store::OpenOptions options;
  options.schema = &GateSchema();
  auto db = store::Database::Open(path, options);
  EXPECT_OK(db.status());
  return db.ok() ? *std::move(db) : nullptr;
}

TEST(AccessLogTest, RecordsCapturesAndDenialsWithoutContent) {
  tacet::testing::TempDir dir;
  auto db = OpenDb(dir.File("gate.db"));
  ASSERT_OK_AND_ASSIGN(auto log, AccessLog::Open(*db));
  EXPECT_EQ(log->interrupted_at_open(), 0);

  CaptureStart voice{CaptureKind::kVoice, "voice_features", LocationPrecision::kNone, 1000};
  ASSERT_OK_AND_ASSIGN(int64_t id, log->RecordStart(voice));
  CaptureEnd end;
  end.ended_unix_ms = 2000;
  end.outcome = CaptureOutcome::kEndedByRevocation;
  end.reason = DenialReason::kNoConsent;
  end.frames = 49;
  end.audio_ms = 980;
  ASSERT_OK(log->RecordEnd(id, end));
  EXPECT_THAT(log->RecordEnd(id, end), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(log->RecordEnd(id + 100, end), StatusIs(StatusCode::kNotFound));

  CaptureStart loc{CaptureKind::kLocation, "location_features", LocationPrecision::kPrecise, 3000};
  ASSERT_OK(log->RecordDenial(loc, DenialReason::kOsPermissionDenied));
  EXPECT_THAT(log->RecordStart(CaptureStart{CaptureKind::kVoice, "", LocationPrecision::kNone, 1}),
              StatusIs(StatusCode::kInvalidArgument));

  ASSERT_OK_AND_ASSIGN(auto entries, log->Entries(0, 10000));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].kind, CaptureKind::kVoice);
  EXPECT_EQ(entries[0].purpose_id, "voice_features");
  EXPECT_TRUE(entries[0].ended);
  EXPECT_EQ(entries[0].ended_unix_ms, 2000);
  EXPECT_EQ(entries[0].frames, 49);
  EXPECT_EQ(entries[0].audio_ms, 980);
  EXPECT_EQ(entries[0].outcome, CaptureOutcome::kEndedByRevocation);
  EXPECT_EQ(entries[0].reason, DenialReason::kNoConsent);
  EXPECT_EQ(entries[1].kind, CaptureKind::kLocation);
  EXPECT_EQ(entries[1].outcome, CaptureOutcome::kDenied);
  EXPECT_EQ(entries[1].reason, DenialReason::kOsPermissionDenied);
  EXPECT_EQ(entries[1].requested_precision, LocationPrecision::kPrecise);
  EXPECT_EQ(entries[1].started_unix_ms, entries[1].ended_unix_ms);

  // The table has no column that could hold audio or coordinates.
  ASSERT_OK_AND_ASSIGN(auto st, db->Prepare("SELECT name FROM pragma_table_info('gate_access_log')"));
  std::vector<std::string> columns;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(bool row, st.Step());
    if (!row) break;
    columns.push_back(st.ColumnText(0));
  }
  EXPECT_THAT(columns, ::testing::ElementsAre("id", "kind", "purpose_id", "requested_precision",
                                              "delivered_precision", "started_unix_ms",
                                              "ended_unix_ms", "frames", "audio_ms", "fixes",
                                              "outcome", "reason"));
}

TEST(AccessLogTest, EntriesOverlappingTheWindow) {
  auto db = store::Database::OpenInMemory(store::OpenOptions{false, true, 5000, &GateSchema()});
  ASSERT_OK(db.status());
  ASSERT_OK_AND_ASSIGN(auto log, AccessLog::Open(**db));
  auto add = [&](int64_t start, int64_t stop) {
    auto id = log->RecordStart(CaptureStart{CaptureKind::kVoice, "voice_features", LocationPrecision::kNone, start});
    ASSERT_OK(id.status());
    CaptureEnd end;
    end.ended_unix_ms = stop;
    ASSERT_OK(log->RecordEnd(*id, end));
  };
  add(100, 200);
  add(300, 400);
  add(500, 600);
  ASSERT_OK(log->RecordStart(CaptureStart{CaptureKind::kVoice, "voice_features", LocationPrecision::kNone, 700}).status());
  ASSERT_OK_AND_ASSIGN(auto mid, log->Entries(350, 550));
  ASSERT_EQ(mid.size(), 2u);
  EXPECT_EQ(mid[0].started_unix_ms, 300);
  EXPECT_EQ(mid[1].started_unix_ms, 500);
  ASSERT_OK_AND_ASSIGN(auto late, log->Entries(10000, 20000));
  ASSERT_EQ(late.size(), 1u);  // still open: overlaps any later window
  EXPECT_EQ(late[0].outcome, CaptureOutcome::kOpen);
  EXPECT_FALSE(late[0].ended);
  EXPECT_THAT(log->RecordEnd(late[0].id, CaptureEnd{800, CaptureOutcome::kDenied}),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(AccessLogTest, CapturesOpenAtACrashBecomeInterrupted) {
  tacet::testing::TempDir dir;
  {
    auto db = OpenDb(dir.File("gate.db"));
    ASSERT_OK_AND_ASSIGN(auto log, AccessLog::Open(*db));
    ASSERT_OK(log->RecordStart(CaptureStart{CaptureKind::kLocation, "location_features",
                                            LocationPrecision::kApproximate, 5}).status());
  }
  auto db = OpenDb(dir.File("gate.db"));
  ASSERT_OK_AND_ASSIGN(auto log, AccessLog::Open(*db));
  EXPECT_EQ(log->interrupted_at_open(), 1);
  ASSERT_OK_AND_ASSIGN(auto entries, log->Entries(0, 100));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].outcome, CaptureOutcome::kInterrupted);
  EXPECT_FALSE(entries[0].ended);
  EXPECT_EQ(entries[0].requested_precision, LocationPrecision::kApproximate);
}

}  // namespace
}  // namespace tacet::gate
