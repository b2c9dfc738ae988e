// Tests of envs/core/vector_env.h: batched layout, seeding, both autoreset
// modes and no allocation per step, on small deterministic envs defined here.
#include "envs/core/vector_env.h"

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
#include "envs/core/wrappers.h"

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

std::vector<float> row(ConstBuffer b) { return {b.as<float>(), b.as<float>() + b.count}; }
std::vector<float> row(const Array& a) { return row(a.view()); }

// Envs whose episodes terminate after 1, 2, 3, 1, 2, ... steps (by index).
VectorEnv::Factory staggered(bool discrete = false) {
  auto counter = std::make_shared<int>(0);
  return [counter, discrete]() -> std::unique_ptr<Env> {
    const int k = (*counter)++;
    return script({.discrete = discrete, .terminate_after = 1 + k % 3, .rewards = {1, 2, 3, 4}});
  };
}

TEST(VectorEnvTest, BatchedLayoutAndSeeding) {
  VectorEnv v([] { return script(); }, 3);
  EXPECT_EQ(v.num_envs(), 3u);
  EXPECT_EQ(v.single_observation_space(), Space::box({3}, -kInf, kInf));
  EXPECT_EQ(v.single_action_space(), Space::box({2}, -1, 1));
  EXPECT_EQ(v.observations_shape(), (std::vector<std::int64_t>{3, 3}));
  EXPECT_EQ(v.autoreset_mode(), AutoresetMode::SameStep);
  v.reset(10);
  EXPECT_EQ(v.observations().dtype, DType::Float32);
  EXPECT_EQ(v.observations().count, 9u);
  EXPECT_EQ(v.rewards().size(), 3u);

  // Env i behaves exactly as a single env reset with seed 10 + i.
  std::vector<ScriptEnv> refs(3);
  std::vector<Array> ref_obs;
  for (std::size_t i = 0; i < 3; ++i) {
    ref_obs.push_back(refs[i].observation_space().make_array());
    refs[i].reset(ref_obs[i].view(), 10 + i);
    EXPECT_EQ(row(v.observation(i)), row(ref_obs[i])) << i;
    // Rows are contiguous: row i starts at element 3 * i.
    EXPECT_EQ(v.observation(i).data, static_cast<const float*>(v.observations().data) + 3 * i);
  }
  EXPECT_NE(row(v.observation(0)), row(v.observation(1)));

  Rng rng(5);
  for (int t = 1; t <= 6; ++t) {
    std::vector<float> actions(6);
    for (auto& a : actions) a = static_cast<float>(rng.uniform(-1, 1));
    v.step(actions);
    for (std::size_t i = 0; i < 3; ++i) {
      const StepResult r = refs[i].step(std::span<const float>(actions.data() + 2 * i, 2), ref_obs[i].view());
      EXPECT_EQ(row(v.observation(i)), row(ref_obs[i]));
      EXPECT_EQ(v.observation(i).as<float>()[2], actions[2 * i]);  // env i read its own slice
      EXPECT_EQ(v.observation(i).as<float>()[0], static_cast<float>(t));
      EXPECT_EQ(v.rewards()[i], r.reward);
      EXPECT_EQ(v.terminated()[i], 0);
      EXPECT_EQ(v.truncated()[i], 0);
      EXPECT_EQ(v.ended()[i], 0);
    }
  }
  EXPECT_THROW(v.observation(3), std::out_of_range);
  EXPECT_THROW(v.final_observation(3), std::out_of_range);
}

TEST(VectorEnvTest, UnseededResetContinuesEachStream) {
  VectorEnv v([] { return script(); }, 2);
  v.reset(5);
  v.reset();
  for (std::size_t i = 0; i < 2; ++i) {
    ScriptEnv ref;
    Array o = ref.observation_space().make_array();
    ref.reset(o.view(), 5 + i);
    ref.reset(o.view());
    EXPECT_EQ(row(v.observation(i)), row(o)) << i;
  }
  // Reseeding reproduces the first reset.
  VectorEnv w([] { return script(); }, 2);
  w.reset(5);
  v.reset(5);
  EXPECT_EQ(row(v.observations()), row(w.observations()));
}

TEST(VectorEnvTest, Uint8ObservationsKeepTheirDtype) {
  VectorEnv v([] { return script({.image = true}); }, 2);
  EXPECT_EQ(v.observations_shape(), (std::vector<std::int64_t>{2, 2, 2}));
  v.reset(0);
  ASSERT_EQ(v.observations().dtype, DType::UInt8);
  const auto* o = v.observations().as<std::uint8_t>();
  for (std::size_t i = 0; i < 2; ++i) {
    ScriptEnv ref({.image = true});
    Array a = ref.observation_space().make_array();
    ref.reset(a.view(), i);
    EXPECT_EQ(0, std::memcmp(o + 4 * i, a.view().data, 4));
  }
}

// Reference: single envs driven by hand with the SameStep rule.
TEST(VectorEnvTest, SameStepAutoreset) {
  VectorEnv v(staggered(), 3, AutoresetMode::SameStep);
  auto make = staggered();
  std::vector<std::unique_ptr<Env>> refs;
  std::vector<Array> ro;
  v.reset(100);
  for (std::size_t i = 0; i < 3; ++i) {
    refs.push_back(make());
    ro.push_back(refs[i]->observation_space().make_array());
    refs[i]->reset(ro[i].view(), 100 + i);
  }

  // Step 1: env 0 (1-step episodes) ends and is reset in the same step.
  const std::vector<float> a(6, 0.5f);
  v.step(a);
  EXPECT_EQ(v.ended()[0], 1);
  EXPECT_EQ(v.terminated()[0], 1);
  EXPECT_EQ(v.truncated()[0], 0);
  EXPECT_EQ(v.was_reset()[0], 1);
  EXPECT_EQ(v.final_observation(0).as<float>()[0], 1.0f);    // last obs: t = 1
  EXPECT_EQ(v.final_observation(0).as<float>()[2], 0.5f);
  EXPECT_EQ(v.observation(0).as<float>()[0], 0.0f);          // new episode: t = 0
  EXPECT_EQ(v.observation(0).as<float>()[2], 0.0f);
  EXPECT_NE(v.observation(0).as<float>()[1], v.final_observation(0).as<float>()[1]);  // new start drawn
  EXPECT_EQ(v.rewards()[0], 1.0);                            // the ended episode's reward
  EXPECT_EQ(v.ended()[1], 0);
  EXPECT_EQ(v.was_reset()[1], 0);
  EXPECT_EQ(v.observation(1).as<float>()[0], 1.0f);

  // Steps 1..12 of fresh envs against the references.
  VectorEnv u(staggered(), 3, AutoresetMode::SameStep);
  u.reset(100);
  for (std::size_t i = 0; i < 3; ++i) refs[i]->reset(ro[i].view(), 100 + i);
  Rng rng(9);
  for (int t = 1; t <= 12; ++t) {
    std::vector<float> actions(6);
    for (auto& x : actions) x = static_cast<float>(rng.uniform(-1, 1));
    u.step(actions);
    for (std::size_t i = 0; i < 3; ++i) {
      const StepResult r = refs[i]->step(std::span<const float>(actions.data() + 2 * i, 2), ro[i].view());
      EXPECT_EQ(u.rewards()[i], r.reward);
      EXPECT_EQ(u.terminated()[i], r.terminated);
      EXPECT_EQ(u.truncated()[i], r.truncated);
      EXPECT_EQ(u.ended()[i], r.done());
      EXPECT_EQ(u.was_reset()[i], r.done());
      EXPECT_EQ(r.done(), t % static_cast<int>(i + 1) == 0) << "env " << i << " step " << t;
      if (r.done()) {
        EXPECT_EQ(row(u.final_observation(i)), row(ro[i]));
        refs[i]->reset(ro[i].view());
      }
      EXPECT_EQ(row(u.observation(i)), row(ro[i])) << "env " << i << " step " << t;
    }
  }
}

TEST(VectorEnvTest, NextStepAutoreset) {
  VectorEnv v(staggered(true), 3, AutoresetMode::NextStep);
  EXPECT_EQ(v.single_action_space(), Space::discrete(4));
  v.reset(7);
  // Step 1: env 0 ends; its last observation is returned as is.
  v.step(std::vector<std::int64_t>{2, 2, 2});
  EXPECT_EQ(v.ended()[0], 1);
  EXPECT_EQ(v.terminated()[0], 1);
  EXPECT_EQ(v.was_reset()[0], 0);
  EXPECT_EQ(v.observation(0).as<float>()[0], 1.0f);
  EXPECT_EQ(row(v.final_observation(0)), row(v.observation(0)));
  EXPECT_EQ(v.rewards()[0], 1.0);
  const float old_start = v.observation(0).as<float>()[1];
  // Step 2: env 0 is reset, its action ignored; env 1 ends.
  v.step(std::vector<std::int64_t>{3, 3, 3});
  EXPECT_EQ(v.was_reset()[0], 1);
  EXPECT_EQ(v.ended()[0], 0);
  EXPECT_EQ(v.terminated()[0], 0);
  EXPECT_EQ(v.truncated()[0], 0);
  EXPECT_EQ(v.rewards()[0], 0.0);
  EXPECT_EQ(v.observation(0).as<float>()[0], 0.0f);
  EXPECT_EQ(v.observation(0).as<float>()[2], 0.0f);  // no action taken
  EXPECT_NE(v.observation(0).as<float>()[1], old_start);
  EXPECT_EQ(inner_script(v.env(0)).total_steps(), 1);
  EXPECT_EQ(v.ended()[1], 1);
  EXPECT_EQ(v.observation(1).as<float>()[0], 2.0f);
  EXPECT_EQ(v.observation(1).as<float>()[2], 3.0f);
  EXPECT_EQ(v.ended()[2], 0);
  // Step 3: env 0 steps again (t = 1, ends), env 1 resets, env 2 ends.
  v.step(std::vector<std::int64_t>{1, 1, 1});
  EXPECT_EQ(v.was_reset()[0], 0);
  EXPECT_EQ(v.ended()[0], 1);
  EXPECT_EQ(v.observation(0).as<float>()[2], 1.0f);
  EXPECT_EQ(v.was_reset()[1], 1);
  EXPECT_EQ(v.rewards()[1], 0.0);
  EXPECT_EQ(v.ended()[2], 1);
  EXPECT_EQ(v.observation(2).as<float>()[0], 3.0f);

  // Against references driven by hand with the NextStep rule.
  auto make = staggered(true);
  std::vector<std::unique_ptr<Env>> refs;
  std::vector<Array> ro;
  std::vector<bool> pending(3, false);
  VectorEnv u(staggered(true), 3, AutoresetMode::NextStep);
  u.reset(50);
  for (std::size_t i = 0; i < 3; ++i) {
    refs.push_back(make());
    ro.push_back(refs[i]->observation_space().make_array());
    refs[i]->reset(ro[i].view(), 50 + i);
  }
  Rng rng(2);
  for (int t = 1; t <= 12; ++t) {
    std::vector<std::int64_t> actions(3);
    for (auto& x : actions) x = rng.integer(0, 3);
    u.step(actions);
    for (std::size_t i = 0; i < 3; ++i) {
      if (pending[i]) {
        refs[i]->reset(ro[i].view());
        pending[i] = false;
        EXPECT_EQ(u.was_reset()[i], 1);
        EXPECT_EQ(u.rewards()[i], 0.0);
        EXPECT_EQ(u.ended()[i], 0);
      } else {
        const StepResult r = refs[i]->step(actions[i], ro[i].view());
        EXPECT_EQ(u.was_reset()[i], 0);
        EXPECT_EQ(u.rewards()[i], r.reward);
        EXPECT_EQ(u.terminated()[i], r.terminated);
        EXPECT_EQ(u.ended()[i], r.done());
        if (r.done()) {
          pending[i] = true;
          EXPECT_EQ(row(u.final_observation(i)), row(ro[i]));
        }
      }
      EXPECT_EQ(row(u.observation(i)), row(ro[i])) << "env " << i << " step " << t;
    }
  }

  // reset() clears a pending autoreset.
  VectorEnv w(staggered(true), 1, AutoresetMode::NextStep);
  w.reset(1);
  w.step(std::vector<std::int64_t>{0});
  EXPECT_EQ(w.ended()[0], 1);
  w.reset(1);
  EXPECT_EQ(w.ended()[0], 0);
  w.step(std::vector<std::int64_t>{2});
  EXPECT_EQ(w.was_reset()[0], 0);
  EXPECT_EQ(w.ended()[0], 1);
  EXPECT_EQ(w.observation(0).as<float>()[2], 2.0f);
}

TEST(VectorEnvTest, RegistryMakeAndTruncation) {
  Registry reg;
  reg.add("Script-v0", [](const Options&) { return std::unique_ptr<Env>(script()); }, {.max_episode_steps = 3});
  VectorEnv v = VectorEnv::make(reg, "Script-v0", 2);
  EXPECT_EQ(v.single_spec().id, "Script-v0");
  EXPECT_EQ(v.single_spec().max_episode_steps, 3);
  v.reset(0);
  const std::vector<float> a(4, 0.0f);
  for (int t = 1; t <= 3; ++t) {
    v.step(a);
    for (std::size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(v.truncated()[i], t == 3);
      EXPECT_EQ(v.terminated()[i], 0);
      EXPECT_EQ(v.ended()[i], t == 3);
    }
  }
  EXPECT_EQ(v.final_observation(1).as<float>()[0], 3.0f);
  EXPECT_EQ(v.observation(1).as<float>()[0], 0.0f);
  // The next episode is again 3 steps (TimeLimit was reset by the autoreset).
  v.step(a);
  v.step(a);
  EXPECT_EQ(v.ended()[0], 0);
  v.step(a);
  EXPECT_EQ(v.truncated()[0], 1);

  EXPECT_THROW(VectorEnv::make(reg, "Nope-v0", 2), UnknownEnvError);
}

TEST(VectorEnvTest, RejectsBadInput) {
  VectorEnv v([] { return script({.discrete = true}); }, 2);
  EXPECT_THROW(v.step(std::vector<std::int64_t>{0, 0}), std::logic_error);  // before reset
  v.reset(0);
  EXPECT_THROW(v.step(std::vector<float>{0, 0}), std::invalid_argument);      // dtype
  EXPECT_THROW(v.step(std::vector<std::int64_t>{0}), std::invalid_argument);  // count
  // An out-of-range action is caught before any env steps.
  EXPECT_THROW(v.step(std::vector<std::int64_t>{1, 4}), std::out_of_range);
  EXPECT_THROW(v.step(std::vector<std::int64_t>{-1, 0}), std::out_of_range);
  EXPECT_EQ(inner_script(v.env(0)).total_steps(), 0);
  EXPECT_EQ(inner_script(v.env(1)).total_steps(), 0);
  v.step(std::vector<std::int64_t>{1, 3});
  EXPECT_EQ(v.observation(0).as<float>()[2], 1.0f);
  EXPECT_EQ(v.observation(1).as<float>()[2], 3.0f);

  EXPECT_THROW(VectorEnv([] { return script(); }, 0), std::invalid_argument);
  int k = 0;
  EXPECT_THROW(VectorEnv([&k] { return script({.discrete = (k++ % 2) == 1}); }, 2), std::invalid_argument);
  EXPECT_THROW(VectorEnv([] { return std::unique_ptr<Env>(); }, 1), std::invalid_argument);
}

TEST(VectorEnvTest, DrawsEnvI) {
  VectorEnv v([] { return script(); }, 2);
  v.reset(0);
  v.step(std::vector<float>{0, 0, 0, 0});
  DrawList dl;
  v.draw(1, dl);
  EXPECT_EQ(dl.width(), 11);
}

TEST(VectorEnvTest, StepDoesNotAllocate) {
  for (AutoresetMode mode : {AutoresetMode::SameStep, AutoresetMode::NextStep}) {
    auto counter = std::make_shared<int>(0);
    VectorEnv v(
        [counter]() -> std::unique_ptr<Env> {
          std::unique_ptr<Env> e = script({.terminate_after = 2 + (*counter)++ % 3, .rewards = {1, -1}});
          e = std::make_unique<TimeLimit>(std::move(e), 3);
          e = std::make_unique<RecordEpisodeStatistics>(std::move(e));
          return std::make_unique<FrameStack>(std::move(e), 4);
        },
        4, mode);
    v.reset(3);
    std::vector<float> actions(8, 0.25f);
    test::AllocCounter allocs;
    for (int t = 0; t < 100; ++t) v.step(actions);
    allocs.stop();
    EXPECT_EQ(allocs.allocations(), 0) << autoreset_mode_name(mode);
  }
}

TEST(VectorEnvTest, CartPoleMatchesSingleEnvs) {
  Registry reg;
  register_classic_control(reg);
  for (AutoresetMode mode : {AutoresetMode::SameStep, AutoresetMode::NextStep}) {
    VectorEnv v = VectorEnv::make(reg, "CartPole-v1", 4, {}, mode);
    EXPECT_EQ(v.single_action_space(), Space::discrete(2));
    EXPECT_EQ(v.observations_shape(), (std::vector<std::int64_t>{4, 4}));
    std::vector<std::unique_ptr<Env>> refs;
    std::vector<Array> ro;
    std::vector<bool> pending(4, false);
    v.reset(42);
    for (std::size_t i = 0; i < 4; ++i) {
      refs.push_back(reg.make("CartPole-v1"));
      ro.push_back(refs[i]->observation_space().make_array());
      refs[i]->reset(ro[i].view(), 42 + i);
      ASSERT_EQ(row(v.observation(i)), row(ro[i]));
    }
    Rng rng(3);
    int episodes = 0;
    std::vector<std::int64_t> actions(4);
    for (int t = 0; t < 300; ++t) {
      for (auto& a : actions) a = rng.integer(0, 1);
      v.step(actions);
      for (std::size_t i = 0; i < 4; ++i) {
        if (pending[i]) {
          refs[i]->reset(ro[i].view());
          pending[i] = false;
        } else {
          const StepResult r = refs[i]->step(actions[i], ro[i].view());
          ASSERT_EQ(v.rewards()[i], r.reward);
          ASSERT_EQ(v.terminated()[i], r.terminated);
          ASSERT_EQ(v.truncated()[i], r.truncated);
          if (r.done()) {
            ++episodes;
            ASSERT_EQ(row(v.final_observation(i)), row(ro[i]));
            if (mode == AutoresetMode::SameStep) {
              refs[i]->reset(ro[i].view());
            } else {
              pending[i] = true;
            }
          }
        }
        ASSERT_EQ(row(v.observation(i)), row(ro[i])) << autoreset_mode_name(mode) << " env " << i << " t " << t;
      }
    }
    EXPECT_GT(episodes, 10);
  }
  // No allocation in step() with CartPole.
  VectorEnv v = VectorEnv::make(reg, "CartPole-v1", 8);
  v.reset(0);
  std::vector<std::int64_t> actions(8, 1);
  test::AllocCounter counter;
  for (int t = 0; t < 500; ++t) v.step(actions);
  counter.stop();
  EXPECT_EQ(counter.allocations(), 0);
}

}  // namespace
}  // namespace arena
