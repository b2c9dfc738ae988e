#include "envs/classic/acrobot.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "envs/classic/classic_control.h"
#include "envs/core/draw_list.h"

namespace arena {

namespace {

constexpr double pi = std::numbers::pi;
constexpr double kDt = 0.2;
constexpr double kLinkLength1 = 1.0;  // [m]
constexpr double kLinkLength2 = 1.0;  // [m]
constexpr double kLinkMass1 = 1.0;    // [kg]
constexpr double kLinkMass2 = 1.0;    // [kg]
constexpr double kLinkComPos1 = 0.5;  // [m] centre of mass of link 1
constexpr double kLinkComPos2 = 0.5;  // [m] centre of mass of link 2
constexpr double kLinkMoi = 1.0;      // moment of inertia of both links
constexpr double kMaxVel1 = 4 * pi;
constexpr double kMaxVel2 = 9 * pi;
constexpr double kTorques[3] = {-1.0, 0.0, 1.0};

// The state augmented with the applied torque, as Gymnasium integrates it.
using Augmented = std::array<double, 5>;

// Time derivative of the augmented state (the torque is constant over the
// step). The book's equations; the grouping of every product and sum follows
// Gymnasium's _dsdt so the doubles agree.
Augmented derivatives(const Augmented& s) {
  constexpr double m1 = kLinkMass1, m2 = kLinkMass2, l1 = kLinkLength1;
  constexpr double lc1 = kLinkComPos1, lc2 = kLinkComPos2, I1 = kLinkMoi, I2 = kLinkMoi;
  constexpr double g = 9.8;
  const double a = s[4];
  const double theta1 = s[0], theta2 = s[1], dtheta1 = s[2], dtheta2 = s[3];
  const double d1 = m1 * (lc1 * lc1) + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * std::cos(theta2)) + I1 + I2;
  const double d2 = m2 * (lc2 * lc2 + l1 * lc2 * std::cos(theta2)) + I2;
  const double phi2 = m2 * lc2 * g * std::cos(theta1 + theta2 - pi / 2.0);
  const double phi1 = -m2 * l1 * lc2 * (dtheta2 * dtheta2) * std::sin(theta2) -
                      2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * std::sin(theta2) +
                      (m1 * lc1 + m2 * l1) * g * std::cos(theta1 - pi / 2) + phi2;
  // The book's (and the Java implementation's) version; the NIPS paper drops
  // the dtheta1^2 term.
  const double ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * std::sin(theta2) - phi2) /
                          (m2 * (lc2 * lc2) + I2 - (d2 * d2) / d1);
  const double ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  return {dtheta1, dtheta2, ddtheta1, ddtheta2, 0.0};
}

// One classic Runge-Kutta step over [0, dt], as Gymnasium's rk4(derivs, y0, [0, dt]).
Augmented rk4_step(const Augmented& y0, double dt) {
  const double dt2 = dt / 2.0;
  const auto shifted = [&](const Augmented& k, double h) {
    Augmented y;
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = y0[i] + h * k[i];
    return y;
  };
  const Augmented k1 = derivatives(y0);
  const Augmented k2 = derivatives(shifted(k1, dt2));
  const Augmented k3 = derivatives(shifted(k2, dt2));
  const Augmented k4 = derivatives(shifted(k3, dt));
  Augmented y;
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = y0[i] + dt / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  return y;
}

// Gymnasium's wrap(): shifts x by whole periods into [m, M].
double wrap(double x, double m, double big_m) {
  const double diff = big_m - m;
  while (x > big_m) x = x - diff;
  while (x < m) x = x + diff;
  return x;
}

}  // namespace

Acrobot::Acrobot(const Options& options) {
  options.require_only({}, "options of Acrobot-v1");
  spec_.id = "Acrobot-v1";
  spec_.observation_space =
      Space::box({6}, {-1.0, -1.0, -1.0, -1.0, -kMaxVel1, -kMaxVel2}, {1.0, 1.0, 1.0, 1.0, kMaxVel1, kMaxVel2});
  spec_.action_space = Space::discrete(3);
  spec_.render_fps = 15;
}

void Acrobot::set_state(std::span<const double> state) {
  if (state.size() != state_.size())
    throw std::invalid_argument("Acrobot::set_state: needs 4 values, got " + std::to_string(state.size()));
  std::copy(state.begin(), state.end(), state_.begin());
}

void Acrobot::observation(ObsBuffer out) const {
  const auto& s = state_;
  if (out.count != 6) throw std::invalid_argument("Acrobot::observation: the buffer must hold 6 floats");
  float* obs = out.as<float>();
  obs[0] = static_cast<float>(std::cos(s[0]));
  obs[1] = static_cast<float>(std::sin(s[0]));
  obs[2] = static_cast<float>(std::cos(s[1]));
  obs[3] = static_cast<float>(std::sin(s[1]));
  obs[4] = static_cast<float>(s[2]);
  obs[5] = static_cast<float>(s[3]);
}

void Acrobot::do_reset(ObsBuffer out, std::optional<std::uint64_t>, const Options& options) {
  const ResetBounds b = parse_reset_bounds(options, -0.1, 0.1, spec_.id);
  // Gymnasium draws in float64 and keeps the start state as float32.
  for (double& s : state_) s = static_cast<float>(rng_.uniform(b.low, b.high));
  observation(out);
}

StepResult Acrobot::do_step(ActionView action, ObsBuffer out) {
  const double torque = kTorques[action.as<std::int64_t>()[0]];
  const Augmented y = rk4_step({state_[0], state_[1], state_[2], state_[3], torque}, kDt);
  state_ = {wrap(y[0], -pi, pi), wrap(y[1], -pi, pi), std::min(std::max(y[2], -kMaxVel1), kMaxVel1),
            std::min(std::max(y[3], -kMaxVel2), kMaxVel2)};

  StepResult r;
  r.terminated = -std::cos(state_[0]) - std::cos(state_[1] + state_[0]) > 1.0;
  r.reward = r.terminated ? 0.0 : -1.0;
  observation(out);
  return r;
}

void Acrobot::draw(DrawList& out) const {
  // Gymnasium's 500x500 frame: the fixed joint in the middle, y up.
  constexpr float dim = 500;
  out.clear(static_cast<int>(dim), static_cast<int>(dim), Color::rgb(255, 255, 255));
  out.camera.center = {0, 0};  // world origin = the fixed joint
  out.camera.scale = dim / static_cast<float>(2 * (kLinkLength1 + kLinkLength2 + 0.2));  // 2.2 m each way
  out.camera.y_up = true;

  // The goal line, one link length above the fixed joint.
  out.line({-2.2f, 1.0f}, {2.2f, 1.0f}, Color::rgb(0, 0, 0), 1);

  // Angles are measured from straight down; theta2 is relative to link 1.
  const double a1 = state_[0], a2 = state_[0] + state_[1];
  const Vec2 joints[2] = {
      {0, 0}, {static_cast<float>(kLinkLength1 * std::sin(a1)), static_cast<float>(-kLinkLength1 * std::cos(a1))}};
  const double angles[2] = {a1 - pi / 2, a2 - pi / 2};
  const double lengths[2] = {kLinkLength1, kLinkLength2};
  for (int i = 0; i < 2; ++i) {
    const auto c = static_cast<float>(std::cos(angles[i])), s = static_cast<float>(std::sin(angles[i]));
    const auto len = static_cast<float>(lengths[i]);
    const Vec2 corners[4] = {{0, -0.1f}, {0, 0.1f}, {len, 0.1f}, {len, -0.1f}};
    Vec2 link[4];
    for (int k = 0; k < 4; ++k)
      link[k] = {corners[k].x * c - corners[k].y * s + joints[i].x, corners[k].x * s + corners[k].y * c + joints[i].y};
    out.polygon(link, Color::rgb(0, 204, 204));
    out.circle(joints[i], 0.1f, Color::rgb(204, 204, 0));
  }
}

void Acrobot::do_save_state(StateWriter& out) const {
  out.pod(state_);
}

void Acrobot::do_load_state(StateReader& in) {
  in.pod(state_);
}

}  // namespace arena
