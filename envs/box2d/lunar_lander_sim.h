// The physics of Gymnasium's LunarLander (v3), on Box2D 2.3's algorithms, without the
// Env API: the world, the terrain, the lander and its legs, the contact
// listener, the engines, the observation and the reward bookkeeping.
//
// Every number that Gymnasium draws comes from a RandomSource, in Gymnasium's
// order, so that a test can replay the draws of a recorded episode:
//   reset: 12 terrain heights  uniform(0, H/2)
//          2 initial forces    uniform(-1000, 1000)
//          (with wind) wind and torque offsets  integers(-9999, 9999)
//          then the no-op step that Gymnasium's reset() takes itself
//   step:  2 dispersions       uniform(-1, 1)
//
// Gymnasium computes in float64 around Box2D's float32 bodies; so does this
// class, rounding to float32 exactly where pybox2d does (impulses, points,
// forces). The physics is Box2D 2.3's world step (Gymnasium's pybox2d
// 2.3.10), run by LunarLanderWorld on plain data (lunar_lander_world.h),
// with the leg joints on pybox2d's reference angle (bodyB.angle -
// bodyA.angle, which pybox2d's revoluteJointDef sets when given both bodies;
// Box2D's own default is 0, which moves the legs' limits by 0.05 rad) and
// Box2D 2.3's revolute-joint algorithm (revolute23.h).
//
// Replaying Gymnasium's recorded episodes: with every velocity iteration run
// (set_leg_converged_iterations(false)), every observation before the first
// ground contact is Gymnasium's bit for bit, and 7 of 12 episodes are to
// their end. By default the leg joints' converged iterations
// (lunar_lander_legs.h) make flights differ from Gymnasium's at the level
// of float rounding (~1e-5 in the observation), at twice the speed.
//
// Engine particles are not simulated: in Gymnasium they are separate bodies
// that collide with the ground only, never with the lander, so they do not
// touch its physics (Gymnasium creates them only when rendering). Here they
// are a small list of records whose ballistic flight draw() evaluates.
#pragma once

#include <box2d/box2d.h>

#include <array>
#include <cstdint>

#include "envs/box2d/lunar_lander_world.h"
#include "envs/core/rng.h"

namespace arena {

// A source of the random numbers the lander draws (numpy Generator semantics).
struct RandomSource {
  virtual ~RandomSource() = default;
  // A number uniform in [lo, hi) (numpy's Generator.uniform).
  virtual double uniform(double lo, double hi) = 0;
  // An integer uniform in [lo, hi) (numpy's Generator.integers).
  virtual std::int64_t integers(std::int64_t lo, std::int64_t hi) = 0;
};

// The default source: an arena::Rng (the env's own rng_).
class RngSource final : public RandomSource {
 public:
  explicit RngSource(Rng& rng) : rng_(&rng) {}
  double uniform(double lo, double hi) override { return rng_->uniform(lo, hi); }
  std::int64_t integers(std::int64_t lo, std::int64_t hi) override { return rng_->integer(lo, hi - 1); }

 private:
  Rng* rng_;
};

// Gymnasium's constants.
namespace lunar_lander {
inline constexpr double kFps = 50;
inline constexpr double kScale = 30;  // Box2D units are canvas pixels / kScale
inline constexpr double kMainEnginePower = 13;
inline constexpr double kSideEnginePower = 0.6;
inline constexpr double kInitialRandom = 1000;
inline constexpr int kLegAway = 20, kLegDown = 18, kLegW = 2, kLegH = 8;
inline constexpr double kLegSpringTorque = 40;
inline constexpr int kSideEngineHeight = 14, kSideEngineAway = 12, kMainEngineYLocation = 4;
inline constexpr int kViewportW = 600, kViewportH = 400;
inline constexpr int kChunks = 11;
inline constexpr double kW = kViewportW / kScale;  // 20 world units wide
inline constexpr double kH = kViewportH / kScale;  // 13.33 world units tall
}  // namespace lunar_lander

struct LunarLanderConfig {
  double gravity = -10.0;  // in (-12, 0)
  bool enable_wind = false;
  double wind_power = 15.0;       // maximal wind force
  double turbulence_power = 1.5;  // maximal wind torque
};

// What the engines do in one step (Gymnasium's m_power, s_power, direction).
struct LunarLanderThrottle {
  double main = 0;    // 0 (off) or 0.5 .. 1
  double side = 0;    // 0 (off) or 0.5 .. 1
  int direction = 0;  // -1: left engine, +1: right engine
  // Discrete(4): 0 nothing, 1 left engine, 2 main engine, 3 right engine.
  static LunarLanderThrottle discrete(std::int64_t action);
  // Box(-1, 1, (2,)): main > 0 fires the main engine at 50%..100%;
  // |lateral| > 0.5 fires a side engine at 50%..100%. Clipped to [-1, 1] first.
  static LunarLanderThrottle continuous(double main, double lateral);
};

struct LunarLanderOutcome {
  double reward = 0;
  bool terminated = false;
};

// A spent-fuel particle, for drawing only: launched at `pos` with `vel` at
// the end of step `born`, alive while its time-to-live is >= 0.
struct LunarLanderParticle {
  float x = 0, y = 0, vx = 0, vy = 0;
  float ttl = 0;           // 0.5 .. 1 at launch (the engine's power)
  std::int64_t born = -1;  // the step count at launch; -1: never launched
};

class LunarLanderSim {
 public:
  static constexpr int kMaxParticles = 16;  // each lives 7 frames, at most 2 are launched a step

  explicit LunarLanderSim(const LunarLanderConfig& config = {});
  ~LunarLanderSim();
  LunarLanderSim(const LunarLanderSim&) = delete;
  LunarLanderSim& operator=(const LunarLanderSim&) = delete;

  // Starts an episode: terrain, lander with its random push, legs, then the
  // no-op step that Gymnasium's reset() takes (its dispersions are drawn too).
  // The world is reused, so a warmed-up sim does not allocate in step().
  void reset(RandomSource& random);

  // One step of 1/50 s with the engines set by `throttle`.
  LunarLanderOutcome step(const LunarLanderThrottle& throttle, RandomSource& random);

  // The observation of the last step: x, y, vx, vy, angle, angular velocity
  // (in Gymnasium's scaled units), left leg contact, right leg contact.
  const std::array<float, 8>& observation() const { return obs_; }
  // The shaping term of the last step (Gymnasium's prev_shaping).
  double shaping() const { return prev_shaping_; }
  bool game_over() const { return game_over_; }
  bool leg_contact(int i) const { return leg_contact_[i]; }
  bool awake() const { return has_episode_ && world_.awake(LunarLanderWorld::kHull); }
  std::int64_t steps() const { return steps_; }  // steps since reset, the no-op one included

  // For drawing.
  bool has_episode() const { return has_episode_; }
  // The bodies (LunarLanderWorld::kHull, kLeg0, kLeg1): transforms and shapes.
  const LunarLanderWorld& world() const { return world_; }
  // The terrain's polyline: kChunks points (x, smoothed height).
  const std::array<double, lunar_lander::kChunks>& terrain_x() const { return chunk_x_; }
  const std::array<double, lunar_lander::kChunks>& terrain_y() const { return smooth_y_; }
  double helipad_x1() const { return helipad_x1_; }
  double helipad_x2() const { return helipad_x2_; }
  double helipad_y() const { return helipad_y_; }
  const std::array<LunarLanderParticle, kMaxParticles>& particles() const { return particles_; }
  double gravity() const { return config_.gravity; }
  const LunarLanderLegs& leg_joints() const { return world_.legs(); }
  // Tests: false runs every leg-joint velocity pass in full, without the
  // exact shortcut of revolute23.h.
  void set_leg_shortcut(bool on) { world_.legs().set_shortcut(on); }
  // Tests: false solves every velocity iteration of the leg joints, without
  // the converged iterations of lunar_lander_legs.h (on by default).
  void set_leg_converged_iterations(bool on) { world_.legs().set_converged_iterations(on); }

 private:
  class Listener : public LunarLanderWorld::Listener {
   public:
    explicit Listener(LunarLanderSim* sim) : sim_(sim) {}
    void begin_contact(int body) override;
    void end_contact(int body) override;

   private:
    LunarLanderSim* sim_;
  };

  void launch_particle(double x, double y, double impulse_x, double impulse_y, double density, double ttl);

  LunarLanderConfig config_;
  LunarLanderWorld world_;
  Listener listener_{this};
  bool has_episode_ = false;

  bool game_over_ = false;
  bool leg_contact_[2] = {false, false};
  bool has_prev_shaping_ = false;
  double prev_shaping_ = 0;
  std::int64_t wind_idx_ = 0, torque_idx_ = 0;
  std::int64_t steps_ = 0;
  std::array<float, 8> obs_{};

  std::array<double, lunar_lander::kChunks> chunk_x_{}, smooth_y_{};
  double helipad_x1_ = 0, helipad_x2_ = 0, helipad_y_ = 0;

  std::array<LunarLanderParticle, kMaxParticles> particles_{};
  int next_particle_ = 0;
};

}  // namespace arena
