// Configuration of the replay buffers ([replay] table of an experiment file).
#pragma once

#include <cstdint>

namespace arena {

struct ReplayConfig {
  std::int64_t capacity = 1'000'000;  // transitions kept (oldest overwritten)
  int n_step = 1;                      // n-step returns (1 = plain one-step transitions)
  bool prioritized = false;            // proportional prioritized replay (Schaul et al. 2016)
  double alpha = 0.6;                  // priority exponent
  double beta = 0.4;                   // initial importance-sampling exponent, annealed to 1
  double priority_eps = 1e-6;          // added to |TD error| so no priority is zero
  bool compact_frames = false;         // store each frame of a FrameStack observation once
};

}  // namespace arena
