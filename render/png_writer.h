// PNG files for images from the rasterizer (envs/core/raster.h).
#pragma once

#include <string>

#include "envs/core/raster.h"

namespace arena {

// Writes `image` (RGB, 8 bits per channel) to `path` as a PNG, atomically:
// the bytes go to a temporary file in the same directory, which is synced and
// then renamed over `path` (and the directory synced), so a reader sees the
// old file or the complete new one, never a torn one. No temporary file is
// left behind on failure. Throws std::runtime_error naming the path and the
// cause (missing directory, permissions, a full disk, a bad image).
void write_png(const std::string& path, const Image& image);

// Reads a PNG (grey, grey+alpha, RGB, RGBA, palette; any bit depth) as RGB.
// Alpha is composited onto black. Throws std::runtime_error naming the path.
Image read_png(const std::string& path);

}  // namespace arena
