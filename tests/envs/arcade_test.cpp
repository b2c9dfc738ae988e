// The pixel games (envs/arcade/): ALE v5's interface (action sets, frameskip,
// sticky actions, frame limit, options), the games' rules, saving, and no
// allocation in step().
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "envs/alloc_counter.h"
#include "envs/arcade/breakout.h"
#include "envs/arcade/pong.h"
#include "envs/builtin.h"
#include "envs/core/draw_list.h"
#include "envs/core/game_info.h"
#include "envs/core/raster.h"
#include "envs/core/registry.h"

namespace arena {
namespace {

const Registry& builtin() {
  static const Registry registry = [] {
    Registry r;
    register_builtin_envs(r);
    return r;
  }();
  return registry;
}

int lives_of(const Env& env) {
  const GameInfo* info = game_info(env);
  return info ? info->lives() : -1;
}

std::vector<std::string> meanings(const Env& env) {
  std::vector<std::string> out;
  const GameInfo* info = game_info(env);
  if (!info) return out;
  for (auto m : info->action_meanings()) out.emplace_back(m);
  return out;
}

TEST(Arcade, MinimalActionSetsAsAle) {
  auto pong = builtin().make("Arcade/Pong-v5");
  EXPECT_EQ(meanings(*pong), (std::vector<std::string>{"NOOP", "FIRE", "RIGHT", "LEFT", "RIGHTFIRE", "LEFTFIRE"}));
  EXPECT_EQ(pong->action_space(), Space::discrete(6));
  auto breakout = builtin().make("Arcade/Breakout-v5");
  EXPECT_EQ(meanings(*breakout), (std::vector<std::string>{"NOOP", "FIRE", "RIGHT", "LEFT"}));
  EXPECT_EQ(breakout->action_space(), Space::discrete(4));
}

TEST(Arcade, FullActionSpaceInAleOrder) {
  auto env = builtin().make("Arcade/Breakout-v5", {{"full_action_space", true}});
  EXPECT_EQ(env->action_space(), Space::discrete(18));
  EXPECT_EQ(meanings(*env),
            (std::vector<std::string>{"NOOP", "FIRE", "UP", "RIGHT", "LEFT", "DOWN", "UPRIGHT", "UPLEFT", "DOWNRIGHT",
                                      "DOWNLEFT", "UPFIRE", "RIGHTFIRE", "LEFTFIRE", "DOWNFIRE", "UPRIGHTFIRE",
                                      "UPLEFTFIRE", "DOWNRIGHTFIRE", "DOWNLEFTFIRE"}));
}

TEST(Arcade, FullActionSetDrivesThePaddleLikeAle) {
  // Pong's paddle answers RIGHT (up) and LEFT (down), also combined with
  // UP/DOWN/FIRE; UP and DOWN alone do nothing (a paddle controller).
  auto moved = [](std::int64_t action) {
    auto env = builtin().make("Arcade/Pong-v5", {{"full_action_space", true}, {"repeat_action_probability", 0.0}});
    Array obs = env->observation_space().make_array();
    env->reset(obs.view(), 1);
    const double y0 = dynamic_cast<const Pong&>(env->unwrapped()).state().agent_y;
    env->step(action, obs.view());
    return dynamic_cast<const Pong&>(env->unwrapped()).state().agent_y - y0;
  };
  EXPECT_EQ(moved(0), 0);   // NOOP
  EXPECT_EQ(moved(2), 0);   // UP
  EXPECT_EQ(moved(5), 0);   // DOWN
  EXPECT_LT(moved(3), 0);   // RIGHT: up the screen
  EXPECT_GT(moved(4), 0);   // LEFT
  EXPECT_LT(moved(14), 0);  // UPRIGHTFIRE
  EXPECT_GT(moved(17), 0);  // DOWNLEFTFIRE
}

TEST(Arcade, ObservationIsTheRgbScreen) {
  for (const char* id : {"Arcade/Pong-v5", "Arcade/Breakout-v5"}) {
    const EnvSpec spec = builtin().spec(id);
    EXPECT_EQ(spec.observation_space, Space::box({210, 160, 3}, 0, 255, DType::UInt8)) << id;
    EXPECT_EQ(spec.kwargs.get_int("frameskip"), 4);
    EXPECT_EQ(spec.kwargs.get_double("repeat_action_probability"), 0.25);
    EXPECT_EQ(spec.kwargs.get_int("max_num_frames_per_episode"), 108000);
    EXPECT_FALSE(spec.kwargs.get_bool("full_action_space"));
  }
}

TEST(Arcade, OptionsAreValidated) {
  auto message = [](const Options& o) {
    try {
      builtin().make("Arcade/Pong-v5", o);
    } catch (const OptionError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({{"frameskip", 0}}).find("frameskip must be in [1, 1000000], got 0"), std::string::npos);
  EXPECT_NE(message({{"repeat_action_probability", 1.5}}).find("repeat_action_probability must be in [0, 1]"),
            std::string::npos);
  EXPECT_NE(message({{"max_num_frames_per_episode", -1}}).find("max_num_frames_per_episode must be >= 0"),
            std::string::npos);
  EXPECT_NE(message({{"frame_skip", 2}}).find("frame_skip"), std::string::npos);      // unknown key
  EXPECT_NE(message({{"frameskip", 2.5}}).find("frameskip"), std::string::npos);      // wrong type
}

TEST(Arcade, FrameskipCountsEmulatorFrames) {
  auto env = builtin().make("Arcade/Pong-v5", {{"frameskip", 3}, {"repeat_action_probability", 0.0}});
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 1);
  for (int i = 0; i < 10; ++i) env->step(0, obs.view());
  EXPECT_EQ(dynamic_cast<const ArcadeEnv&>(env->unwrapped()).episode_frame_number(), 30);
}

TEST(Arcade, FrameLimitTruncates) {
  // Breakout without FIRE never serves: only the frame limit ends it.
  auto env = builtin().make("Arcade/Breakout-v5", {{"max_num_frames_per_episode", 100}});
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 1);
  for (int i = 1; i <= 25; ++i) {
    const StepResult r = env->step(0, obs.view());
    EXPECT_EQ(r.truncated, i == 25) << i;
    EXPECT_FALSE(r.terminated);
  }
}

TEST(Arcade, StickyActionsRepeatThePreviousFrameAction) {
  // With p = 1 the first action (NOOP after reset) sticks forever.
  auto stuck = builtin().make("Arcade/Pong-v5", {{"repeat_action_probability", 1.0}});
  auto free = builtin().make("Arcade/Pong-v5", {{"repeat_action_probability", 0.0}});
  Array obs = stuck->observation_space().make_array();
  stuck->reset(obs.view(), 3);
  free->reset(obs.view(), 3);
  const double y0 = dynamic_cast<const Pong&>(stuck->unwrapped()).state().agent_y;
  for (int i = 0; i < 5; ++i) {
    stuck->step(2, obs.view());  // RIGHT: up
    free->step(2, obs.view());
  }
  EXPECT_EQ(dynamic_cast<const Pong&>(stuck->unwrapped()).state().agent_y, y0);
  EXPECT_LT(dynamic_cast<const Pong&>(free->unwrapped()).state().agent_y, y0);

  // With the default p = 0.25 about a quarter of frames keep the old action:
  // alternating LEFT and RIGHT with frameskip 1 moves the paddle less than
  // it would without stickiness, and the draws come from the env's RNG.
  auto a = builtin().make("Arcade/Pong-v5", {{"frameskip", 1}});
  auto b = builtin().make("Arcade/Pong-v5", {{"frameskip", 1}});
  a->reset(obs.view(), 5);
  b->reset(obs.view(), 6);
  int differ = 0;
  for (int i = 0; i < 200; ++i) {
    a->step(i % 2 ? 2 : 3, obs.view());
    b->step(i % 2 ? 2 : 3, obs.view());
    differ += dynamic_cast<const Pong&>(a->unwrapped()).state().agent_y !=
              dynamic_cast<const Pong&>(b->unwrapped()).state().agent_y;
  }
  EXPECT_GT(differ, 0);
}

TEST(Pong, ScoresToTwentyOne) {
  auto env = builtin().make("Arcade/Pong-v5");
  const auto& pong = dynamic_cast<const Pong&>(env->unwrapped());
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 11);
  Rng actions(2);
  double total = 0;
  int steps = 0;
  StepResult r;
  do {
    r = env->step(static_cast<std::int64_t>(actions.below(6)), obs.view());
    EXPECT_TRUE(r.reward == 0 || r.reward == 1 || r.reward == -1);
    total += r.reward;
    ++steps;
  } while (!r.done() && steps < 30000);
  EXPECT_TRUE(r.terminated);
  EXPECT_FALSE(r.truncated);
  EXPECT_EQ(std::max(pong.state().agent_score, pong.state().cpu_score), 21);
  EXPECT_EQ(total, pong.state().agent_score - pong.state().cpu_score);
  EXPECT_LT(total, -10);  // a random policy loses
}

// A paddle that follows the ball beats the computer: the game can be won.
TEST(Pong, TrackingTheBallWins) {
  auto env = builtin().make("Arcade/Pong-v5");
  const auto& pong = dynamic_cast<const Pong&>(env->unwrapped());
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 4);
  double total = 0;
  StepResult r;
  do {
    const auto& s = pong.state();
    const double target = s.serve_timer > 0 ? 110 : s.ball_y + Pong::kBallH / 2;
    const double centre = s.agent_y + Pong::kPaddleH / 2;
    r = env->step(target < centre - 2 ? 2 : (target > centre + 2 ? 3 : 0), obs.view());
    total += r.reward;
  } while (!r.done());
  EXPECT_GT(total, 0);
}

TEST(Breakout, LivesFireAndBrickPoints) {
  auto env = builtin().make("Arcade/Breakout-v5", {{"repeat_action_probability", 0.0}});
  const auto& game = dynamic_cast<const Breakout&>(env->unwrapped());
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 8);
  EXPECT_EQ(lives_of(*env), 5);
  for (int i = 0; i < 50; ++i) env->step(0, obs.view());
  EXPECT_FALSE(game.state().ball_in_play) << "the ball waits for FIRE";
  env->step(1, obs.view());
  EXPECT_TRUE(game.state().ball_in_play);
  // Parked at the left wall the paddle misses: five balls lost end the game.
  int steps = 0;
  int lives = 5;
  StepResult r;
  while (true) {
    r = env->step(game.state().ball_in_play ? 3 : 1, obs.view());
    EXPECT_LE(lives_of(*env), lives);
    lives = lives_of(*env);
    if (r.done() || ++steps > 20000) break;
  }
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(lives_of(*env), 0);
}

TEST(Breakout, RowValuesAreAtarisAndTrackingScores) {
  EXPECT_EQ((std::vector<int>(Breakout::kRowPoints, Breakout::kRowPoints + 6)), (std::vector<int>{7, 7, 4, 4, 1, 1}));
  auto env = builtin().make("Arcade/Breakout-v5");
  const auto& game = dynamic_cast<const Breakout&>(env->unwrapped());
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 2);
  double total = 0;
  StepResult r;
  do {
    const auto& s = game.state();
    std::int64_t a = 1;
    if (s.ball_in_play) {
      const double c = s.paddle_x + s.paddle_w / 2, t = s.ball_x + 1;
      a = t < c - 2 ? 3 : (t > c + 2 ? 2 : 0);
    }
    r = env->step(a, obs.view());
    EXPECT_TRUE(r.reward >= 0 && r.reward <= 4 * 7) << r.reward;  // at most a brick per frame
    total += r.reward;
  } while (!r.done());
  EXPECT_EQ(total, game.state().score);
  EXPECT_GT(total, 30);
}

TEST(Arcade, ObservationMatchesTheRasterizedDrawList) {
  for (const char* id : {"Arcade/Pong-v5", "Arcade/Breakout-v5"}) {
    auto env = builtin().make(id);
    Array obs = env->observation_space().make_array();
    env->reset(obs.view(), 5);
    for (int i = 0; i < 60; ++i) env->step(1, obs.view());
    DrawList list;
    env->draw(list);
    Image img;
    rasterize(list, ArcadeEnv::kWidth, ArcadeEnv::kHeight, img);
    ASSERT_EQ(img.rgb.size(), obs.count());
    EXPECT_TRUE(std::equal(img.rgb.begin(), img.rgb.end(), obs.data<std::uint8_t>())) << id;
  }
}

TEST(Arcade, SaveAndLoadContinueBitIdentically) {
  for (const char* id : {"Arcade/Pong-v5", "Arcade/Breakout-v5"}) {
    auto a = builtin().make(id);
    Array obs = a->observation_space().make_array(), obs2 = obs;
    a->reset(obs.view(), 9);
    Rng actions(1);
    for (int i = 0; i < 150; ++i)
      if (a->step(static_cast<std::int64_t>(actions.below(a->action_space().n())), obs.view()).done())
        a->reset(obs.view());
    StateWriter w;
    a->save_state(w);
    auto b = builtin().make(id);
    StateReader reader(w.data());
    b->load_state(reader);
    EXPECT_TRUE(reader.at_end());
    for (int i = 0; i < 200; ++i) {
      const auto act = static_cast<std::int64_t>(actions.below(a->action_space().n()));
      const StepResult ra = a->step(act, obs.view()), rb = b->step(act, obs2.view());
      ASSERT_EQ(ra.reward, rb.reward) << id << " step " << i;
      ASSERT_TRUE(obs == obs2) << id << " step " << i;
      if (ra.done()) break;
    }
  }
}

TEST(Arcade, StepDoesNotAllocate) {
  for (const char* id : {"Arcade/Pong-v5", "Arcade/Breakout-v5"}) {
    auto env = builtin().make(id);
    Array obs = env->observation_space().make_array();
    env->reset(obs.view(), 1);
    Rng actions(3);
    std::int64_t allocations = 0;
    for (int i = 0; i < 3000; ++i) {
      const auto a = static_cast<std::int64_t>(actions.below(env->action_space().n()));
      test::AllocCounter counter;
      const StepResult r = env->step(a, obs.view());
      counter.stop();
      allocations += counter.allocations();
      if (r.done()) env->reset(obs.view());
    }
    EXPECT_EQ(allocations, 0) << id;
  }
}

}  // namespace
}  // namespace arena
