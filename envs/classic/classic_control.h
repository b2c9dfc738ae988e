// Gymnasium's classic-control environments: CartPole-v1, MountainCar-v0,
// MountainCarContinuous-v0, Acrobot-v1 and Pendulum-v1.
//
// Each env reproduces Gymnasium 1.x: the same spaces, bounds, thresholds,
// rewards, termination rules and dynamics, computed in double precision (as
// Gymnasium does with numpy float64) and written out as float32
// observations. tests/envs/classic_parity_test.cpp replays Gymnasium's own
// episodes against them.
#pragma once

#include <string_view>

#include "envs/core/options.h"

namespace arena {

class Registry;

// Adds the five ids with Gymnasium's registration data (step limit, reward
// threshold) and construction options with their defaults:
//   CartPole-v1               500 steps, threshold 475    sutton_barto_reward = false
//   MountainCar-v0            200 steps, threshold -110   goal_velocity = 0.0
//   MountainCarContinuous-v0  999 steps, threshold 90     goal_velocity = 0.0
//   Acrobot-v1                500 steps, threshold -100   (none)
//   Pendulum-v1               200 steps, no threshold     g = 10.0
void register_classic_control(Registry& registry);

// The initial-state range [low, high] of a reset, as Gymnasium's
// maybe_parse_reset_bounds: the reset options "low" and "high" (numbers)
// override the defaults. Throws OptionError for any other key, a value that is
// not a number, or low > high. `context` names the env in messages.
struct ResetBounds {
  double low;
  double high;
};
ResetBounds parse_reset_bounds(const Options& options, double default_low, double default_high,
                               std::string_view context);

}  // namespace arena
