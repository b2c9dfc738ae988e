// The lander's two leg joints, solved as Box2D 2.3 solves revolute joints.
//
// Gymnasium runs pybox2d 2.3.10 (Box2D 2.3). Box2D 2.4 rewrote the revolute
// joint's limit (separate lower/upper impulses, speculative limits, another
// position correction). LunarLander's legs live on their limits: they start
// outside them and their motors press them against them. With 2.4.1's joint
// the legs kick the hull differently when they reach a limit: replayed
// Gymnasium episodes part by up to ~1e-2 in the observation before any ground
// contact, and landed landers did not come to rest (the +100 ending) where
// Gymnasium's did. With 2.3's solver they agree to ~1e-6 until the ground is
// touched, and mostly to the end.
//
// Box2D 2.4.1 has no user joint types: the world creates a b2RevoluteJoint,
// which is then replaced in place by a subclass of the same size that
// overrides the solver hooks (see lunar_lander_legs.cpp). The 2.3 state of
// each joint lives here, reached through the joint's user data.
//
// Speed: Gymnasium steps the world with 6*30 velocity iterations, and the two
// joints' velocity passes are a serial chain of dependent float operations,
// most of a step's time. One exact shortcut gives the same bits faster: a
// pass whose input velocities are bit for bit those of its previous pass (the
// legs resting on their limits: the velocities settle within a few
// iterations while the accumulated impulses still creep) repeats its
// previous results once the decisions that depend on the accumulated
// impulses (the motor's clamp, the limit's side) are checked to be the same,
// and only updates the accumulators. (Running a step's iterations in one
// batch instead of 360 virtual calls was tried: no faster, since the calls
// overlap with the chain.)
#pragma once

#include <box2d/box2d.h>

#include <cstdint>

namespace arena {

// One revolute joint with Box2D 2.3's velocity solver (motor; the point and a
// one-sided angle limit as one 3x3 block, else the point alone), on plain
// data. Everything but the accumulated impulses is refreshed every step.
struct Revolute23 {
  enum LimitState : std::uint8_t { kInactive, kAtLower, kAtUpper, kEqual };

  // Per step.
  int index_a = 0, index_b = 0;  // the bodies' places in the island's arrays
  float mA = 0, mB = 0, iA = 0, iB = 0;
  b2Vec2 rA{0, 0}, rB{0, 0};
  b2Mat33 K{b2Vec3(0, 0, 0), b2Vec3(0, 0, 0), b2Vec3(0, 0, 0)};  // point + angle effective-mass matrix
  float motor_mass = 0;                                          // 1 / (iA + iB)
  float max_motor_impulse = 0;                                   // dt * max torque
  float motor_speed = 0;
  bool motor = false, limit = false, fixed_rotation = false;
  LimitState state = kInactive;

  // Accumulated impulses, warm-started from step to step.
  b2Vec3 impulse{0, 0, 0};  // point x, point y, limit
  float motor_impulse = 0;

  bool shortcut = true;  // repeat a pass on unchanged velocities cheaply (exact)
  std::int64_t full_passes = 0, repeated_passes = 0;

  // One velocity pass (2.3's b2RevoluteJoint::SolveVelocityConstraints).
  void solve_velocity(b2Velocity* v);
  // Forgets the last pass (the per-step values are about to change).
  void begin_step() { cache_.valid = false; }

 private:
  // The last pass, for repeating it cheaply (see solve_velocity_again).
  struct PassCache {
    bool valid = false;
    b2Velocity in_a{}, in_b{}, out_a{}, out_b{};
    float motor_step = 0, motor_applied = 0;  // the motor's impulse before and after clamping
    b2Vec3 block{0, 0, 0};                    // the limit/point impulse applied to the velocities
    float z_before = 0;                       // the limit impulse the reduced solve started from
    bool reduced = false;
  };
  void solve_velocity_full(b2Velocity& a, b2Velocity& b);
  bool solve_velocity_again(b2Velocity& a, b2Velocity& b);
  PassCache cache_;
};

class LunarLanderLegs {
 public:
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
  // Velocity passes run in full and repeated by the shortcut, so far.
  std::int64_t full_passes() const { return joints_[0].full_passes + joints_[1].full_passes + retired_full_; }
  std::int64_t repeated_passes() const {
    return joints_[0].repeated_passes + joints_[1].repeated_passes + retired_repeated_;
  }

 private:
  Revolute23 joints_[2];
  bool shortcut_ = true;
  std::int64_t retired_full_ = 0, retired_repeated_ = 0;  // counts of joints already destroyed
};

}  // namespace arena
