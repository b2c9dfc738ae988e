#include "envs/minatar/freeway.h"

#include <cstdlib>

namespace arena::minatar {

void Freeway::randomize_cars(Rng& rng, bool initialize) {
  std::array<int, 8> speed{};
  for (int& s : speed) s = static_cast<int>(rng.integer(1, 5));
  for (int& s : speed) s *= rng.below(2) == 0 ? -1 : 1;
  for (std::size_t i = 0; i < cars.size(); ++i) {
    if (initialize) cars[i].x = 0;
    cars[i].timer = static_cast<std::int8_t>(std::abs(speed[i]));
    cars[i].speed = static_cast<std::int8_t>(speed[i]);
  }
}

void Freeway::reset(Rng& rng, bool /*ramping*/) {
  randomize_cars(rng, true);
  pos = 9;
  move_timer = kPlayerSpeed;
  terminate_timer = kTimeLimit;
}

StepOutcome Freeway::act(int action, Rng& rng) {
  StepOutcome out;
  if (action == kUp && move_timer == 0) {
    move_timer = kPlayerSpeed;
    if (pos > 0) --pos;
  } else if (action == kDown && move_timer == 0) {
    move_timer = kPlayerSpeed;
    if (pos < 9) ++pos;
  }

  if (pos == 0) {  // crossed: score, new car speeds, back to the start
    out.reward += 1;
    randomize_cars(rng, false);
    pos = 9;
  }

  for (std::size_t i = 0; i < cars.size(); ++i) {
    Car& c = cars[i];
    const int row = static_cast<int>(i) + 1;
    if (c.x == 4 && row == pos) pos = 9;
    if (c.timer == 0) {
      c.timer = static_cast<std::int8_t>(std::abs(c.speed));
      c.x = static_cast<std::int8_t>(c.x + (c.speed > 0 ? 1 : -1));
      if (c.x < 0) {
        c.x = 9;
      } else if (c.x > 9) {
        c.x = 0;
      }
      if (c.x == 4 && row == pos) pos = 9;
    } else {
      --c.timer;
    }
  }

  if (move_timer > 0) --move_timer;
  --terminate_timer;
  out.terminal = terminate_timer < 0;
  return out;
}

void Freeway::observe(std::uint8_t* out) const {
  mark(out, kChannels, pos, 4, 0);
  for (std::size_t i = 0; i < cars.size(); ++i) {
    const Car& c = cars[i];
    const int row = static_cast<int>(i) + 1;
    mark(out, kChannels, row, c.x, 1);
    int back = c.speed > 0 ? c.x - 1 : c.x + 1;
    if (back < 0) {
      back = 9;
    } else if (back > 9) {
      back = 0;
    }
    mark(out, kChannels, row, back, 1 + std::abs(c.speed));
  }
}

}  // namespace arena::minatar
