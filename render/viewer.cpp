// The SFML viewer. A draw list becomes triangles (one reused vertex array,
// flushed when a text or a pixel grid comes between), text becomes sf::Text
// in DejaVu Sans, pixel grids become textured quads. Coordinates are mapped
// to window pixels here (not by an sf::View scale), so that line widths and
// text sizes come out in whole window pixels; an sf::View per region clips
// the drawing to its rectangle.
#include "render/viewer.h"

#include <SFML/Graphics.hpp>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <iterator>
#include <numbers>

namespace arena {

namespace {

sf::Color to_sf(Color c) { return {c.r, c.g, c.b, c.a}; }

struct RectF {
  float x, y, w, h;
};

std::optional<Key> from_sf(sf::Keyboard::Key k) {
  using K = sf::Keyboard;
  switch (k) {
    case K::Left: return Key::Left;
    case K::Right: return Key::Right;
    case K::Up: return Key::Up;
    case K::Down: return Key::Down;
    case K::Space: return Key::Space;
    case K::Enter: return Key::Enter;
    case K::Period: return Key::Period;
    case K::Add:
    case K::Equal: return Key::Plus;
    case K::Subtract:
    case K::Hyphen: return Key::Minus;
    case K::A: return Key::A;
    case K::D: return Key::D;
    case K::H: return Key::H;
    case K::P: return Key::P;
    case K::Q: return Key::Q;
    case K::R: return Key::R;
    case K::S: return Key::S;
    case K::W: return Key::W;
    case K::Escape: return Key::Escape;
    default: break;
  }
  if (k >= K::Num0 && k <= K::Num9) return static_cast<Key>(static_cast<int>(Key::Num0) + (k - K::Num0));
  if (k >= K::Numpad0 && k <= K::Numpad9) return static_cast<Key>(static_cast<int>(Key::Num0) + (k - K::Numpad0));
  return std::nullopt;
}

// Draws DrawLists onto an SFML target. Its buffers only grow, so drawing a
// frame like the previous one does not allocate.
class ListDrawer {
 public:
  explicit ListDrawer(const sf::Font& font) : font_(font) {}

  void draw(sf::RenderTarget& target, const DrawList& list, RectF r) {
    if (list.width() <= 0 || list.height() <= 0 || r.w <= 0 || r.h <= 0) return;
    const sf::Vector2u size = target.getSize();
    sf::View view(sf::FloatRect(r.x, r.y, r.w, r.h));
    view.setViewport(sf::FloatRect(r.x / static_cast<float>(size.x), r.y / static_cast<float>(size.y),
                                   r.w / static_cast<float>(size.x), r.h / static_cast<float>(size.y)));
    target.setView(view);
    list_ = &list;
    r_ = r;
    sx_ = r.w / static_cast<float>(list.width());
    sy_ = r.h / static_cast<float>(list.height());
    texts_used_ = 0;
    textures_used_ = 0;
    tris_.clear();
    if (list.background().visible())
      quad({r.x, r.y}, {r.x + r.w, r.y}, {r.x + r.w, r.y + r.h}, {r.x, r.y + r.h}, to_sf(list.background()));
    for (const DrawCmd& c : list.commands()) {
      switch (c.shape) {
        case Shape::Polygon: polygon(c); break;
        case Shape::Polyline: polyline(c); break;
        case Shape::Circle: circle(c); break;
        case Shape::Text:
          flush(target);
          text(target, c);
          break;
        case Shape::Pixels:
          flush(target);
          pixels(target, c);
          break;
      }
    }
    flush(target);
  }

 private:
  sf::Vector2f map(Vec2 p, Coords coords) const {
    const Vec2 c = list_->to_canvas(p, coords);
    return {r_.x + c.x * sx_, r_.y + c.y * sy_};
  }
  float px_scale() const { return std::sqrt(sx_ * sy_); }

  void flush(sf::RenderTarget& target) {
    if (tris_.empty()) return;
    target.draw(tris_.data(), tris_.size(), sf::Triangles);
    tris_.clear();
  }
  void tri(sf::Vector2f a, sf::Vector2f b, sf::Vector2f c, sf::Color col) {
    tris_.emplace_back(a, col);
    tris_.emplace_back(b, col);
    tris_.emplace_back(c, col);
  }
  void quad(sf::Vector2f a, sf::Vector2f b, sf::Vector2f c, sf::Vector2f d, sf::Color col) {
    tri(a, b, c, col);
    tri(a, c, d, col);
  }

  static float cross(sf::Vector2f o, sf::Vector2f a, sf::Vector2f b) {
    return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
  }

  // Fills pts_ (a simple polygon): a fan when convex, ear clipping otherwise
  // (a fan again if the polygon is not simple).
  void fill_polygon(sf::Color col) {
    const std::size_t n = pts_.size();
    if (n < 3) return;
    float area = 0;
    bool pos = false, neg = false;
    for (std::size_t i = 0; i < n; ++i) {
      const sf::Vector2f a = pts_[i], b = pts_[(i + 1) % n], c = pts_[(i + 2) % n];
      area += a.x * b.y - b.x * a.y;
      const float k = cross(a, b, c);
      pos |= k > 1e-6f;
      neg |= k < -1e-6f;
    }
    if (!(pos && neg)) {
      for (std::size_t i = 1; i + 1 < n; ++i) tri(pts_[0], pts_[i], pts_[i + 1], col);
      return;
    }
    const float orient = area > 0 ? 1.0f : -1.0f;
    idx_.resize(n);
    for (std::size_t i = 0; i < n; ++i) idx_[i] = static_cast<std::uint32_t>(i);
    const std::size_t mark = tris_.size();
    while (idx_.size() > 3) {
      bool found = false;
      const std::size_t m = idx_.size();
      for (std::size_t i = 0; i < m && !found; ++i) {
        const sf::Vector2f a = pts_[idx_[(i + m - 1) % m]], b = pts_[idx_[i]], c = pts_[idx_[(i + 1) % m]];
        if (cross(a, b, c) * orient <= 0) continue;  // reflex or flat
        bool inside = false;
        for (std::size_t j = 0; j < m && !inside; ++j) {
          if (j == i || j == (i + m - 1) % m || j == (i + 1) % m) continue;
          const sf::Vector2f p = pts_[idx_[j]];
          inside = cross(a, b, p) * orient >= 0 && cross(b, c, p) * orient >= 0 && cross(c, a, p) * orient >= 0;
        }
        if (inside) continue;
        tri(a, b, c, col);
        idx_.erase(idx_.begin() + static_cast<std::ptrdiff_t>(i));
        found = true;
      }
      if (!found) {  // not simple: a fan is the best guess
        tris_.resize(mark);
        for (std::size_t i = 1; i + 1 < n; ++i) tri(pts_[0], pts_[i], pts_[i + 1], col);
        return;
      }
    }
    tri(pts_[idx_[0]], pts_[idx_[1]], pts_[idx_[2]], col);
  }

  // A line through pts_, `w` window pixels wide, with round joins.
  void stroke(float w, sf::Color col, bool closed) {
    const std::size_t n = pts_.size();
    if (n < 2 || !(w > 0)) return;
    if (w < 1) {  // hairline: one pixel, fainter (as the CPU rasterizer does)
      col.a = static_cast<sf::Uint8>(std::lround(col.a * w));
      w = 1;
    }
    const float hw = w / 2;
    const std::size_t segs = closed && n > 2 ? n : n - 1;
    for (std::size_t i = 0; i < segs; ++i) {
      const sf::Vector2f a = pts_[i], b = pts_[(i + 1) % n];
      const float dx = b.x - a.x, dy = b.y - a.y, len = std::sqrt(dx * dx + dy * dy);
      if (!(len > 1e-6f)) continue;
      const sf::Vector2f nrm{-dy / len * hw, dx / len * hw};
      quad(a + nrm, b + nrm, b - nrm, a - nrm, col);
    }
    if (w > 2) {
      const std::size_t first = closed ? 0 : 1, last = closed ? n : n - 1;
      for (std::size_t i = first; i < last; ++i) disc(pts_[i], hw, hw, col);
    }
  }

  void disc(sf::Vector2f c, float rx, float ry, sf::Color col) {
    const int n = segments(std::max(rx, ry));
    const float step = 2 * std::numbers::pi_v<float> / static_cast<float>(n);
    sf::Vector2f prev{c.x + rx, c.y};
    for (int i = 1; i <= n; ++i) {
      const float a = step * static_cast<float>(i);
      const sf::Vector2f p{c.x + rx * std::cos(a), c.y + ry * std::sin(a)};
      tri(c, prev, p, col);
      prev = p;
    }
  }
  static int segments(float r) {
    if (!(r > 0.5f)) return 8;
    return std::clamp(
        static_cast<int>(std::ceil(std::numbers::pi_v<float> / std::acos(1 - 0.25f / std::max(r, 0.25f)))), 8, 128);
  }

  void polygon(const DrawCmd& c) {
    pts_.clear();
    for (Vec2 p : list_->points(c)) pts_.push_back(map(p, c.coords));
    if (c.fill.visible()) fill_polygon(to_sf(c.fill));
    if (c.stroke.visible() && c.stroke_width > 0) stroke(c.stroke_width * px_scale(), to_sf(c.stroke), true);
  }

  void polyline(const DrawCmd& c) {
    pts_.clear();
    for (Vec2 p : list_->points(c)) pts_.push_back(map(p, c.coords));
    if (c.stroke.visible()) stroke(c.stroke_width * px_scale(), to_sf(c.stroke), c.closed);
  }

  void circle(const DrawCmd& c) {
    const sf::Vector2f ctr = map(c.pos, c.coords);
    const float r = c.size.x * list_->scale_of(c.coords);
    const float rx = r * sx_, ry = r * sy_;
    if (c.fill.visible()) disc(ctr, rx, ry, to_sf(c.fill));
    if (c.stroke.visible() && c.stroke_width > 0) {
      const float hw = c.stroke_width * px_scale() / 2;
      const float ox = rx + hw, oy = ry + hw, ix = std::max(0.0f, rx - hw), iy = std::max(0.0f, ry - hw);
      const int n = segments(std::max(ox, oy));
      const float step = 2 * std::numbers::pi_v<float> / static_cast<float>(n);
      const sf::Color col = to_sf(c.stroke);
      for (int i = 0; i < n; ++i) {
        const float a0 = step * static_cast<float>(i), a1 = step * static_cast<float>(i + 1);
        const float c0 = std::cos(a0), s0 = std::sin(a0), c1 = std::cos(a1), s1 = std::sin(a1);
        quad({ctr.x + ox * c0, ctr.y + oy * s0}, {ctr.x + ox * c1, ctr.y + oy * s1}, {ctr.x + ix * c1, ctr.y + iy * s1},
             {ctr.x + ix * c0, ctr.y + iy * s0}, col);
      }
    }
  }

  // The text's height is the 5x7 font's cell (capitals fill 7/10 of it, the
  // baseline lies at 7/10): DejaVu's capitals (0.73 em) are matched to that.
  void text(sf::RenderTarget& target, const DrawCmd& c) {
    const std::string_view str = list_->text_of(c);
    const float h = c.size.y * sy_;
    if (str.empty() || !c.fill.visible() || !(h > 1)) return;
    if (texts_used_ == texts_.size()) {
      texts_.emplace_back();
      texts_.back().setFont(font_);
      strings_.emplace_back();
    }
    sf::Text& t = texts_[texts_used_];
    std::string& cached = strings_[texts_used_];
    ++texts_used_;
    const unsigned size = static_cast<unsigned>(std::lround(h * 0.96f));
    if (cached != str) {
      cached.assign(str);
      t.setString(sf::String(cached));
    }
    if (t.getCharacterSize() != size) t.setCharacterSize(size);
    t.setFillColor(to_sf(c.fill));
    const sf::Vector2f anchor = map(c.pos, c.coords);
    const sf::FloatRect b = t.getLocalBounds();
    float x = anchor.x;
    if (c.align == TextAlign::Center) x -= (b.left + b.width) / 2;
    if (c.align == TextAlign::Right) x -= b.left + b.width;
    t.setPosition(std::round(x), std::round(anchor.y + 0.7f * h - static_cast<float>(size)));
    target.draw(t);
  }

  void pixels(sf::RenderTarget& target, const DrawCmd& c) {
    const int gw = c.grid_w, gh = c.grid_h, ch = c.channels;
    const std::span<const std::uint8_t> data = list_->bytes_of(c);
    if (gw <= 0 || gh <= 0 || (ch != 1 && ch != 3) || data.size() < static_cast<std::size_t>(gw) * gh * ch) return;
    if (textures_used_ == textures_.size()) textures_.push_back(std::make_unique<sf::Texture>());
    sf::Texture& tex = *textures_[textures_used_++];
    if (tex.getSize() != sf::Vector2u(static_cast<unsigned>(gw), static_cast<unsigned>(gh)) &&
        !tex.create(static_cast<unsigned>(gw), static_cast<unsigned>(gh)))
      return;
    tex.setSmooth(false);
    rgba_.resize(static_cast<std::size_t>(gw) * gh * 4);
    for (std::size_t i = 0, n = static_cast<std::size_t>(gw) * gh; i < n; ++i) {
      const std::uint8_t* s = data.data() + i * ch;
      rgba_[4 * i] = s[0];
      rgba_[4 * i + 1] = s[ch == 3 ? 1 : 0];
      rgba_[4 * i + 2] = s[ch == 3 ? 2 : 0];
      rgba_[4 * i + 3] = 255;
    }
    tex.update(rgba_.data());
    // Columns along +x of the coordinates, rows down the screen (as raster.cpp).
    const float down = (c.coords == Coords::World && list_->camera.y_up) ? -1.0f : 1.0f;
    const sf::Vector2f p0 = map(c.pos, c.coords);
    const sf::Vector2f px = map({c.pos.x + c.size.x, c.pos.y}, c.coords);
    const sf::Vector2f py = map({c.pos.x, c.pos.y + down * c.size.y}, c.coords);
    const sf::Vector2f p3 = px + py - p0;
    const sf::Color tint(255, 255, 255, c.fill.a);
    const float fw = static_cast<float>(gw), fh = static_cast<float>(gh);
    const sf::Vertex v[6] = {{p0, tint, {0, 0}}, {px, tint, {fw, 0}},  {p3, tint, {fw, fh}},
                             {p0, tint, {0, 0}}, {p3, tint, {fw, fh}}, {py, tint, {0, fh}}};
    target.draw(v, 6, sf::Triangles, sf::RenderStates(&tex));
  }

  const sf::Font& font_;
  const DrawList* list_ = nullptr;
  RectF r_{};
  float sx_ = 1, sy_ = 1;
  std::vector<sf::Vertex> tris_;
  std::vector<sf::Vector2f> pts_;
  std::vector<std::uint32_t> idx_;
  std::vector<sf::Text> texts_;
  std::vector<std::string> strings_;
  std::size_t texts_used_ = 0;
  std::vector<std::unique_ptr<sf::Texture>> textures_;
  std::size_t textures_used_ = 0;
  std::vector<std::uint8_t> rgba_;
};

}  // namespace

const char* key_name(Key key) {
  static constexpr const char* names[] = {"left", "right", "up", "down", "space", "enter", ".", "+",   "-", "a",
                                          "d",    "h",     "p",  "q",    "r",     "s",     "w", "esc", "0", "1",
                                          "2",    "3",     "4",  "5",    "6",     "7",     "8", "9"};
  static_assert(std::size(names) == static_cast<std::size_t>(Key::Count));
  return names[static_cast<std::size_t>(key)];
}

struct Viewer::Impl {
  FrameLayout layout;
  sf::Font font;
  sf::RenderWindow window;
  std::unique_ptr<ListDrawer> drawer;
  sf::Texture readback;

  // The frame's rectangle in the window: scaled uniformly, centred.
  RectF frame_rect() const {
    const sf::Vector2u ws = window.getSize();
    const float s = std::min(static_cast<float>(ws.x) / static_cast<float>(layout.width),
                             static_cast<float>(ws.y) / static_cast<float>(layout.height));
    const float w = std::round(static_cast<float>(layout.width) * s),
                h = std::round(static_cast<float>(layout.height) * s);
    return {std::round((static_cast<float>(ws.x) - w) / 2), std::round((static_cast<float>(ws.y) - h) / 2), w, h};
  }
  RectF sub_rect(const Rect& r) const {
    const RectF f = frame_rect();
    const float s = f.w / static_cast<float>(layout.width);
    return {std::round(f.x + static_cast<float>(r.x) * s), std::round(f.y + static_cast<float>(r.y) * s),
            std::round(static_cast<float>(r.w) * s), std::round(static_cast<float>(r.h) * s)};
  }

  void render(const DrawList& env, const DrawList& hud, const DrawList* overlay) {
    window.clear(sf::Color::Black);
    drawer->draw(window, env, sub_rect(layout.viewport));
    drawer->draw(window, hud, sub_rect(layout.panel));
    if (overlay) drawer->draw(window, *overlay, frame_rect());
  }
};

Viewer::Viewer(const std::string& title, const FrameLayout& layout, int scale, int antialiasing)
    : impl_(std::make_unique<Impl>()) {
  if (!std::filesystem::exists(kViewerFont))
    throw ViewerError(std::string("the viewer's font ") + kViewerFont +
                      " is missing: install Debian's fonts-dejavu-core (scripts/setup does)");
  if (!impl_->font.loadFromFile(kViewerFont)) throw ViewerError(std::string("cannot load the font ") + kViewerFont);
  impl_->layout = layout;
  scale = std::max(1, scale);
  sf::ContextSettings settings;
  settings.antialiasingLevel = static_cast<unsigned>(std::max(0, antialiasing));
  {
    // SFML reports on sf::err(); software OpenGL (Xvfb) cannot switch vsync
    // and says so on every window: drop that line, pass the rest on.
    std::ostringstream messages;
    std::streambuf* previous = sf::err().rdbuf(messages.rdbuf());
    impl_->window.create(
        sf::VideoMode(static_cast<unsigned>(layout.width * scale), static_cast<unsigned>(layout.height * scale)), title,
        sf::Style::Default, settings);
    impl_->window.setVerticalSyncEnabled(false);  // the loop paces itself
    sf::err().rdbuf(previous);
    std::istringstream lines(messages.str());
    for (std::string line; std::getline(lines, line);)
      if (line.find("vertical sync") == std::string::npos) std::cerr << line << '\n';
  }
  if (!impl_->window.isOpen()) throw ViewerError("cannot create the window");
  impl_->window.setFramerateLimit(0);
  impl_->window.setKeyRepeatEnabled(false);
  impl_->drawer = std::make_unique<ListDrawer>(impl_->font);
}

Viewer::~Viewer() = default;

bool Viewer::is_open() const { return impl_->window.isOpen(); }
void Viewer::close() { impl_->window.close(); }
int Viewer::window_width() const { return static_cast<int>(impl_->window.getSize().x); }
int Viewer::window_height() const { return static_cast<int>(impl_->window.getSize().y); }
int Viewer::antialiasing() const { return static_cast<int>(impl_->window.getSettings().antialiasingLevel); }

Rect Viewer::viewport_in_window() const {
  const RectF r = impl_->sub_rect(impl_->layout.viewport);
  return {static_cast<int>(r.x), static_cast<int>(r.y), static_cast<int>(r.w), static_cast<int>(r.h)};
}

void Viewer::poll(std::vector<Key>& pressed) {
  sf::Event e;
  while (impl_->window.pollEvent(e)) {
    switch (e.type) {
      case sf::Event::Closed: impl_->window.close(); break;
      case sf::Event::LostFocus: held_.fill(false); break;
      case sf::Event::KeyPressed:
        if (auto k = from_sf(e.key.code)) {
          held_[static_cast<std::size_t>(*k)] = true;
          pressed.push_back(*k);
        }
        break;
      case sf::Event::KeyReleased:
        if (auto k = from_sf(e.key.code)) held_[static_cast<std::size_t>(*k)] = false;
        break;
      default: break;
    }
  }
}

void Viewer::show(const DrawList& env, const DrawList& hud, const DrawList* overlay) {
  impl_->render(env, hud, overlay);
  impl_->window.display();
}

void Viewer::capture(const DrawList& env, const DrawList& hud, const DrawList* overlay, Image& out) {
  impl_->render(env, hud, overlay);
  const sf::Vector2u ws = impl_->window.getSize();
  if (impl_->readback.getSize() != ws && !impl_->readback.create(ws.x, ws.y))
    throw ViewerError("cannot create a texture to read the window back");
  impl_->readback.update(impl_->window);  // the back buffer, before display()
  const sf::Image img = impl_->readback.copyToImage();
  out.width = static_cast<int>(ws.x);
  out.height = static_cast<int>(ws.y);
  out.rgb.resize(static_cast<std::size_t>(ws.x) * ws.y * 3);
  const sf::Uint8* src = img.getPixelsPtr();
  for (std::size_t i = 0, n = static_cast<std::size_t>(ws.x) * ws.y; i < n; ++i) {
    out.rgb[3 * i] = src[4 * i];
    out.rgb[3 * i + 1] = src[4 * i + 1];
    out.rgb[3 * i + 2] = src[4 * i + 2];
  }
}

}  // namespace arena
