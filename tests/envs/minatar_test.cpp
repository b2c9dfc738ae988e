// The MinAtar games: random-policy statistics against MinAtar's own
// (tests/data/minatar_random_policy.txt), the rules of each game on set-up
// states, the action sets, sticky actions, options and saved states.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "envs/core/registry.h"
#include "envs/minatar/asterix.h"
#include "envs/minatar/breakout.h"
#include "envs/minatar/freeway.h"
#include "envs/minatar/minatar.h"
#include "envs/minatar/minatar_env.h"
#include "envs/minatar/seaquest.h"
#include "envs/minatar/space_invaders.h"

namespace arena {
namespace {

using namespace minatar;

const Registry& reg() {
  static const Registry r = [] {
    Registry x;
    register_minatar(x);
    return x;
  }();
  return r;
}

const std::vector<std::string> kGames = {"Asterix", "Breakout", "Freeway", "Seaquest", "SpaceInvaders"};

std::vector<std::string> all_ids() {
  std::vector<std::string> ids;
  for (const auto& g : kGames)
    for (const char* v : {"-v0", "-v1"}) ids.push_back("MinAtar/" + g + v);
  return ids;
}

template <class Game>
MinAtarEnv<Game>& as_minatar(Env& env) {
  return dynamic_cast<MinAtarEnv<Game>&>(env.unwrapped());
}

std::uint8_t cell(const Array& obs, int channels, int y, int x, int c) {
  return static_cast<const std::uint8_t*>(obs.view().data)[(y * 10 + x) * channels + c];
}

// ------------------------------------------------------------ registration

TEST(MinAtar, RegistersTenIdsWithoutStepLimit) {
  EXPECT_EQ(reg().ids().size(), 10u);
  for (const auto& id : all_ids()) {
    ASSERT_TRUE(reg().contains(id)) << id;
    const EnvSpec spec = reg().spec(id);
    EXPECT_FALSE(spec.max_episode_steps.has_value()) << id << ": MinAtar has no step limit";
    EXPECT_EQ(spec.kwargs.get_double("sticky_action_prob"), 0.1);
    EXPECT_TRUE(spec.kwargs.get_bool("difficulty_ramping"));
  }
}

TEST(MinAtar, ObservationSpacesFollowMinAtarsChannels) {
  const std::map<std::string, std::int64_t> channels = {
      {"Asterix", 4}, {"Breakout", 4}, {"Freeway", 7}, {"Seaquest", 10}, {"SpaceInvaders", 6}};
  for (const auto& [game, c] : channels) {
    for (const char* v : {"-v0", "-v1"}) {
      const EnvSpec spec = reg().spec("MinAtar/" + game + v);
      EXPECT_EQ(spec.observation_space.shape(), (std::vector<std::int64_t>{10, 10, c})) << game;
      EXPECT_EQ(spec.observation_space.dtype(), DType::UInt8);
      EXPECT_EQ(spec.observation_space.low().front(), 0);
      EXPECT_EQ(spec.observation_space.high().front(), 1);
    }
  }
}

TEST(MinAtar, V0HasAllSixActionsAndV1TheMinimalSet) {
  const std::map<std::string, std::vector<int>> minimal = {{"Asterix", {0, 1, 2, 3, 4}},
                                                           {"Breakout", {0, 1, 3}},
                                                           {"Freeway", {0, 2, 4}},
                                                           {"Seaquest", {0, 1, 2, 3, 4, 5}},
                                                           {"SpaceInvaders", {0, 1, 3, 5}}};
  const auto mapping = [](Env& env) {
    std::vector<int> out;
    for (std::int64_t a = 0; a < env.action_space().n(); ++a) {
      Env& u = env.unwrapped();
      if (auto* e = dynamic_cast<MinAtarEnv<Asterix>*>(&u)) out.push_back(e->minatar_action(a));
      if (auto* e = dynamic_cast<MinAtarEnv<Breakout>*>(&u)) out.push_back(e->minatar_action(a));
      if (auto* e = dynamic_cast<MinAtarEnv<Freeway>*>(&u)) out.push_back(e->minatar_action(a));
      if (auto* e = dynamic_cast<MinAtarEnv<Seaquest>*>(&u)) out.push_back(e->minatar_action(a));
      if (auto* e = dynamic_cast<MinAtarEnv<SpaceInvaders>*>(&u)) out.push_back(e->minatar_action(a));
    }
    return out;
  };
  for (const auto& [game, set] : minimal) {
    auto v0 = reg().make("MinAtar/" + game + "-v0");
    auto v1 = reg().make("MinAtar/" + game + "-v1");
    EXPECT_EQ(mapping(*v0), (std::vector<int>{0, 1, 2, 3, 4, 5})) << game;
    EXPECT_EQ(mapping(*v1), set) << game;
  }
}

// ------------------------------------------------------------ options

TEST(MinAtar, StickyActionProbOutsideUnitIntervalIsAnErrorNamingTheOption) {
  for (double p : {-0.1, 1.5, std::nan("")}) {
    try {
      reg().make("MinAtar/Breakout-v0", {{"sticky_action_prob", p}});
      ADD_FAILURE() << "accepted " << p;
    } catch (const OptionError& e) {
      EXPECT_NE(std::string(e.what()).find("sticky_action_prob"), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(reg().make("MinAtar/Breakout-v0", {{"sticky_action_prob", 0.0}}));
  EXPECT_NO_THROW(reg().make("MinAtar/Breakout-v0", {{"sticky_action_prob", 1}}));  // an int stands for a float
}

TEST(MinAtar, WrongOptionTypesAndUnknownOptionsAreErrors) {
  EXPECT_THROW(reg().make("MinAtar/Seaquest-v0", {{"difficulty_ramping", 0.5}}), OptionError);
  EXPECT_THROW(reg().make("MinAtar/Seaquest-v0", {{"sticky_action_prob", std::string("high")}}), OptionError);
  EXPECT_THROW(reg().make("MinAtar/Seaquest-v0", {{"ramping", true}}), OptionError);
  auto env = reg().make("MinAtar/Seaquest-v0");
  Array obs = env->observation_space().make_array();
  EXPECT_THROW(env->reset(obs.view(), 1, {{"low", 0.0}}), OptionError);
}

// ------------------------------------------------------------ sticky actions

// Requests an action other than the one executed last, every step, so that the
// executed action equals the previous one exactly when the env made it stick.
double sticky_rate(double p, int steps, int* noops = nullptr) {
  auto env = reg().make("MinAtar/Seaquest-v0", {{"sticky_action_prob", p}});
  auto& e = as_minatar<Seaquest>(*env);
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 3);
  int stuck = 0;
  for (int i = 0; i < steps; ++i) {
    const int before = e.last_action();
    const std::int64_t request = (before + 1 + i % 5) % 6;
    if (env->step(request, obs.view()).done()) env->reset(obs.view());
    if (e.last_action() == before) ++stuck;
    if (noops && e.last_action() == kNoop) ++*noops;
  }
  return static_cast<double>(stuck) / steps;
}

TEST(MinAtar, StickyActionsRepeatThePreviousActionWithTheGivenProbability) {
  constexpr int kSteps = 200000;
  for (double p : {0.1, 0.25, 0.5}) {
    const double rate = sticky_rate(p, kSteps);
    const double sd = std::sqrt(p * (1 - p) / kSteps);
    EXPECT_NEAR(rate, p, 4 * sd) << "p = " << p;
  }
  EXPECT_EQ(sticky_rate(0.0, 10000), 0.0);
  int noops = 0;
  EXPECT_EQ(sticky_rate(1.0, 10000, &noops), 1.0);
  EXPECT_EQ(noops, 10000);  // the remembered action starts as n and never changes
}

TEST(MinAtar, UnseededResetKeepsTheRememberedActionAndSeededResetForgetsIt) {
  auto env = reg().make("MinAtar/Breakout-v0", {{"sticky_action_prob", 0.0}});
  auto& e = as_minatar<Breakout>(*env);
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 1);
  EXPECT_EQ(e.last_action(), kNoop);
  env->step(std::int64_t{kRight}, obs.view());
  EXPECT_EQ(e.last_action(), kRight);
  env->reset(obs.view());
  EXPECT_EQ(e.last_action(), kRight);  // as MinAtar, whose reset() keeps it
  env->reset(obs.view(), 2);
  EXPECT_EQ(e.last_action(), kNoop);
}

// ------------------------------------------------------------ Breakout

TEST(MinAtarBreakout, StartsWithThreeRowsOfBricksAndTheBallOnRowThree) {
  Rng rng(1);
  int left = 0;
  for (int i = 0; i < 200; ++i) {
    Breakout g;
    g.reset(rng, true);
    EXPECT_EQ(g.ball_y, 3);
    EXPECT_TRUE((g.ball_x == 0 && g.ball_dir == 2) || (g.ball_x == 9 && g.ball_dir == 3));
    left += g.ball_x == 0;
    EXPECT_EQ(g.paddle, 4);
    for (int y = 0; y < 10; ++y) EXPECT_EQ(g.bricks[static_cast<std::size_t>(y)], y >= 1 && y <= 3 ? 0x3ff : 0);
  }
  EXPECT_GT(left, 70);
  EXPECT_LT(left, 130);
}

TEST(MinAtarBreakout, BrickBreaksReflectsAndPaysOnce) {
  Rng rng(1);
  Breakout g;
  g.reset(rng, true);
  g.ball_x = 4, g.ball_y = 4, g.ball_dir = 0;  // heading up-left into the brick at (3, 3)
  StepOutcome o = g.act(kNoop, rng);
  EXPECT_EQ(o.reward, 1);
  EXPECT_FALSE(g.bricks[3] >> 3 & 1);
  EXPECT_EQ(g.ball_x, 3);
  EXPECT_EQ(g.ball_y, 4);    // stays on its row
  EXPECT_EQ(g.ball_dir, 3);  // now down-left
  EXPECT_TRUE(g.strike);

  // A second brick on the very next step: no reward, the ball passes into its cell.
  g.ball_x = 4, g.ball_y = 4, g.ball_dir = 1;  // up-right into (5, 3)
  o = g.act(kNoop, rng);
  EXPECT_EQ(o.reward, 0);
  EXPECT_TRUE(g.bricks[3] >> 5 & 1);
  EXPECT_EQ(g.ball_x, 5);
  EXPECT_EQ(g.ball_y, 3);
  EXPECT_EQ(g.ball_dir, 1);
}

TEST(MinAtarBreakout, WallsAndCeilingReflect) {
  Rng rng(1);
  Breakout g;
  g.reset(rng, true);
  g.bricks = {};
  g.ball_x = 0, g.ball_y = 5, g.ball_dir = 0;  // up-left into the left wall
  g.act(kNoop, rng);
  EXPECT_EQ(g.ball_x, 0);
  EXPECT_EQ(g.ball_y, 4);
  EXPECT_EQ(g.ball_dir, 1);
  g.ball_x = 5, g.ball_y = 0, g.ball_dir = 1;  // up-right into the ceiling
  g.act(kNoop, rng);
  EXPECT_EQ(g.ball_x, 6);
  EXPECT_EQ(g.ball_y, 0);
  EXPECT_EQ(g.ball_dir, 2);
}

TEST(MinAtarBreakout, PaddleBouncesAndMissEnds) {
  Rng rng(1);
  Breakout g;
  g.reset(rng, true);
  // From straight above the paddle: back up the way it came.
  g.ball_x = 5, g.ball_y = 8, g.ball_dir = 2, g.paddle = 5;
  StepOutcome o = g.act(kNoop, rng);
  EXPECT_FALSE(o.terminal);
  EXPECT_EQ(g.ball_x, 6);
  EXPECT_EQ(g.ball_y, 8);
  EXPECT_EQ(g.ball_dir, 1);
  // Onto the paddle from the side: both directions reverse.
  g.ball_x = 5, g.ball_y = 8, g.ball_dir = 2, g.paddle = 6;
  o = g.act(kNoop, rng);
  EXPECT_FALSE(o.terminal);
  EXPECT_EQ(g.ball_x, 6);
  EXPECT_EQ(g.ball_y, 8);
  EXPECT_EQ(g.ball_dir, 0);
  // Missed.
  g.ball_x = 5, g.ball_y = 8, g.ball_dir = 2, g.paddle = 0;
  o = g.act(kNoop, rng);
  EXPECT_TRUE(o.terminal);
  EXPECT_EQ(g.ball_y, 9);
}

TEST(MinAtarBreakout, BricksReturnWhenTheBallReachesTheBottomRowOfAnEmptyField) {
  Rng rng(1);
  Breakout g;
  g.reset(rng, true);
  g.bricks = {};
  g.ball_x = 5, g.ball_y = 8, g.ball_dir = 2, g.paddle = 5;
  g.act(kNoop, rng);
  for (int y = 1; y <= 3; ++y) EXPECT_EQ(g.bricks[static_cast<std::size_t>(y)], 0x3ff);
}

TEST(MinAtarBreakout, ObservationChannels) {
  auto env = reg().make("MinAtar/Breakout-v1");
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 4);
  const Breakout& g = as_minatar<Breakout>(*env).game();
  EXPECT_EQ(cell(obs, 4, 9, 4, 0), 1);  // paddle
  EXPECT_EQ(cell(obs, 4, 3, g.ball_x, 1), 1);
  EXPECT_EQ(cell(obs, 4, 3, g.ball_x, 2), 1);  // the trail starts under the ball
  int bricks = 0;
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 10; ++x) bricks += cell(obs, 4, y, x, 3);
  EXPECT_EQ(bricks, 30);
}

// ------------------------------------------------------------ Freeway

TEST(MinAtarFreeway, CarsMoveEverySpeedPlusOneStepsAndWrap) {
  Rng rng(2);
  Freeway g;
  g.reset(rng, true);
  for (std::size_t i = 0; i < 8; ++i) g.cars[i] = {0, 0, 1};
  g.cars[0] = {9, 3, 3};    // right, moves every 4 steps, wraps to 0
  g.cars[1] = {0, 5, -5};   // left, moves every 6 steps, wraps to 9
  g.cars[2] = {5, 1, 1};    // right, every 2 steps
  std::vector<int> x0, x1, x2;
  for (int t = 0; t < 12; ++t) {
    g.act(kNoop, rng);
    x0.push_back(g.cars[0].x), x1.push_back(g.cars[1].x), x2.push_back(g.cars[2].x);
  }
  EXPECT_EQ(x0, (std::vector<int>{9, 9, 9, 0, 0, 0, 0, 1, 1, 1, 1, 2}));
  EXPECT_EQ(x1, (std::vector<int>{0, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 8}));
  EXPECT_EQ(x2, (std::vector<int>{5, 6, 6, 7, 7, 8, 8, 9, 9, 0, 0, 1}));
}

TEST(MinAtarFreeway, ChickenMovesOnceEveryThreeStepsAndScoresAtTheTop) {
  Rng rng(2);
  Freeway g;
  g.reset(rng, true);
  for (auto& c : g.cars) c = {0, 100, 1};  // parked away from column 4
  std::vector<int> rows;
  int reward = 0, step_of_reward = -1;
  for (int t = 1; t <= 40 && step_of_reward < 0; ++t) {
    reward += g.act(kUp, rng).reward;
    rows.push_back(g.pos);
    if (reward > 0) step_of_reward = t;
  }
  EXPECT_EQ((std::vector<int>(rows.begin(), rows.begin() + 10)), (std::vector<int>{9, 9, 9, 8, 8, 8, 7, 7, 7, 6}));
  EXPECT_EQ(step_of_reward, 4 + 3 * 8);  // nine moves, the first on step 4
  EXPECT_EQ(g.pos, 9);
  for (const auto& c : g.cars) EXPECT_GE(std::abs(c.speed), 1);  // redrawn speeds
  for (const auto& c : g.cars) EXPECT_LE(std::abs(c.speed), 5);
}

TEST(MinAtarFreeway, ACarSendsTheChickenBack) {
  Rng rng(2);
  Freeway g;
  g.reset(rng, true);
  for (auto& c : g.cars) c = {0, 100, 1};
  g.pos = 5;
  g.cars[4] = {3, 0, 1};  // row 5, moves into column 4 this step
  g.act(kNoop, rng);
  EXPECT_EQ(g.pos, 9);
}

TEST(MinAtarFreeway, EpisodeEndsOnStep2501AsTerminated) {
  auto env = reg().make("MinAtar/Freeway-v0");
  Array obs = env->observation_space().make_array();
  Rng actions(3);
  for (int episode = 0; episode < 3; ++episode) {
    env->reset(obs.view(), 10 + episode);
    int steps = 0;
    StepResult r;
    do {
      r = env->step(static_cast<std::int64_t>(actions.below(6)), obs.view());
      ++steps;
      EXPECT_FALSE(r.truncated);
    } while (!r.done() && steps < 5000);
    EXPECT_EQ(steps, 2501);
    EXPECT_TRUE(r.terminated);
  }
}

// ------------------------------------------------------------ Seaquest

Seaquest quiet_seaquest(Rng& rng) {
  Seaquest g;
  g.reset(rng, true);
  g.e_spawn_timer = 30000;  // nothing spawns during the test
  g.d_spawn_timer = 30000;
  return g;
}

TEST(MinAtarSeaquest, OxygenRunsOutAfter200StepsBelowTheSurface) {
  Rng rng(4);
  Seaquest g = quiet_seaquest(rng);
  g.act(kDown, rng);
  EXPECT_EQ(g.sub_y, 1);
  EXPECT_EQ(g.oxygen, 199);
  int steps = 1;
  StepOutcome o;
  while (!(o = g.act(kNoop, rng)).terminal && steps < 1000) ++steps;
  ++steps;
  EXPECT_EQ(steps, 201);  // oxygen 0 after step 200, the game ends on the next
}

TEST(MinAtarSeaquest, OxygenGaugeShowsTenthsOfTheTank) {
  auto env = reg().make("MinAtar/Seaquest-v0");
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 1);
  auto& e = as_minatar<Seaquest>(*env);
  e.game().oxygen = 59;
  e.game().diver_count = 4;
  Array o = env->observation_space().make_array();
  e.observe(static_cast<std::uint8_t*>(o.view().data));
  for (int x = 0; x < 10; ++x) {
    EXPECT_EQ(cell(o, 10, 9, x, 7), x < 2) << x;   // 59 * 10 / 200 = 2 cells
    EXPECT_EQ(cell(o, 10, 9, x, 8), x >= 5 && x < 9) << x;  // four divers
  }
}

TEST(MinAtarSeaquest, SurfacingWithoutDiversEndsTheGame) {
  Rng rng(4);
  Seaquest g = quiet_seaquest(rng);
  EXPECT_FALSE(g.act(kNoop, rng).terminal);  // starting at the surface is fine
  EXPECT_FALSE(g.act(kDown, rng).terminal);
  EXPECT_TRUE(g.act(kUp, rng).terminal);
}

TEST(MinAtarSeaquest, SurfacingWithDiversRefillsOxygenAndRamps) {
  Rng rng(4);
  Seaquest g = quiet_seaquest(rng);
  g.act(kDown, rng);
  for (int i = 0; i < 50; ++i) g.act(kNoop, rng);
  g.diver_count = 2;
  const StepOutcome o = g.act(kUp, rng);
  EXPECT_FALSE(o.terminal);
  EXPECT_EQ(o.reward, 0);
  EXPECT_EQ(g.oxygen, 200);
  EXPECT_EQ(g.diver_count, 1);
  EXPECT_EQ(g.e_spawn_speed, 19);
  EXPECT_EQ(g.move_speed, 5);  // the move interval shrinks on every second surfacing
  EXPECT_EQ(g.ramp_index, 1);
}

TEST(MinAtarSeaquest, SurfacingWithSixDiversPaysForTheOxygenLeft) {
  Rng rng(4);
  Seaquest g = quiet_seaquest(rng);
  g.act(kDown, rng);
  for (int i = 0; i < 50; ++i) g.act(kNoop, rng);  // oxygen 149
  g.diver_count = 6;
  const StepOutcome o = g.act(kUp, rng);
  EXPECT_EQ(o.reward, 149 * 10 / 200);
  EXPECT_EQ(g.diver_count, -1);  // as MinAtar counts it
}

TEST(MinAtarSeaquest, BulletsKillEnemiesAndPickingUpDivers) {
  Rng rng(4);
  Seaquest g = quiet_seaquest(rng);
  g.act(kDown, rng);  // sub at (5, 1), facing left
  g.e_fish.push({2, 1, true, 100});
  g.divers.push({7, 1, false, 0});  // moves onto (6, 1) this step
  StepOutcome o = g.act(kFire, rng);  // bullet starts at (5, 1) and moves to (4, 1)
  EXPECT_EQ(o.reward, 0);
  ASSERT_EQ(g.f_bullets.size(), 1);
  EXPECT_EQ(g.f_bullets[0].x, 4);
  g.act(kRight, rng);  // the bullet reaches (3, 1); the sub moves onto the diver at (6, 1)
  EXPECT_EQ(g.diver_count, 1);
  EXPECT_TRUE(g.divers.empty());
  o = g.act(kNoop, rng);  // the bullet reaches the fish at (2, 1)
  EXPECT_EQ(o.reward, 1);
  EXPECT_TRUE(g.e_fish.empty());
  EXPECT_TRUE(g.f_bullets.empty());
}

TEST(MinAtarSeaquest, EnemySubsShootEveryElevenSteps) {
  Rng rng(4);
  Seaquest g = quiet_seaquest(rng);
  g.e_subs.push({0, 6, true, 100, 2});
  std::vector<int> fired;
  for (int t = 1; t <= 30; ++t) {
    const int before = g.e_bullets.size();
    g.act(kNoop, rng);
    if (g.e_bullets.size() > before) fired.push_back(t);
  }
  EXPECT_EQ(fired, (std::vector<int>{3, 14, 25}));
}

// ------------------------------------------------------------ Asterix

TEST(MinAtarAsterix, SpawnsEveryTenStepsAndRampsEvery102) {
  Rng rng(5);
  Asterix g;
  g.reset(rng, true);
  int alive = 0;
  for (int t = 1; t <= 10; ++t) g.act(kNoop, rng);
  for (const auto& e : g.entities) alive += e.alive;
  EXPECT_EQ(alive, 0);
  g.act(kNoop, rng);
  alive = 0;
  for (const auto& e : g.entities) alive += e.alive;
  EXPECT_EQ(alive, 1);
  for (int t = 12; t <= 101; ++t) g.act(kNoop, rng);  // whatever happens to the player
  EXPECT_EQ(g.spawn_speed, 10);
  g.act(kNoop, rng);
  EXPECT_EQ(g.spawn_speed, 9);
  EXPECT_EQ(g.move_speed, 5);
  EXPECT_EQ(g.ramp_index, 1);

  Asterix flat;
  flat.reset(rng, false);
  for (int t = 0; t < 1000; ++t) flat.act(kNoop, rng);
  EXPECT_EQ(flat.spawn_speed, 10);
  EXPECT_EQ(flat.ramp_index, 0);
}

TEST(MinAtarAsterix, GoldPaysAndEnemiesEndTheGame) {
  Rng rng(5);
  Asterix g;
  g.reset(rng, true);
  g.entities[4] = {4, true, true, true};  // gold in row 5 at column 4, heading right
  StepOutcome o = g.act(kLeft, rng);      // the player steps onto it
  EXPECT_EQ(o.reward, 1);
  EXPECT_FALSE(g.entities[4].alive);
  g.entities[4] = {3, true, false, false};  // an enemy right next to the player
  o = g.act(kLeft, rng);
  EXPECT_TRUE(o.terminal);
}

// ------------------------------------------------------------ SpaceInvaders

TEST(MinAtarSpaceInvaders, ShotsKillAliensAndAliensShootBack) {
  Rng rng(6);
  SpaceInvaders g;
  g.reset(rng, true);
  int reward = 0, kill_step = -1;
  for (int t = 1; t <= 10; ++t) {
    reward += g.act(t == 1 ? kFire : kNoop, rng).reward;
    if (reward > 0 && kill_step < 0) kill_step = t;
  }
  EXPECT_EQ(kill_step, 6);  // the bullet rises from row 8 on step 1 to row 3 on step 6
  EXPECT_FALSE(g.aliens[3] >> 5 & 1);
  // On step 11 the lowest alien of the nearest column (5, now row 2) fires.
  g.act(kNoop, rng);
  EXPECT_TRUE(g.e_bullets[2] >> 5 & 1);
  g.act(kNoop, rng);
  EXPECT_TRUE(g.e_bullets[3] >> 5 & 1);
}

TEST(MinAtarSpaceInvaders, WaveMarchesAndTurnsAtTheEdge) {
  Rng rng(6);
  SpaceInvaders g;
  g.reset(rng, true);
  g.alien_shot_timer = 30000;
  for (int t = 0; t < 13; ++t) g.act(kNoop, rng);  // first move on step 13
  EXPECT_EQ(g.aliens[0], 0b0001111110);
  for (int t = 0; t < 12; ++t) g.act(kNoop, rng);  // one more move: the wave touches column 0
  EXPECT_EQ(g.aliens[0], 0b0000111111);
  for (int t = 0; t < 12; ++t) g.act(kNoop, rng);  // steps down and turns right
  EXPECT_EQ(g.aliens[0], 0);
  EXPECT_EQ(g.aliens[1], 0b0000111111);
  EXPECT_EQ(g.alien_dir, 1);
}

// ------------------------------------------------------------ draw and state

TEST(MinAtar, DrawShowsTheGridInMinAtarsColours) {
  const auto p = palette(4);
  EXPECT_EQ(p[0], (std::array<std::uint8_t, 3>{0, 0, 0}));
  for (int k = 1; k <= 4; ++k) EXPECT_NE(p[static_cast<std::size_t>(k)], p[static_cast<std::size_t>(k - 1)]);
  auto env = reg().make("MinAtar/Breakout-v1");
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 1);
  DrawList list;
  env->draw(list);
  EXPECT_EQ(list.width(), 400);
  ASSERT_FALSE(list.commands().empty());
  EXPECT_EQ(list.commands().front().shape, Shape::Pixels);
}

TEST(MinAtar, RestoredEnvContinuesBitIdentically) {
  for (const auto& id : all_ids()) {
    auto a = reg().make(id);
    Array obs = a->observation_space().make_array();
    Rng actions(8);
    const auto run = [&](Env& env, Array& o, Rng& act, int steps) {
      std::vector<int> trace;
      for (int i = 0; i < steps; ++i) {
        const StepResult r = env.step(static_cast<std::int64_t>(act.below(env.action_space().n())), o.view());
        const auto* b = static_cast<const std::uint8_t*>(o.view().data);
        trace.insert(trace.end(), b, b + o.count());
        trace.push_back(static_cast<int>(r.reward) * 4 + r.terminated * 2 + r.truncated);
        if (r.done()) env.reset(o.view());
      }
      return trace;
    };
    a->reset(obs.view(), 9);
    run(*a, obs, actions, 300);
    StateWriter w;
    a->save_state(w);
    Rng actions_b = actions;
    const auto expected = run(*a, obs, actions, 500);

    auto b = reg().make(id);
    Array obs_b = b->observation_space().make_array();
    b->reset(obs_b.view(), 777);
    StateReader r(w.data());
    b->load_state(r);
    EXPECT_TRUE(r.at_end()) << id;
    EXPECT_EQ(run(*b, obs_b, actions_b, 500), expected) << id;
  }
}

TEST(MinAtar, StateSavedWithOtherOptionsIsRefused) {
  auto a = reg().make("MinAtar/Asterix-v0");
  Array obs = a->observation_space().make_array();
  a->reset(obs.view(), 1);
  StateWriter w;
  a->save_state(w);
  auto b = reg().make("MinAtar/Asterix-v0", {{"sticky_action_prob", 0.0}});
  StateReader r(w.data());
  EXPECT_THROW(b->load_state(r), std::runtime_error);
  auto c = reg().make("MinAtar/Breakout-v0");
  StateReader r2(w.data());
  EXPECT_THROW(c->load_state(r2), std::runtime_error);
}

// ------------------------------------------------------------ fidelity

struct Reference {
  double return_mean = 0, return_std = 0, return_sem = 0, length_mean = 0, steps_per_s = 0;
  int episodes = 300;
};

std::map<std::string, Reference> read_reference() {
  std::ifstream in(std::string(ARENA_TEST_DATA_DIR) + "/minatar_random_policy.txt");
  EXPECT_TRUE(in.good()) << "tests/data/minatar_random_policy.txt is missing";
  std::map<std::string, Reference> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    // asterix  return 0.443 +- 0.783 (sem 0.045)  length 67.8  steps/s 274832  obs [10, 10, 4]
    std::istringstream s(line);
    std::string game, word, pm, sem_word;
    Reference r;
    s >> game >> word >> r.return_mean >> pm >> r.return_std >> sem_word >> r.return_sem;
    s.ignore(1);  // ')'
    s >> word >> r.length_mean >> word >> r.steps_per_s;
    EXPECT_FALSE(s.fail()) << line;
    out[game] = r;
  }
  return out;
}

struct Stats {
  double mean = 0, std = 0;
  int n = 0;
  double sem() const { return std / std::sqrt(n); }
};

Stats stats(const std::vector<double>& xs) {
  Stats s;
  s.n = static_cast<int>(xs.size());
  for (double x : xs) s.mean += x;
  s.mean /= s.n;
  for (double x : xs) s.std += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(s.std / (s.n - 1));
  return s;
}

class MinAtarFidelity : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(MinAtarFidelity, RandomPolicyMatchesMinAtar) {
  const auto& [game, file_key] = GetParam();
  const auto ref = read_reference();
  ASSERT_TRUE(ref.count(file_key)) << file_key;
  const Reference& r = ref.at(file_key);

  constexpr int kEpisodes = 2000;
  auto env = reg().make("MinAtar/" + game + "-v0");
  Array obs = env->observation_space().make_array();
  Rng actions(2024);
  std::vector<double> returns, lengths;
  env->reset(obs.view(), 42);
  for (int e = 0; e < kEpisodes; ++e) {
    if (e > 0) env->reset(obs.view());
    double ret = 0;
    int len = 0;
    StepResult s;
    do {
      s = env->step(static_cast<std::int64_t>(actions.below(6)), obs.view());
      ret += s.reward;
      ++len;
    } while (!s.done() && len < 1000000);
    ASSERT_TRUE(s.terminated);
    returns.push_back(ret);
    lengths.push_back(len);
  }
  const Stats ret = stats(returns), len = stats(lengths);
  const double ret_se = std::sqrt(ret.sem() * ret.sem() + r.return_sem * r.return_sem);
  // The reference gives no spread for the length: its standard error is
  // estimated from our spread over its 300 episodes.
  const double ref_len_sem = len.std / std::sqrt(r.episodes);
  const double len_se = std::sqrt(len.sem() * len.sem() + ref_len_sem * ref_len_sem);
  RecordProperty("return", std::to_string(ret.mean));
  RecordProperty("length", std::to_string(len.mean));
  std::printf("%-14s return %.3f +- %.3f (sem %.3f) vs %.3f (sem %.3f); length %.1f +- %.1f vs %.1f\n", game.c_str(),
              ret.mean, ret.std, ret.sem(), r.return_mean, r.return_sem, len.mean, len.std, r.length_mean);
  EXPECT_NEAR(ret.mean, r.return_mean, 3 * ret_se) << game << " mean return";
  if (game == "Freeway") {
    EXPECT_EQ(len.mean, 2501.0);
    EXPECT_EQ(len.std, 0.0);
  } else {
    EXPECT_NEAR(len.mean, r.length_mean, 3 * len_se) << game << " mean length";
  }
}

INSTANTIATE_TEST_SUITE_P(Games, MinAtarFidelity,
                         ::testing::Values(std::pair<std::string, std::string>{"Asterix", "asterix"},
                                           std::pair<std::string, std::string>{"Breakout", "breakout"},
                                           std::pair<std::string, std::string>{"Freeway", "freeway"},
                                           std::pair<std::string, std::string>{"Seaquest", "seaquest"},
                                           std::pair<std::string, std::string>{"SpaceInvaders", "space_invaders"}),
                         [](const auto& p) { return p.param.first; });

}  // namespace
}  // namespace arena
