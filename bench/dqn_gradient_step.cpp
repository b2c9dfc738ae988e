// The cost of one DQN gradient step on the default experiment's network
// (CartPole-v1, MLP 4-256-256-2, batch 64, Adam, Huber, clipping): online
// forward and backward, target forward, optimizer step. It is ~90% of a
// 50k-step CartPole run (24,576 gradient steps), so this is the figure that
// moves the run's wall-clock. Prints milliseconds per step for each thread
// count, and the speed-up of each over one thread.
//
// Usage: bench_dqn_gradient_step [steps=4000] [max_threads=2]
#include <fmt/core.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

#include "agents/dqn.h"
#include "agents/torsos.h"
#include "envs/builtin.h"
#include "envs/core/registry.h"
#include "experiments/config.h"

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 4000;
  const int max_threads = argc > 2 ? std::atoi(argv[2]) : 2;
  arena::Registry registry;
  arena::register_builtin_envs(registry);
  const arena::ExperimentConfig config = arena::default_experiment();
  const auto env = registry.make(config.env.id, config.env.options);
  const std::int64_t batch = config.agent.batch_size;

  torch::manual_seed(0);
  arena::ReplayBatch b;
  b.obs = torch::randn({batch, 4});
  b.next_obs = torch::randn({batch, 4});
  b.actions = torch::randint(0, 2, {batch}, torch::kInt64);
  b.rewards = torch::ones({batch});
  b.discounts = torch::full({batch}, 0.99f);
  b.weights = torch::ones({batch});
  b.indices = torch::arange(batch, torch::kInt64);

  double base = 0;
  fmt::print("{:>7} {:>12} {:>9}\n", "threads", "ms / step", "speed-up");
  for (int threads = 1; threads <= max_threads; ++threads) {
    arena::set_compute_threads(threads);
    arena::DQN agent(config.agent, config.replay, env->observation_space(), env->action_space(), 1,
                     config.train.total_steps, 0);
    for (int i = 0; i < 200; ++i) agent.train_step(b);  // warm-up
    std::vector<double> rounds;
    for (int r = 0; r < 5; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < steps / 5; ++i) agent.train_step(b);
      rounds.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
                       (steps / 5));
    }
    const double best = *std::min_element(rounds.begin(), rounds.end());
    if (threads == 1) base = best;
    fmt::print("{:>7} {:>12.4f} {:>8.2f}x\n", threads, best, base / best);
  }
  return 0;
}
