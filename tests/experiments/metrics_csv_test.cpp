// MetricsCsv: header, rows, number format, append for resumed runs, and truncate_after_step.
#include "experiments/metrics_csv.h"

#include <gtest/gtest.h>

#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "experiments/test_dir.h"

namespace arena {
namespace {

namespace fs = std::filesystem;

using test::slurp;
using test::spit;
using test::TempDir;

TEST(MetricsCsv, WritesHeaderAndRowsWithEmptyCellsForMissingValues) {
  TempDir dir;
  const fs::path p = dir.path() / "logs" / "progress.csv";  // parent created
  MetricsCsv csv(p, {"step", "episode_return", "loss"});
  EXPECT_EQ(slurp(p), "step,episode_return,loss\n");  // header flushed at once
  csv.row({{"step", 100}, {"loss", 0.5}});
  csv.row({{"episode_return", 21.25}, {"step", 200}});  // any order
  csv.row({});
  // Each row is flushed: visible while the writer is open.
  EXPECT_EQ(slurp(p), "step,episode_return,loss\n100,,0.5\n200,21.25,\n,,\n");
}

TEST(MetricsCsv, NumbersRoundTripAtFullPrecision) {
  const double values[] = {0.1, 1.0 / 3.0, -2.0 / 7.0, 1e-300, 6.02214076e23, 123456789.123456789,
                           std::numeric_limits<double>::min(), std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::denorm_min(), 0.30000000000000004};
  for (double v : values) {
    const std::string s = format_csv_number(v);
    double back = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), back);
    ASSERT_EQ(ec, std::errc()) << s;
    EXPECT_EQ(end, s.data() + s.size()) << s;
    EXPECT_EQ(back, v) << s;
  }
  EXPECT_EQ(format_csv_number(0.1), "0.1");  // shortest form, not 0.1000000000000000055511
  EXPECT_EQ(format_csv_number(1.0 / 3.0), "0.3333333333333333");
}

TEST(MetricsCsv, IntegralValuesPrintAsIntegers) {
  EXPECT_EQ(format_csv_number(0), "0");
  EXPECT_EQ(format_csv_number(-0.0), "0");
  EXPECT_EQ(format_csv_number(1000000), "1000000");  // not "1e+06"
  EXPECT_EQ(format_csv_number(-42), "-42");
  EXPECT_EQ(format_csv_number(9007199254740991.0), "9007199254740991");  // 2^53 - 1
  EXPECT_EQ(format_csv_number(1e20), "1e+20");  // past 2^53: the shortest form
  EXPECT_EQ(format_csv_number(2.5), "2.5");
}

TEST(MetricsCsv, NonFiniteValues) {
  EXPECT_EQ(format_csv_number(std::numeric_limits<double>::quiet_NaN()), "nan");
  EXPECT_EQ(format_csv_number(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(format_csv_number(-std::numeric_limits<double>::infinity()), "-inf");
}

TEST(MetricsCsv, UnknownKeyThrowsNamingItAndWritesNothing) {
  TempDir dir;
  const fs::path p = dir.path() / "m.csv";
  MetricsCsv csv(p, {"step", "loss"});
  try {
    csv.row({{"step", 1}, {"q_value", 3}});
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("q_value"), std::string::npos) << e.what();
  }
  EXPECT_THROW(csv.row({{"step", 1}, {"step", 2}}), std::invalid_argument);  // given twice
  EXPECT_EQ(slurp(p), "step,loss\n");
  csv.row({{"step", 1}});  // still usable
  EXPECT_EQ(slurp(p), "step,loss\n1,\n");
}

TEST(MetricsCsv, BadColumnsThrow) {
  TempDir dir;
  const fs::path p = dir.path() / "m.csv";
  EXPECT_THROW(MetricsCsv(p, {}), std::invalid_argument);
  EXPECT_THROW(MetricsCsv(p, {"step", "step"}), std::invalid_argument);
  EXPECT_THROW(MetricsCsv(p, {"step", ""}), std::invalid_argument);
  EXPECT_THROW(MetricsCsv(p, {"a,b"}), std::invalid_argument);
  EXPECT_THROW(MetricsCsv(p, {"say \"hi\""}), std::invalid_argument);
  EXPECT_THROW(MetricsCsv(p, {"two\nlines"}), std::invalid_argument);
  spit(dir.path() / "file", "x");
  EXPECT_THROW(MetricsCsv(dir.path() / "file" / "m.csv", {"a"}), std::runtime_error);  // parent is a file
}

TEST(MetricsCsv, WithoutAppendTheFileStartsOver) {
  TempDir dir;
  const fs::path p = dir.path() / "m.csv";
  spit(p, "old,header\n1,2\n");
  MetricsCsv csv(p, {"step"});
  csv.row({{"step", 5}});
  EXPECT_EQ(slurp(p), "step\n5\n");
}

TEST(MetricsCsv, AppendKeepsTheExistingHeaderAndRows) {
  TempDir dir;
  const fs::path p = dir.path() / "m.csv";
  {
    MetricsCsv csv(p, {"step", "loss", "eval"});
    csv.row({{"step", 1}, {"loss", 0.5}});
  }
  {
    // The file's column order wins; asking for a subset is fine.
    MetricsCsv csv(p, {"loss", "step"}, /*append=*/true);
    EXPECT_EQ(csv.columns(), (std::vector<std::string>{"step", "loss", "eval"}));
    csv.row({{"step", 2}, {"loss", 0.25}, {"eval", 9}});
  }
  EXPECT_EQ(slurp(p), "step,loss,eval\n1,0.5,\n2,0.25,9\n");
}

TEST(MetricsCsv, AppendToAMissingOrEmptyFileWritesTheHeader) {
  TempDir dir;
  const fs::path p = dir.path() / "m.csv";
  {
    MetricsCsv csv(p, {"step", "loss"}, /*append=*/true);
    csv.row({{"step", 1}});
  }
  EXPECT_EQ(slurp(p), "step,loss\n1,\n");
  spit(p, "");
  {
    MetricsCsv csv(p, {"step"}, /*append=*/true);
    csv.row({{"step", 3}});
  }
  EXPECT_EQ(slurp(p), "step\n3\n");
}

TEST(MetricsCsv, AppendRefusesAHeaderWithoutTheColumns) {
  TempDir dir;
  const fs::path p = dir.path() / "m.csv";
  spit(p, "step,loss\n1,2\n");
  try {
    MetricsCsv csv(p, {"step", "entropy"}, /*append=*/true);
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("entropy"), std::string::npos) << e.what();
  }
  EXPECT_EQ(slurp(p), "step,loss\n1,2\n");  // untouched
}

TEST(MetricsCsv, AppendCutsOffAnIncompleteLastLine) {
  TempDir dir;
  const fs::path p = dir.path() / "m.csv";
  spit(p, "step,loss\n1,2\n2,0.12");  // a crash in mid-row
  {
    MetricsCsv csv(p, {"step", "loss"}, /*append=*/true);
    csv.row({{"step", 2}, {"loss", 0.125}});
  }
  EXPECT_EQ(slurp(p), "step,loss\n1,2\n2,0.125\n");
}

TEST(TruncateAfterStep, DropsLaterRowsAndKeepsTheRestByteForByte) {
  TempDir dir;
  const fs::path p = dir.path() / "m.csv";
  spit(p, "time,step,loss\n0.5,100,1\n1.5,200,0.123456789\n2.5,300,\n3.5,250,7\n4.5,1e+06,8\n");
  EXPECT_EQ(truncate_after_step(p, "step", 250), 2u);  // 300 and 1e+06 go; 250 (an eval row) stays
  EXPECT_EQ(slurp(p), "time,step,loss\n0.5,100,1\n1.5,200,0.123456789\n3.5,250,7\n");
  // No temporary file is left beside it.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1u);
  EXPECT_EQ(truncate_after_step(p, "step", 1000), 0u);  // nothing to drop: untouched
  EXPECT_EQ(truncate_after_step(p, "step", 0), 3u);
  EXPECT_EQ(slurp(p), "time,step,loss\n");
}

TEST(TruncateAfterStep, DropsAnIncompleteLastLine) {
  TempDir dir;
  const fs::path p = dir.path() / "m.csv";
  spit(p, "step,loss\n1,2\n2,3\n3,0.1");
  EXPECT_EQ(truncate_after_step(p, "step", 100), 1u);
  EXPECT_EQ(slurp(p), "step,loss\n1,2\n2,3\n");
}

TEST(TruncateAfterStep, MissingOrEmptyFileIsLeftAlone) {
  TempDir dir;
  EXPECT_EQ(truncate_after_step(dir.path() / "none.csv", "step", 5), 0u);
  EXPECT_FALSE(fs::exists(dir.path() / "none.csv"));
  spit(dir.path() / "empty.csv", "");
  EXPECT_EQ(truncate_after_step(dir.path() / "empty.csv", "step", 5), 0u);
}

TEST(TruncateAfterStep, BadInputThrows) {
  TempDir dir;
  const fs::path p = dir.path() / "m.csv";
  spit(p, "step,loss\n1,2\n");
  try {
    truncate_after_step(p, "global_step", 5);
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("global_step"), std::string::npos) << e.what();
  }
  spit(p, "step,loss\n1,2\nabc,3\n");
  EXPECT_THROW(truncate_after_step(p, "step", 5), std::runtime_error);
  spit(p, "step,loss\n1,2\n,3\n");
  EXPECT_THROW(truncate_after_step(p, "step", 5), std::runtime_error);
  EXPECT_EQ(slurp(p), "step,loss\n1,2\n,3\n");  // untouched on error
}

TEST(TruncateAfterStep, ResumedRunRewindsThenAppends) {
  TempDir dir;
  const fs::path p = dir.path() / "progress.csv";
  {
    MetricsCsv csv(p, {"step", "return"});
    for (int s = 1; s <= 10; ++s) csv.row({{"step", s * 1000}, {"return", s * 0.5}});
  }  // the run dies after step 10000; its last checkpoint was at step 6000
  EXPECT_EQ(truncate_after_step(p, "step", 6000), 4u);
  {
    MetricsCsv csv(p, {"step", "return"}, /*append=*/true);
    for (int s = 7; s <= 8; ++s) csv.row({{"step", s * 1000}, {"return", -s * 1.0}});
  }
  EXPECT_EQ(slurp(p),
            "step,return\n1000,0.5\n2000,1\n3000,1.5\n4000,2\n5000,2.5\n6000,3\n7000,-7\n8000,-8\n");
}

TEST(MetricsCsv, MovedWriterKeepsWriting) {
  TempDir dir;
  const fs::path p = dir.path() / "m.csv";
  MetricsCsv a(p, {"step"});
  MetricsCsv b(std::move(a));
  b.row({{"step", 1}});
  EXPECT_EQ(slurp(p), "step\n1\n");
}

}  // namespace
}  // namespace arena
