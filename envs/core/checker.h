// The conformance checker: what Gymnasium's check_env covers, for any Env.
//
// `arena check ID` and the parametrised conformance test run it over every
// registered id. Each check has a stable name so that a report says exactly
// what failed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "envs/core/env.h"

namespace arena {

class Registry;

struct CheckResult {
  std::string name;    // e.g. "seed_determinism"
  bool passed = false;
  bool skipped = false;  // not applicable (e.g. a nondeterministic env); counts as passed
  std::string detail;  // why it failed or was skipped
};

struct CheckReport {
  std::string env_id;
  std::vector<CheckResult> results;

  bool passed() const;
  std::vector<std::string> failed() const;  // names of the failed checks
  const CheckResult* find(std::string_view name) const;
  std::string format() const;               // one line per check
};

struct CheckOptions {
  int steps = 1000;            // length of the seeded random rollouts
  std::uint64_t seed = 12345;  // the seed under test; seed + 1 for divergence
};

using EnvMaker = std::function<std::unique_ptr<Env>()>;

// The names of every check, in the order they run:
//   spaces, spec, reset_observation, step_observation, finite_rewards,
//   seed_determinism, seeds_diverge, reset_reseeds, reset_continues_rng,
//   draw_nonblank
const std::vector<std::string>& check_names();

// Runs every check on fresh envs from `make`. Never throws for a misbehaving
// env: an exception inside a check fails that check with its message.
CheckReport check_env(const EnvMaker& make, const CheckOptions& options = {});
CheckReport check_env(const Registry& registry, std::string_view id, const CheckOptions& options = {});

}  // namespace arena
