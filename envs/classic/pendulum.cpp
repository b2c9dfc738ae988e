#include "envs/classic/pendulum.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <string>

#include "envs/core/draw_list.h"

namespace arena {

namespace {

constexpr double pi = std::numbers::pi;
constexpr double kMaxSpeed = 8;
constexpr double kMaxTorque = 2.0;
constexpr double kDt = 0.05;
constexpr double kMass = 1.0;
constexpr double kLength = 1.0;
constexpr double kDefaultX = pi;   // theta range at reset
constexpr double kDefaultY = 1.0;  // theta_dot range at reset

// Python's (and numpy's) float modulo: the result takes the divisor's sign.
double python_mod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0) {
    if ((b < 0) != (m < 0)) m += b;
  } else {
    m = std::copysign(0.0, b);
  }
  return m;
}

// Gymnasium's angle_normalize: into [-pi, pi).
double angle_normalize(double x) { return python_mod(x + pi, 2 * pi) - pi; }

}  // namespace

double numpy_avx512_sin(double x) {
  // Constants of __svml_sin8 (given as bit patterns so nothing is lost).
  constexpr auto c = [](std::uint64_t bits) { return std::bit_cast<double>(bits); };
  constexpr double inv_pi = c(0x3FD45F306DC9C883);   // 1/pi
  constexpr double shifter = c(0x4338000000000000);  // 1.5 * 2^52: rounds to an integer
  constexpr double pi1 = c(0x400921FB54442D18);      // pi = pi1 + pi2 + pi3
  constexpr double pi2 = c(0x3CA1A62633145C06);
  constexpr double pi3 = c(0x395C1CD129024E09);
  constexpr double p[7] = {c(0xBFC55555555554A8), c(0x3F8111111110A573), c(0xBF2A01A019A659DD), c(0x3EC71DE3806ADD1A),
                           c(0xBE5AE6355AAA4A53), c(0x3DE60E6BEE01D83E), c(0xBD69F1517E9F65F0)};
  if (!(std::fabs(x) <= 0x1p24)) return std::sin(x);  // SVML's long reduction path; NaN, inf
  if (x == 0) return x;                               // keeps the sign of zero

  // x = n pi + r, sin(x) = (-1)^n sin(r). Every step is one IEEE operation or
  // one fused multiply-add, in SVML's order.
  const double n_shifted = std::fma(x, inv_pi, shifter);
  const std::uint64_t sign = std::bit_cast<std::uint64_t>(n_shifted) << 63;  // parity of n
  const double n = n_shifted - shifter;
  double r = std::fma(-n, pi1, x);
  r = std::fma(-n, pi2, r);
  const double r2 = r * r;  // from the two-term reduction, as SVML
  r = std::fma(-n, pi3, r);
  // sin(r) ~ r + r^3 (p0 + p1 r^2 + ... + p6 r^12), by Horner's rule.
  double poly = std::fma(p[6], r2, p[5]);
  for (int i = 4; i >= 0; --i) poly = std::fma(poly, r2, p[i]);
  const double result = std::fma(r * r2, poly, r);
  return std::bit_cast<double>(std::bit_cast<std::uint64_t>(result) ^ sign);
}

Pendulum::Pendulum(const Options& options) {
  options.require_only({"g"}, "options of Pendulum-v1");
  g_ = options.get_double_or("g", 10.0);
  spec_.id = "Pendulum-v1";
  spec_.observation_space = Space::box({3}, {-1.0, -1.0, -kMaxSpeed}, {1.0, 1.0, kMaxSpeed});
  spec_.action_space = Space::box({1}, -kMaxTorque, kMaxTorque);
  spec_.render_fps = 30;
}

void Pendulum::set_state(std::span<const double> state) {
  if (state.size() != state_.size())
    throw std::invalid_argument("Pendulum::set_state: needs 2 values, got " + std::to_string(state.size()));
  std::copy(state.begin(), state.end(), state_.begin());
}

void Pendulum::observation(ObsBuffer out) const {
  if (out.count != 3) throw std::invalid_argument("Pendulum::observation: the buffer must hold 3 floats");
  float* obs = out.as<float>();
  obs[0] = static_cast<float>(std::cos(state_[0]));
  obs[1] = static_cast<float>(std::sin(state_[0]));
  obs[2] = static_cast<float>(state_[1]);
}

void Pendulum::do_reset(ObsBuffer out, std::optional<std::uint64_t>, const Options& options) {
  if (!options.empty()) options.require_only({"x_init", "y_init"}, "reset options of " + spec_.id);
  // Symmetric ranges, as Gymnasium enforces.
  const double x = options.get_double_or("x_init", kDefaultX);
  const double y = options.get_double_or("y_init", kDefaultY);
  state_ = {rng_.uniform(-x, x), rng_.uniform(-y, y)};
  has_last_u_ = false;
  observation(out);
}

StepResult Pendulum::do_step(ActionView action, ObsBuffer out) {
  const auto [th, thdot] = state_;
  const double u = std::clamp(static_cast<double>(action.as<float>()[0]), -kMaxTorque, kMaxTorque);
  last_u_ = u;
  has_last_u_ = true;

  // Every expression below keeps Gymnasium's grouping, in double, so that the
  // rewards agree to the last bit (assuming no FMA contraction of a*b + c,
  // which the default x86-64 flags do not do).
  // The cost of the state *before* the step and of the clipped torque.
  const double an = angle_normalize(th);
  const double costs = an * an + 0.1 * (thdot * thdot) + 0.001 * (u * u);

  // Gymnasium computes the sine with numpy; see numpy_avx512_sin.
  double new_thdot =
      thdot + (3 * g_ / (2 * kLength) * numpy_avx512_sin(th) + 3.0 / (kMass * (kLength * kLength)) * u) * kDt;
  new_thdot = std::clamp(new_thdot, -kMaxSpeed, kMaxSpeed);
  const double new_th = th + new_thdot * kDt;  // semi-implicit: the new velocity moves the angle
  state_ = {new_th, new_thdot};

  StepResult r;
  r.reward = -costs;
  observation(out);
  return r;
}

void Pendulum::draw(DrawList& out) const {
  // Gymnasium's 500x500 frame: the pivot in the middle, y up, 2.2 m each way.
  constexpr float dim = 500;
  out.clear(static_cast<int>(dim), static_cast<int>(dim), Color::rgb(255, 255, 255));
  out.camera.center = {0, 0};  // world origin = the pivot
  out.camera.scale = dim / 4.4f;
  out.camera.y_up = true;
  const Color rod_color = Color::rgb(204, 77, 77);

  // The rod, from the pivot; theta = 0 points straight up.
  const auto angle = static_cast<float>(state_[0] + pi / 2);
  const float c = std::cos(angle), s = std::sin(angle);
  constexpr float rod_length = 1.0f, half_width = 0.1f;
  const Vec2 corners[4] = {{0, -half_width}, {0, half_width}, {rod_length, half_width}, {rod_length, -half_width}};
  Vec2 rod[4];
  for (int i = 0; i < 4; ++i) rod[i] = {corners[i].x * c - corners[i].y * s, corners[i].x * s + corners[i].y * c};
  out.polygon(rod, rod_color);
  out.circle({0, 0}, half_width, rod_color);
  out.circle({rod_length * c, rod_length * s}, half_width, rod_color);

  // The torque: an arc around the pivot sized by |u|, its arrowhead pointing
  // counter-clockwise for positive torque (Gymnasium blits an arrow image).
  if (has_last_u_ && last_u_ != 0) {
    const auto radius = static_cast<float>(std::abs(last_u_)) / 4;
    const float dir = last_u_ > 0 ? 1.0f : -1.0f;
    constexpr int n = 24;
    constexpr float sweep = 1.5f * std::numbers::pi_v<float>;
    Vec2 arc[n];
    for (int i = 0; i < n; ++i) {
      const float t = -0.75f * std::numbers::pi_v<float> + dir * sweep * static_cast<float>(i) / (n - 1);
      arc[i] = {radius * std::cos(t), radius * std::sin(t)};
    }
    const Color arrow = Color::rgb(40, 40, 40);
    out.polyline(arc, arrow, 2);
    // Arrowhead at the arc's end, along its tangent.
    const float t_end = -0.75f * std::numbers::pi_v<float> + dir * sweep;
    const Vec2 tip = arc[n - 1];
    const Vec2 tangent = {-std::sin(t_end) * dir, std::cos(t_end) * dir};
    const Vec2 normal = {std::cos(t_end), std::sin(t_end)};
    const float head = std::max(radius * 0.4f, 0.04f);
    const Vec2 tri[3] = {{tip.x + tangent.x * head, tip.y + tangent.y * head},
                         {tip.x + normal.x * head * 0.6f, tip.y + normal.y * head * 0.6f},
                         {tip.x - normal.x * head * 0.6f, tip.y - normal.y * head * 0.6f}};
    out.polygon(tri, arrow);
  }

  out.circle({0, 0}, 0.05f, Color::rgb(0, 0, 0));  // the axle
}

void Pendulum::do_save_state(StateWriter& out) const {
  out.pod(state_);
  out.pod(last_u_);
  out.pod(has_last_u_);
}

void Pendulum::do_load_state(StateReader& in) {
  in.pod(state_);
  in.pod(last_u_);
  in.pod(has_last_u_);
}

}  // namespace arena
