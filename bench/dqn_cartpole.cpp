// DQN on CartPole-v1 with rl-baselines3-zoo's hyperparameters (the default
// experiment), five seeds: for each 50k-step run, the greedy evaluation (20
// episodes) of the policy the run delivers (its best policy, chosen on the
// periodic evaluations, scored on held-out episodes) and of the final policy,
// and the wall-clock against Stable-Baselines3 with the same configuration on
// this kind of machine (33.6-45.2 s per run, the baseline named in the DQN issue).
//
// Usage: bench_dqn_cartpole [first_seed=0] [seeds=5] [threads=config's]
#include <fmt/core.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "envs/builtin.h"
#include "envs/core/registry.h"
#include "experiments/config.h"
#include "experiments/trainer.h"

int main(int argc, char** argv) {
  const int first = argc > 1 ? std::atoi(argv[1]) : 0;
  const int seeds = argc > 2 ? std::atoi(argv[2]) : 5;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 0;
  constexpr double kSb3Low = 33.6, kSb3High = 45.2;

  arena::Registry registry;
  arena::register_builtin_envs(registry);
  int solved = 0, final_solved = 0;
  double total_wall = 0;
  fmt::print("{:>4} {:>12} {:>13} {:>10} {:>9}\n", "seed", "best policy", "final policy", "wall (s)", "vs SB3");
  for (int s = first; s < first + seeds; ++s) {
    arena::ExperimentConfig config = arena::default_experiment();
    config.train.seed = static_cast<std::uint64_t>(s);
    if (threads > 0) config.train.threads = threads;
    arena::TrainOptions options;
    options.run_dir = std::filesystem::temp_directory_path() / fmt::format("arena_bench_dqn_cartpole_s{}", s);
    std::filesystem::remove_all(options.run_dir);
    options.quiet = true;
    const auto t0 = std::chrono::steady_clock::now();
    const arena::TrainOutcome r = arena::train(registry, config, options);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r.finished || !r.final_eval || !r.best_eval) {
      fmt::print("{:>4} failed: {}\n", s, r.error);
      continue;
    }
    total_wall += wall;
    solved += r.best_eval->return_mean >= 475.0;
    final_solved += r.final_eval->return_mean >= 475.0;
    fmt::print("{:>4} {:>12.1f} {:>13.1f} {:>10.2f} {:>4.1f}-{:.1f}x\n", s, r.best_eval->return_mean,
               r.final_eval->return_mean, wall, kSb3Low / wall, kSb3High / wall);
    std::fflush(stdout);
    std::filesystem::remove_all(options.run_dir);
  }
  const double mean_wall = total_wall / seeds;
  fmt::print("\n{}/{} seeds deliver a policy >= 475 on held-out episodes (goal: 4 of 5); {}/{} final policies "
             ">= 475; mean wall-clock {:.2f} s = {:.1f}-{:.1f}x faster than Stable-Baselines3 ({}-{} s); goal >= 5x\n",
             solved, seeds, final_solved, seeds, mean_wall, kSb3Low / mean_wall, kSb3High / mean_wall, kSb3Low, kSb3High);
  return 0;
}
