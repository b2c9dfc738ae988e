// Arcade/Pong-v5: Atari 2600 Pong's rules on ALE v5's interface (arcade_env.h).
//
// The agent is the green paddle on the right, the computer the orange one on
// the left. RIGHT moves the agent's paddle up and LEFT down (Pong's paddle
// controller as ALE maps it); FIRE does nothing. A point is +1 for the agent,
// -1 for the computer; the game ends when one side reaches 21 (terminated).
// After each point the ball is served from the centre, after a pause, towards
// the side that lost the point. The vertical speed the ball leaves a paddle
// with depends on where it hit (the edges send it steep), and it speeds up
// with every return. The computer's paddle follows the ball with a capped
// speed and an aiming error drawn at each of the agent's returns: steep
// shots beat it, so a good agent can win.
//
// Minimal actions: NOOP, FIRE, RIGHT, LEFT, RIGHTFIRE, LEFTFIRE.
#pragma once

#include "envs/arcade/arcade_env.h"

namespace arena {

class Pong : public ArcadeEnv {
 public:
  explicit Pong(const Options& options);

  void draw(DrawList& out) const override;
  int lives() const override { return 0; }

  // The state, for tests and for drawing.
  struct State {
    double ball_x = 0, ball_y = 0, ball_vx = 0, ball_vy = 0;  // top-left corner, pixels (per frame)
    double agent_y = 0, cpu_y = 0;                            // paddles' top edges
    double cpu_aim = 0;                                       // the computer's aiming error
    int serve_timer = 0;                                      // frames until the next serve (ball hidden)
    int serve_direction = 1;                                  // +1: towards the agent
    int agent_score = 0, cpu_score = 0;
  };
  const State& state() const { return s_; }

  // Geometry (pixels on the 160 x 210 screen).
  static constexpr double kFieldTop = 34, kFieldBottom = 194;
  static constexpr double kPaddleH = 16, kPaddleW = 4, kBallW = 2, kBallH = 4;
  static constexpr double kAgentX = 140, kCpuX = 16;
  static constexpr int kWinningScore = 21;

 protected:
  void new_game() override;
  double frame(Joystick input) override;
  bool game_over() const override;
  void save_game(StateWriter& out) const override { out.pod(s_); }
  void load_game(StateReader& in) override { in.pod(s_); }

 private:
  void serve();
  double bounce_vy(double paddle_y) const;
  State s_;
};

}  // namespace arena
