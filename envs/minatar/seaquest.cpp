#include "envs/minatar/seaquest.h"

#include <algorithm>

namespace arena::minatar {

namespace {

// The first item of `list` on cell (x, y), or -1.
template <class List>
int find_at(const List& list, int x, int y) {
  for (int i = 0; i < list.size(); ++i)
    if (list[i].x == x && list[i].y == y) return i;
  return -1;
}

std::int8_t step_x(std::int8_t x, bool right) { return static_cast<std::int8_t>(x + (right ? 1 : -1)); }
bool off_grid(int x) { return x < 0 || x > 9; }

}  // namespace

void Seaquest::reset(Rng& /*rng*/, bool ramp) {
  *this = Seaquest{};
  ramping = ramp;
}

void Seaquest::spawn_enemy(Rng& rng) {
  const bool right = rng.uniform() < 1.0 / 2;
  const bool is_sub = rng.uniform() < 1.0 / 3;
  const auto x = static_cast<std::int8_t>(right ? 0 : 9);
  const auto y = static_cast<std::int8_t>(rng.integer(1, 8));
  // No spawn into a row where an enemy moves the other way.
  for (const auto& s : e_subs)
    if (s.y == y && s.right != right) return;
  for (const auto& f : e_fish)
    if (f.y == y && f.right != right) return;
  const auto timer = static_cast<std::int8_t>(move_speed);
  if (is_sub) {
    e_subs.push({x, y, right, timer, static_cast<std::int8_t>(kEnemyShotInterval)});
  } else {
    e_fish.push({x, y, right, timer});
  }
}

void Seaquest::spawn_diver(Rng& rng) {
  const bool right = rng.uniform() < 1.0 / 2;
  const auto x = static_cast<std::int8_t>(right ? 0 : 9);
  const auto y = static_cast<std::int8_t>(rng.integer(1, 8));
  divers.push({x, y, right, static_cast<std::int8_t>(kDiverMoveInterval)});
}

int Seaquest::surface_reward() {
  surface = true;
  int reward = 0;
  if (diver_count == 6) {
    diver_count = 0;
    reward = oxygen * 10 / kMaxOxygen;  // oxygen is positive here
  }
  oxygen = kMaxOxygen;
  --diver_count;
  if (ramping && (e_spawn_speed > 1 || move_speed > 2)) {
    if (move_speed > 2 && ramp_index % 2 == 1) --move_speed;
    if (e_spawn_speed > 1) --e_spawn_speed;
    ++ramp_index;
  }
  return reward;
}

StepOutcome Seaquest::act(int action, Rng& rng) {
  StepOutcome out;
  const auto at_sub = [&](int x, int y) { return x == sub_x && y == sub_y; };

  if (e_spawn_timer == 0) {
    spawn_enemy(rng);
    e_spawn_timer = e_spawn_speed;
  }
  if (d_spawn_timer == 0) {
    spawn_diver(rng);
    d_spawn_timer = kDiverSpawnSpeed;
  }

  if (action == kFire && shot_timer == 0) {
    f_bullets.push({sub_x, sub_y, sub_right});
    shot_timer = kShotCoolDown;
  } else if (action == kLeft) {
    sub_x = static_cast<std::int8_t>(std::max(0, sub_x - 1));
    sub_right = false;
  } else if (action == kRight) {
    sub_x = static_cast<std::int8_t>(std::min(9, sub_x + 1));
    sub_right = true;
  } else if (action == kUp) {
    sub_y = static_cast<std::int8_t>(std::max(0, sub_y - 1));
  } else if (action == kDown) {
    sub_y = static_cast<std::int8_t>(std::min(8, sub_y + 1));
  }

  // Every list is walked from its newest item to its oldest; an item's
  // removal leaves the ones still to visit where they are.

  // Friendly bullets: move, then hit the first fish, else the first sub, on their cell.
  for (int i = f_bullets.size() - 1; i >= 0; --i) {
    Bullet& b = f_bullets[i];
    b.x = step_x(b.x, b.right);
    if (off_grid(b.x)) {
      f_bullets.erase(i);
      continue;
    }
    int hit = find_at(e_fish, b.x, b.y);
    if (hit >= 0) {
      e_fish.erase(hit);
    } else {
      hit = find_at(e_subs, b.x, b.y);
      if (hit >= 0) e_subs.erase(hit);
    }
    if (hit >= 0) {
      f_bullets.erase(i);
      out.reward += 1;
    }
  }

  // Divers: picked up on contact (room permitting), before or after moving.
  for (int i = divers.size() - 1; i >= 0; --i) {
    Mover& d = divers[i];
    if (at_sub(d.x, d.y) && diver_count < 6) {
      divers.erase(i);
      ++diver_count;
      continue;
    }
    if (d.move_timer == 0) {
      d.move_timer = kDiverMoveInterval;
      d.x = step_x(d.x, d.right);
      if (off_grid(d.x)) {
        divers.erase(i);
      } else if (at_sub(d.x, d.y) && diver_count < 6) {
        divers.erase(i);
        ++diver_count;
      }
    } else {
      --d.move_timer;
    }
  }

  // Enemy subs: contact ends the game; a sub moving onto a friendly bullet
  // dies (+1). Its shot timer runs even on the step it leaves or dies.
  for (int i = e_subs.size() - 1; i >= 0; --i) {
    EnemySub s = e_subs[i];
    bool removed = false;
    if (at_sub(s.x, s.y)) out.terminal = true;
    if (s.move_timer == 0) {
      s.move_timer = static_cast<std::int8_t>(move_speed);
      s.x = step_x(s.x, s.right);
      if (off_grid(s.x)) {
        removed = true;
      } else if (at_sub(s.x, s.y)) {
        out.terminal = true;
      } else {
        const int k = find_at(f_bullets, s.x, s.y);
        if (k >= 0) {
          removed = true;
          f_bullets.erase(k);
          out.reward += 1;
        }
      }
    } else {
      --s.move_timer;
    }
    if (s.shot_timer == 0) {
      s.shot_timer = static_cast<std::int8_t>(kEnemyShotInterval);
      e_bullets.push({s.x, s.y, s.right});
    } else {
      --s.shot_timer;
    }
    if (removed) {
      e_subs.erase(i);
    } else {
      e_subs[i] = s;
    }
  }

  // Enemy bullets: one cell per step; contact before or after ends the game.
  for (int i = e_bullets.size() - 1; i >= 0; --i) {
    Bullet& b = e_bullets[i];
    if (at_sub(b.x, b.y)) out.terminal = true;
    b.x = step_x(b.x, b.right);
    if (off_grid(b.x)) {
      e_bullets.erase(i);
    } else if (at_sub(b.x, b.y)) {
      out.terminal = true;
    }
  }

  // Enemy fish: as the subs, without shooting.
  for (int i = e_fish.size() - 1; i >= 0; --i) {
    Mover& f = e_fish[i];
    if (at_sub(f.x, f.y)) out.terminal = true;
    if (f.move_timer == 0) {
      f.move_timer = static_cast<std::int8_t>(move_speed);
      f.x = step_x(f.x, f.right);
      if (off_grid(f.x)) {
        e_fish.erase(i);
      } else if (at_sub(f.x, f.y)) {
        out.terminal = true;
      } else {
        const int k = find_at(f_bullets, f.x, f.y);
        if (k >= 0) {
          e_fish.erase(i);
          f_bullets.erase(k);
          out.reward += 1;
        }
      }
    } else {
      --f.move_timer;
    }
  }

  if (e_spawn_timer > 0) --e_spawn_timer;
  if (d_spawn_timer > 0) --d_spawn_timer;
  if (shot_timer > 0) --shot_timer;
  if (oxygen <= 0) out.terminal = true;
  if (sub_y > 0) {
    --oxygen;
    surface = false;
  } else if (!surface) {
    if (diver_count == 0) {
      out.terminal = true;
    } else {
      out.reward += surface_reward();
    }
  }
  return out;
}

void Seaquest::observe(std::uint8_t* out) const {
  constexpr int C = kChannels;
  mark(out, C, sub_y, sub_x, 0);
  const int back = sub_right ? sub_x - 1 : sub_x + 1;
  if (!off_grid(back)) mark(out, C, sub_y, back, 1);
  const int oxygen_cells = std::max(0, static_cast<int>(oxygen)) * 10 / kMaxOxygen;
  for (int x = 0; x < oxygen_cells; ++x) mark(out, C, 9, x, 7);
  for (int x = 9 - diver_count; x < 9; ++x) mark(out, C, 9, x, 8);  // empty when diver_count <= 0
  for (const Bullet& b : f_bullets) mark(out, C, b.y, b.x, 2);
  for (const Bullet& b : e_bullets) mark(out, C, b.y, b.x, 4);
  const auto with_trail = [&](int x, int y, bool right, int channel) {
    mark(out, C, y, x, channel);
    const int bx = right ? x - 1 : x + 1;
    if (!off_grid(bx)) mark(out, C, y, bx, 3);
  };
  for (const Mover& f : e_fish) with_trail(f.x, f.y, f.right, 5);
  for (const EnemySub& s : e_subs) with_trail(s.x, s.y, s.right, 6);
  for (const Mover& d : divers) with_trail(d.x, d.y, d.right, 9);
}

}  // namespace arena::minatar
