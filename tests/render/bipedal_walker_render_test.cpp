// BipedalWalker frames as PNG files: the start, the walk, a hardcore obstacle.
// The files go to $ARENA_RENDER_DIR when it is set (to look at them), else to
// a temporary directory that is removed afterwards.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "envs/box2d/bipedal_walker.h"
#include "envs/box2d/bipedal_walker_heuristic.h"
#include "envs/core/draw_list.h"
#include "envs/core/raster.h"
#include "envs/core/registry.h"
#include "render/png_writer.h"

namespace arena {
namespace {

namespace fs = std::filesystem;

class RenderDir {
 public:
  RenderDir() {
    if (const char* dir = std::getenv("ARENA_RENDER_DIR")) {
      path_ = dir;
      fs::create_directories(path_);
    } else {
      path_ = fs::temp_directory_path() / ("arena_bipedal_render_" + std::to_string(::getpid()));
      fs::create_directories(path_);
      owned_ = true;
    }
  }
  ~RenderDir() {
    std::error_code ec;
    if (owned_) fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
  bool owned_ = false;
};

int count_colour(const Image& img, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  int n = 0;
  for (std::size_t i = 0; i + 2 < img.rgb.size(); i += 3)
    n += img.rgb[i] == r && img.rgb[i + 1] == g && img.rgb[i + 2] == b;
  return n;
}

// Rasterizes the env's frame at its canvas size, writes it and reads it back.
Image render(const Env& env, const RenderDir& dir, const std::string& name) {
  DrawList list;
  env.draw(list);
  Image img;
  rasterize(list, list.width(), list.height(), img);
  const std::string path = dir.file(name);
  write_png(path, img);
  const Image back = read_png(path);
  EXPECT_EQ(back.width, img.width);
  EXPECT_EQ(back.height, img.height);
  EXPECT_EQ(back.rgb, img.rgb);
  return img;
}

TEST(BipedalWalkerRender, WritesTheStartTheWalkAndAnObstacle) {
  Registry registry;
  register_bipedal_walker(registry);
  const RenderDir dir;

  // The start: flag, walker on the flat pad, first lidar ray of the scan.
  auto env = registry.make("BipedalWalker-v3");
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 2);
  const Image start = render(*env, dir, "bipedal_walker_start.png");
  EXPECT_EQ(start.width, 600);
  EXPECT_EQ(start.height, 400);
  EXPECT_GT(count_colour(start, 230, 51, 0), 20);    // the flag
  EXPECT_GT(count_colour(start, 127, 51, 229), 200);  // the hull
  EXPECT_GT(count_colour(start, 102, 153, 76), 10000);  // the ground

  // Walking with the gait: the view has scrolled with the hull.
  BipedalWalkerGait gait;
  for (int t = 0; t < 400; ++t)
    if (env->step(std::span<const float>(gait.act(obs.span<float>())), obs.view()).done()) break;
  const Image walk = render(*env, dir, "bipedal_walker_walk.png");
  EXPECT_EQ(count_colour(walk, 230, 51, 0), 0);  // the flag is behind
  EXPECT_GT(count_colour(walk, 127, 51, 229), 200);

  // Hardcore: the walker placed in front of its first obstacle.
  auto hard = registry.make("BipedalWalkerHardcore-v3");
  hard->reset(obs.view(), 4);
  auto& sim = dynamic_cast<BipedalWalker&>(hard->unwrapped()).sim();
  ASSERT_FALSE(sim.obstacles().empty());
  const int first = sim.obstacles().front().step;
  const float x = sim.hull().GetPosition().x;
  const float target = static_cast<float>(first * bipedal::kTerrainStep) - 1.5f;
  sim.shift_walker(target - x, sim.terrain_y()[static_cast<std::size_t>(first)] - sim.terrain_y()[10]);
  for (int t = 0; t < 5; ++t) hard->step(std::span<const float>(std::array<float, 4>{}), obs.view());
  const Image obstacle = render(*hard, dir, "bipedal_walker_hardcore.png");
  EXPECT_GT(count_colour(obstacle, 255, 255, 255), 100);  // blocks (and clouds)
  EXPECT_GT(count_colour(obstacle, 127, 51, 229), 200);
}

}  // namespace
}  // namespace arena
