// The environment registry: an explicit object mapping ids to factories.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "envs/core/env.h"
#include "envs/core/options.h"

namespace arena {

// Builds an env from its resolved options (defaults overlaid with the caller's).
using EnvFactory = std::function<std::unique_ptr<Env>(const Options& options)>;

// Registration data of an id.
struct EnvDefaults {
  std::optional<int> max_episode_steps;
  std::optional<double> reward_threshold;
  Options kwargs;  // every accepted construction option with its default (and so its type)
};

// Thrown for an unknown id; the message suggests the closest known ids.
struct UnknownEnvError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

class Registry {
 public:
  // Registers `id` (must be new; "Name-vN" or "Namespace/Name-vN").
  void add(std::string id, EnvFactory make, EnvDefaults defaults = {});

  // Builds `id` with `options` checked against the registered defaults (an
  // unknown key or a value of the wrong type throws OptionError naming the
  // key), sets its spec and wraps it in TimeLimit when it has a step limit.
  // `max_episode_steps` overrides the registered limit (0 removes it).
  std::unique_ptr<Env> make(std::string_view id, const Options& options = {},
                            std::optional<int> max_episode_steps = std::nullopt) const;

  // The spec `make(id, options)` would give, without keeping the env.
  EnvSpec spec(std::string_view id, const Options& options = {}) const;

  bool contains(std::string_view id) const;
  std::vector<std::string> ids() const;  // sorted
  const EnvDefaults& defaults(std::string_view id) const;

  // Up to `limit` known ids closest to `id` (edit distance), best first.
  std::vector<std::string> closest(std::string_view id, std::size_t limit = 3) const;

 private:
  struct Entry {
    std::string id;
    EnvFactory make;
    EnvDefaults defaults;
  };
  const Entry& find(std::string_view id) const;
  std::vector<Entry> entries_;
};

}  // namespace arena
