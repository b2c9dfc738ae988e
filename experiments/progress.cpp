#include "experiments/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace arena {

namespace {

constexpr int kMaxBarInner = 30;  // a longer bar tells nothing more
constexpr int kMinBarInner = 5;   // a shorter one is noise
constexpr int kPlainWidth = 100;

}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--";
  const auto s = static_cast<std::int64_t>(std::llround(seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{:02}h", s / 86400, (s % 86400) / 3600);
}

std::string format_rate(double r) {
  if (std::isnan(r)) return "--";
  const double a = std::fabs(r);
  if (a < 100) return fmt::format("{:.1f}", r);
  if (a < 9999.5) return fmt::format("{:.0f}", r);
  if (a < 999950) return fmt::format("{:.1f}k", r / 1e3);
  return fmt::format("{:.2f}M", r / 1e6);
}

std::string render_progress_line(const ProgressState& s, int width) {
  const bool known_total = s.total > 0;
  const double fraction = known_total ? std::clamp(static_cast<double>(s.step) / static_cast<double>(s.total), 0.0, 1.0)
                                      : 0.0;

  // The head (always shown) and the optional fields, each with its rank for giving up space.
  std::string head = known_total ? fmt::format("{:5.1f}% ", fraction * 100.0) : std::string();
  const std::string counts = known_total ? fmt::format("{}/{}", s.step, s.total) : fmt::format("{} steps", s.step);

  struct Field {
    std::string text;
    int drop_rank;  // lower goes first
  };
  std::vector<Field> fields;
  fields.push_back({format_rate(s.steps_per_s) + " steps/s", 0});
  if (s.done) {
    fields.push_back({"took " + format_duration(s.elapsed_s), 3});
  } else if (known_total) {
    const double eta = s.steps_per_s > 0 ? static_cast<double>(std::max<std::int64_t>(s.total - s.step, 0)) / s.steps_per_s
                                         : std::numeric_limits<double>::quiet_NaN();
    fields.push_back({"ETA " + format_duration(eta), 3});
  }
  if (std::isfinite(s.mean_return)) fields.push_back({fmt::format("return {:.2f}", s.mean_return), 2});
  if (std::isfinite(s.last_eval)) fields.push_back({fmt::format("eval {:.2f}", s.last_eval), 1});

  const auto tail_text = [&] {
    std::string t = counts;
    for (const Field& f : fields) t += " | " + f.text;
    return t;
  };
  const auto length = [](const std::string& x) { return static_cast<int>(x.size()); };

  std::string tail = tail_text();
  // The bar takes what the text leaves, between kMinBarInner and kMaxBarInner cells.
  int inner = known_total ? std::min(kMaxBarInner, width - length(head) - length(tail) - 3) : 0;  // "[", "] "
  while (inner < kMinBarInner && !fields.empty() && length(head) + length(tail) > width) {
    // No room for a bar: give up fields until the text fits.
    const auto it = std::min_element(fields.begin(), fields.end(),
                                     [](const Field& a, const Field& b) { return a.drop_rank < b.drop_rank; });
    fields.erase(it);
    tail = tail_text();
  }
  std::string line = head;
  if (inner >= kMinBarInner) {
    const int filled = static_cast<int>(std::floor(fraction * inner));
    line += '[';
    line.append(static_cast<std::size_t>(filled), '#');
    line.append(static_cast<std::size_t>(inner - filled), '-');
    line += "] ";
  }
  line += tail;
  if (width >= 0 && length(line) > width) line.resize(static_cast<std::size_t>(width));
  return line;
}

void RateMeter::add(std::int64_t step, double t) {
  if (!has_ref_ || step < ref_step_ || t < ref_time_) {  // first sample, or a rewind: start over
    has_ref_ = true;
    ref_step_ = step;
    ref_time_ = t;
    rate_ = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  const double dt = t - ref_time_;
  if (dt < min_dt_) return;  // too short to measure: keep accumulating
  const double inst = static_cast<double>(step - ref_step_) / dt;
  // Smoothing weight from elapsed time, not from the number of calls.
  rate_ = std::isnan(rate_) ? inst : rate_ + (1.0 - std::exp(-dt / tau_)) * (inst - rate_);
  ref_step_ = step;
  ref_time_ = t;
}

ProgressBar::ProgressBar(std::int64_t total_steps, ProgressOptions options)
    : total_(total_steps), opt_(std::move(options)) {
  if (opt_.out == nullptr) opt_.out = stdout;
  tty_ = opt_.tty >= 0 ? opt_.tty != 0 : ::isatty(::fileno(opt_.out)) != 0;
  if (opt_.quiet) tty_ = false;
  start_time_ = now();
  last_draw_ = start_time_;
  state_.total = total_;
}

ProgressBar::~ProgressBar() {
  try {
    finish();
  } catch (...) {  // a destructor must not throw; the line is cosmetic
  }
}

double ProgressBar::now() const {
  if (opt_.clock) return opt_.clock();
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int ProgressBar::line_width() const {
  if (opt_.width > 0) return opt_.width;
  if (!tty_) return kPlainWidth;
  winsize ws{};
  if (::ioctl(::fileno(opt_.out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col - 1;  // not the last column: some terminals wrap there
  if (const char* cols = std::getenv("COLUMNS")) {
    const int c = std::atoi(cols);
    if (c > 1) return c - 1;
  }
  return kPlainWidth - 1;
}

void ProgressBar::update(std::int64_t step, double mean_return, double last_eval) {
  if (finished_) return;
  const double t = now();
  if (!updated_) {
    first_step_ = step;
    first_time_ = t;
  }
  meter_.add(step, t);
  state_.step = step;
  state_.mean_return = mean_return;
  state_.last_eval = last_eval;
  const bool first = !updated_;
  updated_ = true;
  const double interval = tty_ ? opt_.tty_interval_s : opt_.line_interval_s;
  // A terminal shows the bar at once; a log gets its first line after one interval.
  if ((tty_ && first) || t - last_draw_ >= interval) {
    last_draw_ = t;
    state_.steps_per_s = meter_.rate();
    state_.elapsed_s = t - start_time_;
    draw(false);
  }
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  if (!updated_) return;
  const double t = now();
  state_.done = true;
  state_.elapsed_s = t - start_time_;
  const double dt = t - first_time_;
  state_.steps_per_s = dt > 0 ? static_cast<double>(state_.step - first_step_) / dt : meter_.rate();
  draw(true);
}

void ProgressBar::draw(bool final_line) {
  const std::string line = render_progress_line(state_, line_width());
  std::string out;
  if (tty_) {
    out = "\r" + line;
    if (line.size() < last_len_) out.append(last_len_ - line.size(), ' ');  // blank the old tail
    last_len_ = line.size();
    if (final_line) out += '\n';
  } else {
    out = line + '\n';
  }
  std::fwrite(out.data(), 1, out.size(), opt_.out);
  std::fflush(opt_.out);
}

}  // namespace arena
