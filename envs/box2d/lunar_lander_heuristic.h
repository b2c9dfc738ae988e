// The PD controller that lands Gymnasium's LunarLander (its `heuristic(env, s)`),
// for tests and demonstrations. It reads the 8-float observation only.
//
// Control law: the hull should lean towards the pad, angle target
// 0.5 x + 1.0 vx clipped to +-0.4 rad; the height target is 0.55 |x|.
//   angle_cmd = 0.5 (angle target - angle) - 1.0 angular velocity
//   hover_cmd = 0.5 (height target - y) - 0.5 vy
// Once a leg touches the ground only the fall is braked: angle_cmd = 0,
// hover_cmd = -0.5 vy. Arithmetic is float32, as numpy 2 does on the
// float32 observation.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace arena {

// Discrete(4): the main engine (2) when hover_cmd > |angle_cmd| and > 0.05,
// else the right engine (3) when angle_cmd < -0.05, the left one (1) when
// angle_cmd > 0.05, else nothing (0).
std::int64_t lunar_lander_heuristic_discrete(std::span<const float> obs);

// Box(-1, 1, (2,)): [20 hover_cmd - 1, -20 angle_cmd], clipped to [-1, 1].
std::array<float, 2> lunar_lander_heuristic_continuous(std::span<const float> obs);

}  // namespace arena
