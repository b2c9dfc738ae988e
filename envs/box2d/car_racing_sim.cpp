#include "envs/box2d/car_racing_sim.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace arena::car_racing {

namespace {

constexpr double kPi = std::numbers::pi;

// Body tags in b2BodyUserData::pointer: what a contact touched.
constexpr std::uintptr_t kTagTile = 1, kTagWheel = 2;
constexpr std::uintptr_t tag(std::uintptr_t kind, int index) {
  return (static_cast<std::uintptr_t>(index) << 2) | kind;
}
constexpr std::uintptr_t kind_of(std::uintptr_t t) { return t & 3u; }
constexpr int index_of(std::uintptr_t t) { return static_cast<int>(t >> 2); }

// numpy's sign: -1, 0 or +1.
inline double sign(double v) { return v > 0 ? 1.0 : (v < 0 ? -1.0 : 0.0); }

b2Vec2 to_b2(double x, double y) { return {static_cast<float>(x), static_cast<float>(y)}; }

// The quad's bounding circle around its vertex mean (for culling).
template <class Q>
void bound(Q& q) {
  b2Vec2 c{0, 0};
  for (const b2Vec2& p : q.poly) c += p;
  c *= 0.25f;
  float r = 0;
  for (const b2Vec2& p : q.poly) r = std::max(r, (p - c).Length());
  q.center = c;
  q.radius = r;
}

}  // namespace

// Gymnasium's FrictionDetector: forwards tile contacts to the bookkeeping.
class CarRacingSim::Listener : public b2ContactListener {
 public:
  explicit Listener(CarRacingSim& sim) : sim_(sim) {}
  void BeginContact(b2Contact* contact) override { handle(contact, true); }
  void EndContact(b2Contact* contact) override { handle(contact, false); }

 private:
  void handle(b2Contact* contact, bool begin) {
    const std::uintptr_t a = contact->GetFixtureA()->GetBody()->GetUserData().pointer;
    const std::uintptr_t b = contact->GetFixtureB()->GetBody()->GetUserData().pointer;
    int tile = -1;
    std::uintptr_t other = 0;
    if (kind_of(a) == kTagTile) tile = index_of(a), other = b;
    if (kind_of(b) == kTagTile) tile = index_of(b), other = a;
    if (tile < 0) return;
    sim_.on_tile_contact(tile, kind_of(other) == kTagWheel ? index_of(other) : -1, begin);
  }
  CarRacingSim& sim_;
};

CarRacingSim::CarRacingSim(double lap_complete_percent)
    : lap_complete_percent_(lap_complete_percent), listener_(std::make_unique<Listener>(*this)) {}

CarRacingSim::~CarRacingSim() = default;

void CarRacingSim::set_colors(Rgb road, Rgb background, Rgb grass) {
  road_color_ = road;
  bg_color_ = background;
  grass_color_ = grass;
}

void CarRacingSim::reset(Rng& rng) {
  // A fresh world every episode: Box2D's proxy ids and contact order then
  // depend on the seed only, so reset(seed) replays bit-identically.
  world_ = std::make_unique<b2World>(b2Vec2(0, 0));
  world_->SetContactListener(listener_.get());
  hull_ = nullptr;
  wheels_ = {};
  particle_head_ = particle_count_ = 0;
  reward_ = prev_reward_ = 0;
  tile_visited_count_ = 0;
  t_ = 0;
  new_lap_ = false;
  attempts_ = 0;
  tiles_.clear();
  kerbs_.clear();
  track_.clear();
  while (!create_track(rng)) {
    // Gymnasium retries forever; a failure is rare (a few percent of tracks).
    if (++attempts_ > 10000) throw std::runtime_error("CarRacing: no track after 10000 attempts");
  }
  ++attempts_;
  create_car(track_[0].beta, track_[0].x, track_[0].y);
}

bool CarRacingSim::create_track(Rng& rng) {
  // Checkpoints: a noisy circle; the first and last sit on the start line.
  std::array<std::array<double, 3>, kCheckpoints> checkpoints{};
  for (int c = 0; c < kCheckpoints; ++c) {
    const double noise = rng.uniform(0, 2 * kPi * 1 / kCheckpoints);
    double alpha = 2 * kPi * c / kCheckpoints + noise;
    double rad = rng.uniform(kTrackRad / 3, kTrackRad);
    if (c == 0) {
      alpha = 0;
      rad = 1.5 * kTrackRad;
    }
    if (c == kCheckpoints - 1) {
      alpha = 2 * kPi * c / kCheckpoints;
      start_alpha_ = 2 * kPi * (-0.5) / kCheckpoints;
      rad = 1.5 * kTrackRad;
    }
    checkpoints[static_cast<std::size_t>(c)] = {alpha, rad * std::cos(alpha), rad * std::sin(alpha)};
  }

  // Drive from checkpoint to checkpoint, turning at most TRACK_TURN_RATE a
  // node, for up to five laps (or kMaxTrackNodes nodes).
  std::vector<TrackNode> raw;
  raw.reserve(kMaxTrackNodes);
  double x = 1.5 * kTrackRad, y = 0, beta = 0;
  int dest_i = 0, laps = 0, no_freeze = kMaxTrackNodes;
  bool visited_other_side = false;
  while (true) {
    double alpha = std::atan2(y, x);
    if (visited_other_side && alpha > 0) {
      ++laps;
      visited_other_side = false;
    }
    if (alpha < 0) {
      visited_other_side = true;
      alpha += 2 * kPi;
    }
    double dest_x = 0, dest_y = 0;
    while (true) {  // the next checkpoint ahead of alpha
      bool failed = true;
      while (true) {
        const auto& cp = checkpoints[static_cast<std::size_t>(dest_i % kCheckpoints)];
        dest_x = cp[1];
        dest_y = cp[2];
        if (alpha <= cp[0]) {
          failed = false;
          break;
        }
        ++dest_i;
        if (dest_i % kCheckpoints == 0) break;
      }
      if (!failed) break;
      alpha -= 2 * kPi;
    }
    const double r1x = std::cos(beta), r1y = std::sin(beta);
    const double p1x = -r1y, p1y = r1x;
    const double dest_dx = dest_x - x, dest_dy = dest_y - y;
    double proj = r1x * dest_dx + r1y * dest_dy;  // destination projected on the radius
    while (beta - alpha > 1.5 * kPi) beta -= 2 * kPi;
    while (beta - alpha < -1.5 * kPi) beta += 2 * kPi;
    const double prev_beta = beta;
    proj *= kScale;
    if (proj > 0.3) beta -= std::min(kTrackTurnRate, std::fabs(0.001 * proj));
    if (proj < -0.3) beta += std::min(kTrackTurnRate, std::fabs(0.001 * proj));
    x += p1x * kTrackDetailStep;
    y += p1y * kTrackDetailStep;
    raw.push_back({alpha, prev_beta * 0.5 + beta * 0.5, x, y});
    if (laps > 4) break;
    if (--no_freeze == 0) break;
  }

  // The closed loop i1..i2: the last two passes through the start angle.
  int i1 = -1, i2 = -1;
  int i = static_cast<int>(raw.size());
  while (true) {
    --i;
    if (i <= 0) return false;
    const bool pass_through_start = raw[static_cast<std::size_t>(i)].alpha > start_alpha_ &&
                                    raw[static_cast<std::size_t>(i - 1)].alpha <= start_alpha_;
    if (pass_through_start && i2 == -1) {
      i2 = i;
    } else if (pass_through_start && i1 == -1) {
      i1 = i;
      break;
    }
  }
  if (i2 - 1 - i1 < 3) return false;
  std::vector<TrackNode> track(raw.begin() + i1, raw.begin() + (i2 - 1));

  // Head and tail must meet: the perpendicular jump between them is small.
  const double first_perp_x = std::cos(track.front().beta), first_perp_y = std::sin(track.front().beta);
  const double gx = first_perp_x * (track.front().x - track.back().x);
  const double gy = first_perp_y * (track.front().y - track.back().y);
  if (std::sqrt(gx * gx + gy * gy) > kTrackDetailStep) return false;

  const int n = static_cast<int>(track.size());
  auto at = [&](int k) -> const TrackNode& { return track[static_cast<std::size_t>(k < 0 ? k + n : k)]; };

  // Red-white kerbs where the track turns hard the same way for
  // BORDER_MIN_COUNT nodes, spread to the preceding nodes (in place, in order).
  std::vector<char> border(static_cast<std::size_t>(n), 0);
  for (int k = 0; k < n; ++k) {
    bool good = true;
    double oneside = 0;
    for (int neg = 0; neg < kBorderMinCount; ++neg) {
      const double beta1 = at(k - neg).beta, beta2 = at(k - neg - 1).beta;
      good = good && std::fabs(beta1 - beta2) > kTrackTurnRate * 0.2;
      oneside += sign(beta1 - beta2);
    }
    good = good && std::fabs(oneside) == kBorderMinCount;
    border[static_cast<std::size_t>(k)] = good;
  }
  for (int k = 0; k < n; ++k)
    for (int neg = 0; neg < kBorderMinCount; ++neg) {
      const int j = k - neg < 0 ? k - neg + n : k - neg;
      border[static_cast<std::size_t>(j)] |= border[static_cast<std::size_t>(k)];
    }

  // Tiles (sensors) and kerbs.
  tiles_.reserve(static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) {
    const TrackNode& a = at(k);
    const TrackNode& b = at(k - 1);
    const double c1 = std::cos(a.beta), s1 = std::sin(a.beta), c2 = std::cos(b.beta), s2 = std::sin(b.beta);
    Tile tile;
    tile.poly = {to_b2(a.x - kTrackWidth * c1, a.y - kTrackWidth * s1),
                 to_b2(a.x + kTrackWidth * c1, a.y + kTrackWidth * s1),
                 to_b2(b.x + kTrackWidth * c2, b.y + kTrackWidth * s2),
                 to_b2(b.x - kTrackWidth * c2, b.y - kTrackWidth * s2)};
    const double shade = 0.01 * (k % 3) * 255;
    tile.color = {road_color_.r + shade, road_color_.g + shade, road_color_.b + shade};
    bound(tile);

    b2BodyDef body_def;  // static, at the origin
    body_def.userData.pointer = tag(kTagTile, k);
    tile.body = world_->CreateBody(&body_def);
    b2PolygonShape shape;
    shape.Set(tile.poly.data(), 4);
    b2FixtureDef fixture;
    fixture.shape = &shape;
    fixture.isSensor = true;
    tile.body->CreateFixture(&fixture);
    tiles_.push_back(tile);

    if (border[static_cast<std::size_t>(k)]) {
      const double side = sign(b.beta - a.beta);
      Kerb kerb{};
      kerb.poly = {to_b2(a.x + side * kTrackWidth * c1, a.y + side * kTrackWidth * s1),
                   to_b2(a.x + side * (kTrackWidth + kBorder) * c1, a.y + side * (kTrackWidth + kBorder) * s1),
                   to_b2(b.x + side * (kTrackWidth + kBorder) * c2, b.y + side * (kTrackWidth + kBorder) * s2),
                   to_b2(b.x + side * kTrackWidth * c2, b.y + side * kTrackWidth * s2)};
      kerb.white = k % 2 == 0;
      kerb.tile = k;
      bound(kerb);
      kerbs_.push_back(kerb);
    }
  }
  track_ = std::move(track);
  return true;
}

void CarRacingSim::create_car(double angle, double x, double y) {
  b2BodyDef hull_def;
  hull_def.type = b2_dynamicBody;
  hull_def.position = to_b2(x, y);
  hull_def.angle = static_cast<float>(angle);
  hull_ = world_->CreateBody(&hull_def);
  auto add_poly = [](b2Body* body, const double (*pts)[2], int count, float density) {
    b2Vec2 v[8];
    for (int k = 0; k < count; ++k) v[k] = to_b2(pts[k][0] * kSize, pts[k][1] * kSize);
    b2PolygonShape shape;
    shape.Set(v, count);
    b2FixtureDef fd;
    fd.shape = &shape;
    fd.density = density;
    body->CreateFixture(&fd);
  };
  add_poly(hull_, kHullPoly1, 4, 1.0f);
  add_poly(hull_, kHullPoly2, 4, 1.0f);
  add_poly(hull_, kHullPoly3, 8, 1.0f);
  add_poly(hull_, kHullPoly4, 4, 1.0f);

  for (int k = 0; k < 4; ++k) {
    const double wx = kWheelPos[k][0], wy = kWheelPos[k][1];
    Wheel& w = wheels_[static_cast<std::size_t>(k)];
    w = Wheel{};
    b2BodyDef def;
    def.type = b2_dynamicBody;
    // As Gymnasium: the offset is not turned by the car's angle; the joints
    // pull the wheels into place during the first frames.
    def.position = to_b2(x + wx * kSize, y + wy * kSize);
    def.angle = static_cast<float>(angle);
    def.userData.pointer = tag(kTagWheel, k);
    w.body = world_->CreateBody(&def);
    const b2Vec2 poly[4] = {to_b2(-kWheelW * kSize, +kWheelR * kSize), to_b2(+kWheelW * kSize, +kWheelR * kSize),
                            to_b2(+kWheelW * kSize, -kWheelR * kSize), to_b2(-kWheelW * kSize, -kWheelR * kSize)};
    b2PolygonShape shape;
    shape.Set(poly, 4);
    b2FixtureDef fd;
    fd.shape = &shape;
    fd.density = 0.1f;
    fd.filter.categoryBits = 0x0020;
    fd.filter.maskBits = 0x001;
    fd.restitution = 0.0f;
    w.body->CreateFixture(&fd);

    b2RevoluteJointDef rjd;
    rjd.bodyA = hull_;
    rjd.bodyB = w.body;
    rjd.localAnchorA = to_b2(wx * kSize, wy * kSize);
    rjd.localAnchorB = {0, 0};
    rjd.enableMotor = true;
    rjd.enableLimit = true;
    rjd.maxMotorTorque = static_cast<float>(180 * 900 * kSize * kSize);
    rjd.motorSpeed = 0;
    rjd.lowerAngle = -0.4f;
    rjd.upperAngle = +0.4f;
    w.joint = static_cast<b2RevoluteJoint*>(world_->CreateJoint(&rjd));
  }
}

void CarRacingSim::advance(const CarControls* controls) {
  if (hull_ == nullptr) throw std::logic_error("CarRacingSim::advance before reset");
  if (controls != nullptr) {
    // car.steer: the front wheels' target; car.gas: rear-wheel drive, rising
    // gradually but dropping at once; car.brake: every wheel.
    wheels_[0].steer = wheels_[1].steer = controls->steer;
    const double gas = std::clamp(controls->gas, 0.0, 1.0);
    for (int k = 2; k < 4; ++k) {
      double diff = gas - wheels_[static_cast<std::size_t>(k)].gas;
      if (diff > 0.1) diff = 0.1;
      wheels_[static_cast<std::size_t>(k)].gas += diff;
    }
    for (Wheel& w : wheels_) w.brake = controls->brake;
  }
  car_step(1.0 / kFps);
  world_->Step(static_cast<float>(1.0 / kFps), 6 * 30, 2 * 30);
  t_ += 1.0 / kFps;
}

void CarRacingSim::car_step(double dt) {
  const double wheel_rad = 1.0 * kWheelR * kSize;
  for (Wheel& w : wheels_) {
    // Steering: the joint motor turns the wheel towards its target.
    const double angle = w.joint->GetJointAngle();
    const double dir = sign(w.steer - angle);
    const double val = std::fabs(w.steer - angle);
    w.joint->SetMotorSpeed(static_cast<float>(dir * std::min(50.0 * val, 3.0)));

    // Grip: road where any tile is under the wheel, else grass.
    const bool grass = w.tiles == 0;
    const double friction_limit = grass ? kFrictionLimit * 0.6 : kFrictionLimit * 1.0;  // road_friction 1.0

    const b2Vec2 forw = w.body->GetWorldVector(b2Vec2(0, 1));
    const b2Vec2 side = w.body->GetWorldVector(b2Vec2(1, 0));
    const b2Vec2 v = w.body->GetLinearVelocity();
    const double vf = double(forw.x) * double(v.x) + double(forw.y) * double(v.y);  // forward speed
    const double vs = double(side.x) * double(v.x) + double(side.y) * double(v.y);  // side speed

    // Engine: power W = I omega domega/dt, with a small term against /0.
    w.omega += dt * kEnginePower * w.gas / kWheelMomentOfInertia / (std::fabs(w.omega) + 5.0);
    if (w.brake >= 0.9) {
      w.omega = 0;
    } else if (w.brake > 0) {
      const double brake_force = 15;  // radians per second
      const double bdir = -sign(w.omega);
      double bval = brake_force * w.brake;
      if (std::fabs(bval) > std::fabs(w.omega)) bval = std::fabs(w.omega);  // low speed: stop
      w.omega += bdir * bval;
    }
    w.phase += w.omega * dt;

    // Tyre force: towards equal wheel and ground speed, capped by friction.
    const double vr = w.omega * wheel_rad;
    double f_force = -vf + vr;
    double p_force = -vs;
    f_force *= 205000 * kSize * kSize;
    p_force *= 205000 * kSize * kSize;
    double force = std::sqrt(f_force * f_force + p_force * p_force);

    // Skid traces (drawn only).
    if (std::fabs(force) > 2.0 * friction_limit) {
      const b2Vec2 pos = w.body->GetPosition();
      if (w.particle >= 0 && w.particle_grass == grass && w.particle_len < kMaxParticlePoints) {
        Particle& p = particles_[static_cast<std::size_t>(w.particle)];
        if (p.serial == w.particle_serial) p.poly[static_cast<std::size_t>(p.len++)] = pos;
        ++w.particle_len;
      } else if (!w.has_skid_start) {
        w.has_skid_start = true;
        w.skid_start = pos;
      } else {
        add_particle(w.skid_start, pos, grass, w);
        w.has_skid_start = false;
      }
    } else {
      w.has_skid_start = false;
      w.particle = -1;
    }

    if (std::fabs(force) > friction_limit) {
      f_force /= force;
      p_force /= force;
      force = friction_limit;
      f_force *= force;
      p_force *= force;
    }
    w.omega -= dt * f_force * wheel_rad / kWheelMomentOfInertia;
    w.body->ApplyForceToCenter(to_b2(p_force * side.x + f_force * forw.x, p_force * side.y + f_force * forw.y),
                               true);
  }
}

void CarRacingSim::add_particle(b2Vec2 a, b2Vec2 b, bool grass, Wheel& w) {
  int slot;
  if (particle_count_ < kMaxParticles) {
    slot = (particle_head_ + particle_count_++) % kMaxParticles;
  } else {  // the oldest trace goes
    slot = particle_head_;
    particle_head_ = (particle_head_ + 1) % kMaxParticles;
  }
  Particle& p = particles_[static_cast<std::size_t>(slot)];
  p.grass = grass;
  p.len = 2;
  p.poly[0] = a;
  p.poly[1] = b;
  p.serial = ++particle_serial_;
  w.particle = slot;
  w.particle_serial = p.serial;
  w.particle_grass = grass;
  w.particle_len = 2;
}

void CarRacingSim::on_tile_contact(int tile, int wheel, bool begin) {
  const int n = static_cast<int>(tiles_.size());
  if (tile < 0 || tile >= n) return;
  Tile& t = tiles_[static_cast<std::size_t>(tile)];
  t.color = road_color_;  // a touched tile loses its shade (Gymnasium: tile.color[:] = road_color)
  if (wheel < 0 || wheel >= 4) return;
  // A lap counts once enough of the track was visited and a wheel is on the start tile.
  if (tile == 0 && static_cast<double>(tile_visited_count_) / static_cast<double>(n) > lap_complete_percent_)
    new_lap_ = true;
  Wheel& w = wheels_[static_cast<std::size_t>(wheel)];
  if (begin) {
    ++w.tiles;
    if (!t.visited) {
      t.visited = true;
      reward_ += 1000.0 / static_cast<double>(n);
      ++tile_visited_count_;
    }
  } else {
    --w.tiles;
  }
}

CarRacingStep CarRacingSim::score() {
  CarRacingStep r;
  reward_ -= 0.1;
  r.reward = reward_ - prev_reward_;
  prev_reward_ = reward_;
  if (tile_visited_count_ == static_cast<int>(tiles_.size()) || new_lap_) {
    r.terminated = true;
    r.lap_finished = true;
  }
  const b2Vec2 pos = hull_->GetPosition();
  if (std::fabs(pos.x) > kPlayfield || std::fabs(pos.y) > kPlayfield) {
    r.terminated = true;
    r.lap_finished = false;
    r.out_of_playfield = true;
    r.reward = -100;
  }
  return r;
}

}  // namespace arena::car_racing
