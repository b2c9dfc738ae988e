// The physics core of BipedalWalker-v3 / BipedalWalkerHardcore-v3 (Gymnasium
// 1.x, by Oleg Klimov) on Debian's libbox2d 2.4.1 with Box2D 2.3's revolute
// joints: the terrain generator, the walker
// (hull, two thighs, two shins, four motorised revolute joints), the contact
// listener and the ten lidar rays. No rewards and no spaces here: the Env
// adapter (bipedal_walker.h) turns this into an environment.
//
// Units are Box2D's (metres, seconds); Gymnasium's pixel constants are divided
// by kScale as Gymnasium does. The random numbers come from the caller's Rng
// in Gymnasium's order (terrain, clouds, initial push); their values differ
// from numpy's.
//
// Where this differs from Gymnasium's code (not its behaviour):
// - The terrain is one static body with a fixture per piece (Gymnasium: a
//   body per piece). Contacts are per fixture pair, so the physics agree.
// - The lidar casts against the terrain pieces in each ray's reach instead of
//   through b2World::RayCast; the fractions are the same floats
//   (lidar_by_world_raycast() is the reference, and a test compares them).
// - Gymnasium runs on pybox2d (Box2D 2.3), this on libbox2d 2.4.1's world
//   with the four joints solved by Box2D 2.3's revolute algorithm
//   (revolute23_joint.h; 2.4 rewrote the joint limits, and the walker lives on
//   them). Contacts, integration and mass round as 2.4.1 does, so
//   trajectories differ in their last bits even for the same course and
//   actions; the behaviour is Gymnasium's: its heuristic scores 99.3 +- 121.8
//   (hardcore -60.6 +- 24.7) over 1000 seeds here, against Gymnasium's 102.6
//   +- 125.1 (-59.2 +- 25.2); with 2.4.1's joints it was 118.0 +- 131.8
//   (-63.3 +- 22.7). The joint reference angles are pybox2d's (bodyB.angle -
//   bodyA.angle at creation), and the motors wake sleeping bodies on every
//   step as 2.3's motor setters do.
#pragma once

#include <box2d/box2d.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "envs/box2d/revolute23.h"
#include "envs/core/rng.h"

namespace arena {

namespace bipedal {
inline constexpr double kFps = 50;
inline constexpr double kScale = 30.0;  // pixels per metre
inline constexpr double kMotorsTorque = 80;
inline constexpr double kSpeedHip = 4;
inline constexpr double kSpeedKnee = 6;
inline constexpr double kLidarRange = 160 / kScale;
inline constexpr int kLidarRays = 10;
inline constexpr double kInitialRandom = 5;  // the initial horizontal push on the hull, N
inline constexpr double kLegDown = -8 / kScale;
inline constexpr double kLegW = 8 / kScale;
inline constexpr double kLegH = 34 / kScale;
inline constexpr double kViewportW = 600;
inline constexpr double kViewportH = 400;
inline constexpr double kTerrainStep = 14 / kScale;
inline constexpr int kTerrainLength = 200;  // in steps
inline constexpr double kTerrainHeight = kViewportH / kScale / 4;
inline constexpr int kTerrainGrass = 10;     // grass stretches last kTerrainGrass/2 .. kTerrainGrass-1 steps
inline constexpr int kTerrainStartpad = 20;  // flat steps at the start
inline constexpr double kFriction = 2.5;
inline constexpr int kObservationSize = 24;
// Gymnasium's solver settings: World.Step(1/FPS, 6*30, 2*30).
inline constexpr int kVelocityIterations = 6 * 30;
inline constexpr int kPositionIterations = 2 * 30;
// The walker's pieces collide only with the ground (category 1).
inline constexpr std::uint16_t kGroundCategory = 0x0001;
inline constexpr std::uint16_t kWalkerCategory = 0x0020;
}  // namespace bipedal

// The states of Gymnasium's terrain generator. Normal terrain is all Grass;
// hardcore terrain alternates grass with a random obstacle.
enum class TerrainState : std::uint8_t { Grass = 0, Stump = 1, Stairs = 2, Pit = 3 };

class BipedalWalkerSim {
 public:
  // A solid terrain piece (stump, stair step, pit wall): a quadrilateral,
  // drawn white with a grey outline.
  struct Block {
    std::array<b2Vec2, 4> vertices;
  };
  // Where the generator placed an obstacle: its kind and terrain step index.
  struct Obstacle {
    TerrainState kind;
    int step;
  };
  // A cloud (visual only): five points and its horizontal extent.
  struct Cloud {
    std::array<b2Vec2, 5> points;
    float x1, x2;
  };
  // One lidar ray of the last step: from the hull (p1) to the closest ground
  // hit or the end of its range (p2); `fraction` = |p2 - p1| / range.
  struct LidarRay {
    b2Vec2 p1{0, 0}, p2{0, 0};
    float fraction = 1;
  };

  BipedalWalkerSim();
  ~BipedalWalkerSim();
  BipedalWalkerSim(const BipedalWalkerSim&) = delete;
  BipedalWalkerSim& operator=(const BipedalWalkerSim&) = delete;

  // Starts an episode: removes the previous terrain and walker, generates the
  // terrain (with obstacles when `hardcore`) and the clouds from `rng`, builds
  // the walker standing on the start pad and pushes its hull horizontally with
  // a force uniform in +-kInitialRandom (applied during the next step()).
  // Allocates (terrain storage, Box2D bodies); step() does not.
  void reset(Rng& rng, bool hardcore);

  // Gymnasium's torque control: joint i's motor turns towards sign(action[i])
  // at its rated speed (hips kSpeedHip, knees kSpeedKnee) with a torque limit
  // of kMotorsTorque * clip(|action[i]|, 0, 1). Then advances the world by
  // 1/kFps and casts the lidar. Joint order: hip 0, knee 0, hip 1, knee 1.
  void step(std::span<const float, 4> action);

  // Writes the 24 observation floats of the current state: hull angle, angular
  // velocity and velocity (scaled as Gymnasium does), per leg the hip angle and
  // speed, knee angle + 1 and speed, shin ground contact, then the 10 lidar
  // fractions. Meaningful after the first step() of an episode.
  void observation(std::span<float, bipedal::kObservationSize> out) const;

  // Moves the whole walker by (dx, dy) metres, velocities kept (for tests and
  // tools: placing the walker near an obstacle or off the course).
  void shift_walker(float dx, float dy);

  // The accessors below describe the current episode: call them after reset().

  // The hull touched the ground in this episode (Gymnasium's game_over).
  bool game_over() const { return game_over_; }
  // Shin `leg` (0 or 1) touches the ground (as Gymnasium tracks it: the last
  // begin/end contact event of that shin decides).
  bool ground_contact(int leg) const { return ground_contact_[leg]; }
  const b2Body& hull() const { return *hull_; }
  // Thigh 0, shin 0, thigh 1, shin 1 (Gymnasium's self.legs).
  const b2Body& leg(int i) const { return *legs_[i]; }
  const b2RevoluteJoint& joint(int i) const { return *joints_[i]; }

  // The terrain: kTerrainLength surface points (x, y), the solid blocks and
  // the obstacles, in the generator's order.
  std::span<const float> terrain_x() const { return terrain_x_; }
  std::span<const float> terrain_y() const { return terrain_y_; }
  std::span<const Block> blocks() const { return blocks_; }
  std::span<const Obstacle> obstacles() const { return obstacles_; }
  std::span<const Cloud> clouds() const { return clouds_; }
  const std::array<LidarRay, bipedal::kLidarRays>& lidar() const { return lidar_; }
  // The lidar fractions as Box2D's b2World::RayCast with Gymnasium's callback
  // finds them (the closest ground fixture; walker fixtures ignored), for the
  // current hull position. step() gets the same numbers faster by casting
  // only against the terrain pieces each ray can reach.
  std::array<float, bipedal::kLidarRays> lidar_by_world_raycast() const;
  // Grass stretch length the end of the course is measured from
  // (finish line: (kTerrainLength - terrain_grass()) * kTerrainStep).
  int terrain_grass() const { return bipedal::kTerrainGrass; }

 private:
  class ContactListener;
  void destroy_episode();
  void generate_terrain(Rng& rng, bool hardcore);
  void generate_clouds(Rng& rng);
  void build_walker(Rng& rng);
  void cast_lidar();
  void add_block(const std::array<b2Vec2, 4>& vertices);

  std::unique_ptr<b2World> world_;
  std::unique_ptr<ContactListener> listener_;
  b2Body* ground_ = nullptr;  // one static body holding every terrain fixture
  b2Body* hull_ = nullptr;
  std::array<b2Body*, 4> legs_{};
  std::array<b2RevoluteJoint*, 4> joints_{};
  std::array<Revolute23, 4> joint_solvers_{};  // Box2D 2.3's solver state of each joint
  bool game_over_ = false;
  std::array<bool, 2> ground_contact_{};

  std::vector<float> terrain_x_, terrain_y_;
  std::vector<Block> blocks_;
  std::vector<Obstacle> obstacles_;
  std::vector<Cloud> clouds_;
  // The terrain's ground fixtures, for the lidar: edges by step index and the
  // blocks' polygons (each with its x extent).
  std::vector<b2EdgeShape> edges_;
  std::vector<b2PolygonShape> block_shapes_;
  std::vector<std::array<float, 2>> block_x_;
  std::array<LidarRay, bipedal::kLidarRays> lidar_{};
};

}  // namespace arena
