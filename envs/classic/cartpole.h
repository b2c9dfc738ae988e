// CartPole-v1 (Gymnasium 1.x): balance a pole hinged on a cart by pushing the
// cart left or right (Barto, Sutton & Anderson, 1983).
//
//   observation  Box(4) float32: cart position, cart velocity, pole angle,
//                pole angular velocity; bounds [4.8, inf, 24 degrees, inf]
//                (infinite velocity bounds as Gymnasium 1.x; 0.29 used float32 max)
//   action       Discrete(2): 0 pushes left, 1 pushes right (10 N)
//   reward       +1 every step, the terminating one included; 0 for steps
//                taken after termination. With sutton_barto_reward: 0 every
//                step, -1 on the terminating step and after it.
//   terminated   |angle| > 12 degrees or |position| > 2.4
//   reset        each state variable uniform in [low, high] = [-0.05, 0.05]
//                (reset options "low", "high")
#pragma once

#include <array>
#include <span>

#include "envs/core/env.h"

namespace arena {

class CartPole : public Env {
 public:
  // Options: "sutton_barto_reward" (bool, default false).
  explicit CartPole(const Options& options = {});

  void draw(DrawList& out) const override;

  // The physical state (x, x_dot, theta, theta_dot), as Gymnasium's
  // env.unwrapped.state. set_state takes exactly 4 values; stepping goes on
  // from them.
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
  bool sutton_barto_reward_ = false;
  std::array<double, 4> state_{};
  int steps_beyond_terminated_ = -1;  // -1: not terminated yet (Gymnasium's None)
};

}  // namespace arena
