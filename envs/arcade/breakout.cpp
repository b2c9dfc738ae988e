#include "envs/arcade/breakout.h"

#include <algorithm>
#include <cmath>

namespace arena {

namespace {

constexpr AleAction kMinimal[] = {AleAction::Noop, AleAction::Fire, AleAction::Right, AleAction::Left};

constexpr double kPaddleSpeed = 3.0;  // pixels per frame
constexpr double kStartSpeed = 1.5;   // vertical ball speed of a new ball
constexpr double kSpeedStep = 0.4;    // each speed-up
constexpr double kMaxSpeed = 3.1;
constexpr double kMaxVxRatio = 1.2;   // |vx| / vertical speed off a paddle edge

constexpr Color kWallColor = Color::rgb(142, 142, 142);
constexpr Color kPaddleColor = Color::rgb(200, 72, 72);
constexpr Color kRowColors[Breakout::kRows] = {Color::rgb(200, 72, 72), Color::rgb(198, 108, 58),
                                               Color::rgb(180, 122, 48), Color::rgb(162, 162, 42),
                                               Color::rgb(72, 160, 72),  Color::rgb(66, 72, 200)};

}  // namespace

Breakout::Breakout(const Options& options) : ArcadeEnv(options, "Breakout", kMinimal) {}

void Breakout::new_game() {
  s_ = State{};
  s_.bricks.fill(1);
  s_.paddle_x = (kWallLeft + kWallRight - kPaddleW) / 2;
  draw_next_serve();
}

// Where and which way the next ball will go, drawn ahead (at the start of a
// game and at each serve).
void Breakout::draw_next_serve() {
  s_.next_serve_x = rng_.uniform(kWallLeft + 8, kWallRight - 8 - kBallW);
  s_.next_serve_dir = rng_.below(2) ? 1 : -1;
}

void Breakout::serve() {
  s_.ball_in_play = true;
  s_.returns = 0;
  s_.reached_orange = s_.reached_red = false;
  s_.speed = kStartSpeed;
  s_.ball_x = s_.next_serve_x;
  s_.ball_y = kBricksTop + kRows * kBrickH + 30;
  s_.ball_vy = s_.speed;
  s_.ball_vx = s_.next_serve_dir * s_.speed * 0.6;
  draw_next_serve();
}

void Breakout::speed_up() {
  const double next = std::min(s_.speed + kSpeedStep, kMaxSpeed);
  const double k = next / s_.speed;
  s_.speed = next;
  s_.ball_vx *= k;
  s_.ball_vy *= k;
}

// Removes the brick the ball overlaps first (in its direction of travel),
// bounces the ball vertically and returns the points.
double Breakout::hit_bricks() {
  const double top = s_.ball_y, bottom = s_.ball_y + kBallH;
  if (bottom <= kBricksTop || top >= kBricksTop + kRows * kBrickH) return 0;
  const int r0 = std::max(0, static_cast<int>(std::floor((top - kBricksTop) / kBrickH)));
  const int r1 = std::min(kRows - 1, static_cast<int>(std::floor((bottom - 1e-9 - kBricksTop) / kBrickH)));
  const int c0 = std::max(0, static_cast<int>(std::floor((s_.ball_x - kWallLeft) / kBrickW)));
  const int c1 = std::min(kColumns - 1, static_cast<int>(std::floor((s_.ball_x + kBallW - 1e-9 - kWallLeft) / kBrickW)));
  const bool up = s_.ball_vy < 0;
  for (int k = 0; k <= r1 - r0; ++k) {
    const int r = up ? r1 - k : r0 + k;  // the nearest row first
    for (int c = c0; c <= c1; ++c) {
      auto& brick = s_.bricks[static_cast<std::size_t>(r * kColumns + c)];
      if (!brick) continue;
      brick = 0;
      s_.ball_vy = -s_.ball_vy;
      if (r <= 1 && !s_.reached_orange) {  // orange (row 1) or red (row 0)
        s_.reached_orange = true;
        speed_up();
      }
      if (r == 0 && !s_.reached_red) {
        s_.reached_red = true;
        speed_up();
      }
      return kRowPoints[r];
    }
  }
  return 0;
}

double Breakout::frame(Joystick input) {
  s_.paddle_x = std::clamp(s_.paddle_x + kPaddleSpeed * input.dx, kWallLeft, kWallRight - s_.paddle_w);
  if (!s_.ball_in_play) {
    if (input.fire && s_.lives > 0) serve();
    return 0;
  }

  const double old_bottom = s_.ball_y + kBallH;
  s_.ball_x += s_.ball_vx;
  s_.ball_y += s_.ball_vy;
  // Side and top walls.
  if (s_.ball_x < kWallLeft) {
    s_.ball_x = 2 * kWallLeft - s_.ball_x;
    s_.ball_vx = -s_.ball_vx;
  } else if (s_.ball_x + kBallW > kWallRight) {
    s_.ball_x = 2 * (kWallRight - kBallW) - s_.ball_x;
    s_.ball_vx = -s_.ball_vx;
  }
  if (s_.ball_y < kWallTop) {
    s_.ball_y = 2 * kWallTop - s_.ball_y;
    s_.ball_vy = std::abs(s_.ball_vy);
    if (!s_.reached_top) {
      s_.reached_top = true;
      s_.paddle_w = kPaddleW / 2;
    }
  }
  double reward = hit_bricks();
  s_.score += static_cast<int>(reward);

  // The paddle: the ball's bottom edge crossed its top this frame.
  if (s_.ball_vy > 0 && old_bottom <= kPaddleY && s_.ball_y + kBallH > kPaddleY &&
      s_.ball_x + kBallW > s_.paddle_x && s_.ball_x < s_.paddle_x + s_.paddle_w) {
    s_.ball_y = kPaddleY - kBallH;
    const double rel = std::clamp(((s_.ball_x + kBallW / 2) - (s_.paddle_x + s_.paddle_w / 2)) / (s_.paddle_w / 2 + 1),
                                  -1.0, 1.0);
    const int zone = std::clamp(static_cast<int>(std::floor((rel + 1) * 2.5)), 0, 4);  // 5 angles
    static constexpr double kZoneVx[5] = {-1.0, -0.55, -0.2, 0.55, 1.0};
    s_.ball_vx = kZoneVx[zone] * kMaxVxRatio * s_.speed;
    if (zone == 2 && rel >= 0) s_.ball_vx = -s_.ball_vx;  // the centre keeps a shallow angle either way
    s_.ball_vy = -s_.speed;
    ++s_.returns;
    if (s_.returns == 4 || s_.returns == 12) speed_up();
  }

  // A lost ball.
  if (s_.ball_y > kPaddleY + 12) {
    s_.ball_in_play = false;
    --s_.lives;
    if (s_.lives == 0) s_.over = true;
  }
  // A cleared wall: a second one, then the end.
  if (std::all_of(s_.bricks.begin(), s_.bricks.end(), [](std::uint8_t b) { return b == 0; })) {
    if (s_.wall == 0) {
      s_.wall = 1;
      s_.bricks.fill(1);
    } else {
      s_.over = true;
    }
  }
  return reward;
}

bool Breakout::game_over() const { return s_.over; }

void Breakout::draw(DrawList& out) const {
  out.clear(kWidth, kHeight, Color::rgb(0, 0, 0));
  const auto rect = [&](double x0, double y0, double x1, double y1, Color c) {
    out.rect(static_cast<float>(x0), static_cast<float>(y0), static_cast<float>(x1), static_cast<float>(y1), c,
             Color::none(), 0, Coords::Canvas);
  };
  rect(0, 17, kWidth, kWallTop, kWallColor);
  rect(0, kWallTop, kWallLeft, 196, kWallColor);
  rect(kWallRight, kWallTop, kWidth, 196, kWallColor);
  draw_number(out, s_.score, 60, 3, 4, 2, kWallColor);
  draw_number(out, s_.lives, 112, 3, 4, 2, kWallColor);
  // Each run of standing bricks in a row is one rectangle (bricks touch).
  for (int r = 0; r < kRows; ++r) {
    const std::uint8_t* row = s_.bricks.data() + r * kColumns;
    for (int c = 0; c < kColumns;) {
      if (!row[c]) {
        ++c;
        continue;
      }
      const int first = c;
      while (c < kColumns && row[c]) ++c;
      rect(kWallLeft + first * kBrickW, kBricksTop + r * kBrickH, kWallLeft + c * kBrickW,
           kBricksTop + (r + 1) * kBrickH, kRowColors[r]);
    }
  }
  const double px = std::round(s_.paddle_x);
  rect(px, kPaddleY, px + s_.paddle_w, kPaddleY + kPaddleH, kPaddleColor);
  if (s_.ball_in_play) {
    const double x = std::round(s_.ball_x), y = std::round(s_.ball_y);
    rect(x, y, x + kBallW, y + kBallH, kPaddleColor);
  }
}

}  // namespace arena
