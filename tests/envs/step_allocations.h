// Counts the heap allocations of an env's step() over many steps, resets
// left out (include alloc_counter.h, or malloc_counter.h, from the test's
// .cpp first: this header only uses its counter).
#pragma once

#include <cstdint>

#include "envs/alloc_counter.h"
#include "envs/core/env.h"

namespace arena::test {

struct StepAllocations {
  int steps = 0, episodes = 0;
  std::int64_t allocations = 0, deallocations = 0;
};

// Resets `env` with `seed`, then steps it `steps` times with next_action()
// (an ActionView; called inside the counted window, so it must not allocate),
// resetting (uncounted) whenever an episode ends.
template <class NextAction>
StepAllocations count_step_allocations(Env& env, ObsBuffer obs, int steps, std::uint64_t seed,
                                       NextAction&& next_action) {
  StepAllocations r;
  env.reset(obs, seed);
  while (r.steps < steps) {
    bool done = false;
    {
      AllocCounter counter;
      while (!done && r.steps < steps) {
        done = env.step(next_action(), obs).done();
        ++r.steps;
      }
      counter.stop();
      r.allocations += counter.allocations();
      r.deallocations += counter.deallocations();
    }
    if (done) {
      env.reset(obs);
      ++r.episodes;
    }
  }
  return r;
}

}  // namespace arena::test
