// MountainCar-v0 (Gymnasium 1.x): drive an under-powered car up the right
// hill by rocking it back and forth (Moore, 1990).
//
//   observation  Box(2) float32: position in [-1.2, 0.6], velocity in [-0.07, 0.07]
//   action       Discrete(3): 0 accelerates left, 1 does nothing, 2 accelerates right
//   reward       -1 every step
//   terminated   position >= 0.5 and velocity >= goal_velocity
//   reset        position uniform in [low, high] = [-0.6, -0.4], velocity 0
//                (reset options "low", "high")
#pragma once

#include <array>
#include <span>

#include "envs/core/env.h"

namespace arena {

class MountainCar : public Env {
 public:
  // Options: "goal_velocity" (double, default 0.0).
  explicit MountainCar(const Options& options = {});

  void draw(DrawList& out) const override;

  // (position, velocity), as Gymnasium's env.unwrapped.state. set_state takes
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
  double goal_velocity_ = 0.0;
  std::array<double, 2> state_{};
};

// The frame both mountain cars share (Gymnasium's 600x400 pygame drawing):
// the hill, the car at `position` tilted along the slope, and the flag at
// `goal_position`.
void draw_mountain_car(DrawList& out, double position, double goal_position);

}  // namespace arena
