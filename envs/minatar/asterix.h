// MinAtar Asterix: dodge enemies and collect gold that cross the screen.
//
//   channels  0 player, 1 enemy, 2 trail (the cell an object came from), 3 gold
//   actions   minimal set: n, l, u, r, d
//   rules     The player moves one cell per step within rows 1-8. Rows 1-8
//             each hold at most one object. Every `spawn_speed` steps an
//             object enters at the left edge moving right or at the right edge
//             moving left (a fair coin), gold with probability 1/3 and an enemy
//             otherwise, in a row drawn uniformly among the free ones (nothing
//             when all are taken). Objects move one cell every `move_speed`
//             steps and leave at the edge. Touching gold pays +1 and removes it;
//             touching an enemy ends the game. With difficulty ramping, every
//             102 steps the spawn interval shrinks by one (down to 1) and, every
//             second time, the move interval too (down to 1).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "envs/core/rng.h"
#include "envs/minatar/minatar_game.h"

namespace arena::minatar {

struct Asterix {
  static constexpr std::string_view kName = "Asterix";
  static constexpr int kChannels = 4;
  static constexpr std::array<std::string_view, kChannels> kChannelNames = {"player", "enemy", "trail", "gold"};
  static constexpr std::array<std::uint8_t, 5> kMinimalActions = {kNoop, kLeft, kUp, kRight, kDown};
  static constexpr int kRampInterval = 100;
  static constexpr int kInitSpawnSpeed = 10;
  static constexpr int kInitMoveSpeed = 5;

  // The object of row slot + 1 (slot 0..7).
  struct Entity {
    std::int8_t x = 0;
    bool alive = false;
    bool right = false;  // moving right (entered at the left edge)
    bool gold = false;
  };

  std::int8_t player_x = 5, player_y = 5;
  std::array<Entity, 8> entities{};
  std::int16_t spawn_speed = kInitSpawnSpeed, spawn_timer = kInitSpawnSpeed;
  std::int16_t move_speed = kInitMoveSpeed, move_timer = kInitMoveSpeed;
  std::int16_t ramp_timer = kRampInterval, ramp_index = 0;
  bool ramping = true;

  void reset(Rng& rng, bool ramping);
  StepOutcome act(int action, Rng& rng);
  void observe(std::uint8_t* out) const;
  int difficulty_ramp() const { return ramp_index; }

  void spawn(Rng& rng);
};

}  // namespace arena::minatar
