#include "envs/box2d/revolute23.h"

#include <bit>
#include <cstdint>
#include <new>

namespace arena {

// A b2RevoluteJoint whose solver hooks run Box2D 2.3's algorithm on the
// Revolute23 its user data points to. It adds no data members: it is
// constructed in the block the world allocated for the b2RevoluteJoint it
// replaces, and the world frees that block as a b2RevoluteJoint's.
class RevoluteJoint23 final : public b2RevoluteJoint {
 public:
  static b2RevoluteJoint* create(b2World& world, const b2RevoluteJointDef& def) {
    static_assert(sizeof(RevoluteJoint23) == sizeof(b2RevoluteJoint));
    b2Joint* joint = world.CreateJoint(&def);
    // What CreateJoint linked: the world's joint list (the new joint is its
    // head) and both bodies' joint-edge lists (the new edges are their heads).
    b2Joint* const next = joint->GetNext();
    const b2JointEdge edge_a = *def.bodyA->GetJointList();
    const b2JointEdge edge_b = *def.bodyB->GetJointList();
    auto* j = new (joint) RevoluteJoint23(&def);  // the same address: the links stay valid
    j->m_next = next;
    j->m_edgeA = edge_a;
    j->m_edgeB = edge_b;
    return j;
  }

 private:
  explicit RevoluteJoint23(const b2RevoluteJointDef* def) : b2RevoluteJoint(def) {}
  Revolute23& solver() const { return *reinterpret_cast<Revolute23*>(m_userData.pointer); }

  void InitVelocityConstraints(const b2SolverData& data) override {
    // 2.4.1's own initialisation computes what 2.3's computes the same way
    // (island indices, centres, inverse masses and inertias, rA, rB), which a
    // subclass cannot read from the bodies; without warm starting it leaves
    // the velocities alone. Its own impulses are not used.
    b2SolverData cold = data;
    cold.step.warmStarting = false;
    b2RevoluteJoint::InitVelocityConstraints(cold);

    Revolute23& s = solver();
    s.begin_step();
    s.index_a = m_indexA;
    s.index_b = m_indexB;
    s.mA = m_invMassA;
    s.mB = m_invMassB;
    s.iA = m_invIA;
    s.iB = m_invIB;
    s.rA = m_rA;
    s.rB = m_rB;
    const float mA = s.mA, mB = s.mB, iA = s.iA, iB = s.iB;
    const b2Vec2 rA = s.rA, rB = s.rB;
    s.fixed_rotation = (iA + iB == 0.0f);
    s.K.ex.x = mA + mB + rA.y * rA.y * iA + rB.y * rB.y * iB;
    s.K.ey.x = -rA.y * rA.x * iA - rB.y * rB.x * iB;
    s.K.ez.x = -rA.y * iA - rB.y * iB;
    s.K.ex.y = s.K.ey.x;
    s.K.ey.y = mA + mB + rA.x * rA.x * iA + rB.x * rB.x * iB;
    s.K.ez.y = rA.x * iA + rB.x * iB;
    s.K.ex.z = s.K.ez.x;
    s.K.ey.z = s.K.ez.y;
    s.K.ez.z = iA + iB;
    s.motor_mass = iA + iB;
    if (s.motor_mass > 0.0f) s.motor_mass = 1.0f / s.motor_mass;
    s.motor = m_enableMotor;
    s.limit = m_enableLimit;
    s.motor_speed = m_motorSpeed;
    s.max_motor_impulse = data.step.dt * m_maxMotorTorque;
    if (!s.motor || s.fixed_rotation) s.motor_impulse = 0.0f;

    if (s.limit && !s.fixed_rotation) {
      const float joint_angle = data.positions[m_indexB].a - data.positions[m_indexA].a - m_referenceAngle;
      if (b2Abs(m_upperAngle - m_lowerAngle) < 2.0f * b2_angularSlop) {
        s.state = Revolute23::kEqual;
      } else if (joint_angle <= m_lowerAngle) {
        if (s.state != Revolute23::kAtLower) s.impulse.z = 0.0f;
        s.state = Revolute23::kAtLower;
      } else if (joint_angle >= m_upperAngle) {
        if (s.state != Revolute23::kAtUpper) s.impulse.z = 0.0f;
        s.state = Revolute23::kAtUpper;
      } else {
        s.state = Revolute23::kInactive;
        s.impulse.z = 0.0f;
      }
    } else {
      s.state = Revolute23::kInactive;
    }

    b2Velocity& a = data.velocities[m_indexA];
    b2Velocity& b = data.velocities[m_indexB];
    if (data.step.warmStarting) {
      s.impulse *= data.step.dtRatio;
      s.motor_impulse *= data.step.dtRatio;
      const b2Vec2 P(s.impulse.x, s.impulse.y);
      a.v -= mA * P;
      a.w -= iA * (b2Cross(rA, P) + s.motor_impulse + s.impulse.z);
      b.v += mB * P;
      b.w += iB * (b2Cross(rB, P) + s.motor_impulse + s.impulse.z);
    } else {
      s.impulse.SetZero();
      s.motor_impulse = 0.0f;
    }
    s.group->init_step(s.which, touching(m_bodyA) || touching(m_bodyB));
  }

  void SolveVelocityConstraints(const b2SolverData& data) override {
    Revolute23& s = solver();
    if (!s.group->step_solved()) s.group->solve_velocity(s.which, data.velocities, data.step.velocityIterations);
  }

  // A contact of `body` that the world's island solver includes.
  static bool touching(b2Body* body) {
    for (b2ContactEdge* e = body->GetContactList(); e != nullptr; e = e->next)
      if (e->contact->IsEnabled() && e->contact->IsTouching()) return true;
    return false;
  }

  // 2.3's position pass: the angle limit first (with slop, bounded), then the point.
  bool SolvePositionConstraints(const b2SolverData& data) override {
    const Revolute23& s = solver();
    b2Vec2 cA = data.positions[m_indexA].c, cB = data.positions[m_indexB].c;
    float aA = data.positions[m_indexA].a, aB = data.positions[m_indexB].a;
    b2Rot qA(aA), qB(aB);
    float angular_error = 0.0f;
    const bool fixed_rotation = (m_invIA + m_invIB == 0.0f);

    if (s.limit && s.state != Revolute23::kInactive && !fixed_rotation) {
      const float angle = aB - aA - m_referenceAngle;
      float limit_impulse = 0.0f;
      if (s.state == Revolute23::kEqual) {
        const float C = b2Clamp(angle - m_lowerAngle, -b2_maxAngularCorrection, b2_maxAngularCorrection);
        limit_impulse = -s.motor_mass * C;
        angular_error = b2Abs(C);
      } else if (s.state == Revolute23::kAtLower) {
        float C = angle - m_lowerAngle;
        angular_error = -C;
        C = b2Clamp(C + b2_angularSlop, -b2_maxAngularCorrection, 0.0f);
        limit_impulse = -s.motor_mass * C;
      } else {
        float C = angle - m_upperAngle;
        angular_error = C;
        C = b2Clamp(C - b2_angularSlop, 0.0f, b2_maxAngularCorrection);
        limit_impulse = -s.motor_mass * C;
      }
      aA -= m_invIA * limit_impulse;
      aB += m_invIB * limit_impulse;
    }

    qA.Set(aA);
    qB.Set(aB);
    const b2Vec2 rA = b2Mul(qA, m_localAnchorA - m_localCenterA);
    const b2Vec2 rB = b2Mul(qB, m_localAnchorB - m_localCenterB);
    const b2Vec2 C = cB + rB - cA - rA;
    const float position_error = C.Length();
    const float mA = m_invMassA, mB = m_invMassB, iA = m_invIA, iB = m_invIB;
    b2Mat22 K;
    K.ex.x = mA + mB + iA * rA.y * rA.y + iB * rB.y * rB.y;
    K.ex.y = -iA * rA.x * rA.y - iB * rB.x * rB.y;
    K.ey.x = K.ex.y;
    K.ey.y = mA + mB + iA * rA.x * rA.x + iB * rB.x * rB.x;
    const b2Vec2 impulse = -K.Solve(C);
    cA -= mA * impulse;
    aA -= iA * b2Cross(rA, impulse);
    cB += mB * impulse;
    aB += iB * b2Cross(rB, impulse);

    data.positions[m_indexA].c = cA;
    data.positions[m_indexA].a = aA;
    data.positions[m_indexB].c = cB;
    data.positions[m_indexB].a = aB;
    return position_error <= b2_linearSlop && angular_error <= b2_angularSlop;
  }
};

namespace {

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

bool same(float a, float b) { return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b); }
bool same(const b2Velocity& a, const b2Velocity& b) {
  return same(a.v.x, b.v.x) && same(a.v.y, b.v.y) && same(a.w, b.w);
}

}  // namespace

// The pass in full, remembering what the cache needs.
void Revolute23::solve_velocity_full(b2Velocity& a, b2Velocity& b) {
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
    b2Vec3 imp = -solve33(K, b2Vec3(Cdot1.x, Cdot1.y, Cdot2));
    c.block = imp;
    c.z_before = impulse.z;
    c.reduced = false;
    if (state == kEqual) {
      impulse += imp;
    } else {
      const float new_impulse = impulse.z + imp.z;
      if ((state == kAtLower && new_impulse < 0.0f) || (state == kAtUpper && new_impulse > 0.0f)) {
        const b2Vec2 rhs = -Cdot1 + impulse.z * b2Vec2(K.ez.x, K.ez.y);
        const b2Vec2 reduced = solve22(K, rhs);
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
    const b2Vec2 imp = solve22(K, -Cdot);
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

bool settled(const b2Velocity& now, const b2Velocity& before) {
  constexpr float kNoise = 32 * b2_epsilon;
  auto close = [](float a, float b) { return b2Abs(a - b) <= kNoise * b2Max(1.0f, b2Max(b2Abs(a), b2Abs(b))); };
  return close(now.v.x, before.v.x) && close(now.v.y, before.v.y) && close(now.w, before.w);
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

b2RevoluteJoint* create_revolute23(b2World& world, b2RevoluteJointDef def, Revolute23& state, Revolute23Group& group,
                                   int which) {
  const bool shortcut = state.shortcut;
  state = Revolute23{};
  state.shortcut = shortcut;
  state.group = &group;
  state.which = which;
  def.userData.pointer = reinterpret_cast<uintptr_t>(&state);
  return RevoluteJoint23::create(world, def);
}

}  // namespace arena
