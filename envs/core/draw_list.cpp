#include "envs/core/draw_list.h"

#include <cmath>
#include <stdexcept>

namespace arena {

void DrawList::clear(int width, int height, Color background) {
  width_ = width;
  height_ = height;
  background_ = background;
  camera = Camera{};
  camera.center = {static_cast<float>(width) / 2, static_cast<float>(height) / 2};
  cmds_.clear();
  points_.clear();
  chars_.clear();
  bytes_.clear();
}

void DrawList::polygon(std::span<const Vec2> points, Color fill, Color outline, float outline_width,
                       Coords coords) {
  DrawCmd c;
  c.shape = Shape::Polygon;
  c.coords = coords;
  c.fill = fill;
  c.stroke = outline;
  c.stroke_width = outline.visible() ? outline_width : 0;
  c.first = static_cast<std::uint32_t>(points_.size());
  c.count = static_cast<std::uint32_t>(points.size());
  points_.insert(points_.end(), points.begin(), points.end());
  cmds_.push_back(c);
}

void DrawList::rect(float x0, float y0, float x1, float y1, Color fill, Color outline, float outline_width,
                    Coords coords) {
  const Vec2 pts[4] = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
  polygon(pts, fill, outline, outline_width, coords);
}

void DrawList::polyline(std::span<const Vec2> points, Color color, float width, bool closed, Coords coords) {
  DrawCmd c;
  c.shape = Shape::Polyline;
  c.coords = coords;
  c.fill = Color::none();
  c.stroke = color;
  c.stroke_width = width;
  c.closed = closed;
  c.first = static_cast<std::uint32_t>(points_.size());
  c.count = static_cast<std::uint32_t>(points.size());
  points_.insert(points_.end(), points.begin(), points.end());
  cmds_.push_back(c);
}

void DrawList::line(Vec2 a, Vec2 b, Color color, float width, Coords coords) {
  const Vec2 pts[2] = {a, b};
  polyline(pts, color, width, false, coords);
}

void DrawList::circle(Vec2 center, float radius, Color fill, Color outline, float outline_width, Coords coords) {
  DrawCmd c;
  c.shape = Shape::Circle;
  c.coords = coords;
  c.fill = fill;
  c.stroke = outline;
  c.stroke_width = outline.visible() ? outline_width : 0;
  c.pos = center;
  c.size = {radius, radius};
  cmds_.push_back(c);
}

void DrawList::text(Vec2 anchor, std::string_view text, float height, Color color, TextAlign align,
                    Coords coords) {
  DrawCmd c;
  c.shape = Shape::Text;
  c.coords = coords;
  c.align = align;
  c.fill = color;
  c.pos = anchor;
  c.size = {0, height};
  c.first = static_cast<std::uint32_t>(chars_.size());
  c.count = static_cast<std::uint32_t>(text.size());
  chars_.insert(chars_.end(), text.begin(), text.end());
  cmds_.push_back(c);
}

void DrawList::pixels(Vec2 top_left, Vec2 size, int grid_w, int grid_h, int channels,
                      std::span<const std::uint8_t> data, Coords coords) {
  if (channels != 1 && channels != 3) throw std::invalid_argument("DrawList::pixels: channels must be 1 or 3");
  if (grid_w <= 0 || grid_h <= 0 || grid_w > 65535 || grid_h > 65535)
    throw std::invalid_argument("DrawList::pixels: bad grid size");
  const std::size_t need = static_cast<std::size_t>(grid_w) * grid_h * channels;
  if (data.size() != need) throw std::invalid_argument("DrawList::pixels: data size does not match the grid");
  DrawCmd c;
  c.shape = Shape::Pixels;
  c.coords = coords;
  c.fill = Color{255, 255, 255, 255};
  c.pos = top_left;
  c.size = size;
  c.grid_w = static_cast<std::uint16_t>(grid_w);
  c.grid_h = static_cast<std::uint16_t>(grid_h);
  c.channels = static_cast<std::uint8_t>(channels);
  c.first = static_cast<std::uint32_t>(bytes_.size());
  c.count = static_cast<std::uint32_t>(need);
  bytes_.insert(bytes_.end(), data.begin(), data.end());
  cmds_.push_back(c);
}

Vec2 DrawList::to_canvas(Vec2 p, Coords coords) const {
  if (coords == Coords::Canvas) return p;
  // Translate to the camera centre, turn by -rotation, scale, flip y if world y is up.
  const float dx = p.x - camera.center.x, dy = p.y - camera.center.y;
  const float c = std::cos(camera.rotation), s = std::sin(camera.rotation);
  const float rx = c * dx + s * dy;
  const float ry = -s * dx + c * dy;
  const float sx = rx * camera.scale;
  const float sy = ry * camera.scale;
  return {static_cast<float>(width_) / 2 + sx, static_cast<float>(height_) / 2 + (camera.y_up ? -sy : sy)};
}

}  // namespace arena
