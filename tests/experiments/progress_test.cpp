// The progress line: the pure rendering at several widths, the rate estimate, and the bar's
// redraw policy on a terminal and in a log (with a fake clock and a temporary file).
#include "experiments/progress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace arena {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

ProgressState typical() {
  ProgressState s;
  s.step = 420000;
  s.total = 1000000;
  s.steps_per_s = 2350;
  s.mean_return = 181.2;
  s.last_eval = 200;
  return s;
}

TEST(FormatDuration, Units) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(44.6), "45s");
  EXPECT_EQ(format_duration(59.4), "59s");
  EXPECT_EQ(format_duration(60), "1m00s");
  EXPECT_EQ(format_duration(372), "6m12s");
  EXPECT_EQ(format_duration(3600), "1h00m");
  EXPECT_EQ(format_duration(2 * 3600 + 3 * 60 + 59), "2h03m");
  EXPECT_EQ(format_duration(3 * 86400 + 4 * 3600), "3d04h");
  EXPECT_EQ(format_duration(-1), "--");
  EXPECT_EQ(format_duration(kNaN), "--");
  EXPECT_EQ(format_duration(std::numeric_limits<double>::infinity()), "--");
}

TEST(FormatRate, Units) {
  EXPECT_EQ(format_rate(8.46), "8.5");
  EXPECT_EQ(format_rate(950), "950");
  EXPECT_EQ(format_rate(9999), "9999");
  EXPECT_EQ(format_rate(12345), "12.3k");
  EXPECT_EQ(format_rate(1.2e6), "1.20M");
  EXPECT_EQ(format_rate(kNaN), "--");
}

TEST(RenderProgressLine, TypicalLine) {
  EXPECT_EQ(render_progress_line(typical(), 120),
            " 42.0% [############------------------] 420000/1000000 | 2350 steps/s | ETA 4m07s | return 181.20 | "
            "eval 200.00");
}

TEST(RenderProgressLine, BarFillsWithTheFraction) {
  ProgressState s = typical();
  s.mean_return = s.last_eval = kNaN;
  for (std::int64_t step : {std::int64_t{0}, std::int64_t{500000}, std::int64_t{1000000}, std::int64_t{2000000}}) {
    s.step = step;
    const std::string line = render_progress_line(s, 200);
    const auto open = line.find('['), close = line.find(']');
    ASSERT_NE(open, std::string::npos) << line;
    const std::string bar = line.substr(open + 1, close - open - 1);
    EXPECT_EQ(bar.size(), 30u);
    const auto filled = std::count(bar.begin(), bar.end(), '#');
    EXPECT_EQ(filled, std::min<std::int64_t>(30, step * 30 / 1000000)) << line;
  }
  s.step = 1000000;
  EXPECT_EQ(render_progress_line(s, 200).substr(0, 7), "100.0% ");
}

TEST(RenderProgressLine, UnknownFieldsAreLeftOut) {
  ProgressState s = typical();
  s.steps_per_s = kNaN;
  s.mean_return = kNaN;
  s.last_eval = kNaN;
  EXPECT_EQ(render_progress_line(s, 200),
            " 42.0% [############------------------] 420000/1000000 | -- steps/s | ETA --");
}

TEST(RenderProgressLine, UnknownTotal) {
  ProgressState s = typical();
  s.total = 0;
  s.last_eval = kNaN;
  EXPECT_EQ(render_progress_line(s, 200), "420000 steps | 2350 steps/s | return 181.20");
}

TEST(RenderProgressLine, DoneShowsTheElapsedTime) {
  ProgressState s = typical();
  s.step = s.total;
  s.done = true;
  s.elapsed_s = 3723;
  const std::string line = render_progress_line(s, 200);
  EXPECT_NE(line.find("took 1h02m"), std::string::npos) << line;
  EXPECT_EQ(line.find("ETA"), std::string::npos) << line;
}

TEST(RenderProgressLine, NeverWiderThanTheWidth) {
  ProgressState states[4] = {typical(), typical(), typical(), typical()};
  states[1].total = 0;
  states[2].step = std::numeric_limits<std::int64_t>::max() / 2;
  states[2].total = std::numeric_limits<std::int64_t>::max();
  states[3].done = true;
  states[3].mean_return = -1e12;
  for (const ProgressState& s : states)
    for (int width = 0; width <= 200; ++width) {
      const std::string line = render_progress_line(s, width);
      EXPECT_LE(static_cast<int>(line.size()), width) << line;
      EXPECT_EQ(line.find('\n'), std::string::npos);
    }
}

TEST(RenderProgressLine, GivesUpTheBarThenRateThenEvalThenReturn) {
  const ProgressState s = typical();
  const std::string full = render_progress_line(s, 120);
  const auto has = [](const std::string& line, const char* what) { return line.find(what) != std::string::npos; };
  // The line without a bar is " 42.0% " + 71 characters of text.
  std::string line = render_progress_line(s, 78);
  EXPECT_FALSE(has(line, "["));
  EXPECT_TRUE(has(line, "steps/s") && has(line, "eval") && has(line, "return") && has(line, "ETA")) << line;
  line = render_progress_line(s, 70);
  EXPECT_FALSE(has(line, "steps/s"));
  EXPECT_TRUE(has(line, "eval") && has(line, "return") && has(line, "ETA")) << line;
  line = render_progress_line(s, 55);
  EXPECT_FALSE(has(line, "eval"));
  EXPECT_TRUE(has(line, "return") && has(line, "ETA")) << line;
  line = render_progress_line(s, 40);
  EXPECT_FALSE(has(line, "return"));
  EXPECT_TRUE(has(line, "ETA")) << line;
  line = render_progress_line(s, 25);
  EXPECT_EQ(line, " 42.0% 420000/1000000");
  EXPECT_TRUE(has(full, "["));
}

TEST(RateMeter, ConstantRateIsExactWhateverTheCallFrequency) {
  for (double dt : {0.001, 0.05, 0.3, 2.0}) {
    RateMeter m;
    EXPECT_TRUE(std::isnan(m.rate()));
    for (int i = 0; i * dt <= 20; ++i) m.add(std::llround(i * dt * 1000), i * dt);
    EXPECT_NEAR(m.rate(), 1000.0, 1.0) << dt;
  }
}

TEST(RateMeter, FollowsAChangeOfRate) {
  RateMeter m(/*time_constant_s=*/5.0);
  std::int64_t step = 0;
  double t = 0;
  for (; t < 30; t += 0.5, step += 500) m.add(step, t);  // 1000 steps/s
  EXPECT_NEAR(m.rate(), 1000, 1);
  for (double t_end = t + 5; t < t_end; t += 0.5, step += 1500) m.add(step, t);  // 3000 steps/s for one tau
  EXPECT_GT(m.rate(), 2000);
  EXPECT_LT(m.rate(), 2600);
  for (double t_end = t + 40; t < t_end; t += 0.5, step += 1500) m.add(step, t);
  EXPECT_NEAR(m.rate(), 3000, 1);
}

TEST(RateMeter, RewindStartsOver) {
  RateMeter m;
  m.add(0, 0);
  m.add(1000, 1);
  EXPECT_NEAR(m.rate(), 1000, 1e-9);
  m.add(500, 2);  // a resumed run, back at a checkpoint
  EXPECT_TRUE(std::isnan(m.rate()));
  m.add(700, 3);
  EXPECT_NEAR(m.rate(), 200, 1e-9);
}

// --- ProgressBar ---------------------------------------------------------------------------------

class BarOutput {
 public:
  BarOutput() : file_(std::tmpfile()) {}
  ~BarOutput() { std::fclose(file_); }
  std::FILE* file() const { return file_; }
  std::string text() const {
    std::fflush(file_);
    const long end = std::ftell(file_);
    std::string s(static_cast<std::size_t>(end), '\0');
    std::rewind(file_);
    const std::size_t n = std::fread(s.data(), 1, s.size(), file_);
    s.resize(n);
    std::fseek(file_, 0, SEEK_END);
    return s;
  }

 private:
  std::FILE* file_;
};

TEST(ProgressBar, TerminalRedrawsInPlaceAtMostTenTimesASecond) {
  BarOutput out;
  double now = 100;
  ProgressOptions o;
  o.out = out.file();
  o.tty = 1;
  o.width = 100;
  o.clock = [&] { return now; };
  ProgressBar bar(10000, o);
  for (int i = 0; i <= 1000; ++i) {  // 1000 updates over 1 s
    now = 100 + i * 0.001;
    bar.update(i * 10, 5.0, kNaN);
  }
  std::string text = out.text();
  const auto redraws = std::count(text.begin(), text.end(), '\r');
  EXPECT_GE(redraws, 10);
  EXPECT_LE(redraws, 11);  // the first update, then one per 0.1 s
  EXPECT_EQ(text.find('\n'), std::string::npos);  // one line, redrawn
  EXPECT_NE(text.find("10000 | 10.0k steps/s"), std::string::npos) << text;
  bar.finish();
  text = out.text();
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  EXPECT_NE(text.rfind("took 1s"), std::string::npos) << text;
  bar.finish();  // idempotent
  bar.update(20000, kNaN, kNaN);  // ignored once finished
  EXPECT_EQ(out.text(), text);
}

TEST(ProgressBar, TerminalBlanksTheTailOfALongerLine) {
  BarOutput out;
  double now = 0;
  ProgressOptions o;
  o.out = out.file();
  o.tty = 1;
  o.width = 150;
  o.clock = [&] { return now; };
  ProgressBar bar(1000, o);
  bar.update(10, 123456.5, 654321.5);
  now = 1;
  bar.update(20, kNaN, kNaN);  // a shorter line
  const std::string text = out.text();
  const auto second = text.rfind('\r');
  const std::string first_line = text.substr(1, second - 1);
  const std::string second_line = text.substr(second + 1);
  EXPECT_EQ(second_line.size(), first_line.size());
  EXPECT_EQ(second_line.back(), ' ');
}

TEST(ProgressBar, LogGetsAPlainLinePerInterval) {
  BarOutput out;
  double now = 0;
  ProgressOptions o;
  o.out = out.file();
  o.tty = 0;
  o.line_interval_s = 10;
  o.clock = [&] { return now; };
  {
    ProgressBar bar(35000, o);
    for (int i = 0; i <= 35; ++i) {
      now = i;
      bar.update(i * 1000, i >= 20 ? 42.0 : kNaN, kNaN);
    }
  }  // the destructor finishes
  const std::string text = out.text();
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4) << text;  // t = 10, 20, 30, and the final line
  EXPECT_NE(text.find("10000/35000"), std::string::npos) << text;
  EXPECT_NE(text.find("30000/35000 | 1000 steps/s | ETA 5s | return 42.00"), std::string::npos) << text;
  EXPECT_NE(text.find("100.0% [##############################] 35000/35000 | 1000 steps/s | took 35s"),
            std::string::npos)
      << text;
}

TEST(ProgressBar, QuietUsesPlainLinesEvenOnATerminal) {
  BarOutput out;
  double now = 0;
  ProgressOptions o;
  o.out = out.file();
  o.tty = 1;
  o.quiet = true;
  o.clock = [&] { return now; };
  ProgressBar bar(100, o);
  bar.update(1);
  now = 0.5;
  bar.update(2);
  EXPECT_EQ(out.text(), "");  // no line before the first interval
  bar.finish();
  const std::string text = out.text();
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
}

TEST(ProgressBar, NothingPrintedWithoutAnUpdate) {
  BarOutput out;
  ProgressOptions o;
  o.out = out.file();
  o.tty = 1;
  { ProgressBar bar(100, o); }
  EXPECT_EQ(out.text(), "");
}

}  // namespace
}  // namespace arena
