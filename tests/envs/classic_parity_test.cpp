// Parity of the classic-control envs with Gymnasium 1.x.
//
// tests/data/classic_control.jsonl holds 25 episodes recorded from Gymnasium
// (5 per env): the internal state right after reset, then per step the action
// and what Gymnasium returned. Each episode is replayed through
// registry.make(id) (so the TimeLimit wrapper truncates as Gymnasium's does):
// reset, set the unwrapped env's state to the recorded one, replay the
// actions, and require every observation within 1e-5, identical rewards and
// identical terminated/truncated flags.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <numbers>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "envs/classic/acrobot.h"
#include "envs/classic/cartpole.h"
#include "envs/classic/classic_control.h"
#include "envs/classic/continuous_mountain_car.h"
#include "envs/classic/mountain_car.h"
#include "envs/classic/pendulum.h"
#include "envs/core/draw_list.h"
#include "envs/core/registry.h"
#include "envs/core/wrappers.h"

namespace arena {
namespace {

constexpr double kObsTolerance = 1e-5;

struct RecordedStep {
  nlohmann::json action;
  std::vector<double> obs;
  double reward = 0;
  bool terminated = false, truncated = false;
};

struct Episode {
  int line = 0;
  std::string env;
  std::int64_t seed = 0;
  std::vector<double> initial_state, initial_obs;
  std::vector<RecordedStep> steps;
};

std::vector<Episode> load_episodes() {
  std::vector<Episode> episodes;
  std::ifstream in(std::string(ARENA_TEST_DATA_DIR) + "/classic_control.jsonl");
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    if (text.empty()) continue;
    const auto j = nlohmann::json::parse(text);
    Episode e;
    e.line = line;
    e.env = j.at("env").get<std::string>();
    e.seed = j.at("seed").get<std::int64_t>();
    e.initial_state = j.at("initial_state").get<std::vector<double>>();
    e.initial_obs = j.at("initial_obs").get<std::vector<double>>();
    for (const auto& s : j.at("steps")) {
      RecordedStep step;
      step.action = s.at("action");
      step.obs = s.at("obs").get<std::vector<double>>();
      step.reward = s.at("reward").get<double>();
      step.terminated = s.at("terminated").get<bool>();
      step.truncated = s.at("truncated").get<bool>();
      e.steps.push_back(std::move(step));
    }
    episodes.push_back(std::move(e));
  }
  return episodes;
}

// How gtest names an episode in failure messages.
void PrintTo(const Episode& e, std::ostream* os) {
  *os << e.env << " seed " << e.seed << " (line " << e.line << ", " << e.steps.size() << " steps)";
}

const std::vector<Episode>& episodes() {
  static const std::vector<Episode> all = load_episodes();
  return all;
}

// Calls f with the concrete classic-control env behind `env`; false if none.
template <class F>
bool visit(Env& env, F&& f) {
  if (auto* e = dynamic_cast<CartPole*>(&env)) return f(*e), true;
  if (auto* e = dynamic_cast<MountainCar*>(&env)) return f(*e), true;
  if (auto* e = dynamic_cast<ContinuousMountainCar*>(&env)) return f(*e), true;
  if (auto* e = dynamic_cast<Acrobot*>(&env)) return f(*e), true;
  if (auto* e = dynamic_cast<Pendulum*>(&env)) return f(*e), true;
  return false;
}

std::string format(std::span<const float> v) {
  std::ostringstream s;
  s.precision(9);
  for (float x : v) s << x << ' ';
  return s.str();
}
std::string format(const std::vector<double>& v) {
  std::ostringstream s;
  s.precision(9);
  for (double x : v) s << x << ' ';
  return s.str();
}

// Index of the first element of `got` farther than the tolerance from `want`, or -1.
int first_mismatch(std::span<const float> got, const std::vector<double>& want) {
  if (got.size() != want.size()) return 0;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (!(std::abs(static_cast<double>(got[i]) - want[i]) <= kObsTolerance)) return static_cast<int>(i);
  return -1;
}

class ClassicParity : public ::testing::TestWithParam<Episode> {};

TEST_P(ClassicParity, ReplaysGymnasiumEpisode) {
  const Episode& ep = GetParam();
  SCOPED_TRACE(ep.env + " seed " + std::to_string(ep.seed) + " (line " + std::to_string(ep.line) + ")");
  Registry registry;
  register_classic_control(registry);
  std::unique_ptr<Env> env = registry.make(ep.env);
  ASSERT_NE(dynamic_cast<TimeLimit*>(env.get()), nullptr) << "registry.make should wrap a TimeLimit";

  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), static_cast<std::uint64_t>(ep.seed));
  ASSERT_TRUE(visit(env->unwrapped(), [&](auto& e) {
    e.set_state(ep.initial_state);
    e.observation(obs.view());
  })) << "the unwrapped env is not a classic-control env";
  ASSERT_EQ(first_mismatch(obs.span<float>(), ep.initial_obs), -1)
      << "observation of the initial state: got " << format(obs.span<float>()) << "want " << format(ep.initial_obs);

  const Space& action_space = env->action_space();
  Array action = action_space.make_array();
  for (std::size_t t = 0; t < ep.steps.size(); ++t) {
    const RecordedStep& want = ep.steps[t];
    if (action_space.is_discrete()) {
      action.data<std::int64_t>()[0] = want.action.get<std::int64_t>();
    } else {
      const auto values = want.action.get<std::vector<double>>();
      ASSERT_EQ(values.size(), action_space.size());
      for (std::size_t i = 0; i < values.size(); ++i) action.data<float>()[i] = static_cast<float>(values[i]);
    }
    const StepResult got = env->step(action.view(), obs.view());
    // Stop at the first difference: everything after it would differ too.
    ASSERT_EQ(first_mismatch(obs.span<float>(), want.obs), -1)
        << "step " << t << ": observation " << format(obs.span<float>()) << "want " << format(want.obs);
    ASSERT_EQ(got.reward, want.reward) << "step " << t << std::hexfloat << ": reward " << got.reward << " want "
                                       << want.reward;
    ASSERT_EQ(got.terminated, want.terminated) << "step " << t;
    ASSERT_EQ(got.truncated, want.truncated) << "step " << t;
  }
}

std::string episode_name(const ::testing::TestParamInfo<Episode>& info) {
  std::string name;
  for (char c : info.param.env) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name + "_seed" + std::to_string(info.param.seed) + "_line" + std::to_string(info.param.line);
}

INSTANTIATE_TEST_SUITE_P(Gymnasium, ClassicParity, ::testing::ValuesIn(episodes()), episode_name);

TEST(ClassicParityData, HoldsFiveEpisodesOfEachEnv) {
  std::map<std::string, int> count;
  for (const Episode& e : episodes()) ++count[e.env];
  EXPECT_EQ(episodes().size(), 25u);
  for (const char* id : {"CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1", "Pendulum-v1"})
    EXPECT_EQ(count[id], 5) << id;
}

// ------------------------------------------------- registration and spaces

TEST(ClassicControl, RegistersGymnasiumIdsLimitsAndThresholds) {
  Registry registry;
  register_classic_control(registry);
  EXPECT_EQ(registry.ids(), (std::vector<std::string>{"Acrobot-v1", "CartPole-v1", "MountainCar-v0",
                                                      "MountainCarContinuous-v0", "Pendulum-v1"}));
  const auto check = [&](const char* id, int steps, std::optional<double> threshold, double fps) {
    const EnvSpec spec = registry.spec(id);
    EXPECT_EQ(spec.id, id);
    EXPECT_EQ(spec.max_episode_steps, steps) << id;
    EXPECT_EQ(spec.reward_threshold, threshold) << id;
    EXPECT_EQ(spec.render_fps, fps) << id;
  };
  check("CartPole-v1", 500, 475.0, 50);
  check("MountainCar-v0", 200, -110.0, 30);
  check("MountainCarContinuous-v0", 999, 90.0, 30);
  check("Acrobot-v1", 500, -100.0, 15);
  check("Pendulum-v1", 200, std::nullopt, 30);
  EXPECT_EQ(registry.defaults("CartPole-v1").kwargs, (Options{{"sutton_barto_reward", false}}));
  EXPECT_EQ(registry.defaults("Pendulum-v1").kwargs, (Options{{"g", 10.0}}));
  EXPECT_EQ(registry.defaults("MountainCar-v0").kwargs, (Options{{"goal_velocity", 0.0}}));
  EXPECT_EQ(registry.defaults("MountainCarContinuous-v0").kwargs, (Options{{"goal_velocity", 0.0}}));
  EXPECT_TRUE(registry.defaults("Acrobot-v1").kwargs.empty());
}

TEST(ClassicControl, SpacesMatchGymnasium) {
  Registry registry;
  register_classic_control(registry);
  const double inf = std::numeric_limits<double>::infinity();
  const auto f32 = [](double v) { return static_cast<double>(static_cast<float>(v)); };
  const double theta2 = f32(12 * 2 * std::numbers::pi / 360 * 2);

  const EnvSpec cartpole = registry.spec("CartPole-v1");
  EXPECT_EQ(cartpole.observation_space, Space::box({4}, {-4.8, -inf, -theta2, -inf}, {4.8, inf, theta2, inf}));
  EXPECT_EQ(cartpole.observation_space.high()[0], f32(4.8));
  EXPECT_EQ(cartpole.action_space, Space::discrete(2));

  EXPECT_EQ(registry.spec("MountainCar-v0").observation_space, Space::box({2}, {-1.2, -0.07}, {0.6, 0.07}));
  EXPECT_EQ(registry.spec("MountainCar-v0").action_space, Space::discrete(3));
  EXPECT_EQ(registry.spec("MountainCarContinuous-v0").observation_space, Space::box({2}, {-1.2, -0.07}, {0.6, 0.07}));
  EXPECT_EQ(registry.spec("MountainCarContinuous-v0").action_space, Space::box({1}, -1.0, 1.0));

  const double pi = std::numbers::pi;
  EXPECT_EQ(registry.spec("Acrobot-v1").observation_space,
            Space::box({6}, {-1, -1, -1, -1, -4 * pi, -9 * pi}, {1, 1, 1, 1, 4 * pi, 9 * pi}));
  EXPECT_EQ(registry.spec("Acrobot-v1").action_space, Space::discrete(3));

  EXPECT_EQ(registry.spec("Pendulum-v1").observation_space, Space::box({3}, {-1, -1, -8}, {1, 1, 8}));
  EXPECT_EQ(registry.spec("Pendulum-v1").action_space, Space::box({1}, -2.0, 2.0));
}

// ----------------------------------------------------------- reset options

TEST(ClassicControl, ResetBoundsOptions) {
  Registry registry;
  register_classic_control(registry);
  for (const char* id : {"CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0"}) {
    SCOPED_TRACE(id);
    auto env = registry.make(id);
    Array obs = env->observation_space().make_array();
    env->reset(obs.view(), 5, Options{{"low", 0.25}, {"high", 0.25}});
    bool visited = visit(env->unwrapped(), [](auto& e) {
      // Every randomised state variable starts at 0.25 (MountainCar's velocity stays 0).
      const auto s = e.state();
      EXPECT_EQ(static_cast<float>(s[0]), 0.25f);
    });
    EXPECT_TRUE(visited);
    EXPECT_THROW(env->reset(obs.view(), 5, Options{{"low", 0.5}, {"high", 0.1}}), OptionError);
    EXPECT_THROW(env->reset(obs.view(), 5, Options{{"lo", 0.5}}), OptionError);
    EXPECT_THROW(env->reset(obs.view(), 5, Options{{"low", std::string("a")}}), OptionError);
    env->reset(obs.view(), 5, Options{{"low", -1}});  // an int is a number too
  }
  auto cartpole = registry.make("CartPole-v1");
  Array obs = cartpole->observation_space().make_array();
  cartpole->reset(obs.view(), 9);
  for (float v : obs.span<float>()) {
    EXPECT_GE(v, -0.05f);
    EXPECT_LT(v, 0.05f);
  }
}

TEST(ClassicControl, PendulumResetOptions) {
  Registry registry;
  register_classic_control(registry);
  auto env = registry.make("Pendulum-v1");
  Array obs = env->observation_space().make_array();
  for (int seed = 0; seed < 50; ++seed) {
    env->reset(obs.view(), seed, Options{{"x_init", 0.5}, {"y_init", 0.1}});
    const auto s = dynamic_cast<Pendulum&>(env->unwrapped()).state();
    EXPECT_LE(std::abs(s[0]), 0.5);
    EXPECT_LE(std::abs(s[1]), 0.1);
  }
  EXPECT_THROW(env->reset(obs.view(), 1, Options{{"low", 0.5}}), OptionError);
}

TEST(ClassicControl, AcrobotStartStateIsFloat32) {
  Registry registry;
  register_classic_control(registry);
  auto env = registry.make("Acrobot-v1");
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 11);
  for (double v : dynamic_cast<Acrobot&>(env->unwrapped()).state()) {
    EXPECT_EQ(v, static_cast<double>(static_cast<float>(v)));
    EXPECT_LE(std::abs(v), 0.1);
  }
}

TEST(ClassicControl, UnknownConstructionOptionIsRejected) {
  Registry registry;
  register_classic_control(registry);
  EXPECT_THROW(registry.make("CartPole-v1", Options{{"gravity", 9.8}}), OptionError);
  EXPECT_THROW(registry.make("Pendulum-v1", Options{{"g", std::string("high")}}), OptionError);
  EXPECT_NO_THROW(registry.make("Pendulum-v1", Options{{"g", 9.81}}));
}

// ------------------------------------------------------ Gymnasium's quirks

TEST(ClassicControl, CartPoleRewardsAfterTermination) {
  for (bool sutton_barto : {false, true}) {
    SCOPED_TRACE(sutton_barto ? "sutton_barto_reward" : "default reward");
    CartPole env(Options{{"sutton_barto_reward", sutton_barto}});
    Array obs = env.observation_space().make_array();
    env.reset(obs.view(), 0);
    const double start[4] = {0.0, 0.0, 0.2, 0.0};
    env.set_state(start);
    std::vector<StepResult> results;
    for (int i = 0; i < 20; ++i) results.push_back(env.step(std::int64_t{0}, obs.view()));  // push left: falls right
    std::size_t fell = 0;
    while (fell < results.size() && !results[fell].terminated) ++fell;
    ASSERT_LT(fell + 2, results.size());
    for (std::size_t i = 0; i < fell; ++i) EXPECT_EQ(results[i].reward, sutton_barto ? 0.0 : 1.0) << i;
    EXPECT_EQ(results[fell].reward, sutton_barto ? -1.0 : 1.0);      // the terminating step
    EXPECT_EQ(results[fell + 1].reward, sutton_barto ? -1.0 : 0.0);  // stepping on regardless
    EXPECT_TRUE(results[fell + 1].terminated);
  }
}

TEST(ClassicControl, BoxActionsAreClippedAsGymnasium) {
  // Pendulum: the torque is clipped to [-2, 2], the cost uses the clipped torque.
  Pendulum pendulum;
  Array obs = pendulum.observation_space().make_array();
  pendulum.reset(obs.view(), 0);
  const double upright[2] = {0.0, 0.0};
  pendulum.set_state(upright);
  const float big[1] = {10.0f};
  EXPECT_EQ(pendulum.step(std::span<const float>(big), obs.view()).reward, -(0.001 * 4.0));
  EXPECT_FLOAT_EQ(obs.span<float>()[2], static_cast<float>(3.0 * 2.0 * 0.05));

  // MountainCarContinuous: the force is clipped, the energy penalty is not.
  ContinuousMountainCar car;
  Array obs2 = car.observation_space().make_array();
  car.reset(obs2.view(), 0);
  const double at_rest[2] = {-0.5, 0.0};
  car.set_state(at_rest);
  const float push[1] = {3.0f};
  EXPECT_EQ(car.step(std::span<const float>(push), obs2.view()).reward, 0.0 - 9.0 * 0.1);
  const double expected_velocity = 1.0 * 0.0015 - 0.0025 * std::cos(3 * -0.5);
  EXPECT_FLOAT_EQ(obs2.span<float>()[1], static_cast<float>(expected_velocity));
}

TEST(ClassicControl, MountainCarLeftWallStopsTheCar) {
  MountainCar env;
  Array obs = env.observation_space().make_array();
  env.reset(obs.view(), 0);
  const double at_wall[2] = {-1.19, -0.05};
  env.set_state(at_wall);
  env.step(std::int64_t{0}, obs.view());
  EXPECT_EQ(env.state()[0], -1.2);
  EXPECT_EQ(env.state()[1], 0.0);
}

TEST(ClassicControl, NumpySineMatchesNumpyOnAvx512) {
  // (x, numpy.sin(x)) from numpy 1.24 on an AVX512 CPU; each differs from a
  // correctly rounded sine in the last bits.
  const double cases[][2] = {
      {-0x1.d4038644ed68ep+3, -0x1.c42c1693cb892p-1},  {0x1.bcb716405cc6cp+3, 0x1.f158e5638442bp-1},
      {0x1.51a1aaca18db0p+3, -0x1.ce3a2266117f4p-1},   {-0x1.3982fb4d220cdp+3, 0x1.74a4823f0f594p-2},
      {-0x1.75f5298fbea00p-3, -0x1.73e21146dc974p-3},  {-0x1.029b1251c3578p+1, -0x1.cd206a2d75bc6p-1},
      {0x1.e848100000000p+19, 0x1.22b9252dc614dp-3},   {-0x1.8000000000000p+1, -0x1.210386db6d55bp-3},
      {0x1.56e1fc2f8f359p-997, 0x1.56e1fc2f8f359p-997}};
  for (const auto& c : cases) EXPECT_EQ(numpy_avx512_sin(c[0]), c[1]) << std::hexfloat << c[0];
  EXPECT_TRUE(std::signbit(numpy_avx512_sin(-0.0)));
  EXPECT_TRUE(std::isnan(numpy_avx512_sin(std::numeric_limits<double>::quiet_NaN())));
  EXPECT_EQ(numpy_avx512_sin(1e30), std::sin(1e30));
}

// ---------------------------------------------------------------- drawing

TEST(ClassicControl, DrawsOnGymnasiumCanvasSizes) {
  Registry registry;
  register_classic_control(registry);
  const std::pair<const char*, std::pair<int, int>> sizes[] = {{"CartPole-v1", {600, 400}},
                                                               {"MountainCar-v0", {600, 400}},
                                                               {"MountainCarContinuous-v0", {600, 400}},
                                                               {"Acrobot-v1", {500, 500}},
                                                               {"Pendulum-v1", {500, 500}}};
  for (const auto& [id, size] : sizes) {
    auto env = registry.make(id);
    Array obs = env->observation_space().make_array();
    env->reset(obs.view(), 2);
    DrawList list;
    env->draw(list);
    EXPECT_EQ(list.width(), size.first) << id;
    EXPECT_EQ(list.height(), size.second) << id;
    EXPECT_GE(list.commands().size(), 3u) << id;
  }
}

}  // namespace
}  // namespace arena
