// CarRacing-v3 pictures as PNG files, for a person to compare with Gymnasium's:
// the 96x96 observation (also blown up 6x) and the 600x400 rgb_array frame,
// at the start (zooming in), once zoomed, and after driving with skid traces.
// The files go to $ARENA_CAR_RACING_PNG_DIR when set (kept), else to a
// temporary directory that is removed.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include <unistd.h>

#include "envs/box2d/car_racing.h"
#include "envs/core/registry.h"
#include "render/png_writer.h"

namespace arena {
namespace {

namespace fs = std::filesystem;

Image upscale(const Image& in, int k) {
  Image out;
  out.width = in.width * k;
  out.height = in.height * k;
  out.rgb.resize(static_cast<std::size_t>(out.width) * out.height * 3);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) {
      const std::uint8_t* s = in.pixel(x / k, y / k);
      std::uint8_t* d = out.pixel(x, y);
      d[0] = s[0], d[1] = s[1], d[2] = s[2];
    }
  return out;
}

Image obs_image(const Array& obs) {
  Image img;
  img.width = car_racing::kStateW;
  img.height = car_racing::kStateH;
  const auto bytes = obs.span<std::uint8_t>();
  img.rgb.assign(bytes.begin(), bytes.end());
  return img;
}

TEST(CarRacingRender, WritesObservationAndFramePngs) {
  const char* keep = std::getenv("ARENA_CAR_RACING_PNG_DIR");
  const fs::path dir =
      keep ? fs::path(keep) : fs::temp_directory_path() / ("arena_car_racing_png." + std::to_string(::getpid()));
  fs::create_directories(dir);

  Registry registry;
  register_car_racing(registry);
  for (const bool randomize : {false, true}) {
    auto env = registry.make("CarRacing-v3", {{"domain_randomize", randomize}});
    Array obs = env->observation_space().make_array();
    env->reset(obs.view(), 3);
    const std::string tag = randomize ? "random_colors_" : "";
    DrawList list;
    Image frame;
    auto save = [&](const std::string& name) {
      const Image o = obs_image(obs);
      write_png((dir / (tag + name + "_obs.png")).string(), o);
      write_png((dir / (tag + name + "_obs_x6.png")).string(), upscale(o, 6));
      env->draw(list);
      rasterize(list, car_racing::kVideoW, car_racing::kVideoH, frame);
      write_png((dir / (tag + name + "_frame.png")).string(), frame);
      const Image back = read_png((dir / (tag + name + "_frame.png")).string());
      EXPECT_EQ(back.rgb, frame.rgb);
    };
    save("reset");
    // Gas along the straight, then a hard turn with gas: skid traces.
    const float gas[3] = {0, 1, 0}, turn[3] = {-1, 1, 0}, brake[3] = {0, 0, 0.8f};
    for (int i = 0; i < 60; ++i) env->step(std::span<const float>(gas, 3), obs.view());
    save("step60");
    if (randomize) continue;
    for (int i = 0; i < 40; ++i) env->step(std::span<const float>(turn, 3), obs.view());
    for (int i = 0; i < 10; ++i) env->step(std::span<const float>(brake, 3), obs.view());
    save("step110");
  }
  if (!keep) fs::remove_all(dir);
}

}  // namespace
}  // namespace arena
