// The physics and game core of CarRacing-v3 (Gymnasium 1.x's car_racing.py and
// car_dynamics.py), without spaces or rendering: the Box2D world, the random
// track, the top-down car with its tyre model, and the tile-visit bookkeeping
// that produces the reward. envs/box2d/car_racing.h wraps it as an Env.
//
// Units are Gymnasium's: world units (the track is ~150 across), seconds,
// angles in radians. Gymnasium's Python arithmetic is double precision on top
// of Box2D's float32; so is this one.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include <box2d/box2d.h>

#include "envs/core/rng.h"

namespace arena {

namespace car_racing {

// car_racing.py
inline constexpr int kStateW = 96, kStateH = 96;      // the observation
inline constexpr int kVideoW = 600, kVideoH = 400;    // rgb_array frames
inline constexpr int kWindowW = 1000, kWindowH = 800;  // the canvas everything is drawn on
inline constexpr double kScale = 6.0;                 // track scale
inline constexpr double kTrackRad = 900 / kScale;     // the track is a morphed circle of this radius
inline constexpr double kPlayfield = 2000 / kScale;   // beyond it the episode ends with -100
inline constexpr double kFps = 50;
inline constexpr double kZoom = 2.7;
inline constexpr double kTrackDetailStep = 21 / kScale;
inline constexpr double kTrackTurnRate = 0.31;
inline constexpr double kTrackWidth = 40 / kScale;
inline constexpr double kBorder = 8 / kScale;
inline constexpr int kBorderMinCount = 4;
inline constexpr double kGrassDim = kPlayfield / 20.0;
inline constexpr int kCheckpoints = 12;
inline constexpr int kMaxTrackNodes = 2500;  // the generator's no_freeze limit (bounds the tile count)

// car_dynamics.py
inline constexpr double kSize = 0.02;
inline constexpr double kEnginePower = 100000000 * kSize * kSize;
inline constexpr double kWheelMomentOfInertia = 4000 * kSize * kSize;
inline constexpr double kFrictionLimit = 1000000 * kSize * kSize;  // friction ~ mass ~ size^2
inline constexpr double kWheelR = 27, kWheelW = 14;
// The car's shapes, in car_dynamics units (times kSize: world units); +y is forward.
inline constexpr double kHullPoly1[4][2] = {{-60, +130}, {+60, +130}, {+60, +110}, {-60, +110}};
inline constexpr double kHullPoly2[4][2] = {{-15, +120}, {+15, +120}, {+20, +20}, {-20, 20}};
inline constexpr double kHullPoly3[8][2] = {{+25, +20},  {+50, -10},  {+50, -40}, {+20, -90},
                                            {-20, -90}, {-50, -40}, {-50, -10}, {-25, +20}};
inline constexpr double kHullPoly4[4][2] = {{-50, -120}, {+50, -120}, {+50, -90}, {-50, -90}};
inline constexpr double kWheelPos[4][2] = {{-55, +80}, {+55, +80}, {-55, -82}, {+55, -82}};  // FL, FR, RL, RR
inline constexpr int kMaxParticles = 30;       // skid traces kept for drawing
inline constexpr int kMaxParticlePoints = 30;  // points per trace

struct Rgb {
  double r = 0, g = 0, b = 0;
};

// One node of the generated centre line: Gymnasium's (alpha, beta, x, y).
struct TrackNode {
  double alpha, beta, x, y;
};

// A road tile: a quad between consecutive centre-line nodes, a Box2D sensor.
struct Tile {
  std::array<b2Vec2, 4> poly;  // road1_l, road1_r, road2_r, road2_l
  Rgb color;                   // road colour + 0.01 * (i % 3) * 255 until something touches it
  b2Vec2 center;               // bounding circle, for culling
  float radius = 0;
  bool visited = false;
  b2Body* body = nullptr;
};

// A red or white kerb stone on the outside of a hard turn (drawn only).
struct Kerb {
  std::array<b2Vec2, 4> poly;
  bool white;
  int tile;  // the tile it belongs to
  b2Vec2 center;
  float radius;
};

struct Wheel {
  b2Body* body = nullptr;
  b2RevoluteJoint* joint = nullptr;
  double gas = 0, brake = 0, steer = 0;
  double phase = 0;  // wheel angle (drawn as the moving grey band)
  double omega = 0;  // angular velocity
  int tiles = 0;     // road tiles under the wheel (Gymnasium's w.tiles set)
  // Skid trace state (Gymnasium's skid_start / skid_particle).
  bool has_skid_start = false;
  b2Vec2 skid_start{0, 0};
  int particle = -1;             // slot of the trace being extended, -1 none
  std::uint32_t particle_serial = 0;
  bool particle_grass = false;
  int particle_len = 0;          // its length, also when it fell out of the ring
};

// A skid trace: a polyline of wheel positions, black on road, mud on grass.
struct Particle {
  bool grass = false;
  int len = 0;
  std::uint32_t serial = 0;
  std::array<b2Vec2, kMaxParticlePoints> poly;
};

// The controls of one step (car.steer / gas / brake).
struct CarControls {
  double steer = 0;  // target front wheel position, + turns left (Gymnasium passes -action[0])
  double gas = 0;    // clipped to [0, 1], rises by at most 0.1 a step
  double brake = 0;  // >= 0.9 blocks the wheels
};

// What one scored step gives (the reward bookkeeping of CarRacing.step).
struct CarRacingStep {
  double reward = 0;
  bool terminated = false;
  bool lap_finished = false;
  bool out_of_playfield = false;
};

class CarRacingSim {
 public:
  explicit CarRacingSim(double lap_complete_percent = 0.95);
  ~CarRacingSim();
  CarRacingSim(const CarRacingSim&) = delete;
  CarRacingSim& operator=(const CarRacingSim&) = delete;

  // Colours of the episode (Gymnasium's road_color, bg_color, grass_color).
  void set_colors(Rgb road, Rgb background, Rgb grass);
  Rgb road_color() const { return road_color_; }
  Rgb bg_color() const { return bg_color_; }
  Rgb grass_color() const { return grass_color_; }

  // Starts an episode: a fresh world, a new track from `rng` (retried until
  // the generator succeeds, as Gymnasium does), the car at rest on the first
  // tile, the bookkeeping cleared. Does not step: see advance().
  void reset(Rng& rng);

  // One attempt of Gymnasium's _create_track on an empty world: draws the
  // checkpoints from `rng`; false when the track does not close well.
  bool create_track(Rng& rng);

  // Physics of one frame: the controls (when given), the car's tyre model,
  // world.Step(1/50, 180, 60) (tile contacts update the bookkeeping), t += 1/50.
  void advance(const CarControls* controls);
  // The reward and termination of the frame just advanced (-0.1 a frame plus
  // the tile rewards; -100 and terminated off the playfield; terminated when
  // every tile is visited or a lap is complete).
  CarRacingStep score();

  // The contact bookkeeping (FrictionDetector): `tile` touched (begin) or
  // left by wheel `wheel`, or by another body when wheel < 0.
  void on_tile_contact(int tile, int wheel, bool begin);

  // ---- state, for rendering and tests
  const std::vector<TrackNode>& track() const { return track_; }
  const std::vector<Tile>& tiles() const { return tiles_; }
  const std::vector<Kerb>& kerbs() const { return kerbs_; }
  const std::array<Wheel, 4>& wheels() const { return wheels_; }
  const b2Body* hull() const { return hull_; }
  // Skid traces, oldest first: particle(i) for i < particle_count().
  int particle_count() const { return particle_count_; }
  const Particle& particle(int i) const { return particles_[(particle_head_ + i) % kMaxParticles]; }
  double t() const { return t_; }
  double total_reward() const { return reward_; }  // Gymnasium's self.reward
  int tile_visited_count() const { return tile_visited_count_; }
  bool new_lap() const { return new_lap_; }
  double lap_complete_percent() const { return lap_complete_percent_; }
  double start_alpha() const { return start_alpha_; }
  int track_attempts() const { return attempts_; }  // create_track calls of the last reset

 private:
  class Listener;
  void create_car(double angle, double x, double y);
  void car_step(double dt);
  void add_particle(b2Vec2 a, b2Vec2 b, bool grass, Wheel& w);

  double lap_complete_percent_;
  Rgb road_color_{102, 102, 102}, bg_color_{102, 204, 102}, grass_color_{102, 230, 102};
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<b2World> world_;
  std::vector<TrackNode> track_;
  std::vector<Tile> tiles_;
  std::vector<Kerb> kerbs_;
  b2Body* hull_ = nullptr;
  std::array<Wheel, 4> wheels_{};
  std::array<Particle, kMaxParticles> particles_{};
  int particle_head_ = 0, particle_count_ = 0;
  std::uint32_t particle_serial_ = 0;
  double start_alpha_ = 0;
  double t_ = 0;
  double reward_ = 0, prev_reward_ = 0;
  int tile_visited_count_ = 0;
  bool new_lap_ = false;
  int attempts_ = 0;
};

}  // namespace car_racing

using car_racing::CarRacingSim;

}  // namespace arena
