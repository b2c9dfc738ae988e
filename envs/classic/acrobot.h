// Acrobot-v1 (Gymnasium 1.x): a two-link pendulum hanging from a fixed
// joint, actuated only at the joint between the links; swing the free end
// above the line one link length over the fixed joint (Sutton, 1996).
//
//   observation  Box(6) float32: cos/sin of theta1, cos/sin of theta2,
//                theta1_dot in [-4 pi, 4 pi], theta2_dot in [-9 pi, 9 pi]
//   action       Discrete(3): torque -1, 0, +1 on the middle joint
//   reward       -1 every step, 0 on reaching the goal
//   terminated   -cos(theta1) - cos(theta1 + theta2) > 1
//   reset        each state variable uniform in [low, high] = [-0.1, 0.1],
//                rounded to float32 as Gymnasium (reset options "low", "high")
//
// Dynamics: the book's equations of motion (not the NIPS paper's), one
// classic 4th-order Runge-Kutta step of dt = 0.2 per action, no torque noise;
// angles are then wrapped into [-pi, pi] and velocities clipped.
#pragma once

#include <array>
#include <span>

#include "envs/core/env.h"

namespace arena {

class Acrobot : public Env {
 public:
  // No options.
  explicit Acrobot(const Options& options = {});

  void draw(DrawList& out) const override;

  // (theta1, theta2, theta1_dot, theta2_dot), as Gymnasium's
  // env.unwrapped.state. set_state takes exactly 4 values (used as given, not
  // rounded); stepping goes on from them.
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
  std::array<double, 4> state_{};
};

}  // namespace arena
