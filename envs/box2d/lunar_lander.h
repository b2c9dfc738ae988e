// LunarLander-v3 and LunarLanderContinuous-v3 (Gymnasium 1.x) on Box2D 2.4.1:
// land a lander on the pad between the flags.
//
//   observation  Box(8) float32: x, y, vx, vy, angle, angular velocity (in
//                Gymnasium's scaled units), left and right leg contact (0/1);
//                bounds [2.5, 2.5, 10, 10, 2 pi, 10, 1, 1] (v3)
//   action       LunarLander-v3: Discrete(4): 0 nothing, 1 left engine,
//                2 main engine, 3 right engine.
//                LunarLanderContinuous-v3: Box(-1, 1, (2,)) float32: main
//                engine off for main <= 0, else 50%..100%; side engines off
//                for |lateral| <= 0.5, else left (< -0.5) or right (> 0.5)
//                at 50%..100%. Clipped to [-1, 1].
//   reward       change of the shaping potential -100 |position| - 100 |velocity|
//                - 100 |angle| + 10 per leg on the ground, minus 0.30 per
//                full main-engine step and 0.03 per full side-engine step;
//                -100 on a crash or leaving the screen, +100 on coming to rest
//   terminated   the hull touches the ground, |x| >= 1, or the lander sleeps
//   options      gravity (float, -10, in (-12, 0)), enable_wind (bool, false),
//                wind_power (float, 15, in [0, 20]), turbulence_power (float,
//                1.5, in [0, 2]); out-of-range values are OptionErrors
//
// The physics lives in LunarLanderSim (lunar_lander_sim.h); this class is the
// Env adapter. save_state/load_state are supported by replay: the state is the
// RNG state at the episode's start and the episode's actions, and loading
// rebuilds the episode from them (bit-identical, since the simulation is
// deterministic and independent of earlier episodes). An env whose random
// source was replaced (set_random_source) cannot be saved.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "envs/box2d/lunar_lander_sim.h"
#include "envs/core/env.h"

namespace arena {

class Registry;

class LunarLander : public Env {
 public:
  // `options`: the four construction options above (missing ones take their
  // defaults). Throws OptionError naming the key for an out-of-range value.
  LunarLander(const Options& options, bool continuous);

  void draw(DrawList& out) const override;

  // Where the env's random numbers come from: by default its own rng_ (seeded
  // by reset(seed)). A test may inject a source that replays recorded draws;
  // nullptr restores the default. The source must outlive its use.
  void set_random_source(RandomSource* source);

  bool continuous() const { return continuous_; }
  const LunarLanderSim& sim() const { return sim_; }

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) override;
  StepResult do_step(ActionView action, ObsBuffer out) override;
  void do_save_state(StateWriter& out) const override;
  void do_load_state(StateReader& in) override;

 private:
  void write_obs(ObsBuffer out) const;

  bool continuous_;
  LunarLanderConfig config_;
  LunarLanderSim sim_;
  RngSource own_random_{rng_};
  RandomSource* random_ = &own_random_;

  // For save/load by replay: the RNG at the episode's start and its actions
  // (1 or 2 floats a step; reserved for 1000+ steps, so step() does not
  // allocate within Gymnasium's time limit).
  bool has_episode_ = false;
  Rng::State episode_rng_{};
  std::vector<float> actions_;
};

// Adds LunarLander-v3 and LunarLanderContinuous-v3: 1000 steps, threshold 200,
// options gravity = -10.0, enable_wind = false, wind_power = 15.0,
// turbulence_power = 1.5.
void register_lunar_lander(Registry& registry);

}  // namespace arena
