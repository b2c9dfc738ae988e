#include "envs/arcade/arcade_env.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace arena {

namespace {

constexpr std::array<std::string_view, kAleActionCount> kAleNames = {
    "NOOP",     "FIRE",      "UP",       "RIGHT",       "LEFT",       "DOWN",
    "UPRIGHT",  "UPLEFT",    "DOWNRIGHT", "DOWNLEFT",   "UPFIRE",     "RIGHTFIRE",
    "LEFTFIRE", "DOWNFIRE",  "UPRIGHTFIRE", "UPLEFTFIRE", "DOWNRIGHTFIRE", "DOWNLEFTFIRE"};

// A 3x5 font, one row per byte (bit 2 = left column).
constexpr std::uint8_t kDigits[10][5] = {
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
    {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7}};

[[noreturn]] void bad_option(std::string_view game, const std::string& what) {
  throw OptionError("'Arcade/" + std::string(game) + "-v5': " + what);
}

int checked_frameskip(const Options& options, std::string_view game) {
  const std::int64_t k = options.get_int("frameskip");
  if (k < 1 || k > 1'000'000) bad_option(game, "frameskip must be in [1, 1000000], got " + std::to_string(k));
  return static_cast<int>(k);
}

}  // namespace

std::span<const std::string_view> ale_action_names() { return kAleNames; }

Joystick decode(AleAction a) {
  Joystick j;
  const std::string_view n = kAleNames[static_cast<int>(a)];
  j.fire = n.find("FIRE") != std::string_view::npos;
  if (n.find("UP") != std::string_view::npos) j.dy = -1;
  if (n.find("DOWN") != std::string_view::npos) j.dy = 1;
  if (n.find("LEFT") != std::string_view::npos) j.dx = -1;
  if (n.find("RIGHT") != std::string_view::npos) j.dx = 1;
  return j;
}

Options arcade_default_kwargs() {
  return {{"frameskip", std::int64_t{4}},
          {"repeat_action_probability", 0.25},
          {"full_action_space", false},
          {"max_num_frames_per_episode", std::int64_t{108000}}};
}

ArcadeEnv::ArcadeEnv(const Options& options, std::string_view game, std::span<const AleAction> minimal_actions)
    : frameskip_(checked_frameskip(options, game)),
      repeat_probability_(options.get_double("repeat_action_probability")),
      max_frames_(options.get_int("max_num_frames_per_episode")),
      game_(game) {
  if (!(repeat_probability_ >= 0.0 && repeat_probability_ <= 1.0))
    bad_option(game, "repeat_action_probability must be in [0, 1], got " + option_to_string(repeat_probability_));
  if (max_frames_ < 0)
    bad_option(game, "max_num_frames_per_episode must be >= 0 (0: no limit), got " + std::to_string(max_frames_));
  if (options.get_bool("full_action_space")) {
    for (int i = 0; i < kAleActionCount; ++i) actions_[i] = static_cast<AleAction>(i);
    num_actions_ = kAleActionCount;
  } else {
    for (AleAction a : minimal_actions) actions_[num_actions_++] = a;
  }
  for (int i = 0; i < num_actions_; ++i) meanings_[i] = kAleNames[static_cast<int>(actions_[i])];
  for (int i = 0; i < kAleActionCount; ++i) joysticks_[static_cast<std::size_t>(i)] = decode(static_cast<AleAction>(i));
  spec_.observation_space = Space::box({kHeight, kWidth, 3}, 0, 255, DType::UInt8);
  spec_.action_space = Space::discrete(num_actions_);
  spec_.render_fps = 60.0 / frameskip_;
  // Grow the draw list once to more commands than a screen needs, so that
  // drawing the observation never allocates (clear() keeps the capacity).
  screen_.clear(kWidth, kHeight, Color::rgb(0, 0, 0));
  for (int i = 0; i < 1024; ++i) screen_.rect(0, 0, 1, 1, Color::rgb(0, 0, 0), Color::none(), 0, Coords::Canvas);
  screen_.clear(kWidth, kHeight, Color::rgb(0, 0, 0));
}

void ArcadeEnv::do_reset(ObsBuffer out, std::optional<std::uint64_t> /*seed*/, const Options& options) {
  options.require_only({}, "reset options of Arcade/" + std::string(game_) + "-v5");
  last_action_ = AleAction::Noop;
  frames_ = 0;
  new_game();
  render_observation(out);
}

StepResult ArcadeEnv::do_step(ActionView action, ObsBuffer out) {
  const AleAction chosen = actions_[static_cast<std::size_t>(*action.as<std::int64_t>())];
  StepResult r;
  for (int f = 0; f < frameskip_; ++f) {
    // Sticky actions, per frame as ALE applies them.
    AleAction a = chosen;
    if (repeat_probability_ > 0 && rng_.uniform() < repeat_probability_) a = last_action_;
    last_action_ = a;
    r.reward += frame(joysticks_[static_cast<std::size_t>(a)]);
    ++frames_;
    if (game_over()) {
      r.terminated = true;
      break;
    }
    if (max_frames_ > 0 && frames_ >= max_frames_) {
      r.truncated = true;
      break;
    }
  }
  render_observation(out);
  return r;
}

void ArcadeEnv::render_observation(ObsBuffer out) {
  draw(screen_);
  blit_rects(screen_, {out.as<std::uint8_t>(), out.count}, fallback_);
}

void ArcadeEnv::do_save_state(StateWriter& out) const {
  out.tag("arcade-1");
  out.pod(last_action_);
  out.pod(frames_);
  save_game(out);
}

void ArcadeEnv::do_load_state(StateReader& in) {
  in.expect_tag("arcade-1");
  in.pod(last_action_);
  in.pod(frames_);
  load_game(in);
}

// ------------------------------------------------------------------ drawing

void blit_rects(const DrawList& list, std::span<std::uint8_t> rgb, Image& scratch) {
  const int w = list.width(), h = list.height();
  if (rgb.size() != static_cast<std::size_t>(w) * h * 3)
    throw std::invalid_argument("blit_rects: the buffer does not hold the canvas");
  const Color bg = list.background();
  // The first row, then copies of it.
  for (int x = 0; x < w; ++x) {
    rgb[3 * x] = bg.r;
    rgb[3 * x + 1] = bg.g;
    rgb[3 * x + 2] = bg.b;
  }
  const std::size_t row = static_cast<std::size_t>(w) * 3;
  for (int y = 1; y < h; ++y) std::memcpy(rgb.data() + y * row, rgb.data(), row);

  for (const DrawCmd& c : list.commands()) {
    const auto p = list.points(c);
    const bool rect = c.shape == Shape::Polygon && c.coords == Coords::Canvas && c.count == 4 &&
                      c.fill.a == 255 && (!c.stroke.visible() || c.stroke_width == 0) && p[0].y == p[1].y &&
                      p[1].x == p[2].x && p[2].y == p[3].y && p[3].x == p[0].x;
    if (!rect) {
      // Not a rectangle: the general rasterizer (rare; allocates on first use).
      rasterize(list, w, h, scratch, RasterOptions{.antialias = false});
      std::memcpy(rgb.data(), scratch.rgb.data(), rgb.size());
      return;
    }
    // Pixels whose centres lie inside: [ceil(x0 - 0.5), ceil(x1 - 0.5)).
    const float x0 = std::min(p[0].x, p[1].x), x1 = std::max(p[0].x, p[1].x);
    const float y0 = std::min(p[1].y, p[2].y), y1 = std::max(p[1].y, p[2].y);
    const int ix0 = std::max(0, static_cast<int>(std::ceil(x0 - 0.5f)));
    const int ix1 = std::min(w, static_cast<int>(std::ceil(x1 - 0.5f)));
    const int iy0 = std::max(0, static_cast<int>(std::ceil(y0 - 0.5f)));
    const int iy1 = std::min(h, static_cast<int>(std::ceil(y1 - 0.5f)));
    if (ix0 >= ix1 || iy0 >= iy1) continue;
    for (int y = iy0; y < iy1; ++y) {
      std::uint8_t* px = rgb.data() + y * row + 3 * ix0;
      for (int x = ix0; x < ix1; ++x, px += 3) {
        px[0] = c.fill.r;
        px[1] = c.fill.g;
        px[2] = c.fill.b;
      }
    }
  }
}

void draw_number(DrawList& list, int value, float x_right, float y, float cell_w, float cell_h, Color color) {
  value = std::max(value, 0);
  const float digit_w = 3 * cell_w, gap = cell_w;
  float x = x_right - digit_w;
  do {
    const int d = value % 10;
    for (int r = 0; r < 5; ++r)
      for (int col = 0; col < 3; ++col)
        if (kDigits[d][r] & (4 >> col))
          list.rect(x + col * cell_w, y + r * cell_h, x + (col + 1) * cell_w, y + (r + 1) * cell_h, color,
                    Color::none(), 0, Coords::Canvas);
    x -= digit_w + gap;
    value /= 10;
  } while (value > 0);
}

}  // namespace arena
