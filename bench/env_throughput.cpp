// Environment throughput against Gymnasium.
//
// Prints steps/s with random actions (one thread) for every classic-control
// env, single and as VectorEnvs of 8 and 64 copies, and CartPole-v1's ratio
// against Gymnasium's CartPole-v1 through gymnasium.make on this kind of
// machine (about 100k steps/s: the baseline named in the foundation issue).
//
// Usage: bench_env_throughput [seconds per configuration, default 2]
#include <fmt/core.h>

#include <cstdlib>
#include <string>

#include "envs/builtin.h"
#include "envs/core/registry.h"
#include "experiments/throughput.h"

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  constexpr double kGymnasiumCartPole = 100e3;  // steps/s, gymnasium.make("CartPole-v1"), random actions

  arena::Registry registry;
  arena::register_builtin_envs(registry);

  fmt::print("{:<28} {:>8} {:>16}\n", "env", "num_envs", "steps/s");
  double cartpole_single = 0;
  for (const auto& id : {"CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1", "Pendulum-v1"}) {
    for (int n : {1, 8, 64}) {
      const auto r = arena::measure_throughput(registry, id, n, seconds);
      fmt::print("{:<28} {:>8} {:>16.0f}\n", id, n, r.steps_per_s);
      std::fflush(stdout);
      if (std::string(id) == "CartPole-v1" && n == 1) cartpole_single = r.steps_per_s;
    }
  }
  fmt::print("\nCartPole-v1 single env: {:.2f}M steps/s = {:.0f}x Gymnasium ({:.0f}k steps/s); goal >= 200x\n",
             cartpole_single / 1e6, cartpole_single / kGymnasiumCartPole, kGymnasiumCartPole / 1e3);
  return 0;
}
