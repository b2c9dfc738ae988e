#include "envs/core/wrappers.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace arena {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

const Space& require_float_box_action(const Env& env, const char* wrapper) {
  const Space& s = env.action_space();
  if (!s.is_box() || s.dtype() != DType::Float32) {
    throw std::invalid_argument(std::string(wrapper) + " needs a float32 Box action space, got " + s.repr());
  }
  return s;
}

const Space& require_box_observation(const Env& env, const char* wrapper) {
  const Space& s = env.observation_space();
  if (!s.is_box()) {
    throw std::invalid_argument(std::string(wrapper) + " needs a Box observation space, got " + s.repr());
  }
  return s;
}

// Element i of a float32 / uint8 / int64 buffer as double.
double element(ConstBuffer b, std::size_t i) {
  switch (b.dtype) {
    case DType::Float32: return static_cast<const float*>(b.data)[i];
    case DType::UInt8: return static_cast<const std::uint8_t*>(b.data)[i];
    case DType::Int64: return static_cast<double>(static_cast<const std::int64_t*>(b.data)[i]);
  }
  return 0;
}

}  // namespace

// ---------------------------------------------------------------- TimeLimit

TimeLimit::TimeLimit(std::unique_ptr<Env> env, int max_episode_steps)
    : Wrapper(std::move(env)), max_episode_steps_(max_episode_steps) {
  if (max_episode_steps <= 0) {
    throw std::invalid_argument("TimeLimit: max_episode_steps must be positive, got " +
                                std::to_string(max_episode_steps));
  }
  spec_.max_episode_steps = max_episode_steps;
}

void TimeLimit::do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) {
  elapsed_steps_ = 0;
  Wrapper::do_reset(out, seed, options);
}

StepResult TimeLimit::do_step(ActionView action, ObsBuffer out) {
  StepResult r = Wrapper::do_step(action, out);
  ++elapsed_steps_;
  if (elapsed_steps_ >= max_episode_steps_) r.truncated = true;
  return r;
}

// -------------------------------------------------- RecordEpisodeStatistics

RecordEpisodeStatistics::RecordEpisodeStatistics(std::unique_ptr<Env> env, std::size_t buffer_length)
    : Wrapper(std::move(env)), capacity_(buffer_length) {
  if (buffer_length == 0) throw std::invalid_argument("RecordEpisodeStatistics: buffer_length must be positive");
  returns_.assign(capacity_, 0.0);
  times_.assign(capacity_, 0.0);
  lengths_.assign(capacity_, 0);
}

void RecordEpisodeStatistics::do_reset(ObsBuffer out, std::optional<std::uint64_t> seed,
                                       const Options& options) {
  Wrapper::do_reset(out, seed, options);
  episode_return_ = 0;
  episode_length_ = 0;
  episode_ended_ = false;
  episode_start_ = std::chrono::steady_clock::now();
}

StepResult RecordEpisodeStatistics::do_step(ActionView action, ObsBuffer out) {
  const StepResult r = Wrapper::do_step(action, out);
  episode_return_ += r.reward;
  ++episode_length_;
  episode_ended_ = r.done();
  if (episode_ended_) {
    last_return_ = episode_return_;
    last_length_ = episode_length_;
    last_time_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - episode_start_).count();
    returns_[head_] = last_return_;
    lengths_[head_] = last_length_;
    times_[head_] = last_time_;
    head_ = (head_ + 1) % capacity_;
    size_ = std::min(size_ + 1, capacity_);
    ++episode_count_;
    // Stepping on without reset() (undefined in Gymnasium) starts a new tally.
    episode_return_ = 0;
    episode_length_ = 0;
    episode_start_ = std::chrono::steady_clock::now();
  }
  return r;
}

std::vector<double> RecordEpisodeStatistics::recent_returns() const {
  std::vector<double> v(size_);
  for (std::size_t k = 0; k < size_; ++k) v[k] = recent_return(k);
  return v;
}

std::vector<std::int64_t> RecordEpisodeStatistics::recent_lengths() const {
  std::vector<std::int64_t> v(size_);
  for (std::size_t k = 0; k < size_; ++k) v[k] = recent_length(k);
  return v;
}

std::vector<double> RecordEpisodeStatistics::recent_times() const {
  std::vector<double> v(size_);
  for (std::size_t k = 0; k < size_; ++k) v[k] = recent_time(k);
  return v;
}

double RecordEpisodeStatistics::mean_recent_return() const {
  if (size_ == 0) return 0;
  double s = 0;
  for (std::size_t k = 0; k < size_; ++k) s += recent_return(k);
  return s / static_cast<double>(size_);
}

double RecordEpisodeStatistics::mean_recent_length() const {
  if (size_ == 0) return 0;
  double s = 0;
  for (std::size_t k = 0; k < size_; ++k) s += static_cast<double>(recent_length(k));
  return s / static_cast<double>(size_);
}

// --------------------------------------------------------------- ClipAction

ClipAction::ClipAction(std::unique_ptr<Env> env) : Wrapper(std::move(env)) {
  const Space& a = require_float_box_action(*inner_, "ClipAction");
  low_.assign(a.low().begin(), a.low().end());
  high_.assign(a.high().begin(), a.high().end());
  scratch_.assign(a.size(), 0.0f);
  spec_.action_space = Space::box(a.shape(), -kInf, kInf, DType::Float32);
}

StepResult ClipAction::do_step(ActionView action, ObsBuffer out) {
  const float* a = action.as<float>();
  for (std::size_t i = 0; i < scratch_.size(); ++i) scratch_[i] = std::min(std::max(a[i], low_[i]), high_[i]);
  return inner_->step(ConstBuffer(scratch_.data(), DType::Float32, scratch_.size()), out);
}

// ------------------------------------------------------------ RescaleAction

RescaleAction::RescaleAction(std::unique_ptr<Env> env, double min_action, double max_action)
    : RescaleAction(std::move(env), std::vector<double>{min_action}, std::vector<double>{max_action}) {}

RescaleAction::RescaleAction(std::unique_ptr<Env> env, std::vector<double> min_action,
                             std::vector<double> max_action)
    : Wrapper(std::move(env)) {
  const Space& a = require_float_box_action(*inner_, "RescaleAction");
  const std::size_t n = a.size();
  if (min_action.size() == 1) min_action.assign(n, min_action[0]);
  if (max_action.size() == 1) max_action.assign(n, max_action[0]);
  if (min_action.size() != n || max_action.size() != n) {
    throw std::invalid_argument("RescaleAction: min/max need 1 or " + std::to_string(n) + " values");
  }
  if (!a.is_bounded()) {
    throw std::invalid_argument("RescaleAction: the inner action space must be bounded, got " + a.repr());
  }
  inner_low_.resize(n);
  inner_range_.resize(n);
  min_.resize(n);
  range_.resize(n);
  scratch_.assign(n, 0.0f);
  for (std::size_t i = 0; i < n; ++i) {
    if (!(min_action[i] < max_action[i]) || !std::isfinite(min_action[i]) || !std::isfinite(max_action[i])) {
      throw std::invalid_argument("RescaleAction: need finite min < max, element " + std::to_string(i));
    }
    inner_low_[i] = a.low()[i];
    inner_range_[i] = a.high()[i] - a.low()[i];
    min_[i] = min_action[i];
    range_[i] = max_action[i] - min_action[i];
  }
  spec_.action_space = Space::box(a.shape(), std::move(min_action), std::move(max_action), DType::Float32);
}

StepResult RescaleAction::do_step(ActionView action, ObsBuffer out) {
  const float* a = action.as<float>();
  for (std::size_t i = 0; i < scratch_.size(); ++i) {
    scratch_[i] = static_cast<float>(inner_low_[i] + inner_range_[i] * ((a[i] - min_[i]) / range_[i]));
  }
  return inner_->step(ConstBuffer(scratch_.data(), DType::Float32, scratch_.size()), out);
}

// ----------------------------------------------------------- RunningMeanStd

void RunningMeanStd::update(std::span<const double> sample) {
  if (sample.size() != size()) throw std::invalid_argument("RunningMeanStd::update: size mismatch");
  // update_from_moments with batch mean = sample, batch var = 0, batch count = 1.
  const double total = count + 1.0;
  for (std::size_t i = 0; i < sample.size(); ++i) {
    const double delta = sample[i] - mean[i];
    mean[i] += delta / total;
    var[i] = (var[i] * count + delta * delta * count / total) / total;
  }
  count = total;
}

void RunningMeanStd::update_from_moments(std::span<const double> batch_mean, std::span<const double> batch_var,
                                         double batch_count) {
  if (batch_mean.size() != size() || batch_var.size() != size()) {
    throw std::invalid_argument("RunningMeanStd::update_from_moments: size mismatch");
  }
  const double total = count + batch_count;
  for (std::size_t i = 0; i < size(); ++i) {
    const double delta = batch_mean[i] - mean[i];
    mean[i] += delta * batch_count / total;
    const double m2 = var[i] * count + batch_var[i] * batch_count + delta * delta * count * batch_count / total;
    var[i] = m2 / total;
  }
  count = total;
}

// ----------------------------------------------------- NormalizeObservation

NormalizeObservation::NormalizeObservation(std::unique_ptr<Env> env, double epsilon)
    : Wrapper(std::move(env)), epsilon_(epsilon) {
  const Space& o = require_box_observation(*inner_, "NormalizeObservation");
  rms_ = RunningMeanStd(o.size());
  inner_obs_ = o.make_array();
  sample_.assign(o.size(), 0.0);
  spec_.observation_space = Space::box(o.shape(), -kInf, kInf, DType::Float32);
}

void NormalizeObservation::set_statistics(const RunningMeanStd& stats) {
  if (stats.size() != rms_.size() || stats.var.size() != rms_.size()) {
    throw std::invalid_argument("NormalizeObservation::set_statistics: expected " + std::to_string(rms_.size()) +
                                " elements, got " + std::to_string(stats.size()));
  }
  rms_ = stats;  // same sizes: copy-assignment reuses the vectors' storage
}

void NormalizeObservation::normalize(ObsBuffer out) {
  const ConstBuffer in = inner_obs_.view();
  for (std::size_t i = 0; i < sample_.size(); ++i) sample_[i] = element(in, i);
  if (update_) rms_.update(sample_);
  float* o = out.as<float>();
  for (std::size_t i = 0; i < sample_.size(); ++i) {
    o[i] = static_cast<float>((sample_[i] - rms_.mean[i]) / std::sqrt(rms_.var[i] + epsilon_));
  }
}

void NormalizeObservation::do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) {
  inner_->reset(inner_obs_.view(), seed, options);
  normalize(out);
}

StepResult NormalizeObservation::do_step(ActionView action, ObsBuffer out) {
  const StepResult r = inner_->step(action, inner_obs_.view());
  normalize(out);
  return r;
}

// ---------------------------------------------------------- NormalizeReward

NormalizeReward::NormalizeReward(std::unique_ptr<Env> env, double gamma, double epsilon)
    : Wrapper(std::move(env)), gamma_(gamma), epsilon_(epsilon) {}

void NormalizeReward::set_statistics(const RunningMeanStd& stats) {
  if (stats.size() != 1 || stats.var.size() != 1) {
    throw std::invalid_argument("NormalizeReward::set_statistics: expected 1 element, got " +
                                std::to_string(stats.size()));
  }
  rms_ = stats;
}

StepResult NormalizeReward::do_step(ActionView action, ObsBuffer out) {
  StepResult r = Wrapper::do_step(action, out);
  // Gymnasium drops G on the terminating step itself (before adding its reward).
  discounted_return_ = discounted_return_ * gamma_ * (r.terminated ? 0.0 : 1.0) + r.reward;
  if (update_) rms_.update(std::span<const double>(&discounted_return_, 1));
  r.reward = r.reward / std::sqrt(rms_.var[0] + epsilon_);
  return r;
}

// ---------------------------------------------------------- TransformReward

TransformReward::TransformReward(std::unique_ptr<Env> env, std::function<double(double)> f)
    : Wrapper(std::move(env)), f_(std::move(f)) {
  if (!f_) throw std::invalid_argument("TransformReward: empty function");
}

StepResult TransformReward::do_step(ActionView action, ObsBuffer out) {
  StepResult r = Wrapper::do_step(action, out);
  r.reward = f_(r.reward);
  return r;
}

// --------------------------------------------------------------- FrameStack

FrameStack::FrameStack(std::unique_ptr<Env> env, int stack_size, FramePadding padding)
    : Wrapper(std::move(env)), stack_size_(stack_size), padding_(padding) {
  if (stack_size <= 0) {
    throw std::invalid_argument("FrameStack: stack_size must be positive, got " + std::to_string(stack_size));
  }
  frame_space_ = require_box_observation(*inner_, "FrameStack");
  const std::size_t n = frame_space_.size();
  frame_bytes_ = n * dtype_size(frame_space_.dtype());
  // Frames start at multiples of frame_bytes_, a multiple of the element size,
  // in 8-byte aligned storage: every frame is aligned for its dtype.
  ring_.assign((frame_bytes_ * static_cast<std::size_t>(stack_size) + 7) / 8, 0);

  // Gymnasium's create_zero_array: 0, moved into [low, high].
  zero_frame_.assign(frame_bytes_, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const double z = std::min(std::max(0.0, frame_space_.low()[i]), frame_space_.high()[i]);
    if (frame_space_.dtype() == DType::Float32) {
      const float f = static_cast<float>(z);
      std::memcpy(zero_frame_.data() + i * sizeof(float), &f, sizeof(float));
    } else {
      zero_frame_[i] = static_cast<std::uint8_t>(z);
    }
  }

  std::vector<std::int64_t> shape{stack_size};
  shape.insert(shape.end(), frame_space_.shape().begin(), frame_space_.shape().end());
  std::vector<double> low, high;
  low.reserve(n * static_cast<std::size_t>(stack_size));
  high.reserve(n * static_cast<std::size_t>(stack_size));
  for (int k = 0; k < stack_size; ++k) {
    low.insert(low.end(), frame_space_.low().begin(), frame_space_.low().end());
    high.insert(high.end(), frame_space_.high().begin(), frame_space_.high().end());
  }
  spec_.observation_space = Space::box(std::move(shape), std::move(low), std::move(high), frame_space_.dtype());
}

Buffer FrameStack::frame(int slot) {
  auto* base = reinterpret_cast<unsigned char*>(ring_.data());
  return {base + static_cast<std::size_t>(slot) * frame_bytes_, frame_space_.dtype(), frame_space_.size()};
}

void FrameStack::write_stack(ObsBuffer out) const {
  const auto* base = reinterpret_cast<const unsigned char*>(ring_.data());
  auto* dst = static_cast<unsigned char*>(out.data);
  for (int j = 0; j < stack_size_; ++j) {
    const int slot = (newest_ + 1 + j) % stack_size_;  // oldest first
    std::memcpy(dst + static_cast<std::size_t>(j) * frame_bytes_,
                base + static_cast<std::size_t>(slot) * frame_bytes_, frame_bytes_);
  }
}

void FrameStack::do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) {
  newest_ = stack_size_ - 1;
  Buffer first = frame(newest_);
  inner_->reset(first, seed, options);
  const void* pad = padding_ == FramePadding::Reset ? first.data : static_cast<const void*>(zero_frame_.data());
  for (int s = 0; s < newest_; ++s) std::memcpy(frame(s).data, pad, frame_bytes_);
  write_stack(out);
}

StepResult FrameStack::do_step(ActionView action, ObsBuffer out) {
  const int slot = (newest_ + 1) % stack_size_;  // the oldest frame makes way
  const StepResult r = inner_->step(action, frame(slot));
  newest_ = slot;
  write_stack(out);
  return r;
}

// ---- state for checkpoints -------------------------------------------------

void TimeLimit::do_save_state(StateWriter& out) const {
  Wrapper::do_save_state(out);
  out.pod(elapsed_steps_);
}

void TimeLimit::do_load_state(StateReader& in) {
  Wrapper::do_load_state(in);
  in.pod(elapsed_steps_);
}

void RecordEpisodeStatistics::do_save_state(StateWriter& out) const {
  Wrapper::do_save_state(out);
  out.vec(returns_);
  out.vec(times_);
  out.vec(lengths_);
  out.pod(head_);
  out.pod(size_);
  out.pod(episode_return_);
  out.pod(episode_length_);
  out.pod(episode_ended_);
  out.pod(last_return_);
  out.pod(last_time_);
  out.pod(last_length_);
  out.pod(episode_count_);
}

void RecordEpisodeStatistics::do_load_state(StateReader& in) {
  Wrapper::do_load_state(in);
  in.vec(returns_, capacity_);
  in.vec(times_, capacity_);
  in.vec(lengths_, capacity_);
  in.pod(head_);
  in.pod(size_);
  in.pod(episode_return_);
  in.pod(episode_length_);
  in.pod(episode_ended_);
  in.pod(last_return_);
  in.pod(last_time_);
  in.pod(last_length_);
  in.pod(episode_count_);
  episode_start_ = std::chrono::steady_clock::now();  // wall time restarts
}

namespace {
void save_rms(StateWriter& out, const RunningMeanStd& rms) {
  out.vec(rms.mean);
  out.vec(rms.var);
  out.pod(rms.count);
}
void load_rms(StateReader& in, RunningMeanStd& rms) {
  const std::size_t n = rms.size();
  in.vec(rms.mean, n);
  in.vec(rms.var, n);
  in.pod(rms.count);
}
}  // namespace

void NormalizeObservation::do_save_state(StateWriter& out) const {
  Wrapper::do_save_state(out);
  save_rms(out, rms_);
  out.pod(update_);
}

void NormalizeObservation::do_load_state(StateReader& in) {
  Wrapper::do_load_state(in);
  load_rms(in, rms_);
  in.pod(update_);
}

void NormalizeReward::do_save_state(StateWriter& out) const {
  Wrapper::do_save_state(out);
  save_rms(out, rms_);
  out.pod(update_);
  out.pod(discounted_return_);
}

void NormalizeReward::do_load_state(StateReader& in) {
  Wrapper::do_load_state(in);
  load_rms(in, rms_);
  in.pod(update_);
  in.pod(discounted_return_);
}

void FrameStack::do_save_state(StateWriter& out) const {
  Wrapper::do_save_state(out);
  out.vec(ring_);
  out.pod(newest_);
}

void FrameStack::do_load_state(StateReader& in) {
  Wrapper::do_load_state(in);
  in.vec(ring_, ring_.size());
  in.pod(newest_);
}

const RecordEpisodeStatistics* find_episode_statistics(const Env& env) {
  for (const Env* e = &env;;) {
    if (const auto* r = dynamic_cast<const RecordEpisodeStatistics*>(e)) return r;
    const auto* w = dynamic_cast<const Wrapper*>(e);
    if (w == nullptr) return nullptr;
    e = &w->inner();
  }
}

}  // namespace arena
