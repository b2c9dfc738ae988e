#include "envs/box2d/bipedal_walker_sim.h"

#include "envs/box2d/revolute23_joint.h"

#include <algorithm>
#include <cmath>

namespace arena {

using namespace bipedal;

namespace {

// Gymnasium's HULL_POLY, in pixels.
constexpr double kHullPoly[5][2] = {{-30, +9}, {+6, +9}, {+34, +1}, {+34, -8}, {-30, -8}};

b2Vec2 vec(double x, double y) { return b2Vec2(static_cast<float>(x), static_cast<float>(y)); }

int sign(double v) { return (v > 0) - (v < 0); }

// Ray i leaves the hull at 1.5 * i / 10 radians from straight down, towards the front.
struct LidarDirections {
  std::array<double, kLidarRays> dx{}, dy{};
  LidarDirections() {
    for (int i = 0; i < kLidarRays; ++i) {
      dx[i] = std::sin(1.5 * i / 10.0) * kLidarRange;
      dy[i] = -std::cos(1.5 * i / 10.0) * kLidarRange;
    }
  }
};
const LidarDirections kLidarDirections;

// The end of lidar ray i from `p1`, as Gymnasium computes it (in double, then float).
b2Vec2 lidar_end(b2Vec2 p1, int i) {
  return vec(static_cast<double>(p1.x) + kLidarDirections.dx[i], static_cast<double>(p1.y) + kLidarDirections.dy[i]);
}

}  // namespace

// Gymnasium's ContactDetector: the hull touching anything ends the game; a
// shin's begin/end contact sets/clears its ground contact flag.
class BipedalWalkerSim::ContactListener : public b2ContactListener {
 public:
  explicit ContactListener(BipedalWalkerSim& sim) : sim_(sim) {}
  void BeginContact(b2Contact* contact) override { update(contact, true); }
  void EndContact(b2Contact* contact) override { update(contact, false); }

 private:
  void update(b2Contact* contact, bool begin) {
    const b2Body* a = contact->GetFixtureA()->GetBody();
    const b2Body* b = contact->GetFixtureB()->GetBody();
    if (begin && (a == sim_.hull_ || b == sim_.hull_)) sim_.game_over_ = true;
    for (int k = 0; k < 2; ++k) {
      const b2Body* shin = sim_.legs_[1 + 2 * k];
      if (a == shin || b == shin) sim_.ground_contact_[k] = begin;
    }
  }
  BipedalWalkerSim& sim_;
};

BipedalWalkerSim::BipedalWalkerSim()
    : world_(std::make_unique<b2World>(b2Vec2(0.0f, -10.0f))),  // pybox2d's default gravity
      listener_(std::make_unique<ContactListener>(*this)) {
  terrain_x_.reserve(kTerrainLength);
  terrain_y_.reserve(kTerrainLength);
  edges_.reserve(kTerrainLength);
  // A hardcore course holds at most a few dozen obstacles of at most 4 blocks.
  blocks_.reserve(256);
  block_shapes_.reserve(256);
  block_x_.reserve(256);
  obstacles_.reserve(64);
  clouds_.reserve(kTerrainLength / 20);
}

BipedalWalkerSim::~BipedalWalkerSim() { destroy_episode(); }

void BipedalWalkerSim::destroy_episode() {
  if (ground_ == nullptr) return;
  world_->SetContactListener(nullptr);  // destroying bodies ends contacts: no events
  for (b2Body*& leg : legs_) {
    world_->DestroyBody(leg);  // and its joints
    leg = nullptr;
  }
  joints_ = {};
  world_->DestroyBody(hull_);
  hull_ = nullptr;
  world_->DestroyBody(ground_);
  ground_ = nullptr;
}

void BipedalWalkerSim::reset(Rng& rng, bool hardcore) {
  destroy_episode();
  world_->SetContactListener(listener_.get());
  game_over_ = false;
  ground_contact_ = {false, false};
  lidar_ = {};

  b2BodyDef ground_def;  // static, at the origin
  ground_ = world_->CreateBody(&ground_def);
  generate_terrain(rng, hardcore);
  generate_clouds(rng);
  build_walker(rng);
}

void BipedalWalkerSim::add_block(const std::array<b2Vec2, 4>& vertices) {
  b2PolygonShape shape;
  shape.Set(vertices.data(), 4);
  b2FixtureDef fd;  // default category 1, mask all
  fd.shape = &shape;
  fd.friction = static_cast<float>(kFriction);
  ground_->CreateFixture(&fd);
  blocks_.push_back({vertices});
  block_shapes_.push_back(shape);
  float lo = vertices[0].x, hi = vertices[0].x;
  for (const b2Vec2& v : vertices) {
    lo = std::min(lo, v.x);
    hi = std::max(hi, v.x);
  }
  block_x_.push_back({lo, hi});
}

// Gymnasium's generator, step by step along the course. Grass is a damped
// random walk of the surface height (flat on the start pad); in hardcore mode
// every grass stretch is followed by a random obstacle: a stump (1 or 2 steps
// square), stairs (3 or 4 steps of 4, up or down) or a pit (3 or 4 wide with
// walls). A "oneshot" step starts a new state: it places the obstacle's
// blocks and keeps the height.
void BipedalWalkerSim::generate_terrain(Rng& rng, bool hardcore) {
  terrain_x_.clear();
  terrain_y_.clear();
  blocks_.clear();
  block_shapes_.clear();
  block_x_.clear();
  obstacles_.clear();
  edges_.clear();

  const double S = kTerrainStep;
  TerrainState state = TerrainState::Grass;
  double velocity = 0.0;
  double y = kTerrainHeight;
  int counter = kTerrainStartpad;
  bool oneshot = false;
  int stair_steps = 0, stair_width = 0, stair_height = 0;
  double original_y = 0;

  for (int i = 0; i < kTerrainLength; ++i) {
    const double x = i * S;
    terrain_x_.push_back(static_cast<float>(x));

    if (state == TerrainState::Grass && !oneshot) {
      velocity = 0.8 * velocity + 0.01 * sign(kTerrainHeight - y);
      if (i > kTerrainStartpad) velocity += rng.uniform(-1, 1) / kScale;
      y += velocity;
    } else if (state == TerrainState::Pit && oneshot) {
      counter = static_cast<int>(rng.integer(3, 4));
      obstacles_.push_back({TerrainState::Pit, i});
      // The near wall, and the far one `counter` steps on.
      for (const int shift : {0, counter})
        add_block({vec(x + shift * S, y), vec(x + S + shift * S, y), vec(x + S + shift * S, y - 4 * S),
                   vec(x + shift * S, y - 4 * S)});
      counter += 2;
      original_y = y;
    } else if (state == TerrainState::Pit && !oneshot) {
      y = original_y;
      if (counter > 1) y -= 4 * S;
    } else if (state == TerrainState::Stump && oneshot) {
      counter = static_cast<int>(rng.integer(1, 2));
      obstacles_.push_back({TerrainState::Stump, i});
      const double side = counter * S;
      add_block({vec(x, y), vec(x + side, y), vec(x + side, y + side), vec(x, y + side)});
    } else if (state == TerrainState::Stairs && oneshot) {
      stair_height = rng.uniform() > 0.5 ? +1 : -1;
      stair_width = static_cast<int>(rng.integer(4, 4));
      stair_steps = static_cast<int>(rng.integer(3, 4));
      obstacles_.push_back({TerrainState::Stairs, i});
      original_y = y;
      for (int s = 0; s < stair_steps; ++s) {
        const double x0 = x + (s * stair_width) * S, x1 = x + ((1 + s) * stair_width) * S;
        const double top = y + (s * stair_height) * S, bottom = y + (-1 + s * stair_height) * S;
        add_block({vec(x0, top), vec(x1, top), vec(x1, bottom), vec(x0, bottom)});
      }
      counter = stair_steps * stair_width;
    } else if (state == TerrainState::Stairs && !oneshot) {
      const int s = stair_steps * stair_width - counter - stair_height;
      const double n = static_cast<double>(s) / stair_width;
      y = original_y + (n * stair_height) * S;
    }

    oneshot = false;
    terrain_y_.push_back(static_cast<float>(y));
    if (--counter == 0) {
      counter = static_cast<int>(rng.integer(kTerrainGrass / 2, kTerrainGrass - 1));
      if (state == TerrainState::Grass && hardcore)
        state = static_cast<TerrainState>(rng.integer(1, 3));
      else
        state = TerrainState::Grass;
      oneshot = true;
    }
  }

  // The surface: one two-sided edge per step.
  for (int i = 0; i + 1 < kTerrainLength; ++i) {
    b2EdgeShape edge;
    edge.SetTwoSided(b2Vec2(terrain_x_[i], terrain_y_[i]), b2Vec2(terrain_x_[i + 1], terrain_y_[i + 1]));
    b2FixtureDef fd;
    fd.shape = &edge;
    fd.friction = static_cast<float>(kFriction);
    fd.filter.categoryBits = kGroundCategory;
    ground_->CreateFixture(&fd);
    edges_.push_back(edge);
  }
}

void BipedalWalkerSim::generate_clouds(Rng& rng) {
  clouds_.clear();
  const double S = kTerrainStep;
  for (int i = 0; i < kTerrainLength / 20; ++i) {
    const double x = rng.uniform(0, kTerrainLength) * S;
    const double y = kViewportH / kScale * 3 / 4;
    Cloud cloud{};
    for (int a = 0; a < 5; ++a) {
      const double px = x + 15 * S * std::sin(3.14 * 2 * a / 5) + rng.uniform(0, 5 * S);
      const double py = y + 5 * S * std::cos(3.14 * 2 * a / 5) + rng.uniform(0, 5 * S);
      cloud.points[a] = vec(px, py);
    }
    cloud.x1 = cloud.x2 = cloud.points[0].x;
    for (const b2Vec2& p : cloud.points) {
      cloud.x1 = std::min(cloud.x1, p.x);
      cloud.x2 = std::max(cloud.x2, p.x);
    }
    clouds_.push_back(cloud);
  }
}

void BipedalWalkerSim::build_walker(Rng& rng) {
  const double init_x = kTerrainStep * kTerrainStartpad / 2;
  const double init_y = kTerrainHeight + 2 * kLegH;

  b2BodyDef bd;
  bd.type = b2_dynamicBody;
  bd.position = vec(init_x, init_y);
  hull_ = world_->CreateBody(&bd);
  b2Vec2 hull_vertices[5];
  for (int k = 0; k < 5; ++k) hull_vertices[k] = vec(kHullPoly[k][0] / kScale, kHullPoly[k][1] / kScale);
  b2PolygonShape hull_shape;
  hull_shape.Set(hull_vertices, 5);
  b2FixtureDef hull_fd;
  hull_fd.shape = &hull_shape;
  hull_fd.density = 5.0f;
  hull_fd.friction = 0.1f;
  hull_fd.restitution = 0.0f;
  hull_fd.filter.categoryBits = kWalkerCategory;
  hull_fd.filter.maskBits = kGroundCategory;
  hull_->CreateFixture(&hull_fd);
  hull_->ApplyForceToCenter(vec(rng.uniform(-kInitialRandom, kInitialRandom), 0), true);

  b2PolygonShape thigh_shape, shin_shape;
  thigh_shape.SetAsBox(static_cast<float>(kLegW / 2), static_cast<float>(kLegH / 2));
  shin_shape.SetAsBox(static_cast<float>(0.8 * kLegW / 2), static_cast<float>(kLegH / 2));
  b2FixtureDef leg_fd;  // friction: the default 0.2
  leg_fd.density = 1.0f;
  leg_fd.restitution = 0.0f;
  leg_fd.filter.categoryBits = kWalkerCategory;
  leg_fd.filter.maskBits = kGroundCategory;

  int k = 0;
  for (const int side : {-1, +1}) {
    bd.position = vec(init_x, init_y - kLegH / 2 - kLegDown);
    bd.angle = static_cast<float>(side * 0.05);
    b2Body* thigh = world_->CreateBody(&bd);
    leg_fd.shape = &thigh_shape;
    thigh->CreateFixture(&leg_fd);

    // pybox2d's joint definitions set the reference angle to the bodies'
    // initial relative angle: +-0.05 at the hips, 0 at the knees.
    b2RevoluteJointDef hip;
    hip.bodyA = hull_;
    hip.bodyB = thigh;
    hip.referenceAngle = thigh->GetAngle() - hull_->GetAngle();
    hip.localAnchorA = vec(0, kLegDown);
    hip.localAnchorB = vec(0, kLegH / 2);
    hip.enableMotor = true;
    hip.enableLimit = true;
    hip.maxMotorTorque = static_cast<float>(kMotorsTorque);
    hip.motorSpeed = static_cast<float>(side);
    hip.lowerAngle = -0.8f;
    hip.upperAngle = 1.1f;
    legs_[k] = thigh;
    joints_[k] = create_revolute23_joint(*world_, hip, joint_solvers_[k]);

    bd.position = vec(init_x, init_y - kLegH * 3 / 2 - kLegDown);
    b2Body* shin = world_->CreateBody(&bd);
    leg_fd.shape = &shin_shape;
    shin->CreateFixture(&leg_fd);

    b2RevoluteJointDef knee;
    knee.bodyA = thigh;
    knee.bodyB = shin;
    knee.referenceAngle = shin->GetAngle() - thigh->GetAngle();
    knee.localAnchorA = vec(0, -kLegH / 2);
    knee.localAnchorB = vec(0, kLegH / 2);
    knee.enableMotor = true;
    knee.enableLimit = true;
    knee.maxMotorTorque = static_cast<float>(kMotorsTorque);
    knee.motorSpeed = 1.0f;
    knee.lowerAngle = -1.6f;
    knee.upperAngle = -0.1f;
    legs_[k + 1] = shin;
    joints_[k + 1] = create_revolute23_joint(*world_, knee, joint_solvers_[k + 1]);
    k += 2;
  }
}

void BipedalWalkerSim::step(std::span<const float, 4> action) {
  static constexpr double kSpeed[4] = {kSpeedHip, kSpeedKnee, kSpeedHip, kSpeedKnee};
  for (int i = 0; i < 4; ++i) {
    const double a = action[i];
    joints_[i]->SetMotorSpeed(static_cast<float>(kSpeed[i] * sign(a)));
    joints_[i]->SetMaxMotorTorque(static_cast<float>(kMotorsTorque * std::clamp(std::abs(a), 0.0, 1.0)));
  }
  // Box2D 2.3 (Gymnasium's pybox2d) wakes a joint's bodies whenever a motor
  // setter is called; 2.4.1 only when the value changes. Wake them as 2.3 does.
  if (!hull_->IsAwake()) hull_->SetAwake(true);
  for (b2Body* leg : legs_)
    if (!leg->IsAwake()) leg->SetAwake(true);

  world_->Step(static_cast<float>(1.0 / kFps), kVelocityIterations, kPositionIterations);
  cast_lidar();
}

void BipedalWalkerSim::shift_walker(float dx, float dy) {
  const b2Vec2 d(dx, dy);
  hull_->SetTransform(hull_->GetPosition() + d, hull_->GetAngle());
  for (b2Body* leg : legs_) leg->SetTransform(leg->GetPosition() + d, leg->GetAngle());
}

// Equivalent to b2World::RayCast with Gymnasium's callback (ignore fixtures
// outside category 1, clip to each hit): the closest hit among the ground
// fixtures, which are the only category-1 fixtures. Only the surface edges
// under the ray's horizontal extent and the blocks overlapping it can be hit.
void BipedalWalkerSim::cast_lidar() {
  const b2Vec2 p1 = hull_->GetPosition();
  const b2Transform identity(b2Vec2(0, 0), b2Rot(0));
  const int last_edge = static_cast<int>(edges_.size()) - 1;
  for (int i = 0; i < kLidarRays; ++i) {
    LidarRay& ray = lidar_[i];
    ray.p1 = p1;
    const b2Vec2 p2 = lidar_end(p1, i);
    b2RayCastInput input;
    input.p1 = p1;
    input.p2 = p2;
    input.maxFraction = 1.0f;
    bool hit = false;
    b2RayCastOutput out;
    const float x_lo = std::min(p1.x, p2.x), x_hi = std::max(p1.x, p2.x);
    const int first = std::max(0, static_cast<int>(std::floor(x_lo / kTerrainStep)) - 1);
    const int last = std::min(last_edge, static_cast<int>(std::floor(x_hi / kTerrainStep)) + 1);
    // Rays 1-9 head right: along the edges (sorted by x) the hits come in
    // order of distance, so once edge e is hit only edge e + 1 (which shares
    // its end vertex) can tie; edges further on are at least a step farther.
    int stop = last;
    for (int e = first; e <= std::min(last, stop); ++e) {
      if (edges_[e].RayCast(&out, input, identity, 0)) {
        input.maxFraction = out.fraction;
        if (!hit && i > 0) stop = e + 1;
        hit = true;
      }
    }
    for (std::size_t b = 0; b < block_shapes_.size(); ++b) {
      if (block_x_[b][1] < x_lo || block_x_[b][0] > x_hi) continue;
      if (block_shapes_[b].RayCast(&out, input, identity, 0)) {
        input.maxFraction = out.fraction;
        hit = true;
      }
    }
    if (hit) {
      const float f = input.maxFraction;
      ray.fraction = f;
      ray.p2 = (1.0f - f) * p1 + f * p2;  // as b2World::RayCast reports the point
    } else {
      ray.fraction = 1.0f;
      ray.p2 = p2;
    }
  }
}

std::array<float, kLidarRays> BipedalWalkerSim::lidar_by_world_raycast() const {
  struct Callback : b2RayCastCallback {
    float fraction = 1.0f;
    float ReportFixture(b2Fixture* fixture, const b2Vec2&, const b2Vec2&, float f) override {
      if ((fixture->GetFilterData().categoryBits & 1) == 0) return -1;
      fraction = f;
      return f;
    }
  };
  std::array<float, kLidarRays> fractions{};
  const b2Vec2 p1 = hull_->GetPosition();
  for (int i = 0; i < kLidarRays; ++i) {
    Callback cb;
    world_->RayCast(&cb, p1, lidar_end(p1, i));
    fractions[i] = cb.fraction;
  }
  return fractions;
}

void BipedalWalkerSim::observation(std::span<float, kObservationSize> out) const {
  const b2Vec2 vel = hull_->GetLinearVelocity();
  const auto f = [](double v) { return static_cast<float>(v); };
  out[0] = hull_->GetAngle();
  out[1] = f(2.0 * hull_->GetAngularVelocity() / kFps);
  out[2] = f(0.3 * vel.x * (kViewportW / kScale) / kFps);
  out[3] = f(0.3 * vel.y * (kViewportH / kScale) / kFps);
  for (int leg = 0; leg < 2; ++leg) {
    const b2RevoluteJoint& hip = *joints_[2 * leg];
    const b2RevoluteJoint& knee = *joints_[2 * leg + 1];
    float* o = out.data() + 4 + 5 * leg;
    o[0] = hip.GetJointAngle();
    o[1] = f(hip.GetJointSpeed() / kSpeedHip);
    o[2] = f(knee.GetJointAngle() + 1.0);
    o[3] = f(knee.GetJointSpeed() / kSpeedKnee);
    o[4] = ground_contact_[leg] ? 1.0f : 0.0f;
  }
  for (int i = 0; i < kLidarRays; ++i) out[14 + i] = lidar_[i].fraction;
}

}  // namespace arena
