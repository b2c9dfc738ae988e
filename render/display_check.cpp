// display_unavailable(): asks X11 directly, because SFML calls abort() when
// XOpenDisplay fails. Kept in its own file: Xlib's macros (None, Status,
// Bool) clash with other headers.
#include "render/viewer.h"  // before Xlib.h, whose macros would break it

#include <X11/Xlib.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace arena {

std::optional<std::string> display_unavailable() {
  const char* display = std::getenv("DISPLAY");
  if (!display || !*display) return std::string("no display: the DISPLAY environment variable is not set");
  // The connection stays open for the life of the process: an X server
  // resets when its last client leaves (Xvfb without -noreset does), and
  // SFML's own XOpenDisplay would then meet a server in the middle of its
  // reset, fail, and abort.
  static Display* kept = nullptr;
  if (kept) return std::nullopt;
  kept = XOpenDisplay(nullptr);
  if (!kept) return "cannot open the X display '" + std::string(display) + "'";
  return std::nullopt;
}

}  // namespace arena
