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
// most of a step's time. Two things make them cheap:
//  - An exact shortcut: a pass whose input velocities are bit for bit those of
//    its previous pass repeats its previous results once the decisions that
//    depend on the accumulated impulses (the motor's clamp, the limit's side)
//    are checked to be the same, and only updates the accumulators.
//  - Converged iterations (on by default): while no contact touches the
//    lander or its legs, the world's velocity iterations are the two joints'
//    passes alone, so the first pass of a step runs all of the step's
//    iterations at once. Once a sweep of both joints leaves every velocity
//    within float noise of the previous sweep's (the legs pressed on their
//    limits by motors that are not yet at full torque: the leg's velocity then
//    wanders by a few ulps from pass to pass, so the exact shortcut never
//    applies, while the motor's and the limit's accumulated impulses creep in
//    opposite directions), the remaining iterations keep the velocities and
//    advance the accumulators as the passes would in exact arithmetic: the
//    motor's step and clamp as before; a change in the motor's applied
//    impulse is cancelled by the limit's angular impulse, which is what the
//    3x3 block solve gives (K's third column is the motor's effect on the
//    constraint velocities). Any decision that would move the velocities (the
//    limit letting go, a motor change on a joint whose limit is inactive)
//    drops back to full passes. The results differ from running every pass
//    only at the level of float rounding; replayed Gymnasium episodes agree as
//    before (tests/envs/lunar_lander_test.cpp).
#pragma once

#include <box2d/box2d.h>

#include <cstdint>

namespace arena {

class LunarLanderLegs;

// One revolute joint with Box2D 2.3's velocity solver (motor; the point and a
// one-sided angle limit as one 3x3 block, else the point alone), on plain
// data. Everything but the accumulated impulses is refreshed every step.
struct Revolute23 {
  enum LimitState : std::uint8_t { kInactive, kAtLower, kAtUpper, kEqual };

  LunarLanderLegs* owner = nullptr;  // the pair this joint belongs to, and its place there
  int which = 0;

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
  std::int64_t full_passes = 0, repeated_passes = 0, advanced_passes = 0;

  // One velocity pass (2.3's b2RevoluteJoint::SolveVelocityConstraints).
  void solve_velocity(b2Velocity* v);
  // `passes` converged passes at once: the velocities stay, the accumulated
  // impulses advance as passes from the last pass's input velocities would
  // in exact arithmetic. Returns false and changes nothing when a pass would
  // move the velocities (run the passes then).
  struct Advance {
    float motor_impulse = 0;
    b2Vec3 impulse{0, 0, 0};
  };
  bool plan_converged(int passes, Advance& out) const;
  void commit(const Advance& a, int passes) {
    motor_impulse = a.motor_impulse;
    impulse = a.impulse;
    advanced_passes += passes;
  }
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
  // Called by the joints (lunar_lander_legs.cpp).
  void init_step(int which, bool touching);
  void solve_velocity(int which, b2Velocity* v, int iterations) {
    if (!step_solved_) solve_velocity_slow(which, v, iterations);
  }

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
  const Revolute23& joint(int i) const { return joints_[i]; }
  // Passes advanced as converged, so far.
  std::int64_t advanced_passes() const {
    return joints_[0].advanced_passes + joints_[1].advanced_passes + retired_advanced_;
  }

 private:
  void solve_velocity_slow(int which, b2Velocity* v, int iterations);
  // All of a step's velocity iterations of both joints (no contact in the island).
  void solve_step(b2Velocity* v, int iterations);
  void retire(Revolute23& s);

  Revolute23 joints_[2];
  bool shortcut_ = true;
  bool converged_iterations_ = true;
  // This step: the joints in the island's order, whether a contact touches
  // their bodies, and whether the step's iterations have been solved.
  int order_[2] = {0, 1};
  int initialised_ = 0;
  bool touching_ = false;
  bool step_solved_ = false;
  std::int64_t retired_full_ = 0, retired_repeated_ = 0, retired_advanced_ = 0;  // joints already destroyed
};

}  // namespace arena
