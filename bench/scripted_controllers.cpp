// The scripted controllers that ship with the Box2D games, scored over many
// seeds: LunarLander's PD heuristic (Gymnasium's control law) on both
// variants against Gymnasium's heuristic on this kind of machine (264.6 +- 41.3
// discrete, 284.5 +- 17.0 continuous over 50 seeds; goal: mean >= 200), and
// BipedalWalker's gait controller on both courses against Gymnasium's
// heuristic (return, distance walked, finishes).
//
// Usage: bench_scripted_controllers [lunar_seeds=50] [walker_seeds=1000]
#include <fmt/core.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <span>
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
  const int walker_seeds = argc > 2 ? std::atoi(argv[2]) : 1000;
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

  // Gymnasium's heuristic demo protocol: after reset, one zero action, then
  // the controller on every observation. Gymnasium's figures over 1000
  // episodes, as EnvPool's correctness test records them.
  struct WalkerCase {
    const char* id;
    const char* gymnasium;
  };
  for (const WalkerCase c :
       {WalkerCase{"BipedalWalker-v3", "102.6 +- 125.1"}, WalkerCase{"BipedalWalkerHardcore-v3", "-59.2 +- 25.2"}}) {
    auto env = registry.make(c.id);
    auto& walker = dynamic_cast<arena::BipedalWalker&>(env->unwrapped());
    arena::Array obs = env->observation_space().make_array();
    std::vector<double> returns, distances;
    int finished = 0;
    for (int seed = 0; seed < walker_seeds; ++seed) {
      env->reset(obs.view(), static_cast<std::uint64_t>(seed));
      const double x0 = walker.sim().hull().GetPosition().x;
      arena::BipedalWalkerGait gait;
      std::array<float, 4> a{0, 0, 0, 0};
      double ret = 0;
      for (;;) {
        const arena::StepResult r = env->step(std::span<const float>(a), obs.view());
        ret += r.reward;
        if (r.done()) break;
        a = gait.act(obs.span<float>());
      }
      returns.push_back(ret);
      distances.push_back(walker.sim().hull().GetPosition().x - x0);
      finished += ret > 300;
    }
    const Stats r = stats(returns), d = stats(distances);
    fmt::print(
        "{} gait, seeds 0-{}: return {:.1f} +- {:.1f} (Gymnasium's heuristic: {}), distance {:.1f} m on average, "
        "{} of {} reach the finish\n",
        c.id, walker_seeds - 1, r.mean, r.std, c.gymnasium, d.mean, finished, walker_seeds);
  }
  return 0;
}
