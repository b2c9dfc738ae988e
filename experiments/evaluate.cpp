#include "experiments/evaluate.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "envs/core/registry.h"
#include "envs/core/wrappers.h"

namespace arena {

EvalResult run_episodes(Env& env, const Policy& policy, int episodes, std::uint64_t seed) {
  if (episodes <= 0) throw std::invalid_argument("episodes must be positive, got " + std::to_string(episodes));
  Array obs = env.observation_space().make_array();
  Array act = env.action_space().make_array();
  std::vector<double> returns, lengths;
  const std::int64_t cap = env.spec().max_episode_steps ? *env.spec().max_episode_steps : kUnlimitedEpisodeCap;
  // Whole games where the stack records them under the learner's episodes
  // (the atari preset: a lost life ends the learner's episode, not the game).
  const RecordEpisodeStatistics* games = find_episode_statistics(env);
  for (int ep = 0; ep < episodes; ++ep) {
    env.reset(obs.view(), seed + static_cast<std::uint64_t>(ep));
    const std::int64_t games_before = games ? games->episode_count() : 0;
    double ret = 0;
    std::int64_t len = 0;
    for (;;) {
      policy(obs.view(), act.view());
      const StepResult r = env.step(act.view(), obs.view());
      ret += r.reward;
      ++len;
      if (games != nullptr && games->episode_count() > games_before) {  // the game is over
        ret = games->last_return();
        len = games->last_length();
        break;
      }
      if (len >= cap) break;
      if (r.done()) {
        if (games == nullptr) break;
        env.reset(obs.view());  // a life lost: the game goes on
      }
    }
    returns.push_back(ret);
    lengths.push_back(static_cast<double>(len));
  }
  return summarize_episodes(env.spec().id, returns, lengths);
}

EvalResult evaluate_random(const Registry& registry, const std::string& id, const Options& options, int episodes,
                           std::uint64_t seed) {
  auto env = registry.make(id, options);
  Rng action_rng(seed ^ 0x5DEECE66DULL);
  const Space& actions = env->action_space();
  return run_episodes(*env, [&](ConstBuffer, Buffer action) { actions.sample(action_rng, action); }, episodes, seed);
}

EvalResult summarize_episodes(const std::string& env, const std::vector<double>& returns,
                              const std::vector<double>& lengths) {
  if (returns.empty()) throw std::invalid_argument("no episodes to summarize");
  const int episodes = static_cast<int>(returns.size());
  EvalResult out;
  out.env = env;
  out.episodes = episodes;
  double sum = 0, sq = 0, lsum = 0;
  for (double r : returns) sum += r;
  out.return_mean = sum / episodes;
  for (double r : returns) sq += (r - out.return_mean) * (r - out.return_mean);
  out.return_std = std::sqrt(sq / episodes);  // population std, as numpy's default
  out.return_min = *std::min_element(returns.begin(), returns.end());
  out.return_max = *std::max_element(returns.begin(), returns.end());
  for (double l : lengths) lsum += l;
  out.length_mean = lsum / episodes;
  return out;
}

}  // namespace arena
