#include "emulator/wav.h"

#include <cmath>

#include "testing/test_util.h"

namespace tacet::platform {
namespace {

using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  return testing::SourceDir() + "/platform/emulator/testdata/" + name;
}

void PutU16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}
void PutU32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// Layout of the mono fixture: RIFF header (12), 'fmt ' chunk at 12 (8 + 16), 'data' at 36.
constexpr size_t kFmtBody = 20;
constexpr size_t kDataChunk = 36;

TEST(WavTest, ReadsTheMonoToneFixture) {
  ASSERT_OK_AND_ASSIGN(WavAudio wav, ReadWavFile(Fixture("tone_440hz_16k_mono.wav")));
  EXPECT_EQ(wav.sample_rate_hz, 16000);
  EXPECT_EQ(wav.channels, 1);
  ASSERT_EQ(wav.frames(), 16000u);
  for (size_t i : {0u, 1u, 9u, 10u, 15999u}) {
    double expected = std::round(0.5 * 32767 * std::sin(2 * 3.14159265358979323846 * 440 * static_cast<double>(i) / 16000.0));
    EXPECT_EQ(wav.samples[i], static_cast<int16_t>(expected)) << "sample " << i;
  }
}

TEST(WavTest, ReadsStereoFixtureSkippingAPaddedListChunk) {
  ASSERT_OK_AND_ASSIGN(WavAudio wav, ReadWavFile(Fixture("chirp_8k_stereo_list.wav")));
  EXPECT_EQ(wav.sample_rate_hz, 8000);
  EXPECT_EQ(wav.channels, 2);
  ASSERT_EQ(wav.frames(), 2000u);
  EXPECT_NE(wav.samples[2 * 5], 0);     // left: the sine
  EXPECT_EQ(wav.samples[2 * 5 + 1], 0); // right: silent
}

class WavRejectTest : public ::testing::Test {
 protected:
  void SetUp() override { good_ = testing::ReadFileOrDie(Fixture("tone_440hz_16k_mono.wav")); }
  void ExpectRejected(const Bytes& bytes, const std::string& why) {
    EXPECT_THAT(ParseWav(bytes), StatusIs(StatusCode::kInvalidArgument, HasSubstr(why)));
  }
  Bytes good_;
};

TEST_F(WavRejectTest, Truncated) {
  Bytes b(good_.begin(), good_.end() - 100);
  ExpectRejected(b, "truncated");
  // Even with a RIFF size that agrees, the data chunk then overruns the file.
  PutU32(b, 4, static_cast<uint32_t>(b.size() - 8));
  ExpectRejected(b, "'data' at offset 36 declares 32000 bytes but only 31900 remain (truncated)");
  ExpectRejected(Bytes(good_.begin(), good_.begin() + 10), "too short");
  Bytes header_only(good_.begin(), good_.begin() + kDataChunk + 4);
  PutU32(header_only, 4, static_cast<uint32_t>(header_only.size() - 8));
  ExpectRejected(header_only, "truncated chunk header at offset 36");
}

TEST_F(WavRejectTest, TrailingBytes) {
  Bytes b = good_;
  b.push_back(0);
  ExpectRejected(b, "trailing bytes");
}

TEST_F(WavRejectTest, NotPcm) {
  Bytes b = good_;
  PutU16(b, kFmtBody, 3);  // IEEE float
  ExpectRejected(b, "format tag 0x0003 is not PCM");
  PutU16(b, kFmtBody, 0xFFFE);
  ExpectRejected(b, "WAVE_FORMAT_EXTENSIBLE");
  b = good_;
  PutU16(b, kFmtBody + 14, 8);  // 8 bits per sample
  ExpectRejected(b, "8 bits per sample");
}

TEST_F(WavRejectTest, WrongHeaders) {
  Bytes b = good_;
  b[0] = 'X';
  ExpectRejected(b, "missing 'RIFF' signature, found 'XIFF'");
  b = good_;
  b[8] = 'A';
  ExpectRejected(b, "not 'WAVE'");
  b = good_;
  PutU16(b, kFmtBody + 12, 4);  // block align for stereo in a mono file
  ExpectRejected(b, "block align 4");
  b = good_;
  PutU32(b, kFmtBody + 8, 12345);
  ExpectRejected(b, "byte rate 12345");
  b = good_;
  PutU32(b, kFmtBody + 4, 4000);
  ExpectRejected(b, "sample rate 4000 Hz");
  b = good_;
  PutU16(b, kFmtBody + 2, 0);
  ExpectRejected(b, "0 channels");
}

TEST_F(WavRejectTest, MissingOrMisplacedChunks) {
  Bytes b = good_;
  std::copy_n("junk", 4, b.begin() + 12);  // the fmt chunk becomes unknown and is skipped
  ExpectRejected(b, "'data' chunk before the 'fmt ' chunk");
  b = good_;
  std::copy_n("junk", 4, b.begin() + kDataChunk);
  ExpectRejected(b, "no 'data' chunk");
  b = good_;
  PutU32(b, kDataChunk + 4, 31999);  // odd: not whole frames (and then needs a pad byte)
  ExpectRejected(b, "not a whole number of 2-byte sample frames");
}

TEST(WavTest, MissingFileIsNotFound) {
  EXPECT_THAT(ReadWavFile(Fixture("no_such.wav")), StatusIs(StatusCode::kNotFound, HasSubstr("no_such.wav")));
}

TEST(WavTest, FileErrorsNameTheFile) {
  testing::TempDir tmp;
  testing::WriteFileOrDie(tmp.File("bad.wav"), ByteView::FromString(std::string_view("RIFF\x04\0\0\0WAVE", 12)));
  EXPECT_THAT(ReadWavFile(tmp.File("bad.wav")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("bad.wav: wav: no 'fmt ' chunk")));
}

}  // namespace
}  // namespace tacet::platform
