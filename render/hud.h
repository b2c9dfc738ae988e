// The frame the viewer shows and the recorder encodes: the env's own frame in
// a viewport on the left, a HUD panel on the right (episode, step, return,
// reward, action, and the agent's view as a bar chart), and optionally a help
// overlay. Everything here is backend-free: the HUD and the overlay are draw
// lists, so the window (viewer.h) and the video (compose_frame + the CPU
// rasterizer) show the same HUD from the same code.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "envs/core/draw_list.h"
#include "envs/core/raster.h"

namespace arena {

struct Rect {
  int x = 0, y = 0, w = 0, h = 0;
};

// Where the pieces of a frame lie, in logical frame pixels. Width and height
// are even (H.264 in yuv420p needs even sizes).
struct FrameLayout {
  int width = 0, height = 0;
  Rect viewport;  // the env's canvas, scaled by an integer factor
  Rect panel;     // the HUD
};

// The layout for an env canvas of env_w x env_h logical pixels: small
// canvases (MinAtar's grids) are enlarged by an integer factor to at least
// 300 pixels tall; the panel is kHudWidth wide.
inline constexpr int kHudWidth = 280;
FrameLayout frame_layout(int env_w, int env_h);

// What the HUD shows. Strings are views: the caller owns them.
struct HudInfo {
  std::string_view title;    // env id
  std::string_view agent;    // "random", "human", "best_policy.pt", ...
  std::int64_t episode = 0;  // 1-based
  std::int64_t step = 0;     // steps in this episode
  double episode_return = 0;
  double last_reward = 0;
  std::string_view action;    // the last action taken, as text ("2 main", "[0.50, -1.00]"); empty before any
  bool episode_over = false;  // the episode just ended (terminated or truncated)
  // The agent's view: one value per action (Q-values or probabilities).
  enum class View : std::uint8_t { None, QValues, Probabilities } view = View::None;
  std::span<const float> values;
  std::int64_t chosen = -1;                   // highlighted bar
  std::span<const std::string> action_names;  // labels of the bars (may be shorter than values)
  // Viewer state (the recorder leaves these empty).
  bool paused = false;
  std::string_view speed;       // "1x", "max", ...
  bool show_help_hint = false;  // "h: help" at the bottom
};

// Draws the HUD panel into `out` (a canvas of layout.panel's size).
// Does not allocate once `out` has held a HUD before.
void draw_hud(const HudInfo& info, const FrameLayout& layout, DrawList& out);

// Draws the help overlay (a translucent sheet with the given lines; a line
// "key\tmeaning" is set in two columns) into
// `out`, a canvas of the whole frame with a transparent background: draw it
// over the frame.
void draw_help(std::span<const std::string> lines, const FrameLayout& layout, DrawList& out);

// Scratch images for compose_frame, kept between frames.
struct ComposeScratch {
  Image env, hud;
};

// The whole frame on the CPU: `env` rasterized into the viewport, `hud` into
// the panel, scaled by `scale` (1 = the layout's logical size).
void compose_frame(const DrawList& env, const DrawList& hud, const FrameLayout& layout, int scale, Image& out,
                   ComposeScratch& scratch);

}  // namespace arena
