// The example environment of docs/adding-an-environment.md. A test compiles
// it, registers it and runs the conformance checker on it, so the tutorial
// stays true.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>

#include "envs/core/draw_list.h"
#include "envs/core/env.h"
#include "envs/core/registry.h"

namespace example {

// Chase-v0: move a runner on the unit square until it catches a target.
// Observation: runner x, y and target x, y (Box [0, 1]^4, float32).
// Actions: 0 stay, 1 up, 2 down, 3 left, 4 right (Discrete(5)).
// Reward: minus the distance to the target each step; terminated when the
// runner is within `catch_radius` of the target.
class Chase : public arena::Env {
 public:
  explicit Chase(const arena::Options& options)
      : step_size_(options.get_double("step_size")), catch_radius_(options.get_double("catch_radius")) {
    spec_.observation_space = arena::Space::box({4}, 0.0, 1.0);
    spec_.action_space = arena::Space::discrete(5);
    spec_.render_fps = 30;
  }

  void draw(arena::DrawList& out) const override {
    out.clear(400, 400, arena::Color::rgb(245, 245, 240));
    out.camera.center = {0.5f, 0.5f};  // world: the unit square, y up
    out.camera.scale = 380;
    out.rect(0, 0, 1, 1, arena::Color::none(), arena::Color::rgb(60, 60, 60), 2);
    out.circle({float(tx_), float(ty_)}, float(catch_radius_), arena::Color::rgb(230, 80, 60));
    out.circle({float(x_), float(y_)}, 0.02f, arena::Color::rgb(40, 90, 200));
  }

 protected:
  void do_reset(arena::ObsBuffer out, std::optional<std::uint64_t> /*seed*/,
                const arena::Options& options) override {
    options.require_only({}, "reset options of Chase-v0");
    // The base class has already seeded rng_ when a seed was given.
    x_ = rng_.uniform();
    y_ = rng_.uniform();
    tx_ = rng_.uniform();
    ty_ = rng_.uniform();
    write(out);
  }

  arena::StepResult do_step(arena::ActionView action, arena::ObsBuffer out) override {
    // The base class has checked the action is in Discrete(5).
    static constexpr double dx[5] = {0, 0, 0, -1, 1}, dy[5] = {0, 1, -1, 0, 0};
    const std::int64_t a = *action.as<std::int64_t>();
    x_ = std::clamp(x_ + step_size_ * dx[a], 0.0, 1.0);
    y_ = std::clamp(y_ + step_size_ * dy[a], 0.0, 1.0);
    write(out);
    const double distance = std::hypot(tx_ - x_, ty_ - y_);
    return {-distance, distance < catch_radius_, false};  // reward, terminated, truncated
  }

 private:
  void write(arena::ObsBuffer out) const {
    float* o = out.as<float>();
    o[0] = float(x_), o[1] = float(y_), o[2] = float(tx_), o[3] = float(ty_);
  }

  double step_size_, catch_radius_;
  double x_ = 0, y_ = 0, tx_ = 0, ty_ = 0;
};

// The registration line: id, factory, and registration data (step limit,
// reward threshold, and every construction option with its default).
inline void register_chase(arena::Registry& registry) {
  registry.add(
      "Chase-v0", [](const arena::Options& o) { return std::make_unique<Chase>(o); },
      {.max_episode_steps = 200,
       .reward_threshold = -5.0,
       .kwargs = {{"step_size", 0.05}, {"catch_radius", 0.05}}});
}

}  // namespace example
