// Revolute joints solved as Box2D 2.3 solves them (revolute23.h), inside
// libbox2d 2.4.1's b2World, for BipedalWalker.
//
// Box2D 2.4.1 has no user joint types: the world creates a b2RevoluteJoint,
// which is then replaced in place by a subclass of the same size whose solver
// hooks run Revolute23 on the state its user data points to. The joint's
// setters and getters (motor speed and torque, angle, speed) are 2.4.1's and
// keep working; its own impulses are not used.
#pragma once

#include <box2d/box2d.h>

#include "envs/box2d/revolute23.h"

namespace arena {

// Creates a revolute joint in `world` from `def` (its userData is taken over)
// solved with Box2D 2.3's algorithm on `state`, which is reset here and must
// outlive the joint (which dies with its bodies).
b2RevoluteJoint* create_revolute23_joint(b2World& world, b2RevoluteJointDef def, Revolute23& state);

}  // namespace arena
