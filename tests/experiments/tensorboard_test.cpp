// TensorBoard event files: CRC-32C and TFRecord framing against known vectors, and the writer's
// files read back with the reader (which checks every CRC).
#include "experiments/tensorboard.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <regex>
#include <string>
#include <vector>

#include "experiments/test_dir.h"

namespace arena {
namespace {

namespace fs = std::filesystem;

using test::slurp;
using test::spit;
using test::TempDir;

std::vector<fs::path> event_files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  return out;
}

// --- CRC-32C -------------------------------------------------------------------------------------

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c(""), 0x00000000u);
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);  // the standard check value of CRC-32C
  // RFC 3720 (iSCSI), appendix B.4.
  std::string zeros(32, '\0'), ones(32, '\xff'), up(32, '\0'), down(32, '\0');
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<char>(i);
    down[i] = static_cast<char>(31 - i);
  }
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(crc32c(up), 0x46DD794Eu);
  EXPECT_EQ(crc32c(down), 0x113FDB5Cu);
}

TEST(Crc32c, ExtendEqualsOneShot) {
  const std::string text = "The quick brown fox jumps over the lazy dog";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    const std::uint32_t head = crc32c(text.data(), cut);
    EXPECT_EQ(crc32c_extend(head, text.data() + cut, text.size() - cut), crc32c(text)) << cut;
  }
}

TEST(Crc32c, MaskMatchesTensorFlow) {
  // Masked CRCs found in event files written by TensorFlow (as quoted in TensorBoard's tests):
  // the length field of a 24-byte record, and the data "\x1a\x11CRC test, one two".
  const std::string length_24("\x18\0\0\0\0\0\0\0", 8);
  EXPECT_EQ(mask_crc32c(crc32c(length_24)), 0x224b7fa3u);
  EXPECT_EQ(mask_crc32c(crc32c("\x1a\x11" "CRC test, one two")), 0x5794d08au);
  for (std::uint32_t v : {0u, 1u, 0xE3069283u, 0xffffffffu, 0x80000000u})
    EXPECT_EQ(unmask_crc32c(mask_crc32c(v)), v);
}

// --- TFRecord framing ----------------------------------------------------------------------------

// The first record of an event file written by TensorFlow (tf.summary, "brain.Event:2"), byte for byte.
const std::string kTfFirstRecord(
    "\x18\x00\x00\x00\x00\x00\x00\x00"                      // length 24
    "\xa3\x7f\x4b\x22"                                      // masked CRC of the length
    "\x09\x00\x00\x80\x38\x99\xd6\xd7\x41"                  // Event.wall_time (field 1, double)
    "\x1a\x0d" "brain.Event:2"                              // Event.file_version (field 3)
    "\x12\x4b\x36\xab",                                     // masked CRC of the data
    8 + 4 + 24 + 4);

TEST(TfRecord, FramingMatchesARecordWrittenByTensorFlow) {
  const std::string payload = kTfFirstRecord.substr(12, 24);
  EXPECT_EQ(frame_tfrecord(payload), kTfFirstRecord);
}

TEST(TfRecord, ReadsAFileWrittenByTensorFlow) {
  TempDir dir;
  const fs::path file = dir.path() / "events.out.tfevents.tf";
  spit(file, kTfFirstRecord);
  const auto events = read_tensorboard_events(file);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  EXPECT_EQ(events[0].step, 0);
  double wall_time = 0;
  std::memcpy(&wall_time, kTfFirstRecord.data() + 13, 8);
  EXPECT_EQ(events[0].wall_time, wall_time);
  EXPECT_GT(wall_time, 1.5e9);  // a plausible Unix time
  EXPECT_TRUE(read_tensorboard_scalars(file).empty());
}

TEST(TfRecord, RoundTripsRecordsOfManySizes) {
  TempDir dir;
  std::vector<std::string> records;
  std::string bytes;
  for (std::size_t n : {0u, 1u, 7u, 127u, 128u, 300u, 70000u}) {
    std::string r(n, '\0');
    for (std::size_t i = 0; i < n; ++i) r[i] = static_cast<char>((i * 131 + n) & 0xff);
    records.push_back(r);
    bytes += frame_tfrecord(r);
  }
  const fs::path file = dir.path() / "records";
  spit(file, bytes);
  EXPECT_EQ(read_tfrecords(file), records);
}

// --- Writer and reader ---------------------------------------------------------------------------

TEST(TensorBoardWriter, NamesTheFileAfterTimeAndHost) {
  TempDir dir;
  const fs::path log_dir = dir.path() / "run" / "tb";  // created with its parents
  const double before = unix_time_now();
  TensorBoardWriter writer(log_dir);
  EXPECT_EQ(writer.path().parent_path(), log_dir);
  std::smatch m;
  const std::string name = writer.path().filename().string();
  ASSERT_TRUE(std::regex_match(name, m, std::regex(R"(events\.out\.tfevents\.(\d+)\.(.+))"))) << name;
  const double secs = std::stod(m[1].str());
  EXPECT_GE(secs, std::floor(before));
  EXPECT_LE(secs, unix_time_now());
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  EXPECT_EQ(m[2].str(), host);
}

TEST(TensorBoardWriter, FirstRecordIsTheFileVersion) {
  TempDir dir;
  const double before = unix_time_now();
  TensorBoardWriter writer(dir.path());
  // Written and flushed by the constructor: the file is valid before any scalar.
  const auto events = read_tensorboard_events(writer.path());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  EXPECT_TRUE(events[0].scalars.empty());
  EXPECT_GE(events[0].wall_time, before);
  EXPECT_LE(events[0].wall_time, unix_time_now());
}

TEST(TensorBoardWriter, ScalarsReadBackWithTagsValuesStepsAndTimes) {
  TempDir dir;
  fs::path path;
  const std::vector<double> values = {0.0, -1.5, 3.14159265358979, 1e-7, 123456.789, 500.0};
  {
    TensorBoardWriter writer(dir.path());
    path = writer.path();
    for (std::size_t i = 0; i < values.size(); ++i) {
      writer.scalar("charts/episodic_return", values[i], static_cast<std::int64_t>(i) * 1000,
                    1700000000.25 + static_cast<double>(i));
      writer.scalar("losses/td_loss", -values[i], static_cast<std::int64_t>(i) * 1000 + 1, 1700000000.5);
    }
  }  // the destructor flushes
  const auto scalars = read_tensorboard_scalars(path);
  ASSERT_EQ(scalars.size(), 2 * values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const ScalarEvent& a = scalars[2 * i];
    const ScalarEvent& b = scalars[2 * i + 1];
    EXPECT_EQ(a.tag, "charts/episodic_return");
    EXPECT_EQ(a.value, static_cast<float>(values[i]));  // float precision, exactly
    EXPECT_EQ(a.step, static_cast<std::int64_t>(i) * 1000);
    EXPECT_EQ(a.wall_time, 1700000000.25 + static_cast<double>(i));  // double precision, exactly
    EXPECT_EQ(b.tag, "losses/td_loss");
    EXPECT_EQ(b.value, static_cast<float>(-values[i]));
    EXPECT_EQ(b.step, static_cast<std::int64_t>(i) * 1000 + 1);
    EXPECT_EQ(b.wall_time, 1700000000.5);
  }
  EXPECT_EQ(read_tensorboard_events(path).front().file_version, "brain.Event:2");
}

TEST(TensorBoardWriter, DefaultWallTimeIsNow) {
  TempDir dir;
  TensorBoardWriter writer(dir.path());
  const double before = unix_time_now();
  writer.scalar("x", 1.0, 7);
  writer.flush();
  const double after = unix_time_now();
  const auto scalars = read_tensorboard_scalars(writer.path());
  ASSERT_EQ(scalars.size(), 1u);
  EXPECT_GE(scalars[0].wall_time, before);
  EXPECT_LE(scalars[0].wall_time, after);
  EXPECT_EQ(scalars[0].step, 7);
}

TEST(TensorBoardWriter, SeveralTagsInOneEvent) {
  TempDir dir;
  TensorBoardWriter writer(dir.path());
  writer.scalars({{"a", 1.0}, {"b", 2.0}, {"c", 3.0}}, 42, 1.0e9);
  writer.flush();
  const auto events = read_tensorboard_events(writer.path());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].step, 42);
  EXPECT_EQ(events[1].scalars, (std::vector<std::pair<std::string, float>>{{"a", 1.f}, {"b", 2.f}, {"c", 3.f}}));
}

TEST(TensorBoardWriter, SpecialValuesAndLargeSteps) {
  TempDir dir;
  TensorBoardWriter writer(dir.path());
  const double inf = std::numeric_limits<double>::infinity();
  writer.scalar("nan", std::numeric_limits<double>::quiet_NaN(), 0, 1);
  writer.scalar("inf", -inf, -5, 1);
  writer.scalar("overflow", 1e300, std::int64_t{1} << 40, 1);  // beyond float: +inf, as TensorBoard would
  writer.flush();
  const auto s = read_tensorboard_scalars(writer.path());
  ASSERT_EQ(s.size(), 3u);
  EXPECT_TRUE(std::isnan(s[0].value));
  EXPECT_EQ(s[1].value, -std::numeric_limits<float>::infinity());
  EXPECT_EQ(s[1].step, -5);
  EXPECT_EQ(s[2].value, std::numeric_limits<float>::infinity());
  EXPECT_EQ(s[2].step, std::int64_t{1} << 40);
}

TEST(TensorBoardWriter, FlushMakesRecordsVisibleWhileOpen) {
  TempDir dir;
  TensorBoardWriter writer(dir.path());
  for (int i = 0; i < 100; ++i) writer.scalar("loss", 1.0 / (i + 1), i);
  writer.flush();
  EXPECT_EQ(read_tensorboard_scalars(writer.path()).size(), 100u);
}

TEST(TensorBoardWriter, TwoWritersInOneDirectoryGetTwoFiles) {
  TempDir dir;
  TensorBoardWriter a(dir.path());
  TensorBoardWriter b(dir.path());  // same second, almost surely: the name gets a suffix
  EXPECT_NE(a.path(), b.path());
  a.scalar("a", 1, 1);
  b.scalar("b", 2, 2);
  a.flush();
  b.flush();
  EXPECT_EQ(event_files(dir.path()).size(), 2u);
  EXPECT_EQ(read_tensorboard_scalars(a.path()).at(0).tag, "a");
  EXPECT_EQ(read_tensorboard_scalars(b.path()).at(0).tag, "b");
}

TEST(TensorBoardWriter, MovedWriterKeepsWriting) {
  TempDir dir;
  TensorBoardWriter a(dir.path());
  a.scalar("x", 1, 1);
  TensorBoardWriter b(std::move(a));
  b.scalar("x", 2, 2);
  b.flush();
  EXPECT_EQ(read_tensorboard_scalars(b.path()).size(), 2u);
}

TEST(TensorBoardWriter, UncreatableDirectoryThrows) {
  TempDir dir;
  spit(dir.path() / "file", "x");
  EXPECT_THROW(TensorBoardWriter(dir.path() / "file" / "sub"), std::runtime_error);
}

// --- Corruption ----------------------------------------------------------------------------------

TEST(TensorBoardReader, EveryFlippedByteIsDetected) {
  TempDir dir;
  fs::path path;
  {
    TensorBoardWriter writer(dir.path());
    path = writer.path();
    writer.scalar("reward", 1.25, 10, 100.0);
    writer.scalar("reward", 2.5, 20, 200.0);
  }
  const std::string good = slurp(path);
  ASSERT_EQ(read_tensorboard_scalars(path).size(), 2u);
  const fs::path bad = dir.path() / "corrupt";
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (unsigned char flip : {0x01, 0x80}) {
      std::string bytes = good;
      bytes[i] = static_cast<char>(bytes[i] ^ flip);
      spit(bad, bytes);
      EXPECT_THROW(read_tensorboard_scalars(bad), TfRecordError) << "byte " << i << " ^ " << int(flip);
    }
  }
}

TEST(TensorBoardReader, TruncationIsDetected) {
  TempDir dir;
  fs::path path;
  {
    TensorBoardWriter writer(dir.path());
    path = writer.path();
    writer.scalar("reward", 1.25, 10, 100.0);
  }
  const std::string good = slurp(path);
  const fs::path bad = dir.path() / "truncated";
  std::size_t record_ends = 0;
  for (std::size_t n = 1; n < good.size(); ++n) {
    spit(bad, good.substr(0, n));
    try {
      read_tfrecords(bad);
      ++record_ends;  // only where a whole record ends
    } catch (const TfRecordError& e) {
      EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(record_ends, 1u);  // after the file-version record
}

TEST(TensorBoardReader, ErrorNamesTheFileAndOffset) {
  TempDir dir;
  const fs::path bad = dir.path() / "bad";
  std::string bytes = kTfFirstRecord + kTfFirstRecord;
  bytes[40 + 20] ^= 0x10;  // in the data of the second record
  spit(bad, bytes);
  try {
    read_tfrecords(bad);
    FAIL() << "no throw";
  } catch (const TfRecordError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(bad.string()), std::string::npos) << what;
    EXPECT_NE(what.find("data CRC"), std::string::npos) << what;
    EXPECT_NE(what.find("byte 40"), std::string::npos) << what;
  }
  EXPECT_THROW(read_tfrecords(dir.path() / "missing"), TfRecordError);
}

TEST(TensorBoardReader, ValidFramingAroundANonEventThrows) {
  TempDir dir;
  const fs::path bad = dir.path() / "bad";
  spit(bad, frame_tfrecord("\xff\xff\xff"));  // not a protobuf message
  EXPECT_NO_THROW(read_tfrecords(bad));
  EXPECT_THROW(read_tensorboard_events(bad), TfRecordError);
}

}  // namespace
}  // namespace arena
