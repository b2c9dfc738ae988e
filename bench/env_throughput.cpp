// Environment throughput against Gymnasium.
//
// Steps/s with random actions on one thread, through the registry (TimeLimit
// included), for every registered environment: single env, and VectorEnvs of
// 8 and 64 copies. Where the issue that introduced an environment named a
// Gymnasium figure measured on this kind of machine, the ratio against it is
// printed with the goal.
//
// Usage: bench_env_throughput [seconds per configuration, default 2] [ID...]
#include <fmt/core.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "envs/builtin.h"
#include "envs/core/registry.h"
#include "experiments/throughput.h"

namespace {

struct Baseline {
  double gymnasium_steps_per_s;  // gymnasium.make(id), random actions, this kind of machine
  double goal_ratio;
};

const std::map<std::string, Baseline> kBaselines = {
    {"CartPole-v1", {100e3, 200}},         // foundation issue: >= 20M steps/s on one core
    {"LunarLander-v3", {34e3, 10}},        // Box2D issue
    {"BipedalWalker-v3", {5.4e3, 10}},     // Box2D issue
    {"CarRacing-v3", {154, 50}},           // Box2D issue
};

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  arena::Registry registry;
  arena::register_builtin_envs(registry);
  std::vector<std::string> ids;
  for (int i = 2; i < argc; ++i) ids.emplace_back(argv[i]);
  if (ids.empty()) ids = registry.ids();

  fmt::print("{:<28} {:>8} {:>14} {:>12}\n", "env", "num_envs", "steps/s", "vs Gymnasium");
  std::vector<std::string> summary;
  for (const auto& id : ids) {
    for (int n : {1, 8, 64}) {
      const auto r = arena::measure_throughput(registry, id, n, seconds);
      auto b = kBaselines.find(id);
      std::string ratio = b == kBaselines.end() ? "" : fmt::format("{:.1f}x", r.steps_per_s / b->second.gymnasium_steps_per_s);
      fmt::print("{:<28} {:>8} {:>14.0f} {:>12}\n", id, n, r.steps_per_s, ratio);
      std::fflush(stdout);
      if (n == 1 && b != kBaselines.end())
        summary.push_back(fmt::format("{}: {:.0f} steps/s single env = {:.1f}x Gymnasium ({:.0f} steps/s); goal >= {:.0f}x",
                                      id, r.steps_per_s, r.steps_per_s / b->second.gymnasium_steps_per_s,
                                      b->second.gymnasium_steps_per_s, b->second.goal_ratio));
    }
  }
  fmt::print("\n");
  for (const auto& line : summary) fmt::print("{}\n", line);
  return 0;
}
