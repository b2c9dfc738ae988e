// MountainCarContinuous-v0 (Gymnasium 1.x): the mountain car with a
// continuous engine force.
//
//   observation  Box(2) float32: position in [-1.2, 0.6], velocity in [-0.07, 0.07]
//   action       Box(1) float32 in [-1, 1]: the engine force (clipped to [-1, 1])
//   reward       -0.1 * action^2 every step (of the action as given, before
//                clipping, as Gymnasium), +100 on reaching the goal
//   terminated   position >= 0.45 and velocity >= goal_velocity
//   reset        position uniform in [low, high] = [-0.6, -0.4], velocity 0
//                (reset options "low", "high")
//
// Quirk kept from Gymnasium: after every step the state is stored as float32
// (the reset state is not), and the next step computes from those values.
#pragma once

#include <array>
#include <span>

#include "envs/core/env.h"

namespace arena {

class ContinuousMountainCar : public Env {
 public:
  // Options: "goal_velocity" (double, default 0.0).
  explicit ContinuousMountainCar(const Options& options = {});

  void draw(DrawList& out) const override;

  // (position, velocity), as Gymnasium's env.unwrapped.state. set_state takes
  // exactly 2 values (used as given, not rounded); stepping goes on from them.
  std::span<const double> state() const { return state_; }
  void set_state(std::span<const double> state);
  // Writes the observation of the current state into `out` (Gymnasium's
  // _get_obs; what reset/step return).
  void observation(ObsBuffer out) const;

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) override;
  StepResult do_step(ActionView action, ObsBuffer out) override;
  void do_save_state(StateWriter& out) const override;
  void do_load_state(StateReader& in) override;

 private:
  double goal_velocity_ = 0.0;
  std::array<double, 2> state_{};
};

}  // namespace arena
