// The SFML viewer: a window that shows a frame (the env's draw list in the
// viewport, the HUD in the panel, an optional overlay; see hud.h), scaled to
// the window's size with the aspect ratio kept, antialiased (multisampling),
// with text in DejaVu Sans (Debian's fonts-dejavu-core).
//
// This header names no SFML type, so that callers (experiments/) build
// without SFML's headers.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "envs/core/draw_list.h"
#include "envs/core/raster.h"
#include "render/hud.h"

namespace arena {

// The font the viewer draws text with (fonts-dejavu-core).
inline constexpr const char* kViewerFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

struct ViewerError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Why no window can be opened here (no DISPLAY, the X server does not
// answer), or nullopt when one can. Never aborts: SFML aborts the process
// when it cannot open the display, so call this before creating a Viewer.
std::optional<std::string> display_unavailable();

// The keys the viewer reports.
enum class Key : std::uint8_t {
  Left,
  Right,
  Up,
  Down,
  Space,
  Enter,
  Period,
  Plus,
  Minus,
  A,
  D,
  H,
  P,
  Q,
  R,
  S,
  W,
  Escape,
  Num0,
  Num1,
  Num2,
  Num3,
  Num4,
  Num5,
  Num6,
  Num7,
  Num8,
  Num9,
  Count
};
// The key's name for help texts ("left", "space", "3").
const char* key_name(Key key);

class Viewer {
 public:
  // Opens a window of the layout's size (times `scale`). Throws ViewerError
  // when the font is missing or the window cannot be created.
  Viewer(const std::string& title, const FrameLayout& layout, int scale = 1, int antialiasing = 4);
  ~Viewer();
  Viewer(const Viewer&) = delete;
  Viewer& operator=(const Viewer&) = delete;

  bool is_open() const;
  void close();

  // Handles the window's events: appends the keys pressed since the last
  // call to `pressed` (auto-repeat ignored), tracks held keys, closes on the
  // window's close button, follows resizes.
  void poll(std::vector<Key>& pressed);
  bool held(Key key) const { return held_[static_cast<std::size_t>(key)]; }

  // Draws the frame (overlay may be null) and shows it.
  void show(const DrawList& env, const DrawList& hud, const DrawList* overlay);
  // Draws the frame and reads it back (RGB, the window's size) without
  // showing it: what the window would show.
  void capture(const DrawList& env, const DrawList& hud, const DrawList* overlay, Image& out);

  // Where the env viewport lies in window pixels (after scaling).
  Rect viewport_in_window() const;
  int window_width() const;
  int window_height() const;
  // The antialiasing level the OpenGL context granted.
  int antialiasing() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::array<bool, static_cast<std::size_t>(Key::Count)> held_{};
};

}  // namespace arena
