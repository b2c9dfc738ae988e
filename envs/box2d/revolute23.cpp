#include "envs/box2d/revolute23.h"

#include <bit>
#include <cstdint>
#include <new>

namespace arena {

namespace {

bool same(float a, float b) { return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b); }
bool same(const b2Velocity& a, const b2Velocity& b) {
  return same(a.v.x, b.v.x) && same(a.v.y, b.v.y) && same(a.w, b.w);
}

}  // namespace

// 2.3's InitVelocityConstraints; the anchors' arms as 2.4.1 computes them,
// which is 2.3's arithmetic.
void Revolute23::init_velocity(const b2TimeStep& step, const Bodies& bodies, const b2Position* p, b2Velocity* v) {
  cache_.valid = false;
  index_a = bodies.index_a;
  index_b = bodies.index_b;
  local_center_a = bodies.local_center_a;
  local_center_b = bodies.local_center_b;
  mA = bodies.inv_mass_a;
  mB = bodies.inv_mass_b;
  iA = bodies.inv_i_a;
  iB = bodies.inv_i_b;
  const float aA = p[index_a].a, aB = p[index_b].a;
  const b2Rot qA(aA), qB(aB);
  rA = b2Mul(qA, local_anchor_a - local_center_a);
  rB = b2Mul(qB, local_anchor_b - local_center_b);

  fixed_rotation = (iA + iB == 0.0f);
  K.ex.x = mA + mB + rA.y * rA.y * iA + rB.y * rB.y * iB;
  K.ey.x = -rA.y * rA.x * iA - rB.y * rB.x * iB;
  K.ez.x = -rA.y * iA - rB.y * iB;
  K.ex.y = K.ey.x;
  K.ey.y = mA + mB + rA.x * rA.x * iA + rB.x * rB.x * iB;
  K.ez.y = rA.x * iA + rB.x * iB;
  K.ex.z = K.ez.x;
  K.ey.z = K.ez.y;
  K.ez.z = iA + iB;
  motor_mass = iA + iB;
  if (motor_mass > 0.0f) motor_mass = 1.0f / motor_mass;
  motor = enable_motor;
  limit = enable_limit;
  max_motor_impulse = step.dt * max_motor_torque;
  if (!motor || fixed_rotation) motor_impulse = 0.0f;

  if (limit && !fixed_rotation) {
    const float joint_angle = aB - aA - reference_angle;
    if (b2Abs(upper_angle - lower_angle) < 2.0f * b2_angularSlop) {
      state = kEqual;
    } else if (joint_angle <= lower_angle) {
      if (state != kAtLower) impulse.z = 0.0f;
      state = kAtLower;
    } else if (joint_angle >= upper_angle) {
      if (state != kAtUpper) impulse.z = 0.0f;
      state = kAtUpper;
    } else {
      state = kInactive;
      impulse.z = 0.0f;
    }
  } else {
    state = kInactive;
  }

  b2Velocity& a = v[index_a];
  b2Velocity& b = v[index_b];
  if (step.warmStarting) {
    impulse *= step.dtRatio;
    motor_impulse *= step.dtRatio;
    const b2Vec2 P(impulse.x, impulse.y);
    a.v -= mA * P;
    a.w -= iA * (b2Cross(rA, P) + motor_impulse + impulse.z);
    b.v += mB * P;
    b.w += iB * (b2Cross(rB, P) + motor_impulse + impulse.z);
  } else {
    impulse.SetZero();
    motor_impulse = 0.0f;
  }
}

// 2.3's position pass: the angle limit first (with slop, bounded), then the point.
bool Revolute23::solve_position(b2Position* p) const {
  b2Vec2 cA = p[index_a].c, cB = p[index_b].c;
  float aA = p[index_a].a, aB = p[index_b].a;
  float angular_error = 0.0f;

  if (limit && state != kInactive && !fixed_rotation) {
    const float angle = aB - aA - reference_angle;
    float limit_impulse = 0.0f;
    if (state == kEqual) {
      const float C = b2Clamp(angle - lower_angle, -b2_maxAngularCorrection, b2_maxAngularCorrection);
      limit_impulse = -motor_mass * C;
      angular_error = b2Abs(C);
    } else if (state == kAtLower) {
      float C = angle - lower_angle;
      angular_error = -C;
      C = b2Clamp(C + b2_angularSlop, -b2_maxAngularCorrection, 0.0f);
      limit_impulse = -motor_mass * C;
    } else {
      float C = angle - upper_angle;
      angular_error = C;
      C = b2Clamp(C - b2_angularSlop, 0.0f, b2_maxAngularCorrection);
      limit_impulse = -motor_mass * C;
    }
    aA -= iA * limit_impulse;
    aB += iB * limit_impulse;
  }

  const b2Rot qA(aA), qB(aB);
  const b2Vec2 ra = b2Mul(qA, local_anchor_a - local_center_a);
  const b2Vec2 rb = b2Mul(qB, local_anchor_b - local_center_b);
  const b2Vec2 C = cB + rb - cA - ra;
  const float position_error = C.Length();
  b2Mat22 k;
  k.ex.x = mA + mB + iA * ra.y * ra.y + iB * rb.y * rb.y;
  k.ex.y = -iA * ra.x * ra.y - iB * rb.x * rb.y;
  k.ey.x = k.ex.y;
  k.ey.y = mA + mB + iA * ra.x * ra.x + iB * rb.x * rb.x;
  const b2Vec2 imp = -k.Solve(C);
  cA -= mA * imp;
  aA -= iA * b2Cross(ra, imp);
  cB += mB * imp;
  aB += iB * b2Cross(rb, imp);

  p[index_a].c = cA;
  p[index_a].a = aA;
  p[index_b].c = cB;
  p[index_b].a = aB;
  return position_error <= b2_linearSlop && angular_error <= b2_angularSlop;
}

// The pass again on the same velocities: everything that reaches the
// velocities is the same as last time unless the accumulated impulses change
// a decision (the motor's clamp, the limit's side, the reduced solve's input).
// Those are checked; the accumulators are updated exactly as the full pass
// would; the velocities take last time's results. False: run the full pass.
bool Revolute23::solve_velocity_again(b2Velocity& a, b2Velocity& b) {
  const PassCache& c = cache_;
  if (!c.valid || !same(a, c.in_a) || !same(b, c.in_b)) return false;
  float new_motor = motor_impulse;
  if (motor && state != kEqual && !fixed_rotation) {
    new_motor = b2Clamp(motor_impulse + c.motor_step, -max_motor_impulse, max_motor_impulse);
    if (!same(new_motor - motor_impulse, c.motor_applied)) return false;
  }
  if (limit && state != kInactive && !fixed_rotation) {
    if (state == kEqual) {
      impulse += c.block;
    } else {
      const float new_impulse = impulse.z + c.block.z;
      const bool reduced = (state == kAtLower && new_impulse < 0.0f) || (state == kAtUpper && new_impulse > 0.0f);
      if (reduced != c.reduced || (reduced && !same(impulse.z, c.z_before))) return false;
      if (reduced) {
        impulse.x += c.block.x;
        impulse.y += c.block.y;
        impulse.z = 0.0f;
      } else {
        impulse += c.block;
      }
    }
  } else {
    impulse.x += c.block.x;
    impulse.y += c.block.y;
  }
  motor_impulse = new_motor;
  a = c.out_a;
  b = c.out_b;
  return true;
}

void Revolute23::solve_velocity(b2Velocity* v) {
  b2Velocity& a = v[index_a];
  b2Velocity& b = v[index_b];
  if (shortcut && solve_velocity_again(a, b)) {
    ++repeated_passes;
  } else {
    solve_velocity_full(a, b);
    ++full_passes;
  }
}


// See lunar_lander_legs.h (converged iterations). From the last pass (input
// velocities in, a motor step, the motor's applied impulse, the block's
// impulse), in exact arithmetic: each later pass gets the same velocities, so the same motor
// step; the motor accumulates until its clamp, after which it applies
// nothing; the limit's angular impulse takes the block's less whatever the
// motor applies beyond its last pass (the block solve cancels it, since K's
// third column is the motor's effect on the constraint velocities); the
// point's impulses repeat. The limit impulse is piecewise linear in the pass
// count (one kink, where the motor clamps), so checking its side at the kink
// and at the end checks every pass.
bool Revolute23::plan_converged(int passes, Advance& out) const {
  const PassCache& c = cache_;
  if (!c.valid || c.reduced) return false;
  // The pass must leave its velocities as it found them, up to rounding.
  if (!settled(c.out_a, c.in_a) || !settled(c.out_b, c.in_b)) return false;
  const float n = static_cast<float>(passes);
  out.motor_impulse = motor_impulse;
  int unclamped = passes;  // passes before the motor's clamp
  if (motor && state != kEqual && !fixed_rotation && c.motor_step != 0.0f) {
    const float target = motor_impulse + n * c.motor_step;
    out.motor_impulse = b2Clamp(target, -max_motor_impulse, max_motor_impulse);
    if (out.motor_impulse != target) {
      const float room = (c.motor_step > 0 ? max_motor_impulse : -max_motor_impulse) - motor_impulse;
      unclamped = b2Clamp(static_cast<int>(room / c.motor_step), 0, passes);
    }
  }
  out.impulse = impulse + n * c.block;
  if (!(limit && state != kInactive && !fixed_rotation)) {
    // Without the limit nothing cancels the motor: only a pass that applies
    // no impulse at all repeats.
    return c.motor_applied == 0.0f && c.block.x == 0.0f && c.block.y == 0.0f && c.block.z == 0.0f &&
           out.motor_impulse == motor_impulse;
  }
  if (state == kEqual) return true;
  // Motor's applied impulse beyond the last pass's, accumulated.
  const float extra = (out.motor_impulse - motor_impulse) - n * c.motor_applied;
  out.impulse.z -= extra;
  // The limit holds (pushes away from its side) at the kink and at the end.
  const float at_kink = impulse.z + static_cast<float>(unclamped) * c.block.z;
  auto holds = [this](float z) { return state == kAtLower ? z >= 0.0f : z <= 0.0f; };
  return holds(at_kink) && holds(out.impulse.z);
}

}  // namespace arena
