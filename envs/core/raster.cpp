// The CPU rasterizer.
//
// Every shape becomes a path (closed contours, in output pixels) and every
// path goes through one scanline filler, in one of two modes:
//
// - Area (fills, circles, rings, most strokes): each edge adds the exact area
//   to its right, signed by its direction, to a per-row buffer of coverage
//   differences (the font-rs scheme); the prefix sum, as |sum| clamped to 1,
//   is the pixel's coverage. This is exact for any path whose
//   winding number inside a pixel stays within {0, +1} or {0, -1}: simple and
//   concave polygons, discs, rings (outer + reversed inner contour). Where
//   the winding number is 2 (a pentagram's centre), the clamp keeps the
//   non-zero rule; only pixels where such regions meet an edge are estimates.
// - Winding (strokes that cross or come near themselves): the exact
//   non-zero rule on kSubRows sample lines per pixel row: active edges sorted
//   by x, the winding number walked from left to right, each span adding its
//   exact horizontal coverage. Overlaps count once, also on the edges.
// - Without antialiasing, both become one sample line through the pixel
//   centres: a pixel is in when its centre is (non-zero rule).
//
// Rows are resolved in chunks: a chunk with no coverage difference written in
// it takes the running coverage as a constant (a skipped gap or a solid run).
// Colours blend "over" the image with the colour's alpha.
//
// Strokes are a quad per segment plus, at each inner vertex, a round pie slice
// on the outer side of the turn (an ellipse slice once the canvas is stretched
// to the output). Text is a grid of rectangles (the lit font pixels) whose
// exact coverage is computed directly. Pixel grids are mapped per output pixel
// (nearest cell).
//
// Scratch buffers are thread_local and only grow, so rasterizing a frame of a
// size seen before does not touch the heap.
#include "envs/core/raster.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

#include "envs/core/font5x7.h"

namespace arena {
namespace {

// Sample lines per pixel row when antialiasing: coverage is exact along x and
// quantised to 1/kSubRows along y.
constexpr int kSubRows = 5;
// Largest distance (output pixels) between a circle and its polygon.
constexpr float kCircleTolerance = 0.1f;
// Coordinates are clamped to this range before filling, so that absurd
// values cannot overflow integer pixel indices.
constexpr float kCoordLimit = 1.0e6f;
// Coverage entries per chunk when resolving a row (see Rasterizer::mark).
constexpr int kChunk = 16;

struct Edge {
  float x0, y0, y1, dxdy;  // y0 < y1; x at y0, relative to the fill's box
  int dir;                 // +1 going down, -1 going up
};

struct Active {
  Edge e;
  float x;  // crossing on the current sample line
};

struct Scratch {
  std::vector<Vec2> pts;             // the path, in output pixels
  std::vector<std::uint32_t> ends;   // end (exclusive) of each contour in pts
  std::vector<Edge> edges;           // non-horizontal edges, sorted by y0
  std::vector<Active> active;        // edges crossing the current sample line (Winding)
  std::vector<Edge> row_edges;       // edges crossing the current row (Area)
  std::vector<float> cover;          // per-row coverage differences, all zero between rows
  std::vector<std::uint64_t> touched;  // chunks of `cover` written in this row, all clear between rows
  std::vector<Vec2> mapped;          // a command's points, in output pixels
  std::vector<float> text_cov;       // per font column coverage of a text row
  std::vector<float> grid_x;         // x of the text's font-pixel grid lines
  std::vector<int> cells_x;          // a pixel grid's cell offset for each output column
};

thread_local Scratch t_scratch;

// A map from a command's coordinates to output pixels: out = o + M (p - c).
struct Affine {
  Vec2 c, o;
  float m00, m01, m10, m11;
  Vec2 operator()(Vec2 p) const {
    const float dx = p.x - c.x, dy = p.y - c.y;
    return {o.x + m00 * dx + m01 * dy, o.y + m10 * dx + m11 * dy};
  }
};

inline float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }
// floor and ceil for |v| < 2^31 (std::floor is a libm call on baseline x86-64).
inline int floor_i(float v) {
  const int i = static_cast<int>(v);
  return i - (static_cast<float>(i) > v);
}
inline int ceil_i(float v) {
  const int i = static_cast<int>(v);
  return i + (static_cast<float>(i) < v);
}
inline bool finite(Vec2 p) { return std::isfinite(p.x) && std::isfinite(p.y); }

inline void blend(std::uint8_t* px, Color c, int a) {
  if (a >= 255) {
    px[0] = c.r, px[1] = c.g, px[2] = c.b;
    return;
  }
  const int na = 255 - a;
  px[0] = static_cast<std::uint8_t>((c.r * a + px[0] * na + 127) / 255);
  px[1] = static_cast<std::uint8_t>((c.g * a + px[1] * na + 127) / 255);
  px[2] = static_cast<std::uint8_t>((c.b * a + px[2] * na + 127) / 255);
}

class Rasterizer {
 public:
  Rasterizer(const DrawList& list, Image& img, const RasterOptions& opt, Scratch& s)
      : list_(list), img_(img), s_(s), aa_(opt.antialias), w_(img.width), h_(img.height) {
    sx_ = static_cast<float>(w_) / static_cast<float>(std::max(1, list.width()));
    sy_ = static_cast<float>(h_) / static_cast<float>(std::max(1, list.height()));
    canvas_ = Affine{{0, 0}, {0, 0}, sx_, 0, 0, sy_};
    // The camera's map, read off list.to_canvas around the camera centre (it
    // is affine), then stretched to the output. The probe step grows with
    // the centre's magnitude so that float rounding of c + step stays small.
    const Vec2 c = list.camera.center;
    const float step = std::max(1.0f, std::max(std::fabs(c.x), std::fabs(c.y)));
    const Vec2 p0 = list.to_canvas(c, Coords::World);
    const Vec2 px = list.to_canvas({c.x + step, c.y}, Coords::World);
    const Vec2 py = list.to_canvas({c.x, c.y + step}, Coords::World);
    const float kx = sx_ / step, ky = sy_ / step;
    world_ = Affine{c, {p0.x * sx_, p0.y * sy_}, (px.x - p0.x) * kx, (py.x - p0.x) * kx,
                    (px.y - p0.y) * ky, (py.y - p0.y) * ky};
  }

  void run() {
    if (w_ <= 0 || h_ <= 0) return;
    fill_background(list_.background());
    for (const DrawCmd& cmd : list_.commands()) {
      switch (cmd.shape) {
        case Shape::Polygon: polygon(cmd); break;
        case Shape::Polyline: polyline(cmd); break;
        case Shape::Circle: circle(cmd); break;
        case Shape::Text: text(cmd); break;
        case Shape::Pixels: pixels(cmd); break;
      }
    }
  }

 private:
  const Affine& map_of(Coords c) const { return c == Coords::World ? world_ : canvas_; }

  void fill_background(Color c) {
    std::uint8_t* p = img_.rgb.data();
    const std::size_t n = img_.rgb.size() / 3;
    if (n == 0) return;
    if (c.r == c.g && c.g == c.b) {
      std::memset(p, c.r, img_.rgb.size());
      return;
    }
    const std::size_t row = static_cast<std::size_t>(w_) * 3;
    for (int x = 0; x < w_; ++x) p[3 * x] = c.r, p[3 * x + 1] = c.g, p[3 * x + 2] = c.b;
    for (int y = 1; y < h_; ++y) std::memcpy(p + row * static_cast<std::size_t>(y), p, row);
  }

  // ---- paths --------------------------------------------------------------

  void begin_path() {
    s_.pts.clear();
    s_.ends.clear();
  }
  void add_point(Vec2 p) { s_.pts.push_back(p); }
  void close_contour() {
    const auto n = static_cast<std::uint32_t>(s_.pts.size());
    if (s_.ends.empty() ? n > 0 : n > s_.ends.back()) s_.ends.push_back(n);
  }

  // Maps a command's points into s_.mapped; false if any is not finite.
  bool map_points(const DrawCmd& cmd) {
    const Affine& m = map_of(cmd.coords);
    s_.mapped.clear();
    for (Vec2 p : list_.points(cmd)) {
      const Vec2 q = m(p);
      if (!finite(q)) return false;
      s_.mapped.push_back(q);
    }
    return true;
  }

  // An ellipse contour (the circle of radius r canvas pixels, stretched).
  // `sign` +1 turns with increasing angle, -1 the other way. The radius is
  // enlarged so that the polygon's area equals the ellipse's.
  void add_ellipse(Vec2 c, float rx, float ry, int sign) {
    const float r = std::max(rx, ry);
    int n = 8;
    if (r > kCircleTolerance) {
      const float step = 2 * std::acos(std::max(-1.0f, 1 - kCircleTolerance / r));
      n = std::clamp(static_cast<int>(std::ceil(2 * std::numbers::pi_v<float> / std::max(step, 1e-4f))), 8, 1024);
    }
    const double a = 2 * std::numbers::pi / n;
    const double k = std::sqrt(a / std::sin(a));  // area of the n-gon -> area of the ellipse
    const double cs = std::cos(a), sn = std::sin(a) * sign;
    double ux = 1, uy = 0;
    for (int i = 0; i < n; ++i) {
      add_point({static_cast<float>(c.x + rx * k * ux), static_cast<float>(c.y + ry * k * uy)});
      const double nx = ux * cs - uy * sn;
      uy = ux * sn + uy * cs;
      ux = nx;
    }
    close_contour();
  }

  // Strokes the line through s_.mapped (output pixels), `width` canvas
  // pixels wide. Adjacent pieces (quads and the slice joining them) share
  // edges exactly and overlap only inside, where the Area filler clamps the
  // double count; only the pixel at an inner corner is overestimated. Pieces
  // that are not neighbours may overlap along their edges (a line crossing
  // or nearing itself): then the exact Winding filler is used.
  void stroke(Color color, float width, bool closed) {
    begin_path();
    float reach = 0;
    const float alpha = add_stroke(width, closed, reach);
    fill(color, stroke_may_overlap(closed, reach + 1) ? Mode::Winding : Mode::Area, alpha);
  }

  // Whether two pieces of the stroke along s_.mapped that are not neighbours
  // may overlap: their segments' boxes, grown by `reach`, meet. Strokes of
  // many segments are assumed to.
  bool stroke_may_overlap(bool closed, float reach) const {
    const std::size_t n = s_.mapped.size();
    if (n < 2) return false;
    const std::size_t segs = closed && n > 2 ? n : n - 1;
    if (segs > 16) return true;
    const Vec2* p = s_.mapped.data();
    auto meet = [&](std::size_t i, std::size_t j) {
      const Vec2 a0 = p[i], a1 = p[(i + 1) % n], b0 = p[j], b1 = p[(j + 1) % n];
      return std::min(a0.x, a1.x) - reach <= std::max(b0.x, b1.x) &&
             std::min(b0.x, b1.x) - reach <= std::max(a0.x, a1.x) &&
             std::min(a0.y, a1.y) - reach <= std::max(b0.y, b1.y) &&
             std::min(b0.y, b1.y) - reach <= std::max(a0.y, a1.y);
    };
    for (std::size_t i = 0; i < segs; ++i)
      for (std::size_t j = i + 2; j < segs; ++j) {
        if (closed && segs > 2 && i == 0 && j == segs - 1) continue;  // neighbours through the first point
        if (meet(i, j)) return true;
      }
    return false;
  }

  // A stroke `width` canvas pixels wide along s_.mapped (output pixels).
  // Returns the alpha factor for hairlines thinner than an output pixel,
  // which are drawn one pixel wide and fainter; `reach` is set to the
  // half-width in output pixels.
  float add_stroke(float width, bool closed, float& reach) {
    const std::size_t n = s_.mapped.size();
    if (n < 2 || !(width > 0)) return 0;
    float alpha = 1;
    const float thinnest = width * std::min(sx_, sy_);
    if (thinnest < 1) {
      if (aa_) alpha = thinnest;
      width /= thinnest;
    }
    const float hw = width / 2, hx = hw * sx_, hy = hw * sy_;
    reach = std::max(hx, hy);
    const Vec2* p = s_.mapped.data();
    const std::size_t segs = closed && n > 2 ? n : n - 1;
    // Quads a+n, b+n, b-n, a-n with n the left normal: all turn the same way
    // (clockwise in shoelace terms), and the joins are built to match.
    bool prev_ok = false, first_ok = false;
    Vec2 first_dir{}, prev_dir{}, first_at{};
    for (std::size_t i = 0; i < segs; ++i) {
      const Vec2 a = p[i], b = p[(i + 1) % n];
      // Direction in canvas pixels (undo the output stretch).
      const float dx = (b.x - a.x) / sx_, dy = (b.y - a.y) / sy_;
      const float len = std::sqrt(dx * dx + dy * dy);
      if (!(len > 1e-6f)) continue;
      const Vec2 d{dx / len, dy / len};
      const Vec2 nrm{-d.y * hx, d.x * hy};
      if (prev_ok) join(a, prev_dir, d, hx, hy);
      add_point({a.x + nrm.x, a.y + nrm.y});
      add_point({b.x + nrm.x, b.y + nrm.y});
      add_point({b.x - nrm.x, b.y - nrm.y});
      add_point({a.x - nrm.x, a.y - nrm.y});
      close_contour();
      if (!first_ok) first_dir = d, first_at = a, first_ok = true;
      prev_dir = d;
      prev_ok = true;
    }
    if (closed && n > 2 && first_ok) join(first_at, prev_dir, first_dir, hx, hy);
    return alpha;
  }

  // Round join at `at`, on the outer side of the turn from direction u to v
  // (unit, canvas space): a pie slice between the end of the quad along u and
  // the start of the quad along v. Its straight sides are halves of the two
  // quads' butt ends, so it fills the gap between them without overlapping
  // them (overlapping edges would count twice in the filler's Area sums).
  void join(Vec2 at, Vec2 u, Vec2 v, float hx, float hy) {
    const float cross = u.x * v.y - u.y * v.x, dot = u.x * v.x + u.y * v.y;
    const float turn = std::atan2(std::fabs(cross), dot);  // 0..pi
    const float r = std::max(hx, hy);
    if (turn * r < 0.05f) return;  // the gap is under 1/20 pixel
    const float side = cross > 0 ? -1.0f : 1.0f;  // outer normal = side * left normal
    const float step = r > kCircleTolerance ? 2 * std::acos(1 - kCircleTolerance / r) : turn;
    const int k = std::clamp(static_cast<int>(std::ceil(turn / std::max(step, 1e-3f))), 1, 256);
    const float da = (cross > 0 ? 1.0f : -1.0f) * turn / static_cast<float>(k);
    const float c = std::cos(da), s = std::sin(da);
    const std::size_t first = s_.pts.size();
    add_point(at);
    Vec2 a{-u.y * side, u.x * side};
    for (int i = 0; i < k; ++i) {
      add_point({at.x + a.x * hx, at.y + a.y * hy});
      a = {a.x * c - a.y * s, a.x * s + a.y * c};
    }
    add_point({at.x - v.y * side * hx, at.y + v.x * side * hy});
    // Turn the slice the way the quads turn (negative shoelace sum).
    float area = 0;
    const std::size_t end = s_.pts.size();
    for (std::size_t i = first; i < end; ++i) {
      const Vec2 p = s_.pts[i], q = s_.pts[i + 1 < end ? i + 1 : first];
      area += (p.x - at.x) * (q.y - at.y) - (q.x - at.x) * (p.y - at.y);
    }
    if (area > 0) std::reverse(s_.pts.begin() + static_cast<std::ptrdiff_t>(first), s_.pts.end());
    close_contour();
  }

  // ---- the filler ---------------------------------------------------------

  // How a path's coverage is computed (see the top of the file).
  //   Area:    exact area coverage, |signed area| clamped to 1. Exact for any
  //            path whose winding number within a pixel stays in {0, +-1}
  //            (simple and concave polygons, discs, rings, disjoint
  //            contours); elsewhere still right away from the edges.
  //   Winding: exact non-zero rule on kSubRows sample lines per row, for
  //            strokes whose pieces may overlap along their edges, which
  //            would count twice there under Area.
  // Without antialiasing both become one sample line through pixel centres.
  enum class Mode { Area, Winding };

  void fill(Color color, Mode mode, float alpha_scale = 1) {
    const int alpha = static_cast<int>(static_cast<float>(color.a) * clampf(alpha_scale, 0, 1) + 0.5f);
    if (alpha <= 0 || s_.pts.empty() || w_ <= 0 || h_ <= 0) return;
    // Bounding box.
    float minx = kCoordLimit, maxx = -kCoordLimit, miny = kCoordLimit, maxy = -kCoordLimit;
    for (Vec2& q : s_.pts) {
      if (!finite(q)) return;
      q.x = clampf(q.x, -kCoordLimit, kCoordLimit);
      q.y = clampf(q.y, -kCoordLimit, kCoordLimit);
      minx = std::min(minx, q.x), maxx = std::max(maxx, q.x);
      miny = std::min(miny, q.y), maxy = std::max(maxy, q.y);
    }
    bx0_ = static_cast<int>(clampf(std::floor(minx), 0, static_cast<float>(w_)));
    const int bx1 = static_cast<int>(clampf(std::ceil(maxx), 0, static_cast<float>(w_)));
    const int by0 = static_cast<int>(clampf(std::floor(miny), 0, static_cast<float>(h_)));
    const int by1 = static_cast<int>(clampf(std::ceil(maxy), 0, static_cast<float>(h_)));
    if (bx0_ >= bx1 || by0 >= by1) return;
    bw_ = bx1 - bx0_;

    // Edges that reach the box's rows, oriented downwards, sorted by top.
    s_.edges.clear();
    std::uint32_t start = 0;
    for (const std::uint32_t end : s_.ends) {
      for (std::uint32_t i = start; i < end; ++i) {
        Vec2 a = s_.pts[i], b = s_.pts[i + 1 < end ? i + 1 : start];
        if (a.y == b.y) continue;
        int dir = 1;
        if (a.y > b.y) std::swap(a, b), dir = -1;
        const float top = static_cast<float>(by0), bottom = static_cast<float>(by1);
        if (b.y <= top || a.y >= bottom) continue;
        const float dxdy = (b.x - a.x) / (b.y - a.y);
        if (a.y < top) a = {a.x + (top - a.y) * dxdy, top};  // start in the box, for precision
        s_.edges.push_back({a.x - static_cast<float>(bx0_), a.y, b.y, dxdy, dir});
      }
      start = end;
    }
    if (s_.edges.empty()) return;
    if (!std::is_sorted(s_.edges.begin(), s_.edges.end(), [](const Edge& l, const Edge& r) { return l.y0 < r.y0; }))
      std::sort(s_.edges.begin(), s_.edges.end(), [](const Edge& l, const Edge& r) { return l.y0 < r.y0; });

    if (s_.cover.size() < static_cast<std::size_t>(bw_) + 2) s_.cover.resize(static_cast<std::size_t>(bw_) + 2, 0.0f);
    const std::size_t words = static_cast<std::size_t>((bw_ + 2 + kChunk - 1) / kChunk + 63) / 64;
    if (s_.touched.size() < words) s_.touched.resize(words, 0);
    if (aa_ && mode == Mode::Area) {
      fill_area(by0, by1, color, alpha);
    } else {
      fill_samples(by0, by1, color, alpha);
    }
  }

  // Area mode: per row, each edge adds the exact area to its right (signed by
  // its direction) to the row's coverage differences (the font-rs scheme).
  void fill_area(int by0, int by1, Color color, int alpha) {
    const Edge* const edges = s_.edges.data();
    const std::size_t num_edges = s_.edges.size();
    if (s_.row_edges.size() < num_edges) s_.row_edges.resize(num_edges);
    Edge* const act = s_.row_edges.data();
    std::size_t next = 0, na = 0;
    const float fbw = static_cast<float>(bw_);
    for (int y = by0; y < by1; ++y) {
      const float top = static_cast<float>(y), bottom = top + 1;
      std::size_t m = 0;
      for (std::size_t i = 0; i < na; ++i)
        if (act[i].y1 > top) act[m++] = act[i];
      for (; next < num_edges && edges[next].y0 < bottom; ++next)
        if (edges[next].y1 > top) act[m++] = edges[next];
      na = m;
      for (std::size_t i = 0; i < na; ++i) {
        const Edge& e = act[i];
        const float ya = std::max(e.y0, top), yb = std::min(e.y1, bottom);
        const float xa = e.x0 + (ya - e.y0) * e.dxdy, xb = e.x0 + (yb - e.y0) * e.dxdy;
        const float d = (yb - ya) * static_cast<float>(e.dir);
        if (xa >= 0 && xb >= 0 && xa <= fbw && xb <= fbw) {
          area_piece(xa, xb, d);
          continue;
        }
        // Clip to [0, bw]: parts on the left move onto x = 0 (they cover the
        // whole row to their right), parts on the right cover nothing here.
        float ts[4] = {0, 1, 1, 1};
        int nt = 1;
        const float dx = xb - xa;
        if ((xa < 0) != (xb < 0)) ts[nt++] = -xa / dx;
        if ((xa > fbw) != (xb > fbw)) ts[nt++] = (fbw - xa) / dx;
        if (nt == 3 && ts[2] < ts[1]) std::swap(ts[1], ts[2]);
        ts[nt++] = 1;
        for (int j = 0; j + 1 < nt; ++j) {
          const float p0 = xa + dx * ts[j], p1 = xa + dx * ts[j + 1];
          const float pd = d * (ts[j + 1] - ts[j]);
          const float mid = 0.5f * (p0 + p1);
          if (mid >= fbw || pd == 0) continue;
          if (mid <= 0) area_piece(0, 0, pd);
          else area_piece(clampf(p0, 0, fbw), clampf(p1, 0, fbw), pd);
        }
      }
      resolve_row(y, color, alpha);
    }
  }

  // Adds the area right of the segment from x = xa to xb (within [0, bw])
  // crossing `d` of the row's height (negative for upward edges).
  void area_piece(float xa, float xb, float d) {
    float* const c = s_.cover.data();
    const float x0 = std::min(xa, xb), x1 = std::max(xa, xb);
    const int x0i = floor_i(x0), x1i = ceil_i(x1);
    const float x0f = static_cast<float>(x0i), x1c = static_cast<float>(x1i);
    mark(x0i, std::max(x0i + 2, x1i + 1));
    if (x1i <= x0i + 1) {  // within one pixel column
      const float xm = 0.5f * (xa + xb) - x0f;
      c[x0i] += d * (1 - xm);
      c[x0i + 1] += d * xm;
      return;
    }
    const float s = 1 / (x1 - x0);
    const float f0 = x0 - x0f;
    const float a0 = 0.5f * s * (1 - f0) * (1 - f0);
    const float f1 = x1 - x1c + 1;
    const float am = 0.5f * s * f1 * f1;
    c[x0i] += d * a0;
    if (x1i == x0i + 2) {
      c[x0i + 1] += d * (1 - a0 - am);
    } else {
      const float a1 = s * (1.5f - f0);
      c[x0i + 1] += d * (a1 - a0);
      for (int x = x0i + 2; x < x1i - 1; ++x) c[x] += d * s;
      const float a2 = a1 + static_cast<float>(x1i - x0i - 3) * s;
      c[x1i - 1] += d * (1 - a2 - am);
    }
    c[x1i] += d * am;
  }

  // Winding mode (and everything without antialiasing): spans where the
  // winding number is non-zero, on sample lines.
  void fill_samples(int by0, int by1, Color color, int alpha) {
    const Edge* const edges = s_.edges.data();
    const std::size_t num_edges = s_.edges.size();
    if (s_.active.size() < num_edges) s_.active.resize(num_edges);
    Active* const act = s_.active.data();
    float* const cover = s_.cover.data();
    const bool aa = aa_;
    const int sub = aa ? kSubRows : 1;
    const float weight = 1.0f / static_cast<float>(sub);
    const float fbw = static_cast<float>(bw_);
    std::size_t next = 0, na = 0;

    auto add_span = [&](float xa, float xb) {
      xa = clampf(xa, 0, fbw), xb = clampf(xb, 0, fbw);
      if (!(xb > xa)) return;
      if (aa) {  // exact horizontal coverage, weight of one sample line
        const int ia = static_cast<int>(xa), ib = static_cast<int>(xb);
        const float fa = xa - static_cast<float>(ia), fb = xb - static_cast<float>(ib);
        cover[ia] += weight * (1 - fa);
        cover[ia + 1] += weight * fa;
        cover[ib] -= weight * (1 - fb);
        cover[ib + 1] -= weight * fb;
        mark(ia, ib + 2);
      } else {  // pixel centres in [xa, xb)
        const int ia = ceil_i(xa - 0.5f), ib = ceil_i(xb - 0.5f);
        if (ib <= ia) return;
        cover[ia] += 1;
        cover[ib] -= 1;
        mark(ia, ib + 1);
      }
    };

    for (int y = by0; y < by1; ++y) {
      for (int k = 0; k < sub; ++k) {
        const float ys = static_cast<float>(y) + (static_cast<float>(k) + 0.5f) * weight;
        // Active edges: drop the finished ones, move the rest to this sample
        // line, add the new ones; then sort by x (nearly sorted already).
        std::size_t m = 0;
        for (std::size_t i = 0; i < na; ++i) {
          if (ys < act[i].e.y1) {
            act[m] = act[i];
            act[m].x = act[m].e.x0 + (ys - act[m].e.y0) * act[m].e.dxdy;
            ++m;
          }
        }
        for (; next < num_edges && edges[next].y0 <= ys; ++next) {
          const Edge& e = edges[next];
          if (ys < e.y1) act[m++] = {e, e.x0 + (ys - e.y0) * e.dxdy};
        }
        na = m;
        if (na == 0) continue;
        if (na == 2) {  // the common case: one span
          add_span(std::min(act[0].x, act[1].x), std::max(act[0].x, act[1].x));
          continue;
        }
        for (std::size_t i = 1; i < na; ++i) {
          if (!(act[i - 1].x > act[i].x)) continue;
          const Active v = act[i];
          std::size_t j = i;
          while (j > 0 && act[j - 1].x > v.x) act[j] = act[j - 1], --j;
          act[j] = v;
        }
        // Walk the winding number; fill where it is non-zero.
        int winding = 0;
        float span_start = 0;
        for (std::size_t i = 0; i < na; ++i) {
          const int before = winding;
          winding += act[i].e.dir;
          if (before == 0) span_start = act[i].x;
          else if (winding == 0) add_span(span_start, act[i].x);
        }
      }
      resolve_row(y, color, alpha);
    }
  }

  // Records that coverage differences were written in [a, b): the chunks
  // of kChunk entries holding them are resolved pixel by pixel, the others
  // take the running coverage as a constant (often 0: skipped, or 1: a run).
  void mark(int a, int b) {
    const int c0 = a / kChunk, c1 = (b - 1) / kChunk;
    std::uint64_t* bits = s_.touched.data();
    for (int c = c0; c <= c1; ++c) bits[c >> 6] |= std::uint64_t{1} << (c & 63);
    clo_ = std::min(clo_, c0);
    chi_ = std::max(chi_, c1);
    xlo_ = std::min(xlo_, a);
    xhi_ = std::max(xhi_, b);
  }

  // Prefix-sums the row's coverage differences, blends, and leaves the
  // buffer and the chunk marks cleared.
  void resolve_row(int y, Color color, int alpha) {
    if (chi_ < 0) return;
    float* const cover = s_.cover.data();
    std::uint64_t* const bits = s_.touched.data();
    std::uint8_t* const row = img_.pixel(bx0_, y);
    const float fa = static_cast<float>(alpha);
    auto alpha_of = [fa](float acc) { return static_cast<int>(std::min(std::fabs(acc), 1.0f) * fa + 0.5f); };
    // A run of pixels under constant coverage.
    auto run = [&](int x0, int x1, int a) {
      if (a >= 255) {
        for (int x = x0; x < x1; ++x) row[3 * x] = color.r, row[3 * x + 1] = color.g, row[3 * x + 2] = color.b;
      } else if (a > 0) {
        for (int x = x0; x < x1; ++x) blend(row + 3 * x, color, a);
      }
    };
    // Entries outside [xlo_, xhi_) are zero: before xlo_ nothing is covered,
    // from xhi_ on the coverage stays what it was.
    float acc = 0;
    for (int c = clo_; c <= chi_; ++c) {
      const int xa = std::max(c * kChunk, xlo_), xb = std::min((c + 1) * kChunk, bw_);
      if (xa >= xb) continue;
      std::uint64_t& word = bits[c >> 6];
      const std::uint64_t bit = std::uint64_t{1} << (c & 63);
      if (word & bit) {
        const int to = std::min(xb, xhi_);
        for (int x = xa; x < to; ++x) {
          acc += cover[x];
          cover[x] = 0;
          const int a = alpha_of(acc);
          if (a > 0) blend(row + 3 * x, color, a);
        }
        if (to < xb) run(to, xb, alpha_of(acc));
      } else {
        run(xa, xb, alpha_of(acc));
      }
    }
    // Area mode drops the parts of edges right of the box, so the coverage
    // may run on to the box's right side.
    run(std::max((chi_ + 1) * kChunk, xlo_), bw_, alpha_of(acc));
    for (int x = std::max(bw_, xlo_); x < std::min(xhi_, bw_ + 2); ++x) cover[x] = 0;
    for (int c = clo_; c <= chi_; ++c) bits[c >> 6] &= ~(std::uint64_t{1} << (c & 63));
    clo_ = xlo_ = 1 << 30;
    chi_ = xhi_ = -1;
  }

  // ---- commands -----------------------------------------------------------

  void polygon(const DrawCmd& cmd) {
    if (cmd.count < 2 || !map_points(cmd)) return;
    if (cmd.fill.visible() && cmd.count >= 3) {
      begin_path();
      for (Vec2 q : s_.mapped) add_point(q);
      close_contour();
      fill(cmd.fill, Mode::Area);
    }
    if (cmd.stroke.visible() && cmd.stroke_width > 0) {
      begin_path();
      stroke(cmd.stroke, cmd.stroke_width, true);
    }
  }

  void polyline(const DrawCmd& cmd) {
    if (!cmd.stroke.visible() || !(cmd.stroke_width > 0) || cmd.count < 2 || !map_points(cmd)) return;
    stroke(cmd.stroke, cmd.stroke_width, cmd.closed);
  }

  void circle(const DrawCmd& cmd) {
    const Vec2 c = map_of(cmd.coords)(cmd.pos);
    const float r = cmd.size.x * list_.scale_of(cmd.coords);  // canvas pixels
    if (!finite(c) || !std::isfinite(r) || r <= 0) return;
    if (cmd.fill.visible()) {
      begin_path();
      add_ellipse(c, r * sx_, r * sy_, 1);
      fill(cmd.fill, Mode::Area);
    }
    if (cmd.stroke.visible() && cmd.stroke_width > 0) {
      float w = cmd.stroke_width, alpha = 1;
      const float thinnest = w * std::min(sx_, sy_);
      if (thinnest < 1) {
        if (aa_) alpha = thinnest;
        w /= thinnest;
      }
      const float ro = r + w / 2, ri = r - w / 2;
      begin_path();
      add_ellipse(c, ro * sx_, ro * sy_, 1);
      if (ri > 0) add_ellipse(c, ri * sx_, ri * sy_, -1);
      fill(cmd.stroke, Mode::Area, alpha);
    }
  }

  // Text: every lit font pixel is a rectangle of the font-pixel grid. The
  // rectangles' exact area coverage is computed separably (the grid is axis
  // aligned): per output row, the vertical overlap of each font row weights
  // the lit cells of every font column; per output pixel, the horizontal
  // overlaps of the columns it touches sum them up. Without antialiasing a
  // pixel takes the cell under its centre.
  void text(const DrawCmd& cmd) {
    namespace f = font5x7;
    const std::string_view str = list_.text_of(cmd);
    const float height = cmd.size.y;
    if (str.empty() || !cmd.fill.visible() || !(height > 0) || !std::isfinite(height)) return;
    const Vec2 anchor = map_of(cmd.coords)(cmd.pos);  // output pixels
    if (!finite(anchor)) return;
    const float fp = height / static_cast<float>(f::kCellH);  // font pixel, canvas pixels
    const float pw = fp * sx_, ph = fp * sy_;                 // ... output pixels
    const int ncols = static_cast<int>(str.size()) * f::kCellW - (f::kCellW - f::kGlyphW);
    const float text_w = static_cast<float>(ncols) * pw;
    float ox = anchor.x, oy = anchor.y;
    if (cmd.align == TextAlign::Center) ox -= text_w / 2;
    if (cmd.align == TextAlign::Right) ox -= text_w;
    // Crisp text: when a font pixel spans at least an output pixel, the grid
    // lines are put on pixel boundaries.
    const bool snap_x = aa_ && pw >= 1, snap_y = aa_ && ph >= 1;
    if (snap_x) ox = std::round(ox);
    if (snap_y) oy = std::round(oy);
    // Grid lines: x of column k's left edge, y of row j's top edge.
    if (s_.grid_x.size() < static_cast<std::size_t>(ncols) + 1) s_.grid_x.resize(static_cast<std::size_t>(ncols) + 1);
    float* const gxs = s_.grid_x.data();
    for (int k = 0; k <= ncols; ++k) {
      const float v = ox + static_cast<float>(k) * pw;
      gxs[k] = snap_x ? std::round(v) : v;
    }
    float gys[f::kGlyphH + 1];
    for (int j = 0; j <= f::kGlyphH; ++j) {
      const float v = oy + static_cast<float>(j) * ph;
      gys[j] = snap_y ? std::round(v) : v;
    }
    auto gx = [gxs](int k) { return gxs[k]; };
    auto gy = [&gys](int k) { return gys[k]; };
    const float fw = static_cast<float>(w_), fh = static_cast<float>(h_);
    const int bx0 = static_cast<int>(clampf(std::floor(gx(0)), 0, fw));
    const int bx1 = static_cast<int>(clampf(std::ceil(gx(ncols)), 0, fw));
    const int by0 = static_cast<int>(clampf(std::floor(gy(0)), 0, fh));
    const int by1 = static_cast<int>(clampf(std::ceil(gy(f::kGlyphH)), 0, fh));
    if (bx0 >= bx1 || by0 >= by1) return;

    auto lit = [&](int col, int row) {
      const int c = col / f::kCellW, x = col % f::kCellW;
      return x < f::kGlyphW && f::glyph_for(str[static_cast<std::size_t>(c)]).lit(x, row);
    };
    // The font column whose cell holds output x (grid lines are monotonic).
    auto column_at = [&](float x) {
      int i = static_cast<int>(clampf(std::floor((x - ox) / pw), 0, static_cast<float>(ncols - 1)));
      while (i > 0 && gx(i) > x) --i;
      while (i + 1 < ncols && gx(i + 1) <= x) ++i;
      return i;
    };
    auto overlap = [](float a0, float a1, float b0, float b1) { return std::min(a1, b1) - std::max(a0, b0); };
    const Color color = cmd.fill;
    const float alpha = static_cast<float>(color.a);

    if (!aa_) {
      for (int y = by0; y < by1; ++y) {
        const float yc = static_cast<float>(y) + 0.5f;
        int row = -1;
        for (int j = 0; j < f::kGlyphH; ++j)
          if (gy(j) <= yc && yc < gy(j + 1)) row = j;
        if (row < 0) continue;
        std::uint8_t* px = img_.pixel(0, y);
        int i = column_at(static_cast<float>(bx0) + 0.5f);
        for (int x = bx0; x < bx1; ++x) {
          const float xc = static_cast<float>(x) + 0.5f;
          while (i + 1 < ncols && gx(i + 1) <= xc) ++i;
          if (gx(i) <= xc && xc < gx(i + 1) && lit(i, row)) blend(px + 3 * x, color, color.a);
        }
      }
      return;
    }

    if (s_.text_cov.size() < static_cast<std::size_t>(ncols)) s_.text_cov.resize(static_cast<std::size_t>(ncols));
    float* const colcov = s_.text_cov.data();  // per font column: lit rows' overlap with this output row
    for (int y = by0; y < by1; ++y) {
      const float y0 = static_cast<float>(y), y1 = y0 + 1;
      std::fill(colcov, colcov + ncols, 0.0f);
      bool any = false;
      for (int j = 0; j < f::kGlyphH; ++j) {
        const float wy = overlap(y0, y1, gy(j), gy(j + 1));
        if (!(wy > 0)) continue;
        for (std::size_t c = 0; c < str.size(); ++c) {
          const unsigned bits = f::glyph_for(str[c]).rows[static_cast<std::size_t>(j)];
          if (!bits) continue;
          any = true;
          float* cells = colcov + c * f::kCellW;
          for (int x = 0; x < f::kGlyphW; ++x)
            if ((bits >> (f::kGlyphW - 1 - x)) & 1u) cells[x] += wy;
        }
      }
      if (!any) continue;
      std::uint8_t* px = img_.pixel(0, y);
      int i = column_at(static_cast<float>(bx0));
      for (int x = bx0; x < bx1; ++x) {
        const float x0 = static_cast<float>(x), x1 = x0 + 1;
        while (i + 1 < ncols && gx(i + 1) <= x0) ++i;
        float cov;
        if (gxs[i + 1] >= x1) {  // the pixel lies in one column
          cov = colcov[i] * overlap(x0, x1, gxs[i], gxs[i + 1]);
        } else {
          cov = 0;
          for (int k = i; k < ncols && gxs[k] < x1; ++k)
            if (colcov[k] != 0) cov += colcov[k] * overlap(x0, x1, gxs[k], gxs[k + 1]);
        }
        const int a = static_cast<int>(std::min(cov, 1.0f) * alpha + 0.5f);
        if (a > 0) blend(px + 3 * x, color, a);
      }
    }
  }

  void pixels(const DrawCmd& cmd) {
    const int gw = cmd.grid_w, gh = cmd.grid_h, ch = cmd.channels;
    const int alpha = cmd.fill.a;
    const std::span<const std::uint8_t> data = list_.bytes_of(cmd);
    if (gw <= 0 || gh <= 0 || (ch != 1 && ch != 3) || alpha == 0 ||
        data.size() < static_cast<std::size_t>(gw) * gh * ch)
      return;
    // Columns run along +x of the coordinates; rows run down the screen
    // (-y for a world with y up).
    const Affine& m = map_of(cmd.coords);
    const float down = (cmd.coords == Coords::World && list_.camera.y_up) ? -1.0f : 1.0f;
    const Vec2 p0 = m(cmd.pos);
    const Vec2 px = m({cmd.pos.x + cmd.size.x, cmd.pos.y});
    const Vec2 py = m({cmd.pos.x, cmd.pos.y + down * cmd.size.y});
    const Vec2 e1{px.x - p0.x, px.y - p0.y}, e2{py.x - p0.x, py.y - p0.y};
    const float det = e1.x * e2.y - e1.y * e2.x;
    if (!finite(p0) || !finite(px) || !finite(py) || !(std::fabs(det) > 1e-9f)) return;
    const Vec2 p3{p0.x + e1.x + e2.x, p0.y + e1.y + e2.y};
    const float minx = std::min({p0.x, px.x, py.x, p3.x}), maxx = std::max({p0.x, px.x, py.x, p3.x});
    const float miny = std::min({p0.y, px.y, py.y, p3.y}), maxy = std::max({p0.y, px.y, py.y, p3.y});
    const int bx0 = static_cast<int>(clampf(std::floor(minx), 0, static_cast<float>(w_)));
    const int bx1 = static_cast<int>(clampf(std::ceil(maxx), 0, static_cast<float>(w_)));
    const int by0 = static_cast<int>(clampf(std::floor(miny), 0, static_cast<float>(h_)));
    const int by1 = static_cast<int>(clampf(std::ceil(maxy), 0, static_cast<float>(h_)));
    // Grid coordinates (u, v) = cells, as an affine function of the output
    // pixel: u = gw * ((q - p0) x e2) / det, v = gh * (e1 x (q - p0)) / det.
    const float fgw = static_cast<float>(gw), fgh = static_cast<float>(gh);
    const float du_dx = fgw * e2.y / det, du_dy = -fgw * e2.x / det;
    const float dv_dx = -fgh * e1.y / det, dv_dy = fgh * e1.x / det;
    const std::uint8_t* bytes = data.data();
    auto put = [&](std::uint8_t* dst, const std::uint8_t* cell) {
      if (alpha >= 255) {
        dst[0] = cell[0], dst[1] = cell[ch == 3 ? 1 : 0], dst[2] = cell[ch == 3 ? 2 : 0];
      } else {
        blend(dst, Color{cell[0], cell[ch == 3 ? 1 : 0], cell[ch == 3 ? 2 : 0], 255}, alpha);
      }
    };
    if (du_dy == 0 && dv_dx == 0) {
      // Not turned: the column of every output x is the same on all rows.
      const std::size_t bw = static_cast<std::size_t>(std::max(0, bx1 - bx0));
      if (s_.cells_x.size() < bw) s_.cells_x.resize(bw);
      int* const col = s_.cells_x.data();
      for (int x = bx0; x < bx1; ++x) {
        const float u = du_dx * (static_cast<float>(x) + 0.5f - p0.x);
        col[x - bx0] = (u >= 0 && u < fgw) ? std::min(static_cast<int>(u), gw - 1) * ch : -1;
      }
      for (int y = by0; y < by1; ++y) {
        const float v = dv_dy * (static_cast<float>(y) + 0.5f - p0.y);
        if (!(v >= 0 && v < fgh)) continue;
        const std::uint8_t* cells = bytes + static_cast<std::size_t>(std::min(static_cast<int>(v), gh - 1)) * gw * ch;
        std::uint8_t* row = img_.pixel(bx0, y);
        for (int x = 0; x < bx1 - bx0; ++x)
          if (col[x] >= 0) put(row + 3 * x, cells + col[x]);
      }
      return;
    }
    for (int y = by0; y < by1; ++y) {
      const float qy = static_cast<float>(y) + 0.5f - p0.y;
      const float qx0 = static_cast<float>(bx0) + 0.5f - p0.x;
      float u = du_dx * qx0 + du_dy * qy, v = dv_dx * qx0 + dv_dy * qy;
      std::uint8_t* row = img_.pixel(0, y);
      for (int x = bx0; x < bx1; ++x, u += du_dx, v += dv_dx) {
        if (!(u >= 0 && u < fgw && v >= 0 && v < fgh)) continue;
        const int cu = std::min(static_cast<int>(u), gw - 1), cv = std::min(static_cast<int>(v), gh - 1);
        put(row + 3 * x, bytes + (static_cast<std::size_t>(cv) * gw + cu) * ch);
      }
    }
  }

  const DrawList& list_;
  Image& img_;
  Scratch& s_;
  bool aa_;
  int w_, h_;
  float sx_ = 1, sy_ = 1;
  Affine canvas_{}, world_{};
  // The current fill's box (columns) and the row's range of marked chunks.
  int bx0_ = 0, bw_ = 0;
  int clo_ = 1 << 30, chi_ = -1;
  int xlo_ = 1 << 30, xhi_ = -1;  // range of written entries
};

}  // namespace

void rasterize(const DrawList& list, int width, int height, Image& out, const RasterOptions& options) {
  width = std::max(0, width);
  height = std::max(0, height);
  const std::size_t bytes = static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3;
  out.width = width;
  out.height = height;
  if (out.rgb.size() != bytes) out.rgb.resize(bytes);
  Rasterizer(list, out, options, t_scratch).run();
}

}  // namespace arena
