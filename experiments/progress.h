// The progress line of a training run:
//    42.0% [############------------------] 420000/1000000 | 2350 steps/s | ETA 4m07s | return 181.20 | eval 200.00
// On a terminal it redraws one line in place (carriage return) at most ~10 times a second; when
// the output is not a terminal (a log file, CI) or when quiet, it prints a plain line every
// `line_interval_s` instead. The formatting is a pure function, render_progress_line.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>

namespace arena {

// What one progress line shows. NaN means "not known yet" (the field is left out, or shows "--").
struct ProgressState {
  std::int64_t step = 0;
  std::int64_t total = 0;  // <= 0: unknown (no percentage, bar or ETA)
  double steps_per_s = std::numeric_limits<double>::quiet_NaN();
  double elapsed_s = 0;  // shown instead of the ETA once done
  double mean_return = std::numeric_limits<double>::quiet_NaN();
  double last_eval = std::numeric_limits<double>::quiet_NaN();
  bool done = false;
};

// The line for `state`, at most `width` characters, without a line break. Fields are given up,
// when space runs short, in this order: the bar, the rate, the evaluation, the return, the time;
// what still does not fit is cut at `width`.
std::string render_progress_line(const ProgressState& state, int width);

// "45s", "6m12s", "2h03m", "3d04h"; "--" for a negative or non-finite duration.
std::string format_duration(double seconds);
// "8.5", "950", "12.3k", "1.20M"; "--" for NaN.
std::string format_rate(double per_second);

// Steps per second, exponentially smoothed over wall time (time constant `time_constant_s`), so
// that the estimate does not depend on how often it is fed. NaN until two samples at least
// `min_interval_s` apart; a step that goes backwards restarts the estimate.
class RateMeter {
 public:
  explicit RateMeter(double time_constant_s = 5.0, double min_interval_s = 0.2)
      : tau_(time_constant_s), min_dt_(min_interval_s) {}
  void add(std::int64_t step, double time_s);
  double rate() const { return rate_; }

 private:
  double tau_, min_dt_;
  bool has_ref_ = false;
  std::int64_t ref_step_ = 0;
  double ref_time_ = 0;
  double rate_ = std::numeric_limits<double>::quiet_NaN();
};

struct ProgressOptions {
  bool quiet = false;              // plain periodic lines even on a terminal
  double tty_interval_s = 0.1;     // terminal: at most one redraw per this many seconds
  double line_interval_s = 10.0;   // plain mode: one line per this many seconds
  std::FILE* out = stdout;
  int tty = -1;                    // -1: ask isatty(out); 0 or 1: as given (tests)
  int width = 0;                   // 0: the terminal's width (plain mode: 100)
  std::function<double()> clock;   // monotonic seconds; empty: std::chrono::steady_clock
};

// Not thread-safe: call it from the training loop's thread.
class ProgressBar {
 public:
  explicit ProgressBar(std::int64_t total_steps, ProgressOptions options = {});
  ~ProgressBar();  // calls finish()
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Reports the env steps done so far, the mean return of recent episodes and the score of the
  // last evaluation (NaN for "none yet"). Cheap when it does not redraw: call it every step.
  void update(std::int64_t step, double mean_return = std::numeric_limits<double>::quiet_NaN(),
              double last_eval = std::numeric_limits<double>::quiet_NaN());

  // Draws the final line (with the elapsed time and the mean rate of the whole run) and ends it
  // with a line break. Idempotent; prints nothing when update() was never called.
  void finish();

 private:
  double now() const;
  int line_width() const;
  void draw(bool final_line);

  std::int64_t total_;
  ProgressOptions opt_;
  bool tty_ = false;
  bool finished_ = false;
  bool updated_ = false;
  double start_time_ = 0;
  double last_draw_ = 0;
  std::size_t last_len_ = 0;  // length of the line on screen (terminal mode), to blank its tail
  std::int64_t first_step_ = 0;  // step and time of the first update (the final line's mean rate)
  double first_time_ = 0;
  ProgressState state_;
  RateMeter meter_;
};

}  // namespace arena
