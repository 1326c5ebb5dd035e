#include "sync/batch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "testing/status_matchers.h"
#include "wire_generated.h"

namespace tacet::sync {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

minimise::MinimisedEvent Event(std::string purpose, int64_t time_s,
                               std::vector<minimise::MinimisedField> fields) {
  minimise::MinimisedEvent e;
  e.purpose = std::move(purpose);
  e.time_s = time_s;
  e.fields = std::move(fields);
  return e;
}

Batch Sample() {
  Batch b;
  b.batch_id = Bytes(kBatchIdSize, 0xab);
  b.recipient = "music_industry_partners";
  b.policy_id = "streaming_service";
  b.policy_version = 3;
  b.subject = Bytes(16, 0x11);
  b.events.push_back(Event("content_performance_reporting", 1'699'999'200,
                           {{"usage.listening_history", "track 42", policy::Transform::kNone}}));
  b.events.push_back(Event("content_performance_reporting", 1'700'002'800,
                           {{"usage.listening_history", "track 42", policy::Transform::kNone},
                            {"contact.email_address", "0f3c", policy::Transform::kPseudonymise}}));
  b.events.push_back(Event("analytics", 1'700'002'800, {}));  // nothing for this recipient
  b.deletions.push_back({"voice", 1'700'003'000});
  return b;
}

TEST(BatchTest, RoundTripsEverythingAndSkipsEmptyEvents) {
  ASSERT_OK_AND_ASSIGN(Bytes wire, EncodeBatch(Sample()));
  ASSERT_OK_AND_ASSIGN(Batch back, DecodeBatch(wire, 1 << 20));
  EXPECT_EQ(back.batch_id, Sample().batch_id);
  EXPECT_EQ(back.recipient, "music_industry_partners");
  EXPECT_EQ(back.policy_id, "streaming_service");
  EXPECT_EQ(back.policy_version, 3u);
  EXPECT_EQ(back.subject, Bytes(16, 0x11));
  ASSERT_THAT(back.events, SizeIs(2));
  EXPECT_EQ(back.events[0].time_s, 1'699'999'200);
  EXPECT_EQ(back.events[1].time_s, 1'700'002'800);
  ASSERT_THAT(back.events[1].fields, SizeIs(2));
  EXPECT_EQ(back.events[1].fields[1].key, "contact.email_address");
  EXPECT_EQ(back.events[1].fields[1].value, "0f3c");
  EXPECT_EQ(back.events[1].fields[1].form, policy::Transform::kPseudonymise);
  ASSERT_THAT(back.deletions, SizeIs(1));
  EXPECT_EQ(back.deletions[0].category, "voice");
  EXPECT_EQ(back.deletions[0].requested_at_s, 1'700'003'000);
}

TEST(BatchTest, EachStringIsStoredOnce) {
  Batch b = Sample();
  for (int i = 0; i < 100; ++i) b.events.push_back(b.events[1]);
  ASSERT_OK_AND_ASSIGN(Bytes wire, EncodeBatch(b));
  const std::string text(wire.begin(), wire.end());
  size_t count = 0;
  for (size_t at = text.find("track 42"); at != std::string::npos; at = text.find("track 42", at + 1)) ++count;
  EXPECT_EQ(count, 1u);
}

TEST(BatchTest, EncodingRefusesWhatTheFormatCannotHold) {
  Batch b = Sample();
  b.batch_id.pop_back();
  EXPECT_THAT(EncodeBatch(b), StatusIs(StatusCode::kInvalidArgument, HasSubstr("15 bytes")));
  b = Sample();
  b.events[0].fields[0].form = policy::Transform::kDrop;
  EXPECT_THAT(EncodeBatch(b), StatusIs(StatusCode::kInvalidArgument));
}

TEST(BatchTest, DecodingRefusesEveryTruncationAndAnOversizedBody) {
  ASSERT_OK_AND_ASSIGN(Bytes wire, EncodeBatch(Sample()));
  EXPECT_THAT(DecodeBatch(wire, wire.size() - 1), StatusIs(StatusCode::kResourceExhausted));
  // A cut into the data is refused. Cutting only the alignment padding after the last string loses
  // nothing (flatbuffers ends a buffer with its first-written string): then the batch decodes whole.
  int accepted = 0;
  for (size_t len = 0; len < wire.size(); ++len) {
    auto cut = DecodeBatch(ByteView(wire.data(), len), 1 << 20);
    if (!cut.ok()) continue;
    ++accepted;
    bool only_zeros = true;
    for (size_t i = len; i < wire.size(); ++i) only_zeros = only_zeros && wire[i] == 0;
    EXPECT_TRUE(only_zeros) << "a cut at " << len << " removed data and still decoded";
    ASSERT_OK_AND_ASSIGN(Bytes again, EncodeBatch(*cut));
    EXPECT_EQ(again, wire) << len;
  }
  EXPECT_LT(accepted, 4);
  Bytes other = wire;
  other[4] = 'X';  // the file identifier
  EXPECT_THAT(DecodeBatch(other, 1 << 20), StatusIs(StatusCode::kInvalidArgument, HasSubstr("TWB1")));
}

// A buffer that verifies as a flatbuffer but whose indices point outside its lists.
TEST(BatchTest, DecodingRefusesIndicesOutsideTheirLists) {
  auto build = [](uint16_t purpose, uint32_t first, uint16_t count, uint16_t key) {
    flatbuffers::FlatBufferBuilder b;
    std::vector<flatbuffers::Offset<flatbuffers::String>> strings = {b.CreateString("analytics"),
                                                                     b.CreateString("usage.x")};
    std::vector<wire::Event> events = {wire::Event(0, purpose, first, count)};
    std::vector<wire::FieldRef> fields = {wire::FieldRef(key, wire::Form::AsCollected, 0)};
    const auto root = wire::CreateBatch(b, b.CreateVector(Bytes(16, 1)), b.CreateString("r"),
                                        b.CreateString("p"), 1, 0, 0, 3600, b.CreateVector(strings),
                                        b.CreateVectorOfStructs(events), b.CreateVectorOfStructs(fields));
    wire::FinishBatchBuffer(b, root);
    return Bytes(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  };
  EXPECT_OK(DecodeBatch(build(0, 0, 1, 1), 1 << 20).status());  // the control
  EXPECT_THAT(DecodeBatch(build(2, 0, 1, 1), 1 << 20),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("purpose index")));
  EXPECT_THAT(DecodeBatch(build(0, 1, 1, 1), 1 << 20),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("run past")));
  EXPECT_THAT(DecodeBatch(build(0, 0, 2, 1), 1 << 20),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("run past")));
  EXPECT_THAT(DecodeBatch(build(0, 0, 1, 9), 1 << 20),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("field index")));
}

// Found by review: one long string named by many fields decoded to hundreds of megabytes, and a
// base time near INT64_MAX overflowed when an offset was added.
TEST(BatchTest, DecodingRefusesAmplificationAndTimeOverflow) {
  auto build = [](int64_t base, int refs, size_t len) {
    flatbuffers::FlatBufferBuilder b;
    std::vector<flatbuffers::Offset<flatbuffers::String>> strings = {
        b.CreateString("analytics"), b.CreateString("usage.x"), b.CreateString(std::string(len, 'v'))};
    std::vector<wire::Event> events = {wire::Event(0xffffffffu, 0, 0, static_cast<uint16_t>(refs))};
    std::vector<wire::FieldRef> fields(static_cast<size_t>(refs),
                                       wire::FieldRef(1, wire::Form::AsCollected, 2));
    const auto root = wire::CreateBatch(b, b.CreateVector(Bytes(16, 1)), b.CreateString("r"),
                                        b.CreateString("p"), 1, 0, base, 3600,
                                        b.CreateVector(strings), b.CreateVectorOfStructs(events),
                                        b.CreateVectorOfStructs(fields));
    wire::FinishBatchBuffer(b, root);
    return Bytes(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  };
  const Bytes amplified = build(0, 2000, 100 * 1024);
  EXPECT_THAT(DecodeBatch(amplified, 256 * 1024),
              StatusIs(StatusCode::kResourceExhausted, HasSubstr("bytes of text")));
  EXPECT_OK(DecodeBatch(build(0, 2, 100), 256 * 1024).status());  // the control
  EXPECT_THAT(DecodeBatch(build(INT64_MAX, 1, 1), 256 * 1024),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("base time")));
  EXPECT_THAT(DecodeBatch(build(-1, 1, 1), 256 * 1024),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("base time")));
}

TEST(BatchTest, RandomBatchesRoundTrip) {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    Batch b = Sample();
    b.events.clear();
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      std::vector<minimise::MinimisedField> fields;
      const int nf = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < nf; ++f) {
        fields.push_back({"usage.k" + std::to_string(rng() % 5), std::string(rng() % 30, static_cast<char>('a' + rng() % 26)),
                          static_cast<policy::Transform>(rng() % 4)});
      }
      b.events.push_back(Event("p" + std::to_string(rng() % 3), 1'700'000'000 + (rng() % 100000), fields));
    }
    ASSERT_OK_AND_ASSIGN(Bytes wire, EncodeBatch(b));
    ASSERT_OK_AND_ASSIGN(Batch back, DecodeBatch(wire, 1 << 20));
    ASSERT_EQ(back.events.size(), b.events.size());
    for (size_t i = 0; i < b.events.size(); ++i) {
      EXPECT_EQ(back.events[i].purpose, b.events[i].purpose);
      EXPECT_EQ(back.events[i].time_s, b.events[i].time_s);
      ASSERT_EQ(back.events[i].fields.size(), b.events[i].fields.size());
      for (size_t f = 0; f < b.events[i].fields.size(); ++f) {
        EXPECT_EQ(back.events[i].fields[f].key, b.events[i].fields[f].key);
        EXPECT_EQ(back.events[i].fields[f].value, b.events[i].fields[f].value);
        EXPECT_EQ(back.events[i].fields[f].form, b.events[i].fields[f].form);
      }
    }
  }
}

TEST(BatchTest, JsonBaselineEscapesAndListsEveryEvent) {
  Batch b = Sample();
  b.events[0].fields[0].value = "a \"quoted\"\n";
  const std::string json = BatchAsJson(b);
  EXPECT_THAT(json, HasSubstr("\"usage.listening_history\":\"a \\\"quoted\\\"\\u000a\""));
  EXPECT_THAT(json, HasSubstr("\"time\":1700002800"));
  EXPECT_EQ(json.find("analytics"), std::string::npos);  // the empty event is not there
}

}  // namespace
}  // namespace tacet::sync
