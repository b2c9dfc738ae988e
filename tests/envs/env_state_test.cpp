// save_state / load_state: a restored env or VectorEnv continues
// bit-identically, through wrappers; a foreign state is refused.
#include <gtest/gtest.h>

#include "envs/builtin.h"
#include "envs/core/registry.h"
#include "envs/core/vector_env.h"
#include "envs/core/wrappers.h"

namespace arena {
namespace {

const Registry& builtin() {
  static const Registry r = [] {
    Registry reg;
    register_builtin_envs(reg);
    return reg;
  }();
  return r;
}

// Random steps from the current state; returns observation bytes and rewards.
std::vector<double> run(Env& env, Array& obs, Rng& actions, int steps) {
  std::vector<double> trace;
  Array act = env.action_space().make_array();
  for (int i = 0; i < steps; ++i) {
    env.action_space().sample(actions, act.view());
    const StepResult r = env.step(act.view(), obs.view());
    for (std::size_t k = 0; k < obs.count(); ++k) trace.push_back(obs.at(k));
    trace.push_back(r.reward);
    trace.push_back(r.terminated + 2 * r.truncated);
    if (r.done()) env.reset(obs.view());
  }
  return trace;
}

class EnvState : public ::testing::TestWithParam<std::string> {};

TEST_P(EnvState, RestoredEnvContinuesBitIdentically) {
  auto make = [&] {
    return std::make_unique<NormalizeReward>(
        std::make_unique<NormalizeObservation>(std::make_unique<RecordEpisodeStatistics>(builtin().make(GetParam()))));
  };
  auto a = make();
  Array obs = a->observation_space().make_array();
  Rng actions(5);
  a->reset(obs.view(), 9);
  run(*a, obs, actions, 700);  // crosses episode ends and the time limit for most ids
  StateWriter w;
  a->save_state(w);
  const Rng actions_at_save = actions;
  const std::vector<double> expected = run(*a, obs, actions, 600);

  auto b = make();
  Array obs_b = b->observation_space().make_array();
  b->reset(obs_b.view(), 12345);  // a different episode, overwritten by the load
  StateReader r(w.data());
  b->load_state(r);
  EXPECT_TRUE(r.at_end());
  Rng actions_b = actions_at_save;
  EXPECT_EQ(run(*b, obs_b, actions_b, 600), expected);
}

INSTANTIATE_TEST_SUITE_P(Classic, EnvState,
                         ::testing::Values("CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1",
                                           "Pendulum-v1"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return p.param.substr(0, p.param.find('-'));
                         });

TEST(EnvState, ForeignStateIsRefused) {
  auto cart = builtin().make("CartPole-v1");
  auto pend = builtin().make("Pendulum-v1");
  Array obs = cart->observation_space().make_array();
  cart->reset(obs.view(), 1);
  StateWriter w;
  cart->save_state(w);
  StateReader r(w.data());
  EXPECT_THROW(pend->load_state(r), std::runtime_error);
  StateReader truncated(std::span<const std::uint8_t>(w.data().data(), w.data().size() / 2));
  auto cart2 = builtin().make("CartPole-v1");
  EXPECT_THROW(cart2->load_state(truncated), std::runtime_error);
}

TEST(EnvState, VectorEnvRestoresBuffersAndEnvs) {
  VectorEnv a = VectorEnv::make(builtin(), "CartPole-v1", 4);
  a.reset(3);
  std::vector<std::int64_t> act(4);
  Rng rng(1);
  for (int i = 0; i < 137; ++i) {
    for (auto& x : act) x = static_cast<std::int64_t>(rng.below(2));
    a.step(std::span<const std::int64_t>(act));
  }
  StateWriter w;
  a.save_state(w);
  VectorEnv b = VectorEnv::make(builtin(), "CartPole-v1", 4);
  StateReader r(w.data());
  b.load_state(r);
  for (int i = 0; i < 300; ++i) {
    for (auto& x : act) x = static_cast<std::int64_t>(rng.below(2));
    a.step(std::span<const std::int64_t>(act));
    b.step(std::span<const std::int64_t>(act));
    ASSERT_EQ(0, std::memcmp(a.observations().data, b.observations().data, 4 * 4 * sizeof(float))) << i;
    ASSERT_TRUE(std::equal(a.rewards().begin(), a.rewards().end(), b.rewards().begin()));
    ASSERT_TRUE(std::equal(a.ended().begin(), a.ended().end(), b.ended().begin()));
  }
}

}  // namespace
}  // namespace arena
