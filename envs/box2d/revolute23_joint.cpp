#include "envs/box2d/revolute23_joint.h"

#include <cstdint>
#include <new>

namespace arena {

namespace {

// The replacement joint. It adds no data members: it is constructed in the
// block the world allocated for the b2RevoluteJoint it replaces, and the
// world frees that block as a b2RevoluteJoint's.
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
    // 2.4.1's own initialisation finds what 2.3's finds the same way (island
    // indices, centres, inverse masses and inertias), which a subclass cannot
    // read from the bodies; without warm starting it leaves the velocities
    // alone.
    b2SolverData cold = data;
    cold.step.warmStarting = false;
    b2RevoluteJoint::InitVelocityConstraints(cold);

    Revolute23& s = solver();
    s.local_anchor_a = m_localAnchorA;
    s.local_anchor_b = m_localAnchorB;
    s.reference_angle = m_referenceAngle;
    s.lower_angle = m_lowerAngle;
    s.upper_angle = m_upperAngle;
    s.max_motor_torque = m_maxMotorTorque;
    s.motor_speed = m_motorSpeed;
    s.enable_motor = m_enableMotor;
    s.enable_limit = m_enableLimit;
    Revolute23::Bodies bodies;
    bodies.index_a = m_indexA;
    bodies.index_b = m_indexB;
    bodies.local_center_a = m_localCenterA;
    bodies.local_center_b = m_localCenterB;
    bodies.inv_mass_a = m_invMassA;
    bodies.inv_mass_b = m_invMassB;
    bodies.inv_i_a = m_invIA;
    bodies.inv_i_b = m_invIB;
    s.init_velocity(data.step, bodies, data.positions, data.velocities);
  }

  void SolveVelocityConstraints(const b2SolverData& data) override { solver().solve_velocity(data.velocities); }

  bool SolvePositionConstraints(const b2SolverData& data) override { return solver().solve_position(data.positions); }
};

}  // namespace

b2RevoluteJoint* create_revolute23_joint(b2World& world, b2RevoluteJointDef def, Revolute23& state) {
  const bool shortcut = state.shortcut;
  state = Revolute23{};
  state.shortcut = shortcut;
  def.userData.pointer = reinterpret_cast<uintptr_t>(&state);
  return RevoluteJoint23::create(world, def);
}

}  // namespace arena
