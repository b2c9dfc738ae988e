// Pendulum-v1 (Gymnasium 1.x): swing a frictionless pendulum up and keep it
// upright with a limited torque.
//
//   observation  Box(3) float32: cos(theta), sin(theta) in [-1, 1], theta_dot in [-8, 8]
//   action       Box(1) float32 in [-2, 2]: the torque (clipped to [-2, 2])
//   reward       -(normalized_theta^2 + 0.1 theta_dot^2 + 0.001 torque^2),
//                theta normalized into [-pi, pi) with 0 upright; of the state
//                before the step and the clipped torque
//   terminated   never (the registry's 200-step limit truncates)
//   reset        theta uniform in [-x_init, x_init] (default pi), theta_dot
//                uniform in [-y_init, y_init] (default 1) (reset options
//                "x_init", "y_init")
#pragma once

#include <array>
#include <span>

#include "envs/core/env.h"

namespace arena {

class Pendulum : public Env {
 public:
  // Options: "g" (double, default 10.0), the acceleration of gravity.
  explicit Pendulum(const Options& options = {});

  void draw(DrawList& out) const override;

  // (theta, theta_dot), as Gymnasium's env.unwrapped.state. set_state takes
  // exactly 2 values; stepping goes on from them.
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
  double g_ = 10.0;
  std::array<double, 2> state_{};
  double last_u_ = 0.0;      // the last clipped torque, for draw()
  bool has_last_u_ = false;  // false right after reset
};

// sin(x) computed exactly as numpy's float64 np.sin on x86-64 CPUs with
// AVX512 (Intel SVML's __svml_sin8, < 4 ulp), to the last bit, for
// |x| <= 2^24; std::sin beyond. Gymnasium's Pendulum rewards depend on the
// last bits of its state, so reproducing its numbers needs this sine.
double numpy_avx512_sin(double x);

}  // namespace arena
