#include "envs/minatar/breakout.h"

namespace arena::minatar {

void Breakout::reset(Rng& rng, bool /*ramping*/) {
  ball_y = 3;
  if (rng.below(2) == 0) {
    ball_x = 0, ball_dir = 2;
  } else {
    ball_x = 9, ball_dir = 3;
  }
  paddle = 4;
  bricks = {};
  for (int y = 1; y <= 3; ++y) bricks[static_cast<std::size_t>(y)] = kFullRow;
  strike = false;
  last_x = ball_x;
  last_y = ball_y;
}

StepOutcome Breakout::act(int action, Rng& /*rng*/) {
  // Reflections of the direction: off a side wall, off a horizontal surface,
  // and off the paddle's edge (both components reversed).
  static constexpr std::int8_t kMirrorX[4] = {1, 0, 3, 2};
  static constexpr std::int8_t kMirrorY[4] = {3, 2, 1, 0};
  static constexpr std::int8_t kReverse[4] = {2, 3, 0, 1};
  static constexpr std::int8_t kDx[4] = {-1, 1, 1, -1};
  static constexpr std::int8_t kDy[4] = {-1, -1, 1, 1};

  StepOutcome out;
  if (action == kLeft) {
    if (paddle > 0) --paddle;
  } else if (action == kRight) {
    if (paddle < 9) ++paddle;
  }

  last_x = ball_x;
  last_y = ball_y;
  int nx = ball_x + kDx[ball_dir];
  int ny = ball_y + kDy[ball_dir];

  bool struck = false;
  if (nx < 0 || nx > 9) {
    nx = nx < 0 ? 0 : 9;
    ball_dir = kMirrorX[ball_dir];
  }
  const auto row = [&](int y) -> std::uint16_t& { return bricks[static_cast<std::size_t>(y)]; };
  if (ny < 0) {
    ny = 0;
    ball_dir = kMirrorY[ball_dir];
  } else if (row(ny) >> nx & 1u) {
    struck = true;
    if (!strike) {  // a second strike in a row does not break the brick
      out.reward += 1;
      strike = true;
      row(ny) = static_cast<std::uint16_t>(row(ny) & ~(1u << nx));
      ny = last_y;
      ball_dir = kMirrorY[ball_dir];
    }
  } else if (ny == 9) {
    bool cleared = true;
    for (std::uint16_t r : bricks) cleared = cleared && r == 0;
    if (cleared)
      for (int y = 1; y <= 3; ++y) row(y) = kFullRow;
    if (ball_x == paddle) {  // came down right above the paddle: straight back up
      ball_dir = kMirrorY[ball_dir];
      ny = last_y;
    } else if (nx == paddle) {  // landed on the paddle from the side
      ball_dir = kReverse[ball_dir];
      ny = last_y;
    } else {
      out.terminal = true;
    }
  }
  if (!struck) strike = false;

  ball_x = static_cast<std::int8_t>(nx);
  ball_y = static_cast<std::int8_t>(ny);
  return out;
}

void Breakout::observe(std::uint8_t* out) const {
  mark(out, kChannels, ball_y, ball_x, 1);
  mark(out, kChannels, 9, paddle, 0);
  mark(out, kChannels, last_y, last_x, 2);
  for (int y = 0; y < kGrid; ++y) {
    const unsigned r = bricks[static_cast<std::size_t>(y)];
    if (r == 0) continue;
    std::uint8_t* row = out + y * kGrid * kChannels + 3;
    for (int x = 0; x < kGrid; ++x) row[x * kChannels] = static_cast<std::uint8_t>(r >> x & 1u);  // branch-free
  }
}

}  // namespace arena::minatar
