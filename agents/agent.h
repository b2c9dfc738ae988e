// The agent interface every algorithm implements, so that the runner, the
// evaluator and the viewer work with any of them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "envs/core/types.h"

namespace arena {

enum class ActMode : std::uint8_t { Explore, Greedy };

// Named scalars an agent reports (loss, q_mean, epsilon, ...). The runner
// logs them; agents never print.
using Metrics = std::vector<std::pair<std::string, double>>;

// What the agent thinks about the observation of env 0 at its last act():
// Q-values (value-based agents) or action probabilities (policy agents).
struct Insight {
  enum class Kind : std::uint8_t { None, QValues, Probabilities } kind = Kind::None;
  std::vector<float> values;  // one per action
  std::int64_t chosen = -1;   // the action taken
};

// One vector step: for env i, obs[i] --actions[i]--> next_obs[i] with
// rewards[i]. next_obs[i] is the true next observation: when the episode
// ended in this step it is the final observation, not the reset one.
struct Transitions {
  std::int64_t num_envs = 0;
  ConstBuffer obs;          // [N, ...obs shape]
  ConstBuffer actions;      // [N] int64 or [N, action dim] float32
  std::span<const double> rewards;
  ConstBuffer next_obs;     // [N, ...obs shape]
  std::span<const std::uint8_t> terminated;
  std::span<const std::uint8_t> truncated;
};

class Agent {
 public:
  virtual ~Agent() = default;

  // Writes one action per observation of the batch `obs` ([n, ...]) into
  // `actions` ([n] int64 or [n, dim] float32). Explore may act randomly
  // (from the agent's own RNG); Greedy never does. Records insight() for env 0.
  virtual void act(ConstBuffer obs, std::int64_t n, ActMode mode, Buffer actions) = 0;

  // Takes one vector step of experience and learns on the agent's own
  // schedule. Returns the metrics of any update it made (empty if none).
  virtual Metrics observe(const Transitions& transitions) = 0;

  // Environment steps seen so far (over all envs).
  virtual std::int64_t steps() const = 0;

  virtual Insight insight() const { return {}; }

  // The complete learning state (networks, optimizer, replay, RNGs,
  // counters) into / from the directory `dir` (which exists). load() throws
  // std::runtime_error naming the file when something is missing or corrupt.
  virtual void save(const std::filesystem::path& dir) const = 0;
  virtual void load(const std::filesystem::path& dir) = 0;

  // Only what greedy acting needs (the online network), for best/final models.
  virtual void save_policy(const std::filesystem::path& file) const = 0;
  virtual void load_policy(const std::filesystem::path& file) = 0;

  // All parameters flattened in a fixed order (tests compare runs with it).
  virtual std::vector<float> parameters_flat() const = 0;
};

}  // namespace arena
