#include "envs/box2d/lunar_lander_legs.h"

namespace arena {

void LunarLanderLegs::solve_step(int first_joint, int second_joint, b2Velocity* v, int iterations) {
  Revolute23& first = joints_[first_joint];
  Revolute23& second = joints_[second_joint];
  if (!converged_iterations_) {
    for (int it = 0; it < iterations; ++it) {
      first.solve_velocity(v);
      second.solve_velocity(v);
    }
    return;
  }
  // The hull is both joints' body A; the three velocities stay in registers.
  b2Velocity* const hull_v = &v[first.index_a];
  b2Velocity* const first_v = &v[first.index_b];
  b2Velocity* const second_v = &v[second.index_b];
  b2Velocity hull = *hull_v, leg_first = *first_v, leg_second = *second_v;
  int calm = 0;  // sweeps in a row that left every velocity settled
  int it = 0;
  while (it < iterations) {
    const b2Velocity hull_before = hull, first_before = leg_first, second_before = leg_second;
    first.solve_velocity_full(hull, leg_first);
    second.solve_velocity_full(hull, leg_second);
    ++it;
    const bool still =
        settled(hull, hull_before) && settled(leg_first, first_before) && settled(leg_second, second_before);
    calm = still ? calm + 1 : 0;
    if (calm < 2 || it == iterations) continue;
    // Converged: advance both joints through the remaining iterations, unless
    // a pass would move the velocities.
    const int rest = iterations - it;
    Revolute23::Advance a, b;
    if (first.plan_converged(rest, a) && second.plan_converged(rest, b)) {
      first.commit(a, rest);
      second.commit(b, rest);
      break;
    }
    calm = 0;
  }
  first.full_passes += it;
  second.full_passes += it;
  *hull_v = hull;
  *first_v = leg_first;
  *second_v = leg_second;
}

void LunarLanderLegs::reset(int which) {
  Revolute23& s = joints_[which];
  retired_full_ += s.full_passes;
  retired_repeated_ += s.repeated_passes;
  retired_advanced_ += s.advanced_passes;
  s = Revolute23{};
  s.shortcut = shortcut_;
}

void LunarLanderLegs::set_shortcut(bool on) {
  shortcut_ = on;
  for (Revolute23& s : joints_) s.shortcut = on;
}

}  // namespace arena
