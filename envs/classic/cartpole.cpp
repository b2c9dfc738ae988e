#include "envs/classic/cartpole.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include "envs/classic/classic_control.h"
#include "envs/core/draw_list.h"

namespace arena {

namespace {

// Gymnasium's constants, combined in the same order so the doubles agree.
constexpr double kGravity = 9.8;
constexpr double kMassCart = 1.0;
constexpr double kMassPole = 0.1;
constexpr double kTotalMass = kMassPole + kMassCart;
constexpr double kLength = 0.5;  // half the pole's length
constexpr double kPoleMassLength = kMassPole * kLength;
constexpr double kForceMag = 10.0;
constexpr double kTau = 0.02;  // seconds between state updates
constexpr double kThetaThreshold = 12 * 2 * std::numbers::pi / 360;
constexpr double kXThreshold = 2.4;

}  // namespace

CartPole::CartPole(const Options& options) {
  options.require_only({"sutton_barto_reward"}, "options of CartPole-v1");
  sutton_barto_reward_ = options.has("sutton_barto_reward") && options.get_bool("sutton_barto_reward");

  // Twice the thresholds, so that the terminating observation is still inside.
  constexpr double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> high = {kXThreshold * 2, inf, kThetaThreshold * 2, inf};
  spec_.id = "CartPole-v1";
  spec_.observation_space = Space::box({4}, {-high[0], -inf, -high[2], -inf}, high);
  spec_.action_space = Space::discrete(2);
  spec_.render_fps = 50;
}

void CartPole::set_state(std::span<const double> state) {
  if (state.size() != state_.size())
    throw std::invalid_argument("CartPole::set_state: needs 4 values, got " + std::to_string(state.size()));
  std::copy(state.begin(), state.end(), state_.begin());
}

void CartPole::observation(ObsBuffer out) const {
  if (out.count != 4) throw std::invalid_argument("CartPole::observation: the buffer must hold 4 floats");
  float* obs = out.as<float>();
  for (std::size_t i = 0; i < state_.size(); ++i) obs[i] = static_cast<float>(state_[i]);
}

void CartPole::do_reset(ObsBuffer out, std::optional<std::uint64_t>, const Options& options) {
  const ResetBounds b = parse_reset_bounds(options, -0.05, 0.05, spec_.id);
  for (double& s : state_) s = rng_.uniform(b.low, b.high);
  steps_beyond_terminated_ = -1;
  observation(out);
}

StepResult CartPole::do_step(ActionView action, ObsBuffer out) {
  auto [x, x_dot, theta, theta_dot] = state_;
  const double force = action.as<std::int64_t>()[0] == 1 ? kForceMag : -kForceMag;
  const double costheta = std::cos(theta);
  const double sintheta = std::sin(theta);

  // Florian (2007), "Correct equations for the dynamics of the cart-pole system".
  const double temp = (force + kPoleMassLength * (theta_dot * theta_dot) * sintheta) / kTotalMass;
  const double thetaacc = (kGravity * sintheta - costheta * temp) /
                          (kLength * (4.0 / 3.0 - kMassPole * (costheta * costheta) / kTotalMass));
  const double xacc = temp - kPoleMassLength * thetaacc * costheta / kTotalMass;

  // Explicit Euler: positions advance with the *old* velocities.
  x = x + kTau * x_dot;
  x_dot = x_dot + kTau * xacc;
  theta = theta + kTau * theta_dot;
  theta_dot = theta_dot + kTau * thetaacc;
  state_ = {x, x_dot, theta, theta_dot};

  StepResult r;
  r.terminated = x < -kXThreshold || x > kXThreshold || theta < -kThetaThreshold || theta > kThetaThreshold;
  if (!r.terminated) {
    r.reward = sutton_barto_reward_ ? 0.0 : 1.0;
  } else if (steps_beyond_terminated_ < 0) {
    steps_beyond_terminated_ = 0;  // the pole just fell: this step still pays
    r.reward = sutton_barto_reward_ ? -1.0 : 1.0;
  } else {
    // Stepping after termination (undefined in Gymnasium, which warns once).
    ++steps_beyond_terminated_;
    r.reward = sutton_barto_reward_ ? -1.0 : 0.0;
  }
  observation(out);
  return r;
}

void CartPole::draw(DrawList& out) const {
  // Gymnasium's pygame frame: 600x400, drawn with y up from the bottom edge.
  constexpr float width = 600, height = 400;
  out.clear(static_cast<int>(width), static_cast<int>(height), Color::rgb(255, 255, 255));
  out.camera.center = {width / 2, height / 2};  // world units are canvas pixels, y up
  out.camera.scale = 1;
  out.camera.y_up = true;

  const float scale = width / static_cast<float>(kXThreshold * 2);
  const float pole_width = 10, pole_len = scale * static_cast<float>(2 * kLength);
  const float cart_width = 50, cart_height = 30;
  const float axle_offset = cart_height / 4;
  const float cart_x = static_cast<float>(state_[0]) * scale + width / 2;
  const float cart_y = 100;  // the track line

  out.line({0, cart_y}, {width, cart_y}, Color::rgb(0, 0, 0), 1);
  out.rect(cart_x - cart_width / 2, cart_y - cart_height / 2, cart_x + cart_width / 2, cart_y + cart_height / 2,
           Color::rgb(0, 0, 0));

  // The pole, turned clockwise by theta about the axle.
  const float c = std::cos(static_cast<float>(-state_[2])), s = std::sin(static_cast<float>(-state_[2]));
  const float l = -pole_width / 2, r = pole_width / 2, t = pole_len - pole_width / 2, b = -pole_width / 2;
  const Vec2 corners[4] = {{l, b}, {l, t}, {r, t}, {r, b}};
  Vec2 pole[4];
  for (int i = 0; i < 4; ++i)
    pole[i] = {corners[i].x * c - corners[i].y * s + cart_x,
               corners[i].x * s + corners[i].y * c + cart_y + axle_offset};
  out.polygon(pole, Color::rgb(202, 152, 101));
  out.circle({cart_x, cart_y + axle_offset}, pole_width / 2, Color::rgb(129, 132, 203));
}

void CartPole::do_save_state(StateWriter& out) const {
  out.pod(state_);
  out.pod(steps_beyond_terminated_);
}

void CartPole::do_load_state(StateReader& in) {
  in.pod(state_);
  in.pod(steps_beyond_terminated_);
}

}  // namespace arena
