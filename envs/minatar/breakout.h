// MinAtar Breakout: bounce a ball off a paddle to break three rows of bricks.
//
//   channels  0 paddle, 1 ball, 2 trail (the ball's previous cell), 3 brick
//   actions   minimal set: n, l, r
//   rules     The paddle sits on row 9 and moves one cell per step. The ball
//             starts on row 3 at the left edge heading down-right or at the
//             right edge heading down-left (a fair coin) and moves one cell
//             diagonally per step. Walls and the ceiling reflect it; a brick
//             is removed (+1) and reflects it vertically, but not on the step
//             right after another strike (the ball then passes into the
//             brick's cell). On row 9 the ball bounces straight back when it
//             comes from above the paddle, sideways (reversing both
//             directions) when it lands on the paddle, and otherwise the game
//             ends. When the ball reaches row 9 with no bricks left, the three
//             rows are restored. No difficulty ramping.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "envs/core/rng.h"
#include "envs/minatar/minatar_game.h"

namespace arena::minatar {

struct Breakout {
  static constexpr std::string_view kName = "Breakout";
  static constexpr int kChannels = 4;
  static constexpr std::array<std::string_view, kChannels> kChannelNames = {"paddle", "ball", "trail", "brick"};
  static constexpr std::array<std::uint8_t, 3> kMinimalActions = {kNoop, kLeft, kRight};
  static constexpr std::uint16_t kFullRow = (1u << kGrid) - 1;

  // Ball directions: 0 up-left, 1 up-right, 2 down-right, 3 down-left.
  std::int8_t ball_x = 0, ball_y = 3, ball_dir = 2;
  std::int8_t last_x = 0, last_y = 3;  // the ball's previous cell (the trail)
  std::int8_t paddle = 4;
  bool strike = false;                  // a brick was struck on the previous step
  std::array<std::uint16_t, kGrid> bricks{};  // one bit per column, per row

  void reset(Rng& rng, bool ramping);
  StepOutcome act(int action, Rng& rng);
  // Writes the set cells of a zeroed [10, 10, kChannels] observation.
  void observe(std::uint8_t* out) const;
  int difficulty_ramp() const { return 0; }  // Breakout does not ramp
};

}  // namespace arena::minatar
