#include "envs/arcade/pong.h"

#include <algorithm>
#include <cmath>

namespace arena {

namespace {

constexpr AleAction kMinimal[] = {AleAction::Noop,  AleAction::Fire,      AleAction::Right,
                                  AleAction::Left, AleAction::RightFire, AleAction::LeftFire};

constexpr double kAgentSpeed = 2.5;      // pixels per frame
constexpr double kCpuSpeed = 1.75;       // the computer's cap: slower than the steepest shots
constexpr double kServeVx = 1.5;         // horizontal speed at a serve
constexpr double kMaxVx = 3.0;           // after enough returns
constexpr double kVxGain = 0.1;          // per return
constexpr double kMaxVy = 2.4;           // off a paddle's edge
constexpr int kServePause = 60;          // frames

constexpr Color kBackground = Color::rgb(144, 72, 17);
constexpr Color kWall = Color::rgb(236, 236, 236);
constexpr Color kAgentColor = Color::rgb(92, 186, 92);
constexpr Color kCpuColor = Color::rgb(213, 130, 74);
constexpr Color kBallColor = Color::rgb(236, 236, 236);

}  // namespace

Pong::Pong(const Options& options) : ArcadeEnv(options, "Pong", kMinimal) {}

void Pong::new_game() {
  s_ = State{};
  s_.agent_y = s_.cpu_y = (kFieldTop + kFieldBottom - kPaddleH) / 2;
  s_.serve_direction = rng_.below(2) ? 1 : -1;
  s_.serve_timer = kServePause;
}

void Pong::serve() {
  s_.ball_x = (ArcadeEnv::kWidth - kBallW) / 2;
  s_.ball_y = rng_.uniform(kFieldTop + 20, kFieldBottom - 20 - kBallH);
  s_.ball_vx = kServeVx * s_.serve_direction;
  static constexpr double kServeVy[4] = {-1.2, -0.6, 0.6, 1.2};
  s_.ball_vy = kServeVy[rng_.below(4)];
}

// The vertical speed off a paddle: by where the ball hit it, in 8 zones as on
// the Atari (the edges steep, the centre flat).
double Pong::bounce_vy(double paddle_y) const {
  const double rel = ((s_.ball_y + kBallH / 2) - (paddle_y + kPaddleH / 2)) / ((kPaddleH + kBallH) / 2);
  const int zone = std::clamp(static_cast<int>(std::floor((rel + 1) * 4)), 0, 7);  // 0..7
  static constexpr double kZoneVy[8] = {-1.0, -0.7, -0.4, -0.15, 0.15, 0.4, 0.7, 1.0};
  return kZoneVy[zone] * kMaxVy;
}

double Pong::frame(Joystick input) {
  // The agent's paddle (RIGHT = up, LEFT = down).
  s_.agent_y = std::clamp(s_.agent_y - kAgentSpeed * input.dx, kFieldTop, kFieldBottom - kPaddleH);

  // The computer follows the ball (or drifts to the centre while it waits).
  const double target = s_.serve_timer > 0 ? (kFieldTop + kFieldBottom) / 2
                                           : s_.ball_y + kBallH / 2 + (s_.ball_vx < 0 ? s_.cpu_aim : 0);
  const double delta = target - (s_.cpu_y + kPaddleH / 2);
  s_.cpu_y = std::clamp(s_.cpu_y + std::clamp(delta, -kCpuSpeed, kCpuSpeed), kFieldTop, kFieldBottom - kPaddleH);

  if (s_.serve_timer > 0) {
    if (--s_.serve_timer == 0) serve();
    return 0;
  }

  const double old_x = s_.ball_x;
  s_.ball_x += s_.ball_vx;
  s_.ball_y += s_.ball_vy;
  // Walls.
  if (s_.ball_y < kFieldTop) {
    s_.ball_y = 2 * kFieldTop - s_.ball_y;
    s_.ball_vy = -s_.ball_vy;
  } else if (s_.ball_y + kBallH > kFieldBottom) {
    s_.ball_y = 2 * (kFieldBottom - kBallH) - s_.ball_y;
    s_.ball_vy = -s_.ball_vy;
  }
  const auto overlaps = [&](double paddle_y) {
    return s_.ball_y + kBallH > paddle_y && s_.ball_y < paddle_y + kPaddleH;
  };
  // Paddles: the ball's leading edge crossed a paddle's face this frame.
  if (s_.ball_vx > 0 && old_x + kBallW <= kAgentX && s_.ball_x + kBallW > kAgentX && overlaps(s_.agent_y)) {
    s_.ball_x = kAgentX - kBallW;
    s_.ball_vx = -std::min(std::abs(s_.ball_vx) + kVxGain, kMaxVx);
    s_.ball_vy = bounce_vy(s_.agent_y);
    s_.cpu_aim = rng_.uniform(-10.0, 10.0);  // how well the computer reads this return
  } else if (s_.ball_vx < 0 && old_x >= kCpuX + kPaddleW && s_.ball_x < kCpuX + kPaddleW && overlaps(s_.cpu_y)) {
    s_.ball_x = kCpuX + kPaddleW;
    s_.ball_vx = std::min(std::abs(s_.ball_vx) + kVxGain, kMaxVx);
    s_.ball_vy = bounce_vy(s_.cpu_y);
  }
  // Points.
  if (s_.ball_x > ArcadeEnv::kWidth) {
    ++s_.cpu_score;
    s_.serve_direction = 1;  // towards the side that lost the point
    s_.serve_timer = kServePause;
    return -1;
  }
  if (s_.ball_x + kBallW < 0) {
    ++s_.agent_score;
    s_.serve_direction = -1;
    s_.serve_timer = kServePause;
    return 1;
  }
  return 0;
}

bool Pong::game_over() const { return s_.agent_score >= kWinningScore || s_.cpu_score >= kWinningScore; }

void Pong::draw(DrawList& out) const {
  out.clear(kWidth, kHeight, kBackground);
  out.rect(0, 24, kWidth, kFieldTop, kWall, Color::none(), 0, Coords::Canvas);
  out.rect(0, kFieldBottom, kWidth, kHeight, kWall, Color::none(), 0, Coords::Canvas);
  draw_number(out, s_.cpu_score, 52, 1, 4, 4, kCpuColor);
  draw_number(out, s_.agent_score, 128, 1, 4, 4, kAgentColor);
  const auto paddle = [&](double x, double y, Color c) {
    const float top = static_cast<float>(std::round(y));
    out.rect(static_cast<float>(x), top, static_cast<float>(x + kPaddleW), top + static_cast<float>(kPaddleH), c,
             Color::none(), 0, Coords::Canvas);
  };
  paddle(kCpuX, s_.cpu_y, kCpuColor);
  paddle(kAgentX, s_.agent_y, kAgentColor);
  if (s_.serve_timer == 0) {
    const float x = static_cast<float>(std::round(s_.ball_x)), y = static_cast<float>(std::round(s_.ball_y));
    out.rect(x, y, x + static_cast<float>(kBallW), y + static_cast<float>(kBallH), kBallColor, Color::none(), 0,
             Coords::Canvas);
  }
}

}  // namespace arena
