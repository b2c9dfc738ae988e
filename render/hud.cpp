#include "render/hud.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace arena {
namespace {

// Text heights are multiples of the 5x7 font's 10-pixel cell, so that the CPU
// rasterizer draws them on whole pixels (crisp in videos).
constexpr float kSmall = 10, kLarge = 20;
constexpr float kMargin = 12;
constexpr Color kPanelBg = Color::rgb(28, 30, 36);
constexpr Color kText = Color::rgb(235, 235, 235);
constexpr Color kLabel = Color::rgb(150, 155, 170);
constexpr Color kTrack = Color::rgb(55, 58, 68);
constexpr Color kBar = Color::rgb(90, 130, 200);
constexpr Color kChosen = Color::rgb(255, 165, 40);
constexpr Color kWarn = Color::rgb(255, 200, 80);

// A label (small, left) and a value (large, right-aligned) on one row.
void row(DrawList& out, float y, const char* label, std::string_view value, float w) {
  out.text({kMargin, y + 0.7f * (kLarge - kSmall)}, label, kSmall, kLabel);  // baselines aligned
  out.text({w - kMargin, y}, value, kLarge, kText, TextAlign::Right);
}

}  // namespace

FrameLayout frame_layout(int env_w, int env_h) {
  env_w = std::max(1, env_w);
  env_h = std::max(1, env_h);
  const int k = env_h >= 300 ? 1 : (300 + env_h - 1) / env_h;
  FrameLayout l;
  l.viewport.w = env_w * k;
  l.viewport.h = env_h * k;
  l.height = std::max(l.viewport.h, 360);
  l.height += l.height % 2;
  l.width = l.viewport.w + kHudWidth;
  l.width += l.width % 2;
  l.viewport.x = 0;
  l.viewport.y = (l.height - l.viewport.h) / 2;
  l.panel = {l.viewport.w, 0, l.width - l.viewport.w, l.height};
  return l;
}

void draw_hud(const HudInfo& info, const FrameLayout& layout, DrawList& out) {
  const float w = static_cast<float>(layout.panel.w), h = static_cast<float>(layout.panel.h);
  out.clear(layout.panel.w, layout.panel.h, kPanelBg);
  char buf[64];
  float y = kMargin;
  out.text({kMargin, y}, info.title, kSmall, kText);
  y += 14;
  std::snprintf(buf, sizeof buf, "agent: %.*s", static_cast<int>(std::min<std::size_t>(info.agent.size(), 40)),
                info.agent.data());
  out.text({kMargin, y}, buf, kSmall, kLabel);
  y += 22;

  std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(info.episode));
  row(out, y, "episode", buf, w);
  y += 26;
  std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(info.step));
  row(out, y, "step", buf, w);
  y += 26;
  std::snprintf(buf, sizeof buf, "%.2f", info.episode_return);
  row(out, y, "return", buf, w);
  y += 26;
  std::snprintf(buf, sizeof buf, "%.2f", info.last_reward);
  row(out, y, "reward", buf, w);
  y += 26;
  row(out, y, "action", info.action.empty() ? std::string_view("-") : info.action, w);
  y += 28;

  // Status: paused / speed / episode over.
  if (info.paused) {
    out.text({kMargin, y}, "PAUSED", kSmall, kWarn);
  } else if (!info.speed.empty()) {
    std::snprintf(buf, sizeof buf, "speed %.*s", static_cast<int>(std::min<std::size_t>(info.speed.size(), 16)),
                  info.speed.data());
    out.text({kMargin, y}, buf, kSmall, kLabel);
  }
  if (info.episode_over) out.text({w - kMargin, y}, "episode over", kSmall, kWarn, TextAlign::Right);
  y += 20;

  // The agent's view: one bar per action, the chosen one highlighted.
  const char* title = info.view == HudInfo::View::QValues         ? "Q-values"
                      : info.view == HudInfo::View::Probabilities ? "action probabilities"
                                                                  : "agent view: none";
  out.text({kMargin, y}, title, kSmall, kLabel);
  y += 16;
  const std::size_t n = info.view == HudInfo::View::None ? 0 : info.values.size();
  const float bottom = h - (info.show_help_hint ? 24.0f : kMargin);
  if (n > 0 && bottom > y) {
    const float row_h = std::clamp((bottom - y) / static_cast<float>(n), 6.0f, 24.0f);
    const bool labels = row_h >= 12;
    float lo = info.values[0], hi = info.values[0];
    for (float v : info.values) lo = std::min(lo, v), hi = std::max(hi, v);
    const float x0 = kMargin + (labels ? 52.0f : 0.0f), x1 = w - kMargin - (labels ? 58.0f : 0.0f);
    for (std::size_t i = 0; i < n && y + row_h <= bottom + 0.5f; ++i, y += row_h) {
      const float v = info.values[i];
      float frac;
      if (info.view == HudInfo::View::Probabilities)
        frac = std::clamp(v, 0.0f, 1.0f);
      else  // Q-values: relative to the smallest and largest
        frac = hi - lo > 1e-6f ? 0.1f + 0.9f * (v - lo) / (hi - lo) : 1.0f;
      if (!std::isfinite(frac)) frac = 0;
      const bool chosen = static_cast<std::int64_t>(i) == info.chosen;
      const float by0 = y + row_h * 0.15f, by1 = y + row_h * 0.85f;
      out.rect(x0, by0, x1, by1, kTrack, Color::none(), 0, Coords::Canvas);
      out.rect(x0, by0, x0 + (x1 - x0) * frac, by1, chosen ? kChosen : kBar, Color::none(), 0, Coords::Canvas);
      if (labels) {
        const float ty = y + (row_h - kSmall) / 2;
        if (i < info.action_names.size())
          std::snprintf(buf, sizeof buf, "%.8s", info.action_names[i].c_str());
        else
          std::snprintf(buf, sizeof buf, "%zu", i);
        out.text({kMargin, ty}, buf, kSmall, chosen ? kChosen : kText);
        std::snprintf(buf, sizeof buf, "%.3g", static_cast<double>(v));
        out.text({w - kMargin, ty}, buf, kSmall, chosen ? kChosen : kText, TextAlign::Right);
      }
    }
  }
  if (info.show_help_hint) out.text({kMargin, h - 20}, "h: help   q: quit", kSmall, kLabel);
}

void draw_help(std::span<const std::string> lines, const FrameLayout& layout, DrawList& out) {
  const float w = static_cast<float>(layout.width), h = static_cast<float>(layout.height);
  out.clear(layout.width, layout.height, Color::none());
  out.rect(0, 0, w, h, Color{0, 0, 0, 210}, Color::none(), 0, Coords::Canvas);
  const float n = static_cast<float>(std::max<std::size_t>(lines.size(), 1));
  const float spacing = std::clamp((h - 2 * kMargin) / n, 8.0f, 22.0f);
  const float text_h = std::round(spacing * 0.7f);
  float y = kMargin;
  // "key<TAB>meaning": two columns (the window's font is proportional, so spaces would not align).
  const float column = std::round(text_h * 9);
  for (const auto& line : lines) {
    const std::string_view l = line;
    const auto tab = l.find('\t');
    if (tab == std::string_view::npos) {
      out.text({2 * kMargin, y}, l, text_h, kText);
    } else {
      out.text({2 * kMargin, y}, l.substr(0, tab), text_h, kWarn);
      out.text({2 * kMargin + column, y}, l.substr(tab + 1), text_h, kText);
    }
    y += spacing;
  }
}

void compose_frame(const DrawList& env, const DrawList& hud, const FrameLayout& layout, int scale, Image& out,
                   ComposeScratch& scratch) {
  scale = std::max(1, scale);
  const int W = layout.width * scale, H = layout.height * scale;
  const std::size_t bytes = static_cast<std::size_t>(W) * H * 3;
  out.width = W;
  out.height = H;
  if (out.rgb.size() != bytes) out.rgb.resize(bytes);
  std::memset(out.rgb.data(), 0, bytes);  // letterbox bars: black
  auto place = [&](const DrawList& list, const Rect& r, Image& tmp) {
    const int w = r.w * scale, h = r.h * scale, x0 = r.x * scale, y0 = r.y * scale;
    if (w <= 0 || h <= 0) return;
    rasterize(list, w, h, tmp);
    for (int y = 0; y < h; ++y) std::memcpy(out.pixel(x0, y0 + y), tmp.pixel(0, y), static_cast<std::size_t>(w) * 3);
  };
  place(env, layout.viewport, scratch.env);
  place(hud, layout.panel, scratch.hud);
}

}  // namespace arena
