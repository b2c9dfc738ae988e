#include "experiments/human_keys.h"

#include <algorithm>
#include <string_view>

namespace arena {

namespace {

bool has_prefix(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// MinAtar's action letters (n, l, u, r, d, f) of an id: v0 has all six, v1
// the game's minimal set in MinAtar's order.
std::string minatar_letters(std::string_view id) {
  if (!has_prefix(id, "MinAtar/")) return {};
  if (id.ends_with("-v0")) return "nlurdf";
  if (has_prefix(id, "MinAtar/Asterix")) return "nlurd";
  if (has_prefix(id, "MinAtar/Breakout")) return "nlr";
  if (has_prefix(id, "MinAtar/Freeway")) return "nud";
  if (has_prefix(id, "MinAtar/Seaquest")) return "nlurdf";
  if (has_prefix(id, "MinAtar/SpaceInvaders")) return "nlrf";
  return {};
}

const char* minatar_name(char letter) {
  switch (letter) {
    case 'l': return "left";
    case 'u': return "up";
    case 'r': return "right";
    case 'd': return "down";
    case 'f': return "fire";
    default: return "noop";
  }
}

KeyAction discrete(Key k, std::int64_t a, std::string meaning) { return {k, a, {}, std::move(meaning)}; }
KeyAction box(Key k, std::array<float, 3> v, std::string meaning) { return {k, 0, v, std::move(meaning)}; }

}  // namespace

std::vector<std::string> HumanKeys::help() const {
  std::vector<std::string> out;
  for (const auto& k : keys) out.push_back(std::string(key_name(k.key)) + "\t" + k.meaning);
  if (!noop_meaning.empty()) out.push_back("no key\t" + noop_meaning);
  return out;
}

std::vector<std::string> action_names(const EnvSpec& spec) {
  const Space& a = spec.action_space;
  if (!a.is_discrete()) return {};
  const std::string& id = spec.id;
  std::vector<std::string> names;
  if (has_prefix(id, "CartPole-"))
    names = {"left", "right"};
  else if (has_prefix(id, "MountainCar-"))
    names = {"left", "none", "right"};
  else if (has_prefix(id, "Acrobot-"))
    names = {"-1", "0", "+1"};
  else if (has_prefix(id, "LunarLander"))
    names = {"noop", "left", "main", "right"};
  else if (has_prefix(id, "CarRacing"))
    names = {"noop", "left", "right", "gas", "brake"};
  else if (const std::string l = minatar_letters(id); !l.empty())
    for (char c : l) names.emplace_back(minatar_name(c));
  if (names.size() != static_cast<std::size_t>(a.n())) {
    names.clear();
    for (std::int64_t i = 0; i < a.n(); ++i) names.push_back(std::to_string(a.start() + i));
  }
  return names;
}

std::optional<HumanKeys> human_keys(const EnvSpec& spec) {
  const Space& a = spec.action_space;
  const std::string& id = spec.id;
  HumanKeys m;
  if (a.is_discrete()) {
    m.noop = a.start();
    if (has_prefix(id, "CartPole-") && a.n() == 2) {
      m.keys = {discrete(Key::Left, 0, "push the cart left"), discrete(Key::Right, 1, "push the cart right")};
      m.alternate_noop = true;
      m.noop_meaning = "left and right in turn (no net push)";
    } else if ((has_prefix(id, "MountainCar-") || has_prefix(id, "Acrobot-")) && a.n() == 3) {
      const bool car = has_prefix(id, "MountainCar-");
      m.keys = {discrete(Key::Left, 0, car ? "accelerate left" : "torque -1"),
                discrete(Key::Right, 2, car ? "accelerate right" : "torque +1")};
      m.noop = 1;
      m.noop_meaning = car ? "no acceleration" : "no torque";
    } else if (has_prefix(id, "LunarLander") && a.n() == 4) {
      m.keys = {discrete(Key::Left, 1, "fire the left orientation engine"),
                discrete(Key::Up, 2, "fire the main engine"),
                discrete(Key::Right, 3, "fire the right orientation engine")};
      m.noop_meaning = "do nothing";
    } else if (has_prefix(id, "CarRacing") && a.n() == 5) {
      m.keys = {discrete(Key::Left, 1, "steer left"), discrete(Key::Right, 2, "steer right"),
                discrete(Key::Up, 3, "gas"), discrete(Key::Down, 4, "brake")};
      m.noop_meaning = "do nothing";
    } else if (const std::string l = minatar_letters(id); !l.empty() && l.size() == static_cast<std::size_t>(a.n())) {
      for (std::size_t i = 0; i < l.size(); ++i) {
        const char c = l[i];
        const auto idx = static_cast<std::int64_t>(i);
        if (c == 'l') m.keys.push_back(discrete(Key::Left, idx, "left"));
        if (c == 'u') m.keys.push_back(discrete(Key::Up, idx, "up"));
        if (c == 'r') m.keys.push_back(discrete(Key::Right, idx, "right"));
        if (c == 'd') m.keys.push_back(discrete(Key::Down, idx, "down"));
        if (c == 'f') m.keys.push_back(discrete(Key::Space, idx, "fire"));
      }
      m.noop_meaning = "noop";
    } else {
      const std::vector<std::string> names = action_names(spec);
      for (std::int64_t i = 0; i < std::min<std::int64_t>(a.n(), 10); ++i)
        m.keys.push_back(discrete(static_cast<Key>(static_cast<int>(Key::Num0) + i), a.start() + i,
                                  "action " + names[static_cast<std::size_t>(i)]));
      m.noop_meaning = "action " + std::to_string(a.start());
    }
    return m;
  }
  // Box actions: each held key adds its vector.
  const std::size_t dims = a.size();
  if (has_prefix(id, "LunarLander") && dims == 2) {
    m.keys = {box(Key::Up, {1, 0, 0}, "main engine"), box(Key::Left, {0, -1, 0}, "left orientation engine"),
              box(Key::Right, {0, 1, 0}, "right orientation engine")};
  } else if (has_prefix(id, "CarRacing") && dims == 3) {
    m.keys = {box(Key::Left, {-1, 0, 0}, "steer left"), box(Key::Right, {1, 0, 0}, "steer right"),
              box(Key::Up, {0, 1, 0}, "gas"), box(Key::Down, {0, 0, 0.8f}, "brake")};
  } else if (has_prefix(id, "MountainCarContinuous") && dims == 1) {
    m.keys = {box(Key::Left, {-1, 0, 0}, "force -1"), box(Key::Right, {1, 0, 0}, "force +1")};
  } else if (has_prefix(id, "Pendulum") && dims == 1) {
    m.keys = {box(Key::Left, {2, 0, 0}, "torque +2 (counter-clockwise)"),
              box(Key::Right, {-2, 0, 0}, "torque -2 (clockwise)")};
  } else {
    return std::nullopt;
  }
  m.noop_meaning = "all zero";
  return m;
}

}  // namespace arena
