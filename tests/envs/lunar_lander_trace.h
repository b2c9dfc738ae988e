// A fixed mix of LunarLander episodes, hashed bit for bit: random and
// heuristic play, discrete and continuous, with wind, light gravity, and
// strong wind under heavy gravity. tests/data/lunar_lander_world_trace.txt
// holds the hashes that LunarLanderSim gave for it once its world had been
// checked against Gymnasium's recorded episodes (lunar_lander_test.cpp).
#pragma once

#include <bit>
#include <cstdint>
#include <functional>

#include "envs/box2d/lunar_lander_heuristic.h"
#include "envs/box2d/lunar_lander_sim.h"

namespace arena::lunar_lander_trace {

struct Episode {
  int steps = 0;
  std::uint64_t hash = 0;  // FNV-1a over every step's observation, reward, flags
  bool landed = false;     // ended at rest (+100)
  bool crashed = false;    // ended by the hull touching the ground or leaving the screen
};

inline void mix(std::uint64_t& h, std::uint64_t word) {
  for (int i = 0; i < 8; ++i) {
    h ^= (word >> (8 * i)) & 0xff;
    h *= 0x100000001b3ULL;
  }
}

// Runs episodes 0 .. count-1 of the mix, calling `each` after every episode.
inline void run(int count, const std::function<void(int, const Episode&, const LunarLanderSim&)>& each) {
  Rng rng(12345), act(777);
  RngSource src(rng);
  LunarLanderConfig configs[4];
  configs[1].enable_wind = true;
  configs[2].gravity = -3.0;
  configs[3].enable_wind = true;
  configs[3].wind_power = 19;
  configs[3].turbulence_power = 1.9;
  configs[3].gravity = -11.5;
  LunarLanderSim sims[4] = {LunarLanderSim(configs[0]), LunarLanderSim(configs[1]), LunarLanderSim(configs[2]),
                            LunarLanderSim(configs[3])};
  for (int e = 0; e < count; ++e) {
    LunarLanderSim& sim = sims[(e / 4) % 4];
    const int mode = e % 4;  // random discrete, random continuous, heuristic discrete, heuristic continuous
    sim.reset(src);
    Episode ep;
    ep.hash = 0xcbf29ce484222325ULL;
    for (int t = 0; t < 1000; ++t) {
      const auto& o = sim.observation();
      LunarLanderThrottle th;
      if (mode == 0) {
        th = LunarLanderThrottle::discrete(act.integer(0, 3));
      } else if (mode == 1) {
        const double main = act.uniform(-1, 1);
        th = LunarLanderThrottle::continuous(main, act.uniform(-1, 1));
      } else if (mode == 2) {
        th = LunarLanderThrottle::discrete(lunar_lander_heuristic_discrete(o));
      } else {
        const auto a = lunar_lander_heuristic_continuous(o);
        th = LunarLanderThrottle::continuous(a[0], a[1]);
      }
      const LunarLanderOutcome r = sim.step(th, src);
      ++ep.steps;
      for (const float f : sim.observation()) mix(ep.hash, std::bit_cast<std::uint32_t>(f));
      mix(ep.hash, std::bit_cast<std::uint64_t>(r.reward));
      mix(ep.hash, (r.terminated ? 1u : 0u) | (sim.awake() ? 2u : 0u));
      if (r.terminated) {
        ep.landed = !sim.awake();
        ep.crashed = sim.awake();
        break;
      }
    }
    each(e, ep, sim);
  }
}

}  // namespace arena::lunar_lander_trace
