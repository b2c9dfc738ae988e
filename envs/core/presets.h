// Named wrapper stacks that an experiment asks for by name ([env] preset).
//
//   ""       the registered env as registry.make() gives it
//   "atari"  the Nature-DQN preprocessing (atari_wrappers.h, wrap_atari with
//            its defaults) around a pixel env; an env with a "frameskip"
//            option is made with frameskip = 1 (the preset skips frames
//            itself and max-pools the last two), and giving another
//            frameskip is an error. Sticky actions stay as the options say.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "envs/core/env.h"
#include "envs/core/options.h"

namespace arena {

class Registry;

// The known preset names, "" first.
const std::vector<std::string>& preset_names();

// registry.make(id, options) wrapped as `preset` says. An unknown preset
// throws std::invalid_argument naming the known ones.
std::unique_ptr<Env> make_env(const Registry& registry, std::string_view id, const Options& options,
                              std::string_view preset);

}  // namespace arena
