#include "base/json_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "testing/status_matchers.h"

namespace tacet {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

// The document {"s": <value>} as the writer writes it.
std::string Document(std::string_view value) {
  StringSink sink;
  JsonWriter w(sink);
  EXPECT_OK(w.BeginObject());
  EXPECT_OK(w.Member("s", value));
  EXPECT_OK(w.EndObject());
  EXPECT_OK(w.Finish());
  return sink.out;
}

// Just the quoted string of Document(value).
std::string Quoted(std::string_view value) {
  const std::string doc = Document(value);
  return doc.substr(5, doc.size() - 6);  // {"s": ... }
}

// What a JSON parser reads back from Document(value).
std::string ParsedBack(std::string_view value) {
  const Json j = Json::parse(Document(value), nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << Document(value);
  return j.is_discarded() ? std::string() : j["s"].get<std::string>();
}

TEST(JsonWriterTest, EscapesAndStructure) {
  StringSink sink;
  JsonWriter w(sink);
  ASSERT_OK(w.BeginObject());
  ASSERT_OK(w.Member("s", std::string_view("q\"b\\n\n\x01\xC3\xA9\xFF", 10)));
  ASSERT_OK(w.Key("a"));
  ASSERT_OK(w.BeginArray());
  ASSERT_OK(w.Int(-5));
  ASSERT_OK(w.Bool(true));
  ASSERT_OK(w.Null());
  ASSERT_OK(w.Base64(ByteView::FromString("ab")));
  ASSERT_OK(w.EndArray());
  ASSERT_OK(w.EndObject());
  ASSERT_OK(w.Finish());
  EXPECT_EQ(sink.out,
            "{\"s\":\"q\\\"b\\\\n\\n\\u0001\xC3\xA9\xEF\xBF\xBD\",\"a\":[-5,true,null,\"YWI=\"]}");
  EXPECT_NO_THROW(Json::parse(sink.out));
}

TEST(JsonWriterTest, NestingAndEmptyContainers) {
  StringSink sink;
  JsonWriter w(sink);
  ASSERT_OK(w.BeginArray());
  ASSERT_OK(w.BeginObject());
  ASSERT_OK(w.EndObject());
  ASSERT_OK(w.BeginArray());
  ASSERT_OK(w.EndArray());
  ASSERT_OK(w.BeginObject());
  ASSERT_OK(w.Key("k"));
  ASSERT_OK(w.BeginObject());
  ASSERT_OK(w.Member("n", int64_t{1}));
  ASSERT_OK(w.Member("t", "x"));
  ASSERT_OK(w.EndObject());
  ASSERT_OK(w.EndObject());
  ASSERT_OK(w.EndArray());
  ASSERT_OK(w.Finish());
  EXPECT_EQ(sink.out, R"([{},[],{"k":{"n":1,"t":"x"}}])");
}

// The escapes both former writers (consent's receipt writer and vault's export writer) agreed on.
TEST(JsonWriterTest, QuotesBackslashAndLineBreaks) {
  EXPECT_EQ(Quoted("a\"b\\c/d"), R"("a\"b\\c/d")");
  EXPECT_EQ(Quoted("\n\r\t"), R"("\n\r\t")");
  EXPECT_EQ(Quoted(""), R"("")");
}

// Changed by the merge for the export: it wrote \u0008 and \u000c where the receipt writer wrote
// the RFC 8259 two-character escapes, and it let DEL through raw where the receipt writer escaped
// it. The merged writer keeps the receipt writer's (stricter) forms.
TEST(JsonWriterTest, BackspaceFormFeedAndDel) {
  EXPECT_EQ(Quoted("\b\f"), R"("\b\f")");
  EXPECT_EQ(Quoted("a\x7f" "b"), R"("a\u007fb")");
}

TEST(JsonWriterTest, EveryControlCharacterIsEscapedAndReadsBack) {
  for (int c = 0; c < 0x20; ++c) {
    const std::string value(1, static_cast<char>(c));
    const std::string quoted = Quoted(value);
    SCOPED_TRACE(quoted);
    ASSERT_GE(quoted.size(), 4u);
    EXPECT_EQ(quoted[1], '\\');
    for (char q : quoted) EXPECT_GE(static_cast<unsigned char>(q), 0x20);
    EXPECT_EQ(ParsedBack(value), value);
  }
  EXPECT_EQ(Quoted(std::string_view("\0", 1)), R"("\u0000")");
  EXPECT_EQ(Quoted("\x1f"), R"("\u001f")");
}

TEST(JsonWriterTest, WellFormedUtf8PassesThrough) {
  const std::string text = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\xB5 \xEF\xBB\xBF \xE2\x80\x8D";
  EXPECT_EQ(Quoted(text), "\"" + text + "\"");
  EXPECT_EQ(ParsedBack(text), text);
}

// Like both former writers: U+2028/U+2029 and the bidirectional controls are well-formed text and
// go out as they are (the export is data for a program; displays use ShowBidiControls).
TEST(JsonWriterTest, LineSeparatorsAndBidiControlsPassThrough) {
  const std::string text =
      "a\xE2\x80\xA8" "b\xE2\x80\xA9" "c Ada\xE2\x80\xAE" "exe.gnp \xD8\x9C \xE2\x81\xA6";
  EXPECT_EQ(Quoted(text), "\"" + text + "\"");
  EXPECT_EQ(ParsedBack(text), text);
}

// Each byte that does not start a well-formed sequence becomes U+FFFD and the writer resumes at the
// next byte, so the output is always valid UTF-8 and valid JSON.
TEST(JsonWriterTest, MalformedUtf8BecomesReplacementCharacters) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(Quoted("\xFF"), "\"" + r + "\"");
  EXPECT_EQ(Quoted("a\x80" "b"), "\"a" + r + "b\"");                // lone continuation byte
  EXPECT_EQ(Quoted("\xC0\xAF"), "\"" + r + r + "\"");               // overlong '/'
  EXPECT_EQ(Quoted("\xE0\x80\x80"), "\"" + r + r + r + "\"");       // overlong NUL
  EXPECT_EQ(Quoted("\xED\xA0\x80"), "\"" + r + r + r + "\"");       // surrogate U+D800
  EXPECT_EQ(Quoted("\xF4\x90\x80\x80"), "\"" + r + r + r + r + "\"");  // above U+10FFFF
  EXPECT_EQ(Quoted("\xF5\x80"), "\"" + r + r + "\"");
  EXPECT_EQ(Quoted("x\xE2\x82"), "\"x" + r + r + "\"");            // truncated at the end
  EXPECT_EQ(Quoted("\xE2\x82" "A"), "\"" + r + r + "A\"");         // truncated before ASCII
  EXPECT_EQ(Quoted("\xC3\xA9\xC3"), "\"\xC3\xA9" + r + "\"");
  for (std::string_view bad : {"\xFF\xFE", "\xC3", "\xED\xBF\xBF", "\xF0\x8F\xBF\xBF"}) {
    EXPECT_NO_THROW(Json::parse(Document(bad))) << Document(bad);
  }
}

TEST(JsonWriterTest, KeysAreEscapedLikeStrings) {
  StringSink sink;
  JsonWriter w(sink);
  ASSERT_OK(w.BeginObject());
  ASSERT_OK(w.Member("k\"\n\xFF", "v"));
  ASSERT_OK(w.EndObject());
  ASSERT_OK(w.Finish());
  EXPECT_EQ(sink.out, "{\"k\\\"\\n\xEF\xBF\xBD\":\"v\"}");
}

TEST(JsonWriterTest, Integers) {
  StringSink sink;
  JsonWriter w(sink);
  ASSERT_OK(w.BeginArray());
  ASSERT_OK(w.Int(0));
  ASSERT_OK(w.Int(INT64_MIN));
  ASSERT_OK(w.Int(INT64_MAX));
  ASSERT_OK(w.UInt(UINT64_MAX));
  ASSERT_OK(w.Bool(false));
  ASSERT_OK(w.EndArray());
  ASSERT_OK(w.Finish());
  EXPECT_EQ(sink.out,
            "[0,-9223372036854775808,9223372036854775807,18446744073709551615,false]");
}

TEST(JsonWriterTest, Base64IsRfc4648) {
  // RFC 4648 section 10.
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [in, out] : vectors) {
    StringSink sink;
    JsonWriter w(sink);
    ASSERT_OK(w.BeginArray());
    ASSERT_OK(w.Base64(ByteView::FromString(in)));
    ASSERT_OK(w.EndArray());
    ASSERT_OK(w.Finish());
    EXPECT_EQ(sink.out, "[\"" + out + "\"]");
  }
  const uint8_t high[] = {0xFF, 0xFE, 0xFD};
  StringSink sink;
  JsonWriter w(sink);
  ASSERT_OK(w.BeginArray());
  ASSERT_OK(w.Base64(ByteView(high, sizeof(high))));
  ASSERT_OK(w.EndArray());
  ASSERT_OK(w.Finish());
  EXPECT_EQ(sink.out, "[\"//79\"]");
}

TEST(JsonWriterTest, MisuseIsReported) {
  StringSink sink;
  JsonWriter w(sink);
  ASSERT_OK(w.BeginObject());
  EXPECT_THAT(w.Int(1), StatusIs(StatusCode::kInternal));
  EXPECT_THAT(w.Finish(), StatusIs(StatusCode::kInternal));
}

TEST(JsonWriterTest, EachStructureErrorIsNamed) {
  struct Case {
    const char* what;
    std::function<Status(JsonWriter&)> run;
  };
  const std::vector<Case> cases = {
      {"a key outside an object",
       [](JsonWriter& w) {
         TACET_RETURN_IF_ERROR(w.BeginArray());
         return w.Key("k");
       }},
      {"needs a key first",
       [](JsonWriter& w) {
         TACET_RETURN_IF_ERROR(w.BeginObject());
         return w.String("v");
       }},
      {"EndObject without a matching BeginObject",
       [](JsonWriter& w) {
         TACET_RETURN_IF_ERROR(w.BeginArray());
         return w.EndObject();
       }},
      {"EndObject without a matching BeginObject",
       [](JsonWriter& w) {
         TACET_RETURN_IF_ERROR(w.BeginObject());
         TACET_RETURN_IF_ERROR(w.Key("dangling"));
         return w.EndObject();
       }},
      {"EndArray without a matching BeginArray",
       [](JsonWriter& w) {
         TACET_RETURN_IF_ERROR(w.BeginObject());
         return w.EndArray();
       }},
      {"a key outside an object", [](JsonWriter& w) { return w.Key("top"); }},
      {"a value after the end of the document",
       [](JsonWriter& w) {
         TACET_RETURN_IF_ERROR(w.BeginArray());
         TACET_RETURN_IF_ERROR(w.EndArray());
         return w.BeginArray();
       }},
      {"the document is not complete",
       [](JsonWriter& w) {
         TACET_RETURN_IF_ERROR(w.BeginArray());
         return w.Finish();
       }},
      {"the document is not complete", [](JsonWriter& w) { return w.Finish(); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    StringSink sink;
    JsonWriter w(sink);
    EXPECT_THAT(c.run(w), StatusIs(StatusCode::kInternal, HasSubstr(c.what)));
  }
  // A scalar cannot be the document: the first value opens it, the second is refused.
  StringSink sink;
  JsonWriter w(sink);
  ASSERT_OK(w.Int(1));
  EXPECT_THAT(w.Int(2), StatusIs(StatusCode::kInternal, HasSubstr("a second top-level value")));
}

// The first error sticks: the document cannot be completed around it, and nothing more is written.
TEST(JsonWriterTest, StructureErrorsStick) {
  StringSink sink;
  JsonWriter w(sink);
  ASSERT_OK(w.BeginObject());
  EXPECT_THAT(w.Int(1), StatusIs(StatusCode::kInternal, HasSubstr("needs a key first")));
  EXPECT_THAT(w.EndObject(), StatusIs(StatusCode::kInternal, HasSubstr("needs a key first")));
  EXPECT_THAT(w.Key("k"), StatusIs(StatusCode::kInternal, HasSubstr("needs a key first")));
  EXPECT_THAT(w.Finish(), StatusIs(StatusCode::kInternal, HasSubstr("needs a key first")));
  EXPECT_EQ(sink.out, "");
}

// Records what it is given; fails from the `fail_at`th call on.
class RecordingSink final : public ByteSink {
 public:
  explicit RecordingSink(size_t fail_at = SIZE_MAX) : fail_at_(fail_at) {}
  Status Write(std::string_view bytes) override {
    if (writes.size() + 1 >= fail_at_) {
      ++failed_calls;
      return ResourceExhaustedError("disk full");
    }
    writes.emplace_back(bytes);
    return OkStatus();
  }
  std::vector<std::string> writes;
  int failed_calls = 0;

 private:
  size_t fail_at_;
};

// The document reaches the sink while it is being written, in pieces of at most 8 KiB (one piece
// larger only when a single string is): nothing waits for Finish.
TEST(JsonWriterTest, StreamsThroughABoundedBuffer) {
  RecordingSink sink;
  JsonWriter w(sink);
  ASSERT_OK(w.BeginArray());
  const std::string item(100, 'x');
  for (int i = 0; i < 1000; ++i) ASSERT_OK(w.String(item));
  EXPECT_GE(sink.writes.size(), 10u) << "100 KB written, nothing flushed before Finish";
  const std::string big(20000, 'y');
  ASSERT_OK(w.String(big));
  ASSERT_OK(w.EndArray());
  ASSERT_OK(w.Finish());
  std::string all;
  size_t largest = 0;
  for (const std::string& piece : sink.writes) {
    all += piece;
    if (piece != big) largest = std::max(largest, piece.size());
  }
  EXPECT_LE(largest, 8192u);
  const Json j = Json::parse(all);
  ASSERT_EQ(j.size(), 1001u);
  EXPECT_EQ(j[0], item);
  EXPECT_EQ(j[1000], big);
}

TEST(JsonWriterTest, SinkErrorsStickAndStopTheOutput) {
  RecordingSink sink(/*fail_at=*/2);
  JsonWriter w(sink);
  ASSERT_OK(w.BeginArray());
  const std::string item(1000, 'x');
  Status status;
  int written = 0;
  while (status.ok() && written < 100) {
    status = w.String(item);
    ++written;
  }
  EXPECT_THAT(status, StatusIs(StatusCode::kResourceExhausted, HasSubstr("disk full")));
  EXPECT_LT(written, 100);
  EXPECT_EQ(sink.writes.size(), 1u);
  EXPECT_THAT(w.String("more"), StatusIs(StatusCode::kResourceExhausted));
  EXPECT_THAT(w.EndArray(), StatusIs(StatusCode::kResourceExhausted));
  EXPECT_THAT(w.Finish(), StatusIs(StatusCode::kResourceExhausted));
  EXPECT_EQ(sink.failed_calls, 1) << "the sink is not called again after it failed";
}

TEST(JsonWriterTest, FileSinkWritesAndReportsErrors) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    FileSink sink(f);
    JsonWriter w(sink);
    ASSERT_OK(w.BeginObject());
    ASSERT_OK(w.Member("a", int64_t{1}));
    ASSERT_OK(w.EndObject());
    ASSERT_OK(w.Finish());
  }
  std::rewind(f);
  char buf[64] = {};
  const size_t n = std::fread(buf, 1, sizeof(buf), f);
  std::fclose(f);
  EXPECT_EQ(std::string(buf, n), R"({"a":1})");

  std::FILE* read_only = std::fopen("/dev/null", "r");
  ASSERT_NE(read_only, nullptr);
  FileSink sink(read_only);
  EXPECT_OK(sink.Write(""));
  EXPECT_THAT(sink.Write("x"),
              StatusIs(StatusCode::kUnavailable, HasSubstr("writing the output failed")));
  std::fclose(read_only);
}

}  // namespace
}  // namespace tacet
