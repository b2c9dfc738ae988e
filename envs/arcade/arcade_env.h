// The common part of the pixel games (Arcade/Pong-v5, Arcade/Breakout-v5):
// the Arcade Learning Environment's v5 semantics around a game that advances
// one "emulator frame" at a time.
//
// What ALE v5 (gymnasium.make("ALE/Pong-v5")) does and this class does too:
//   - frameskip (default 4): one step() repeats the action for that many
//     frames and sums their rewards; the observation is the last frame.
//   - sticky actions, repeat_action_probability (default 0.25): on every
//     frame, with that probability the previous frame's action is applied
//     instead of the one given (the RNG is drawn only when p > 0).
//   - the minimal action set of the game by default; full_action_space = true
//     gives ALE's 18 actions in ALE's order (NOOP, FIRE, UP, RIGHT, LEFT,
//     DOWN, UPRIGHT, UPLEFT, DOWNRIGHT, DOWNLEFT, UPFIRE, RIGHTFIRE, LEFTFIRE,
//     DOWNFIRE, UPRIGHTFIRE, UPLEFTFIRE, DOWNRIGHTFIRE, DOWNLEFTFIRE).
//   - max_num_frames_per_episode (default 108000, 30 minutes at 60 Hz): the
//     step on which the episode reaches that many frames is truncated.
//   - terminated at game over; lives() (GameInfo) for EpisodicLife.
//   - observations: 210 x 160 x 3 uint8 RGB, the screen.
// The game is not an emulated ROM: each game class re-implements its rules.
//
// Rendering: the game describes its screen as axis-aligned rectangles in a
// DrawList (canvas 160 x 210); the observation is rasterized from that list
// by a rectangle blitter (exact for pixel-aligned rectangles, the same pixels
// rasterize() gives), and only once per step, for the frame that is observed.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "envs/core/draw_list.h"
#include "envs/core/env.h"
#include "envs/core/game_info.h"
#include "envs/core/raster.h"
#include "envs/core/registry.h"

namespace arena {

// ALE's action codes (full action set order).
enum class AleAction : std::uint8_t {
  Noop, Fire, Up, Right, Left, Down, UpRight, UpLeft, DownRight, DownLeft,
  UpFire, RightFire, LeftFire, DownFire, UpRightFire, UpLeftFire, DownRightFire, DownLeftFire
};
inline constexpr int kAleActionCount = 18;
// "NOOP", "FIRE", ... in ALE's order.
std::span<const std::string_view> ale_action_names();

// A joystick position decoded from an ALE action: dx -1 (left) .. 1 (right),
// dy -1 (up) .. 1 (down), fire.
struct Joystick {
  int dx = 0, dy = 0;
  bool fire = false;
};
Joystick decode(AleAction a);

// The construction options every arcade game accepts, with ALE v5's defaults.
Options arcade_default_kwargs();

class ArcadeEnv : public Env, public GameInfo {
 public:
  static constexpr int kWidth = 160, kHeight = 210;

  // `minimal_actions`: the game's minimal action set, as ALE codes.
  ArcadeEnv(const Options& options, std::string_view game, std::span<const AleAction> minimal_actions);

  std::span<const std::string_view> action_meanings() const override {
    return {meanings_.data(), static_cast<std::size_t>(num_actions_)};
  }
  int frameskip() const { return frameskip_; }
  double repeat_action_probability() const { return repeat_probability_; }
  // Emulator frames since the last reset.
  std::int64_t episode_frame_number() const { return frames_; }

 protected:
  // Game hooks. new_game() starts a game (draw from rng_); frame() advances
  // one emulator frame under `input` and returns its reward; game_over()
  // says the game has ended; save/load_game() hold everything frame() reads.
  virtual void new_game() = 0;
  virtual double frame(Joystick input) = 0;
  virtual bool game_over() const = 0;
  virtual void save_game(StateWriter& out) const = 0;
  virtual void load_game(StateReader& in) = 0;

  void do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) override;
  StepResult do_step(ActionView action, ObsBuffer out) override;
  void do_save_state(StateWriter& out) const override;
  void do_load_state(StateReader& in) override;

 private:
  void render_observation(ObsBuffer out);

  int frameskip_;
  double repeat_probability_;
  std::int64_t max_frames_;
  std::string_view game_;
  int num_actions_ = 0;
  std::array<AleAction, kAleActionCount> actions_{};       // agent index -> ALE code
  std::array<std::string_view, kAleActionCount> meanings_{};
  std::array<Joystick, kAleActionCount> joysticks_{};      // decode() of each ALE code
  AleAction last_action_ = AleAction::Noop;                 // the sticky action
  std::int64_t frames_ = 0;
  DrawList screen_;   // the observed frame's description (reused: no allocation)
  Image fallback_;    // for commands the blitter does not handle
};

// Writes `list` (canvas kWidth x kHeight) as RGB into `rgb` (kWidth * kHeight
// * 3 bytes): opaque axis-aligned rectangles in canvas coordinates are filled
// directly (pixel (x, y) is covered when its centre lies inside), anything
// else goes through rasterize() without antialiasing into `scratch`.
void blit_rects(const DrawList& list, std::span<std::uint8_t> rgb, Image& scratch);

// Draws `value` in decimal with a blocky 3x5 font whose cells are cell_w x
// cell_h pixels, right-aligned so that its last digit ends at x_right.
void draw_number(DrawList& list, int value, float x_right, float y, float cell_w, float cell_h, Color color);

// Registers Arcade/Pong-v5 and Arcade/Breakout-v5.
void register_arcade(Registry& registry);

}  // namespace arena
