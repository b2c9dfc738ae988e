#include "envs/minatar/asterix.h"

#include <algorithm>

namespace arena::minatar {

void Asterix::reset(Rng& /*rng*/, bool ramp) {
  *this = Asterix{};
  ramping = ramp;
}

void Asterix::spawn(Rng& rng) {
  // The random numbers are drawn in this order whether or not a row is free.
  const bool right = rng.uniform() < 1.0 / 2;
  const bool gold = rng.uniform() < 1.0 / 3;
  std::array<int, 8> free{};
  int n = 0;
  for (int i = 0; i < 8; ++i)
    if (!entities[static_cast<std::size_t>(i)].alive) free[static_cast<std::size_t>(n++)] = i;
  if (n == 0) return;
  const int slot = free[static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(n)))];
  entities[static_cast<std::size_t>(slot)] = {static_cast<std::int8_t>(right ? 0 : 9), true, right, gold};
}

StepOutcome Asterix::act(int action, Rng& rng) {
  StepOutcome out;
  if (spawn_timer == 0) {
    spawn(rng);
    spawn_timer = spawn_speed;
  }

  // The player's move (n, l, u, r, d, f), kept within columns 0-9 and rows 1-8.
  static constexpr std::int8_t kDx[kNumActions] = {0, -1, 0, 1, 0, 0};
  static constexpr std::int8_t kDy[kNumActions] = {0, 0, -1, 0, 1, 0};
  player_x = static_cast<std::int8_t>(std::clamp(player_x + kDx[action], 0, 9));
  player_y = static_cast<std::int8_t>(std::clamp(player_y + kDy[action], 1, 8));

  // Contact after the player's move, then again after the objects' move. Row
  // y holds only the object of slot y - 1, so only that one can touch the player.
  Entity& near = entities[static_cast<std::size_t>(player_y - 1)];
  const auto touch = [&] {
    if (near.gold) {
      near.alive = false;
      out.reward += 1;
    } else {
      out.terminal = true;
    }
  };
  if (near.alive && near.x == player_x) touch();
  if (move_timer == 0) {
    move_timer = move_speed;
    for (Entity& e : entities) {
      if (!e.alive) continue;
      e.x = static_cast<std::int8_t>(e.x + (e.right ? 1 : -1));
      if (e.x < 0 || e.x > 9) e.alive = false;
    }
    if (near.alive && near.x == player_x) touch();
  }

  --spawn_timer;
  --move_timer;

  if (ramping && (spawn_speed > 1 || move_speed > 1)) {
    if (ramp_timer >= 0) {
      --ramp_timer;
    } else {
      if (move_speed > 1 && ramp_index % 2 == 1) --move_speed;
      if (spawn_speed > 1) --spawn_speed;
      ++ramp_index;
      ramp_timer = kRampInterval;
    }
  }
  return out;
}

void Asterix::observe(std::uint8_t* out) const {
  mark(out, kChannels, player_y, player_x, 0);
  for (int i = 0; i < 8; ++i) {
    const Entity& e = entities[static_cast<std::size_t>(i)];
    if (!e.alive) continue;
    mark(out, kChannels, i + 1, e.x, e.gold ? 3 : 1);
    const int back = e.right ? e.x - 1 : e.x + 1;
    if (back >= 0 && back <= 9) mark(out, kChannels, i + 1, back, 2);
  }
}

}  // namespace arena::minatar
