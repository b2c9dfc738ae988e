// Tests of envs/core/wrappers.h against Gymnasium 1.x semantics, on small
// deterministic envs defined here.
#include "envs/core/wrappers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

#include "envs/alloc_counter.h"
#include "envs/core/draw_list.h"
#include "envs/classic/classic_control.h"
#include "envs/core/registry.h"

// The tests configure their envs with designated initializers and rely on
// the members' defaults for the fields they leave out.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace arena {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A scripted env.
// Float32 observations, shape {3}: [t, start, last action element 0], where t
// counts the steps since reset and `start` is drawn from the env's RNG at reset.
// UInt8 observations (image = true), shape {2, 2}: every element start + t,
// start drawn in [3, 52]; bounds [3, 255].
// Reward of the k-th step since construction (k = 0, 1, ...): rewards[k % size]
// (when empty: 1). Terminates at t == terminate_after (0: never).
struct ScriptConfig {
  bool discrete = false;
  std::vector<double> action_low{-1, -1}, action_high{1, 1};  // Box action, one per element
  bool image = false;
  double obs_low = -kInf, obs_high = kInf;  // float observations
  int terminate_after = 0;
  std::vector<double> rewards;
};

class ScriptEnv : public Env {
 public:
  explicit ScriptEnv(ScriptConfig c = {}) : c_(std::move(c)) {
    spec_.id = "Script-v0";
    if (c_.image) {
      spec_.observation_space = Space::box({2, 2}, 3, 255, DType::UInt8);
    } else {
      spec_.observation_space = Space::box({3}, c_.obs_low, c_.obs_high);
    }
    if (c_.discrete) {
      spec_.action_space = Space::discrete(4);
    } else {
      spec_.action_space = Space::box({static_cast<std::int64_t>(c_.action_low.size())}, c_.action_low,
                                      c_.action_high);
    }
    last_action_.assign(spec_.action_space.size(), 0.0);
  }

  void draw(DrawList& out) const override { out.clear(10 + t_, 10, Color::rgb(0, 0, 0)); }

  int t() const { return t_; }
  double start() const { return start_; }
  long total_steps() const { return total_; }
  const std::vector<double>& last_action() const { return last_action_; }

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t>, const Options&) override {
    t_ = 0;
    start_ = c_.image ? 3.0 + static_cast<double>(rng_.below(50)) : rng_.uniform();
    std::fill(last_action_.begin(), last_action_.end(), 0.0);
    write(out);
  }
  StepResult do_step(ActionView action, ObsBuffer out) override {
    if (c_.discrete) {
      last_action_[0] = static_cast<double>(*action.as<std::int64_t>());
    } else {
      const float* a = action.as<float>();
      for (std::size_t i = 0; i < last_action_.size(); ++i) last_action_[i] = a[i];
    }
    ++t_;
    StepResult r;
    r.reward = c_.rewards.empty() ? 1.0 : c_.rewards[static_cast<std::size_t>(total_) % c_.rewards.size()];
    ++total_;
    r.terminated = c_.terminate_after > 0 && t_ >= c_.terminate_after;
    write(out);
    return r;
  }

 private:
  void write(ObsBuffer out) const {
    if (c_.image) {
      for (auto& v : out.span<std::uint8_t>()) v = static_cast<std::uint8_t>(start_ + t_);
    } else {
      float* o = out.as<float>();
      o[0] = static_cast<float>(t_);
      o[1] = static_cast<float>(start_);
      o[2] = static_cast<float>(last_action_[0]);
    }
  }

  ScriptConfig c_;
  int t_ = 0;
  long total_ = 0;
  double start_ = 0;
  std::vector<double> last_action_;
};

std::unique_ptr<ScriptEnv> script(ScriptConfig c = {}) { return std::make_unique<ScriptEnv>(std::move(c)); }

ScriptEnv& inner_script(Env& env) { return dynamic_cast<ScriptEnv&>(env.unwrapped()); }

// ------------------------------------------------------------------ TimeLimit

TEST(TimeLimitTest, TruncatesExactlyAtTheLimit) {
  TimeLimit env(script(), 3);
  EXPECT_EQ(env.spec().max_episode_steps, 3);
  Array obs = env.observation_space().make_array();
  const std::vector<float> a{0, 0};
  for (int episode = 0; episode < 2; ++episode) {
    env.reset(obs.view(), 1);
    EXPECT_EQ(env.elapsed_steps(), 0);
    for (int t = 1; t <= 3; ++t) {
      const StepResult r = env.step(a, obs.view());
      EXPECT_FALSE(r.terminated);
      EXPECT_EQ(r.truncated, t == 3) << "step " << t;
      EXPECT_EQ(env.elapsed_steps(), t);
    }
  }
}

TEST(TimeLimitTest, PassesTerminationThrough) {
  Array obs;
  const std::vector<float> a{0, 0};
  {
    TimeLimit env(script({.terminate_after = 2}), 5);
    obs = env.observation_space().make_array();
    env.reset(obs.view(), 1);
    EXPECT_FALSE(env.step(a, obs.view()).done());
    const StepResult r = env.step(a, obs.view());
    EXPECT_TRUE(r.terminated);
    EXPECT_FALSE(r.truncated);
  }
  {
    TimeLimit env(script({.terminate_after = 3}), 3);  // both on the same step
    env.reset(obs.view(), 1);
    env.step(a, obs.view());
    env.step(a, obs.view());
    const StepResult r = env.step(a, obs.view());
    EXPECT_TRUE(r.terminated);
    EXPECT_TRUE(r.truncated);
  }
  EXPECT_THROW(TimeLimit(script(), 0), std::invalid_argument);
}

TEST(TimeLimitTest, RegistryAppliesIt) {
  Registry reg;
  reg.add("Script-v0", [](const Options&) { return std::unique_ptr<Env>(script()); }, {.max_episode_steps = 4});
  auto env = reg.make("Script-v0");
  ASSERT_NE(dynamic_cast<TimeLimit*>(env.get()), nullptr);
  EXPECT_EQ(env->spec().max_episode_steps, 4);
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 3);
  const std::vector<float> a{0, 0};
  for (int t = 1; t <= 4; ++t) EXPECT_EQ(env->step(a, obs.view()).truncated, t == 4);
}

// ---------------------------------------------------- RecordEpisodeStatistics

TEST(RecordEpisodeStatisticsTest, ReturnsLengthsAndRing) {
  // Episodes of 2 steps over the reward cycle 1..5: returns 3, 7, 6, 5, 9.
  RecordEpisodeStatistics env(script({.terminate_after = 2, .rewards = {1, 2, 3, 4, 5}}), 3);
  Array obs = env.observation_space().make_array();
  const std::vector<float> a{0, 0};
  const std::vector<double> expected{3, 7, 6, 5, 9};
  EXPECT_EQ(env.recent_count(), 0u);
  EXPECT_EQ(env.mean_recent_return(), 0.0);
  for (std::size_t e = 0; e < expected.size(); ++e) {
    env.reset(obs.view(), e);
    EXPECT_FALSE(env.episode_ended());
    env.step(a, obs.view());
    EXPECT_FALSE(env.episode_ended());
    EXPECT_EQ(env.episode_length(), 1);
    const StepResult r = env.step(a, obs.view());
    EXPECT_TRUE(r.terminated);
    EXPECT_TRUE(env.episode_ended());
    EXPECT_DOUBLE_EQ(env.last_return(), expected[e]);
    EXPECT_EQ(env.last_length(), 2);
    EXPECT_GE(env.last_time(), 0.0);
    EXPECT_LT(env.last_time(), 5.0);
    EXPECT_EQ(env.episode_count(), static_cast<std::int64_t>(e + 1));
  }
  // The ring keeps the last 3 episodes, oldest first.
  EXPECT_EQ(env.recent_count(), 3u);
  EXPECT_EQ(env.recent_returns(), (std::vector<double>{6, 5, 9}));
  EXPECT_EQ(env.recent_lengths(), (std::vector<std::int64_t>{2, 2, 2}));
  EXPECT_EQ(env.recent_times().size(), 3u);
  EXPECT_DOUBLE_EQ(env.recent_return(0), 6);
  EXPECT_DOUBLE_EQ(env.mean_recent_return(), 20.0 / 3.0);
  EXPECT_DOUBLE_EQ(env.mean_recent_length(), 2.0);
  env.reset(obs.view());
  EXPECT_FALSE(env.episode_ended());
}

TEST(RecordEpisodeStatisticsTest, CountsTruncatedEpisodes) {
  RecordEpisodeStatistics env(std::make_unique<TimeLimit>(script({.rewards = {0.5}}), 4));
  Array obs = env.observation_space().make_array();
  env.reset(obs.view(), 0);
  const std::vector<float> a{0, 0};
  for (int t = 1; t <= 4; ++t) {
    env.step(a, obs.view());
    EXPECT_EQ(env.episode_ended(), t == 4);
  }
  EXPECT_DOUBLE_EQ(env.last_return(), 2.0);
  EXPECT_EQ(env.last_length(), 4);
  EXPECT_EQ(env.spec().max_episode_steps, 4);
}

// ------------------------------------------------------- ClipAction, Rescale

TEST(ClipActionTest, ClipsToInnerBoundsAndWidensTheSpace) {
  ClipAction env(script({.action_low = {-1, 0}, .action_high = {2, 0.5}}));
  EXPECT_EQ(env.action_space(), Space::box({2}, -kInf, kInf));
  EXPECT_EQ(env.inner().action_space(), Space::box({2}, {-1, 0}, {2, 0.5}));
  Array obs = env.observation_space().make_array();
  env.reset(obs.view(), 0);
  const auto& seen = inner_script(env).last_action();

  env.step(std::vector<float>{5, -3}, obs.view());
  EXPECT_EQ(seen, (std::vector<double>{2, 0}));
  env.step(std::vector<float>{-7, 0.25f}, obs.view());
  EXPECT_EQ(seen, (std::vector<double>{-1, 0.25}));
  env.step(std::vector<float>{1.5f, 0.75f}, obs.view());
  EXPECT_EQ(seen, (std::vector<double>{1.5, 0.5}));

  EXPECT_THROW(ClipAction(script({.discrete = true})), std::invalid_argument);
}

TEST(RescaleActionTest, MapsAffinelyOntoInnerBounds) {
  RescaleAction env(script({.action_low = {-2, 0}, .action_high = {2, 10}}), -1.0, 1.0);
  EXPECT_EQ(env.action_space(), Space::box({2}, -1, 1));
  Array obs = env.observation_space().make_array();
  env.reset(obs.view(), 0);
  const auto& seen = inner_script(env).last_action();

  env.step(std::vector<float>{-1, 1}, obs.view());
  EXPECT_EQ(seen, (std::vector<double>{-2, 10}));
  env.step(std::vector<float>{0, 0}, obs.view());
  EXPECT_EQ(seen, (std::vector<double>{0, 5}));
  env.step(std::vector<float>{0.5f, -0.5f}, obs.view());
  EXPECT_EQ(seen, (std::vector<double>{1, 2.5}));
}

TEST(RescaleActionTest, PerElementBounds) {
  RescaleAction env(script({.action_low = {-2, 0}, .action_high = {2, 10}}), std::vector<double>{0, -1},
                    std::vector<double>{1, 1});
  EXPECT_EQ(env.action_space(), Space::box({2}, {0, -1}, {1, 1}));
  Array obs = env.observation_space().make_array();
  env.reset(obs.view(), 0);
  env.step(std::vector<float>{0.25f, 0}, obs.view());
  EXPECT_EQ(inner_script(env).last_action(), (std::vector<double>{-1, 5}));
  env.step(std::vector<float>{1, -1}, obs.view());
  EXPECT_EQ(inner_script(env).last_action(), (std::vector<double>{2, 0}));
}

TEST(RescaleActionTest, RejectsBadArguments) {
  EXPECT_THROW(RescaleAction(script({.discrete = true}), -1.0, 1.0), std::invalid_argument);
  EXPECT_THROW(RescaleAction(script({.action_low = {-kInf, 0}, .action_high = {1, 1}}), -1.0, 1.0),
               std::invalid_argument);
  EXPECT_THROW(RescaleAction(script(), 1.0, 1.0), std::invalid_argument);
  EXPECT_THROW(RescaleAction(script(), std::vector<double>{0, 0, 0}, std::vector<double>{1, 1, 1}),
               std::invalid_argument);
}

// --------------------------------------------------------------- Normalizers

// The statistics Gymnasium's RunningMeanStd reaches after `samples`: the
// samples merged with a prior pseudo-population of weight 1e-4, mean 0, var 1.
struct Direct {
  double mean, var, count;
};
Direct direct_stats(const std::vector<double>& samples) {
  const double c0 = 1e-4;
  const double n = static_cast<double>(samples.size());
  double sum = 0;
  for (double x : samples) sum += x;
  const double mean = sum / (c0 + n);
  double m2 = c0 * (1.0 + mean * mean);
  for (double x : samples) m2 += (x - mean) * (x - mean);
  return {mean, m2 / (c0 + n), c0 + n};
}

TEST(RunningMeanStdTest, MatchesDirectComputationAndMerging) {
  RunningMeanStd rms(1);
  std::vector<double> xs;
  Rng rng(7);
  for (int i = 0; i < 50; ++i) {
    xs.push_back(rng.normal() * 3 + 1);
    rms.update(std::span<const double>(&xs.back(), 1));
    const Direct d = direct_stats(xs);
    EXPECT_NEAR(rms.mean[0], d.mean, 1e-12);
    EXPECT_NEAR(rms.var[0], d.var, 1e-12 * d.var);
    EXPECT_DOUBLE_EQ(rms.count, d.count);
  }
  // Merging a batch by its moments equals adding its samples one by one.
  RunningMeanStd merged(1);
  double bm = 0, bv = 0;
  for (double x : xs) bm += x;
  bm /= static_cast<double>(xs.size());
  for (double x : xs) bv += (x - bm) * (x - bm);
  bv /= static_cast<double>(xs.size());
  merged.update_from_moments(std::span<const double>(&bm, 1), std::span<const double>(&bv, 1),
                             static_cast<double>(xs.size()));
  EXPECT_NEAR(merged.mean[0], rms.mean[0], 1e-12);
  EXPECT_NEAR(merged.var[0], rms.var[0], 1e-10);
  EXPECT_DOUBLE_EQ(merged.count, rms.count);
}

TEST(NormalizeObservationTest, MatchesDirectStatistics) {
  NormalizeObservation env(script({.terminate_after = 7}));
  EXPECT_EQ(env.observation_space(), Space::box({3}, -kInf, kInf, DType::Float32));
  Array inner = env.inner().observation_space().make_array();
  Array obs = env.observation_space().make_array();
  std::vector<std::vector<double>> seen(3);  // per element, the raw observations
  Rng action_rng(3);

  auto check = [&](const char* where, int k) {
    // The raw observation: recompute it from what the script env shows.
    const ScriptEnv& s = inner_script(env);
    const double raw[3] = {static_cast<double>(s.t()), static_cast<float>(s.start()),
                           static_cast<float>(s.last_action()[0])};
    for (int j = 0; j < 3; ++j) {
      seen[j].push_back(raw[j]);
      const Direct d = direct_stats(seen[j]);
      EXPECT_NEAR(env.statistics().mean[j], d.mean, 1e-9) << where << " " << k;
      EXPECT_NEAR(env.statistics().var[j], d.var, 1e-9 * std::max(1.0, d.var)) << where << " " << k;
      const double expected = (raw[j] - d.mean) / std::sqrt(d.var + 1e-8);
      EXPECT_NEAR(obs.data<float>()[j], expected, 1e-5 * std::max(1.0, std::abs(expected))) << where << " " << k;
    }
  };

  for (int episode = 0; episode < 3; ++episode) {
    env.reset(obs.view(), 10 + episode);
    check("reset", episode);
    for (int t = 0; t < 7; ++t) {
      const float a[2] = {static_cast<float>(action_rng.uniform(-1, 1)), 0};
      env.step(std::span<const float>(a, 2), obs.view());
      check("step", t);
    }
  }
  EXPECT_DOUBLE_EQ(env.statistics().count, 1e-4 + 3 * 8);
}

TEST(NormalizeObservationTest, FreezeAndRestoreStatistics) {
  NormalizeObservation env(script());
  Array obs = env.observation_space().make_array();
  env.reset(obs.view(), 1);
  const std::vector<float> a{0.5f, 0};
  for (int t = 0; t < 5; ++t) env.step(a, obs.view());
  const RunningMeanStd saved = env.statistics();

  env.set_update_running_mean(false);
  EXPECT_FALSE(env.update_running_mean());
  env.step(a, obs.view());
  EXPECT_EQ(env.statistics(), saved);
  const float t6 = 6;
  EXPECT_FLOAT_EQ(obs.data<float>()[0],
                  static_cast<float>((t6 - saved.mean[0]) / std::sqrt(saved.var[0] + 1e-8)));

  // A fresh wrapper given the saved statistics normalises the same way.
  NormalizeObservation restored(script());
  restored.set_statistics(saved);
  restored.set_update_running_mean(false);
  Array obs2 = restored.observation_space().make_array();
  restored.reset(obs2.view(), 1);
  for (int t = 0; t < 6; ++t) restored.step(a, obs2.view());
  EXPECT_EQ(obs2, obs);

  EXPECT_THROW(restored.set_statistics(RunningMeanStd(2)), std::invalid_argument);
}

TEST(NormalizeObservationTest, Uint8ObservationsBecomeFloat32) {
  NormalizeObservation env(script({.image = true}));
  EXPECT_EQ(env.observation_space(), Space::box({2, 2}, -kInf, kInf, DType::Float32));
  Array obs = env.observation_space().make_array();
  env.reset(obs.view(), 4);
  const double x = inner_script(env).start();
  EXPECT_GE(x, 3.0);
  const Direct d = direct_stats({x});
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(env.statistics().mean[i], d.mean, 1e-12);
    EXPECT_NEAR(env.statistics().var[i], d.var, 1e-9 * d.var);
    EXPECT_FLOAT_EQ(obs.data<float>()[i], static_cast<float>((x - d.mean) / std::sqrt(d.var + 1e-8)));
  }
}

TEST(NormalizeRewardTest, MatchesGymnasiumAccumulator) {
  // Episodes end by termination after 3 steps, or by truncation (TimeLimit)
  // which must not reset the accumulator.
  const std::vector<double> rewards{1, -2, 0.5, 3, 4, -1, 2};
  NormalizeReward env(std::make_unique<TimeLimit>(script({.terminate_after = 3, .rewards = rewards}), 2), 0.9);
  Array obs = env.observation_space().make_array();
  const std::vector<float> a{0, 0};

  std::vector<double> gs;
  double g = 0;
  long k = 0;
  for (int episode = 0; episode < 4; ++episode) {
    env.reset(obs.view(), 0);
    for (;;) {
      const StepResult r = env.step(a, obs.view());
      const double raw = rewards[static_cast<std::size_t>(k++) % rewards.size()];
      g = g * 0.9 * (r.terminated ? 0.0 : 1.0) + raw;
      gs.push_back(g);
      const Direct d = direct_stats(gs);
      EXPECT_NEAR(env.discounted_return(), g, 1e-12);
      EXPECT_NEAR(env.statistics().var[0], d.var, 1e-12 * std::max(1.0, d.var));
      EXPECT_NEAR(r.reward, raw / std::sqrt(d.var + 1e-8), 1e-9);
      if (r.done()) {
        EXPECT_TRUE(r.truncated);  // the time limit (2) comes before termination (3)
        break;
      }
    }
  }

  // Frozen: the statistics stay, the accumulator still runs.
  env.set_update_running_mean(false);
  const RunningMeanStd saved = env.statistics();
  env.reset(obs.view(), 0);
  const StepResult r = env.step(a, obs.view());
  EXPECT_EQ(env.statistics(), saved);
  const double raw = rewards[static_cast<std::size_t>(k) % rewards.size()];
  EXPECT_NEAR(r.reward, raw / std::sqrt(saved.var[0] + 1e-8), 1e-12);
  EXPECT_NEAR(env.discounted_return(), g * 0.9 + raw, 1e-12);

  NormalizeReward other(script());
  other.set_statistics(saved);
  EXPECT_EQ(other.statistics(), saved);
  EXPECT_THROW(other.set_statistics(RunningMeanStd(3)), std::invalid_argument);
}

TEST(NormalizeRewardTest, TerminationDropsTheAccumulator) {
  NormalizeReward env(script({.terminate_after = 2, .rewards = {1, 10}}), 0.5);
  Array obs = env.observation_space().make_array();
  const std::vector<float> a{0, 0};
  env.reset(obs.view(), 0);
  env.step(a, obs.view());
  EXPECT_DOUBLE_EQ(env.discounted_return(), 1.0);
  EXPECT_TRUE(env.step(a, obs.view()).terminated);
  EXPECT_DOUBLE_EQ(env.discounted_return(), 10.0);  // G * gamma * 0 + 10
  env.reset(obs.view());
  EXPECT_DOUBLE_EQ(env.discounted_return(), 10.0);  // reset() keeps G
  env.step(a, obs.view());
  EXPECT_DOUBLE_EQ(env.discounted_return(), 6.0);   // 10 * 0.5 + 1
}

TEST(TransformRewardTest, AppliesTheFunction) {
  TransformReward env(script({.terminate_after = 2, .rewards = {1, -3}}), [](double r) { return 2 * r + 1; });
  Array obs = env.observation_space().make_array();
  env.reset(obs.view(), 0);
  const std::vector<float> a{0, 0};
  EXPECT_DOUBLE_EQ(env.step(a, obs.view()).reward, 3.0);
  const StepResult r = env.step(a, obs.view());
  EXPECT_DOUBLE_EQ(r.reward, -5.0);
  EXPECT_TRUE(r.terminated);
  EXPECT_THROW(TransformReward(script(), nullptr), std::invalid_argument);
}

// ---------------------------------------------------------------- FrameStack

// Element 0 (t) of each stacked frame of a float stack.
std::vector<float> stacked_t(const Array& obs, int k) {
  std::vector<float> v;
  for (int j = 0; j < k; ++j) v.push_back(obs.data<float>()[j * 3]);
  return v;
}

TEST(FrameStackTest, ResetPaddingAndOrdering) {
  FrameStack env(script({.obs_low = -5, .obs_high = 100}), 3);
  EXPECT_EQ(env.observation_space(), Space::box({3, 3}, -5, 100));
  Array obs = env.observation_space().make_array();
  Array single = env.inner().observation_space().make_array();
  const std::vector<float> a{0.25f, 0};

  for (int episode = 0; episode < 2; ++episode) {
    env.reset(obs.view(), 20 + episode);
    // Every slot holds the reset observation.
    const float start = obs.data<float>()[1];
    for (int j = 0; j < 3; ++j) {
      EXPECT_EQ(obs.data<float>()[j * 3 + 0], 0.0f);
      EXPECT_EQ(obs.data<float>()[j * 3 + 1], start);
    }
    env.step(a, obs.view());
    EXPECT_EQ(stacked_t(obs, 3), (std::vector<float>{0, 0, 1}));
    EXPECT_EQ(obs.data<float>()[2], 0.0f);    // reset frame: no action yet
    EXPECT_EQ(obs.data<float>()[8], 0.25f);   // newest frame last
    env.step(a, obs.view());
    EXPECT_EQ(stacked_t(obs, 3), (std::vector<float>{0, 1, 2}));
    for (int t = 3; t <= 10; ++t) {
      env.step(a, obs.view());
      EXPECT_EQ(stacked_t(obs, 3), (std::vector<float>{float(t - 2), float(t - 1), float(t)}));
    }
  }
}

TEST(FrameStackTest, ZeroPaddingMovesZeroIntoTheBounds) {
  {
    FrameStack env(script(), 3, FramePadding::Zero);
    Array obs = env.observation_space().make_array();
    env.reset(obs.view(), 5);
    const float start = obs.data<float>()[7];
    EXPECT_NE(start, 0.0f);
    for (int i = 0; i < 6; ++i) EXPECT_EQ(obs.data<float>()[i], 0.0f);
    env.step(std::vector<float>{0, 0}, obs.view());
    EXPECT_EQ(stacked_t(obs, 3), (std::vector<float>{0, 0, 1}));
    EXPECT_EQ(obs.data<float>()[1], 0.0f);    // still padding
    EXPECT_EQ(obs.data<float>()[4], start);   // the reset frame
  }
  {
    // uint8 frames with bounds [3, 255]: the "zero" frame is 3; dtype stays uint8.
    FrameStack env(script({.image = true}), 4, FramePadding::Zero);
    EXPECT_EQ(env.observation_space(), Space::box({4, 2, 2}, 3, 255, DType::UInt8));
    Array obs = env.observation_space().make_array();
    env.reset(obs.view(), 5);
    const auto* o = obs.data<std::uint8_t>();
    const std::uint8_t start = o[12];
    EXPECT_GE(start, 3);
    for (int i = 0; i < 12; ++i) EXPECT_EQ(o[i], 3);
    for (int i = 12; i < 16; ++i) EXPECT_EQ(o[i], start);
    const std::vector<float> a{0, 0};
    for (int t = 1; t <= 5; ++t) env.step(a, obs.view());
    for (int j = 0; j < 4; ++j) {
      for (int i = 0; i < 4; ++i) EXPECT_EQ(o[j * 4 + i], start + 2 + j) << "frame " << j;
    }
  }
}

TEST(FrameStackTest, Uint8ResetPaddingAndStackOfOne) {
  FrameStack env(script({.image = true}), 2);
  Array obs = env.observation_space().make_array();
  env.reset(obs.view(), 9);
  const auto* o = obs.data<std::uint8_t>();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(o[i], o[0]);

  FrameStack one(script(), 1);
  EXPECT_EQ(one.observation_space().shape(), (std::vector<std::int64_t>{1, 3}));
  Array o1 = one.observation_space().make_array();
  ScriptEnv plain;
  Array o2 = plain.observation_space().make_array();
  one.reset(o1.view(), 4);
  plain.reset(o2.view(), 4);
  const std::vector<float> a{0.5f, 0};
  for (int t = 0; t < 3; ++t) {
    one.step(a, o1.view());
    plain.step(a, o2.view());
    EXPECT_EQ(0, std::memcmp(o1.view().data, o2.view().data, 3 * sizeof(float)));
  }
  EXPECT_THROW(FrameStack(script(), 0), std::invalid_argument);
}

// ------------------------------------------------------------ The whole stack

TEST(WrapperStackTest, ForwardsSeedsDrawAndUnwrapped) {
  auto make = [] {
    std::unique_ptr<Env> e = script({.action_low = {-2, -2}, .action_high = {2, 2}, .terminate_after = 5});
    e = std::make_unique<TimeLimit>(std::move(e), 4);
    e = std::make_unique<RecordEpisodeStatistics>(std::move(e));
    e = std::make_unique<RescaleAction>(std::move(e), -1.0, 1.0);
    e = std::make_unique<ClipAction>(std::move(e));
    e = std::make_unique<NormalizeObservation>(std::move(e));
    e = std::make_unique<NormalizeReward>(std::move(e));
    e = std::make_unique<TransformReward>(std::move(e), [](double r) { return r * 0.5; });
    return std::make_unique<FrameStack>(std::move(e), 4);
  };
  auto a = make(), b = make();
  EXPECT_NE(dynamic_cast<ScriptEnv*>(&a->unwrapped()), nullptr);
  EXPECT_EQ(a->spec().max_episode_steps, 4);
  EXPECT_EQ(a->observation_space(), Space::box({4, 3}, -kInf, kInf));
  EXPECT_EQ(a->action_space(), Space::box({2}, -kInf, kInf));

  Array oa = a->observation_space().make_array(), ob = b->observation_space().make_array();
  a->reset(oa.view(), 99);
  b->reset(ob.view(), 99);
  EXPECT_EQ(oa, ob);
  Rng rng(1);
  for (int t = 0; t < 12; ++t) {
    const float act[2] = {static_cast<float>(rng.uniform(-2, 2)), static_cast<float>(rng.uniform(-2, 2))};
    const StepResult ra = a->step(std::span<const float>(act, 2), oa.view());
    const StepResult rb = b->step(std::span<const float>(act, 2), ob.view());
    EXPECT_EQ(oa, ob);
    EXPECT_EQ(ra.reward, rb.reward);
    EXPECT_EQ(ra.truncated, (t % 4) == 3);
    if (ra.done()) {
      a->reset(oa.view());
      b->reset(ob.view());
    }
  }
  DrawList dl;
  a->draw(dl);
  EXPECT_EQ(dl.width(), 10 + inner_script(*a).t());
}

TEST(WrapperStackTest, StepDoesNotAllocate) {
  std::unique_ptr<Env> e = script({.action_low = {-2, -2}, .action_high = {2, 2}, .terminate_after = 5});
  e = std::make_unique<TimeLimit>(std::move(e), 7);
  e = std::make_unique<RecordEpisodeStatistics>(std::move(e), 4);
  e = std::make_unique<RescaleAction>(std::move(e), std::vector<double>{-1, 0}, std::vector<double>{1, 1});
  e = std::make_unique<ClipAction>(std::move(e));
  e = std::make_unique<NormalizeObservation>(std::move(e));
  e = std::make_unique<NormalizeReward>(std::move(e));
  e = std::make_unique<TransformReward>(std::move(e), [](double r) { return r * 0.5; });
  e = std::make_unique<FrameStack>(std::move(e), 4, FramePadding::Zero);
  Array obs = e->observation_space().make_array();
  const float act[2] = {0.3f, 0.7f};
  e->reset(obs.view(), 1);

  test::AllocCounter counter;
  for (int t = 0; t < 200; ++t) {
    if (e->step(std::span<const float>(act, 2), obs.view()).done()) e->reset(obs.view());
  }
  counter.stop();
  EXPECT_EQ(counter.allocations(), 0);
  // The counter works.
  test::AllocCounter check;
  auto* p = new int(3);
  check.stop();
  EXPECT_GT(check.allocations(), 0);
  delete p;
}

// ------------------------------------------------------- On the classic envs

TEST(ClassicWrappersTest, RescaledPendulumMatchesThePlainOne) {
  Registry reg;
  register_classic_control(reg);
  auto plain = reg.make("Pendulum-v1");
  RescaleAction scaled(reg.make("Pendulum-v1"), -1.0, 1.0);
  EXPECT_EQ(scaled.action_space(), Space::box({1}, -1, 1));
  Array o1 = plain->observation_space().make_array(), o2 = scaled.observation_space().make_array();
  plain->reset(o1.view(), 42);
  scaled.reset(o2.view(), 42);
  Rng rng(0);
  for (int t = 0; t < 200; ++t) {
    const float a = static_cast<float>(rng.uniform(-1, 1));
    const float inner_a = 2 * a;  // Pendulum's torque lies in [-2, 2]
    const StepResult r1 = plain->step(std::span<const float>(&inner_a, 1), o1.view());
    const StepResult r2 = scaled.step(std::span<const float>(&a, 1), o2.view());
    ASSERT_EQ(o1, o2) << t;
    ASSERT_EQ(r1.reward, r2.reward);
    ASSERT_EQ(r1.truncated, r2.truncated);
  }
}

TEST(ClassicWrappersTest, StackedNormalizedCartPole) {
  Registry reg;
  register_classic_control(reg);
  auto env = std::make_unique<FrameStack>(std::make_unique<NormalizeObservation>(reg.make("CartPole-v1")), 4);
  EXPECT_EQ(env->observation_space(), Space::box({4, 4}, -kInf, kInf));
  EXPECT_EQ(env->spec().max_episode_steps, 500);
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 1);
  for (int j = 1; j < 4; ++j) EXPECT_EQ(0, std::memcmp(obs.data<float>(), obs.data<float>() + 4 * j, 16));
  int steps = 0;
  for (; steps < 500; ++steps) {
    if (env->step(std::int64_t{1}, obs.view()).done()) break;
  }
  EXPECT_LT(steps, 100);  // always pushing right falls over quickly
}

}  // namespace
}  // namespace arena
