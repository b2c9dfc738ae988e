// LunarLanderWorld: Box2D 2.3's world step on plain data.
//
// Its fidelity is tested against Gymnasium's recordings in
// lunar_lander_test.cpp; here a mix of 600 episodes is pinned bit for bit, so
// that any change to the world's arithmetic (a refactoring, a faster path)
// that moves a float anywhere in random, heuristic, windy or heavy-gravity
// play, with landings, crashes and time-of-impact sub-steps, fails a test.
#include "envs/box2d/lunar_lander_world.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "envs/lunar_lander_trace.h"

namespace arena {
namespace {

struct Recorded {
  int steps = 0;
  std::uint64_t hash = 0;
};

std::vector<Recorded> load_trace() {
  std::ifstream in(std::string(ARENA_TEST_DATA_DIR) + "/lunar_lander_world_trace.txt");
  std::vector<Recorded> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    int episode = 0;
    Recorded r;
    fields >> episode >> r.steps >> std::hex >> r.hash;
    EXPECT_EQ(episode, static_cast<int>(out.size()));
    out.push_back(r);
  }
  return out;
}

// 600 episodes (~120k steps) give the pinned observations, rewards and flags.
TEST(LunarLanderWorld, EpisodesArePinnedBitForBit) {
  const std::vector<Recorded> recorded = load_trace();
  ASSERT_EQ(recorded.size(), 600u);
  int mismatched = 0, first_mismatch = -1, landed = 0, crashed = 0;
  std::int64_t steps = 0, toi_events = 0;
  std::map<const LunarLanderSim*, std::int64_t> toi_before;  // each config's sim counts across its episodes
  lunar_lander_trace::run(600, [&](int e, const lunar_lander_trace::Episode& ep, const LunarLanderSim& sim) {
    const Recorded& r = recorded[static_cast<std::size_t>(e)];
    if (ep.steps != r.steps || ep.hash != r.hash) {
      if (first_mismatch < 0) first_mismatch = e;
      ++mismatched;
    }
    steps += ep.steps;
    landed += ep.landed ? 1 : 0;
    crashed += ep.crashed ? 1 : 0;
    toi_events += sim.world().toi_events() - toi_before[&sim];
    toi_before[&sim] = sim.world().toi_events();
  });
  EXPECT_EQ(mismatched, 0) << "first differing episode: " << first_mismatch;
  // The mix covers what the world does: landings that come to rest (sleep),
  // crashes, and impacts solved by time of impact.
  EXPECT_GT(landed, 100);
  EXPECT_GT(crashed, 100);
  EXPECT_GT(steps, 100000);
  EXPECT_GT(toi_events, 100);
}

// A fast fall onto the ground is caught by the time-of-impact sub-step: the
// hull stops on the surface instead of passing through it.
TEST(LunarLanderWorld, TimeOfImpactStopsAFastFall) {
  LunarLanderWorld world(b2Vec2(0, -10));
  world.clear();
  world.add_edge(b2Vec2(0, 0), b2Vec2(20, 0), 0.2f);
  b2PolygonShape box;
  box.SetAsBox(0.5f, 0.1f);
  world.add_body(LunarLanderWorld::kHull, b2Vec2(10, 3), 0, box, 1, 0.1f);
  world.apply_linear_impulse(LunarLanderWorld::kHull, b2Vec2(0, -60 * 0.2f), b2Vec2(10, 3));  // mass 0.2: 60 m/s down
  const float speed = world.linear_velocity(LunarLanderWorld::kHull).y;
  EXPECT_LT(speed, -59.0f);  // 1.2 m a step: the 0.2 m box would pass through the edge between two steps
  for (int i = 0; i < 10; ++i) world.step(1.0f / 50, 180, 60);
  EXPECT_GT(world.toi_events(), 0);
  EXPECT_GT(world.position(LunarLanderWorld::kHull).y, 0.0f) << "tunnelled through the ground";
  EXPECT_LT(world.position(LunarLanderWorld::kHull).y, 0.2f);
}

}  // namespace
}  // namespace arena

namespace arena {
namespace {

TEST(LunarLanderWorld, TooManyEdgesIsAnError) {
  LunarLanderWorld world(b2Vec2(0, -10));
  world.clear();
  for (int i = 0; i < LunarLanderWorld::kMaxEdges; ++i)
    world.add_edge(b2Vec2(static_cast<float>(i), 0), b2Vec2(static_cast<float>(i + 1), 0), 0.1f);
  EXPECT_THROW(world.add_edge(b2Vec2(20, 0), b2Vec2(21, 0), 0.1f), std::length_error);
}

}  // namespace
}  // namespace arena
