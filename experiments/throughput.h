// Environment throughput with random actions: single env and VectorEnv.
// Used by `arena bench` and by bench/env_throughput.
#pragma once

#include <cstdint>
#include <string>

namespace arena {

class Registry;

struct ThroughputResult {
  std::string env;
  int num_envs = 1;        // 1: a single Env; more: a VectorEnv of that many copies
  double steps_per_s = 0;  // env steps (all copies together) per second of wall time
  std::uint64_t steps = 0;
  double seconds = 0;
};

// Steps `id` with uniformly random actions for about `seconds` of wall time
// (after a short warm-up) on the calling thread, resetting finished episodes.
// num_envs == 1 measures a plain Env (as made by the registry, with its
// TimeLimit); more measures a VectorEnv in its default autoreset mode.
ThroughputResult measure_throughput(const Registry& registry, const std::string& id, int num_envs,
                                    double seconds, std::uint64_t seed = 0);

}  // namespace arena
