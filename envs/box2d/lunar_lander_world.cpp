#include "envs/box2d/lunar_lander_world.h"

#include <box2d/b2_time_of_impact.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "envs/box2d/box2d23.h"

// Every expression that computes a float below keeps the operand order of
// the Box2D 2.3 code it stands for (b2World, b2Island, b2ContactManager,
// b2Contact, b2ContactSolver, b2Body, b2Fixture, b2BroadPhase): float
// arithmetic is not associative, and the results must be Box2D's bit for
// bit. The library is built with -ffp-contract=off, so no multiply-add is
// fused either.

namespace arena {

namespace {

// The body list of Box2D's world: the newest body first.
constexpr int kWorldBodyOrder[LunarLanderWorld::kBodies] = {LunarLanderWorld::kLeg1, LunarLanderWorld::kLeg0,
                                                            LunarLanderWorld::kHull, LunarLanderWorld::kGround};

}  // namespace

LunarLanderWorld::LunarLanderWorld(b2Vec2 gravity) : gravity_(gravity) {
  bodies_[kGround].xf.SetIdentity();
}

void LunarLanderWorld::clear() {
  // As a new world: Gymnasium builds one per episode.
  move_count_ = 0;
  edge_count_ = 0;
  for (Body& b : bodies_) b = Body{};
  bodies_[kGround].xf.SetIdentity();
  bodies_[kGround].exists = true;
  slot_used_.fill(false);
  list_count_ = 0;
  joint_exists_[0] = joint_exists_[1] = false;
  legs_.reset(0);
  legs_.reset(1);
  new_contacts_ = false;
}

void LunarLanderWorld::add_edge(b2Vec2 v1, b2Vec2 v2, float friction) {
  if (edge_count_ == kMaxEdges) throw std::length_error("LunarLanderWorld: more than 12 ground edges");
  const int i = edge_count_++;
  edges_[i].SetTwoSided(v1, v2);
  edge_friction_[i] = friction;
  b2AABB aabb;
  edges_[i].ComputeAABB(&aabb, bodies_[kGround].xf, 0);
  create_proxy(i, aabb);
  new_contacts_ = true;
}

void LunarLanderWorld::add_body(BodyId id, b2Vec2 position, float angle, const b2PolygonShape& shape, float density,
                                float friction) {
  Body& b = bodies_[id];
  b = Body{};
  b.exists = true;
  b.dynamic = true;
  b.awake = true;
  b.xf.p = position;
  b.xf.q.Set(angle);
  b.sweep.localCenter.SetZero();
  b.sweep.c0 = b.xf.p;
  b.sweep.c = b.xf.p;
  b.sweep.a0 = angle;
  b.sweep.a = angle;
  b.sweep.alpha0 = 0.0f;
  b.shape = shape;
  b.friction = friction;
  // b2Body::CreateFixture: the proxy at the body's transform, then the mass.
  b2AABB aabb;
  b.shape.ComputeAABB(&aabb, b.xf, 0);
  create_proxy(proxy_of_body(id), aabb);
  new_contacts_ = true;
  // b2Body::ResetMassData with one fixture.
  const b2MassData mass_data = box2d23::polygon_mass(b.shape, density);
  b.mass = 0.0f;
  b.mass += mass_data.mass;
  b2Vec2 local_center = b2Vec2_zero;
  local_center += mass_data.mass * mass_data.center;
  b.inertia = 0.0f;
  b.inertia += mass_data.I;
  if (b.mass > 0.0f) {
    b.inv_mass = 1.0f / b.mass;
    local_center *= b.inv_mass;
  }
  if (b.inertia > 0.0f) {
    b.inertia -= b.mass * b2Dot(local_center, local_center);
    b.inv_inertia = 1.0f / b.inertia;
  } else {
    b.inertia = 0.0f;
    b.inv_inertia = 0.0f;
  }
  const b2Vec2 old_center = b.sweep.c;
  b.sweep.localCenter = local_center;
  b.sweep.c0 = b.sweep.c = b2Mul(b.xf, b.sweep.localCenter);
  b.v += b2Cross(b.w, b.sweep.c - old_center);
}

void LunarLanderWorld::add_leg_joint(int leg, const b2RevoluteJointDef& def) {
  Revolute23& j = legs_.joint(leg);
  j.local_anchor_a = def.localAnchorA;
  j.local_anchor_b = def.localAnchorB;
  j.reference_angle = def.referenceAngle;
  j.lower_angle = def.lowerAngle;
  j.upper_angle = def.upperAngle;
  j.max_motor_torque = def.maxMotorTorque;
  j.motor_speed = def.motorSpeed;
  j.enable_motor = def.enableMotor;
  j.enable_limit = def.enableLimit;
  joint_exists_[leg] = true;
}

// b2Body::SetAwake as 2.3 has it: waking an awake body keeps its sleep timer.
void LunarLanderWorld::set_awake(Body& b, bool flag) {
  if (!b.dynamic) return;
  if (flag) {
    if (!b.awake) {
      b.awake = true;
      b.sleep_time = 0.0f;
    }
  } else {
    b.awake = false;
    b.sleep_time = 0.0f;
    b.v.SetZero();
    b.w = 0.0f;
    b.force.SetZero();
    b.torque = 0.0f;
  }
}

void LunarLanderWorld::apply_force_to_center(BodyId id, b2Vec2 force) {
  Body& b = bodies_[id];
  if (!b.awake) set_awake(b, true);
  b.force += force;
}

void LunarLanderWorld::apply_torque(BodyId id, float torque) {
  Body& b = bodies_[id];
  if (!b.awake) set_awake(b, true);
  b.torque += torque;
}

void LunarLanderWorld::apply_linear_impulse(BodyId id, b2Vec2 impulse, b2Vec2 point) {
  Body& b = bodies_[id];
  if (!b.awake) set_awake(b, true);
  b.v += b.inv_mass * impulse;
  b.w += b.inv_inertia * b2Cross(point - b.sweep.c, impulse);
}

void LunarLanderWorld::synchronize_transform(Body& b) {
  b.xf.q.Set(b.sweep.a);
  b.xf.p = b.sweep.c - b2Mul(b.xf.q, b.sweep.localCenter);
}

void LunarLanderWorld::advance(Body& b, float alpha) {
  b.sweep.Advance(alpha);
  b.sweep.c = b.sweep.c0;
  b.sweep.a = b.sweep.a0;
  synchronize_transform(b);
}

// b2Body::SynchronizeFixtures and b2Fixture::Synchronize: the proxy covers
// the body's sweep over the step.
void LunarLanderWorld::synchronize_fixtures(Body& b) {
  b2Transform xf1;  // 2.3: from the sweep's start, asleep or not
  xf1.q.Set(b.sweep.a0);
  xf1.p = b.sweep.c0 - b2Mul(xf1.q, b.sweep.localCenter);
  b2AABB aabb1, aabb2, aabb;
  b.shape.ComputeAABB(&aabb1, xf1, 0);
  b.shape.ComputeAABB(&aabb2, b.xf, 0);
  aabb.Combine(aabb1, aabb2);
  const b2Vec2 displacement = b.xf.p - xf1.p;  // 2.3: the origin's displacement
  move_proxy(proxy_of_body(static_cast<int>(&b - bodies_.data())), aabb, displacement);
}

// ------------------------------------------------------------ broad-phase

void LunarLanderWorld::create_proxy(int proxy, const b2AABB& aabb) {
  const b2Vec2 r(b2_aabbExtension, b2_aabbExtension);
  fat_[proxy].lowerBound = aabb.lowerBound - r;
  fat_[proxy].upperBound = aabb.upperBound + r;
  move_buffer_[move_count_++] = static_cast<std::uint8_t>(proxy);
}

// 2.3's b2DynamicTree::MoveProxy: a proxy whose fat box still holds the
// shape stays; else its new fat box is the shape's, extended by
// b2_aabbExtension and by twice the displacement in its direction.
void LunarLanderWorld::move_proxy(int proxy, const b2AABB& aabb, b2Vec2 displacement) {
  if (fat_[proxy].Contains(aabb)) return;
  b2AABB b = aabb;
  const b2Vec2 r(b2_aabbExtension, b2_aabbExtension);
  b.lowerBound = b.lowerBound - r;
  b.upperBound = b.upperBound + r;
  const b2Vec2 d = 2.0f * displacement;  // 2.3's b2_aabbMultiplier
  if (d.x < 0.0f)
    b.lowerBound.x += d.x;
  else
    b.upperBound.x += d.x;
  if (d.y < 0.0f)
    b.lowerBound.y += d.y;
  else
    b.upperBound.y += d.y;
  fat_[proxy] = b;
  move_buffer_[move_count_++] = static_cast<std::uint8_t>(proxy);
}

void LunarLanderWorld::find_new_contacts() {
  int pair_count = 0;
  for (int m = 0; m < move_count_; ++m) {
    const int query = move_buffer_[m];
    for (int p = 0; p < kProxies; ++p) {
      if (p == query || !proxy_exists(p) || !b2TestOverlap(fat_[p], fat_[query])) continue;
      pairs_[pair_count++] = static_cast<std::uint16_t>(b2Min(p, query) * kProxies + b2Max(p, query));
    }
  }
  move_count_ = 0;
  std::sort(pairs_.begin(), pairs_.begin() + pair_count);
  for (int i = 0; i < pair_count; ++i) {
    if (i > 0 && pairs_[i] == pairs_[i - 1]) continue;
    add_pair(pairs_[i] / kProxies, pairs_[i] % kProxies);
  }
}

// ------------------------------------------------------------ contacts

// b2ContactManager::AddPair. `proxy_a` < `proxy_b`.
void LunarLanderWorld::add_pair(int proxy_a, int proxy_b) {
  // Two ground edges belong to one body; the hull and the legs never collide
  // with each other (their joints and their collision filters say so).
  if (proxy_a >= kMaxEdges || proxy_b < kMaxEdges) return;
  const int edge = proxy_a;
  const int body = proxy_b - kMaxEdges + 1;
  Body& b = bodies_[body];
  for (int k = 0; k < b.contact_count; ++k)
    if (contacts_[b.contacts[k]].edge == edge) return;  // the contact exists

  int slot = 0;
  while (slot_used_[slot]) ++slot;
  slot_used_[slot] = true;
  Contact& c = contacts_[slot];
  c = Contact{};
  c.edge = edge;
  c.body = body;
  c.friction = b2MixFriction(edge_friction_[edge], b.friction);
  c.restitution = b2MixRestitution(0.0f, 0.0f);
  c.restitution_threshold = b2MixRestitutionThreshold(1.0f * b2_lengthUnitsPerMeter, 1.0f * b2_lengthUnitsPerMeter);
  c.manifold.pointCount = 0;
  // The head of the world's list and of the body's.
  std::memmove(&list_[1], &list_[0], static_cast<std::size_t>(list_count_));
  list_[0] = static_cast<std::uint8_t>(slot);
  ++list_count_;
  std::memmove(&b.contacts[1], &b.contacts[0], static_cast<std::size_t>(b.contact_count));
  b.contacts[0] = static_cast<std::uint8_t>(slot);
  ++b.contact_count;
}

void LunarLanderWorld::destroy_contact(int list_position) {
  const int slot = list_[list_position];
  Contact& c = contacts_[slot];
  if (listener_ != nullptr && c.touching) listener_->end_contact(c.body);
  std::memmove(&list_[list_position], &list_[list_position + 1], static_cast<std::size_t>(list_count_ - list_position - 1));
  --list_count_;
  Body& b = bodies_[c.body];
  int k = 0;
  while (b.contacts[k] != slot) ++k;
  std::memmove(&b.contacts[k], &b.contacts[k + 1], static_cast<std::size_t>(b.contact_count - k - 1));
  --b.contact_count;
  slot_used_[slot] = false;
}

// b2Contact::Update: a new manifold, warm-started from the old one's
// matching points; begin/end events.
void LunarLanderWorld::update_contact(int slot) {
  Contact& c = contacts_[slot];
  const b2Manifold old_manifold = c.manifold;
  c.enabled = true;
  const bool was_touching = c.touching;
  const Body& ground = bodies_[kGround];
  Body& body = bodies_[c.body];
  box2d23::collide_edge_and_polygon(&c.manifold, edges_[c.edge], ground.xf, body.shape, body.xf);
  const bool touching = c.manifold.pointCount > 0;
  for (int i = 0; i < c.manifold.pointCount; ++i) {
    b2ManifoldPoint* mp2 = c.manifold.points + i;
    mp2->normalImpulse = 0.0f;
    mp2->tangentImpulse = 0.0f;
    const b2ContactID id2 = mp2->id;
    for (int j = 0; j < old_manifold.pointCount; ++j) {
      const b2ManifoldPoint* mp1 = old_manifold.points + j;
      if (mp1->id.key == id2.key) {
        mp2->normalImpulse = mp1->normalImpulse;
        mp2->tangentImpulse = mp1->tangentImpulse;
        break;
      }
    }
  }
  if (touching != was_touching) set_awake(body, true);  // the ground is static: it stays as it is
  c.touching = touching;
  if (listener_ != nullptr) {
    if (!was_touching && touching) listener_->begin_contact(c.body);
    if (was_touching && !touching) listener_->end_contact(c.body);
  }
}

// b2ContactManager::Collide: contacts whose fat boxes parted are destroyed,
// the others updated.
void LunarLanderWorld::collide() {
  int i = 0;
  while (i < list_count_) {
    const int slot = list_[i];
    const Contact& c = contacts_[slot];
    // The ground is static: the contact is active while its body is awake.
    if (!bodies_[c.body].awake) {
      ++i;
      continue;
    }
    if (!test_overlap(c.edge, proxy_of_body(c.body))) {
      destroy_contact(i);
      continue;
    }
    update_contact(slot);
    ++i;
  }
}

// ------------------------------------------------------------ the world step

void LunarLanderWorld::step(float dt, int velocity_iterations, int position_iterations) {
  if (new_contacts_) {
    find_new_contacts();
    new_contacts_ = false;
  }
  b2TimeStep step;
  step.dt = dt;
  step.velocityIterations = velocity_iterations;
  step.positionIterations = position_iterations;
  step.inv_dt = dt > 0.0f ? 1.0f / dt : 0.0f;
  step.dtRatio = inv_dt0_ * dt;
  step.warmStarting = true;

  collide();
  if (step.dt > 0.0f) {
    solve(step);
    solve_toi(step);
    inv_dt0_ = step.inv_dt;
  }
  for (Body& b : bodies_) {
    b.force.SetZero();
    b.torque = 0.0f;
  }
}

// b2World::Solve: the islands by depth-first search from each awake body in
// the world's body order, then the broad-phase.
void LunarLanderWorld::solve(const b2TimeStep& step) {
  for (Body& b : bodies_) b.island_flag = false;
  for (int i = 0; i < list_count_; ++i) contacts_[list_[i]].island_flag = false;
  joint_island_flag_[0] = joint_island_flag_[1] = false;

  for (const int seed : kWorldBodyOrder) {
    Body& s = bodies_[seed];
    if (!s.exists || s.island_flag || !s.awake || !s.dynamic) continue;
    island_body_count_ = 0;
    island_contact_count_ = 0;
    island_joint_count_ = 0;
    int stack[kBodies];
    int stack_count = 0;
    stack[stack_count++] = seed;
    s.island_flag = true;
    while (stack_count > 0) {
      const int id = stack[--stack_count];
      Body& b = bodies_[id];
      b.island_index = island_body_count_;
      island_bodies_[island_body_count_++] = id;
      if (!b.dynamic) continue;  // islands do not spread through the ground
      b.awake = true;
      for (int k = 0; k < b.contact_count; ++k) {
        const int slot = b.contacts[k];
        Contact& c = contacts_[slot];
        if (c.island_flag || !c.enabled || !c.touching) continue;
        island_contacts_[island_contact_count_++] = slot;
        c.island_flag = true;
        Body& ground = bodies_[kGround];
        if (ground.island_flag) continue;
        stack[stack_count++] = kGround;
        ground.island_flag = true;
      }
      // The body's joint edges, newest first: the hull has leg 1's joint
      // before leg 0's; each leg has its own.
      int joints[2];
      int joint_count = 0;
      if (id == kHull) {
        for (const int leg : {1, 0})
          if (joint_exists_[leg]) joints[joint_count++] = leg;
      } else if (joint_exists_[id - kLeg0]) {
        joints[joint_count++] = id - kLeg0;
      }
      for (int k = 0; k < joint_count; ++k) {
        const int leg = joints[k];
        if (joint_island_flag_[leg]) continue;
        const int other = id == kHull ? kLeg0 + leg : static_cast<int>(kHull);
        island_joints_[island_joint_count_++] = leg;
        joint_island_flag_[leg] = true;
        if (bodies_[other].island_flag) continue;
        stack[stack_count++] = other;
        bodies_[other].island_flag = true;
      }
    }
    solve_island(step);
    for (int i = 0; i < island_body_count_; ++i) {
      Body& b = bodies_[island_bodies_[i]];
      if (!b.dynamic) b.island_flag = false;
    }
  }

  for (const int id : kWorldBodyOrder) {
    Body& b = bodies_[id];
    if (!b.island_flag || !b.dynamic) continue;
    synchronize_fixtures(b);
  }
  find_new_contacts();
}

// b2Island::Solve.
void LunarLanderWorld::solve_island(const b2TimeStep& step) {
  const float h = step.dt;
  for (int i = 0; i < island_body_count_; ++i) {
    Body& b = bodies_[island_bodies_[i]];
    const b2Vec2 c = b.sweep.c;
    const float a = b.sweep.a;
    b2Vec2 v = b.v;
    float w = b.w;
    b.sweep.c0 = b.sweep.c;
    b.sweep.a0 = b.sweep.a;
    if (b.dynamic) {
      // Gravity and forces, as 2.3 rounds them (2.4 multiplies gravity by the
      // mass and divides it again). No damping: Box2D's factor is exactly 1.
      v += h * (1.0f * gravity_ + b.inv_mass * b.force);
      w += h * b.inv_inertia * b.torque;
    }
    positions_[i].c = c;
    positions_[i].a = a;
    velocities_[i].v = v;
    velocities_[i].w = w;
  }

  init_constraints(step);
  init_velocity_constraints();
  warm_start();
  for (int k = 0; k < island_joint_count_; ++k) {
    const int leg = island_joints_[k];
    const Body& hull = bodies_[kHull];
    const Body& leg_body = bodies_[kLeg0 + leg];
    Revolute23::Bodies jb;
    jb.index_a = hull.island_index;
    jb.index_b = leg_body.island_index;
    jb.local_center_a = hull.sweep.localCenter;
    jb.local_center_b = leg_body.sweep.localCenter;
    jb.inv_mass_a = hull.inv_mass;
    jb.inv_mass_b = leg_body.inv_mass;
    jb.inv_i_a = hull.inv_inertia;
    jb.inv_i_b = leg_body.inv_inertia;
    legs_.joint(leg).init_velocity(step, jb, positions_.data(), velocities_.data());
  }

  if (constraint_count_ == 0 && island_joint_count_ == 2) {
    // Only the joints: LunarLanderLegs solves all iterations at once.
    legs_.solve_step(island_joints_[0], island_joints_[1], velocities_.data(), step.velocityIterations);
  } else {
    for (int i = 0; i < step.velocityIterations; ++i) {
      for (int k = 0; k < island_joint_count_; ++k) legs_.joint(island_joints_[k]).solve_velocity(velocities_.data());
      solve_velocity_constraints();
    }
  }
  store_impulses();

  integrate_positions(h);

  bool position_solved = false;
  for (int i = 0; i < step.positionIterations; ++i) {
    const bool contacts_okay = solve_position_constraints();
    bool joints_okay = true;
    for (int k = 0; k < island_joint_count_; ++k) {
      const bool joint_okay = legs_.joint(island_joints_[k]).solve_position(positions_.data());
      joints_okay = joints_okay && joint_okay;
    }
    if (contacts_okay && joints_okay) {
      position_solved = true;
      break;
    }
  }

  store_island_bodies();

  float min_sleep_time = b2_maxFloat;
  const float lin_tol_sqr = b2_linearSleepTolerance * b2_linearSleepTolerance;
  const float ang_tol_sqr = b2_angularSleepTolerance * b2_angularSleepTolerance;
  for (int i = 0; i < island_body_count_; ++i) {
    Body& b = bodies_[island_bodies_[i]];
    if (!b.dynamic) continue;
    if (b.w * b.w > ang_tol_sqr || b2Dot(b.v, b.v) > lin_tol_sqr) {
      b.sleep_time = 0.0f;
      min_sleep_time = 0.0f;
    } else {
      b.sleep_time += h;
      min_sleep_time = b2Min(min_sleep_time, b.sleep_time);
    }
  }
  if (min_sleep_time >= b2_timeToSleep && position_solved) {
    for (int i = 0; i < island_body_count_; ++i) set_awake(bodies_[island_bodies_[i]], false);
  }
}

// The island's positions over `h`, at velocities capped to b2_maxTranslation
// and b2_maxRotation a step.
void LunarLanderWorld::integrate_positions(float h) {
  for (int i = 0; i < island_body_count_; ++i) {
    b2Vec2 c = positions_[i].c;
    float a = positions_[i].a;
    b2Vec2 v = velocities_[i].v;
    float w = velocities_[i].w;
    const b2Vec2 translation = h * v;
    if (b2Dot(translation, translation) > b2_maxTranslationSquared) {
      const float ratio = b2_maxTranslation / translation.Length();
      v *= ratio;
    }
    const float rotation = h * w;
    if (rotation * rotation > b2_maxRotationSquared) {
      const float ratio = b2_maxRotation / b2Abs(rotation);
      w *= ratio;
    }
    c += h * v;
    a += h * w;
    positions_[i].c = c;
    positions_[i].a = a;
    velocities_[i].v = v;
    velocities_[i].w = w;
  }
}

// The island's positions and velocities back into its bodies.
void LunarLanderWorld::store_island_bodies() {
  for (int i = 0; i < island_body_count_; ++i) {
    Body& b = bodies_[island_bodies_[i]];
    b.sweep.c = positions_[i].c;
    b.sweep.a = positions_[i].a;
    b.v = velocities_[i].v;
    b.w = velocities_[i].w;
    synchronize_transform(b);
  }
}

// b2World::SolveTOI: each body's first impact with the ground within the
// step, earliest first, solved as a sub-step of the body against the ground.
void LunarLanderWorld::solve_toi(const b2TimeStep& step) {
  for (Body& b : bodies_) {
    b.island_flag = false;
    b.sweep.alpha0 = 0.0f;
  }
  for (int i = 0; i < list_count_; ++i) {
    Contact& c = contacts_[list_[i]];
    c.toi_flag = false;
    c.island_flag = false;
    c.toi_count = 0;
    c.toi = 1.0f;
  }

  for (;;) {
    int min_contact = -1;
    float min_alpha = 1.0f;
    for (int i = 0; i < list_count_; ++i) {
      const int slot = list_[i];
      Contact& c = contacts_[slot];
      if (!c.enabled) continue;
      if (c.toi_count > b2_maxSubSteps) continue;
      float alpha = 1.0f;
      if (c.toi_flag) {
        alpha = c.toi;
      } else {
        Body& bA = bodies_[kGround];
        Body& bB = bodies_[c.body];
        if (!bB.awake) continue;  // the ground is never active
        // Put the sweeps onto the same time interval.
        float alpha0 = bA.sweep.alpha0;
        if (bA.sweep.alpha0 < bB.sweep.alpha0) {
          alpha0 = bB.sweep.alpha0;
          bA.sweep.Advance(alpha0);
        } else if (bB.sweep.alpha0 < bA.sweep.alpha0) {
          alpha0 = bA.sweep.alpha0;
          bB.sweep.Advance(alpha0);
        }
        b2TOIInput input;
        input.proxyA.Set(&edges_[c.edge], 0);
        input.proxyB.Set(&bB.shape, 0);
        input.sweepA = bA.sweep;
        input.sweepB = bB.sweep;
        input.tMax = 1.0f;
        b2TOIOutput output;
        b2TimeOfImpact(&output, &input);  // libbox2d's: 2.3's algorithm and arithmetic
        const float beta = output.t;
        if (output.state == b2TOIOutput::e_touching) {
          alpha = b2Min(alpha0 + (1.0f - alpha0) * beta, 1.0f);
        } else {
          alpha = 1.0f;
        }
        c.toi = alpha;
        c.toi_flag = true;
      }
      if (alpha < min_alpha) {
        min_contact = slot;
        min_alpha = alpha;
      }
    }
    if (min_contact < 0 || 1.0f - 10.0f * b2_epsilon < min_alpha) break;

    Contact& mc = contacts_[min_contact];
    Body& bA = bodies_[kGround];
    Body& bB = bodies_[mc.body];
    const b2Sweep backup1 = bA.sweep;
    const b2Sweep backup2 = bB.sweep;
    advance(bA, min_alpha);
    advance(bB, min_alpha);
    update_contact(min_contact);
    mc.toi_flag = false;
    ++mc.toi_count;
    if (!mc.enabled || !mc.touching) {
      mc.enabled = false;
      bA.sweep = backup1;
      bB.sweep = backup2;
      synchronize_transform(bA);
      synchronize_transform(bB);
      continue;
    }
    set_awake(bA, true);
    set_awake(bB, true);
    ++toi_events_;

    // The island: the ground, the body, and the body's other contacts with
    // the ground that touch at the time of impact.
    island_body_count_ = 0;
    island_contact_count_ = 0;
    bA.island_index = island_body_count_;
    island_bodies_[island_body_count_++] = kGround;
    bB.island_index = island_body_count_;
    island_bodies_[island_body_count_++] = mc.body;
    island_contacts_[island_contact_count_++] = min_contact;
    bA.island_flag = true;
    bB.island_flag = true;
    mc.island_flag = true;
    for (int k = 0; k < bB.contact_count; ++k) {
      if (island_contact_count_ == b2_maxTOIContacts) break;
      const int slot = bB.contacts[k];
      Contact& c = contacts_[slot];
      if (c.island_flag) continue;
      // The other body is the ground, already in the island: it is not
      // advanced, so there is nothing to restore.
      update_contact(slot);
      if (!c.enabled || !c.touching) continue;
      c.island_flag = true;
      island_contacts_[island_contact_count_++] = slot;
    }

    b2TimeStep sub_step;
    sub_step.dt = (1.0f - min_alpha) * step.dt;
    sub_step.inv_dt = 1.0f / sub_step.dt;
    sub_step.dtRatio = 1.0f;
    sub_step.positionIterations = 20;
    sub_step.velocityIterations = step.velocityIterations;
    sub_step.warmStarting = false;
    solve_toi_island(sub_step, bA.island_index, bB.island_index);

    for (int i = 0; i < island_body_count_; ++i) {
      Body& b = bodies_[island_bodies_[i]];
      b.island_flag = false;
      if (!b.dynamic) continue;
      synchronize_fixtures(b);
      for (int k = 0; k < b.contact_count; ++k) {
        Contact& c = contacts_[b.contacts[k]];
        c.toi_flag = false;
        c.island_flag = false;
      }
    }
    find_new_contacts();
  }
}

// b2Island::SolveTOI.
void LunarLanderWorld::solve_toi_island(const b2TimeStep& sub_step, int toi_index_a, int toi_index_b) {
  for (int i = 0; i < island_body_count_; ++i) {
    const Body& b = bodies_[island_bodies_[i]];
    positions_[i].c = b.sweep.c;
    positions_[i].a = b.sweep.a;
    velocities_[i].v = b.v;
    velocities_[i].w = b.w;
  }
  init_constraints(sub_step);
  for (int i = 0; i < sub_step.positionIterations; ++i)
    if (solve_toi_position_constraints(toi_index_a, toi_index_b)) break;

  bodies_[island_bodies_[toi_index_a]].sweep.c0 = positions_[toi_index_a].c;
  bodies_[island_bodies_[toi_index_a]].sweep.a0 = positions_[toi_index_a].a;
  bodies_[island_bodies_[toi_index_b]].sweep.c0 = positions_[toi_index_b].c;
  bodies_[island_bodies_[toi_index_b]].sweep.a0 = positions_[toi_index_b].a;

  init_velocity_constraints();
  for (int i = 0; i < sub_step.velocityIterations; ++i) solve_velocity_constraints();

  integrate_positions(sub_step.dt);
  store_island_bodies();
}

// ------------------------------------------------------------ contact solver

// b2ContactSolver's constructor: the position-independent parts.
void LunarLanderWorld::init_constraints(const b2TimeStep& step) {
  constraint_count_ = island_contact_count_;
  for (int i = 0; i < constraint_count_; ++i) {
    const Contact& contact = contacts_[island_contacts_[i]];
    const Body& bodyA = bodies_[kGround];
    const Body& bodyB = bodies_[contact.body];
    const b2Manifold& manifold = contact.manifold;
    const int point_count = manifold.pointCount;
    Constraint& k = constraints_[i];
    k.friction = contact.friction;
    k.restitution = contact.restitution;
    k.threshold = contact.restitution_threshold;
    k.index_a = bodyA.island_index;
    k.index_b = bodyB.island_index;
    k.inv_mass_a = bodyA.inv_mass;
    k.inv_mass_b = bodyB.inv_mass;
    k.inv_i_a = bodyA.inv_inertia;
    k.inv_i_b = bodyB.inv_inertia;
    k.contact = island_contacts_[i];
    k.point_count = point_count;
    k.K.SetZero();
    k.normal_mass.SetZero();
    k.local_center_a = bodyA.sweep.localCenter;
    k.local_center_b = bodyB.sweep.localCenter;
    k.local_normal = manifold.localNormal;
    k.local_point = manifold.localPoint;
    k.position_point_count = point_count;
    k.radius_a = edges_[contact.edge].m_radius;
    k.radius_b = bodyB.shape.m_radius;
    k.type = manifold.type;
    for (int j = 0; j < point_count; ++j) {
      const b2ManifoldPoint& cp = manifold.points[j];
      Constraint::Point& p = k.points[j];
      if (step.warmStarting) {
        p.normal_impulse = step.dtRatio * cp.normalImpulse;
        p.tangent_impulse = step.dtRatio * cp.tangentImpulse;
      } else {
        p.normal_impulse = 0.0f;
        p.tangent_impulse = 0.0f;
      }
      p.rA.SetZero();
      p.rB.SetZero();
      p.normal_mass = 0.0f;
      p.tangent_mass = 0.0f;
      p.velocity_bias = 0.0f;
      k.local_points[j] = cp.localPoint;
    }
  }
}

void LunarLanderWorld::init_velocity_constraints() {
  for (int i = 0; i < constraint_count_; ++i) {
    Constraint& k = constraints_[i];
    const float radius_a = k.radius_a, radius_b = k.radius_b;
    const b2Manifold& manifold = contacts_[k.contact].manifold;
    const float mA = k.inv_mass_a, mB = k.inv_mass_b, iA = k.inv_i_a, iB = k.inv_i_b;
    const b2Vec2 cA = positions_[k.index_a].c;
    const float aA = positions_[k.index_a].a;
    const b2Vec2 vA = velocities_[k.index_a].v;
    const float wA = velocities_[k.index_a].w;
    const b2Vec2 cB = positions_[k.index_b].c;
    const float aB = positions_[k.index_b].a;
    const b2Vec2 vB = velocities_[k.index_b].v;
    const float wB = velocities_[k.index_b].w;

    b2Transform xfA, xfB;
    xfA.q.Set(aA);
    xfB.q.Set(aB);
    xfA.p = cA - b2Mul(xfA.q, k.local_center_a);
    xfB.p = cB - b2Mul(xfB.q, k.local_center_b);
    b2WorldManifold world_manifold;
    world_manifold.Initialize(&manifold, xfA, radius_a, xfB, radius_b);
    k.normal = world_manifold.normal;

    for (int j = 0; j < k.point_count; ++j) {
      Constraint::Point& p = k.points[j];
      p.rA = world_manifold.points[j] - cA;
      p.rB = world_manifold.points[j] - cB;
      const float rnA = b2Cross(p.rA, k.normal);
      const float rnB = b2Cross(p.rB, k.normal);
      const float k_normal = mA + mB + iA * rnA * rnA + iB * rnB * rnB;
      p.normal_mass = k_normal > 0.0f ? 1.0f / k_normal : 0.0f;
      const b2Vec2 tangent = b2Cross(k.normal, 1.0f);
      const float rtA = b2Cross(p.rA, tangent);
      const float rtB = b2Cross(p.rB, tangent);
      const float k_tangent = mA + mB + iA * rtA * rtA + iB * rtB * rtB;
      p.tangent_mass = k_tangent > 0.0f ? 1.0f / k_tangent : 0.0f;
      p.velocity_bias = 0.0f;
      const float v_rel = b2Dot(k.normal, vB + b2Cross(wB, p.rB) - vA - b2Cross(wA, p.rA));
      if (v_rel < -k.threshold) p.velocity_bias = -k.restitution * v_rel;
    }

    if (k.point_count == 2) {
      const Constraint::Point& p1 = k.points[0];
      const Constraint::Point& p2 = k.points[1];
      const float rn1A = b2Cross(p1.rA, k.normal);
      const float rn1B = b2Cross(p1.rB, k.normal);
      const float rn2A = b2Cross(p2.rA, k.normal);
      const float rn2B = b2Cross(p2.rB, k.normal);
      const float k11 = mA + mB + iA * rn1A * rn1A + iB * rn1B * rn1B;
      const float k22 = mA + mB + iA * rn2A * rn2A + iB * rn2B * rn2B;
      const float k12 = mA + mB + iA * rn1A * rn2A + iB * rn1B * rn2B;
      const float max_condition_number = 1000.0f;
      if (k11 * k11 < max_condition_number * (k11 * k22 - k12 * k12)) {
        k.K.ex.Set(k11, k12);
        k.K.ey.Set(k12, k22);
        k.normal_mass = k.K.GetInverse();
      } else {
        k.point_count = 1;  // redundant points: one is enough
      }
    }
  }
}

void LunarLanderWorld::warm_start() {
  for (int i = 0; i < constraint_count_; ++i) {
    const Constraint& k = constraints_[i];
    const float mA = k.inv_mass_a, iA = k.inv_i_a, mB = k.inv_mass_b, iB = k.inv_i_b;
    b2Velocity& a = velocities_[k.index_a];  // the ground and a dynamic body: never the same
    b2Velocity& b = velocities_[k.index_b];
    const b2Vec2 normal = k.normal;
    const b2Vec2 tangent = b2Cross(normal, 1.0f);
    for (int j = 0; j < k.point_count; ++j) {
      const Constraint::Point& p = k.points[j];
      const b2Vec2 P = p.normal_impulse * normal + p.tangent_impulse * tangent;
      a.w -= iA * b2Cross(p.rA, P);
      a.v -= mA * P;
      b.w += iB * b2Cross(p.rB, P);
      b.v += mB * P;
    }
  }
}

void LunarLanderWorld::solve_velocity_constraints() {
  for (int i = 0; i < constraint_count_; ++i) {
    Constraint& k = constraints_[i];
    const float mA = k.inv_mass_a, iA = k.inv_i_a, mB = k.inv_mass_b, iB = k.inv_i_b;
    b2Vec2 vA = velocities_[k.index_a].v;
    float wA = velocities_[k.index_a].w;
    b2Vec2 vB = velocities_[k.index_b].v;
    float wB = velocities_[k.index_b].w;
    const b2Vec2 normal = k.normal;
    const b2Vec2 tangent = b2Cross(normal, 1.0f);
    const float friction = k.friction;

    // Friction first: non-penetration matters more.
    for (int j = 0; j < k.point_count; ++j) {
      Constraint::Point& p = k.points[j];
      const b2Vec2 dv = vB + b2Cross(wB, p.rB) - vA - b2Cross(wA, p.rA);
      const float vt = b2Dot(dv, tangent) - 0.0f;  // no tangent speed
      float lambda = p.tangent_mass * (-vt);
      const float max_friction = friction * p.normal_impulse;
      const float new_impulse = b2Clamp(p.tangent_impulse + lambda, -max_friction, max_friction);
      lambda = new_impulse - p.tangent_impulse;
      p.tangent_impulse = new_impulse;
      const b2Vec2 P = lambda * tangent;
      vA -= mA * P;
      wA -= iA * b2Cross(p.rA, P);
      vB += mB * P;
      wB += iB * b2Cross(p.rB, P);
    }

    if (k.point_count == 1) {
      Constraint::Point& p = k.points[0];
      const b2Vec2 dv = vB + b2Cross(wB, p.rB) - vA - b2Cross(wA, p.rA);
      const float vn = b2Dot(dv, normal);
      float lambda = -p.normal_mass * (vn - p.velocity_bias);
      const float new_impulse = b2Max(p.normal_impulse + lambda, 0.0f);
      lambda = new_impulse - p.normal_impulse;
      p.normal_impulse = new_impulse;
      const b2Vec2 P = lambda * normal;
      vA -= mA * P;
      wA -= iA * b2Cross(p.rA, P);
      vB += mB * P;
      wB += iB * b2Cross(p.rB, P);
    } else {
      // Box2D's block solver: the two normal impulses as a 2x2 linear
      // complementarity problem, its four cases tried in order.
      Constraint::Point& cp1 = k.points[0];
      Constraint::Point& cp2 = k.points[1];
      const b2Vec2 a(cp1.normal_impulse, cp2.normal_impulse);
      const b2Vec2 dv1 = vB + b2Cross(wB, cp1.rB) - vA - b2Cross(wA, cp1.rA);
      const b2Vec2 dv2 = vB + b2Cross(wB, cp2.rB) - vA - b2Cross(wA, cp2.rA);
      const float vn1 = b2Dot(dv1, normal);
      const float vn2 = b2Dot(dv2, normal);
      b2Vec2 b;
      b.x = vn1 - cp1.velocity_bias;
      b.y = vn2 - cp2.velocity_bias;
      b -= b2Mul(k.K, a);

      auto apply = [&](const b2Vec2& x) {
        const b2Vec2 d = x - a;
        const b2Vec2 P1 = d.x * normal;
        const b2Vec2 P2 = d.y * normal;
        vA -= mA * (P1 + P2);
        wA -= iA * (b2Cross(cp1.rA, P1) + b2Cross(cp2.rA, P2));
        vB += mB * (P1 + P2);
        wB += iB * (b2Cross(cp1.rB, P1) + b2Cross(cp2.rB, P2));
        cp1.normal_impulse = x.x;
        cp2.normal_impulse = x.y;
      };
      b2Vec2 x = -b2Mul(k.normal_mass, b);  // both points pushing
      if (x.x >= 0.0f && x.y >= 0.0f) {
        apply(x);
      } else {
        x.x = -cp1.normal_mass * b.x;  // the first point alone
        x.y = 0.0f;
        float n2 = k.K.ex.y * x.x + b.y;
        if (x.x >= 0.0f && n2 >= 0.0f) {
          apply(x);
        } else {
          x.x = 0.0f;  // the second point alone
          x.y = -cp2.normal_mass * b.y;
          const float n1 = k.K.ey.x * x.y + b.x;
          if (x.y >= 0.0f && n1 >= 0.0f) {
            apply(x);
          } else {
            x.x = 0.0f;  // neither
            x.y = 0.0f;
            n2 = b.y;
            if (b.x >= 0.0f && n2 >= 0.0f) apply(x);
          }
        }
      }
    }

    velocities_[k.index_a].v = vA;
    velocities_[k.index_a].w = wA;
    velocities_[k.index_b].v = vB;
    velocities_[k.index_b].w = wB;
  }
}

void LunarLanderWorld::store_impulses() {
  for (int i = 0; i < constraint_count_; ++i) {
    const Constraint& k = constraints_[i];
    b2Manifold& manifold = contacts_[k.contact].manifold;
    for (int j = 0; j < k.point_count; ++j) {
      manifold.points[j].normalImpulse = k.points[j].normal_impulse;
      manifold.points[j].tangentImpulse = k.points[j].tangent_impulse;
    }
  }
}

namespace {

// b2PositionSolverManifold: the normal, point and separation of one manifold
// point at the current positions.
struct PositionManifold {
  b2Vec2 normal, point;
  float separation;
};

template <typename C>
PositionManifold position_manifold(const C& k, const b2Transform& xfA, const b2Transform& xfB, int index) {
  PositionManifold m;
  switch (k.type) {
    case b2Manifold::e_circles: {
      const b2Vec2 pointA = b2Mul(xfA, k.local_point);
      const b2Vec2 pointB = b2Mul(xfB, k.local_points[0]);
      m.normal = pointB - pointA;
      m.normal.Normalize();
      m.point = 0.5f * (pointA + pointB);
      m.separation = b2Dot(pointB - pointA, m.normal) - k.radius_a - k.radius_b;
      break;
    }
    case b2Manifold::e_faceA: {
      m.normal = b2Mul(xfA.q, k.local_normal);
      const b2Vec2 plane_point = b2Mul(xfA, k.local_point);
      const b2Vec2 clip_point = b2Mul(xfB, k.local_points[index]);
      m.separation = b2Dot(clip_point - plane_point, m.normal) - k.radius_a - k.radius_b;
      m.point = clip_point;
      break;
    }
    case b2Manifold::e_faceB: {
      m.normal = b2Mul(xfB.q, k.local_normal);
      const b2Vec2 plane_point = b2Mul(xfB, k.local_point);
      const b2Vec2 clip_point = b2Mul(xfA, k.local_points[index]);
      m.separation = b2Dot(clip_point - plane_point, m.normal) - k.radius_a - k.radius_b;
      m.point = clip_point;
      m.normal = -m.normal;
      break;
    }
  }
  return m;
}

}  // namespace

// One position pass over the contacts (the main step's, with `baumgarte`
// and every body movable; or a time-of-impact sub-step's, where only the
// two bodies of the impact move).
template <bool kToi>
static bool solve_positions(int count, const auto* constraints, b2Position* positions, int toi_a, int toi_b) {
  float min_separation = 0.0f;
  for (int i = 0; i < count; ++i) {
    const auto& k = constraints[i];
    const int index_a = k.index_a, index_b = k.index_b;
    float mA = k.inv_mass_a, iA = k.inv_i_a, mB = k.inv_mass_b, iB = k.inv_i_b;
    if constexpr (kToi) {
      mA = 0.0f;
      iA = 0.0f;
      if (index_a == toi_a || index_a == toi_b) {
        mA = k.inv_mass_a;
        iA = k.inv_i_a;
      }
      mB = 0.0f;
      iB = 0.0f;
      if (index_b == toi_a || index_b == toi_b) {
        mB = k.inv_mass_b;
        iB = k.inv_i_b;
      }
    }
    b2Vec2 cA = positions[index_a].c;
    float aA = positions[index_a].a;
    b2Vec2 cB = positions[index_b].c;
    float aB = positions[index_b].a;
    for (int j = 0; j < k.position_point_count; ++j) {
      b2Transform xfA, xfB;
      xfA.q.Set(aA);
      xfB.q.Set(aB);
      xfA.p = cA - b2Mul(xfA.q, k.local_center_a);
      xfB.p = cB - b2Mul(xfB.q, k.local_center_b);
      const PositionManifold m = position_manifold(k, xfA, xfB, j);
      const b2Vec2 rA = m.point - cA;
      const b2Vec2 rB = m.point - cB;
      min_separation = b2Min(min_separation, m.separation);
      const float baumgarte = kToi ? b2_toiBaumgarte : b2_baumgarte;
      const float C = b2Clamp(baumgarte * (m.separation + b2_linearSlop), -b2_maxLinearCorrection, 0.0f);
      const float rnA = b2Cross(rA, m.normal);
      const float rnB = b2Cross(rB, m.normal);
      const float K = mA + mB + iA * rnA * rnA + iB * rnB * rnB;
      const float impulse = K > 0.0f ? -C / K : 0.0f;
      const b2Vec2 P = impulse * m.normal;
      cA -= mA * P;
      aA -= iA * b2Cross(rA, P);
      cB += mB * P;
      aB += iB * b2Cross(rB, P);
    }
    positions[index_a].c = cA;
    positions[index_a].a = aA;
    positions[index_b].c = cB;
    positions[index_b].a = aB;
  }
  return kToi ? min_separation >= -1.5f * b2_linearSlop : min_separation >= -3.0f * b2_linearSlop;
}

bool LunarLanderWorld::solve_position_constraints() {
  return solve_positions<false>(constraint_count_, constraints_.data(), positions_.data(), -1, -1);
}

bool LunarLanderWorld::solve_toi_position_constraints(int toi_index_a, int toi_index_b) {
  return solve_positions<true>(constraint_count_, constraints_.data(), positions_.data(), toi_index_a, toi_index_b);
}

}  // namespace arena
