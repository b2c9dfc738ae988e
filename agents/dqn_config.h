// Configuration of the DQN family ([agent] table of an experiment file).
// Names and defaults follow Stable-Baselines3's DQN where it has the option.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace arena {

struct DQNConfig {
  // Network
  std::string torso = "mlp";                  // mlp | nature_cnn (84x84x4) | minatar_cnn (10x10xC)
  std::vector<std::int64_t> hidden = {64, 64};  // MLP widths (mlp), or the FC width after a CNN (first entry)
  bool dueling = false;                       // value and advantage streams
  // Learning
  double gamma = 0.99;
  double learning_rate = 1e-4;
  // constant | linear: SB3's linear schedule (rl-baselines3-zoo's "lin_<lr>"),
  // learning_rate * (1 - progress), set at the start of each train.
  std::string learning_rate_schedule = "constant";
  std::string optimizer = "adam";             // adam | rmsprop
  double adam_eps = 1e-8;
  double rmsprop_alpha = 0.99;
  double rmsprop_eps = 1e-8;
  bool rmsprop_centered = false;
  std::string loss = "huber";                 // huber (smooth L1, delta 1) | mse
  double max_grad_norm = 10.0;                // 0 disables gradient-norm clipping
  bool double_q = false;                      // Double DQN targets
  std::int64_t batch_size = 32;
  // Schedule (in environment steps, counted over all vector envs)
  std::int64_t learning_starts = 100;
  std::int64_t train_freq = 4;                // update every train_freq env steps
  std::int64_t gradient_steps = 1;            // per update; -1 = as many as env steps collected
  std::int64_t target_update_interval = 10'000;
  double tau = 1.0;                           // 1 = hard copy, < 1 = Polyak averaging
  // Linear epsilon schedule over exploration_fraction of the run
  double exploration_initial_eps = 1.0;
  double exploration_final_eps = 0.05;
  double exploration_fraction = 0.1;
};

}  // namespace arena
