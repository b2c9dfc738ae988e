// Human play: which keys stand for which action of an env (`arena play
// --agent human`), as Gymnasium's play utility maps keys per env, and the
// actions' names for the HUD.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "envs/core/env.h"
#include "render/viewer.h"

namespace arena {

struct KeyAction {
  Key key;
  std::int64_t action = 0;     // Discrete envs
  std::array<float, 3> box{};  // Box envs: added up over the held keys, then clipped to the space
  std::string meaning;         // for the help overlay
};

struct HumanKeys {
  std::vector<KeyAction> keys;
  std::int64_t noop = 0;        // Discrete: the action when no key is held
  bool alternate_noop = false;  // ... or alternate the first two actions (CartPole: no net push)
  std::string noop_meaning;
  // Help lines "key\tmeaning" ("left\tfire the left orientation engine", ...).
  std::vector<std::string> help() const;
};

// The key map of an env, or nullopt when it has none that makes sense
// (BipedalWalker's four joint torques). Discrete envs without a map of their
// own get the number keys 0-9 for actions 0-9.
std::optional<HumanKeys> human_keys(const EnvSpec& spec);

// Short names of a Discrete env's actions ("noop", "left", "main", ...);
// empty for Box envs. Unknown envs get "0", "1", ...
std::vector<std::string> action_names(const EnvSpec& spec);

}  // namespace arena
