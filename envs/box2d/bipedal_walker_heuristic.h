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
// It has no notion of balance. Run as Gymnasium's demo runs it (one zero
// action after reset, then the controller), over 1000 seeds: 99.3 +- 121.8 on
// BipedalWalker-v3 (19% reach the finish, 84 m on, return ~315; the others
// fall, mostly forwards) and -60.6 +- 24.7 on the hardcore course, whose
// obstacles stop it. Gymnasium's own heuristic on Gymnasium's walker: 102.6
// +- 125.1 and -59.2 +- 25.2 over 1000 episodes (as EnvPool's correctness
// test records them).
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
