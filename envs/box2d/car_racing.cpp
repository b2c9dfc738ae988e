#include "envs/box2d/car_racing.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "envs/core/registry.h"

namespace arena {

using namespace car_racing;

namespace {

constexpr float kW = kWindowW, kH = kWindowH;

// Gymnasium converts colours with int(): truncation.
std::uint8_t channel(double v) { return static_cast<std::uint8_t>(std::clamp(std::trunc(v), 0.0, 255.0)); }
Color to_color(Rgb c) { return Color::rgb(channel(c.r), channel(c.g), channel(c.b)); }

constexpr Color kBlack = Color::rgb(0, 0, 0);
constexpr Color kHullColor = Color::rgb(204, 0, 0);       // int(0.8 * 255)
constexpr Color kWheelColor = Color::rgb(0, 0, 0);
constexpr Color kWheelWhite = Color::rgb(77, 77, 77);
constexpr Color kMudColor = Color::rgb(102, 102, 0);
constexpr Color kKerbWhite = Color::rgb(255, 255, 255);
constexpr Color kKerbRed = Color::rgb(255, 0, 0);

Vec2 to_vec(b2Vec2 p) { return {p.x, p.y}; }

double sign(double v) { return v > 0 ? 1.0 : (v < 0 ? -1.0 : 0.0); }


bool bool_option(const Options& options, std::string_view key, bool fallback) {
  return options.has(key) ? options.get_bool(key) : fallback;
}

double lap_percent_option(const Options& options) {
  const double v = options.has("lap_complete_percent") ? options.get_double("lap_complete_percent") : 0.95;
  if (!(v > 0 && v <= 1))
    throw OptionError("option 'lap_complete_percent' of CarRacing-v3 must lie in (0, 1], got " +
                      option_to_string(OptionValue(v)));
  return v;
}

}  // namespace

CarRacing::CarRacing(const Options& options)
    : continuous_(bool_option(options, "continuous", true)),
      domain_randomize_(bool_option(options, "domain_randomize", false)),
      lap_complete_percent_(lap_percent_option(options)),
      sim_(lap_complete_percent_) {
  options.require_only({"continuous", "domain_randomize", "lap_complete_percent"}, "options of CarRacing-v3");
  spec_.id = "CarRacing-v3";
  spec_.observation_space = Space::box({kStateH, kStateW, 3}, 0, 255, DType::UInt8);
  spec_.action_space = continuous_ ? Space::box({3}, {-1, 0, 0}, {1, 1, 1}) : Space::discrete(5);
  spec_.render_fps = kFps;
}

void CarRacing::randomize_colors() {
  // Gymnasium's _reinit_colors: road and background uniform in [0, 210); the
  // grass is the background with one channel 20 brighter.
  Rgb road{rng_.uniform(0, 210), rng_.uniform(0, 210), rng_.uniform(0, 210)};
  Rgb bg{rng_.uniform(0, 210), rng_.uniform(0, 210), rng_.uniform(0, 210)};
  Rgb grass = bg;
  switch (rng_.below(3)) {
    case 0: grass.r += 20; break;
    case 1: grass.g += 20; break;
    default: grass.b += 20; break;
  }
  sim_.set_colors(road, bg, grass);
}

void CarRacing::do_reset(ObsBuffer out, std::optional<std::uint64_t>, const Options& options) {
  options.require_only({"randomize"}, "reset options of CarRacing-v3");
  if (domain_randomize_) {
    const bool randomize = options.has("randomize") ? options.get_bool("randomize") : true;
    if (randomize) randomize_colors();
  }
  sim_.reset(rng_);
  last_step_ = {};
  // Gymnasium's reset returns step(None): one frame of physics, no score.
  sim_.advance(nullptr);
  render_observation(out);
}

StepResult CarRacing::do_step(ActionView action, ObsBuffer out) {
  CarControls c;
  if (continuous_) {
    const float* a = static_cast<const float*>(action.data);
    c.steer = -static_cast<double>(a[0]);
    c.gas = a[1];
    c.brake = a[2];
  } else {
    const std::int64_t k = *static_cast<const std::int64_t*>(action.data);
    c.steer = -0.6 * (k == 1) + 0.6 * (k == 2);
    c.gas = 0.2 * (k == 3);
    c.brake = 0.8 * (k == 4);
  }
  sim_.advance(&c);
  render_observation(out);  // before the frame's -0.1, as Gymnasium (its score display shows it)
  last_step_ = sim_.score();
  return {last_step_.reward, last_step_.terminated, false};
}

void CarRacing::render_observation(ObsBuffer out) {
  build_frame(frame_, false);
  rasterize(frame_, kStateW, kStateH, image_);
  std::memcpy(out.data, image_.rgb.data(), image_.rgb.size());
}

void CarRacing::draw(DrawList& out) const { build_frame(out, true); }

void CarRacing::build_frame(DrawList& out, bool particles) const {
  const b2Body* hull = sim_.hull();
  if (hull == nullptr) {  // before the first reset
    out.clear(kWindowW, kWindowH, kBlack);
    return;
  }
  // Camera: zoom in over the first second; the car at (W/2, 3H/4) of the
  // canvas, pointing up (Gymnasium rotates the world by -angle, draws the car
  // at (W/2, H/4) and flips the surface).
  const double t = sim_.t();
  const double zoom = 0.1 * kScale * std::max(1 - t, 0.0) + kZoom * kScale * std::min(t, 1.0);
  const b2Vec2 car = hull->GetPosition();
  const double angle = hull->GetAngle();
  const double ca = std::cos(angle), sa = std::sin(angle);
  const double px = car.x, py = car.y;
  auto world_of = [&](double cx, double cy) {  // canvas -> world
    const double u = (cx - kW / 2) / zoom, v = (0.75 * kH - cy) / zoom;
    return std::pair<double, double>{px + ca * u - sa * v, py + sa * u + ca * v};
  };
  // Whether a shape within `r` of `c` can reach the canvas.
  auto visible = [&](b2Vec2 c, float r) {
    const double dx = c.x - px, dy = c.y - py;
    const double cx = kW / 2 + zoom * (ca * dx + sa * dy), cy = 0.75 * kH - zoom * (-sa * dx + ca * dy);
    const double m = r * zoom + 1;
    return cx > -m && cx < kW + m && cy > -m && cy < kH + m;
  };

  // The view's corners in the world: the background field covers the canvas
  // when they all lie on it (then it is the clear colour).
  double minx = 1e30, maxx = -1e30, miny = 1e30, maxy = -1e30;
  bool inside = true;
  for (const auto& [cx, cy] : {std::pair<double, double>{0, 0}, {kW, 0}, {0, kH}, {kW, kH}}) {
    const auto [x, y] = world_of(cx, cy);
    minx = std::min(minx, x), maxx = std::max(maxx, x), miny = std::min(miny, y), maxy = std::max(maxy, y);
    inside = inside && std::fabs(x) <= kPlayfield && std::fabs(y) <= kPlayfield;
  }
  const Color bg = to_color(sim_.bg_color());
  out.clear(kWindowW, kWindowH, inside ? bg : kBlack);
  const auto [ccx, ccy] = world_of(kW / 2, kH / 2);
  out.camera.center = {static_cast<float>(ccx), static_cast<float>(ccy)};
  out.camera.scale = static_cast<float>(zoom);
  out.camera.rotation = static_cast<float>(angle);
  out.camera.y_up = true;
  if (!inside) {
    const float b = static_cast<float>(kPlayfield);
    const Vec2 field[4] = {{b, b}, {b, -b}, {-b, -b}, {-b, b}};
    out.polygon(field, bg);
  }

  // Grass squares: every other cell of a 40x40 grid, where the view is.
  const Color grass = to_color(sim_.grass_color());
  const double g = kGrassDim;
  auto cell_range = [g](double lo, double hi, int& first, int& last) {
    first = std::max(-20, static_cast<int>(std::ceil((lo - g) / g)));
    last = std::min(18, static_cast<int>(std::floor(hi / g)));
    if (first % 2 != 0) ++first;  // even cells only
  };
  int x0, x1, y0, y1;
  cell_range(minx, maxx, x0, x1);
  cell_range(miny, maxy, y0, y1);
  for (int x = x0; x <= x1; x += 2)
    for (int y = y0; y <= y1; y += 2) {
      const float gx = static_cast<float>(g * x), gy = static_cast<float>(g * y), gd = static_cast<float>(g);
      const Vec2 poly[4] = {{gx + gd, gy}, {gx, gy}, {gx, gy + gd}, {gx + gd, gy + gd}};
      out.polygon(poly, grass);
    }

  // Road tiles, each followed by its kerb, as Gymnasium's road_poly.
  const auto& tiles = sim_.tiles();
  const auto& kerbs = sim_.kerbs();
  const std::size_t num_tiles = tiles.size();
  // Which tiles reach the canvas.
  bool tile_visible[kMaxTrackNodes];
  std::size_t first_hidden = num_tiles;
  for (std::size_t i = 0; i < num_tiles; ++i) {
    tile_visible[i] = visible(tiles[i].center, tiles[i].radius);
    if (!tile_visible[i] && first_hidden == num_tiles) first_hidden = i;
  }
  // Under each run of visible tiles (round the loop), one strip of road
  // colour: antialiased neighbours meeting at an edge would otherwise let the
  // grass show through there as faint lines (Gymnasium's pygame fill has no
  // such seams).
  const Color road = to_color(sim_.road_color());
  {
    constexpr std::size_t kRun = 120;  // tiles per strip (stack buffer); long runs overlap by a tile
    Vec2 strip[2 * kRun + 2];
    const std::size_t start = first_hidden == num_tiles ? 0 : first_hidden;
    auto tile_at = [&](std::size_t k) -> const Tile& { return tiles[(start + k) % num_tiles]; };
    auto vis_at = [&](std::size_t k) { return tile_visible[(start + k) % num_tiles]; };
    std::size_t k = 0;
    while (k < num_tiles) {
      if (!vis_at(k)) {
        ++k;
        continue;
      }
      std::size_t end = k;  // the run [k, end)
      while (end < num_tiles && end - k < kRun && vis_at(end)) ++end;
      // Left side forward (the run's back edge, then each tile's front edge), right side back.
      std::size_t m = 0;
      strip[m++] = to_vec(tile_at(k).poly[3]);
      for (std::size_t j = k; j < end; ++j) strip[m++] = to_vec(tile_at(j).poly[0]);
      for (std::size_t j = end; j-- > k;) strip[m++] = to_vec(tile_at(j).poly[1]);
      strip[m++] = to_vec(tile_at(k).poly[2]);
      out.polygon(std::span<const Vec2>(strip, m), road);
      k = (end < num_tiles && end - k == kRun) ? end - 1 : end;
    }
  }
  std::size_t next_kerb = 0;
  for (std::size_t i = 0; i < num_tiles; ++i) {
    const Tile& tile = tiles[i];
    // A tile in the plain road colour (every third one, and every one touched)
    // would only repaint the strip under it.
    if (tile_visible[i]) {
      const Color color = to_color(tile.color);
      if (color != road) {
        const Vec2 poly[4] = {to_vec(tile.poly[0]), to_vec(tile.poly[1]), to_vec(tile.poly[2]), to_vec(tile.poly[3])};
        out.polygon(poly, color);
      }
    }
    for (; next_kerb < kerbs.size() && kerbs[next_kerb].tile == static_cast<int>(i); ++next_kerb) {
      const Kerb& k = kerbs[next_kerb];
      if (!visible(k.center, k.radius)) continue;
      const Vec2 poly[4] = {to_vec(k.poly[0]), to_vec(k.poly[1]), to_vec(k.poly[2]), to_vec(k.poly[3])};
      out.polygon(poly, k.white ? kKerbWhite : kKerbRed);
    }
  }

  // Skid traces (not in the state frame).
  if (particles) {
    for (int i = 0; i < sim_.particle_count(); ++i) {
      const Particle& p = sim_.particle(i);
      Vec2 pts[kMaxParticlePoints];
      for (int k = 0; k < p.len; ++k) pts[k] = to_vec(p.poly[static_cast<std::size_t>(k)]);
      out.polyline(std::span<const Vec2>(pts, static_cast<std::size_t>(p.len)), p.grass ? kMudColor : kWheelColor,
                   2);
    }
  }

  // The car: wheels (with the turning grey band), then the hull.
  auto transformed = [](const b2Transform& xf, const double (*pts)[2], int n, Vec2* out_pts) {
    for (int k = 0; k < n; ++k) {
      const b2Vec2 local(static_cast<float>(pts[k][0] * kSize), static_cast<float>(pts[k][1] * kSize));
      out_pts[k] = to_vec(b2Mul(xf, local));
    }
  };
  for (const Wheel& w : sim_.wheels()) {
    const b2Transform& xf = w.body->GetTransform();
    constexpr double ww = kWheelW, wr = kWheelR;
    constexpr double wheel_poly[4][2] = {{-ww, +wr}, {+ww, +wr}, {+ww, -wr}, {-ww, -wr}};
    Vec2 pts[4];
    transformed(xf, wheel_poly, 4, pts);
    out.polygon(pts, kWheelColor);
    const double a1 = w.phase, a2 = w.phase + 1.2;  // radians
    const double s1 = std::sin(a1), s2 = std::sin(a2);
    double c1 = std::cos(a1), c2 = std::cos(a2);
    if (s1 > 0 && s2 > 0) continue;
    if (s1 > 0) c1 = sign(c1);
    if (s2 > 0) c2 = sign(c2);
    const double band[4][2] = {{-ww, wr * c1}, {+ww, wr * c1}, {+ww, wr * c2}, {-ww, wr * c2}};
    transformed(xf, band, 4, pts);
    out.polygon(pts, kWheelWhite);
  }
  {
    const b2Transform& xf = hull->GetTransform();
    Vec2 pts[8];
    transformed(xf, kHullPoly1, 4, pts);
    out.polygon(std::span<const Vec2>(pts, 4), kHullColor);
    transformed(xf, kHullPoly2, 4, pts);
    out.polygon(std::span<const Vec2>(pts, 4), kHullColor);
    transformed(xf, kHullPoly3, 8, pts);
    out.polygon(std::span<const Vec2>(pts, 8), kHullColor);
    transformed(xf, kHullPoly4, 4, pts);
    out.polygon(std::span<const Vec2>(pts, 4), kHullColor);
  }

  // The indicator bar (canvas pixels, y down), as Gymnasium's _render_indicators.
  const float s = kW / 40.0f, h = kH / 40.0f;
  out.rect(0, kH - 5 * h, kW, kH, kBlack, Color::none(), 0, Coords::Canvas);
  auto vertical_ind = [&](double value, float place, double val, Color color) {
    if (!(std::fabs(value) > 1e-4)) return;
    const float top = kH - (h + h * static_cast<float>(val));
    const Vec2 poly[4] = {{place * s, top}, {(place + 1) * s, top}, {(place + 1) * s, kH - h}, {place * s, kH - h}};
    out.polygon(poly, color, Color::none(), 0, Coords::Canvas);
  };
  auto horiz_ind = [&](double value, float place, double val, Color color) {
    if (!(std::fabs(value) > 1e-4)) return;
    const float right = (place + static_cast<float>(val)) * s;
    const Vec2 poly[4] = {{place * s, kH - 4 * h}, {right, kH - 4 * h}, {right, kH - 2 * h}, {place * s, kH - 2 * h}};
    out.polygon(poly, color, Color::none(), 0, Coords::Canvas);
  };
  const b2Vec2 v = hull->GetLinearVelocity();
  const double true_speed = std::sqrt(double(v.x) * double(v.x) + double(v.y) * double(v.y));
  const auto& wheels = sim_.wheels();
  vertical_ind(true_speed, 5, 0.02 * true_speed, Color::rgb(255, 255, 255));
  vertical_ind(wheels[0].omega, 7, 0.01 * wheels[0].omega, Color::rgb(0, 0, 255));  // ABS sensors
  vertical_ind(wheels[1].omega, 8, 0.01 * wheels[1].omega, Color::rgb(0, 0, 255));
  vertical_ind(wheels[2].omega, 9, 0.01 * wheels[2].omega, Color::rgb(51, 0, 255));
  vertical_ind(wheels[3].omega, 10, 0.01 * wheels[3].omega, Color::rgb(51, 0, 255));
  const double steer_angle = wheels[0].joint->GetJointAngle();
  horiz_ind(steer_angle, 20, -10.0 * steer_angle, Color::rgb(0, 255, 0));
  const double gyro = hull->GetAngularVelocity();
  horiz_ind(gyro, 30, -0.8 * gyro, Color::rgb(255, 0, 0));

  // The score, "%04i" of Gymnasium's running reward, white, centred at
  // (60, H - H * 2.5 / 40): a 42-pixel font's digits are ~29 pixels tall.
  char text[16];
  const double shown = std::clamp(sim_.total_reward(), -99999.0, 99999.0);
  std::snprintf(text, sizeof text, "%04d", static_cast<int>(shown));
  constexpr float kTextHeight = 42;  // the font5x7 cell; digits are 7/10 of it
  out.text({60, kH - kH * 2.5f / 40.0f - 0.35f * kTextHeight}, text, kTextHeight, Color::rgb(255, 255, 255),
           TextAlign::Center, Coords::Canvas);
}

void register_car_racing(Registry& registry) {
  registry.add(
      "CarRacing-v3", [](const Options& o) { return std::make_unique<CarRacing>(o); },
      {.max_episode_steps = 1000,
       .reward_threshold = 900.0,
       .kwargs = {{"continuous", true}, {"domain_randomize", false}, {"lap_complete_percent", 0.95}}});
}

}  // namespace arena
