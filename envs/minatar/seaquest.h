// MinAtar Seaquest: a submarine shoots fish and enemy subs, rescues divers and
// surfaces for oxygen.
//
//   channels  0 sub front, 1 sub back, 2 friendly bullet, 3 trail (behind
//             fish, enemy subs and divers), 4 enemy bullet, 5 enemy fish,
//             6 enemy sub, 7 oxygen gauge, 8 diver gauge, 9 diver
//   actions   minimal set: all six
//   rules     The player's sub (two cells: front and back, giving its facing)
//             moves within rows 0-8 and fires a bullet from its front at most
//             every 5 steps; bullets fly one cell per step. A bullet that meets
//             a fish or an enemy sub removes both (+1). Every `enemy spawn
//             interval` steps (20 at first) a fish (2/3) or an enemy sub (1/3)
//             enters a random row of 1-8 from a random side, unless an enemy
//             moving the other way is already in that row. Enemies move one cell
//             every `move interval` + 1 steps (5 at first); enemy subs fire a
//             bullet every 11 steps. Every 30 steps a diver enters a random row;
//             divers move every 6 steps and are picked up (at most 6 on board)
//             by touching them. Oxygen (200) drops by one per step below the
//             surface; the game ends when it is used up, when an enemy or an
//             enemy bullet touches the sub, or when the sub surfaces with no
//             diver on board. Surfacing with divers refills the oxygen and costs
//             one diver; with all six on board it also pays one point per tenth
//             of oxygen left and empties the sub (MinAtar then counts one diver
//             below zero, which this game reproduces). With difficulty ramping,
//             each surfacing shortens the enemy spawn interval by one (down to
//             1) and every second one the move interval (down to 2).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "envs/core/rng.h"
#include "envs/minatar/minatar_game.h"

namespace arena::minatar {

struct Seaquest {
  static constexpr std::string_view kName = "Seaquest";
  static constexpr int kChannels = 10;
  static constexpr std::array<std::string_view, kChannels> kChannelNames = {
      "sub_front", "sub_back",  "friendly_bullet", "trail",        "enemy_bullet",
      "enemy_fish", "enemy_sub", "oxygen_gauge",   "diver_gauge", "diver"};
  static constexpr std::array<std::uint8_t, 6> kMinimalActions = {kNoop, kLeft, kUp, kRight, kDown, kFire};
  static constexpr int kMaxOxygen = 200;
  static constexpr int kInitSpawnSpeed = 20;
  static constexpr int kDiverSpawnSpeed = 30;
  static constexpr int kInitMoveInterval = 5;
  static constexpr int kShotCoolDown = 5;
  static constexpr int kEnemyShotInterval = 10;
  static constexpr int kDiverMoveInterval = 5;

  struct Bullet {
    std::int8_t x = 0, y = 0;
    bool right = false;
  };
  struct Mover {  // a fish or a diver
    std::int8_t x = 0, y = 0;
    bool right = false;
    std::int8_t move_timer = 0;
  };
  struct EnemySub {
    std::int8_t x = 0, y = 0;
    bool right = false;
    std::int8_t move_timer = 0, shot_timer = 0;
  };

  // Capacities from the rules: at most one enemy spawns per step and an enemy
  // crosses the grid in at most 10 * 6 steps (61 alive at once); each enemy
  // sub fires at most once in any 11 steps, the lifetime of a bullet (at most
  // 72 distinct subs in such a window); a friendly bullet lives at most 10
  // steps with 5 between shots; a diver lives at most 60 steps with 30 between
  // spawns.
  FixedVec<Bullet, 8> f_bullets;
  FixedVec<Bullet, 128> e_bullets;
  FixedVec<Mover, 64> e_fish;
  FixedVec<EnemySub, 64> e_subs;
  FixedVec<Mover, 8> divers;

  std::int16_t oxygen = kMaxOxygen;
  std::int8_t diver_count = 0;  // may fall below zero after a surfacing with six (as MinAtar)
  std::int8_t sub_x = 5, sub_y = 0;
  bool sub_right = false;  // facing right
  std::int16_t e_spawn_speed = kInitSpawnSpeed, e_spawn_timer = kInitSpawnSpeed;
  std::int16_t d_spawn_timer = kDiverSpawnSpeed;
  std::int16_t move_speed = kInitMoveInterval;
  std::int16_t ramp_index = 0;
  std::int8_t shot_timer = 0;
  bool surface = true;  // at the surface since the last surfacing (no new surfacing yet)
  bool ramping = true;

  void reset(Rng& rng, bool ramping);
  StepOutcome act(int action, Rng& rng);
  void observe(std::uint8_t* out) const;
  int difficulty_ramp() const { return ramp_index; }

  void spawn_enemy(Rng& rng);
  void spawn_diver(Rng& rng);
  int surface_reward();  // the surfacing with at least one diver on board
};

}  // namespace arena::minatar
