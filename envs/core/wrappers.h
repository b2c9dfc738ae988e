// The standard wrappers, with Gymnasium 1.x semantics.
//
// Each wrapper is an Env that owns the Env it wraps (arena::Wrapper) and keeps
// the inner env's spec, except where it changes a space (then spec() describes
// what the wrapper takes and gives). Every buffer a wrapper needs is allocated
// in its constructor: step() does not allocate (as long as the inner env does
// not).
//
//   TimeLimit               truncates after max_episode_steps steps
//   RecordEpisodeStatistics episode return, length and wall time
//   ClipAction              clips Box actions to the inner bounds
//   RescaleAction           affine map of Box actions from [min, max] to the inner bounds
//   NormalizeObservation    running mean/variance normalisation of observations
//   NormalizeReward         scales rewards by the running std of a discounted return
//   TransformReward         applies a function to every reward
//   FrameStack              the last k observations, oldest first (FrameStackObservation)
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "envs/core/env.h"

namespace arena {

// Truncates the episode when the number of steps since the last reset reaches
// `max_episode_steps` (truncated = true on exactly that step, never before;
// terminated is passed through). Sets spec().max_episode_steps.
class TimeLimit : public Wrapper {
 public:
  TimeLimit(std::unique_ptr<Env> env, int max_episode_steps);

  int max_episode_steps() const { return max_episode_steps_; }
  // Steps taken since the last reset.
  int elapsed_steps() const { return elapsed_steps_; }

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) override;
  StepResult do_step(ActionView action, ObsBuffer out) override;
  void do_save_state(StateWriter& out) const override;
  void do_load_state(StateReader& in) override;

 private:
  int max_episode_steps_;
  int elapsed_steps_ = 0;
};

// Records, for every episode, the sum of its rewards (as double), its number
// of steps and its wall-clock time from reset() to the step that ended it (as
// Gymnasium's info["episode"] = {r, l, t}). The last `buffer_length` episodes
// are kept in a fixed-capacity ring (Gymnasium's return_queue/length_queue/
// time_queue). An episode ends when a step returns terminated or truncated.
class RecordEpisodeStatistics : public Wrapper {
 public:
  explicit RecordEpisodeStatistics(std::unique_ptr<Env> env, std::size_t buffer_length = 100);

  // True right after the step that ended an episode; false after the next
  // step or reset.
  bool episode_ended() const { return episode_ended_; }
  // The last finished episode (0 before the first one ends).
  double last_return() const { return last_return_; }
  std::int64_t last_length() const { return last_length_; }
  double last_time() const { return last_time_; }  // seconds

  // The running episode (since the last reset).
  double episode_return() const { return episode_return_; }
  std::int64_t episode_length() const { return episode_length_; }

  // Finished episodes counted since construction.
  std::int64_t episode_count() const { return episode_count_; }
  std::size_t buffer_length() const { return capacity_; }
  // Number of episodes held in the ring (at most buffer_length()).
  std::size_t recent_count() const { return size_; }
  // The k-th most ancient episode held, k < recent_count() (0 = oldest).
  double recent_return(std::size_t k) const { return returns_[slot(k)]; }
  std::int64_t recent_length(std::size_t k) const { return lengths_[slot(k)]; }
  double recent_time(std::size_t k) const { return times_[slot(k)]; }
  // Copies of the ring, oldest first (these allocate; not for the step loop).
  std::vector<double> recent_returns() const;
  std::vector<std::int64_t> recent_lengths() const;
  std::vector<double> recent_times() const;
  // Mean of the held returns / lengths (0 when none).
  double mean_recent_return() const;
  double mean_recent_length() const;

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) override;
  StepResult do_step(ActionView action, ObsBuffer out) override;
  void do_save_state(StateWriter& out) const override;
  void do_load_state(StateReader& in) override;

 private:
  std::size_t slot(std::size_t k) const { return (head_ + capacity_ - size_ + k) % capacity_; }

  std::size_t capacity_;
  std::vector<double> returns_, times_;
  std::vector<std::int64_t> lengths_;
  std::size_t head_ = 0;  // next slot to write
  std::size_t size_ = 0;

  double episode_return_ = 0;
  std::int64_t episode_length_ = 0;
  std::chrono::steady_clock::time_point episode_start_{};
  bool episode_ended_ = false;
  double last_return_ = 0, last_time_ = 0;
  std::int64_t last_length_ = 0;
  std::int64_t episode_count_ = 0;
};

// The outermost RecordEpisodeStatistics in env's wrapper chain (env itself
// included), or nullptr. The runner reads whole-game scores from the one the
// atari preset puts under its episodic-life and reward-clipping wrappers.
const RecordEpisodeStatistics* find_episode_statistics(const Env& env);

// Clips float32 Box actions element-wise to the inner env's bounds. The
// wrapper's action space is Box(-inf, inf) of the same shape (as Gymnasium
// 1.x), so any finite action is accepted. Throws std::invalid_argument when
// the inner action space is not a float32 Box.
class ClipAction : public Wrapper {
 public:
  explicit ClipAction(std::unique_ptr<Env> env);

 protected:
  StepResult do_step(ActionView action, ObsBuffer out) override;

 private:
  std::vector<float> low_, high_, scratch_;
};

// Affinely maps float32 Box actions from [min, max] (the wrapper's action
// space, Box(min, max)) onto the inner env's [low, high]:
//   inner = low + (high - low) * (action - min) / (max - min)
// computed in double. min and max are scalars or one value per element. The
// inner bounds must be finite and min < max element-wise, else
// std::invalid_argument. Actions outside [min, max] map outside [low, high]
// (no clipping; put a ClipAction outside this wrapper for that).
class RescaleAction : public Wrapper {
 public:
  RescaleAction(std::unique_ptr<Env> env, double min_action, double max_action);
  RescaleAction(std::unique_ptr<Env> env, std::vector<double> min_action, std::vector<double> max_action);

 protected:
  StepResult do_step(ActionView action, ObsBuffer out) override;

 private:
  std::vector<double> inner_low_, inner_range_, min_, range_;
  std::vector<float> scratch_;
};

// Running mean, variance and count of samples of a fixed size, merged with
// the parallel algorithm (Chan et al.), as Gymnasium's RunningMeanStd: mean 0,
// var 1 and count `epsilon` (1e-4) before the first sample. Kept in double.
struct RunningMeanStd {
  std::vector<double> mean, var;
  double count = 1e-4;

  RunningMeanStd() : RunningMeanStd(1) {}
  explicit RunningMeanStd(std::size_t n, double epsilon = 1e-4) : mean(n, 0.0), var(n, 1.0), count(epsilon) {}

  std::size_t size() const { return mean.size(); }
  // Adds one sample (size() values).
  void update(std::span<const double> sample);
  // Merges a batch summarised by its per-element mean, (population) variance
  // and count.
  void update_from_moments(std::span<const double> batch_mean, std::span<const double> batch_var,
                           double batch_count);
  bool operator==(const RunningMeanStd&) const = default;
};

// Normalises each observation element to (obs - mean) / sqrt(var + epsilon)
// with the running statistics of all observations seen (those from reset()
// included), updated before normalising, as Gymnasium 1.x. The inner
// observation space must be a Box (float32 or uint8); the wrapper's is
// Box(-inf, inf) float32 of the same shape.
// Gymnasium keeps the statistics in float32 for float32 observations; here
// they are double, so results agree to float32 rounding.
class NormalizeObservation : public Wrapper {
 public:
  explicit NormalizeObservation(std::unique_ptr<Env> env, double epsilon = 1e-8);

  // Whether reset/step update the statistics (false: frozen, e.g. for evaluation).
  bool update_running_mean() const { return update_; }
  void set_update_running_mean(bool update) { update_ = update; }

  // For checkpoints. set_statistics throws std::invalid_argument on a size mismatch.
  const RunningMeanStd& statistics() const { return rms_; }
  void set_statistics(const RunningMeanStd& stats);
  double epsilon() const { return epsilon_; }

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) override;
  StepResult do_step(ActionView action, ObsBuffer out) override;
  void do_save_state(StateWriter& out) const override;
  void do_load_state(StateReader& in) override;

 private:
  void normalize(ObsBuffer out);

  double epsilon_;
  bool update_ = true;
  RunningMeanStd rms_;
  Array inner_obs_;             // the inner env writes here
  std::vector<double> sample_;  // inner_obs_ as double
};

// Scales rewards so that their discounted sum has roughly unit variance
// (Gymnasium 1.x NormalizeReward):
//   G <- G * gamma * (1 - terminated) + reward      (every step; reset() leaves G)
//   update the running variance of G (when updating is on)
//   reward' = reward / sqrt(var + epsilon)           (the mean is not subtracted)
class NormalizeReward : public Wrapper {
 public:
  explicit NormalizeReward(std::unique_ptr<Env> env, double gamma = 0.99, double epsilon = 1e-8);

  bool update_running_mean() const { return update_; }
  void set_update_running_mean(bool update) { update_ = update; }

  // For checkpoints (a size-1 RunningMeanStd of G, and G itself).
  const RunningMeanStd& statistics() const { return rms_; }
  void set_statistics(const RunningMeanStd& stats);
  double discounted_return() const { return discounted_return_; }
  void set_discounted_return(double g) { discounted_return_ = g; }
  double gamma() const { return gamma_; }
  double epsilon() const { return epsilon_; }

 protected:
  StepResult do_step(ActionView action, ObsBuffer out) override;
  void do_save_state(StateWriter& out) const override;
  void do_load_state(StateReader& in) override;

 private:
  double gamma_, epsilon_;
  bool update_ = true;
  RunningMeanStd rms_{1};
  double discounted_return_ = 0;
};

// Replaces every reward r by f(r).
class TransformReward : public Wrapper {
 public:
  TransformReward(std::unique_ptr<Env> env, std::function<double(double)> f);

 protected:
  StepResult do_step(ActionView action, ObsBuffer out) override;

 private:
  std::function<double(double)> f_;
};

// What FrameStack puts in the slots before the first observations of an episode.
enum class FramePadding : std::uint8_t {
  Reset,  // copies of the reset observation (Gymnasium's default, "reset")
  Zero,   // zeros, moved into the bounds where 0 lies outside them ("zero")
};

// Stacks the last `stack_size` observations (Gymnasium 1.x
// FrameStackObservation): the observation has shape [stack_size, ...inner
// shape], oldest first, newest last, the inner dtype and bounds repeated. At
// reset the first stack_size - 1 slots hold the padding. The inner
// observation space must be a Box. Kept internally as a ring of frames; the
// output is a contiguous copy, oldest first.
class FrameStack : public Wrapper {
 public:
  FrameStack(std::unique_ptr<Env> env, int stack_size, FramePadding padding = FramePadding::Reset);

  int stack_size() const { return stack_size_; }
  FramePadding padding() const { return padding_; }

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) override;
  StepResult do_step(ActionView action, ObsBuffer out) override;
  void do_save_state(StateWriter& out) const override;
  void do_load_state(StateReader& in) override;

 private:
  Buffer frame(int slot);
  void write_stack(ObsBuffer out) const;

  int stack_size_;
  FramePadding padding_;
  std::size_t frame_bytes_;
  Space frame_space_;
  std::vector<std::uint64_t> ring_;     // stack_size frames (8-byte aligned storage)
  std::vector<unsigned char> zero_frame_;
  int newest_ = 0;                      // slot of the newest frame
};

}  // namespace arena
