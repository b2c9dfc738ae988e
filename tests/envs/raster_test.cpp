// The CPU rasterizer: coverage, winding, shapes, text, pixel grids, the
// camera, resizing, blending, and no heap allocation once warmed up.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <numbers>
#include <set>
#include <string>
#include <vector>

#include "envs/alloc_counter.h"
#include "envs/core/draw_list.h"
#include "envs/core/font5x7.h"
#include "envs/core/raster.h"

namespace arena {
namespace {

constexpr Color kWhite = Color::rgb(255, 255, 255);
constexpr Color kBlack = Color::rgb(0, 0, 0);
constexpr Color kRed = Color::rgb(255, 0, 0);
constexpr Color kBlue = Color::rgb(0, 0, 255);

Image render(const DrawList& list, int w, int h, bool aa = true) {
  Image img;
  RasterOptions o;
  o.antialias = aa;
  rasterize(list, w, h, img, o);
  return img;
}
Image render(const DrawList& list, bool aa = true) { return render(list, list.width(), list.height(), aa); }

bool is(const Image& img, int x, int y, Color c) {
  const std::uint8_t* p = img.pixel(x, y);
  return p[0] == c.r && p[1] == c.g && p[2] == c.b;
}
int count(const Image& img, Color c) {
  int n = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) n += is(img, x, y, c);
  return n;
}
// Fraction of black over white at a pixel (1 = black).
double ink(const Image& img, int x, int y) { return (255.0 - img.pixel(x, y)[0]) / 255.0; }
double total_ink(const Image& img) {
  double s = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) s += ink(img, x, y);
  return s;
}
// Pixels neither white nor black.
int intermediate(const Image& img) {
  return img.width * img.height - count(img, kWhite) - count(img, kBlack);
}
struct Box {
  int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;  // inclusive
  bool empty() const { return x1 < 0; }
};
Box ink_box(const Image& img) {
  Box b;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      if (!is(img, x, y, kWhite)) {
        b.x0 = std::min(b.x0, x), b.y0 = std::min(b.y0, y);
        b.x1 = std::max(b.x1, x), b.y1 = std::max(b.y1, y);
      }
  return b;
}

DrawList canvas(int w, int h, Color bg = kWhite) {
  DrawList d;
  d.clear(w, h, bg);
  return d;
}

TEST(Raster, BackgroundAndSize) {
  DrawList d = canvas(40, 30, Color::rgb(10, 20, 30));
  const Image img = render(d);
  ASSERT_EQ(img.width, 40);
  ASSERT_EQ(img.height, 30);
  ASSERT_EQ(img.rgb.size(), 40u * 30u * 3u);
  EXPECT_EQ(count(img, Color::rgb(10, 20, 30)), 40 * 30);
}

TEST(Raster, FilledSquareOnPixelBoundaries) {
  for (bool aa : {true, false}) {
    DrawList d = canvas(100, 100);
    d.rect(10, 20, 30, 50, kBlack, Color::none(), 0, Coords::Canvas);
    const Image img = render(d, aa);
    EXPECT_EQ(count(img, kBlack), 20 * 30) << "aa=" << aa;
    EXPECT_EQ(intermediate(img), 0) << "aa=" << aa;
    EXPECT_TRUE(is(img, 10, 20, kBlack));
    EXPECT_TRUE(is(img, 29, 49, kBlack));
    EXPECT_TRUE(is(img, 9, 20, kWhite));
    EXPECT_TRUE(is(img, 30, 20, kWhite));
    EXPECT_TRUE(is(img, 10, 50, kWhite));
  }
}

TEST(Raster, HalfCoveredEdgeIsGreyOnlyWithAntialiasing) {
  DrawList d = canvas(100, 100);
  d.rect(10.5f, 20, 30.5f, 40.25f, kBlack, Color::none(), 0, Coords::Canvas);
  const Image aa = render(d, true);
  // Left and right columns half covered, the bottom row a quarter.
  EXPECT_NEAR(ink(aa, 10, 30), 0.5, 0.01);
  EXPECT_NEAR(ink(aa, 30, 30), 0.5, 0.01);
  EXPECT_NEAR(ink(aa, 20, 40), 0.25, 0.01);
  EXPECT_NEAR(ink(aa, 10, 40), 0.125, 0.01);
  EXPECT_NEAR(ink(aa, 20, 30), 1.0, 1e-9);
  EXPECT_NEAR(total_ink(aa), 20 * 20.25, 0.5);
  const Image hard = render(d, false);
  EXPECT_EQ(intermediate(hard), 0);
  EXPECT_EQ(count(hard, kBlack), 20 * 20);  // centres in [10.5, 30.5) x [20, 40.25)
  EXPECT_TRUE(is(hard, 10, 30, kBlack));
  EXPECT_TRUE(is(hard, 30, 30, kWhite));
}

TEST(Raster, SlantedEdgeHasExactAreaCoverage) {
  // A right triangle over a 40x20 box: half the box.
  DrawList d = canvas(64, 64);
  const Vec2 tri[3] = {{10, 10}, {50, 10}, {10, 30}};
  d.polygon(tri, kBlack, Color::none(), 0, Coords::Canvas);
  EXPECT_NEAR(total_ink(render(d)), 400, 0.5);
  const Image hard = render(d, false);
  EXPECT_NEAR(count(hard, kBlack), 400, 25);
  EXPECT_EQ(intermediate(hard), 0);
}

TEST(Raster, ConcavePolygonLeavesItsNotchEmpty) {
  for (bool aa : {true, false}) {
    DrawList d = canvas(100, 100);
    const Vec2 l_shape[6] = {{10, 10}, {30, 10}, {30, 70}, {80, 70}, {80, 90}, {10, 90}};
    d.polygon(l_shape, kBlack, Color::none(), 0, Coords::Canvas);
    const Image img = render(d, aa);
    EXPECT_EQ(count(img, kBlack), 20 * 80 + 50 * 20) << "aa=" << aa;
    EXPECT_TRUE(is(img, 20, 20, kBlack));
    EXPECT_TRUE(is(img, 70, 80, kBlack));
    EXPECT_TRUE(is(img, 60, 40, kWhite));  // the notch
    EXPECT_TRUE(is(img, 31, 69, kWhite));
  }
}

TEST(Raster, NonZeroWindingFillsAStarsCentreAndCutsReversedHoles) {
  for (bool aa : {true, false}) {
    // Pentagram: the centre pentagon has winding number 2 and is filled
    // under the non-zero rule (even-odd would leave it empty).
    DrawList d = canvas(200, 200);
    Vec2 star[5];
    for (int i = 0; i < 5; ++i) {
      const float a = -std::numbers::pi_v<float> / 2 + static_cast<float>(i) * 4 * std::numbers::pi_v<float> / 5;
      star[i] = {100 + 90 * std::cos(a), 100 + 90 * std::sin(a)};
    }
    d.polygon(star, kBlack, Color::none(), 0, Coords::Canvas);
    Image img = render(d, aa);
    EXPECT_TRUE(is(img, 100, 100, kBlack)) << "aa=" << aa;
    EXPECT_TRUE(is(img, 100, 20, kBlack));   // inside the top point
    EXPECT_TRUE(is(img, 150, 40, kWhite));   // between two points
    EXPECT_TRUE(is(img, 100, 185, kWhite));  // below the centre, between the feet

    // A square with a square hole: outer and inner contours joined by a
    // bridge, inner reversed -> winding 0 in the hole. The same inner square
    // turned the same way -> winding 2 -> filled.
    DrawList h = canvas(100, 100);
    const Vec2 hole[10] = {{10, 10}, {90, 10}, {90, 90}, {10, 90}, {10, 10},
                           {30, 30}, {30, 70}, {70, 70}, {70, 30}, {30, 30}};
    h.polygon(hole, kBlack, Color::none(), 0, Coords::Canvas);
    img = render(h, aa);
    EXPECT_TRUE(is(img, 50, 50, kWhite)) << "aa=" << aa;
    EXPECT_TRUE(is(img, 20, 50, kBlack));
    EXPECT_EQ(count(img, kBlack), 80 * 80 - 40 * 40);
    DrawList s = canvas(100, 100);
    const Vec2 same[10] = {{10, 10}, {90, 10}, {90, 90}, {10, 90}, {10, 10},
                           {30, 30}, {70, 30}, {70, 70}, {30, 70}, {30, 30}};
    s.polygon(same, kBlack, Color::none(), 0, Coords::Canvas);
    img = render(s, aa);
    EXPECT_TRUE(is(img, 50, 50, kBlack)) << "aa=" << aa;
    EXPECT_EQ(count(img, kBlack), 80 * 80);
  }
}

TEST(Raster, CircleAreaIsPiRSquared) {
  for (float r : {3.5f, 12.0f, 40.0f, 91.0f}) {
    DrawList d = canvas(200, 200);
    d.circle({100.3f, 99.6f}, r, kBlack, Color::none(), 0, Coords::Canvas);
    const double area = std::numbers::pi * r * r;
    EXPECT_NEAR(total_ink(render(d, true)), area, area * 0.01) << "r=" << r;
    const Image hard = render(d, false);
    EXPECT_EQ(intermediate(hard), 0);
    EXPECT_NEAR(count(hard, kBlack), area, std::max(area * 0.01, 4.0)) << "r=" << r;
  }
}

TEST(Raster, CircleOutlineIsARing) {
  DrawList d = canvas(100, 100);
  d.circle({50, 50}, 30, Color::none(), kBlack, 4, Coords::Canvas);
  const Image img = render(d);
  EXPECT_TRUE(is(img, 50, 50, kWhite));
  EXPECT_TRUE(is(img, 80, 50, kBlack));
  EXPECT_TRUE(is(img, 50, 20, kBlack));
  EXPECT_TRUE(is(img, 50, 14, kWhite));
  const double ring = std::numbers::pi * (32.0 * 32.0 - 28.0 * 28.0);
  EXPECT_NEAR(total_ink(img), ring, ring * 0.01);
  // Filled and outlined: the outline is drawn over the fill.
  DrawList f = canvas(100, 100);
  f.circle({50, 50}, 30, kRed, kBlack, 4, Coords::Canvas);
  const Image both = render(f);
  EXPECT_TRUE(is(both, 50, 50, kRed));
  EXPECT_TRUE(is(both, 80, 50, kBlack));
}

TEST(Raster, LineWidthAndLength) {
  for (bool aa : {true, false}) {
    DrawList d = canvas(200, 100);
    d.line({20, 50}, {180, 50}, kBlack, 6, Coords::Canvas);
    const Image img = render(d, aa);
    int column = 0;
    for (int y = 0; y < 100; ++y) column += is(img, 100, y, kBlack);
    EXPECT_EQ(column, 6) << "aa=" << aa;
    EXPECT_TRUE(is(img, 100, 47, kBlack));
    EXPECT_TRUE(is(img, 100, 52, kBlack));
    EXPECT_TRUE(is(img, 100, 46, kWhite));
    EXPECT_TRUE(is(img, 100, 53, kWhite));
    EXPECT_TRUE(is(img, 19, 50, kWhite));  // butt ends
    EXPECT_TRUE(is(img, 180, 50, kWhite));
    EXPECT_NEAR(total_ink(img), 160 * 6, 1);
  }
  // A diagonal line covers length x width.
  DrawList d = canvas(200, 200);
  d.line({20, 30}, {170, 150}, kBlack, 3, Coords::Canvas);
  EXPECT_NEAR(total_ink(render(d)), std::hypot(150.0, 120.0) * 3, 2);
}

TEST(Raster, TranslucentStrokesCountTheirOverlapsOnce) {
  // A sharp V and a closed triangle: at the joins, quads and round joins
  // overlap; the stroke must still be one uniform layer of its colour.
  const Color half{0, 0, 0, 128};
  DrawList d = canvas(200, 200);
  const Vec2 v[3] = {{20, 20}, {100, 180}, {180, 20}};
  d.polyline(v, half, 12, false, Coords::Canvas);
  const Image img = render(d);
  const std::uint8_t mid = img.pixel(60, 100)[0];  // on the first segment's axis
  EXPECT_NEAR(mid, 127, 1);
  EXPECT_EQ(img.pixel(100, 176)[0], mid);  // at the vertex, inside the join
  EXPECT_EQ(img.pixel(100, 183)[0], mid);  // in the round join's outer part
  EXPECT_TRUE(is(img, 100, 150, kWhite));  // inside the V
  for (int y = 0; y < 200; ++y)
    for (int x = 0; x < 200; ++x) ASSERT_GE(img.pixel(x, y)[0], mid) << x << "," << y;

  // A line crossing itself, and a long wavy one: one layer everywhere.
  DrawList x = canvas(200, 200);
  const Vec2 bow[4] = {{20, 20}, {180, 180}, {180, 20}, {20, 180}};
  x.polyline(bow, half, 10, true, Coords::Canvas);
  std::vector<Vec2> wave;
  for (int i = 0; i <= 60; ++i)
    wave.push_back({10 + 3.0f * static_cast<float>(i), 100 + 40 * std::sin(0.25f * static_cast<float>(i))});
  x.polyline(wave, half, 6, false, Coords::Canvas);
  const Image xi = render(x);
  for (int y = 0; y < 200; ++y)
    for (int x0 = 0; x0 < 200; ++x0) {
      // Where the bow and the wave cross, two layers: (0.5 over 0.5) -> 63.
      ASSERT_GE(xi.pixel(x0, y)[0], 62) << x0 << "," << y;
    }
  EXPECT_EQ(xi.pixel(100, 100)[0], mid);  // the bow's crossing (the wave passes at y = 100 + 40 sin 7.5)
  EXPECT_EQ(xi.pixel(20, 60)[0], mid);   // the closing edge of the bow
}

TEST(Raster, ClosedPolylineJoinsLastToFirst) {
  const Vec2 tri[3] = {{20, 20}, {80, 20}, {50, 80}};
  DrawList open = canvas(100, 100), closed = canvas(100, 100);
  open.polyline(tri, kBlack, 2, false, Coords::Canvas);
  closed.polyline(tri, kBlack, 2, true, Coords::Canvas);
  const Image a = render(open), b = render(closed);
  // The closing edge runs from (50, 80) to (20, 20): its midpoint is (35, 50).
  EXPECT_TRUE(is(a, 35, 50, kWhite));
  EXPECT_GT(ink(b, 35, 50), 0.5);
  EXPECT_GT(ink(a, 50, 20), 0.5);
  EXPECT_GT(ink(b, 50, 20), 0.5);
  EXPECT_TRUE(is(b, 50, 40, kWhite));  // outlines are not filled
}

TEST(Raster, PolygonOutlineIsCentredOnTheEdges) {
  DrawList d = canvas(100, 100);
  d.rect(20, 20, 80, 80, Color::none(), kBlack, 4, Coords::Canvas);
  const Image img = render(d);
  EXPECT_TRUE(is(img, 18, 50, kBlack));
  EXPECT_TRUE(is(img, 21, 50, kBlack));
  EXPECT_TRUE(is(img, 17, 50, kWhite));
  EXPECT_TRUE(is(img, 22, 50, kWhite));
  EXPECT_TRUE(is(img, 50, 50, kWhite));
  // Corners are joined (round): no notch at the outer corner.
  EXPECT_TRUE(is(img, 19, 19, kBlack));
  EXPECT_TRUE(is(img, 80, 80, kBlack));
}

TEST(Raster, AlphaBlendsOver) {
  DrawList d = canvas(50, 50);
  d.rect(0, 0, 30, 30, Color{255, 0, 0, 128}, Color::none(), 0, Coords::Canvas);
  d.rect(20, 20, 50, 50, Color{0, 0, 255, 128}, Color::none(), 0, Coords::Canvas);
  const Image img = render(d);
  const std::uint8_t* red = img.pixel(10, 10);
  EXPECT_EQ(red[0], 255);
  EXPECT_NEAR(red[1], 127, 1);
  EXPECT_NEAR(red[2], 127, 1);
  const std::uint8_t* both = img.pixel(25, 25);  // blue over (red over white)
  EXPECT_NEAR(both[0], 127, 1);
  EXPECT_NEAR(both[1], 63, 1);
  EXPECT_NEAR(both[2], 191, 1);
  // Later commands draw over earlier ones.
  DrawList o = canvas(50, 50);
  o.rect(0, 0, 30, 30, kRed, Color::none(), 0, Coords::Canvas);
  o.rect(20, 20, 50, 50, kBlue, Color::none(), 0, Coords::Canvas);
  EXPECT_TRUE(is(render(o), 25, 25, kBlue));
  // Fully transparent draws nothing.
  DrawList t = canvas(50, 50);
  t.rect(0, 0, 50, 50, Color{0, 0, 0, 0}, Color::none(), 0, Coords::Canvas);
  EXPECT_EQ(count(render(t), kWhite), 2500);
}

// A small dot at world point `p`; returns the canvas position where the
// rasterized dot's centre of mass lies.
Vec2 dot_at(const Camera& cam, Vec2 p) {
  DrawList d = canvas(200, 100);
  d.camera = cam;
  d.circle(p, 2.0f / cam.scale, kBlack);  // 2 canvas pixels, whatever the scale
  const Image img = render(d);
  double sx = 0, sy = 0, s = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      const double w = ink(img, x, y);
      sx += w * (x + 0.5), sy += w * (y + 0.5), s += w;
    }
  if (s == 0) return {-1, -1};
  return {static_cast<float>(sx / s), static_cast<float>(sy / s)};
}

TEST(Raster, CameraMapsWorldPoints) {
  Camera cam;
  cam.center = {5, 5};
  cam.scale = 20;
  cam.y_up = true;
  auto near = [](Vec2 a, Vec2 b) { return std::fabs(a.x - b.x) < 0.05f && std::fabs(a.y - b.y) < 0.05f; };
  Vec2 p = dot_at(cam, {5, 5});
  EXPECT_TRUE(near(p, {100, 50})) << p.x << "," << p.y;
  p = dot_at(cam, {6, 5});
  EXPECT_TRUE(near(p, {120, 50})) << p.x << "," << p.y;
  p = dot_at(cam, {5, 6});  // y up: higher on screen
  EXPECT_TRUE(near(p, {100, 30})) << p.x << "," << p.y;
  cam.y_up = false;
  p = dot_at(cam, {5, 6});
  EXPECT_TRUE(near(p, {100, 70})) << p.x << "," << p.y;
  // Turning the view counter-clockwise by 90 degrees turns the world
  // clockwise: world +x points down the screen.
  cam.y_up = true;
  cam.rotation = std::numbers::pi_v<float> / 2;
  p = dot_at(cam, {6, 5});
  EXPECT_TRUE(near(p, {100, 70})) << p.x << "," << p.y;
  p = dot_at(cam, {5, 6});
  EXPECT_TRUE(near(p, {120, 50})) << p.x << "," << p.y;
  // A centre far from the origin keeps its precision.
  cam.rotation = 0;
  cam.center = {10000, -5000};
  p = dot_at(cam, {10001, -5000});
  EXPECT_TRUE(near(p, {120, 50})) << p.x << "," << p.y;
  p = dot_at(cam, {10000, -4998});
  EXPECT_TRUE(near(p, {100, 10})) << p.x << "," << p.y;
  cam.center = {5, 5};
  cam.rotation = std::numbers::pi_v<float> / 2;
  // Radii scale with the camera.
  DrawList d = canvas(200, 100);
  d.camera = cam;
  d.circle({5, 5}, 1.5f, kBlack);  // 30 canvas pixels
  const double area = std::numbers::pi * 30 * 30;
  EXPECT_NEAR(total_ink(render(d)), area, area * 0.01);
}

TEST(Raster, PixelGridCellsLandWhereTheyShould) {
  // 3x2 RGB grid in canvas coordinates, stretched over 60x40: cells of 20x20.
  const std::uint8_t rgb[3 * 2 * 3] = {255, 0, 0,  0, 255, 0,  0, 0, 255,
                                       10, 10, 10, 20, 20, 20, 30, 30, 30};
  for (bool aa : {true, false}) {
    DrawList d = canvas(100, 100);
    d.pixels({10, 10}, {60, 40}, 3, 2, 3, rgb, Coords::Canvas);
    const Image img = render(d, aa);
    EXPECT_TRUE(is(img, 10, 10, kRed));
    EXPECT_TRUE(is(img, 29, 29, kRed));
    EXPECT_TRUE(is(img, 30, 10, Color::rgb(0, 255, 0)));
    EXPECT_TRUE(is(img, 69, 10, kBlue));
    EXPECT_TRUE(is(img, 69, 49, Color::rgb(30, 30, 30)));
    EXPECT_TRUE(is(img, 9, 10, kWhite));
    EXPECT_TRUE(is(img, 70, 10, kWhite));
    EXPECT_TRUE(is(img, 10, 50, kWhite));
    EXPECT_EQ(count(img, kWhite), 100 * 100 - 60 * 40);
  }
  // One grey channel.
  const std::uint8_t grey[2] = {0, 200};
  DrawList g = canvas(10, 10);
  g.pixels({0, 0}, {10, 10}, 2, 1, 1, grey, Coords::Canvas);
  const Image gi = render(g);
  EXPECT_TRUE(is(gi, 0, 0, kBlack));
  EXPECT_TRUE(is(gi, 9, 9, Color::rgb(200, 200, 200)));
}

TEST(Raster, PixelGridTurnsWithTheCamera) {
  // World grid: left cell red, right cell blue, over x in [-2, 2], y in [-1, 1]
  // (top-left corner (-2, 1): rows run down the screen, -y with y up).
  const std::uint8_t rgb[6] = {255, 0, 0, 0, 0, 255};
  DrawList d = canvas(100, 100);
  d.camera.center = {0, 0};
  d.camera.scale = 10;
  d.pixels({-2, 1}, {4, 2}, 2, 1, 3, rgb);
  Image img = render(d);
  EXPECT_TRUE(is(img, 35, 50, kRed));  // world (-1.5, 0)
  EXPECT_TRUE(is(img, 65, 45, kBlue));
  EXPECT_EQ(count(img, kRed), 20 * 20);
  EXPECT_EQ(count(img, kBlue), 20 * 20);
  // Turned by 90 degrees: world +x points down, so red is above blue.
  d.camera.rotation = std::numbers::pi_v<float> / 2;
  img = render(d);
  EXPECT_TRUE(is(img, 50, 35, kRed));
  EXPECT_TRUE(is(img, 50, 65, kBlue));
  EXPECT_TRUE(is(img, 35, 50, kWhite));  // the grid is now 20 wide, 40 tall
  EXPECT_EQ(count(img, kRed), 20 * 20);
  EXPECT_EQ(count(img, kBlue), 20 * 20);
  // 45 degrees: a diamond; its corners follow the rotation.
  d.camera.rotation = std::numbers::pi_v<float> / 4;
  img = render(d);
  EXPECT_NEAR(count(img, kRed), 400, 20);
  EXPECT_NEAR(count(img, kBlue), 400, 20);
  const float c = std::cos(std::numbers::pi_v<float> / 4);
  // World (1.5, 0) -> canvas (50 + 15c, 50 + 15c); world (-1.5, 0) mirrored.
  EXPECT_TRUE(is(img, static_cast<int>(50 + 15 * c), static_cast<int>(50 + 15 * c), kBlue));
  EXPECT_TRUE(is(img, static_cast<int>(50 - 15 * c), static_cast<int>(50 - 15 * c), kRed));
}

TEST(Raster, TextRendersInsideItsBox) {
  namespace f = font5x7;
  DrawList d = canvas(200, 60);
  d.text({10, 10}, "Hello", 20, kBlack);  // font pixel = 2 canvas pixels
  const Image img = render(d);
  const Box b = ink_box(img);
  ASSERT_FALSE(b.empty());
  EXPECT_GE(b.x0, 10);
  EXPECT_GE(b.y0, 10);
  EXPECT_LE(b.x1, 10 + (5 * f::kCellW - 1) * 2 - 1);  // 29 font columns
  EXPECT_LE(b.y1, 10 + f::kGlyphH * 2 - 1);
  EXPECT_EQ(b.x0, 10);  // 'H' starts in the first column and row
  EXPECT_EQ(b.y0, 10);
  EXPECT_EQ(intermediate(img), 0);  // whole font pixels land on whole pixels
  // 'H': left stem lit over 7 rows (14 pixels), middle bar at row 3.
  for (int y = 10; y < 24; ++y) EXPECT_TRUE(is(img, 10, y, kBlack)) << y;
  EXPECT_TRUE(is(img, 14, 16, kBlack));
  EXPECT_TRUE(is(img, 14, 12, kWhite));
  // Different strings render differently; the same string the same.
  DrawList e = canvas(200, 60);
  e.text({10, 10}, "Hellp", 20, kBlack);
  EXPECT_NE(render(e).rgb, img.rgb);
  DrawList same = canvas(200, 60);
  same.text({10, 10}, "Hello", 20, kBlack);
  EXPECT_EQ(render(same).rgb, img.rgb);
}

TEST(Raster, TextAlignsAtTheAnchor) {
  for (auto [align, expect_x0] : {std::pair{TextAlign::Left, 100}, std::pair{TextAlign::Center, 100 - 29},
                                  std::pair{TextAlign::Right, 100 - 58}}) {
    DrawList d = canvas(200, 60);
    d.text({100, 5}, "MMMMM", 20, kBlack, align);  // 29 font columns, 58 pixels
    const Box b = ink_box(render(d));
    EXPECT_EQ(b.x0, expect_x0);
    EXPECT_EQ(b.x1, expect_x0 + 57);
    EXPECT_EQ(b.y0, 5);
  }
  // Small and non-integer sizes still draw, inside the box.
  DrawList d = canvas(200, 60);
  d.text({50.3f, 7.7f}, "abc", 7.3f, kBlack);
  const Box b = ink_box(render(d));
  ASSERT_FALSE(b.empty());
  EXPECT_GE(b.x0, 50);
  EXPECT_LE(b.x1, static_cast<int>(50.3f + 17 * 0.73f));
  EXPECT_GE(b.y0, 7);
  EXPECT_LE(b.y1, static_cast<int>(7.7f + 9 * 0.73f));
}

TEST(Raster, FontCoversPrintableAscii) {
  namespace f = font5x7;
  std::set<std::vector<std::uint8_t>> seen;
  for (int c = 33; c <= 126; ++c) {
    const f::Glyph& g = f::glyph_for(static_cast<char>(c));
    std::vector<std::uint8_t> rows(g.rows.begin(), g.rows.end());
    int lit = 0;
    for (std::uint8_t r : rows) lit += __builtin_popcount(r);
    EXPECT_GT(lit, 0) << "glyph " << static_cast<char>(c);
    EXPECT_TRUE(seen.insert(rows).second) << "glyph " << static_cast<char>(c) << " repeats another";
  }
  EXPECT_EQ(&f::glyph_for('\x7f'), &f::glyph_for('?'));
  // Every glyph renders.
  std::string all;
  for (int c = 32; c <= 126; ++c) all.push_back(static_cast<char>(c));
  DrawList d = canvas(95 * 6 + 10, 20);
  d.text({5, 5}, all, 10, kBlack);
  for (bool aa : {true, false}) {
    const Image img = render(d, aa);
    for (int i = 1; i < 95; ++i) {
      bool any = false;
      for (int y = 0; y < 20; ++y)
        for (int x = 5 + 6 * i; x < 5 + 6 * i + 5; ++x) any = any || !is(img, x, y, kWhite);
      EXPECT_TRUE(any) << "char " << all[static_cast<std::size_t>(i)] << " aa=" << aa;
    }
  }
}

TEST(Raster, CanvasStretchesToTheOutputSize) {
  DrawList d = canvas(600, 400);
  d.rect(100, 100, 300, 200, kBlack, Color::none(), 0, Coords::Canvas);
  d.line({100, 300}, {500, 300}, kRed, 10, Coords::Canvas);
  for (bool aa : {true, false}) {
    const Image base = render(d, 600, 400, aa);
    const Image big = render(d, 1200, 800, aa);
    const Image small = render(d, 96, 96, aa);
    EXPECT_EQ(count(base, kBlack), 200 * 100);
    EXPECT_EQ(count(big, kBlack), 400 * 200);
    // 96x96: x scale 0.16, y scale 0.24 -> (16, 24)-(48, 48).
    EXPECT_EQ(count(small, kBlack), 32 * 24);
    EXPECT_TRUE(is(small, 16, 24, kBlack));
    EXPECT_TRUE(is(small, 47, 47, kBlack));
    // The line's width scales too (10 -> 20 pixels).
    int column = 0;
    for (int y = 0; y < 800; ++y) column += is(big, 600, y, kRed);
    EXPECT_EQ(column, 20);
    EXPECT_TRUE(is(big, 600, 590, kRed));
    EXPECT_TRUE(is(big, 600, 609, kRed));
  }
  // A circle becomes an ellipse when the stretch is uneven: its area scales
  // by 0.16 * 0.24.
  DrawList c = canvas(600, 400);
  c.circle({300, 200}, 100, kBlack, Color::none(), 0, Coords::Canvas);
  const double area = std::numbers::pi * 100 * 100 * 0.16 * 0.24;
  EXPECT_NEAR(total_ink(render(c, 96, 96)), area, area * 0.01);
}

TEST(Raster, ThinLinesFadeInsteadOfVanishing) {
  DrawList d = canvas(600, 400);
  d.line({0, 200}, {600, 200}, kBlack, 2, Coords::Canvas);
  const Image small = render(d, 96, 96);  // 0.48 output pixels wide
  EXPECT_NEAR(total_ink(small), 96 * 0.48, 1);
  // Without antialiasing: at least one pixel wide (at most two: the
  // widening follows the smaller of the two stretch factors).
  const Image hard = render(d, 96, 96, false);
  for (int x = 0; x < 96; ++x) {
    int column = 0;
    for (int y = 0; y < 96; ++y) column += is(hard, x, y, kBlack);
    EXPECT_GE(column, 1);
    EXPECT_LE(column, 2);
  }
  DrawList v = canvas(600, 400);
  v.line({300, 0}, {300, 400}, kBlack, 2, Coords::Canvas);
  const Image vert = render(v, 96, 96, false);
  for (int y = 0; y < 96; ++y) {
    int row = 0;
    for (int x = 0; x < 96; ++x) row += is(vert, x, y, kBlack);
    EXPECT_EQ(row, 1);
  }
}

TEST(Raster, ShapesOffTheImageAreClipped) {
  for (bool aa : {true, false}) {
    DrawList d = canvas(50, 50);
    d.rect(-100, -100, 20, 20, kBlack, Color::none(), 0, Coords::Canvas);
    d.circle({100, 25}, 60, kBlack, Color::none(), 0, Coords::Canvas);  // covers x >= 40
    d.rect(1e9f, 1e9f, 2e9f, 2e9f, kRed, Color::none(), 0, Coords::Canvas);
    d.rect(-1e30f, 30, 1e30f, 31, kBlack, Color::none(), 0, Coords::Canvas);
    const Vec2 nan_poly[3] = {{0, 0}, {std::nanf(""), 10}, {10, 10}};
    d.polygon(nan_poly, kRed, Color::none(), 0, Coords::Canvas);
    d.line({-1000, 45}, {1000, 45}, kBlack, 2, Coords::Canvas);
    d.text({-500, 0}, "off the image", 12, kRed);
    const Image img = render(d, aa);
    EXPECT_TRUE(is(img, 0, 0, kBlack));
    EXPECT_TRUE(is(img, 19, 19, kBlack));
    EXPECT_TRUE(is(img, 20, 20, kWhite));
    EXPECT_TRUE(is(img, 49, 25, kBlack));
    EXPECT_TRUE(is(img, 25, 30, kBlack));
    EXPECT_TRUE(is(img, 25, 45, kBlack));
    EXPECT_EQ(count(img, kRed), 0);
  }
  // Degenerate inputs draw nothing and do not crash.
  DrawList d = canvas(20, 20);
  const Vec2 one[1] = {{5, 5}};
  d.polygon(one, kBlack, kBlack, 1, Coords::Canvas);
  d.polyline(one, kBlack, 1, false, Coords::Canvas);
  d.circle({5, 5}, 0, kBlack, kBlack, 1, Coords::Canvas);
  d.text({5, 5}, "", 10, kBlack);
  d.line({5, 5}, {5, 5}, kBlack, 2, Coords::Canvas);
  EXPECT_EQ(count(render(d), kWhite), 400);
  Image empty;
  rasterize(d, 0, 0, empty);
  EXPECT_EQ(empty.rgb.size(), 0u);
}

// Antialiased coverage against a reference: the same list drawn without
// antialiasing at 16x the size, averaged over 16x16 blocks.
struct CoverageError {
  double max = 0, mean = 0;
  int over_tenth = 0;  // pixels off by more than 0.1
};
CoverageError compare_with_supersampling(const DrawList& d) {
  const int w = d.width(), h = d.height(), k = 16;
  const Image aa = render(d, w, h, true);
  const Image big = render(d, w * k, h * k, false);
  CoverageError e;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double ref = 0;
      for (int j = 0; j < k; ++j)
        for (int i = 0; i < k; ++i) ref += ink(big, x * k + i, y * k + j);
      const double err = std::fabs(ref / (k * k) - ink(aa, x, y));
      e.max = std::max(e.max, err);
      e.mean += err;
      e.over_tenth += err > 0.1;
    }
  e.mean /= w * h;
  return e;
}

TEST(Raster, AntialiasedCoverageMatchesSupersampling) {
  std::uint64_t state = 12345;
  auto rnd = [&state](float lo, float hi) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * static_cast<float>(state >> 40) / static_cast<float>(1ull << 24);
  };
  for (int trial = 0; trial < 12; ++trial) {
    // A random star-shaped (simple, mostly concave) polygon.
    DrawList d = canvas(48, 40);
    Vec2 pts[9];
    const float cx = rnd(15, 33), cy = rnd(12, 28);
    for (int i = 0; i < 9; ++i) {
      const float a = static_cast<float>(i) * 2 * std::numbers::pi_v<float> / 9, r = rnd(4, 18);
      pts[i] = {cx + r * std::cos(a), cy + r * std::sin(a)};
    }
    d.polygon(pts, kBlack, Color::none(), 0, Coords::Canvas);
    CoverageError e = compare_with_supersampling(d);
    EXPECT_LT(e.max, 0.05) << "polygon, trial " << trial;
    EXPECT_EQ(e.over_tenth, 0) << "polygon, trial " << trial;
    EXPECT_LT(e.mean, 0.002) << "polygon, trial " << trial;
    // A circle and a ring.
    DrawList c = canvas(48, 40);
    c.circle({rnd(15, 33), rnd(15, 25)}, rnd(2, 14), kBlack, Color::none(), 0, Coords::Canvas);
    e = compare_with_supersampling(c);
    EXPECT_LT(e.max, 0.08) << "circle, trial " << trial;
    DrawList r = canvas(48, 40);
    r.circle({rnd(15, 33), rnd(15, 25)}, rnd(6, 14), Color::none(), kBlack, rnd(1, 4), Coords::Canvas);
    e = compare_with_supersampling(r);
    EXPECT_LT(e.max, 0.08) << "ring, trial " << trial;
    // A polyline with sharp turns. Where its adjacent pieces overlap inside
    // a sharp turn, the pixel at the inner corner is overestimated; lines
    // that cross themselves are sampled on kSubRows lines per pixel row.
    DrawList l = canvas(48, 40);
    Vec2 path[5];
    for (Vec2& p : path) p = {rnd(5, 43), rnd(5, 35)};
    l.polyline(path, kBlack, rnd(1.5f, 5), trial % 2 == 0, Coords::Canvas);
    e = compare_with_supersampling(l);
    EXPECT_LT(e.max, 0.35) << "polyline, trial " << trial;
    EXPECT_LE(e.over_tenth, 4) << "polyline, trial " << trial;
    EXPECT_LT(e.mean, 0.005) << "polyline, trial " << trial;
  }
}

DrawList busy_scene() {
  DrawList d = canvas(600, 400, Color::rgb(200, 220, 255));
  d.camera.center = {0, 0};
  d.camera.scale = 40;
  d.camera.rotation = 0.3f;
  for (int i = 0; i < 6; ++i) {
    const float x = -6 + 2.2f * static_cast<float>(i);
    d.rect(x, -3, x + 1, -2 + 0.3f * static_cast<float>(i), Color::rgb(30, 40 * i, 90), kBlack, 1.5f);
    d.circle({x + 0.5f, 2}, 0.4f + 0.1f * static_cast<float>(i), Color{200, 50, 50, 180}, kBlack, 2);
  }
  const Vec2 path[5] = {{-6, 0}, {-3, 1}, {0, -0.5f}, {3, 1.2f}, {6, 0}};
  d.polyline(path, Color::rgb(0, 120, 0), 3);
  const Vec2 star[5] = {{0, 3}, {1, 0}, {-1.5f, 2}, {1.5f, 2}, {-1, 0}};
  d.polygon(star, Color::rgb(250, 200, 0), Color::rgb(90, 60, 0), 2);
  const std::uint8_t grid[4 * 4] = {0, 50, 100, 150, 200, 250, 0, 50, 100, 150, 200, 250, 0, 50, 100, 150};
  d.pixels({4, -1}, {2, 2}, 4, 4, 1, grid);
  d.text({10, 10}, "Score: 42", 20, kBlack);
  d.text({590, 380}, "step 1000", 12, kBlack, TextAlign::Right);
  return d;
}

TEST(Raster, SecondRasterizeOfTheSameListDoesNotAllocate) {
  const DrawList d = busy_scene();
  ASSERT_GE(d.commands().size(), 15u);
  for (auto [w, h] : {std::pair{96, 96}, std::pair{600, 400}, std::pair{1200, 800}}) {
    for (bool aa : {true, false}) {
      Image img;
      RasterOptions o;
      o.antialias = aa;
      rasterize(d, w, h, img, o);
      test::AllocCounter counter;
      rasterize(d, w, h, img, o);
      rasterize(d, w, h, img, o);
      counter.stop();
      EXPECT_EQ(counter.allocations(), 0) << w << "x" << h << " aa=" << aa;
    }
  }
  // The counter does count.
  test::AllocCounter counter;
  auto* p = new std::vector<int>(10);
  delete p;
  counter.stop();
  EXPECT_GE(counter.allocations(), 2);
}

TEST(Raster, IsDeterministic) {
  const DrawList d = busy_scene();
  const Image a = render(d, 300, 200), b = render(d, 300, 200);
  EXPECT_EQ(a.rgb, b.rgb);
  EXPECT_NE(count(a, Color::rgb(200, 220, 255)), 300 * 200);
}

}  // namespace
}  // namespace arena
