// A scripted gait for BipedalWalker-v3, after the heuristic that ships with
// Gymnasium's bipedal_walker.py: a three-phase state machine over the
// observation (no lidar), with PD control of the hip and knee angles.
//
//   StayOnOneLeg  swing the moving leg forward and up (hip 1.1, knee -0.6)
//                 while the supporting knee straightens towards +0.1; once
//                 the supporting hip is behind (< 0.1), put the other down
//   PutOtherDown  lower the moving leg (hip 0.1, knee 0.1) until its shin
//                 touches the ground
//   PushOff       bend the supporting knee (+1.0) to push the hull forward;
//                 when it is bent (> 0.88) or the walker is fast, the legs
//                 swap roles
//
// Hip targets use gain 0.9 and damping 0.25, knee targets gain 4.0 and
// damping 0.25; both hips also correct the hull angle (0.9 * angle + 1.5 *
// angular velocity) and both knees damp the vertical speed (15x). The action
// is half the command, clipped to [-1, 1].
//
// It has no notion of balance. On BipedalWalker-v3 with Box2D 2.4.1 (seeds
// 0-99) it returns 64 +- 134, walks 40 m on average and reaches the finish
// (84 m on, return ~315) on 16 of 100 courses; otherwise it falls, forwards
// after speeding up or backwards after a weak push-off. (Its author reported
// reaching the end about 80% of the time on Box2D 2.3, whose joint limits
// behave differently.) Hardcore obstacles stop it.
#pragma once

#include <array>
#include <span>

namespace arena {

class BipedalWalkerGait {
 public:
  // The action for observation `obs` (24 floats of BipedalWalker-v3); advances
  // the state machine. Call once per step, in order.
  std::array<float, 4> act(std::span<const float> obs);
  // Back to the first phase with leg 0 moving (call at each episode start).
  void reset();

  enum class Phase { StayOnOneLeg, PutOtherDown, PushOff };
  Phase phase() const { return phase_; }
  int moving_leg() const { return moving_leg_; }

  static constexpr double kSpeed = 0.29;  // faster than this and it falls forward
  static constexpr double kSupportKneeAngle = +0.1;

 private:
  Phase phase_ = Phase::StayOnOneLeg;
  int moving_leg_ = 0;
  double supporting_knee_angle_ = kSupportKneeAngle;
};

}  // namespace arena
