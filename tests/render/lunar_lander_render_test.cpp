// LunarLander's frame through the rasterizer into a PNG and back.
//
// The frame is Gymnasium's: a 600x400 canvas, black sky above the moon's
// white surface, the lander (violet with a dark outline) on its legs, the two
// flag poles with yellow pennants at the pad, and the main engine's fading
// particles. Set ARENA_LUNAR_LANDER_PNG=/some/file.png to keep a copy.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "envs/box2d/lunar_lander.h"
#include "envs/core/draw_list.h"
#include "envs/core/raster.h"
#include "envs/core/registry.h"
#include "render/png_writer.h"

namespace arena {
namespace {

TEST(LunarLanderRender, FrameRoundTripsThroughPng) {
  Registry registry;
  register_lunar_lander(registry);
  auto env = registry.make("LunarLander-v3");
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 0);
  for (int t = 0; t < 50; ++t) env->step(std::int64_t{t < 40 ? 0 : 2}, obs.view());  // fall, then brake

  DrawList list;
  env->draw(list);
  Image image;
  rasterize(list, 600, 400, image);

  const auto path = std::filesystem::temp_directory_path() / "arena_lunar_lander_render_test.png";
  write_png(path.string(), image);
  const Image back = read_png(path.string());
  std::filesystem::remove(path);
  if (const char* keep = std::getenv("ARENA_LUNAR_LANDER_PNG")) write_png(keep, image);

  ASSERT_EQ(back.width, 600);
  ASSERT_EQ(back.height, 400);
  EXPECT_EQ(back.rgb, image.rgb);
  auto pixel = [&](int x, int y) {
    const std::uint8_t* p = back.pixel(x, y);
    return Color::rgb(p[0], p[1], p[2]);
  };
  EXPECT_EQ(pixel(10, 10), Color::rgb(0, 0, 0));          // sky
  EXPECT_EQ(pixel(300, 395), Color::rgb(255, 255, 255));  // ground below the pad
  int hull = 0, pennant = 0, particle = 0;
  for (int y = 0; y < 400; ++y)
    for (int x = 0; x < 600; ++x) {
      const Color c = pixel(x, y);
      hull += c == Color::rgb(128, 102, 230);
      pennant += c == Color::rgb(204, 204, 0);
      particle += c.r > 100 && c.g < c.r && c.b == c.g && c.g > 0 && !(c.r == 255 && c.g == 255);
    }
  EXPECT_GT(hull, 300);     // the hull is about 34 x 27 canvas pixels
  EXPECT_GT(pennant, 100);  // two pennants of 25 x 10 / 2
  EXPECT_GT(particle, 0);   // reddish particles below the lander
}

}  // namespace
}  // namespace arena
