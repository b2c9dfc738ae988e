// The Atari preprocessing of the Nature DQN paper (Mnih et al. 2015), as
// composable wrappers usable by any pixel env, and the stack that applies it.
//
// Semantics follow Stable-Baselines3's atari_wrappers (NoopResetEnv,
// MaxAndSkipEnv, EpisodicLifeEnv, FireResetEnv, ClipRewardEnv, WarpFrame)
// and Gymnasium's AtariPreprocessing, which CleanRL's dqn_atari uses:
//
//   NoopReset             reset, then 1..noop_max NOOPs (drawn from the innermost env's RNG)
//   MaxAndSkip            repeat the action `skip` frames, sum rewards, max-pool the last two frames
//   EpisodicLife          a lost life ends the episode for the learner; the game resets only at game over
//   FireReset             reset, then FIRE (and the action 2, as SB3), for games that wait for FIRE
//   ClipReward            reward -> sign(reward)
//   GrayscaleObservation  [H, W, 3] RGB -> [H, W] luma, ITU-R BT.601 in cv2's fixed point
//   ResizeObservation     [H, W] or [H, W, C] -> [h, w(, C)] with cv2.INTER_AREA's area averaging
//   FrameStack            (wrappers.h) the last k frames -> [k, h, w]
//
// Lives and action meanings come from the innermost env's GameInfo
// (game_info.h). Every buffer is allocated in the constructors: step() does
// not allocate. Observations are uint8 Boxes throughout.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "envs/core/env.h"
#include "envs/core/game_info.h"

namespace arena {

// On reset: resets the inner env, then takes n NOOP actions, n uniform in
// [1, noop_max], drawn from the innermost env's RNG (as SB3 and Gymnasium draw
// it from env.unwrapped.np_random); an episode that ends during them is reset
// again. The NOOP is the action named "NOOP" (GameInfo), else action 0.
class NoopReset : public Wrapper {
 public:
  NoopReset(std::unique_ptr<Env> env, int noop_max = 30);
  int noop_max() const { return noop_max_; }
  // NOOPs taken by the last reset (for tests).
  int last_noops() const { return last_noops_; }

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) override;
  void do_save_state(StateWriter& out) const override;
  void do_load_state(StateReader& in) override;

 private:
  int noop_max_;
  std::int64_t noop_ = 0;
  int last_noops_ = 0;
};

// Repeats each action for `skip` inner steps (the inner env runs with
// frameskip 1), sums their rewards and returns the element-wise maximum of the
// last two frames (Atari sprites flicker between frames). The loop stops at
// the first terminated or truncated step; when that is the first of the skip,
// its frame alone is returned. reset() returns the reset frame. The inner
// observation must be a uint8 Box; the space is unchanged.
class MaxAndSkip : public Wrapper {
 public:
  MaxAndSkip(std::unique_ptr<Env> env, int skip = 4);
  int skip() const { return skip_; }

 protected:
  StepResult do_step(ActionView action, ObsBuffer out) override;

 private:
  int skip_;
  std::vector<std::uint8_t> frames_[2];
};

// Loss of a life ends the episode for the learner (terminated = true when
// 0 < lives < lives before), while the game goes on: the next reset() takes
// one NOOP step from where the game stands instead of resetting it; only
// after a real end (terminated or truncated by the inner env) or a reset with
// a seed or options does reset() reset the game. Needs GameInfo.
class EpisodicLife : public Wrapper {
 public:
  explicit EpisodicLife(std::unique_ptr<Env> env);
  // Whether the last episode ended for real (game over or time limit).
  bool was_real_done() const { return real_done_; }

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) override;
  StepResult do_step(ActionView action, ObsBuffer out) override;
  void do_save_state(StateWriter& out) const override;
  void do_load_state(StateReader& in) override;

 private:
  const GameInfo* info_;
  std::int64_t noop_ = 0;
  int lives_ = 0;
  bool real_done_ = true;
};

// On reset: resets the inner env and takes FIRE, then action 2 (SB3's
// FireResetEnv; some games need a second action to start), resetting again
// if either ends the episode. For games that wait for FIRE to start (Breakout).
// Needs GameInfo with a "FIRE" action and at least 3 actions.
class FireReset : public Wrapper {
 public:
  explicit FireReset(std::unique_ptr<Env> env);

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) override;

 private:
  std::int64_t fire_ = 1;
};

// reward -> sign(reward) in {-1, 0, 1} (SB3's ClipRewardEnv).
class ClipReward : public Wrapper {
 public:
  explicit ClipReward(std::unique_ptr<Env> env);

 protected:
  StepResult do_step(ActionView action, ObsBuffer out) override;
};

// [H, W, 3] uint8 RGB -> [H, W] uint8 luma, Y = 0.299 R + 0.587 G + 0.114 B
// in cv2.cvtColor(RGB2GRAY)'s fixed point: (4899 R + 9617 G + 1868 B + 8192) >> 14.
class GrayscaleObservation : public Wrapper {
 public:
  explicit GrayscaleObservation(std::unique_ptr<Env> env);

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) override;
  StepResult do_step(ActionView action, ObsBuffer out) override;

 private:
  void convert(ObsBuffer out) const;
  Array inner_obs_;
};

// [H, W] or [H, W, C] uint8 -> [height, width] or [height, width, C] with
// cv2.resize(..., interpolation=INTER_AREA)'s area averaging: an output pixel
// is the mean of the input area it covers (input pixels weighted by the
// fraction inside), computed in float and rounded to nearest (ties to even).
// (cv2 takes an integer-only shortcut for whole-number scale factors that
// rounds ties up; this wrapper computes every scale the general way.)
class ResizeObservation : public Wrapper {
 public:
  ResizeObservation(std::unique_ptr<Env> env, int height, int width);

  // One axis of the area weights: output index o takes sum of weight * input[index].
  struct Tap {
    int out, in;
    float weight;
  };
  // cv2's INTER_AREA taps for resizing `in_size` samples to `out_size`, sorted by `in`.
  static std::vector<Tap> area_taps(int in_size, int out_size);

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) override;
  StepResult do_step(ActionView action, ObsBuffer out) override;

 private:
  void resize(ObsBuffer out);
  template <int K> void horizontal_taps(const float* row, std::uint8_t* dst) const;
  int in_h_, in_w_, channels_, out_h_, out_w_;
  std::vector<Tap> x_taps_, y_taps_;  // sorted by input index
  int x_taps_per_out_ = 0;            // the horizontal taps as a dense table:
  std::vector<int> x_in_;             //   input index and weight of tap k of
  std::vector<float> x_weight_;       //   output x at [x * x_taps_per_out_ + k]
  std::vector<float> rows_;  // the vertical pass: out_h rows of in_w * channels sums
  Array inner_obs_;
};

// The Nature-DQN preprocessing. Defaults: CleanRL's dqn_atari / SB3's AtariWrapper.
struct AtariPreprocessing {
  int noop_max = 30;          // 0: no NoopReset
  int frame_skip = 4;         // 1: no MaxAndSkip
  bool episodic_life = true;  // when the game has lives (GameInfo)
  bool fire_reset = true;     // when the game has a FIRE action
  bool clip_reward = true;
  bool grayscale = true;
  int screen_size = 84;       // 0: no resize
  int frame_stack = 4;        // 1: no FrameStack
};

// Wraps `env` (which must run with frameskip 1 when frame_skip > 1) in
//   RecordEpisodeStatistics -> NoopReset -> MaxAndSkip -> EpisodicLife ->
//   FireReset -> ClipReward -> GrayscaleObservation -> ResizeObservation ->
//   FrameStack
// The statistics at the bottom see whole games in the game's own points and
// frames (as SB3's Monitor under its AtariWrapper): find_episode_statistics().
// (SB3's AtariWrapper order; grey before resizing, as WarpFrame does).
// With the defaults a [210, 160, 3] RGB env gives [4, 84, 84] uint8.
std::unique_ptr<Env> wrap_atari(std::unique_ptr<Env> env, const AtariPreprocessing& p = {});

}  // namespace arena
