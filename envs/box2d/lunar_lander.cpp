#include "envs/box2d/lunar_lander.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <stdexcept>
#include <string>

#include "envs/core/draw_list.h"
#include "envs/core/registry.h"

namespace arena {

namespace {

using namespace lunar_lander;

const char* id_of(bool continuous) { return continuous ? "LunarLanderContinuous-v3" : "LunarLander-v3"; }

std::string number(double v) { return option_to_string(OptionValue(v)); }

// Reads and range-checks the construction options (Gymnasium asserts the
// gravity range and only warns for wind and turbulence; here all three are
// errors, and NaN is out of every range).
LunarLanderConfig parse_config(const Options& options, bool continuous) {
  const std::string context = std::string("options of ") + id_of(continuous);
  options.require_only({"gravity", "enable_wind", "wind_power", "turbulence_power"}, context);
  LunarLanderConfig c;
  c.gravity = options.get_double_or("gravity", c.gravity);
  c.enable_wind = options.has("enable_wind") ? options.get_bool("enable_wind") : c.enable_wind;
  c.wind_power = options.get_double_or("wind_power", c.wind_power);
  c.turbulence_power = options.get_double_or("turbulence_power", c.turbulence_power);
  if (!(c.gravity > -12.0 && c.gravity < 0.0))
    throw OptionError("option 'gravity' of " + std::string(id_of(continuous)) +
                      " must be in (-12, 0) (exclusive), got " + number(c.gravity));
  if (!(c.wind_power >= 0.0 && c.wind_power <= 20.0))
    throw OptionError("option 'wind_power' of " + std::string(id_of(continuous)) + " must be in [0, 20], got " +
                      number(c.wind_power));
  if (!(c.turbulence_power >= 0.0 && c.turbulence_power <= 2.0))
    throw OptionError("option 'turbulence_power' of " + std::string(id_of(continuous)) + " must be in [0, 2], got " +
                      number(c.turbulence_power));
  return c;
}

constexpr std::size_t kReservedSteps = 1024;  // > Gymnasium's 1000-step limit

}  // namespace

LunarLander::LunarLander(const Options& options, bool continuous)
    : continuous_(continuous), config_(parse_config(options, continuous)), sim_(config_) {
  spec_.id = id_of(continuous);
  const double two_pi = 2 * std::numbers::pi;
  spec_.observation_space = Space::box({8}, {-2.5, -2.5, -10.0, -10.0, -two_pi, -10.0, -0.0, -0.0},
                                       {2.5, 2.5, 10.0, 10.0, two_pi, 10.0, 1.0, 1.0});
  spec_.action_space = continuous ? Space::box({2}, -1.0, 1.0) : Space::discrete(4);
  spec_.render_fps = kFps;
  actions_.reserve(2 * kReservedSteps);
}

void LunarLander::set_random_source(RandomSource* source) {
  random_ = source ? source : &own_random_;
  if (source) has_episode_ = false;  // an episode drawn elsewhere cannot be replayed from rng_
}

void LunarLander::write_obs(ObsBuffer out) const {
  const auto& o = sim_.observation();
  std::copy(o.begin(), o.end(), out.as<float>());
}

void LunarLander::do_reset(ObsBuffer out, std::optional<std::uint64_t>, const Options& options) {
  options.require_only({}, std::string("reset options of ") + spec_.id);
  episode_rng_ = rng_.state();
  has_episode_ = random_ == &own_random_;
  actions_.clear();
  sim_.reset(*random_);
  write_obs(out);
}

StepResult LunarLander::do_step(ActionView action, ObsBuffer out) {
  LunarLanderThrottle throttle;
  if (continuous_) {
    const float* a = action.as<float>();
    throttle = LunarLanderThrottle::continuous(a[0], a[1]);
    actions_.push_back(a[0]);
    actions_.push_back(a[1]);
  } else {
    const std::int64_t a = *action.as<std::int64_t>();
    throttle = LunarLanderThrottle::discrete(a);
    actions_.push_back(static_cast<float>(a));
  }
  const LunarLanderOutcome o = sim_.step(throttle, *random_);
  write_obs(out);
  return {o.reward, o.terminated, false};
}

// ------------------------------------------------------------- save / load

void LunarLander::do_save_state(StateWriter& out) const {
  if (random_ != &own_random_)
    throw std::logic_error(spec_.id + ": an env with an injected random source cannot save its state");
  if (sim_.has_episode() && !has_episode_)
    throw std::logic_error(spec_.id + ": this episode was drawn from an injected random source and cannot be saved");
  out.tag("LunarLander-replay-1");
  out.pod<std::uint8_t>(continuous_);
  out.pod(config_.gravity);
  out.pod<std::uint8_t>(config_.enable_wind);
  out.pod(config_.wind_power);
  out.pod(config_.turbulence_power);
  out.pod<std::uint8_t>(has_episode_);
  if (!has_episode_) return;
  out.pod(episode_rng_);
  out.pod(rng_.state());  // checked after the replay
  out.vec(actions_);
}

void LunarLander::do_load_state(StateReader& in) {
  in.expect_tag("LunarLander-replay-1");
  const bool continuous = in.pod<std::uint8_t>() != 0;
  LunarLanderConfig c;
  c.gravity = in.pod<double>();
  c.enable_wind = in.pod<std::uint8_t>() != 0;
  c.wind_power = in.pod<double>();
  c.turbulence_power = in.pod<double>();
  if (continuous != continuous_ || c.gravity != config_.gravity || c.enable_wind != config_.enable_wind ||
      c.wind_power != config_.wind_power || c.turbulence_power != config_.turbulence_power)
    throw std::runtime_error(spec_.id + ": the saved state is of another LunarLander configuration");
  const bool has_episode = in.pod<std::uint8_t>() != 0;
  if (!has_episode) {
    has_episode_ = false;
    actions_.clear();
    return;
  }
  const auto start = in.pod<Rng::State>();
  const auto at_save = in.pod<Rng::State>();
  const auto n = in.pod<std::uint64_t>();
  const std::size_t per_step = continuous_ ? 2 : 1;
  if (n % per_step != 0 || n > (std::uint64_t{1} << 26))
    throw std::runtime_error(spec_.id + ": corrupt saved state (" + std::to_string(n) + " action values)");
  std::vector<float> actions(n);
  in.bytes(actions.data(), n * sizeof(float));

  // Replay the episode from its first draw.
  random_ = &own_random_;
  rng_.set_state(start);
  sim_.reset(own_random_);
  for (std::size_t i = 0; i < n; i += per_step) {
    const LunarLanderThrottle t = continuous_ ? LunarLanderThrottle::continuous(actions[i], actions[i + 1])
                                              : LunarLanderThrottle::discrete(static_cast<std::int64_t>(actions[i]));
    sim_.step(t, own_random_);
  }
  if (rng_.state() != at_save)
    throw std::runtime_error(spec_.id + ": the replayed episode does not reach the saved state");
  episode_rng_ = start;
  has_episode_ = true;
  actions_ = std::move(actions);
  if (actions_.capacity() < 2 * kReservedSteps) actions_.reserve(2 * kReservedSteps);
}

// ----------------------------------------------------------------- drawing

void LunarLander::draw(DrawList& out) const {
  // Gymnasium's frame: 600x400 canvas pixels, one Box2D unit = 30 pixels,
  // y up. White ground below the terrain line, black sky above it.
  out.clear(kViewportW, kViewportH, Color::rgb(255, 255, 255));
  out.camera.center = {static_cast<float>(kW / 2), static_cast<float>(kH / 2)};
  out.camera.scale = static_cast<float>(kScale);
  out.camera.y_up = true;
  if (!sim_.has_episode()) return;

  const auto& cx = sim_.terrain_x();
  const auto& cy = sim_.terrain_y();
  const Color black = Color::rgb(0, 0, 0);
  for (int i = 0; i + 1 < kChunks; ++i) {
    const Vec2 sky[4] = {{static_cast<float>(cx[i]), static_cast<float>(cy[i])},
                         {static_cast<float>(cx[i + 1]), static_cast<float>(cy[i + 1])},
                         {static_cast<float>(cx[i + 1]), static_cast<float>(kH)},
                         {static_cast<float>(cx[i]), static_cast<float>(kH)}};
    out.polygon(sky, black, black, 1);
  }

  // Engine particles: ballistic from their launch (as Box2D integrates them),
  // resting on the terrain, fading with their time-to-live (0.15 a frame).
  const double dt = 1.0 / kFps, g = sim_.gravity();
  auto terrain_at = [&](double x) {
    const double t = std::clamp(x / (kW / (kChunks - 1)), 0.0, static_cast<double>(kChunks - 1));
    const int i = std::min(static_cast<int>(t), kChunks - 2);
    return cy[i] + (cy[i + 1] - cy[i]) * (t - i);
  };
  for (const LunarLanderParticle& p : sim_.particles()) {
    if (p.born < 0) continue;
    const double k = static_cast<double>(sim_.steps() - p.born);
    const double ttl = p.ttl - 0.15 * k;
    if (k < 1 || ttl < 0) continue;
    const double x = p.x + k * dt * p.vx;
    double y = p.y + k * dt * p.vy + dt * dt * g * k * (k + 1) / 2;
    y = std::max(y, terrain_at(x) + 2 / kScale);
    auto channel = [](double v) { return static_cast<std::uint8_t>(std::clamp(v, 0.0, 1.0) * 255); };
    const Color c = Color::rgb(channel(std::max(0.2, 0.15 + ttl)), channel(std::max(0.2, 0.5 * ttl)),
                               channel(std::max(0.2, 0.5 * ttl)));
    out.circle({static_cast<float>(x), static_cast<float>(y)}, static_cast<float>(2 / kScale), c);
  }

  // The hull and the legs.
  const Color fill = Color::rgb(128, 102, 230), outline = Color::rgb(77, 77, 128);
  const LunarLanderWorld& world = sim_.world();
  for (const auto id : {LunarLanderWorld::kHull, LunarLanderWorld::kLeg0, LunarLanderWorld::kLeg1}) {
    const b2Transform& xf = world.transform(id);
    const b2PolygonShape& poly = world.shape(id);
    Vec2 pts[b2_maxPolygonVertices];
    for (int i = 0; i < poly.m_count; ++i) {
      const b2Vec2 v = b2Mul(xf, poly.m_vertices[i]);
      pts[i] = {v.x, v.y};
    }
    out.polygon(std::span<const Vec2>(pts, static_cast<std::size_t>(poly.m_count)), fill, outline, 1);
  }

  // Flags at both ends of the helipad: a white pole 50 px tall, a yellow pennant.
  const float y1 = static_cast<float>(sim_.helipad_y()), y2 = y1 + static_cast<float>(50 / kScale);
  for (const double hx : {sim_.helipad_x1(), sim_.helipad_x2()}) {
    const float x = static_cast<float>(hx);
    out.line({x, y1}, {x, y2}, Color::rgb(255, 255, 255), 1);
    const Vec2 flag[3] = {{x, y2},
                          {x, y2 - static_cast<float>(10 / kScale)},
                          {x + static_cast<float>(25 / kScale), y2 - static_cast<float>(5 / kScale)}};
    out.polygon(flag, Color::rgb(204, 204, 0));
  }
}

// ------------------------------------------------------------ registration

void register_lunar_lander(Registry& registry) {
  const Options kwargs = {{"gravity", -10.0}, {"enable_wind", false}, {"wind_power", 15.0}, {"turbulence_power", 1.5}};
  registry.add("LunarLander-v3", [](const Options& o) { return std::make_unique<LunarLander>(o, false); },
               {.max_episode_steps = 1000, .reward_threshold = 200.0, .kwargs = kwargs});
  registry.add("LunarLanderContinuous-v3", [](const Options& o) { return std::make_unique<LunarLander>(o, true); },
               {.max_episode_steps = 1000, .reward_threshold = 200.0, .kwargs = kwargs});
}

}  // namespace arena
