// What an Atari-style game tells the preprocessing wrappers beyond the Env API.
//
// ALE exposes a game's lives (`ale.lives()`, info["lives"]) and the meaning of
// each action (`get_action_meanings()`); Stable-Baselines3's EpisodicLifeEnv
// and FireResetEnv read them. An env that has them implements GameInfo next
// to Env; a wrapper finds it on the innermost env with game_info(env), so no
// wrapper in between has to forward anything.
#pragma once

#include <span>
#include <string_view>

#include "envs/core/env.h"

namespace arena {

class GameInfo {
 public:
  virtual ~GameInfo() = default;
  // Lives left in the current game (0 for a game without lives). Valid after reset().
  virtual int lives() const = 0;
  // The meaning of each action index, with ALE's names ("NOOP", "FIRE",
  // "RIGHT", "LEFTFIRE", ...). The span stays valid as long as the env.
  virtual std::span<const std::string_view> action_meanings() const = 0;
};

// The GameInfo of the innermost env below `env`'s wrappers, or nullptr.
inline const GameInfo* game_info(const Env& env) { return dynamic_cast<const GameInfo*>(&env.unwrapped()); }

// The index of the action named `meaning` ("FIRE"), or -1 (also without GameInfo).
inline int action_index(const Env& env, std::string_view meaning) {
  const GameInfo* info = game_info(env);
  if (!info) return -1;
  const auto m = info->action_meanings();
  for (std::size_t i = 0; i < m.size(); ++i)
    if (m[i] == meaning) return static_cast<int>(i);
  return -1;
}

}  // namespace arena
