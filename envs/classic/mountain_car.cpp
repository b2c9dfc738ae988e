#include "envs/classic/mountain_car.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "envs/classic/classic_control.h"
#include "envs/core/draw_list.h"

namespace arena {

namespace {

constexpr double kMinPosition = -1.2;
constexpr double kMaxPosition = 0.6;
constexpr double kMaxSpeed = 0.07;
constexpr double kGoalPosition = 0.5;
constexpr double kForce = 0.001;
constexpr double kGravity = 0.0025;

double hill_height(double x) { return std::sin(3 * x) * 0.45 + 0.55; }

}  // namespace

MountainCar::MountainCar(const Options& options) {
  options.require_only({"goal_velocity"}, "options of MountainCar-v0");
  goal_velocity_ = options.get_double_or("goal_velocity", 0.0);
  spec_.id = "MountainCar-v0";
  spec_.observation_space = Space::box({2}, {kMinPosition, -kMaxSpeed}, {kMaxPosition, kMaxSpeed});
  spec_.action_space = Space::discrete(3);
  spec_.render_fps = 30;
}

void MountainCar::set_state(std::span<const double> state) {
  if (state.size() != state_.size())
    throw std::invalid_argument("MountainCar::set_state: needs 2 values, got " + std::to_string(state.size()));
  std::copy(state.begin(), state.end(), state_.begin());
}

void MountainCar::observation(ObsBuffer out) const {
  if (out.count != 2) throw std::invalid_argument("MountainCar::observation: the buffer must hold 2 floats");
  float* obs = out.as<float>();
  obs[0] = static_cast<float>(state_[0]);
  obs[1] = static_cast<float>(state_[1]);
}

void MountainCar::do_reset(ObsBuffer out, std::optional<std::uint64_t>, const Options& options) {
  const ResetBounds b = parse_reset_bounds(options, -0.6, -0.4, spec_.id);
  state_ = {rng_.uniform(b.low, b.high), 0.0};
  observation(out);
}

StepResult MountainCar::do_step(ActionView action, ObsBuffer out) {
  auto [position, velocity] = state_;
  const auto a = static_cast<double>(action.as<std::int64_t>()[0]);
  velocity += (a - 1) * kForce + std::cos(3 * position) * (-kGravity);
  velocity = std::clamp(velocity, -kMaxSpeed, kMaxSpeed);
  position += velocity;
  position = std::clamp(position, kMinPosition, kMaxPosition);
  // The left wall is inelastic: the car stops dead against it.
  if (position == kMinPosition && velocity < 0) velocity = 0;
  state_ = {position, velocity};

  StepResult r;
  r.terminated = position >= kGoalPosition && velocity >= goal_velocity_;
  r.reward = -1.0;
  observation(out);
  return r;
}

void MountainCar::draw(DrawList& out) const { draw_mountain_car(out, state_[0], kGoalPosition); }

void draw_mountain_car(DrawList& out, double position, double goal_position) {
  constexpr float width = 600, height = 400;
  out.clear(static_cast<int>(width), static_cast<int>(height), Color::rgb(255, 255, 255));
  out.camera.center = {width / 2, height / 2};  // world units are canvas pixels, y up
  out.camera.scale = 1;
  out.camera.y_up = true;
  const double scale = width / (kMaxPosition - kMinPosition);
  const Color black = Color::rgb(0, 0, 0);

  // The hill, sampled at 100 points.
  constexpr int n = 100;
  Vec2 hill[n];
  for (int i = 0; i < n; ++i) {
    const double x = kMinPosition + (kMaxPosition - kMinPosition) * i / (n - 1);
    hill[i] = {static_cast<float>((x - kMinPosition) * scale), static_cast<float>(hill_height(x) * scale)};
  }
  out.polyline(hill, black, 1);

  // The car body, tilted by the slope angle, resting `clearance` above the curve.
  constexpr float car_width = 40, car_height = 20, clearance = 10;
  const auto angle = static_cast<float>(std::cos(3 * position));
  const float c = std::cos(angle), s = std::sin(angle);
  const auto base_x = static_cast<float>((position - kMinPosition) * scale);
  const auto base_y = static_cast<float>(clearance + hill_height(position) * scale);
  const auto place = [&](float x, float y) { return Vec2{x * c - y * s + base_x, x * s + y * c + base_y}; };
  const Vec2 body[4] = {place(-car_width / 2, 0), place(-car_width / 2, car_height), place(car_width / 2, car_height),
                        place(car_width / 2, 0)};
  out.polygon(body, black);
  for (const float wx : {car_width / 4, -car_width / 4})
    out.circle(place(wx, 0), car_height / 2.5f, Color::rgb(128, 128, 128));

  // The flag on the goal.
  const auto flag_x = static_cast<float>((goal_position - kMinPosition) * scale);
  const auto flag_y1 = static_cast<float>(hill_height(goal_position) * scale);
  const float flag_y2 = flag_y1 + 50;
  out.line({flag_x, flag_y1}, {flag_x, flag_y2}, black, 1);
  const Vec2 flag[3] = {{flag_x, flag_y2}, {flag_x, flag_y2 - 10}, {flag_x + 25, flag_y2 - 5}};
  out.polygon(flag, Color::rgb(204, 204, 0));
}

void MountainCar::do_save_state(StateWriter& out) const {
  out.pod(state_);
}

void MountainCar::do_load_state(StateReader& in) {
  in.pod(state_);
}

}  // namespace arena
