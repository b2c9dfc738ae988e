// The CPU rasterizer.
//
// Every shape becomes a path (one or more closed contours, in output pixels)
// and every path goes through one scanline filler:
//
// - Non-zero winding, exactly: on each sample line the active edges are sorted
//   by x and the winding number is walked from left to right, so concave and
//   self-intersecting polygons, rings (outer + reversed inner contour) and
//   strokes made of overlapping pieces all fill correctly.
// - Antialiasing: kSubRows sample lines per pixel row, each contributing the
//   exact horizontal coverage of its spans (1/kSubRows of a pixel row, split
//   fractionally at the span ends). Without antialiasing there is one sample
//   line through the pixel centres and a pixel is in when its centre is.
// - Coverage is accumulated per row in a difference buffer (four writes per
//   span, whatever its length), then prefix-summed and blended "over" the
//   image with the colour's alpha.
//
// Strokes are a quad per segment plus a round join (an ellipse, after the
// canvas is stretched to the output) at each inner vertex, all in one path, so
// the overlaps count once. Text is one rectangle per horizontal run of lit
// font pixels. Pixel grids are mapped per output pixel (nearest cell).
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

struct Edge {
  float x0, y0, y1, dxdy;  // y0 < y1; x at y0
  int dir;                 // +1 going down, -1 going up
};

struct Active {
  float x;  // crossing on the current sample line
  int edge;
};

struct Scratch {
  std::vector<Vec2> pts;             // the path, in output pixels
  std::vector<std::uint32_t> ends;   // end (exclusive) of each contour in pts
  std::vector<Edge> edges;           // non-horizontal edges, sorted by y0
  std::vector<Active> active;        // edges crossing the current sample line
  std::vector<float> cover;          // per-row coverage differences, all zero between rows
  std::vector<Vec2> mapped;          // a command's points, in output pixels
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
    // is affine), then stretched to the output.
    const Vec2 c = list.camera.center;
    const Vec2 p0 = list.to_canvas(c, Coords::World);
    const Vec2 px = list.to_canvas({c.x + 1, c.y}, Coords::World);
    const Vec2 py = list.to_canvas({c.x, c.y + 1}, Coords::World);
    world_ = Affine{c, {p0.x * sx_, p0.y * sy_}, (px.x - p0.x) * sx_, (py.x - p0.x) * sx_,
                    (px.y - p0.y) * sy_, (py.y - p0.y) * sy_};
  }

  void run() {
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
    for (std::size_t i = 0; i < n; ++i, p += 3) p[0] = c.r, p[1] = c.g, p[2] = c.b;
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

  // A stroke `width` canvas pixels wide along s_.mapped (output pixels).
  // Returns the alpha factor for hairlines thinner than an output pixel,
  // which are drawn one pixel wide and fainter.
  float add_stroke(float width, bool closed) {
    const std::size_t n = s_.mapped.size();
    if (n < 2 || !(width > 0)) return 0;
    float alpha = 1;
    const float thinnest = width * std::min(sx_, sy_);
    if (thinnest < 1) {
      if (aa_) alpha = thinnest;
      width /= thinnest;
    }
    const float hw = width / 2, hx = hw * sx_, hy = hw * sy_;
    const Vec2* p = s_.mapped.data();
    const std::size_t segs = closed && n > 2 ? n : n - 1;
    // Quads a+n, b+n, b-n, a-n with n the left normal: all turn the same way
    // (clockwise in shoelace terms), and the joins are built to match.
    bool prev_ok = false;
    Vec2 first_dir{}, prev_dir{};
    bool first_ok = false;
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
      if (!first_ok) first_dir = d, first_ok = true;
      prev_dir = d;
      prev_ok = true;
    }
    if (closed && n > 2 && first_ok) join(p[0], prev_dir, first_dir, hx, hy);
    return alpha;
  }

  // Round join at `at` between directions u and v (unit, canvas space);
  // none where the line goes straight on.
  void join(Vec2 at, Vec2 u, Vec2 v, float hx, float hy) {
    const float cross = u.x * v.y - u.y * v.x, dot = u.x * v.x + u.y * v.y;
    if (dot > 0 && std::fabs(cross) * std::max(hx, hy) < 0.01f) return;
    add_ellipse(at, hx, hy, -1);
  }

  // ---- the filler ---------------------------------------------------------

  void fill(Color color, float alpha_scale = 1) {
    const int alpha = static_cast<int>(color.a * clampf(alpha_scale, 0, 1) + 0.5f);
    if (alpha <= 0 || s_.pts.empty() || w_ <= 0 || h_ <= 0) return;
    // Bounding box and edges.
    float minx = kCoordLimit, maxx = -kCoordLimit, miny = kCoordLimit, maxy = -kCoordLimit;
    for (Vec2& q : s_.pts) {
      if (!finite(q)) return;
      q.x = clampf(q.x, -kCoordLimit, kCoordLimit);
      q.y = clampf(q.y, -kCoordLimit, kCoordLimit);
      minx = std::min(minx, q.x), maxx = std::max(maxx, q.x);
      miny = std::min(miny, q.y), maxy = std::max(maxy, q.y);
    }
    const int bx0 = static_cast<int>(clampf(std::floor(minx), 0, static_cast<float>(w_)));
    const int bx1 = static_cast<int>(clampf(std::ceil(maxx), 0, static_cast<float>(w_)));
    const int by0 = static_cast<int>(clampf(std::floor(miny), 0, static_cast<float>(h_)));
    const int by1 = static_cast<int>(clampf(std::ceil(maxy), 0, static_cast<float>(h_)));
    if (bx0 >= bx1 || by0 >= by1) return;

    s_.edges.clear();
    std::uint32_t start = 0;
    for (const std::uint32_t end : s_.ends) {
      for (std::uint32_t i = start; i < end; ++i) {
        Vec2 a = s_.pts[i], b = s_.pts[i + 1 < end ? i + 1 : start];
        if (a.y == b.y) continue;
        int dir = 1;
        if (a.y > b.y) std::swap(a, b), dir = -1;
        if (b.y <= static_cast<float>(by0) || a.y >= static_cast<float>(by1)) continue;
        s_.edges.push_back({a.x, a.y, b.y, (b.x - a.x) / (b.y - a.y), dir});
      }
      start = end;
    }
    if (s_.edges.empty()) return;
    std::sort(s_.edges.begin(), s_.edges.end(), [](const Edge& l, const Edge& r) { return l.y0 < r.y0; });

    const int bw = bx1 - bx0;
    if (s_.cover.size() < static_cast<std::size_t>(bw) + 2) s_.cover.resize(static_cast<std::size_t>(bw) + 2, 0.0f);
    float* cover = s_.cover.data();
    const int sub = aa_ ? kSubRows : 1;
    const float weight = 1.0f / static_cast<float>(sub);
    const float fx0 = static_cast<float>(bx0), fbw = static_cast<float>(bw);
    std::size_t next = 0;
    s_.active.clear();

    for (int y = by0; y < by1; ++y) {
      int lo = bw + 2, hi = -1;  // touched range of `cover`
      for (int k = 0; k < sub; ++k) {
        const float ys = static_cast<float>(y) + (static_cast<float>(k) + 0.5f) * weight;
        // Update the active edges: drop the finished ones, add the new ones,
        // move the rest to this sample line, keep them sorted by x.
        std::size_t m = 0;
        for (std::size_t i = 0; i < s_.active.size(); ++i) {
          const Edge& e = s_.edges[static_cast<std::size_t>(s_.active[i].edge)];
          if (ys < e.y1) s_.active[m++] = {e.x0 + (ys - e.y0) * e.dxdy, s_.active[i].edge};
        }
        s_.active.resize(m);
        while (next < s_.edges.size() && s_.edges[next].y0 <= ys) {
          const Edge& e = s_.edges[next];
          if (ys < e.y1) s_.active.push_back({e.x0 + (ys - e.y0) * e.dxdy, static_cast<int>(next)});
          ++next;
        }
        Active* act = s_.active.data();
        const std::size_t na = s_.active.size();
        for (std::size_t i = 1; i < na; ++i) {  // insertion sort: nearly sorted already
          const Active v = act[i];
          std::size_t j = i;
          while (j > 0 && act[j - 1].x > v.x) act[j] = act[j - 1], --j;
          act[j] = v;
        }
        // Walk the winding number; accumulate the spans where it is non-zero.
        int winding = 0;
        float span_start = 0;
        for (std::size_t i = 0; i < na; ++i) {
          const int before = winding;
          winding += s_.edges[static_cast<std::size_t>(act[i].edge)].dir;
          if (before == 0 && winding != 0) {
            span_start = act[i].x;
          } else if (before != 0 && winding == 0) {
            const float xa = clampf(span_start - fx0, 0, fbw), xb = clampf(act[i].x - fx0, 0, fbw);
            if (!(xb > xa)) continue;
            if (aa_) {
              const int ia = static_cast<int>(xa), ib = static_cast<int>(xb);
              const float fa = xa - static_cast<float>(ia), fb = xb - static_cast<float>(ib);
              cover[ia] += weight * (1 - fa);
              cover[ia + 1] += weight * fa;
              cover[ib] -= weight * (1 - fb);
              cover[ib + 1] -= weight * fb;
              lo = std::min(lo, ia), hi = std::max(hi, ib + 1);
            } else {
              // Pixel centres in [xa, xb).
              const int ia = static_cast<int>(std::ceil(xa - 0.5f)), ib = static_cast<int>(std::ceil(xb - 0.5f));
              if (ib <= ia) continue;
              cover[ia] += 1;
              cover[ib] -= 1;
              lo = std::min(lo, ia), hi = std::max(hi, ib);
            }
          }
        }
      }
      if (hi < 0) continue;
      // Resolve the row: prefix sum, blend, and leave the buffer zeroed.
      std::uint8_t* row = img_.pixel(bx0, y);
      float acc = 0;
      const int end = std::min(hi, bw);
      for (int x = lo; x < end; ++x) {
        acc += cover[x];
        cover[x] = 0;
        const float cov = clampf(acc, 0, 1);
        const int a = static_cast<int>(cov * static_cast<float>(alpha) + 0.5f);
        if (a > 0) blend(row + 3 * x, color, a);
      }
      for (int x = end; x <= hi && x < bw + 2; ++x) cover[x] = 0;
    }
  }

  // ---- commands -----------------------------------------------------------

  void polygon(const DrawCmd& cmd) {
    if (cmd.count < 2 || !map_points(cmd)) return;
    if (cmd.fill.visible() && cmd.count >= 3) {
      begin_path();
      for (Vec2 q : s_.mapped) add_point(q);
      close_contour();
      fill(cmd.fill);
    }
    if (cmd.stroke.visible() && cmd.stroke_width > 0) {
      begin_path();
      const float a = add_stroke(cmd.stroke_width, true);
      fill(cmd.stroke, a);
    }
  }

  void polyline(const DrawCmd& cmd) {
    if (!cmd.stroke.visible() || !(cmd.stroke_width > 0) || cmd.count < 2 || !map_points(cmd)) return;
    begin_path();
    const float a = add_stroke(cmd.stroke_width, cmd.closed);
    fill(cmd.stroke, a);
  }

  void circle(const DrawCmd& cmd) {
    const Vec2 c = map_of(cmd.coords)(cmd.pos);
    const float r = cmd.size.x * list_.scale_of(cmd.coords);  // canvas pixels
    if (!finite(c) || !std::isfinite(r) || r <= 0) return;
    if (cmd.fill.visible()) {
      begin_path();
      add_ellipse(c, r * sx_, r * sy_, 1);
      fill(cmd.fill);
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
      fill(cmd.stroke, alpha);
    }
  }

  void text(const DrawCmd& cmd) {
    namespace f = font5x7;
    const std::string_view str = list_.text_of(cmd);
    const float height = cmd.size.y;
    if (str.empty() || !cmd.fill.visible() || !(height > 0)) return;
    const Vec2 anchor = map_of(cmd.coords)(cmd.pos);  // output pixels
    if (!finite(anchor)) return;
    // Font pixel size, in output pixels.
    const float fp = height / static_cast<float>(f::kCellH);
    const float pw = fp * sx_, ph = fp * sy_;
    const float text_w = (static_cast<float>(str.size()) * f::kCellW - (f::kCellW - f::kGlyphW)) * pw;
    float ox = anchor.x;
    if (cmd.align == TextAlign::Center) ox -= text_w / 2;
    if (cmd.align == TextAlign::Right) ox -= text_w;
    float oy = anchor.y;
    // Crisp text: when a font pixel covers at least an output pixel, its
    // edges are put on pixel boundaries.
    const bool snap_x = aa_ && pw >= 1, snap_y = aa_ && ph >= 1;
    if (snap_x) ox = std::round(ox);
    if (snap_y) oy = std::round(oy);
    auto gx = [&](int k) { const float v = ox + static_cast<float>(k) * pw; return snap_x ? std::round(v) : v; };
    auto gy = [&](int k) { const float v = oy + static_cast<float>(k) * ph; return snap_y ? std::round(v) : v; };
    // Skip characters entirely off the image.
    begin_path();
    for (std::size_t i = 0; i < str.size(); ++i) {
      const int cx = static_cast<int>(i) * f::kCellW;
      if (gx(cx + f::kGlyphW) < 0 || gx(cx) > static_cast<float>(w_)) continue;
      const f::Glyph& g = f::glyph_for(str[i]);
      for (int row = 0; row < f::kGlyphH; ++row) {
        const unsigned bits = g.rows[static_cast<std::size_t>(row)];
        if (!bits) continue;
        const float y0 = gy(row), y1 = gy(row + 1);
        for (int col = 0; col < f::kGlyphW;) {
          if (!((bits >> (f::kGlyphW - 1 - col)) & 1u)) {
            ++col;
            continue;
          }
          int run_end = col;
          while (run_end < f::kGlyphW && ((bits >> (f::kGlyphW - 1 - run_end)) & 1u)) ++run_end;
          const float x0 = gx(cx + col), x1 = gx(cx + run_end);
          add_point({x0, y0});
          add_point({x1, y0});
          add_point({x1, y1});
          add_point({x0, y1});
          close_contour();
          col = run_end;
        }
      }
    }
    fill(cmd.fill);
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
    const Color tint{0, 0, 0, static_cast<std::uint8_t>(alpha)};
    for (int y = by0; y < by1; ++y) {
      const float qy = static_cast<float>(y) + 0.5f - p0.y;
      const float qx0 = static_cast<float>(bx0) + 0.5f - p0.x;
      float u = du_dx * qx0 + du_dy * qy, v = dv_dx * qx0 + dv_dy * qy;
      std::uint8_t* row = img_.pixel(0, y);
      for (int x = bx0; x < bx1; ++x, u += du_dx, v += dv_dx) {
        if (!(u >= 0 && u < fgw && v >= 0 && v < fgh)) continue;
        const int cu = std::min(static_cast<int>(u), gw - 1), cv = std::min(static_cast<int>(v), gh - 1);
        const std::uint8_t* cell = bytes + (static_cast<std::size_t>(cv) * gw + cu) * ch;
        Color c = tint;
        if (ch == 3) c.r = cell[0], c.g = cell[1], c.b = cell[2];
        else c.r = c.g = c.b = cell[0];
        blend(row + 3 * x, c, alpha);
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
