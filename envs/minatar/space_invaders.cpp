#include "envs/minatar/space_invaders.h"

#include <algorithm>

namespace arena::minatar {

namespace {

bool has(const SpaceInvaders::Rows& rows, int y, int x) { return rows[static_cast<std::size_t>(y)] >> x & 1u; }

// Set bits of a row (SWAR: std::popcount becomes a library call on CPUs
// targeted without the popcnt instruction).
int bits(unsigned v) {
  v = v - ((v >> 1) & 0x5555u);
  v = (v & 0x3333u) + ((v >> 2) & 0x3333u);
  v = (v + (v >> 4)) & 0x0f0fu;
  return static_cast<int>((v + (v >> 8)) & 0x1fu);
}

int count(const SpaceInvaders::Rows& rows) {
  int n = 0;
  for (std::uint16_t r : rows) n += bits(r);
  return n;
}

unsigned columns(const SpaceInvaders::Rows& rows) {
  unsigned c = 0;
  for (std::uint16_t r : rows) c |= r;
  return c;
}

}  // namespace

void SpaceInvaders::new_wave() {
  for (int y = 0; y < 4; ++y) aliens[static_cast<std::size_t>(y)] = 0b0011111100;  // columns 2-7
}

void SpaceInvaders::reset(Rng& /*rng*/, bool ramp) {
  *this = SpaceInvaders{};
  new_wave();
  ramping = ramp;
}

StepOutcome SpaceInvaders::act(int action, Rng& /*rng*/) {
  StepOutcome out;
  const unsigned cannon = 1u << pos;
  if (action == kFire && shot_timer == 0) {
    f_bullets[9] |= static_cast<std::uint16_t>(cannon);
    shot_timer = kShotCoolDown;
  } else if (action == kLeft) {
    if (pos > 0) --pos;
  } else if (action == kRight) {
    if (pos < 9) ++pos;
  }

  // Friendly bullets rise (leaving at the top), enemy bullets fall (leaving at the bottom).
  for (std::size_t y = 0; y + 1 < kGrid; ++y) f_bullets[y] = f_bullets[y + 1];
  f_bullets[9] = 0;
  for (std::size_t y = kGrid - 1; y > 0; --y) e_bullets[y] = e_bullets[y - 1];
  e_bullets[0] = 0;
  if (has(e_bullets, 9, pos)) out.terminal = true;

  if (has(aliens, 9, pos)) out.terminal = true;
  if (alien_move_timer == 0) {
    alien_move_timer = static_cast<std::int16_t>(std::min<int>(count(aliens), enemy_move_interval));
    const unsigned cols = columns(aliens);
    if ((cols & 1u && alien_dir < 0) || (cols >> 9 & 1u && alien_dir > 0)) {
      alien_dir = static_cast<std::int8_t>(-alien_dir);
      if (aliens[9] != 0) out.terminal = true;
      // The wave steps down; the bottom row wraps to the top (the game is over then).
      const std::uint16_t bottom = aliens[9];
      for (std::size_t y = kGrid - 1; y > 0; --y) aliens[y] = aliens[y - 1];
      aliens[0] = bottom;
    } else {
      for (auto& r : aliens) r = static_cast<std::uint16_t>(alien_dir > 0 ? r << 1 : r >> 1);
    }
    if (has(aliens, 9, pos)) out.terminal = true;
  }
  if (alien_shot_timer == 0) {
    alien_shot_timer = kEnemyShotInterval;
    // The column nearest the cannon that holds an alien (the left one on a
    // tie) fires from its lowest alien. The wave is never empty here.
    const unsigned cols = columns(aliens);
    for (int d = 0; d < kGrid; ++d) {
      int col = -1;
      if (pos - d >= 0 && (cols >> (pos - d) & 1u)) {
        col = pos - d;
      } else if (pos + d <= 9 && (cols >> (pos + d) & 1u)) {
        col = pos + d;
      }
      if (col < 0) continue;
      for (int y = kGrid - 1; y >= 0; --y) {
        if (has(aliens, y, col)) {
          e_bullets[static_cast<std::size_t>(y)] |= static_cast<std::uint16_t>(1u << col);
          break;
        }
      }
      break;
    }
  }

  for (std::size_t y = 0; y < kGrid; ++y) {
    const auto kills = static_cast<std::uint16_t>(aliens[y] & f_bullets[y]);
    if (kills == 0) continue;
    out.reward += bits(kills);
    aliens[y] = static_cast<std::uint16_t>(aliens[y] & ~kills);
    f_bullets[y] = static_cast<std::uint16_t>(f_bullets[y] & ~kills);
  }

  if (shot_timer > 0) --shot_timer;
  --alien_move_timer;
  --alien_shot_timer;
  if (count(aliens) == 0) {
    if (enemy_move_interval > 6 && ramping) {
      --enemy_move_interval;
      ++ramp_index;
    }
    new_wave();
  }
  return out;
}

void SpaceInvaders::observe(std::uint8_t* out) const {
  constexpr int C = kChannels;
  mark(out, C, 9, pos, 0);
  const int dir_channel = alien_dir < 0 ? 2 : 3;
  for (int y = 0; y < kGrid; ++y) {
    const std::size_t row = static_cast<std::size_t>(y);
    for_each_bit(aliens[row], [&](int x) {
      mark(out, C, y, x, 1);
      mark(out, C, y, x, dir_channel);
    });
    for_each_bit(f_bullets[row], [&](int x) { mark(out, C, y, x, 4); });
    for_each_bit(e_bullets[row], [&](int x) { mark(out, C, y, x, 5); });
  }
}

}  // namespace arena::minatar
