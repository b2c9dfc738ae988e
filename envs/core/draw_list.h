// A backend-free description of one frame.
//
// An env describes its frame here; the CPU rasterizer (raster.h) turns the
// list into RGB pixels and the viewer (render/) draws the same list in a
// window. Shapes are given in world coordinates, mapped onto the canvas by the
// list's Camera, or directly in canvas coordinates (HUD, text). The canvas is
// `width() x height()` logical pixels with the origin at the top-left and y
// pointing down; a backend scales it to its output size.
//
// clear() keeps every buffer's capacity, so drawing the same scene again does
// not allocate.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace arena {

struct Color {
  std::uint8_t r = 0, g = 0, b = 0, a = 255;
  static constexpr Color rgb(std::uint8_t r, std::uint8_t g, std::uint8_t b) { return {r, g, b, 255}; }
  static constexpr Color none() { return {0, 0, 0, 0}; }
  bool visible() const { return a != 0; }
  bool operator==(const Color&) const = default;
};

struct Vec2 {
  float x = 0, y = 0;
};

// Maps world coordinates onto the canvas: the world point `center` lands at
// the canvas centre, one world unit spans `scale` canvas pixels, the view is
// turned by `rotation` radians (counter-clockwise; the world appears turned
// clockwise), and with `y_up` world y grows upwards on screen.
struct Camera {
  Vec2 center{0, 0};
  float scale = 1;
  float rotation = 0;
  bool y_up = true;
};

enum class Coords : std::uint8_t { World, Canvas };
enum class Shape : std::uint8_t { Polygon, Polyline, Circle, Text, Pixels };
enum class TextAlign : std::uint8_t { Left, Center, Right };

// One drawing command. Indices refer to DrawList's shared arrays.
struct DrawCmd {
  Shape shape = Shape::Polygon;
  Coords coords = Coords::World;
  TextAlign align = TextAlign::Left;
  bool closed = false;         // Polyline: join the last point to the first
  Color fill;                  // Polygon/Circle fill, Text and Pixels tint (alpha only)
  Color stroke;                // outline (Polygon/Circle) or line colour (Polyline)
  float stroke_width = 0;      // in canvas pixels; 0 means no outline
  std::uint32_t first = 0;     // Polygon/Polyline: first point; Text: first char; Pixels: first byte
  std::uint32_t count = 0;     // number of points / chars / bytes
  Vec2 pos;                    // Circle: centre; Text: anchor (top of the text); Pixels: top-left corner
  Vec2 size;                   // Circle: (radius, radius); Text: (0, height in canvas pixels); Pixels: extent
  std::uint16_t grid_w = 0, grid_h = 0;  // Pixels: grid dimensions
  std::uint8_t channels = 0;   // Pixels: 1 (grey) or 3 (RGB)
};

class DrawList {
 public:
  // Starts a new frame on a canvas of `width x height` logical pixels.
  void clear(int width, int height, Color background);

  int width() const { return width_; }
  int height() const { return height_; }
  Color background() const { return background_; }
  Camera camera;

  // Filled and/or outlined polygon (convex or not; non-zero winding).
  void polygon(std::span<const Vec2> points, Color fill, Color outline = Color::none(),
               float outline_width = 0, Coords coords = Coords::World);
  // Axis-aligned rectangle from (x0, y0) to (x1, y1), as a polygon.
  void rect(float x0, float y0, float x1, float y1, Color fill, Color outline = Color::none(),
            float outline_width = 0, Coords coords = Coords::World);
  // Open (or closed) line through `points`, `width` canvas pixels wide.
  void polyline(std::span<const Vec2> points, Color color, float width, bool closed = false,
                Coords coords = Coords::World);
  void line(Vec2 a, Vec2 b, Color color, float width, Coords coords = Coords::World);
  // Circle of `radius` (in the units of `coords`).
  void circle(Vec2 center, float radius, Color fill, Color outline = Color::none(),
              float outline_width = 0, Coords coords = Coords::World);
  // One line of text, `height` canvas pixels tall, anchored at its top edge.
  void text(Vec2 anchor, std::string_view text, float height, Color color,
            TextAlign align = TextAlign::Left, Coords coords = Coords::Canvas);
  // A grid of grid_w x grid_h cells (row-major, `channels` bytes per cell,
  // 1 = grey, 3 = RGB) covering the rectangle at `top_left` of extent `size`.
  // The bytes are copied.
  void pixels(Vec2 top_left, Vec2 size, int grid_w, int grid_h, int channels,
              std::span<const std::uint8_t> data, Coords coords = Coords::World);

  // Maps a point given in `coords` to canvas coordinates.
  Vec2 to_canvas(Vec2 p, Coords coords) const;
  // Canvas pixels per unit of `coords` (camera scale for World, 1 for Canvas).
  float scale_of(Coords coords) const { return coords == Coords::World ? camera.scale : 1.0f; }

  const std::vector<DrawCmd>& commands() const { return cmds_; }
  std::span<const Vec2> points(const DrawCmd& c) const { return {points_.data() + c.first, c.count}; }
  std::string_view text_of(const DrawCmd& c) const { return {chars_.data() + c.first, c.count}; }
  std::span<const std::uint8_t> bytes_of(const DrawCmd& c) const { return {bytes_.data() + c.first, c.count}; }

 private:
  int width_ = 0, height_ = 0;
  Color background_{};
  std::vector<DrawCmd> cmds_;
  std::vector<Vec2> points_;
  std::vector<char> chars_;
  std::vector<std::uint8_t> bytes_;
};

}  // namespace arena
