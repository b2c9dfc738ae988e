// Evaluation episodes: an env without a step limit cannot hang an evaluation.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace arena
