// The scripted controllers that ship with the Box2D games, scored over many
// seeds: LunarLander's PD heuristic (Gymnasium's control law) on both
// variants against Gymnasium's heuristic on this kind of machine (264.6 +- 41.3
// discrete, 284.5 +- 17.0 continuous over 50 seeds; goal: mean >= 200), and
// BipedalWalker's gait controller (return, distance walked, finishes).
//
// Usage: bench_scripted_controllers [lunar_seeds=50] [walker_seeds=100]
#include <fmt/core.h>

#include <cmath>
#include <cstdlib>
#include <vector>

#include "envs/box2d/bipedal_walker.h"
#include "envs/box2d/bipedal_walker_heuristic.h"
#include "envs/box2d/lunar_lander_heuristic.h"
#include "envs/builtin.h"
#include "envs/core/registry.h"

namespace {

struct Stats {
  double mean = 0, std = 0;
};

Stats stats(const std::vector<double>& v) {
  Stats s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.std += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(s.std / static_cast<double>(v.size()));
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const int lunar_seeds = argc > 1 ? std::atoi(argv[1]) : 50;
  const int walker_seeds = argc > 2 ? std::atoi(argv[2]) : 100;
  arena::Registry registry;
  arena::register_builtin_envs(registry);

  for (const bool continuous : {false, true}) {
    auto env = registry.make(continuous ? "LunarLanderContinuous-v3" : "LunarLander-v3");
    arena::Array obs = env->observation_space().make_array();
    std::vector<double> returns;
    for (int seed = 0; seed < lunar_seeds; ++seed) {
      env->reset(obs.view(), static_cast<std::uint64_t>(seed));
      double ret = 0;
      for (;;) {
        arena::StepResult r;
        if (continuous) {
          const auto a = arena::lunar_lander_heuristic_continuous(obs.span<float>());
          r = env->step(std::span<const float>(a), obs.view());
        } else {
          r = env->step(arena::lunar_lander_heuristic_discrete(obs.span<float>()), obs.view());
        }
        ret += r.reward;
        if (r.done()) break;
      }
      returns.push_back(ret);
    }
    const Stats s = stats(returns);
    fmt::print("{} heuristic, seeds 0-{}: return {:.1f} +- {:.1f} (Gymnasium's heuristic: {}; goal >= 200)\n",
               env->spec().id, lunar_seeds - 1, s.mean, s.std, continuous ? "284.5 +- 17.0" : "264.6 +- 41.3");
  }

  auto env = registry.make("BipedalWalker-v3");
  auto& walker = dynamic_cast<arena::BipedalWalker&>(env->unwrapped());
  arena::Array obs = env->observation_space().make_array();
  std::vector<double> returns, distances;
  int finished = 0;
  for (int seed = 0; seed < walker_seeds; ++seed) {
    env->reset(obs.view(), static_cast<std::uint64_t>(seed));
    const double x0 = walker.sim().hull().GetPosition().x;
    arena::BipedalWalkerGait gait;
    double ret = 0;
    for (;;) {
      const auto a = gait.act(obs.span<float>());
      const arena::StepResult r = env->step(std::span<const float>(a), obs.view());
      ret += r.reward;
      if (r.done()) break;
    }
    returns.push_back(ret);
    distances.push_back(walker.sim().hull().GetPosition().x - x0);
    finished += ret > 300;
  }
  const Stats r = stats(returns), d = stats(distances);
  fmt::print("BipedalWalker-v3 gait, seeds 0-{}: return {:.1f} +- {:.1f}, distance {:.1f} m on average, {} of {} "
             "reach the finish\n",
             walker_seeds - 1, r.mean, r.std, d.mean, finished, walker_seeds);
  return 0;
}
