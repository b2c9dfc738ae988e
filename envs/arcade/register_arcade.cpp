#include <memory>

#include "envs/arcade/arcade_env.h"
#include "envs/arcade/breakout.h"
#include "envs/arcade/pong.h"

namespace arena {

void register_arcade(Registry& registry) {
  // ALE v5 limits episodes by emulator frames (max_num_frames_per_episode),
  // inside the env. The step limit is only an upper bound that never cuts
  // first: 108000 steps are 108000 frames even at frameskip = 1.
  registry.add(
      "Arcade/Pong-v5", [](const Options& o) { return std::make_unique<Pong>(o); },
      {.max_episode_steps = 108000, .reward_threshold = std::nullopt, .kwargs = arcade_default_kwargs()});
  registry.add(
      "Arcade/Breakout-v5", [](const Options& o) { return std::make_unique<Breakout>(o); },
      {.max_episode_steps = 108000, .reward_threshold = std::nullopt, .kwargs = arcade_default_kwargs()});
}

}  // namespace arena
