// The CPU rasterizer: DrawList -> RGB uint8 image, of any size, headless.
#pragma once

#include <cstdint>
#include <vector>

#include "envs/core/draw_list.h"

namespace arena {

// An RGB image, row-major, 3 bytes per pixel.
struct Image {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;
  std::uint8_t* pixel(int x, int y) { return rgb.data() + 3 * (static_cast<std::size_t>(y) * width + x); }
  const std::uint8_t* pixel(int x, int y) const {
    return rgb.data() + 3 * (static_cast<std::size_t>(y) * width + x);
  }
};

struct RasterOptions {
  bool antialias = true;
};

// Draws `list` into `out`, resized to width x height (the canvas is stretched
// to fit). Reuses `out`'s storage when the size is unchanged.
void rasterize(const DrawList& list, int width, int height, Image& out, const RasterOptions& options = {});

}  // namespace arena
