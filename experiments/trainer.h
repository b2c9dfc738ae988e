// The experiment runner behind `arena train`: builds the env and the agent
// from an ExperimentConfig, runs the training loop, logs, evaluates and
// checkpoints, and resumes a run exactly where its last checkpoint left it.
//
// A run directory holds:
//   config.toml       the resolved experiment (every key, defaults included)
//   metrics.csv       training metrics every train.log_every env steps
//   eval.csv          greedy evaluations every train.eval_every env steps
//   events.out.tfevents.*   the same scalars for TensorBoard
//   best_policy.pt    the policy with the best evaluation so far
//   final_policy.pt   the policy at the end of the run
//   checkpoints/step_*      the newest train.keep_checkpoints complete training states
//   videos/step_*.mp4 a greedy evaluation episode every train.record_every env steps
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "experiments/evaluate.h"
#include "experiments/experiment_config.h"

namespace arena {

class Agent;
class Registry;
struct EnvSpec;

struct TrainOptions {
  std::filesystem::path run_dir;  // empty: runs/<name>-s<seed>-<date>-<time>
  bool quiet = false;             // plain progress lines instead of a live bar
  std::int64_t stop_after = 0;    // > 0: checkpoint and stop once this many env steps are done
};

struct TrainOutcome {
  std::filesystem::path run_dir;
  std::int64_t steps = 0;
  bool finished = false;            // reached train.total_steps
  bool failed = false;              // stopped by an error (message in `error`)
  std::string error;
  std::optional<EvalResult> final_eval;  // the final policy, on the periodic evaluations' episodes
  // The best policy (best_policy.pt, chosen on the periodic evaluations) on
  // train.final_eval_episodes held-out episodes (heldout_seed): what the run delivers.
  std::optional<EvalResult> best_eval;
};

// Starts a new run. Throws for bad configuration (unknown env id or option,
// an agent that does not fit the env, an existing non-empty run directory).
TrainOutcome train(const Registry& registry, const ExperimentConfig& config, const TrainOptions& options);

// Continues the run in options.run_dir from its newest complete checkpoint
// (falling back to older ones, with a warning, when one is corrupt). The
// continuation is bit-identical to a run that never stopped.
TrainOutcome resume(const Registry& registry, const TrainOptions& options);

// The agent of an experiment for an env (its parameters freshly initialised).
std::unique_ptr<Agent> make_agent(const ExperimentConfig& config, const EnvSpec& spec);

// Greedy evaluation of `agent` on a fresh env of the experiment: episode i is
// reset with seed + i.
EvalResult evaluate_agent(const Registry& registry, const ExperimentConfig& config, Agent& agent, int episodes,
                          std::uint64_t seed);

// The seed of the evaluation episodes of a run (kept apart from training).
std::uint64_t evaluation_seed(const ExperimentConfig& config);
// The seed of a run's held-out episodes: never used during the run, so the
// best policy's score on them is not biased by having been chosen on them.
// `arena eval RUN_DIR` uses it by default.
std::uint64_t heldout_seed(const ExperimentConfig& config);

}  // namespace arena
