// MinAtar Space Invaders: a cannon shoots at a wave of aliens that shoot back.
//
//   channels  0 cannon, 1 alien, 2 alien moving left, 3 alien moving right,
//             4 friendly bullet, 5 enemy bullet
//   actions   minimal set: n, l, r, f
//   rules     The cannon moves along row 9 and fires at most every 5 steps;
//             its bullets rise one row per step, enemy bullets fall one row per
//             step. The wave starts as 4 rows of 6 aliens (rows 0-3, columns
//             2-7) moving left. Every `move interval` steps (12 at first; never
//             more than the number of aliens left) the wave steps sideways,
//             or, when an alien touches the edge it moves towards, steps down
//             and turns. Every 10 steps the lowest alien of the column nearest
//             the cannon fires. A friendly bullet on an alien's cell removes
//             both (+1). A cleared wave is replaced by a new one; with
//             difficulty ramping its move interval is one step shorter (down
//             to 6). The game ends when an alien or an enemy bullet reaches the
//             cannon, or when the wave steps down from row 9.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "envs/core/rng.h"
#include "envs/minatar/minatar_game.h"

namespace arena::minatar {

struct SpaceInvaders {
  static constexpr std::string_view kName = "SpaceInvaders";
  static constexpr int kChannels = 6;
  static constexpr std::array<std::string_view, kChannels> kChannelNames = {
      "cannon", "alien", "alien_left", "alien_right", "friendly_bullet", "enemy_bullet"};
  static constexpr std::array<std::uint8_t, 4> kMinimalActions = {kNoop, kLeft, kRight, kFire};
  static constexpr int kShotCoolDown = 5;
  static constexpr int kEnemyMoveInterval = 12;
  static constexpr int kEnemyShotInterval = 10;

  // One bit per column (bit x = column x), one word per row.
  using Rows = std::array<std::uint16_t, kGrid>;

  std::int8_t pos = 5;  // the cannon's column
  Rows f_bullets{}, e_bullets{}, aliens{};
  std::int8_t alien_dir = -1;  // -1 left, +1 right
  std::int16_t enemy_move_interval = kEnemyMoveInterval;
  std::int16_t alien_move_timer = kEnemyMoveInterval;
  std::int16_t alien_shot_timer = kEnemyShotInterval;
  std::int16_t ramp_index = 0;
  std::int8_t shot_timer = 0;
  bool ramping = true;

  void reset(Rng& rng, bool ramping);
  StepOutcome act(int action, Rng& rng);
  void observe(std::uint8_t* out) const;
  int difficulty_ramp() const { return ramp_index; }

  void new_wave();
};

}  // namespace arena::minatar
