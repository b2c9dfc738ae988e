// Evaluation episodes: an env without a step limit cannot hang an evaluation.
#include <gtest/gtest.h>

#include <algorithm>

#include "envs/builtin.h"
#include "envs/core/presets.h"
#include "envs/core/registry.h"
#include "envs/core/wrappers.h"
#include "envs/walk_env.h"
#include "experiments/evaluate.h"

namespace arena {
namespace {

TEST(RunEpisodes, CutsEpisodesOfEnvsWithoutAStepLimit) {
  testing::WalkEnv env;  // no step limit; ends only when the walker leaves [-5, 5]
  ASSERT_FALSE(env.spec().max_episode_steps.has_value());
  // Always pushing towards the centre: the episode would never end by itself.
  const EvalResult r = run_episodes(
      env,
      [&](ConstBuffer, Buffer action) { *action.as<std::int64_t>() = env.x() < 0 ? 1 : 0; },
      2, 7);
  EXPECT_EQ(r.episodes, 2);
  EXPECT_EQ(r.length_mean, static_cast<double>(kUnlimitedEpisodeCap));

  // An episode that ends by itself is not affected.
  const EvalResult away = run_episodes(env, [](ConstBuffer, Buffer action) { *action.as<std::int64_t>() = 1; }, 3, 7);
  EXPECT_LT(away.length_mean, 100.0);
}

// Under the atari preset an evaluation episode is a whole game (all five of
// Breakout's lives), scored as the game scores it and counted in frames.
TEST(RunEpisodes, PlaysWholeGamesUnderTheAtariPreset) {
  Registry registry;
  register_builtin_envs(registry);
  auto env = make_env(registry, "Arcade/Breakout-v5", {}, "atari");
  const RecordEpisodeStatistics* games = find_episode_statistics(*env);
  ASSERT_NE(games, nullptr);
  int step = 0;
  const EvalResult r = run_episodes(
      *env, [&](ConstBuffer, Buffer action) { *action.as<std::int64_t>() = (step++ % 8) < 4 ? 1 : 3; }, 2, 5);
  EXPECT_EQ(r.episodes, 2);
  EXPECT_EQ(games->episode_count(), 2);  // two whole games, not ten lives
  EXPECT_EQ(r.return_max, std::max(games->recent_return(0), games->recent_return(1)));
  EXPECT_EQ(r.length_mean, (games->recent_length(0) + games->recent_length(1)) / 2.0);
}

}  // namespace
}  // namespace arena
