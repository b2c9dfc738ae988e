#include "envs/core/presets.h"

#include <stdexcept>

#include "envs/core/atari_wrappers.h"
#include "envs/core/registry.h"

namespace arena {

const std::vector<std::string>& preset_names() {
  static const std::vector<std::string> names = {"", "atari"};
  return names;
}

std::unique_ptr<Env> make_env(const Registry& registry, std::string_view id, const Options& options,
                              std::string_view preset) {
  if (preset.empty()) return registry.make(id, options);
  if (preset == "atari") {
    Options o = options;
    if (registry.defaults(id).kwargs.has("frameskip")) {
      if (o.has("frameskip") && o.get_int("frameskip") != 1)
        throw OptionError("'" + std::string(id) + "': the atari preset skips frames itself (4, max-pooling the "
                          "last two); leave frameskip out or set it to 1, got " +
                          std::to_string(o.get_int("frameskip")));
      o.set("frameskip", std::int64_t{1});
    }
    return wrap_atari(registry.make(id, o));
  }
  std::string known;
  for (const auto& n : preset_names()) known += (known.empty() ? "\"" : ", \"") + n + "\"";
  throw std::invalid_argument("unknown env preset \"" + std::string(preset) + "\" (known: " + known + ")");
}

}  // namespace arena
