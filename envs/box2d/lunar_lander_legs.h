// The lander's two leg joints (revolute23.h), with their step solved as one.
//
// Converged iterations (on by default): while no contact touches the
// lander or its legs, the world's velocity iterations are the two joints'
// passes alone, so the first pass of a step runs all of the step's
// iterations at once. Once a sweep of both joints leaves every velocity
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

class LunarLanderLegs final : public Revolute23Group {
 public:
  // Revolute23Group.
  void init_step(int which, bool touching) override;
  void solve_velocity(int which, b2Velocity* v, int iterations) override;

  LunarLanderLegs() = default;
  LunarLanderLegs(const LunarLanderLegs&) = delete;  // the joints point into this object
  LunarLanderLegs& operator=(const LunarLanderLegs&) = delete;

  // Creates leg joint `which` (0 or 1) in `world` with `def` (its userData is
  // taken over). The joint dies with its bodies.
  void create(b2World& world, b2RevoluteJointDef def, int which);
  // Forgets the joints (their bodies were destroyed).
  void clear();

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
  // All of a step's velocity iterations of both joints (no contact in the island).
  void solve_step(b2Velocity* v, int iterations);
  void retire(Revolute23& s);

  Revolute23 joints_[2];
  bool shortcut_ = true;
  bool converged_iterations_ = true;
  // This step: the joints in the island's order and whether a contact
  // touches their bodies (step_solved_, inherited: whether its iterations are done).
  int order_[2] = {0, 1};
  int initialised_ = 0;
  bool touching_ = false;
  std::int64_t retired_full_ = 0, retired_repeated_ = 0, retired_advanced_ = 0;  // joints already destroyed
};

}  // namespace arena
