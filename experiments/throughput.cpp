#include "experiments/throughput.h"

#include <chrono>

#include "envs/core/registry.h"
#include "envs/core/vector_env.h"

namespace arena {

namespace {

using Clock = std::chrono::steady_clock;

// Runs `step_block` (which performs `block` env steps) until `seconds` pass.
template <class F>
ThroughputResult timed(F&& step_block, std::uint64_t block, double seconds) {
  for (int i = 0; i < 4; ++i) step_block();  // warm-up
  ThroughputResult r;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  auto now = start;
  do {
    step_block();
    r.steps += block;
    now = Clock::now();
  } while (now < deadline);
  r.seconds = std::chrono::duration<double>(now - start).count();
  r.steps_per_s = static_cast<double>(r.steps) / r.seconds;
  return r;
}

}  // namespace

ThroughputResult measure_throughput(const Registry& registry, const std::string& id, int num_envs, double seconds,
                                    std::uint64_t seed) {
  ThroughputResult r;
  if (num_envs <= 1) {
    auto env = registry.make(id);
    Array obs = env->observation_space().make_array();
    Array act = env->action_space().make_array();
    Rng action_rng(seed + 1);
    env->reset(obs.view(), seed);
    constexpr std::uint64_t kBlock = 4096;
    r = timed(
        [&] {
          for (std::uint64_t i = 0; i < kBlock; ++i) {
            env->action_space().sample(action_rng, act.view());
            if (env->step(act.view(), obs.view()).done()) env->reset(obs.view());
          }
        },
        kBlock, seconds);
    r.num_envs = 1;
  } else {
    VectorEnv venv = VectorEnv::make(registry, id, static_cast<std::size_t>(num_envs));
    const Space& single = venv.single_action_space();
    Array act(single.dtype(), {static_cast<std::int64_t>(num_envs * single.size())});
    Rng action_rng(seed + 1);
    venv.reset(seed);
    const std::uint64_t rounds = std::max<std::uint64_t>(1, 4096 / static_cast<std::uint64_t>(num_envs));
    const std::size_t width = single.size() * dtype_size(single.dtype());
    auto* bytes = static_cast<unsigned char*>(act.view().data);
    r = timed(
        [&] {
          for (std::uint64_t i = 0; i < rounds; ++i) {
            for (int e = 0; e < num_envs; ++e)
              single.sample(action_rng, Buffer(bytes + e * width, single.dtype(), single.size()));
            venv.step(act.view());
          }
        },
        rounds * static_cast<std::uint64_t>(num_envs), seconds);
    r.num_envs = num_envs;
  }
  r.env = id;
  return r;
}

}  // namespace arena
