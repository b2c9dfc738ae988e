// The lander's physics world: Box2D 2.3's world step, as Gymnasium's
// pybox2d runs it, on plain data, for LunarLander's bodies only.
//
// LunarLander's world is small and fixed: a static ground of edges, the hull
// and two legs (dynamic polygons that collide with the ground only), and two
// revolute joints between hull and legs. This class runs Box2D's algorithms,
// in Box2D's order and with its float arithmetic, on arrays sized for this
// world (no linked lists, virtual calls, allocation or profiling timers):
//   - the broad-phase: fat boxes (2.3's margins and displacement
//     prediction), new pairs in proxy order, each once;
//   - contacts: created, updated, matched for warm starting and destroyed
//     as b2ContactManager does, with begin/end events; 2.3's edge-polygon
//     manifolds (box2d23.h);
//   - islands: the depth-first search over contacts and joints, then the
//     island solver (velocities, warm-started contact and joint velocity
//     iterations, positions, position iterations with early exit, sleep);
//   - the contact solver: friction, one-point and two-point block normal
//     solves, position correction;
//   - continuous collision: the time of impact of each body with the ground,
//     solved as sub-steps as b2World::SolveTOI does.
// Where Debian's libbox2d 2.4.1 computes what 2.3 computes (polygon set-up,
// bounding boxes, distance, time of impact, clipping, world manifolds) its
// functions are used; where 2.4 changed the arithmetic, 2.3's is here or in
// box2d23.h
// (velocity integration, polygon mass, the edge-polygon manifold, the
// broad-phase, sleep timing). The joints are solved with Box2D 2.3's
// revolute algorithm (revolute23.h), and LunarLanderLegs solves a
// contact-free step's joint iterations at once.
//
// Measured against Gymnasium's recorded episodes (tests/data/lunar_lander.jsonl)
// with every velocity iteration run: every observation before the first
// ground contact is Gymnasium's bit for bit, and 7 of 12 episodes are bit
// for bit to their end; the other 5 part by a few ulps in the step after a
// time-of-impact event, for a reason not found (libbox2d's time of impact,
// distance and separation code is 2.3's line for line).
#pragma once

#include <box2d/box2d.h>

#include <array>
#include <cstdint>

#include "envs/box2d/lunar_lander_legs.h"

namespace arena {

class LunarLanderWorld {
 public:
  // The bodies, in the order Gymnasium creates them.
  enum BodyId { kGround = 0, kHull = 1, kLeg0 = 2, kLeg1 = 3 };
  static constexpr int kBodies = 4;
  static constexpr int kMaxEdges = 12;
  static constexpr int kMaxContacts = kMaxEdges * (kBodies - 1);

  // Told when a body starts or stops touching the ground.
  struct Listener {
    virtual ~Listener() = default;
    virtual void begin_contact(int body) = 0;
    virtual void end_contact(int body) = 0;
  };

  explicit LunarLanderWorld(b2Vec2 gravity);
  LunarLanderWorld(const LunarLanderWorld&) = delete;
  LunarLanderWorld& operator=(const LunarLanderWorld&) = delete;

  void set_listener(Listener* listener) { listener_ = listener; }

  // Removes every body, fixture and contact (no events): the world is as new
  // (Gymnasium builds a new one per episode).
  void clear();
  // Building an episode, in Gymnasium's order: the ground's edge fixtures,
  // then the hull, then each leg with its joint (its bodyA is the hull). At
  // most kMaxEdges edges (std::length_error beyond).
  void add_edge(b2Vec2 v1, b2Vec2 v2, float friction);
  void add_body(BodyId id, b2Vec2 position, float angle, const b2PolygonShape& shape, float density, float friction);
  void add_leg_joint(int leg, const b2RevoluteJointDef& def);

  // Box2D's b2Body::ApplyForceToCenter / ApplyTorque / ApplyLinearImpulse
  // (waking the body).
  void apply_force_to_center(BodyId id, b2Vec2 force);
  void apply_torque(BodyId id, float torque);
  void apply_linear_impulse(BodyId id, b2Vec2 impulse, b2Vec2 point);

  // One world step (b2World::Step with warm starting, continuous physics and sleep).
  void step(float dt, int velocity_iterations, int position_iterations);

  const b2Transform& transform(BodyId id) const { return bodies_[id].xf; }
  b2Vec2 position(BodyId id) const { return bodies_[id].xf.p; }
  float angle(BodyId id) const { return bodies_[id].sweep.a; }
  b2Vec2 linear_velocity(BodyId id) const { return bodies_[id].v; }
  float angular_velocity(BodyId id) const { return bodies_[id].w; }
  bool awake(BodyId id) const { return bodies_[id].awake; }
  const b2PolygonShape& shape(BodyId id) const { return bodies_[id].shape; }

  LunarLanderLegs& legs() { return legs_; }
  const LunarLanderLegs& legs() const { return legs_; }
  // Impacts solved as time-of-impact sub-steps, so far.
  std::int64_t toi_events() const { return toi_events_; }

 private:
  static b2PolygonShape empty_polygon() {
    b2PolygonShape p;
    for (int i = 0; i < b2_maxPolygonVertices; ++i) p.m_vertices[i] = p.m_normals[i] = b2Vec2(0, 0);
    return p;
  }

  struct Body {
    bool exists = false;
    bool dynamic = false;
    b2Transform xf;
    b2Sweep sweep{};
    b2Vec2 v{0, 0};
    float w = 0;
    b2Vec2 force{0, 0};
    float torque = 0;
    float mass = 0, inv_mass = 0, inertia = 0, inv_inertia = 0;
    float sleep_time = 0;
    bool awake = false;
    bool island_flag = false;
    int island_index = 0;
    b2PolygonShape shape = empty_polygon();  // dynamic bodies: their one fixture
    float friction = 0;
    // Contacts with this body, newest first (Box2D's contact edge list).
    std::array<std::uint8_t, kMaxContacts> contacts{};
    int contact_count = 0;
  };

  struct Contact {
    int edge = 0;  // fixture A: a ground edge
    int body = 0;  // fixture B: a dynamic body's polygon
    b2Manifold manifold{};
    float friction = 0, restitution = 0, restitution_threshold = 0;
    bool enabled = true, touching = false, island_flag = false, toi_flag = false;
    int toi_count = 0;
    float toi = 1;
  };

  // One contact in the solver (b2ContactVelocityConstraint and
  // b2ContactPositionConstraint together).
  struct Constraint {
    struct Point {
      b2Vec2 rA{0, 0}, rB{0, 0};
      float normal_impulse = 0, tangent_impulse = 0, normal_mass = 0, tangent_mass = 0, velocity_bias = 0;
    };
    Point points[b2_maxManifoldPoints];
    b2Vec2 normal{0, 0};
    b2Mat22 normal_mass, K;
    int index_a = 0, index_b = 0;
    float inv_mass_a = 0, inv_mass_b = 0, inv_i_a = 0, inv_i_b = 0;
    float friction = 0, restitution = 0, threshold = 0;
    int point_count = 0;  // may drop to 1 (a redundant pair of points)
    int contact = 0;
    // Positions.
    b2Vec2 local_points[b2_maxManifoldPoints];
    b2Vec2 local_normal{0, 0}, local_point{0, 0};
    b2Vec2 local_center_a{0, 0}, local_center_b{0, 0};
    b2Manifold::Type type = b2Manifold::e_circles;
    float radius_a = 0, radius_b = 0;
    int position_point_count = 0;
  };

  // The broad-phase (Box2D 2.3's b2BroadPhase and b2DynamicTree, which this
  // world is small enough to search exhaustively): proxy p is edge p for
  // p < kMaxEdges, else body p - kMaxEdges + 1; numbered in creation order,
  // as 2.3's tree numbers its leaves in a new world.
  static constexpr int kProxies = kMaxEdges + kBodies - 1;
  static constexpr int proxy_of_body(int body) { return kMaxEdges + body - 1; }
  void create_proxy(int proxy, const b2AABB& aabb);
  void move_proxy(int proxy, const b2AABB& aabb, b2Vec2 displacement);
  bool test_overlap(int proxy_a, int proxy_b) const { return b2TestOverlap(fat_[proxy_a], fat_[proxy_b]); }
  bool proxy_exists(int proxy) const {
    return proxy < kMaxEdges ? proxy < edge_count_ : bodies_[proxy - kMaxEdges + 1].exists;
  }
  // b2BroadPhase::UpdatePairs: the pairs of moved proxies, sorted, each once,
  // to add_pair (b2ContactManager::AddPair).
  void find_new_contacts();
  void add_pair(int proxy_a, int proxy_b);
  void collide();
  void update_contact(int c);
  void destroy_contact(int list_position);
  void solve(const b2TimeStep& step);
  void solve_island(const b2TimeStep& step);
  void solve_toi(const b2TimeStep& step);
  void solve_toi_island(const b2TimeStep& sub_step, int toi_index_a, int toi_index_b);
  void integrate_positions(float h);
  void store_island_bodies();
  void synchronize_fixtures(Body& b);
  void synchronize_transform(Body& b);
  void advance(Body& b, float alpha);
  void set_awake(Body& b, bool flag);

  // The contact solver over the island's contacts.
  void init_constraints(const b2TimeStep& step);
  void init_velocity_constraints();
  void warm_start();
  void solve_velocity_constraints();
  void store_impulses();
  bool solve_position_constraints();
  bool solve_toi_position_constraints(int toi_index_a, int toi_index_b);

  b2Vec2 gravity_;
  Listener* listener_ = nullptr;
  std::array<b2AABB, kProxies> fat_{};
  std::array<std::uint8_t, kProxies> move_buffer_{};
  int move_count_ = 0;
  std::array<std::uint16_t, kProxies * kProxies> pairs_{};  // proxy_a * kProxies + proxy_b
  bool new_contacts_ = false;
  float inv_dt0_ = 0;
  std::int64_t toi_events_ = 0;

  std::array<Body, kBodies> bodies_{};
  std::array<b2EdgeShape, kMaxEdges> edges_{};
  std::array<float, kMaxEdges> edge_friction_{};
  int edge_count_ = 0;

  LunarLanderLegs legs_;
  bool joint_exists_[2] = {false, false};
  bool joint_island_flag_[2] = {false, false};

  // Contacts: slots, and the world's list of slots, newest first.
  std::array<Contact, kMaxContacts> contacts_{};
  std::array<bool, kMaxContacts> slot_used_{};
  std::array<std::uint8_t, kMaxContacts> list_{};
  int list_count_ = 0;

  // The island being solved.
  std::array<int, kBodies> island_bodies_{};
  int island_body_count_ = 0;
  std::array<int, kMaxContacts> island_contacts_{};
  int island_contact_count_ = 0;
  int island_joints_[2] = {0, 0};
  int island_joint_count_ = 0;
  std::array<b2Position, kBodies> positions_{};
  std::array<b2Velocity, kBodies> velocities_{};
  std::array<Constraint, kMaxContacts> constraints_{};
  int constraint_count_ = 0;
};

}  // namespace arena
