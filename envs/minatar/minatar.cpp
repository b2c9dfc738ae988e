#include "envs/minatar/minatar.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <string>

#include "envs/core/registry.h"
#include "envs/minatar/asterix.h"
#include "envs/minatar/breakout.h"
#include "envs/minatar/freeway.h"
#include "envs/minatar/minatar_env.h"
#include "envs/minatar/seaquest.h"
#include "envs/minatar/space_invaders.h"

namespace arena {

namespace minatar {

std::array<std::array<std::uint8_t, 3>, 11> palette(int channels) {
  // Green (2011)'s cubehelix with matplotlib's defaults, sampled as seaborn
  // samples a colormap (n points strictly inside [0, 1]) through matplotlib's
  // 256-entry lookup table.
  constexpr double kStart = 0.5, kRotations = -1.5, kHue = 1.0;
  std::array<std::array<std::uint8_t, 3>, 11> out{};
  for (int k = 1; k <= channels && k < 11; ++k) {
    const double f = static_cast<double>(k) / (channels + 1);
    const double x = std::min(255.0, std::floor(f * 256)) / 255;
    const double amp = kHue * x * (1 - x) / 2;
    const double phi = 2 * std::numbers::pi * (kStart / 3 + kRotations * x);
    const double c = std::cos(phi), s = std::sin(phi);
    const double rgb[3] = {x + amp * (-0.14861 * c + 1.78277 * s), x + amp * (-0.29227 * c - 0.90649 * s),
                           x + amp * (1.97294 * c)};
    for (int i = 0; i < 3; ++i)
      out[static_cast<std::size_t>(k)][static_cast<std::size_t>(i)] =
          static_cast<std::uint8_t>(std::lround(std::clamp(rgb[i], 0.0, 1.0) * 255));
  }
  return out;
}

double parse_sticky_action_prob(const Options& options, const std::string& id) {
  const double p = options.get_double("sticky_action_prob");
  if (!(p >= 0.0 && p <= 1.0))
    throw OptionError(id + ": option sticky_action_prob must lie in [0, 1], got " + option_to_string(p));
  return p;
}

namespace {

template <class Game>
void add_game(Registry& registry) {
  const std::string name = "MinAtar/" + std::string(Game::kName);
  for (const bool minimal : {false, true}) {
    std::string id = name + (minimal ? "-v1" : "-v0");
    registry.add(
        id, [id, minimal](const Options& o) { return std::make_unique<MinAtarEnv<Game>>(id, o, minimal); },
        EnvDefaults{std::nullopt, std::nullopt, Options{{"sticky_action_prob", 0.1}, {"difficulty_ramping", true}}});
  }
}

}  // namespace

}  // namespace minatar

void register_minatar(Registry& registry) {
  minatar::add_game<minatar::Asterix>(registry);
  minatar::add_game<minatar::Breakout>(registry);
  minatar::add_game<minatar::Freeway>(registry);
  minatar::add_game<minatar::Seaquest>(registry);
  minatar::add_game<minatar::SpaceInvaders>(registry);
}

}  // namespace arena
