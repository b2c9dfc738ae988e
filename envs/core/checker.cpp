#include "envs/core/checker.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "envs/core/draw_list.h"
#include "envs/core/raster.h"
#include "envs/core/registry.h"

namespace arena {

namespace {

// FNV-1a over bytes: a compact fingerprint of an observation.
std::uint64_t fingerprint(const void* data, std::size_t n, std::uint64_t h = 1469598103934665603ULL) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

// One random-action rollout, recorded step by step.
struct Trace {
  std::vector<std::uint64_t> obs;  // fingerprints, reset observations included
  std::vector<double> rewards;
  std::vector<std::uint8_t> flags;  // terminated | truncated << 1
  bool operator==(const Trace& o) const {
    if (obs != o.obs || flags != o.flags || rewards.size() != o.rewards.size()) return false;
    for (std::size_t i = 0; i < rewards.size(); ++i)
      if (std::memcmp(&rewards[i], &o.rewards[i], sizeof(double)) != 0) return false;  // NaN-safe, bitwise
    return true;
  }
};

// What a check needs to know about the observations of a rollout.
struct Observed {
  int outside = 0;  // observations not in the space
  std::string first_outside;
  int nonfinite_rewards = 0;
  double first_bad_reward = 0;
};

void fill_poison(Buffer b) {
  if (b.dtype == DType::Float32) {
    float* p = b.as<float>();
    for (std::size_t i = 0; i < b.count; ++i) p[i] = std::numeric_limits<float>::quiet_NaN();
  } else {
    std::memset(b.data, 0xAB, b.count * dtype_size(b.dtype));
  }
}

std::string describe_obs(const Space& space, const Array& obs) {
  std::ostringstream os;
  os << "[";
  const std::size_t n = std::min<std::size_t>(obs.count(), 8);
  for (std::size_t i = 0; i < n; ++i) os << (i ? ", " : "") << obs.at(i);
  if (obs.count() > n) os << ", ...";
  os << "] not in " << space.repr();
  return os.str();
}

// Resets with `first_seed` (none: continue), then takes `steps` random actions
// (from an action RNG seeded with `action_seed`), resetting without a seed
// whenever an episode ends.
Trace rollout(Env& env, std::optional<std::uint64_t> first_seed, std::uint64_t action_seed, int steps,
              Observed* seen = nullptr) {
  Trace t;
  Array obs = env.observation_space().make_array();
  Array act = env.action_space().make_array();
  Rng action_rng(action_seed);
  auto record_obs = [&] {
    t.obs.push_back(fingerprint(obs.view().data, obs.count() * dtype_size(obs.dtype())));
    if (seen && !env.observation_space().contains(obs.view())) {
      if (seen->outside++ == 0) seen->first_outside = describe_obs(env.observation_space(), obs);
    }
  };
  fill_poison(obs.view());
  env.reset(obs.view(), first_seed);
  record_obs();
  for (int i = 0; i < steps; ++i) {
    env.action_space().sample(action_rng, act.view());
    fill_poison(obs.view());
    const StepResult r = env.step(act.view(), obs.view());
    record_obs();
    t.rewards.push_back(r.reward);
    t.flags.push_back(static_cast<std::uint8_t>(r.terminated | (r.truncated << 1)));
    if (seen && !std::isfinite(r.reward)) {
      if (seen->nonfinite_rewards++ == 0) seen->first_bad_reward = r.reward;
    }
    if (r.done()) {
      fill_poison(obs.view());
      env.reset(obs.view());
      record_obs();
    }
  }
  return t;
}

std::size_t first_difference(const Trace& a, const Trace& b) {
  const std::size_t n = std::min(a.obs.size(), b.obs.size());
  for (std::size_t i = 0; i < n; ++i)
    if (a.obs[i] != b.obs[i]) return i;
  return n;
}

bool nonblank(const Env& env, std::string& detail) {
  DrawList list;
  env.draw(list);
  if (list.width() <= 0 || list.height() <= 0) {
    detail = "draw() left the canvas size at " + std::to_string(list.width()) + "x" + std::to_string(list.height());
    return false;
  }
  if (list.commands().empty()) {
    detail = "draw() produced no drawing commands";
    return false;
  }
  Image img;
  rasterize(list, std::min(list.width(), 320), std::min(list.height(), 320), img);
  for (std::size_t i = 3; i < img.rgb.size(); i += 3)
    if (std::memcmp(&img.rgb[i], &img.rgb[0], 3) != 0) return true;
  detail = "the rasterized frame is a single colour";
  return false;
}

}  // namespace

const std::vector<std::string>& check_names() {
  static const std::vector<std::string> names = {
      "spaces",         "spec",          "reset_observation", "step_observation",    "finite_rewards",
      "seed_determinism", "seeds_diverge", "reset_reseeds",     "reset_continues_rng", "draw_nonblank"};
  return names;
}

bool CheckReport::passed() const {
  for (const auto& r : results)
    if (!r.passed) return false;
  return !results.empty();
}

std::vector<std::string> CheckReport::failed() const {
  std::vector<std::string> out;
  for (const auto& r : results)
    if (!r.passed) out.push_back(r.name);
  return out;
}

const CheckResult* CheckReport::find(std::string_view name) const {
  for (const auto& r : results)
    if (r.name == name) return &r;
  return nullptr;
}

std::string CheckReport::format() const {
  std::ostringstream os;
  for (const auto& r : results) {
    os << "  " << (r.skipped ? "skip" : r.passed ? "ok  " : "FAIL") << "  " << r.name;
    if (!r.detail.empty()) os << ": " << r.detail;
    os << "\n";
  }
  const auto bad = failed();
  os << env_id << ": " << (bad.empty() ? "passed" : std::to_string(bad.size()) + " check(s) failed") << " ("
     << results.size() << " checks)\n";
  return os.str();
}

CheckReport check_env(const EnvMaker& make, const CheckOptions& options) {
  CheckReport report;
  auto add = [&](const std::string& name, bool passed, std::string detail = {}, bool skipped = false) {
    report.results.push_back({name, passed, skipped, std::move(detail)});
  };
  // Runs `body`, turning an exception into a failure of `name`.
  auto guarded = [&](const std::string& name, auto&& body) {
    try {
      body();
    } catch (const std::exception& e) {
      add(name, false, std::string("threw: ") + e.what());
    }
  };

  std::unique_ptr<Env> probe;
  try {
    probe = make();
  } catch (const std::exception& e) {
    report.env_id = "?";
    for (const auto& n : check_names()) add(n, false, std::string("could not construct the env: ") + e.what());
    return report;
  }
  const EnvSpec& spec = probe->spec();
  report.env_id = spec.id.empty() ? "(unregistered env)" : spec.id;
  const std::uint64_t seed = options.seed;
  const std::uint64_t action_seed = seed * 2654435761ULL + 7;

  bool spaces_ok = false;
  guarded("spaces", [&] {
    std::string why = spec.observation_space.validate();
    if (why.empty()) why = spec.action_space.validate();
    if (why.empty() && spec.action_space.is_box() && spec.action_space.dtype() != DType::Float32)
      why = "a Box action space must be float32, got " + spec.action_space.repr();
    if (why.empty()) {
      // Sampled actions must lie in the action space.
      Rng r(seed);
      Array a = spec.action_space.make_array();
      for (int i = 0; i < 100 && why.empty(); ++i) {
        spec.action_space.sample(r, a.view());
        if (!spec.action_space.contains(a.view())) why = "a sampled action is not in " + spec.action_space.repr();
      }
    }
    spaces_ok = why.empty();
    add("spaces", spaces_ok, why);
  });
  if (!spaces_ok) {
    for (std::size_t i = 1; i < check_names().size(); ++i)
      add(check_names()[i], false, "not run: the spaces are invalid");
    return report;
  }

  guarded("spec", [&] {
    std::string why;
    if (spec.max_episode_steps && *spec.max_episode_steps <= 0) why = "max_episode_steps must be positive";
    else if (!(spec.render_fps > 0)) why = "render_fps must be positive";
    else if (spec.reward_threshold && !std::isfinite(*spec.reward_threshold)) why = "reward_threshold is not finite";
    else if (!spec.id.empty() && spec.id.find("-v") == std::string::npos) why = "the id '" + spec.id + "' has no version";
    add("spec", why.empty(), why);
  });

  // One observed rollout feeds the observation and reward checks.
  Observed seen;
  Trace base;
  bool base_ok = false;
  guarded("reset_observation", [&] {
    auto env = make();
    Array obs = env->observation_space().make_array();
    fill_poison(obs.view());
    env->reset(obs.view(), seed);
    const bool ok = env->observation_space().contains(obs.view());
    add("reset_observation", ok, ok ? "" : describe_obs(env->observation_space(), obs));
  });
  guarded("step_observation", [&] {
    auto env = make();
    base = rollout(*env, seed, action_seed, options.steps, &seen);
    base_ok = true;
    add("step_observation", seen.outside == 0,
        seen.outside ? std::to_string(seen.outside) + " observation(s) outside the space, first: " + seen.first_outside
                     : "");
  });
  if (base_ok) {
    add("finite_rewards", seen.nonfinite_rewards == 0,
        seen.nonfinite_rewards ? std::to_string(seen.nonfinite_rewards) + " non-finite reward(s), first: " +
                                     std::to_string(seen.first_bad_reward)
                               : "");
  } else {
    add("finite_rewards", false, "not run: the rollout failed");
  }

  const bool deterministic = !spec.nondeterministic;
  guarded("seed_determinism", [&] {
    if (!deterministic) return add("seed_determinism", true, "skipped: the env declares itself nondeterministic", true);
    auto env = make();
    const Trace again = rollout(*env, seed, action_seed, options.steps);
    const bool ok = base_ok && again == base;
    add("seed_determinism", ok,
        ok ? "" : "two envs reset with seed " + std::to_string(seed) + " differ from observation " +
                      std::to_string(first_difference(base, again)) + " (or in rewards/flags)");
  });
  guarded("seeds_diverge", [&] {
    if (!deterministic || spec.ignores_seed)
      return add("seeds_diverge", true, "skipped: the env declares that its seed has no effect", true);
    auto env = make();
    const Trace other = rollout(*env, seed + 1, action_seed, options.steps);
    const bool ok = !(other == base);
    add("seeds_diverge", ok,
        ok ? "" : "seeds " + std::to_string(seed) + " and " + std::to_string(seed + 1) +
                      " give identical rollouts under the same actions (declare ignores_seed if intended)");
  });
  guarded("reset_reseeds", [&] {
    if (!deterministic) return add("reset_reseeds", true, "skipped: nondeterministic env", true);
    // A used env reset with the seed must replay the fresh env's rollout.
    auto env = make();
    rollout(*env, seed + 7, action_seed + 1, 50);
    const Trace again = rollout(*env, seed, action_seed, options.steps);
    const bool ok = base_ok && again == base;
    add("reset_reseeds", ok,
        ok ? "" : "reset(seed) after other episodes does not reproduce a fresh env's rollout (diverges at observation " +
                      std::to_string(first_difference(base, again)) + ")");
  });
  guarded("reset_continues_rng", [&] {
    if (!deterministic) return add("reset_continues_rng", true, "skipped: nondeterministic env", true);
    // reset(seed) then reset(): the second episode must be reproducible and,
    // unless the seed has no effect, differ from replaying the seed.
    const int steps = std::min(options.steps, 200);
    auto a = make();
    auto b = make();
    Array obs = a->observation_space().make_array();
    a->reset(obs.view(), seed);
    b->reset(obs.view(), seed);
    const Trace ta = rollout(*a, std::nullopt, action_seed, steps);
    const Trace tb = rollout(*b, std::nullopt, action_seed, steps);
    if (!(ta == tb)) return add("reset_continues_rng", false, "reset() after reset(seed) is not reproducible");
    if (spec.ignores_seed) return add("reset_continues_rng", true);
    auto c = make();
    const Trace tc = rollout(*c, seed, action_seed, steps);
    const bool ok = !(ta == tc);
    add("reset_continues_rng", ok, ok ? "" : "reset() without a seed restarted the seeded stream instead of continuing it");
  });
  guarded("draw_nonblank", [&] {
    auto env = make();
    Array obs = env->observation_space().make_array();
    Array act = env->action_space().make_array();
    env->reset(obs.view(), seed);
    std::string why;
    bool ok = nonblank(*env, why);
    if (ok) {
      Rng r(action_seed);
      for (int i = 0; i < 10; ++i) {
        env->action_space().sample(r, act.view());
        if (env->step(act.view(), obs.view()).done()) break;
      }
      ok = nonblank(*env, why);
      if (!ok) why = "after 10 steps: " + why;
    }
    add("draw_nonblank", ok, why);
  });
  return report;
}

CheckReport check_env(const Registry& registry, std::string_view id, const CheckOptions& options) {
  const std::string name(id);
  if (!registry.contains(id)) registry.make(id);  // throws UnknownEnvError with suggestions
  return check_env([&registry, name] { return registry.make(name); }, options);
}

}  // namespace arena
