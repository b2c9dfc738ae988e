#include "envs/box2d/bipedal_walker.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include "envs/core/draw_list.h"
#include "envs/core/registry.h"

namespace arena {

using namespace bipedal;

namespace {

constexpr double kPi = std::numbers::pi;

// Gymnasium's colours.
constexpr Color kSky = Color::rgb(215, 215, 255);
constexpr Color kCloud = Color::rgb(255, 255, 255);
constexpr Color kGround = Color::rgb(102, 153, 76);
constexpr Color kBlockFill = Color::rgb(255, 255, 255);
constexpr Color kBlockOutline = Color::rgb(153, 153, 153);
constexpr Color kLidar = Color::rgb(255, 0, 0);
constexpr Color kHullFill = Color::rgb(127, 51, 229);
constexpr Color kHullOutline = Color::rgb(76, 76, 127);
constexpr Color kFlag = Color::rgb(230, 51, 0);
constexpr Color kBlack = Color::rgb(0, 0, 0);
// Leg colours: side -1 (legs 0, 1) is lighter than side +1 (legs 2, 3).
constexpr Color leg_fill(int side) {
  return Color::rgb(static_cast<std::uint8_t>(153 - side * 25), static_cast<std::uint8_t>(76 - side * 25),
                    static_cast<std::uint8_t>(127 - side * 25));
}
constexpr Color leg_outline(int side) {
  return Color::rgb(static_cast<std::uint8_t>(102 - side * 25), static_cast<std::uint8_t>(51 - side * 25),
                    static_cast<std::uint8_t>(76 - side * 25));
}

Vec2 v2(b2Vec2 p) { return {p.x, p.y}; }

// The polygons of `body`'s fixtures, in world coordinates.
void draw_body(DrawList& out, const b2Body& body, Color fill, Color outline) {
  const b2Transform& xf = body.GetTransform();
  for (const b2Fixture* f = body.GetFixtureList(); f != nullptr; f = f->GetNext()) {
    if (f->GetType() != b2Shape::e_polygon) continue;
    const auto& poly = static_cast<const b2PolygonShape&>(*f->GetShape());
    Vec2 points[b2_maxPolygonVertices];
    for (int i = 0; i < poly.m_count; ++i) points[i] = v2(b2Mul(xf, poly.m_vertices[i]));
    out.polygon(std::span<const Vec2>(points, static_cast<std::size_t>(poly.m_count)), fill, outline, 1);
  }
}

}  // namespace

BipedalWalker::BipedalWalker(const Options& options, bool hardcore) : hardcore_(hardcore) {
  spec_.id = hardcore ? "BipedalWalkerHardcore-v3" : "BipedalWalker-v3";
  options.require_only({}, "options of " + spec_.id);
  // Gymnasium's v3 bounds (joint speeds up to 5x the rated speed).
  const std::vector<double> high = {kPi, 5, 5, 5, kPi, 5, kPi, 5, 5, kPi, 5, kPi, 5, 5,
                                    1,   1, 1, 1, 1,   1, 1,   1, 1, 1};
  std::vector<double> low = {-kPi, -5, -5, -5, -kPi, -5, -kPi, -5, -0.0, -kPi, -5, -kPi, -5, -0.0};
  low.resize(kObservationSize, -1.0);
  spec_.observation_space = Space::box({kObservationSize}, low, high);
  spec_.action_space = Space::box({4}, -1.0, 1.0);
  spec_.render_fps = kFps;
  actions_.reserve(2048);
}

namespace {
std::span<float, kObservationSize> obs_span(ObsBuffer out) {
  return std::span<float, kObservationSize>(static_cast<float*>(out.data), kObservationSize);
}
}  // namespace

void BipedalWalker::do_reset(ObsBuffer out, std::optional<std::uint64_t>, const Options& options) {
  options.require_only({}, "reset options of " + spec_.id);
  start_episode(obs_span(out));
}

void BipedalWalker::start_episode(std::span<float, kObservationSize> out) {
  episode_rng_ = rng_.state();
  episode_started_ = true;
  actions_.clear();
  sim_.reset(rng_, hardcore_);
  has_prev_shaping_ = false;
  frames_ = 0;
  // Gymnasium's reset returns the observation of one zero-action step.
  static constexpr std::array<float, 4> kZero{};
  advance(kZero, out);
}

StepResult BipedalWalker::do_step(ActionView action, ObsBuffer out) {
  const auto* a = static_cast<const float*>(action.data);
  actions_.push_back({a[0], a[1], a[2], a[3]});
  ++frames_;
  return advance(std::span<const float, 4>(a, 4), obs_span(out));
}

void BipedalWalker::do_save_state(StateWriter& out) const {
  out.pod(static_cast<std::uint8_t>(hardcore_));
  out.pod(static_cast<std::uint8_t>(episode_started_));
  out.pod(episode_rng_);
  out.vec(actions_);
}

void BipedalWalker::do_load_state(StateReader& in) {
  if (in.pod<std::uint8_t>() != static_cast<std::uint8_t>(hardcore_))
    throw std::runtime_error(spec_.id + ": the saved state is of the other course type");
  const bool started = in.pod<std::uint8_t>() != 0;
  const auto start_rng = in.pod<Rng::State>();
  const auto n = in.pod<std::uint64_t>();
  if (n > (std::uint64_t{1} << 32)) throw std::runtime_error(spec_.id + ": corrupt state (action count)");
  std::vector<std::array<float, 4>> actions(static_cast<std::size_t>(n));
  in.bytes(actions.data(), actions.size() * sizeof(actions[0]));
  if (!started) return;
  // Rebuild the episode and replay it (the base class restores rng_ afterwards).
  std::array<float, kObservationSize> scratch{};
  rng_.set_state(start_rng);
  start_episode(scratch);
  for (const auto& a : actions) {
    actions_.push_back(a);
    ++frames_;
    advance(a, scratch);
  }
}

StepResult BipedalWalker::advance(std::span<const float, 4> action, std::span<float, kObservationSize> out) {
  sim_.step(action);
  sim_.observation(out);

  const b2Vec2 pos = sim_.hull().GetPosition();
  // Moving forward pays (about 300 over the course); a tilted hull costs.
  double shaping = 130 * static_cast<double>(pos.x) / kScale;
  shaping -= 5.0 * std::abs(static_cast<double>(sim_.hull().GetAngle()));
  StepResult r;
  r.reward = has_prev_shaping_ ? shaping - prev_shaping_ : 0.0;
  prev_shaping_ = shaping;
  has_prev_shaping_ = true;
  // The torque cost: 0.028 per motor at full torque.
  for (const float a : action)
    r.reward -= 0.00035 * kMotorsTorque * std::clamp(std::abs(static_cast<double>(a)), 0.0, 1.0);

  if (sim_.game_over() || pos.x < 0) {
    r.reward = -100;
    r.terminated = true;
  }
  if (pos.x > (kTerrainLength - sim_.terrain_grass()) * kTerrainStep) r.terminated = true;
  return r;
}

void BipedalWalker::draw(DrawList& out) const {
  const float W = static_cast<float>(kViewportW / kScale), H = static_cast<float>(kViewportH / kScale);
  out.clear(static_cast<int>(kViewportW), static_cast<int>(kViewportH), kSky);
  if (!episode_started_) return;  // before the first reset: only the sky
  // Gymnasium shows the window [max(0, scroll), max(0, scroll) + W] of the
  // course, scroll = hull x - W / 5, in world metres at SCALE pixels each.
  const float scroll = sim_.hull().GetPosition().x - W / 5;
  const float left = std::max(0.0f, scroll);
  out.camera.center = {left + W / 2, H / 2};
  out.camera.scale = static_cast<float>(kScale);
  out.camera.rotation = 0;
  out.camera.y_up = true;

  // Clouds move at half the speed of the ground.
  for (const BipedalWalkerSim::Cloud& cloud : sim_.clouds()) {
    if (cloud.x2 < scroll / 2 || cloud.x1 > scroll / 2 + W) continue;
    Vec2 points[5];
    for (int i = 0; i < 5; ++i) points[i] = {cloud.points[i].x + scroll / 2, cloud.points[i].y};
    out.polygon(points, kCloud);
  }

  // The ground under the surface. Gymnasium fills one quadrilateral per
  // terrain step down to y = 0; one polygon over the visible steps is the same
  // area without antialiased seams between the quadrilaterals.
  const auto tx = sim_.terrain_x();
  const auto ty = sim_.terrain_y();
  std::array<Vec2, 64> ground;  // the view spans 20 m: at most 45 steps
  std::size_t n = 0;
  for (std::size_t i = 0; i + 1 < tx.size() && n + 3 < ground.size(); ++i) {
    if (tx[i + 1] < scroll || tx[i] > scroll + W) continue;
    if (n == 0) ground[n++] = {tx[i], ty[i]};
    ground[n++] = {tx[i + 1], ty[i + 1]};
  }
  if (n >= 2) {
    const float x0 = ground[0].x, x1 = ground[n - 1].x;
    ground[n++] = {x1, 0};
    ground[n++] = {x0, 0};
    out.polygon(std::span<const Vec2>(ground.data(), n), kGround);
  }

  // Gymnasium scans the lidar: one ray per frame, out over frames 0..9 and
  // back over 10..19, then none until frame 100 (a frame per step).
  const int scan = (frames_ + 1) % 100;
  if (scan < 2 * kLidarRays) {
    const auto& ray = sim_.lidar()[scan < kLidarRays ? scan : 2 * kLidarRays - 1 - scan];
    out.line(v2(ray.p1), v2(ray.p2), kLidar, 1);
  }

  // The surface edges (alternating greens) and the obstacles, in Gymnasium's
  // order (its terrain list reversed), then the legs and the hull on top.
  for (std::size_t i = tx.size() - 1; i-- > 0;) {
    if (tx[i + 1] < scroll || tx[i] > scroll + W) continue;
    const Color edge = Color::rgb(76, i % 2 == 0 ? 255 : 204, 76);
    out.line({tx[i], ty[i]}, {tx[i + 1], ty[i + 1]}, edge, 1);
  }
  const auto blocks = sim_.blocks();
  for (std::size_t b = blocks.size(); b-- > 0;) {
    const auto& v = blocks[b].vertices;
    if (std::max({v[0].x, v[1].x, v[2].x, v[3].x}) < scroll || std::min({v[0].x, v[1].x, v[2].x, v[3].x}) > scroll + W)
      continue;
    Vec2 points[4];
    for (int i = 0; i < 4; ++i) points[i] = v2(blocks[b].vertices[i]);
    out.polygon(points, kBlockFill, kBlockOutline, 1);
  }
  for (int i = 0; i < 4; ++i) {
    const int side = i < 2 ? -1 : +1;
    draw_body(out, sim_.leg(i), leg_fill(side), leg_outline(side));
  }
  draw_body(out, sim_.hull(), kHullFill, kHullOutline);

  // The start flag.
  const float flag_x = static_cast<float>(kTerrainStep * 3);
  const float y1 = static_cast<float>(kTerrainHeight), y2 = y1 + 50 / static_cast<float>(kScale);
  out.line({flag_x, y1}, {flag_x, y2}, kBlack, 1);
  const Vec2 flag[3] = {{flag_x, y2}, {flag_x, y2 - 10 / static_cast<float>(kScale)},
                        {flag_x + 25 / static_cast<float>(kScale), y2 - 5 / static_cast<float>(kScale)}};
  out.polygon(flag, kFlag, kBlack, 1);
}

void register_bipedal_walker(Registry& registry) {
  registry.add(
      "BipedalWalker-v3", [](const Options& o) { return std::make_unique<BipedalWalker>(o, false); },
      {.max_episode_steps = 1600, .reward_threshold = 300.0, .kwargs = {}});
  registry.add(
      "BipedalWalkerHardcore-v3", [](const Options& o) { return std::make_unique<BipedalWalker>(o, true); },
      {.max_episode_steps = 2000, .reward_threshold = 300.0, .kwargs = {}});
}

}  // namespace arena
