// Revolute joints solved as Box2D 2.3 solves them, inside Box2D 2.4.1.
//
// Gymnasium runs pybox2d 2.3.10 (Box2D 2.3). Box2D 2.4 rewrote the revolute
// joint's limit (separate lower/upper impulses, speculative limits, another
// position correction). Joints that live on their limits move differently
// under it: LunarLander's legs start outside theirs and their motors press
// them against them, and replayed Gymnasium LunarLander episodes part by up to
// ~1e-2 in the observation before any ground contact, and landed landers did
// not come to rest (the +100 ending) where Gymnasium's did. With 2.3's solver
// they agree to ~1e-6 until the ground is touched, and mostly to the end.
//
// Box2D 2.4.1 has no user joint types: the world creates a b2RevoluteJoint,
// which is then replaced in place by a subclass of the same size that
// overrides the solver hooks (revolute23.cpp). The 2.3 state of each joint is
// a Revolute23, reached through the joint's user data; its owner keeps it
// alive as long as the joint.
//
// Speed: Gymnasium steps its worlds with 6*30 velocity iterations, and the
// joints' velocity passes are a serial chain of dependent float operations.
// An exact shortcut: a pass whose input velocities are bit for bit those of
// its previous pass repeats its previous results once the decisions that
// depend on the accumulated impulses (the motor's clamp, the limit's side)
// are checked to be the same, and only updates the accumulators. Each joint
// belongs to a group (Revolute23Group) that runs its passes and may solve a
// whole step's at once (lunar_lander_legs.h).
#pragma once

#include <box2d/box2d.h>

#include <cstdint>

namespace arena {

class Revolute23Group;

// One revolute joint with Box2D 2.3's velocity solver (motor; the point and a
// one-sided angle limit as one 3x3 block, else the point alone), on plain
// data. Everything but the accumulated impulses is refreshed every step.
struct Revolute23 {
  enum LimitState : std::uint8_t { kInactive, kAtLower, kAtUpper, kEqual };

  Revolute23Group* group = nullptr;  // the group that solves this joint's passes, and its place there
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

// Joints whose passes are solved together (lunar_lander_legs.h). The world
// calls init_step() for each joint in the island's order, then, unless
// step_solved(), solve_velocity() for each joint and iteration.
class Revolute23Group {
 public:
  virtual ~Revolute23Group() = default;
  virtual void init_step(int which, bool touching) = 0;
  virtual void solve_velocity(int which, b2Velocity* v, int iterations) = 0;
  bool step_solved() const { return step_solved_; }

 protected:
  bool step_solved_ = false;
};

// Velocities within float noise of each other (a few ulps of the larger).
bool settled(const b2Velocity& now, const b2Velocity& before);

// Creates a revolute joint in `world` from `def` (its userData is taken
// over) solved as Box2D 2.3 does, on `state` (reset here; it must outlive the
// joint, which dies with its bodies); `group` solves its passes, the joint
// being its number `which`.
b2RevoluteJoint* create_revolute23(b2World& world, b2RevoluteJointDef def, Revolute23& state, Revolute23Group& group,
                                   int which);

}  // namespace arena
