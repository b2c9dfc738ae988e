// CarRacing-v3: registration, the conformance checker, the track generator,
// the reward and termination bookkeeping, the observation frame, the discrete
// action mapping, and no heap allocation in step().
//
// This file replaces the global operator new and also malloc/calloc/realloc
// (malloc_counter.h), so that Box2D's own allocations, which go through
// malloc, are counted too.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "envs/box2d/car_racing.h"
#include "envs/core/checker.h"
#include "envs/core/draw_list.h"
#include "envs/core/registry.h"
#include "envs/malloc_counter.h"

namespace arena {
namespace {

using namespace car_racing;

std::unique_ptr<Env> make(const Options& options = {}, std::optional<int> max_steps = std::nullopt) {
  Registry registry;
  register_car_racing(registry);
  return registry.make("CarRacing-v3", options, max_steps);
}

CarRacing& car_racing_of(Env& env) { return dynamic_cast<CarRacing&>(env.unwrapped()); }

StepResult step3(Env& env, float steer, float gas, float brake, Array& obs) {
  const float a[3] = {steer, gas, brake};
  return env.step(std::span<const float>(a, 3), obs.view());
}

// ---- registration and conformance -------------------------------------------

TEST(CarRacing, Registration) {
  Registry registry;
  register_car_racing(registry);
  const EnvSpec spec = registry.spec("CarRacing-v3");
  EXPECT_EQ(spec.id, "CarRacing-v3");
  EXPECT_EQ(spec.max_episode_steps, 1000);
  EXPECT_EQ(spec.reward_threshold, 900.0);
  EXPECT_EQ(spec.render_fps, 50);
  EXPECT_EQ(spec.observation_space.repr(), "Box(0, 255, (96, 96, 3), uint8)");
  // As Gymnasium prints it (a high that is the same everywhere is one number).
  EXPECT_EQ(spec.action_space.repr(), "Box([-1.  0.  0.], 1.0, (3,), float32)");
  EXPECT_EQ(spec.kwargs.get_bool("continuous"), true);
  EXPECT_EQ(spec.kwargs.get_bool("domain_randomize"), false);
  EXPECT_EQ(spec.kwargs.get_double("lap_complete_percent"), 0.95);
  EXPECT_EQ(registry.spec("CarRacing-v3", {{"continuous", false}}).action_space.repr(), "Discrete(5)");
}

TEST(CarRacing, CheckerPassesContinuous) {
  Registry registry;
  register_car_racing(registry);
  const CheckReport report = check_env([&] { return registry.make("CarRacing-v3"); });
  EXPECT_TRUE(report.passed()) << report.format();
}

TEST(CarRacing, CheckerPassesDiscrete) {
  Registry registry;
  register_car_racing(registry);
  const CheckReport report = check_env([&] { return registry.make("CarRacing-v3", {{"continuous", false}}); });
  EXPECT_TRUE(report.passed()) << report.format();
}

TEST(CarRacing, CheckerPassesDomainRandomized) {
  Registry registry;
  register_car_racing(registry);
  CheckOptions options;
  options.steps = 200;
  const CheckReport report =
      check_env([&] { return registry.make("CarRacing-v3", {{"domain_randomize", true}}); }, options);
  EXPECT_TRUE(report.passed()) << report.format();
}

TEST(CarRacing, OptionsAreChecked) {
  for (const double bad : {0.0, -0.5, 1.5})
    EXPECT_THROW(make({{"lap_complete_percent", bad}}), OptionError) << bad;
  EXPECT_NO_THROW(make({{"lap_complete_percent", 1.0}}));
  EXPECT_NO_THROW(make({{"lap_complete_percent", 0.5}}));
  EXPECT_THROW(make({{"lap_percent", 0.5}}), OptionError);
  EXPECT_THROW(make({{"continuous", 1.0}}), OptionError);

  auto env = make();
  Array obs = env->observation_space().make_array();
  EXPECT_THROW(env->reset(obs.view(), 1, {{"color", true}}), OptionError);
  EXPECT_NO_THROW(env->reset(obs.view(), 1, {{"randomize", false}}));
}

// ---- the track ---------------------------------------------------------------

TEST(CarRacing, TrackIsSeedDeterministicClosedAndPlausible) {
  auto env = make();
  Array obs = env->observation_space().make_array();
  CarRacing& cr = car_racing_of(*env);
  double total = 0;
  std::set<std::size_t> sizes;
  constexpr int kSeeds = 40;
  for (int seed = 0; seed < kSeeds; ++seed) {
    env->reset(obs.view(), static_cast<std::uint64_t>(seed));
    const std::vector<TrackNode> track = cr.sim().track();
    const std::size_t n = track.size();
    ASSERT_EQ(cr.sim().tiles().size(), n);
    EXPECT_GE(n, 200u) << "seed " << seed;
    EXPECT_LE(n, 420u) << "seed " << seed;
    total += static_cast<double>(n);
    sizes.insert(n);
    // Nodes are TRACK_DETAIL_STEP apart, and the last one comes back near the
    // first (Gymnasium's slice track[i1:i2-1] leaves a gap of about two steps,
    // which tile 0 spans, sometimes a little more).
    for (std::size_t i = 1; i < n; ++i)
      ASSERT_NEAR(std::hypot(track[i].x - track[i - 1].x, track[i].y - track[i - 1].y), kTrackDetailStep, 1e-9);
    EXPECT_LT(std::hypot(track[0].x - track[n - 1].x, track[0].y - track[n - 1].y), 4 * kTrackDetailStep)
        << "seed " << seed;
    // ... "well glued together": the jump across the start is small.
    const double jx = std::cos(track[0].beta) * (track[0].x - track[n - 1].x);
    const double jy = std::sin(track[0].beta) * (track[0].y - track[n - 1].y);
    EXPECT_LE(std::sqrt(jx * jx + jy * jy), kTrackDetailStep);
    // Tile i joins node i-1 to node i, round the loop.
    const Tile& t0 = cr.sim().tiles()[0];
    EXPECT_NEAR(0.5 * (t0.poly[2].x + t0.poly[3].x), track[n - 1].x, 1e-3);
    EXPECT_NEAR(0.5 * (t0.poly[0].x + t0.poly[1].x), track[0].x, 1e-3);
    // Everything inside the playfield.
    for (const TrackNode& p : track) ASSERT_LT(std::max(std::fabs(p.x), std::fabs(p.y)), kPlayfield);

    // The same seed, the same track (also after other episodes).
    env->reset(obs.view(), static_cast<std::uint64_t>(seed) + 1000);
    env->reset(obs.view(), static_cast<std::uint64_t>(seed));
    const std::vector<TrackNode>& again = cr.sim().track();
    ASSERT_EQ(again.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(again[i].x, track[i].x);
      ASSERT_EQ(again[i].y, track[i].y);
      ASSERT_EQ(again[i].beta, track[i].beta);
    }
  }
  const double mean = total / kSeeds;
  EXPECT_GT(mean, 270);  // Gymnasium's defaults give ~290 tiles
  EXPECT_LT(mean, 320);
  EXPECT_GT(sizes.size(), 10u) << "different seeds should give different tracks";
}

TEST(CarRacing, CarStartsAtRestOnTheFirstTile) {
  auto env = make();
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 7);
  const CarRacingSim& sim = car_racing_of(*env).sim();
  const b2Vec2 p = sim.hull()->GetPosition();
  EXPECT_NEAR(p.x, sim.track()[0].x, 0.2);
  EXPECT_NEAR(p.y, sim.track()[0].y, 0.2);
  EXPECT_NEAR(sim.hull()->GetAngle(), sim.track()[0].beta, 0.01);
  EXPECT_LT(sim.hull()->GetLinearVelocity().Length(), 1.0f);
  EXPECT_DOUBLE_EQ(sim.t(), 1.0 / kFps);  // reset runs one frame, as Gymnasium's step(None)
  for (const Wheel& w : sim.wheels()) EXPECT_GT(w.tiles, 0);
}

// ---- reward and termination ----------------------------------------------------

TEST(CarRacing, DrivingStraightVisitsTilesAndEarnsTheirReward) {
  auto env = make();
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 11);
  const CarRacingSim& sim = car_racing_of(*env).sim();
  const double n = static_cast<double>(sim.tiles().size());
  int visited = 0;  // the tiles the reset frame touched pay with the first step (as Gymnasium)
  double total = 0;
  for (int i = 0; i < 80; ++i) {
    const StepResult r = step3(*env, 0, 1, 0, obs);
    const int now = sim.tile_visited_count();
    EXPECT_NEAR(r.reward, (now - visited) * 1000.0 / n - 0.1, 1e-9) << "step " << i;
    EXPECT_FALSE(r.terminated);
    visited = now;
    total += r.reward;
  }
  EXPECT_GE(visited, 15);
  EXPECT_NEAR(total, visited * 1000.0 / n - 0.1 * 80, 1e-9);
  EXPECT_NEAR(sim.total_reward(), total, 1e-9);
}

TEST(CarRacing, LeavingThePlayfieldGivesMinus100AndTerminates) {
  auto env = make({}, 0);  // no time limit
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 1);
  const CarRacingSim& sim = car_racing_of(*env).sim();
  // Half gas, no steering: straight off the first bend and on over the grass.
  StepResult r;
  int steps = 0;
  for (; steps < 2000; ++steps) {
    r = step3(*env, 0, 0.5f, 0, obs);
    if (r.terminated) break;
    EXPECT_NE(r.reward, -100.0);
  }
  ASSERT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, -100.0);
  EXPECT_FALSE(r.truncated);
  const b2Vec2 p = sim.hull()->GetPosition();
  EXPECT_GT(std::max(std::fabs(p.x), std::fabs(p.y)), kPlayfield);
  EXPECT_TRUE(car_racing_of(*env).last_step().out_of_playfield);
  EXPECT_FALSE(car_racing_of(*env).last_step().lap_finished);
}

TEST(CarRacing, TileVisitBookkeeping) {
  auto env = make({{"lap_complete_percent", 0.5}});
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 5);
  CarRacingSim& sim = car_racing_of(*env).sim();
  const int n = static_cast<int>(sim.tiles().size());
  const int start_visits = sim.tile_visited_count();
  ASSERT_GT(start_visits, 0);
  const double start_reward = sim.total_reward();
  sim.score();  // settle the reset frame's tiles

  // A body that is not a wheel only recolours the tile (its shade goes).
  const int far = n / 2 - (n / 2) % 3 + 1;  // a tile with a shade: road + 0.01 * 1 * 255
  const Tile& far_tile = sim.tiles()[static_cast<std::size_t>(far)];
  EXPECT_EQ(far_tile.color.r, sim.road_color().r + 0.01 * 1 * 255);
  sim.on_tile_contact(far, -1, true);
  EXPECT_EQ(far_tile.color.r, sim.road_color().r);
  EXPECT_FALSE(far_tile.visited);
  EXPECT_EQ(sim.tile_visited_count(), start_visits);

  // A wheel: +1000/N once per tile, and the wheel knows it is on road.
  const int tile = far + 1;
  const int on_road = sim.wheels()[2].tiles;
  sim.on_tile_contact(tile, 2, true);
  EXPECT_EQ(sim.wheels()[2].tiles, on_road + 1);
  EXPECT_NEAR(sim.total_reward(), start_reward - 0.1 + 1000.0 / n, 1e-9);
  sim.on_tile_contact(tile, 2, false);
  EXPECT_EQ(sim.wheels()[2].tiles, on_road);
  sim.on_tile_contact(tile, 3, true);  // visited already: no reward
  sim.on_tile_contact(tile, 3, false);
  EXPECT_NEAR(sim.total_reward(), start_reward - 0.1 + 1000.0 / n, 1e-9);
  EXPECT_EQ(sim.tile_visited_count(), start_visits + 1);
  CarRacingStep s = sim.score();
  EXPECT_NEAR(s.reward, 1000.0 / n - 0.1, 1e-9);
  EXPECT_FALSE(s.terminated);

  // Touching the start tile with half the track not yet visited: no lap.
  sim.on_tile_contact(0, 0, true);
  sim.on_tile_contact(0, 0, false);
  EXPECT_FALSE(sim.new_lap());
  EXPECT_FALSE(sim.score().terminated);

  // Visit tiles until more than half are visited, then the start tile: a lap.
  int k = 1;
  while (static_cast<double>(sim.tile_visited_count()) / n <= 0.5) {
    sim.on_tile_contact(k, 1, true);
    sim.on_tile_contact(k, 1, false);
    ++k;
  }
  EXPECT_FALSE(sim.new_lap());
  sim.on_tile_contact(0, 1, true);
  EXPECT_TRUE(sim.new_lap());
  s = sim.score();
  EXPECT_TRUE(s.terminated);
  EXPECT_TRUE(s.lap_finished);
  EXPECT_FALSE(s.out_of_playfield);
}

TEST(CarRacing, VisitingEveryTileTerminates) {
  // With lap_complete_percent = 1 no lap can count: only visiting every tile ends it.
  auto env = make({{"lap_complete_percent", 1.0}});
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 9);
  CarRacingSim& sim = car_racing_of(*env).sim();
  const int n = static_cast<int>(sim.tiles().size());
  sim.score();
  for (int i = 0; i < n - 1; ++i) {
    sim.on_tile_contact(i, 0, true);
    sim.on_tile_contact(i, 0, false);
  }
  EXPECT_EQ(sim.tile_visited_count(), n - 1);
  EXPECT_FALSE(sim.score().terminated);
  sim.on_tile_contact(n - 1, 0, true);
  EXPECT_EQ(sim.tile_visited_count(), n);
  EXPECT_FALSE(sim.new_lap());
  const CarRacingStep s = sim.score();
  EXPECT_TRUE(s.terminated);
  EXPECT_TRUE(s.lap_finished);
  // The episode's tile rewards add up to 1000.
  EXPECT_NEAR(sim.total_reward() + 0.1 * 3 /* three score() frames */, 1000.0, 1e-9);
}

TEST(CarRacing, LapCompletionEndsTheEpisodeThroughStep) {
  // The rear wheels start on the start tile. With a tiny lap_complete_percent
  // the tiles visited at reset are already enough: when a rear wheel leaves
  // the start tile (a contact event with tile 0), the lap counts.
  auto env = make({{"lap_complete_percent", 0.001}});
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 4);
  const CarRacingSim& sim = car_racing_of(*env).sim();
  ASSERT_GT(sim.wheels()[2].tiles, 0);
  int steps = 0;
  StepResult r;
  for (; steps < 200 && !r.terminated; ++steps) r = step3(*env, 0, 0.5f, 0, obs);
  EXPECT_TRUE(r.terminated);
  EXPECT_TRUE(sim.new_lap());
  EXPECT_TRUE(car_racing_of(*env).last_step().lap_finished);
  EXPECT_NE(r.reward, -100.0);

  // With the default 0.95 the same drive goes on.
  auto normal = make();
  normal->reset(obs.view(), 4);
  for (int i = 0; i < steps + 20; ++i) EXPECT_FALSE(step3(*normal, 0, 0.5f, 0, obs).terminated);
}

// ---- observation and drawing -------------------------------------------------------

TEST(CarRacing, ObservationIsGrassRoadAndTheCarAtTheBottomCentre) {
  auto env = make();
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 2);
  for (int i = 0; i < 60; ++i) step3(*env, 0, 0.3f, 0, obs);
  const std::uint8_t* px = obs.data<std::uint8_t>();
  auto at = [&](int x, int y) { return px + 3 * (y * kStateW + x); };
  auto is_grass = [](const std::uint8_t* p) { return p[0] == 102 && p[2] == 102 && (p[1] == 204 || p[1] == 230); };
  auto is_road = [](const std::uint8_t* p) {
    return p[0] == p[1] && p[1] == p[2] && p[0] >= 102 && p[0] <= 107;
  };
  // The hull is (204, 0, 0); kerbs are (255, 0, 0).
  auto is_red = [](const std::uint8_t* p) { return p[0] > 150 && p[0] < 230 && p[1] < 80 && p[2] < 80; };
  int grass = 0, road = 0, red_centre = 0, red_elsewhere = 0, field = 0;
  for (int y = 0; y < 84; ++y)
    for (int x = 0; x < kStateW; ++x) {
      const std::uint8_t* p = at(x, y);
      ++field;
      grass += is_grass(p);
      road += is_road(p);
      const bool centre = y >= 62 && y < 82 && x >= 40 && x < 56;
      if (is_red(p)) (centre ? red_centre : red_elsewhere) += 1;
    }
  EXPECT_GT(grass + road, field * 85 / 100) << "grass " << grass << " road " << road;
  EXPECT_GT(grass, field / 4);
  EXPECT_GT(road, field / 10);
  EXPECT_GT(red_centre, 6);  // the hull
  EXPECT_LT(red_elsewhere, 8);
  // The bottom bar: black but for the indicators and the score.
  int black = 0;
  for (int y = 86; y < kStateH; ++y)
    for (int x = 0; x < kStateW; ++x) black += at(x, y)[0] == 0 && at(x, y)[1] == 0 && at(x, y)[2] == 0;
  EXPECT_GT(black, 10 * kStateW * 6 / 10);
  // The speed indicator (white, place 5 of 40: x 12..14) shows the car moving.
  EXPECT_GT(at(13, 92)[0], 150);
}

TEST(CarRacing, CameraZoomsInOverTheFirstSecondAndFollowsTheCar) {
  auto env = make();
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 3);
  const CarRacingSim& sim = car_racing_of(*env).sim();
  DrawList list;
  env->draw(list);
  EXPECT_EQ(list.width(), kWindowW);
  EXPECT_EQ(list.height(), kWindowH);
  const double t = 1.0 / kFps;
  EXPECT_NEAR(list.camera.scale, 0.1 * kScale * (1 - t) + kZoom * kScale * t, 1e-4);
  for (int i = 0; i < 60; ++i) step3(*env, 0.3f, 0.5f, 0, obs);
  env->draw(list);
  EXPECT_NEAR(list.camera.scale, kZoom * kScale, 1e-4);
  // The car at (W/2, 3H/4) pointing up.
  const b2Vec2 car = sim.hull()->GetPosition();
  const Vec2 c = list.to_canvas({car.x, car.y}, Coords::World);
  EXPECT_NEAR(c.x, kWindowW / 2.0, 0.05);
  EXPECT_NEAR(c.y, kWindowH * 0.75, 0.05);
  const b2Vec2 ahead = sim.hull()->GetWorldPoint(b2Vec2(0, 1));
  const Vec2 a = list.to_canvas({ahead.x, ahead.y}, Coords::World);
  EXPECT_NEAR(a.x, c.x, 0.05);
  EXPECT_LT(a.y, c.y - 10);
  const b2Vec2 left = sim.hull()->GetWorldPoint(b2Vec2(-1, 0));  // not mirrored: the car's left is on the left
  EXPECT_LT(list.to_canvas({left.x, left.y}, Coords::World).x, c.x - 10);
  // draw() does not change the env, and the culled list stays small.
  EXPECT_LT(list.commands().size(), 120u);
}

// ---- actions ---------------------------------------------------------------------------

TEST(CarRacing, DiscreteActionsMapAsGymnasium) {
  auto env = make({{"continuous", false}});
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 1);
  const CarRacingSim& sim = car_racing_of(*env).sim();
  const auto& w = sim.wheels();
  env->step(1, obs.view());  // steer right: car.steer(-0.6)
  EXPECT_EQ(w[0].steer, -0.6);
  EXPECT_EQ(w[1].steer, -0.6);
  EXPECT_EQ(w[2].steer, 0.0);
  EXPECT_EQ(w[2].gas, 0.0);
  EXPECT_EQ(w[0].brake, 0.0);
  for (int i = 0; i < 10; ++i) env->step(1, obs.view());
  EXPECT_LT(w[0].joint->GetJointAngle(), -0.2f);  // the front wheels turned right (clockwise)
  env->step(2, obs.view());  // steer left: car.steer(+0.6)
  EXPECT_EQ(w[0].steer, 0.6);
  EXPECT_EQ(w[1].steer, 0.6);
  env->step(3, obs.view());  // gas 0.2, rising by at most 0.1 a step, rear wheels only
  EXPECT_EQ(w[0].steer, 0.0);
  EXPECT_DOUBLE_EQ(w[2].gas, 0.1);
  EXPECT_DOUBLE_EQ(w[3].gas, 0.1);
  EXPECT_EQ(w[0].gas, 0.0);
  env->step(3, obs.view());
  EXPECT_DOUBLE_EQ(w[2].gas, 0.2);
  env->step(4, obs.view());  // brake 0.8, and the gas drops at once
  for (const Wheel& wheel : w) EXPECT_EQ(wheel.brake, 0.8);
  EXPECT_EQ(w[2].gas, 0.0);
  env->step(0, obs.view());  // nothing
  for (const Wheel& wheel : w) {
    EXPECT_EQ(wheel.brake, 0.0);
    EXPECT_EQ(wheel.steer, 0.0);
    EXPECT_EQ(wheel.gas, 0.0);
  }
  EXPECT_THROW(env->step(5, obs.view()), std::out_of_range);
}

TEST(CarRacing, ContinuousActionsSteerNegatedAndGasClipped) {
  auto env = make();
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 1);
  const auto& w = car_racing_of(*env).sim().wheels();
  step3(*env, -1, 0.05f, 0.3f, obs);  // full left: car.steer(+1)
  EXPECT_EQ(w[0].steer, 1.0);
  EXPECT_DOUBLE_EQ(w[2].gas, static_cast<double>(0.05f));
  EXPECT_DOUBLE_EQ(w[1].brake, static_cast<double>(0.3f));
  for (int i = 0; i < 10; ++i) step3(*env, -1, 0, 0, obs);
  EXPECT_GT(w[0].joint->GetJointAngle(), 0.3f);  // turned left, up to the 0.4 limit
  EXPECT_LE(w[0].joint->GetJointAngle(), 0.41f);
  step3(*env, 0, 7, 0, obs);  // outside the space: the gas is clipped as Gymnasium does
  EXPECT_DOUBLE_EQ(w[2].gas, 0.1);
}

// ---- colours ---------------------------------------------------------------------------

TEST(CarRacing, DomainRandomizeDrawsColoursAtReset) {
  auto plain = make();
  Array obs = plain->observation_space().make_array();
  plain->reset(obs.view(), 1);
  const CarRacingSim& p = car_racing_of(*plain).sim();
  EXPECT_EQ(p.road_color().r, 102);
  EXPECT_EQ(p.bg_color().g, 204);
  EXPECT_EQ(p.grass_color().g, 230);

  auto env = make({{"domain_randomize", true}});
  env->reset(obs.view(), 1);
  const CarRacingSim& sim = car_racing_of(*env).sim();
  const Rgb road = sim.road_color(), bg = sim.bg_color(), grass = sim.grass_color();
  for (double c : {road.r, road.g, road.b, bg.r, bg.g, bg.b}) {
    EXPECT_GE(c, 0);
    EXPECT_LT(c, 210);
  }
  const double d[3] = {grass.r - bg.r, grass.g - bg.g, grass.b - bg.b};
  EXPECT_EQ((d[0] == 20) + (d[1] == 20) + (d[2] == 20), 1);
  EXPECT_EQ((d[0] == 0) + (d[1] == 0) + (d[2] == 0), 2);
  // Tiles take the road colour plus their shade (until something touches them).
  const std::size_t untouched = sim.tiles().size() / 2 - sim.tiles().size() / 2 % 3 + 1;
  EXPECT_EQ(sim.tiles()[untouched].color.r, road.r + 0.01 * 1 * 255);

  env->reset(obs.view(), 1, {{"randomize", false}});  // keeps the colours
  EXPECT_EQ(sim.road_color().r, road.r);
  EXPECT_EQ(sim.bg_color().g, bg.g);
  env->reset(obs.view(), 2);
  EXPECT_NE(sim.road_color().r, road.r);
  env->reset(obs.view(), 1);  // the seed decides
  EXPECT_EQ(sim.road_color().r, road.r);
}

TEST(CarRacing, StateCannotBeSaved) {
  // Box2D's world cannot be serialised: save_state refuses, as the Env contract allows.
  auto env = make();
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 1);
  StateWriter w;
  EXPECT_THROW(env->save_state(w), std::logic_error);
}

// ---- allocation ----------------------------------------------------------------------------

TEST(CarRacing, StepDoesNotAllocate) {
  auto env = make({}, 0);
  Array obs = env->observation_space().make_array();
  Array act = env->action_space().make_array();
  const Space& space = env->action_space();
  Rng rng(3);
  auto draw_action = [&] {
    float* a = act.data<float>();
    for (std::size_t i = 0; i < 3; ++i) a[i] = static_cast<float>(rng.uniform(space.low()[i], space.high()[i]));
  };
  DrawList list;
  // The counter sees Box2D's mallocs: a reset builds a world and ~300 bodies
  // (Box2D's block allocator takes memory in 16 KiB chunks).
  test::MallocCounter reset_mallocs;
  env->reset(obs.view(), 1);
  reset_mallocs.stop();
  EXPECT_GT(reset_mallocs.allocations(), 10);
  for (int i = 0; i < 300; ++i) {  // warm-up: buffers, Box2D's pools, the rasterizer's scratch
    draw_action();
    if (env->step(act.view(), obs.view()).done()) env->reset(obs.view());
    env->draw(list);
  }
  std::int64_t news = 0, mallocs = 0;
  int steps = 0;
  while (steps < 3000) {
    draw_action();
    test::MallocCounter malloc_counter;
    test::AllocCounter counter;
    const StepResult r = env->step(act.view(), obs.view());
    env->draw(list);
    counter.stop();
    malloc_counter.stop();
    news += counter.allocations();
    mallocs += malloc_counter.allocations();
    ++steps;
    if (r.done()) env->reset(obs.view());
  }
  EXPECT_EQ(news, 0) << "operator new calls in " << steps << " steps";
  // Box2D allocates with malloc from its block allocator's free lists; once
  // warmed up it needs new blocks only rarely (a new contact pair kind).
  std::printf("[ CarRacing ] %lld malloc calls (Box2D included) in %d steps after warm-up\n",
              static_cast<long long>(mallocs), steps);
  EXPECT_EQ(mallocs, 0);
}

}  // namespace
}  // namespace arena
