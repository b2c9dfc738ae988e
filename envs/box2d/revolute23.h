// A revolute joint solved as Box2D 2.3 solves it, on plain data, for the
// LunarLander world (lunar_lander_world.h).
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
// Speed: Gymnasium steps its worlds with 6*30 velocity iterations, and the
// joints' velocity passes are a serial chain of dependent float operations.
// An exact shortcut: a pass whose input velocities are bit for bit those of
// its previous pass repeats its previous results once the decisions that
// depend on the accumulated impulses (the motor's clamp, the limit's side)
// are checked to be the same, and only updates the accumulators. The leg
// joints' owner may also solve a whole step's passes at once
// (lunar_lander_legs.h).
#pragma once

#include <box2d/box2d.h>

#include <cstdint>

namespace arena {

// One revolute joint with Box2D 2.3's velocity solver (motor; the point and a
// one-sided angle limit as one 3x3 block, else the point alone), on plain
// data. Everything but the accumulated impulses is refreshed every step.
struct Revolute23 {
  enum LimitState : std::uint8_t { kInactive, kAtLower, kAtUpper, kEqual };

  // The joint (Box2D's b2RevoluteJointDef, as the joint keeps it).
  b2Vec2 local_anchor_a{0, 0}, local_anchor_b{0, 0};
  float reference_angle = 0, lower_angle = 0, upper_angle = 0;
  float max_motor_torque = 0;
  float motor_speed = 0;
  bool enable_motor = false, enable_limit = false;

  // What the world tells the joint about its two bodies each step.
  struct Bodies {
    int index_a = 0, index_b = 0;  // the bodies' places in the island's arrays
    b2Vec2 local_center_a{0, 0}, local_center_b{0, 0};
    float inv_mass_a = 0, inv_mass_b = 0, inv_i_a = 0, inv_i_b = 0;
  };

  // Per step.
  int index_a = 0, index_b = 0;  // the bodies' places in the island's arrays
  b2Vec2 local_center_a{0, 0}, local_center_b{0, 0};
  float mA = 0, mB = 0, iA = 0, iB = 0;
  b2Vec2 rA{0, 0}, rB{0, 0};
  b2Mat33 K{b2Vec3(0, 0, 0), b2Vec3(0, 0, 0), b2Vec3(0, 0, 0)};  // point + angle effective-mass matrix
  float motor_mass = 0;                                          // 1 / (iA + iB)
  float max_motor_impulse = 0;                                   // dt * max torque
  bool motor = false, limit = false, fixed_rotation = false;
  LimitState state = kInactive;

  // Accumulated impulses, warm-started from step to step.
  b2Vec3 impulse{0, 0, 0};  // point x, point y, limit
  float motor_impulse = 0;

  bool shortcut = true;  // repeat a pass on unchanged velocities cheaply (exact)
  std::int64_t full_passes = 0, repeated_passes = 0, advanced_passes = 0;

  // A new step (2.3's InitVelocityConstraints): the effective masses, the
  // limit's state, and the warm start of the velocities.
  void init_velocity(const b2TimeStep& step, const Bodies& bodies, const b2Position* p, b2Velocity* v);
  // One position pass (2.3's SolvePositionConstraints): true when the errors are within slop.
  bool solve_position(b2Position* p) const;

  // One velocity pass (2.3's b2RevoluteJoint::SolveVelocityConstraints).
  void solve_velocity(b2Velocity* v);
  // The same pass in full, on the joint's two bodies' velocities (inline,
  // for loops that keep the velocities in registers; no counting).
  inline void solve_velocity_full(b2Velocity& a, b2Velocity& b);
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
  bool solve_velocity_again(b2Velocity& a, b2Velocity& b);
  PassCache cache_;
};

namespace revolute23_detail {

// b2Mat33::Solve33 and Solve22 (Box2D's, the same in 2.3 and 2.4.1), inline.
inline b2Vec3 solve33(const b2Mat33& m, const b2Vec3& b) {
  float det = b2Dot(m.ex, b2Cross(m.ey, m.ez));
  if (det != 0.0f) det = 1.0f / det;
  return b2Vec3(det * b2Dot(b, b2Cross(m.ey, m.ez)), det * b2Dot(m.ex, b2Cross(b, m.ez)),
                det * b2Dot(m.ex, b2Cross(m.ey, b)));
}

inline b2Vec2 solve22(const b2Mat33& m, const b2Vec2& b) {
  const float a11 = m.ex.x, a12 = m.ey.x, a21 = m.ex.y, a22 = m.ey.y;
  float det = a11 * a22 - a12 * a21;
  if (det != 0.0f) det = 1.0f / det;
  return b2Vec2(det * (a22 * b.x - a12 * b.y), det * (a11 * b.y - a21 * b.x));
}

}  // namespace revolute23_detail

// The pass in full, remembering what the cache needs.
inline void Revolute23::solve_velocity_full(b2Velocity& a, b2Velocity& b) {
  PassCache& c = cache_;
  c.in_a = a;
  c.in_b = b;
  b2Vec2 vA = a.v, vB = b.v;
  float wA = a.w, wB = b.w;

  if (motor && state != kEqual && !fixed_rotation) {
    const float Cdot = wB - wA - motor_speed;
    float imp = -motor_mass * Cdot;
    c.motor_step = imp;
    const float old_impulse = motor_impulse;
    motor_impulse = b2Clamp(motor_impulse + imp, -max_motor_impulse, max_motor_impulse);
    imp = motor_impulse - old_impulse;
    c.motor_applied = imp;
    wA -= iA * imp;
    wB += iB * imp;
  }

  if (limit && state != kInactive && !fixed_rotation) {
    // The point and the limit together; a one-sided limit only pushes away.
    const b2Vec2 Cdot1 = vB + b2Cross(wB, rB) - vA - b2Cross(wA, rA);
    const float Cdot2 = wB - wA;
    b2Vec3 imp = -revolute23_detail::solve33(K, b2Vec3(Cdot1.x, Cdot1.y, Cdot2));
    c.block = imp;
    c.z_before = impulse.z;
    c.reduced = false;
    if (state == kEqual) {
      impulse += imp;
    } else {
      const float new_impulse = impulse.z + imp.z;
      if ((state == kAtLower && new_impulse < 0.0f) || (state == kAtUpper && new_impulse > 0.0f)) {
        const b2Vec2 rhs = -Cdot1 + impulse.z * b2Vec2(K.ez.x, K.ez.y);
        const b2Vec2 reduced = revolute23_detail::solve22(K, rhs);
        imp.x = reduced.x;
        imp.y = reduced.y;
        imp.z = -impulse.z;
        impulse.x += reduced.x;
        impulse.y += reduced.y;
        impulse.z = 0.0f;
        c.reduced = true;
        c.block = imp;
      } else {
        impulse += imp;
      }
    }
    const b2Vec2 P(imp.x, imp.y);
    vA -= mA * P;
    wA -= iA * (b2Cross(rA, P) + imp.z);
    vB += mB * P;
    wB += iB * (b2Cross(rB, P) + imp.z);
  } else {
    // The point alone.
    const b2Vec2 Cdot = vB + b2Cross(wB, rB) - vA - b2Cross(wA, rA);
    const b2Vec2 imp = revolute23_detail::solve22(K, -Cdot);
    c.block = b2Vec3(imp.x, imp.y, 0.0f);
    impulse.x += imp.x;
    impulse.y += imp.y;
    vA -= mA * imp;
    wA -= iA * b2Cross(rA, imp);
    vB += mB * imp;
    wB += iB * b2Cross(rB, imp);
  }

  a.v = vA;
  a.w = wA;
  b.v = vB;
  b.w = wB;
  c.out_a = a;
  c.out_b = b;
  c.valid = true;
}

// Velocities within float noise of each other (a few ulps of the larger).
inline bool settled(const b2Velocity& now, const b2Velocity& before) {
  constexpr float kNoise = 32 * b2_epsilon;
  auto close = [](float a, float b) { return b2Abs(a - b) <= kNoise * b2Max(1.0f, b2Max(b2Abs(a), b2Abs(b))); };
  return close(now.v.x, before.v.x) && close(now.v.y, before.v.y) && close(now.w, before.w);
}

}  // namespace arena
