// An experiment: what the [env], [agent], [replay] and [train] tables of a
// TOML experiment file hold once parsed and checked.
#pragma once

#include <cstdint>
#include <string>

#include "agents/dqn_config.h"
#include "envs/core/options.h"
#include "replay/replay_config.h"

namespace arena {

struct EnvConfig {
  std::string id = "CartPole-v1";
  Options options;              // [env.options]: construction options of the env, checked by the registry
  int num_envs = 1;             // copies stepped together (VectorEnv, same-step autoreset)
  std::string preset;           // a wrapper stack around the env: "" (none) or "atari" (envs/core/presets.h)
};

struct TrainConfig {
  std::string algo = "dqn";
  std::int64_t total_steps = 50'000;   // environment steps over all envs
  std::uint64_t seed = 0;
  int threads = 1;                      // LibTorch intra-op threads
  std::int64_t eval_every = 10'000;     // greedy evaluation period in env steps (0 = only at the end)
  int eval_episodes = 10;               // episodes of each periodic evaluation
  int final_eval_episodes = 20;         // episodes of the evaluation at the end of the run
  std::int64_t checkpoint_every = 10'000;  // 0 = only at the end
  int keep_checkpoints = 3;
  std::int64_t log_every = 1'000;       // metrics.csv / TensorBoard period in env steps
  std::int64_t record_every = 0;        // > 0: a greedy evaluation episode to videos/step_<N>.mp4 every K env steps
};

struct ExperimentConfig {
  std::string name = "experiment";
  EnvConfig env;
  DQNConfig agent;
  ReplayConfig replay;
  TrainConfig train;
};

}  // namespace arena
