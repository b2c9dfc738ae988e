// Arcade/Breakout-v5: Atari 2600 Breakout's rules on ALE v5's interface
// (arcade_env.h).
//
// Six rows of 18 bricks; from the bottom the rows are worth 1, 1, 4, 4, 7, 7
// points (Atari's values). FIRE serves a ball (at the start and after each
// lost ball); RIGHT/LEFT move the paddle. The ball leaves the paddle at an
// angle set by where it hit, and speeds up after the 4th and the 12th return
// and the first time it reaches the orange and the red rows; a new ball starts
// slow again. When the ball first reaches the top wall the paddle shrinks to
// half its width. Five lives (lives() counts them down); losing the last ends
// the game (terminated). A cleared wall is replaced by a second one; clearing
// that ends the game too (864 points at most).
//
// Minimal actions: NOOP, FIRE, RIGHT, LEFT.
#pragma once

#include <array>
#include <cstdint>

#include "envs/arcade/arcade_env.h"

namespace arena {

class Breakout : public ArcadeEnv {
 public:
  explicit Breakout(const Options& options);

  void draw(DrawList& out) const override;
  int lives() const override { return s_.lives; }

  static constexpr int kRows = 6, kColumns = 18, kStartLives = 5;
  static constexpr int kRowPoints[kRows] = {7, 7, 4, 4, 1, 1};  // top row first
  // Geometry (pixels on the 160 x 210 screen).
  static constexpr double kWallLeft = 8, kWallRight = 152, kWallTop = 32;
  static constexpr double kBricksTop = 57, kBrickH = 6, kBrickW = 8;
  static constexpr double kPaddleY = 189, kPaddleH = 4, kPaddleW = 16, kBallW = 2, kBallH = 4;

  struct State {
    std::array<std::uint8_t, kRows * kColumns> bricks{};  // 1 = standing
    double ball_x = 0, ball_y = 0, ball_vx = 0, ball_vy = 0;
    double paddle_x = 0, paddle_w = kPaddleW;
    double next_serve_x = 0;    // drawn ahead of the serve
    int next_serve_dir = 1;
    double speed = 0;           // vertical speed of the ball, pixels per frame
    bool ball_in_play = false;  // false: waiting for FIRE
    bool reached_top = false, reached_orange = false, reached_red = false;
    int returns = 0;            // paddle hits of this ball
    int lives = kStartLives;
    int score = 0;
    int wall = 0;               // 0: the first wall, 1: the second
    bool over = false;          // game over
  };
  const State& state() const { return s_; }

 protected:
  void new_game() override;
  double frame(Joystick input) override;
  bool game_over() const override;
  void save_game(StateWriter& out) const override { out.pod(s_); }
  void load_game(StateReader& in) override { in.pod(s_); }

 private:
  void serve();
  void draw_next_serve();
  void speed_up();
  double hit_bricks();
  State s_;
};

}  // namespace arena
