#include "envs/classic/continuous_mountain_car.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "envs/classic/classic_control.h"
#include "envs/classic/mountain_car.h"
#include "envs/core/draw_list.h"

namespace arena {

namespace {

constexpr double kMinAction = -1.0;
constexpr double kMaxAction = 1.0;
constexpr double kMinPosition = -1.2;
constexpr double kMaxPosition = 0.6;
constexpr double kMaxSpeed = 0.07;
constexpr double kGoalPosition = 0.45;  // 0.5 in MountainCar-v0
constexpr double kPower = 0.0015;

}  // namespace

ContinuousMountainCar::ContinuousMountainCar(const Options& options) {
  options.require_only({"goal_velocity"}, "options of MountainCarContinuous-v0");
  goal_velocity_ = options.get_double_or("goal_velocity", 0.0);
  spec_.id = "MountainCarContinuous-v0";
  spec_.observation_space = Space::box({2}, {kMinPosition, -kMaxSpeed}, {kMaxPosition, kMaxSpeed});
  spec_.action_space = Space::box({1}, kMinAction, kMaxAction);
  spec_.render_fps = 30;
}

void ContinuousMountainCar::set_state(std::span<const double> state) {
  if (state.size() != state_.size())
    throw std::invalid_argument("ContinuousMountainCar::set_state: needs 2 values, got " +
                                std::to_string(state.size()));
  std::copy(state.begin(), state.end(), state_.begin());
}

void ContinuousMountainCar::observation(ObsBuffer out) const {
  if (out.count != 2) throw std::invalid_argument("ContinuousMountainCar::observation: the buffer must hold 2 floats");
  float* obs = out.as<float>();
  obs[0] = static_cast<float>(state_[0]);
  obs[1] = static_cast<float>(state_[1]);
}

void ContinuousMountainCar::do_reset(ObsBuffer out, std::optional<std::uint64_t>, const Options& options) {
  const ResetBounds b = parse_reset_bounds(options, -0.6, -0.4, spec_.id);
  state_ = {rng_.uniform(b.low, b.high), 0.0};
  observation(out);
}

StepResult ContinuousMountainCar::do_step(ActionView action, ObsBuffer out) {
  auto [position, velocity] = state_;
  const auto a = static_cast<double>(action.as<float>()[0]);
  const double force = std::min(std::max(a, kMinAction), kMaxAction);

  velocity += force * kPower - 0.0025 * std::cos(3 * position);
  velocity = std::clamp(velocity, -kMaxSpeed, kMaxSpeed);
  position += velocity;
  position = std::clamp(position, kMinPosition, kMaxPosition);
  // The left wall is inelastic: the car stops dead against it.
  if (position == kMinPosition && velocity < 0) velocity = 0;

  StepResult r;
  r.terminated = position >= kGoalPosition && velocity >= goal_velocity_;
  // The energy penalty uses the action as given, not the clipped force.
  r.reward = (r.terminated ? 100.0 : 0.0) - (a * a) * 0.1;

  // Gymnasium keeps this env's state in a float32 array between steps.
  state_ = {static_cast<double>(static_cast<float>(position)), static_cast<double>(static_cast<float>(velocity))};
  observation(out);
  return r;
}

void ContinuousMountainCar::draw(DrawList& out) const { draw_mountain_car(out, state_[0], kGoalPosition); }

void ContinuousMountainCar::do_save_state(StateWriter& out) const {
  out.pod(state_);
}

void ContinuousMountainCar::do_load_state(StateReader& in) {
  in.pod(state_);
}

}  // namespace arena
