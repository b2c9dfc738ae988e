#include "envs/core/atari_wrappers.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "envs/core/wrappers.h"

namespace arena {

namespace {

const Space& require_uint8_box(const Env& env, const char* wrapper) {
  const Space& s = env.observation_space();
  if (!s.is_box() || s.dtype() != DType::UInt8)
    throw std::invalid_argument(std::string(wrapper) + " needs a uint8 Box observation space, got " + s.repr());
  return s;
}

const GameInfo& require_game_info(const Env& env, const char* wrapper) {
  const GameInfo* info = game_info(env);
  if (!info)
    throw std::invalid_argument(std::string(wrapper) + " needs an env that reports its lives and action meanings "
                                "(GameInfo), which " + (env.spec().id.empty() ? "this env" : env.spec().id) +
                                " does not");
  return *info;
}

// Nearest integer, ties to even (as lrintf in the default rounding mode),
// clamped to [0, 255]: adding 1.5 * 2^23 leaves the rounded integer in the
// low mantissa bits (exact for |x| < 2^22). Inline, unlike lrintf.
inline std::uint8_t round_to_u8(float x) {
  x = std::min(std::max(x, 0.0f), 255.0f);
  const float shifted = x + 12582912.0f;
  std::uint32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  return static_cast<std::uint8_t>(bits - 0x4B400000u);
}

std::int64_t noop_action(const Env& env) {
  const int i = action_index(env, "NOOP");
  return i >= 0 ? i : 0;
}

}  // namespace

// ---------------------------------------------------------------- NoopReset

NoopReset::NoopReset(std::unique_ptr<Env> env, int noop_max) : Wrapper(std::move(env)), noop_max_(noop_max) {
  if (noop_max < 1) throw std::invalid_argument("NoopReset: noop_max must be >= 1, got " + std::to_string(noop_max));
  if (!inner_->action_space().is_discrete())
    throw std::invalid_argument("NoopReset needs a Discrete action space, got " + inner_->action_space().repr());
  noop_ = noop_action(*inner_);
}

void NoopReset::do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) {
  inner_->reset(out, seed, options);
  last_noops_ = static_cast<int>(inner_->unwrapped().rng().integer(1, noop_max_));
  for (int i = 0; i < last_noops_; ++i)
    if (inner_->step(noop_, out).done()) inner_->reset(out, std::nullopt, options);
}

void NoopReset::do_save_state(StateWriter& out) const {
  Wrapper::do_save_state(out);
  out.pod(last_noops_);
}

void NoopReset::do_load_state(StateReader& in) {
  Wrapper::do_load_state(in);
  in.pod(last_noops_);
}

// --------------------------------------------------------------- MaxAndSkip

MaxAndSkip::MaxAndSkip(std::unique_ptr<Env> env, int skip) : Wrapper(std::move(env)), skip_(skip) {
  if (skip < 1) throw std::invalid_argument("MaxAndSkip: skip must be >= 1, got " + std::to_string(skip));
  const Space& s = require_uint8_box(*inner_, "MaxAndSkip");
  frames_[0].assign(s.size(), 0);
  frames_[1].assign(s.size(), 0);
}

StepResult MaxAndSkip::do_step(ActionView action, ObsBuffer out) {
  StepResult total;
  const std::size_t n = frames_[0].size();
  int taken = 0;
  for (int i = 0; i < skip_; ++i) {
    // Frames alternate between the two buffers: the last two stay.
    const StepResult r = inner_->step(action, Buffer(frames_[taken & 1].data(), DType::UInt8, n));
    ++taken;
    total.reward += r.reward;
    total.terminated = r.terminated;
    total.truncated = r.truncated;
    if (r.done()) break;
  }
  auto* o = out.as<std::uint8_t>();
  const std::uint8_t* last = frames_[(taken - 1) & 1].data();
  if (taken == 1) {
    std::memcpy(o, last, n);
  } else {
    const std::uint8_t* before = frames_[taken & 1].data();
    for (std::size_t k = 0; k < n; ++k) o[k] = std::max(last[k], before[k]);
  }
  return total;
}

// ------------------------------------------------------------- EpisodicLife

EpisodicLife::EpisodicLife(std::unique_ptr<Env> env)
    : Wrapper(std::move(env)), info_(&require_game_info(*inner_, "EpisodicLife")) {
  noop_ = noop_action(*inner_);
}

void EpisodicLife::do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) {
  if (real_done_ || seed || !options.empty()) {
    inner_->reset(out, seed, options);
  } else {
    // Continue the game from the state the lost life left it in.
    const StepResult r = inner_->step(noop_, out);
    if (r.done()) inner_->reset(out, std::nullopt, options);
  }
  real_done_ = false;
  lives_ = info_->lives();
}

StepResult EpisodicLife::do_step(ActionView action, ObsBuffer out) {
  StepResult r = Wrapper::do_step(action, out);
  real_done_ = r.done();
  const int lives = info_->lives();
  if (lives < lives_ && lives > 0) r.terminated = true;
  lives_ = lives;
  return r;
}

void EpisodicLife::do_save_state(StateWriter& out) const {
  Wrapper::do_save_state(out);
  out.pod(lives_);
  out.pod(real_done_);
}

void EpisodicLife::do_load_state(StateReader& in) {
  Wrapper::do_load_state(in);
  in.pod(lives_);
  in.pod(real_done_);
}

// ---------------------------------------------------------------- FireReset

FireReset::FireReset(std::unique_ptr<Env> env) : Wrapper(std::move(env)) {
  const GameInfo& info = require_game_info(*inner_, "FireReset");
  fire_ = action_index(*inner_, "FIRE");
  if (fire_ < 0) throw std::invalid_argument("FireReset: the env has no FIRE action");
  if (info.action_meanings().size() < 3)
    throw std::invalid_argument("FireReset: the env needs at least 3 actions");
}

void FireReset::do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) {
  inner_->reset(out, seed, options);
  if (inner_->step(fire_, out).done()) inner_->reset(out, std::nullopt, options);
  if (inner_->step(std::int64_t{2}, out).done()) inner_->reset(out, std::nullopt, options);
}

// --------------------------------------------------------------- ClipReward

ClipReward::ClipReward(std::unique_ptr<Env> env) : Wrapper(std::move(env)) {}

StepResult ClipReward::do_step(ActionView action, ObsBuffer out) {
  StepResult r = Wrapper::do_step(action, out);
  r.reward = r.reward > 0 ? 1.0 : (r.reward < 0 ? -1.0 : 0.0);
  return r;
}

// ----------------------------------------------------- GrayscaleObservation

GrayscaleObservation::GrayscaleObservation(std::unique_ptr<Env> env) : Wrapper(std::move(env)) {
  const Space& s = require_uint8_box(*inner_, "GrayscaleObservation");
  if (s.shape().size() != 3 || s.shape()[2] != 3)
    throw std::invalid_argument("GrayscaleObservation needs [H, W, 3] RGB observations, got " + s.repr());
  inner_obs_ = s.make_array();
  spec_.observation_space = Space::box({s.shape()[0], s.shape()[1]}, 0, 255, DType::UInt8);
}

void GrayscaleObservation::convert(ObsBuffer out) const {
  // The products by the fixed-point coefficients, tabulated (one load each
  // instead of a multiply; the rounding constant is folded into red's table).
  static constexpr auto kTables = [] {
    std::array<std::array<std::uint32_t, 256>, 3> t{};
    for (std::uint32_t v = 0; v < 256; ++v) {
      t[0][v] = 4899u * v + 8192u;
      t[1][v] = 9617u * v;
      t[2][v] = 1868u * v;
    }
    return t;
  }();
  const std::uint8_t* __restrict rgb = inner_obs_.data<std::uint8_t>();
  std::uint8_t* __restrict y = out.as<std::uint8_t>();
  const std::size_t n = out.count;
  for (std::size_t i = 0; i < n; ++i)
    y[i] = static_cast<std::uint8_t>((kTables[0][rgb[3 * i]] + kTables[1][rgb[3 * i + 1]] + kTables[2][rgb[3 * i + 2]]) >> 14);
}

void GrayscaleObservation::do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) {
  inner_->reset(inner_obs_.view(), seed, options);
  convert(out);
}

StepResult GrayscaleObservation::do_step(ActionView action, ObsBuffer out) {
  const StepResult r = inner_->step(action, inner_obs_.view());
  convert(out);
  return r;
}

// -------------------------------------------------------- ResizeObservation

std::vector<ResizeObservation::Tap> ResizeObservation::area_taps(int in_size, int out_size) {
  if (out_size < 1 || out_size > in_size)
    throw std::invalid_argument("ResizeObservation: area resizing shrinks; cannot go from " + std::to_string(in_size) +
                                " to " + std::to_string(out_size));
  // Output sample o covers the input interval [o * scale, (o + 1) * scale);
  // each input sample weighs the part of it inside, over the cell's length.
  std::vector<Tap> taps;
  const double scale = static_cast<double>(in_size) / out_size;
  for (int o = 0; o < out_size; ++o) {
    const double f1 = o * scale, f2 = f1 + scale;
    const int i1 = std::min(static_cast<int>(std::ceil(f1)), in_size);
    const int i2 = std::min(static_cast<int>(std::floor(f2)), in_size);
    const double cell = std::min(scale, in_size - f1);
    if (i1 - f1 > 1e-3) taps.push_back({o, i1 - 1, static_cast<float>((i1 - f1) / cell)});
    for (int i = i1; i < i2; ++i) taps.push_back({o, i, static_cast<float>(1.0 / cell)});
    if (f2 - i2 > 1e-3 && i2 < in_size)
      taps.push_back({o, i2, static_cast<float>(std::min(std::min(f2 - i2, 1.0), cell) / cell)});
  }
  std::stable_sort(taps.begin(), taps.end(), [](const Tap& a, const Tap& b) { return a.in < b.in; });
  return taps;
}

ResizeObservation::ResizeObservation(std::unique_ptr<Env> env, int height, int width) : Wrapper(std::move(env)) {
  const Space& s = require_uint8_box(*inner_, "ResizeObservation");
  if (s.shape().size() != 2 && s.shape().size() != 3)
    throw std::invalid_argument("ResizeObservation needs [H, W] or [H, W, C] observations, got " + s.repr());
  in_h_ = static_cast<int>(s.shape()[0]);
  in_w_ = static_cast<int>(s.shape()[1]);
  channels_ = s.shape().size() == 3 ? static_cast<int>(s.shape()[2]) : 1;
  out_h_ = height;
  out_w_ = width;
  y_taps_ = area_taps(in_h_, out_h_);
  x_taps_ = area_taps(in_w_, out_w_);
  // The horizontal taps as a dense [out_w, k] table (zero weights pad).
  std::vector<int> count(static_cast<std::size_t>(out_w_), 0);
  for (const Tap& t : x_taps_) ++count[static_cast<std::size_t>(t.out)];
  for (int n : count) x_taps_per_out_ = std::max(x_taps_per_out_, n);
  x_in_.assign(static_cast<std::size_t>(out_w_) * x_taps_per_out_, 0);
  x_weight_.assign(x_in_.size(), 0.0f);
  std::fill(count.begin(), count.end(), 0);
  for (const Tap& t : x_taps_) {
    const std::size_t slot = static_cast<std::size_t>(t.out) * x_taps_per_out_ + count[static_cast<std::size_t>(t.out)]++;
    x_in_[slot] = t.in;
    x_weight_[slot] = t.weight;
  }
  rows_.assign(static_cast<std::size_t>(out_h_) * in_w_ * channels_, 0.0f);
  inner_obs_ = s.make_array();
  std::vector<std::int64_t> shape = {out_h_, out_w_};
  if (s.shape().size() == 3) shape.push_back(channels_);
  spec_.observation_space = Space::box(shape, 0, 255, DType::UInt8);
}

void ResizeObservation::resize(ObsBuffer out) {
  const std::uint8_t* src = inner_obs_.data<std::uint8_t>();
  const std::size_t in_row = static_cast<std::size_t>(in_w_) * channels_;
  // Vertical pass first: every input row, weighted, into the output rows it
  // covers (contiguous rows: vectorised).
  std::fill(rows_.begin(), rows_.end(), 0.0f);
  for (const Tap& t : y_taps_) {
    float* __restrict acc = rows_.data() + static_cast<std::size_t>(t.out) * in_row;
    const std::uint8_t* __restrict line = src + static_cast<std::size_t>(t.in) * in_row;
    const float w = t.weight;
    for (std::size_t k = 0; k < in_row; ++k) acc[k] += w * static_cast<float>(line[k]);
  }
  // Horizontal pass: each output pixel sums a fixed number of taps (padded
  // with zero weights), so the loop has no data-dependent branches.
  std::uint8_t* o = out.as<std::uint8_t>();
  const int c = channels_;
  for (int y = 0; y < out_h_; ++y) {
    const float* row = rows_.data() + static_cast<std::size_t>(y) * in_row;
    std::uint8_t* dst = o + static_cast<std::size_t>(y) * out_w_ * c;
    switch (c == 1 ? x_taps_per_out_ : 0) {  // grey with 2-4 taps (the Atari sizes): unrolled
      case 2: horizontal_taps<2>(row, dst); break;
      case 3: horizontal_taps<3>(row, dst); break;
      case 4: horizontal_taps<4>(row, dst); break;
      default:
        for (int x = 0; x < out_w_; ++x) {
          const int* in = x_in_.data() + static_cast<std::size_t>(x) * x_taps_per_out_;
          const float* w = x_weight_.data() + static_cast<std::size_t>(x) * x_taps_per_out_;
          for (int ch = 0; ch < c; ++ch) {
            float sum = 0.0f;
            for (int k = 0; k < x_taps_per_out_; ++k) sum += w[k] * row[in[k] * c + ch];
            dst[x * c + ch] = round_to_u8(sum);
          }
        }
    }
  }
}

template <int K>
void ResizeObservation::horizontal_taps(const float* row, std::uint8_t* dst) const {
  const int* in = x_in_.data();
  const float* w = x_weight_.data();
  for (int x = 0; x < out_w_; ++x, in += K, w += K) {
    float sum = 0.0f;
    for (int k = 0; k < K; ++k) sum += w[k] * row[in[k]];
    dst[x] = round_to_u8(sum);
  }
}

void ResizeObservation::do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) {
  inner_->reset(inner_obs_.view(), seed, options);
  resize(out);
}

StepResult ResizeObservation::do_step(ActionView action, ObsBuffer out) {
  const StepResult r = inner_->step(action, inner_obs_.view());
  resize(out);
  return r;
}

// --------------------------------------------------------------- wrap_atari

std::unique_ptr<Env> wrap_atari(std::unique_ptr<Env> env, const AtariPreprocessing& p) {
  env = std::make_unique<RecordEpisodeStatistics>(std::move(env));  // whole games, raw rewards
  if (p.noop_max > 0) env = std::make_unique<NoopReset>(std::move(env), p.noop_max);
  if (p.frame_skip > 1) env = std::make_unique<MaxAndSkip>(std::move(env), p.frame_skip);
  const GameInfo* info = game_info(*env);
  if (p.episodic_life && info) env = std::make_unique<EpisodicLife>(std::move(env));
  if (p.fire_reset && info && action_index(*env, "FIRE") >= 0 && info->action_meanings().size() >= 3)
    env = std::make_unique<FireReset>(std::move(env));
  if (p.clip_reward) env = std::make_unique<ClipReward>(std::move(env));
  if (p.grayscale) env = std::make_unique<GrayscaleObservation>(std::move(env));
  if (p.screen_size > 0) env = std::make_unique<ResizeObservation>(std::move(env), p.screen_size, p.screen_size);
  if (p.frame_stack > 1) env = std::make_unique<FrameStack>(std::move(env), p.frame_stack);
  return env;
}

}  // namespace arena
