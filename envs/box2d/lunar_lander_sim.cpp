#include "envs/box2d/lunar_lander_sim.h"

#include "envs/box2d/box2d23.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace arena {

namespace {

using namespace lunar_lander;

// Gymnasium's hull polygon, in canvas pixels relative to the body origin.
constexpr int kLanderPoly[6][2] = {{-14, +17}, {-17, 0}, {-17, -10}, {+17, -10}, {+17, 0}, {+14, +17}};

constexpr double kParticleRadius = 2 / kScale;

// pybox2d turns Python floats (double) into b2Vec2 (float32) at the call.
b2Vec2 vec(double x, double y) { return b2Vec2(static_cast<float>(x), static_cast<float>(y)); }

// np.clip
double clip(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

}  // namespace

LunarLanderThrottle LunarLanderThrottle::discrete(std::int64_t action) {
  LunarLanderThrottle t;
  if (action == 2) t.main = 1.0;
  if (action == 1 || action == 3) {
    t.side = 1.0;
    t.direction = static_cast<int>(action) - 2;
  }
  return t;
}

LunarLanderThrottle LunarLanderThrottle::continuous(double main, double lateral) {
  LunarLanderThrottle t;
  main = clip(main, -1.0, 1.0);
  lateral = clip(lateral, -1.0, 1.0);
  if (main > 0.0) t.main = (clip(main, 0.0, 1.0) + 1.0) * 0.5;  // 0.5 .. 1
  if (std::abs(lateral) > 0.5) {
    t.direction = lateral > 0 ? 1 : -1;
    t.side = clip(std::abs(lateral), 0.5, 1.0);
  }
  return t;
}

LunarLanderSim::LunarLanderSim(const LunarLanderConfig& config) : config_(config), world_(vec(0.0, config.gravity)) {
  world_.set_listener(&listener_);
}

LunarLanderSim::~LunarLanderSim() = default;

void LunarLanderSim::Listener::begin_contact(int body) {
  if (body == LunarLanderWorld::kHull) sim_->game_over_ = true;
  if (body == LunarLanderWorld::kLeg0) sim_->leg_contact_[0] = true;
  if (body == LunarLanderWorld::kLeg1) sim_->leg_contact_[1] = true;
}

void LunarLanderSim::Listener::end_contact(int body) {
  if (body == LunarLanderWorld::kLeg0) sim_->leg_contact_[0] = false;
  if (body == LunarLanderWorld::kLeg1) sim_->leg_contact_[1] = false;
}

// Gymnasium 1.x builds a new b2World per reset; this reuses one world, whose
// state after clear() is empty again: no bodies, contacts or proxies, an
// empty broad-phase tree (so new proxies build the same tree), and the first
// step's warm-starting ratio only scales impulses that are still zero.
// Episodes are therefore independent of what ran before (tested), and the
// broad-phase keeps its buffers, so steps stop allocating once warm.
void LunarLanderSim::reset(RandomSource& random) {
  world_.clear();  // no end-of-contact events, as Gymnasium's _destroy
  has_episode_ = true;
  game_over_ = false;
  has_prev_shaping_ = false;
  prev_shaping_ = 0;
  leg_contact_[0] = leg_contact_[1] = false;
  steps_ = 0;
  for (auto& p : particles_) p = LunarLanderParticle{};
  next_particle_ = 0;

  // Terrain: 12 random heights, the helipad flattened, smoothed over 3 chunks
  // (height[-1] is Python's last element).
  std::array<double, kChunks + 1> height{};
  for (double& h : height) h = random.uniform(0, kH / 2);
  for (int i = 0; i < kChunks; ++i) chunk_x_[i] = kW / (kChunks - 1) * i;
  helipad_x1_ = chunk_x_[kChunks / 2 - 1];
  helipad_x2_ = chunk_x_[kChunks / 2 + 1];
  helipad_y_ = kH / 4;
  for (int i = kChunks / 2 - 2; i <= kChunks / 2 + 2; ++i) height[i] = helipad_y_;
  for (int i = 0; i < kChunks; ++i) {
    const double before = height[i == 0 ? kChunks : i - 1];
    smooth_y_[i] = 0.33 * (before + height[i] + height[i + 1]);
  }

  // The ground: pybox2d's default fixture (friction 0.2) along the bottom,
  // then the terrain's edges.
  world_.add_edge(vec(0, 0), vec(kW, 0), 0.2f);
  for (int i = 0; i < kChunks - 1; ++i)
    world_.add_edge(vec(chunk_x_[i], smooth_y_[i]), vec(chunk_x_[i + 1], smooth_y_[i + 1]), 0.1f);

  // The lander, with its random push.
  const double initial_y = kViewportH / kScale;
  const double initial_x = kViewportW / kScale / 2;
  {
    b2Vec2 vertices[6];
    for (int i = 0; i < 6; ++i) vertices[i] = vec(kLanderPoly[i][0] / kScale, kLanderPoly[i][1] / kScale);
    const b2PolygonShape hull = box2d23::polygon(vertices, 6);
    // Density 5, friction 0.1, restitution 0; it collides with the ground only.
    world_.add_body(LunarLanderWorld::kHull, vec(initial_x, initial_y), 0.0f, hull, 5.0f, 0.1f);
  }
  const double fx = random.uniform(-kInitialRandom, kInitialRandom);
  const double fy = random.uniform(-kInitialRandom, kInitialRandom);
  world_.apply_force_to_center(LunarLanderWorld::kHull, vec(fx, fy));

  if (config_.enable_wind) {  // v3: the wind pattern's offsets are drawn at every reset
    wind_idx_ = random.integers(-9999, 9999);
    torque_idx_ = random.integers(-9999, 9999);
  }

  // The legs: motorised revolute joints within limits, pressing outwards.
  for (int k = 0; k < 2; ++k) {
    const int i = k == 0 ? -1 : +1;
    b2PolygonShape box;
    box.SetAsBox(static_cast<float>(kLegW / kScale), static_cast<float>(kLegH / kScale));
    // Density 1, pybox2d's default friction 0.2, restitution 0; ground only.
    const auto leg = static_cast<LunarLanderWorld::BodyId>(LunarLanderWorld::kLeg0 + k);
    world_.add_body(leg, vec(initial_x - i * kLegAway / kScale, initial_y), static_cast<float>(i * 0.05), box, 1.0f,
                    0.2f);

    b2RevoluteJointDef rjd;
    rjd.localAnchorA = vec(0, 0);
    rjd.localAnchorB = vec(i * kLegAway / kScale, kLegDown / kScale);
    rjd.referenceAngle = static_cast<float>(i * 0.05);  // pybox2d: bodyB.angle - bodyA.angle
    rjd.enableMotor = true;
    rjd.enableLimit = true;
    rjd.maxMotorTorque = static_cast<float>(kLegSpringTorque);
    rjd.motorSpeed = static_cast<float>(+0.3 * i);  // low enough not to jump back into the sky
    if (i == -1) {
      rjd.lowerAngle = static_cast<float>(+0.9 - 0.5);
      rjd.upperAngle = static_cast<float>(+0.9);
    } else {
      rjd.lowerAngle = static_cast<float>(-0.9);
      rjd.upperAngle = static_cast<float>(-0.9 + 0.5);
    }
    world_.add_leg_joint(k, rjd);  // solved as Box2D 2.3 does (revolute23.h)
  }

  // Gymnasium's reset() returns the observation of a no-op step.
  step(LunarLanderThrottle{}, random);
}

void LunarLanderSim::launch_particle(double x, double y, double impulse_x, double impulse_y, double density,
                                     double ttl) {
  const double mass = density * std::numbers::pi * kParticleRadius * kParticleRadius;
  LunarLanderParticle& p = particles_[next_particle_];
  next_particle_ = (next_particle_ + 1) % kMaxParticles;
  p.x = static_cast<float>(x);
  p.y = static_cast<float>(y);
  p.vx = static_cast<float>(impulse_x / mass);
  p.vy = static_cast<float>(impulse_y / mass);
  p.ttl = static_cast<float>(ttl);
  p.born = steps_;
}

LunarLanderOutcome LunarLanderSim::step(const LunarLanderThrottle& throttle, RandomSource& random) {
  if (!has_episode_) throw std::logic_error("LunarLanderSim::step() before reset()");
  // Wind and turbulence, while no leg touches the ground.
  if (config_.enable_wind && !(leg_contact_[0] || leg_contact_[1])) {
    const double wi = static_cast<double>(wind_idx_);
    const double wind_mag =
        std::tanh(std::sin(0.02 * wi) + std::sin(std::numbers::pi * 0.01 * wi)) * config_.wind_power;
    ++wind_idx_;
    world_.apply_force_to_center(LunarLanderWorld::kHull, vec(wind_mag, 0.0));
    const double ti = static_cast<double>(torque_idx_);
    const double torque_mag =
        std::tanh(std::sin(0.02 * ti) + std::sin(std::numbers::pi * 0.01 * ti)) * config_.turbulence_power;
    ++torque_idx_;
    world_.apply_torque(LunarLanderWorld::kHull, static_cast<float>(torque_mag));
  }

  // Engines: impulses at dispersed points of the hull (Gymnasium's geometry,
  // including its side-engine height of 17 px for x and 14 px for y).
  constexpr auto kHull = LunarLanderWorld::kHull;
  const double angle = world_.angle(kHull);
  const double tip0 = std::sin(angle), tip1 = std::cos(angle);
  const double side0 = -tip1, side1 = tip0;
  const double d0 = random.uniform(-1.0, +1.0) / kScale;
  const double d1 = random.uniform(-1.0, +1.0) / kScale;
  const b2Vec2 position = world_.position(kHull);
  const double px = position.x, py = position.y;

  const double m_power = throttle.main;
  if (m_power > 0) {
    const double ox = tip0 * (kMainEngineYLocation / kScale + 2 * d0) + side0 * d1;
    const double oy = -tip1 * (kMainEngineYLocation / kScale + 2 * d0) - side1 * d1;
    const double ix = px + ox, iy = py + oy;
    launch_particle(ix, iy, ox * kMainEnginePower * m_power, oy * kMainEnginePower * m_power, 3.5, m_power);
    world_.apply_linear_impulse(kHull, vec(-ox * kMainEnginePower * m_power, -oy * kMainEnginePower * m_power),
                                vec(ix, iy));
  }

  const double s_power = throttle.side;
  if (s_power > 0) {
    const double direction = throttle.direction;
    const double ox = tip0 * d0 + side0 * (3 * d1 + direction * kSideEngineAway / kScale);
    const double oy = -tip1 * d0 - side1 * (3 * d1 + direction * kSideEngineAway / kScale);
    const double ix = px + ox - tip0 * 17 / kScale;
    const double iy = py + oy + tip1 * kSideEngineHeight / kScale;
    launch_particle(ix, iy, ox * kSideEnginePower * s_power, oy * kSideEnginePower * s_power, 0.7, s_power);
    world_.apply_linear_impulse(kHull, vec(-ox * kSideEnginePower * s_power, -oy * kSideEnginePower * s_power),
                                vec(ix, iy));
  }

  world_.step(static_cast<float>(1.0 / kFps), 6 * 30, 2 * 30);
  ++steps_;

  // The observation, in float64 from the float32 bodies as Gymnasium does.
  const b2Vec2 pos = world_.position(kHull);
  const b2Vec2 vel = world_.linear_velocity(kHull);
  const double state[8] = {
      (pos.x - kViewportW / kScale / 2) / (kViewportW / kScale / 2),
      (pos.y - (helipad_y_ + kLegDown / kScale)) / (kViewportH / kScale / 2),
      vel.x * (kViewportW / kScale / 2) / kFps,
      vel.y * (kViewportH / kScale / 2) / kFps,
      static_cast<double>(world_.angle(kHull)),
      20.0 * world_.angular_velocity(kHull) / kFps,
      leg_contact_[0] ? 1.0 : 0.0,
      leg_contact_[1] ? 1.0 : 0.0,
  };
  for (int i = 0; i < 8; ++i) obs_[i] = static_cast<float>(state[i]);

  // Reward: progress of the shaping potential, minus the fuel spent.
  const double shaping = -100 * std::sqrt(state[0] * state[0] + state[1] * state[1]) -
                         100 * std::sqrt(state[2] * state[2] + state[3] * state[3]) - 100 * std::abs(state[4]) +
                         10 * state[6] + 10 * state[7];
  double reward = 0;
  if (has_prev_shaping_) reward = shaping - prev_shaping_;
  prev_shaping_ = shaping;
  has_prev_shaping_ = true;
  reward -= m_power * 0.30;
  reward -= s_power * 0.03;

  LunarLanderOutcome out;
  if (game_over_ || std::abs(state[0]) >= 1.0) {
    out.terminated = true;
    reward = -100;
  }
  if (!world_.awake(kHull)) {
    out.terminated = true;
    reward = +100;
  }
  out.reward = reward;
  return out;
}

}  // namespace arena
