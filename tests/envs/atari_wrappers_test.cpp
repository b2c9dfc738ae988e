// The Nature-DQN preprocessing wrappers (envs/core/atari_wrappers.h) and the
// "atari" preset, on a scripted test env and on the arcade games.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <functional>
#include <string_view>
#include <vector>

#include "envs/alloc_counter.h"
#include "envs/builtin.h"
#include "envs/core/atari_wrappers.h"
#include "envs/core/draw_list.h"
#include "envs/core/presets.h"
#include "envs/core/registry.h"
#include "envs/core/wrappers.h"

namespace arena {
namespace {

// A scripted game: uint8 observations of a given shape whose element k at
// step t (steps since reset, 0 at reset) is frame(t, k); reward(t) per step;
// lives(t) lives; terminated at step end_at. Records every action and reset.
class ScriptEnv : public Env, public GameInfo {
 public:
  explicit ScriptEnv(std::vector<std::int64_t> shape = {2}, bool has_fire = true) : has_fire_(has_fire) {
    spec_.id = "Script-v0";
    spec_.observation_space = Space::box(std::move(shape), 0, 255, DType::UInt8);
    spec_.action_space = Space::discrete(4);
  }
  std::function<std::uint8_t(int step, std::size_t k)> frame = [](int step, std::size_t) { return std::uint8_t(step); };
  std::function<double(int step)> reward = [](int) { return 1.0; };
  std::function<int(int step)> lives_at = [](int) { return 0; };
  int end_at = 1 << 30;

  int t = 0, resets = 0;
  std::vector<std::int64_t> actions;  // reserved, so step() does not allocate in the allocation test

  int lives() const override { return lives_at(t); }
  std::span<const std::string_view> action_meanings() const override {
    return has_fire_ ? std::span<const std::string_view>(kWithFire) : std::span<const std::string_view>(kNoFire);
  }
  void draw(DrawList& out) const override { out.clear(4, 4, Color::rgb(0, 0, 0)); }

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t>, const Options&) override {
    t = 0;
    ++resets;
    write(out);
  }
  StepResult do_step(ActionView action, ObsBuffer out) override {
    if (actions.size() < actions.capacity()) actions.push_back(*action.as<std::int64_t>());
    ++t;
    write(out);
    return {reward(t), t >= end_at, false};
  }
  void do_save_state(StateWriter& out) const override { out.pod(t); }
  void do_load_state(StateReader& in) override { in.pod(t); }

 private:
  void write(ObsBuffer out) const {
    auto* o = out.as<std::uint8_t>();
    for (std::size_t k = 0; k < out.count; ++k) o[k] = frame(t, k);
  }
  static constexpr std::array<std::string_view, 4> kWithFire = {"NOOP", "FIRE", "RIGHT", "LEFT"};
  static constexpr std::array<std::string_view, 4> kNoFire = {"NOOP", "UP", "RIGHT", "LEFT"};
  bool has_fire_;
};

std::pair<std::unique_ptr<Env>, ScriptEnv*> script(std::vector<std::int64_t> shape = {2}, bool has_fire = true) {
  auto env = std::make_unique<ScriptEnv>(std::move(shape), has_fire);
  ScriptEnv* raw = env.get();
  raw->actions.reserve(1 << 16);
  return {std::move(env), raw};
}

std::vector<int> values(const Array& a) {
  std::vector<int> v;
  for (std::size_t i = 0; i < a.count(); ++i) v.push_back(static_cast<int>(a.at(i)));
  return v;
}

// ------------------------------------------------------------------ resize

TEST(ResizeObservation, AreaTapsAsCv2) {
  // 5 -> 2: each output covers 2.5 inputs.
  const auto taps = ResizeObservation::area_taps(5, 2);
  ASSERT_EQ(taps.size(), 6u);
  EXPECT_EQ(taps[0].out, 0); EXPECT_EQ(taps[0].in, 0); EXPECT_FLOAT_EQ(taps[0].weight, 0.4f);
  EXPECT_EQ(taps[2].in, 2); EXPECT_FLOAT_EQ(taps[2].weight, 0.2f);
  EXPECT_EQ(taps[3].in, 2); EXPECT_EQ(taps[3].out, 1); EXPECT_FLOAT_EQ(taps[3].weight, 0.2f);
  // Every output's weights sum to 1, also for 210 -> 84 and 160 -> 84.
  for (auto [in, out] : {std::pair{210, 84}, std::pair{160, 84}, std::pair{5, 2}}) {
    std::vector<double> sum(static_cast<std::size_t>(out), 0.0);
    for (const auto& t : ResizeObservation::area_taps(in, out)) sum[static_cast<std::size_t>(t.out)] += t.weight;
    for (double s : sum) EXPECT_NEAR(s, 1.0, 1e-5);
  }
  EXPECT_THROW(ResizeObservation::area_taps(4, 8), std::invalid_argument);  // area resizing only shrinks
}

TEST(ResizeObservation, HandComputedAreaAverages) {
  // 3x3 -> 2x2: output (0, 0) covers rows/cols 0 (2/3) and 1 (1/3), and so on.
  //   [  0  30  60 ]        [ 4/9*0 + 2/9*30 + 2/9*90 + 1/9*120 = 40,  80 ]
  //   [ 90 120 150 ]   ->   [ 160, 200 ]
  //   [180 210 240 ]
  auto [inner, raw] = script({3, 3});
  raw->frame = [](int, std::size_t k) { return static_cast<std::uint8_t>(30 * k); };
  ResizeObservation env(std::move(inner), 2, 2);
  EXPECT_EQ(env.observation_space(), Space::box({2, 2}, 0, 255, DType::UInt8));
  Array obs = env.observation_space().make_array();
  env.reset(obs.view(), 0);
  EXPECT_EQ(values(obs), (std::vector<int>{40, 80, 160, 200}));

  // One row of 5 -> 2: (0.4*10 + 0.4*20 + 0.2*30, 0.2*30 + 0.4*40 + 0.4*50) = (18, 42).
  auto [row, raw_row] = script({1, 5});
  raw_row->frame = [](int, std::size_t k) { return static_cast<std::uint8_t>(10 * (k + 1)); };
  ResizeObservation narrow(std::move(row), 1, 2);
  Array o2 = narrow.observation_space().make_array();
  narrow.reset(o2.view(), 0);
  EXPECT_EQ(values(o2), (std::vector<int>{18, 42}));

  // Rounding to nearest: a 2 -> 1 average of 1 and 2 is 1.5 -> 2 (ties to even), of 2 and 3 is 2.5 -> 2.
  auto [pair, raw_pair] = script({1, 4});
  raw_pair->frame = [](int, std::size_t k) { return static_cast<std::uint8_t>(k + 1 - (k >= 2)); };  // 1 2 2 3
  ResizeObservation halves(std::move(pair), 1, 2);
  Array o3 = halves.observation_space().make_array();
  halves.reset(o3.view(), 0);
  EXPECT_EQ(values(o3), (std::vector<int>{2, 2}));
}

TEST(ResizeObservation, ColourChannelsStaySeparateAndFlatImagesStayFlat) {
  auto [inner, raw] = script({210, 160, 3});
  raw->frame = [](int, std::size_t k) { return static_cast<std::uint8_t>(k % 3 == 0 ? 77 : (k % 3 == 1 ? 0 : 255)); };
  ResizeObservation env(std::move(inner), 84, 84);
  EXPECT_EQ(env.observation_space(), Space::box({84, 84, 3}, 0, 255, DType::UInt8));
  Array obs = env.observation_space().make_array();
  env.reset(obs.view(), 0);
  for (std::size_t k = 0; k < obs.count(); ++k)
    ASSERT_EQ(obs.at(k), k % 3 == 0 ? 77 : (k % 3 == 1 ? 0 : 255)) << k;
}

// --------------------------------------------------------------- grayscale

TEST(GrayscaleObservation, Cv2Luma) {
  auto [inner, raw] = script({1, 4, 3});
  static constexpr std::uint8_t kRgb[12] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 200, 100, 50};
  raw->frame = [](int, std::size_t k) { return kRgb[k]; };
  GrayscaleObservation env(std::move(inner));
  EXPECT_EQ(env.observation_space(), Space::box({1, 4}, 0, 255, DType::UInt8));
  Array obs = env.observation_space().make_array();
  env.reset(obs.view(), 0);
  // cv2.cvtColor(..., COLOR_RGB2GRAY): red 76, green 150, blue 29; (200, 100, 50) -> 124.
  EXPECT_EQ(values(obs), (std::vector<int>{76, 150, 29, 124}));
  EXPECT_THROW(GrayscaleObservation(script({4, 4}).first), std::invalid_argument);
}

// ------------------------------------------------------------- max + skip

TEST(MaxAndSkip, SumsRewardsAndMaxPoolsTheLastTwoFrames) {
  auto [inner, raw] = script({2});
  // Element 0 rises (10 t), element 1 falls (200 - 10 t): the max of frames
  // t-1 and t is (10 t, 200 - 10 (t - 1)).
  raw->frame = [](int t, std::size_t k) { return static_cast<std::uint8_t>(k == 0 ? 10 * t : 200 - 10 * t); };
  raw->reward = [](int t) { return static_cast<double>(t); };
  MaxAndSkip env(std::move(inner), 4);
  Array obs = env.observation_space().make_array();
  env.reset(obs.view(), 0);
  EXPECT_EQ(values(obs), (std::vector<int>{0, 200}));
  StepResult r = env.step(2, obs.view());
  EXPECT_EQ(raw->t, 4);
  EXPECT_EQ(r.reward, 1 + 2 + 3 + 4);
  EXPECT_EQ(values(obs), (std::vector<int>{40, 170}));
  r = env.step(2, obs.view());
  EXPECT_EQ(raw->t, 8);
  EXPECT_EQ(r.reward, 5 + 6 + 7 + 8);
  EXPECT_EQ(values(obs), (std::vector<int>{80, 130}));
  EXPECT_EQ(raw->actions, (std::vector<std::int64_t>(8, 2)));
}

TEST(MaxAndSkip, StopsAtTheEndOfTheEpisode) {
  auto [inner, raw] = script({2});
  raw->frame = [](int t, std::size_t k) { return static_cast<std::uint8_t>(k == 0 ? 10 * t : 200 - 10 * t); };
  raw->end_at = 6;
  MaxAndSkip env(std::move(inner), 4);
  Array obs = env.observation_space().make_array();
  env.reset(obs.view(), 0);
  env.step(0, obs.view());
  const StepResult r = env.step(0, obs.view());  // frames 5 and 6, then the end
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, 2);
  EXPECT_EQ(raw->t, 6);
  EXPECT_EQ(values(obs), (std::vector<int>{60, 150}));
  // An episode that ends on the first frame of a step returns that frame alone.
  raw->end_at = 5;
  env.reset(obs.view(), 0);
  env.step(0, obs.view());
  EXPECT_TRUE(env.step(0, obs.view()).terminated);
  EXPECT_EQ(values(obs), (std::vector<int>{50, 150}));
}

// -------------------------------------------------------------- noop reset

TEST(NoopReset, TakesOneToNoopMaxNoops) {
  auto [inner, raw] = script({2});
  NoopReset env(std::move(inner), 30);
  Array obs = env.observation_space().make_array();
  std::vector<int> seen(31, 0);
  env.reset(obs.view(), 42);
  for (int i = 0; i < 3000; ++i) {
    if (i) env.reset(obs.view());
    const int n = env.last_noops();
    ASSERT_GE(n, 1);
    ASSERT_LE(n, 30);
    EXPECT_EQ(raw->t, n);  // the noops are steps of the inner env
    ++seen[static_cast<std::size_t>(n)];
  }
  for (int n = 1; n <= 30; ++n) EXPECT_GT(seen[static_cast<std::size_t>(n)], 40) << n;  // uniform: ~100 each
  EXPECT_TRUE(std::all_of(raw->actions.begin(), raw->actions.end(), [](std::int64_t a) { return a == 0; }));
  // Seeded resets replay the same count.
  env.reset(obs.view(), 7);
  const int first = env.last_noops();
  env.reset(obs.view());
  env.reset(obs.view(), 7);
  EXPECT_EQ(env.last_noops(), first);
}

TEST(NoopReset, ResetsAgainWhenTheNoopsEndTheEpisode) {
  auto [inner, raw] = script({2});
  raw->end_at = 1;
  NoopReset env(std::move(inner), 30);
  Array obs = env.observation_space().make_array();
  env.reset(obs.view(), 1);
  EXPECT_EQ(raw->resets, 1 + env.last_noops());
  EXPECT_EQ(raw->t, 0);
}

// ------------------------------------------------------------ episodic life

TEST(EpisodicLife, LifeLossEndsTheEpisodeButNotTheGame) {
  auto [inner, raw] = script({2});
  raw->lives_at = [](int t) { return t < 3 ? 3 : (t < 5 ? 2 : (t < 9 ? 1 : 0)); };
  raw->end_at = 9;  // game over with the last life
  EpisodicLife env(std::move(inner));
  Array obs = env.observation_space().make_array();
  env.reset(obs.view(), 0);
  EXPECT_FALSE(env.step(0, obs.view()).terminated);  // t = 1
  EXPECT_FALSE(env.step(0, obs.view()).terminated);  // t = 2
  EXPECT_TRUE(env.step(0, obs.view()).terminated);   // t = 3: a life lost
  EXPECT_FALSE(env.was_real_done());
  env.reset(obs.view());  // continues the game with one NOOP step
  EXPECT_EQ(raw->resets, 1);
  EXPECT_EQ(raw->t, 4);
  EXPECT_TRUE(env.step(0, obs.view()).terminated);   // t = 5: another life
  env.reset(obs.view());
  EXPECT_EQ(raw->t, 6);
  EXPECT_FALSE(env.step(0, obs.view()).terminated);  // t = 7
  EXPECT_FALSE(env.step(0, obs.view()).terminated);  // t = 8
  const StepResult r = env.step(0, obs.view());      // t = 9: game over
  EXPECT_TRUE(r.terminated);
  EXPECT_TRUE(env.was_real_done());
  env.reset(obs.view());  // a real reset now
  EXPECT_EQ(raw->resets, 2);
  EXPECT_EQ(raw->t, 0);
  // A reset with a seed always resets the game.
  env.step(0, obs.view());
  env.step(0, obs.view());
  env.step(0, obs.view());  // life lost at t = 3
  env.reset(obs.view(), 5);
  EXPECT_EQ(raw->resets, 3);
}

TEST(EpisodicLife, NeedsGameInfo) {
  class Plain : public Env {
   public:
    Plain() { spec_.observation_space = Space::box({1}, 0, 1); }
    void draw(DrawList&) const override {}
   protected:
    void do_reset(ObsBuffer, std::optional<std::uint64_t>, const Options&) override {}
    StepResult do_step(ActionView, ObsBuffer) override { return {}; }
  };
  EXPECT_THROW(EpisodicLife(std::make_unique<Plain>()), std::invalid_argument);
}

// --------------------------------------------------------------- fire reset

TEST(FireReset, FiresThenTakesActionTwo) {
  auto [inner, raw] = script({2});
  FireReset env(std::move(inner));
  Array obs = env.observation_space().make_array();
  env.reset(obs.view(), 0);
  EXPECT_EQ(raw->actions, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(raw->t, 2);
  EXPECT_THROW(FireReset(script({2}, /*has_fire=*/false).first), std::invalid_argument);
}

// ------------------------------------------------------------- clip reward

TEST(ClipReward, KeepsTheSign) {
  auto [inner, raw] = script({2});
  raw->reward = [](int t) { return t == 1 ? 7.0 : (t == 2 ? -0.25 : 0.0); };
  ClipReward env(std::move(inner));
  Array obs = env.observation_space().make_array();
  env.reset(obs.view(), 0);
  EXPECT_EQ(env.step(0, obs.view()).reward, 1.0);
  EXPECT_EQ(env.step(0, obs.view()).reward, -1.0);
  EXPECT_EQ(env.step(0, obs.view()).reward, 0.0);
}

// ------------------------------------------------------------------ preset

int lives_of(const Env& env) {
  const GameInfo* info = game_info(env);
  return info ? info->lives() : -1;
}

const Registry& builtin() {
  static const Registry registry = [] {
    Registry r;
    register_builtin_envs(r);
    return r;
  }();
  return registry;
}

TEST(AtariPreset, GivesFourStackedGreyFramesOf84x84) {
  for (const char* id : {"Arcade/Pong-v5", "Arcade/Breakout-v5"}) {
    auto env = make_env(builtin(), id, {}, "atari");
    EXPECT_EQ(env->observation_space(), Space::box({4, 84, 84}, 0, 255, DType::UInt8)) << id;
    EXPECT_EQ(env->spec().kwargs.get_int("frameskip"), 1) << "the preset skips frames itself";
    Array obs = env->observation_space().make_array();
    env->reset(obs.view(), 3);
    for (int i = 0; i < 200; ++i) {
      const StepResult r = env->step(static_cast<std::int64_t>(i % env->action_space().n()), obs.view());
      EXPECT_TRUE(r.reward == 0 || r.reward == 1 || r.reward == -1);
      if (r.done()) env->reset(obs.view());
    }
  }
  EXPECT_THROW(make_env(builtin(), "Arcade/Pong-v5", {{"frameskip", 4}}, "atari"), OptionError);
  EXPECT_NO_THROW(make_env(builtin(), "Arcade/Pong-v5", {{"frameskip", 1}}, "atari"));
  EXPECT_THROW(make_env(builtin(), "Arcade/Pong-v5", {}, "nature"), std::invalid_argument);
  EXPECT_EQ(make_env(builtin(), "CartPole-v1", {}, "")->observation_space(),
            builtin().spec("CartPole-v1").observation_space);
}

TEST(AtariPreset, BreakoutEpisodesEndAtEachLostLife) {
  auto env = make_env(builtin(), "Arcade/Breakout-v5", {}, "atari");
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 1);
  int episodes = 0, steps = 0;
  while (episodes < 5 && steps < 20000) {
    ++steps;
    if (env->step(3, obs.view()).done()) {  // LEFT only: the paddle misses
      ++episodes;
      EXPECT_EQ(lives_of(*env), 5 - episodes);
      env->reset(obs.view());  // fires the next ball
    }
  }
  EXPECT_EQ(episodes, 5);
  EXPECT_EQ(lives_of(*env), 5) << "the fifth loss was game over: a real reset";
}

// The preset keeps whole-game statistics under its episodic life and reward
// clipping: the learner's episodes are lives, the recorded ones whole games.
TEST(AtariPreset, RecordsWholeGamesUnderTheLearnersLives) {
  auto env = make_env(builtin(), "Arcade/Breakout-v5", {}, "atari");
  const RecordEpisodeStatistics* games = find_episode_statistics(*env);
  ASSERT_NE(games, nullptr);
  EXPECT_EQ(find_episode_statistics(*builtin().make("CartPole-v1")), nullptr);
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 1);
  int lives_ended = 0;
  for (int steps = 0; steps < 20000 && games->episode_count() == 0; ++steps) {
    if (env->step(3, obs.view()).done()) {  // LEFT only: the paddle misses
      ++lives_ended;
      if (games->episode_count() == 0) {
        EXPECT_GT(lives_of(*env), 0);
      }
      env->reset(obs.view());
    }
  }
  EXPECT_EQ(lives_ended, 5);
  EXPECT_EQ(games->episode_count(), 1);
  EXPECT_GT(games->last_length(), 5 * 4);  // emulator frames (the learner's steps skip 4)
}

TEST(AtariPreset, SaveLoadContinuesBitIdentically) {
  auto a = make_env(builtin(), "Arcade/Breakout-v5", {}, "atari");
  Array obs = a->observation_space().make_array(), obs2 = obs;
  a->reset(obs.view(), 4);
  for (int i = 0; i < 100; ++i)
    if (a->step(static_cast<std::int64_t>(i % 4), obs.view()).done()) a->reset(obs.view());
  StateWriter w;
  a->save_state(w);
  auto b = make_env(builtin(), "Arcade/Breakout-v5", {}, "atari");
  StateReader r(w.data());
  b->load_state(r);
  EXPECT_TRUE(r.at_end());
  for (int i = 0; i < 300; ++i) {
    const auto act = static_cast<std::int64_t>((i * 7) % 4);
    const StepResult ra = a->step(act, obs.view()), rb = b->step(act, obs2.view());
    ASSERT_EQ(ra.reward, rb.reward);
    ASSERT_EQ(ra.done(), rb.done());
    ASSERT_TRUE(obs == obs2) << i;
    if (ra.done()) {
      a->reset(obs.view());
      b->reset(obs2.view());
      ASSERT_TRUE(obs == obs2);
    }
  }
}

TEST(AtariPreset, StepDoesNotAllocate) {
  auto env = make_env(builtin(), "Arcade/Pong-v5", {}, "atari");
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 2);
  std::int64_t allocations = 0;
  for (int i = 0; i < 2000; ++i) {
    test::AllocCounter counter;
    const StepResult r = env->step(static_cast<std::int64_t>(i % 6), obs.view());
    counter.stop();
    allocations += counter.allocations();
    if (r.done()) env->reset(obs.view());
  }
  EXPECT_EQ(allocations, 0);
}

}  // namespace
}  // namespace arena
