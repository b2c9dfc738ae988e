// The lander's two leg joints (revolute23.h), with their step solved as one.
//
// Converged iterations (on by default): while no contact touches the
// lander or its legs, the world's velocity iterations are the two joints'
// passes alone, so the world hands all of a step's iterations over at once.
// Once a sweep of both joints leaves every velocity
// within float noise of the previous sweep's (the legs pressed on their
// limits by motors that are not yet at full torque: the leg's velocity then
// wanders by a few ulps from pass to pass, so the exact shortcut never
// applies, while the motor's and the limit's accumulated impulses creep in
// opposite directions), the remaining iterations keep the velocities and
// advance the accumulators as the passes would in exact arithmetic: the
// motor's step and clamp as before; a change in the motor's applied
// impulse is cancelled by the limit's angular impulse, which is what the
// 3x3 block solve gives (K's third column is the motor's effect on the
// constraint velocities). Anything that would move the velocities (the
// limit letting go, any impulse on a joint whose limit is inactive) drops
// back to full passes. The results differ from running every pass at the
// level of float rounding (measured against a one-ulp perturbation of the
// draws), and replayed Gymnasium episodes agree as before
// (tests/envs/lunar_lander_test.cpp). 1.5x the steps/s in random play.
#pragma once

#include <box2d/box2d.h>

#include <cstdint>

#include "envs/box2d/revolute23.h"

namespace arena {

class LunarLanderLegs {
 public:
  LunarLanderLegs() = default;

  Revolute23& joint(int which) { return joints_[which]; }
  const Revolute23& joint(int which) const { return joints_[which]; }
  // Sets joint `which` (0 or 1) up afresh (a new episode).
  void reset(int which);

  // All of a step's velocity iterations of both joints, `first` solved
  // before `second` in each, when no contact is solved with them.
  void solve_step(int first, int second, b2Velocity* v, int iterations);

  // Tests: false runs every velocity pass in full (the shortcut is exact).
  void set_shortcut(bool on);
  // Tests: false solves every iteration, without converged iterations.
  void set_converged_iterations(bool on) { converged_iterations_ = on; }
  // Velocity passes run in full and repeated by the shortcut, so far.
  std::int64_t full_passes() const { return joints_[0].full_passes + joints_[1].full_passes + retired_full_; }
  std::int64_t repeated_passes() const {
    return joints_[0].repeated_passes + joints_[1].repeated_passes + retired_repeated_;
  }
  // Passes advanced as converged, so far.
  std::int64_t advanced_passes() const {
    return joints_[0].advanced_passes + joints_[1].advanced_passes + retired_advanced_;
  }

 private:
  Revolute23 joints_[2];
  bool shortcut_ = true;
  bool converged_iterations_ = true;
  std::int64_t retired_full_ = 0, retired_repeated_ = 0, retired_advanced_ = 0;  // earlier episodes' joints
};

}  // namespace arena
