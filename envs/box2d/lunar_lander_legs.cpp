#include "envs/box2d/lunar_lander_legs.h"

namespace arena {

void LunarLanderLegs::init_step(int which, bool touching) {
  if (initialised_ == 2) initialised_ = 0;  // a new step
  if (initialised_ == 0) touching_ = false;
  order_[initialised_++] = which;
  touching_ = touching_ || touching;
  step_solved_ = false;
}

void LunarLanderLegs::solve_velocity(int which, b2Velocity* v, int iterations) {
  if (converged_iterations_ && initialised_ == 2 && !touching_) {
    solve_step(v, iterations);
    step_solved_ = true;
    return;
  }
  joints_[which].solve_velocity(v);
}

// The world's velocity iterations of this step for the two joints, in the
// island's order, when no contact is solved between them.
void LunarLanderLegs::solve_step(b2Velocity* v, int iterations) {
  Revolute23& first = joints_[order_[0]];
  Revolute23& second = joints_[order_[1]];
  const int bodies[3] = {first.index_a, first.index_b, second.index_b};  // the hull, then the legs
  b2Velocity before[3];
  for (int k = 0; k < 3; ++k) before[k] = v[bodies[k]];
  int calm = 0;  // sweeps in a row that left every velocity settled
  int it = 0;
  while (it < iterations) {
    first.solve_velocity(v);
    second.solve_velocity(v);
    ++it;
    bool still = true;
    for (int k = 0; k < 3; ++k) {
      still = still && settled(v[bodies[k]], before[k]);
      before[k] = v[bodies[k]];
    }
    calm = still ? calm + 1 : 0;
    if (calm < 2 || it == iterations) continue;
    // Converged: advance both joints through the remaining iterations, unless
    // a pass would move the velocities.
    const int rest = iterations - it;
    Revolute23::Advance a, b;
    if (first.plan_converged(rest, a) && second.plan_converged(rest, b)) {
      first.commit(a, rest);
      second.commit(b, rest);
      return;
    }
    calm = 0;
  }
}

void LunarLanderLegs::retire(Revolute23& s) {
  retired_full_ += s.full_passes;
  retired_repeated_ += s.repeated_passes;
  retired_advanced_ += s.advanced_passes;
  s = Revolute23{};
  s.shortcut = shortcut_;
}

void LunarLanderLegs::create(b2World& world, b2RevoluteJointDef def, int which) {
  retire(joints_[which]);
  create_revolute23(world, def, joints_[which], *this, which);
}

void LunarLanderLegs::clear() {
  for (Revolute23& s : joints_) retire(s);
  initialised_ = 0;
}

void LunarLanderLegs::set_shortcut(bool on) {
  shortcut_ = on;
  for (Revolute23& s : joints_) s.shortcut = on;
}

}  // namespace arena
