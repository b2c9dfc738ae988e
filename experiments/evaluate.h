// Episode statistics of a policy on an environment (`arena eval`).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "envs/core/env.h"
#include "envs/core/options.h"

namespace arena {

class Registry;

struct EvalResult {
  std::string env;
  int episodes = 0;
  double return_mean = 0, return_std = 0, return_min = 0, return_max = 0;
  double length_mean = 0;
};

// Writes the action for `obs` into `action`.
using Policy = std::function<void(ConstBuffer obs, Buffer action)>;

// Runs `episodes` episodes of `env` under `policy`; episode i is reset with
// seed + i. Where the env's wrappers record whole games underneath
// (find_episode_statistics: the atari preset), an episode is a whole game,
// its return and length (in frames) as recorded there: a lost life resets the
// learner's episode and play goes on. An env without a step limit (spec().max_episode_steps unset, e.g.
// the MinAtar games) has its episodes cut at kUnlimitedEpisodeCap steps, so that
// a policy that never loses (or idles forever) cannot hang an evaluation.
inline constexpr std::int64_t kUnlimitedEpisodeCap = 108'000;
EvalResult run_episodes(Env& env, const Policy& policy, int episodes, std::uint64_t seed);

// Mean, std (population), min and max of episode returns and the mean length.
EvalResult summarize_episodes(const std::string& env, const std::vector<double>& returns,
                              const std::vector<double>& lengths);

// Runs `episodes` episodes of `id` (built with `options`) under uniformly
// random actions. Episode i is reset with seed + i; actions come from an RNG
// seeded from `seed`, so the result is reproducible.
EvalResult evaluate_random(const Registry& registry, const std::string& id, const Options& options, int episodes,
                           std::uint64_t seed);

}  // namespace arena
