#include "envs/core/registry.h"

#include <algorithm>
#include <regex>

#include "envs/core/wrappers.h"

namespace arena {

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
      const std::size_t sub = prev[j - 1] + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

void Registry::add(std::string id, EnvFactory make, EnvDefaults defaults) {
  static const std::regex id_pattern(R"(^([A-Za-z0-9_.\-]+/)?[A-Za-z0-9_.\-]+-v[0-9]+$)");
  if (!std::regex_match(id, id_pattern))
    throw std::invalid_argument("Registry::add: '" + id + "' is not a versioned id like Name-v0 or Namespace/Name-v0");
  if (contains(id)) throw std::invalid_argument("Registry::add: '" + id + "' is already registered");
  if (!make) throw std::invalid_argument("Registry::add: '" + id + "' has no factory");
  entries_.push_back({std::move(id), std::move(make), std::move(defaults)});
}

const Registry::Entry& Registry::find(std::string_view id) const {
  for (const auto& e : entries_)
    if (e.id == id) return e;
  std::string msg = "unknown environment id '" + std::string(id) + "'";
  const auto near = closest(id);
  if (!near.empty()) {
    msg += "; did you mean ";
    for (std::size_t i = 0; i < near.size(); ++i) msg += (i ? ", " : "") + ("'" + near[i] + "'");
    msg += "?";
  }
  msg += " (`arena list` shows every id)";
  throw UnknownEnvError(msg);
}

bool Registry::contains(std::string_view id) const {
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.id == id; });
}

std::vector<std::string> Registry::ids() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(e.id);
  std::sort(out.begin(), out.end());
  return out;
}

const EnvDefaults& Registry::defaults(std::string_view id) const { return find(id).defaults; }

std::vector<std::string> Registry::closest(std::string_view id, std::size_t limit) const {
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& e : entries_) {
    std::size_t d = edit_distance(id, e.id);
    // An id without its version ("CartPole") should find "CartPole-v1".
    const auto dash = e.id.rfind("-v");
    if (dash != std::string::npos) d = std::min(d, edit_distance(id, std::string_view(e.id).substr(0, dash)) + 1);
    scored.emplace_back(d, e.id);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  const std::size_t max_dist = std::max<std::size_t>(3, id.size() / 2);
  for (const auto& [d, name] : scored) {
    if (out.size() >= limit || d > max_dist) break;
    out.push_back(name);
  }
  return out;
}

std::unique_ptr<Env> Registry::make(std::string_view id, const Options& options,
                                    std::optional<int> max_episode_steps) const {
  const Entry& e = find(id);
  const Options resolved = Options::resolve(e.defaults.kwargs, options, "'" + e.id + "'");
  std::unique_ptr<Env> env = e.make(resolved);
  if (!env) throw std::runtime_error("the factory of '" + e.id + "' returned no env");
  EnvSpec& spec = env->spec_;
  spec.id = e.id;
  spec.max_episode_steps = e.defaults.max_episode_steps;
  if (max_episode_steps) spec.max_episode_steps = *max_episode_steps > 0 ? max_episode_steps : std::nullopt;
  spec.reward_threshold = e.defaults.reward_threshold;
  spec.kwargs = resolved;
  if (spec.max_episode_steps) return std::make_unique<TimeLimit>(std::move(env), *spec.max_episode_steps);
  return env;
}

EnvSpec Registry::spec(std::string_view id, const Options& options) const { return make(id, options)->spec(); }

}  // namespace arena
