// A tiny seeded environment for tests of the env machinery: a walker on a
// line, pushed left or right with noise, that ends when it leaves [-5, 5].
// Variants break one rule each, for the checker's tests.
#pragma once

#include <cmath>
#include <limits>

#include "envs/core/draw_list.h"
#include "envs/core/env.h"

namespace arena::testing {

enum class Flaw {
  None,
  ObsOutOfSpace,   // the observation leaves its Box
  NaNReward,       // a reward is NaN
  GlobalState,     // dynamics depend on a process-wide counter
  IgnoresSeed,     // fixed start and noise-free dynamics, not declared
  ReseedOnReset,   // reset() without a seed restarts the seeded stream
  BlankDraw,       // draws a single colour
  InvalidSpace,    // low > high
  PartialObs,      // leaves part of the observation unwritten
};

class WalkEnv : public Env {
 public:
  explicit WalkEnv(Flaw flaw = Flaw::None) : flaw_(flaw) {
    spec_.id = "Walk-v0";
    spec_.observation_space = flaw == Flaw::InvalidSpace ? Space::box({2}, 1, -1) : Space::box({2}, -10, 10);
    spec_.action_space = Space::discrete(2);
  }
  void draw(DrawList& out) const override {
    out.clear(200, 100, Color::rgb(255, 255, 255));
    if (flaw_ == Flaw::BlankDraw) return out.rect(0, 0, 200, 100, Color::rgb(255, 255, 255), Color::none(), 0, Coords::Canvas);
    out.circle({static_cast<float>(100 + 10 * x_), 50}, 8, Color::rgb(200, 30, 30), Color::none(), 0, Coords::Canvas);
  }
  double x() const { return x_; }

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) override {
    options.require_only({"low"}, "reset options of Walk-v0");
    if (seed) last_seed_ = *seed;
    if (flaw_ == Flaw::ReseedOnReset && !seed) rng_.seed(last_seed_);
    const double low = options.get_double_or("low", -1.0);
    x_ = flaw_ == Flaw::IgnoresSeed ? 0.0 : rng_.uniform(low, 1.0);
    t_ = 0;
    write(out);
  }
  StepResult do_step(ActionView action, ObsBuffer out) override {
    static int global_counter = 0;
    const std::int64_t a = *action.as<std::int64_t>();
    double push = a == 1 ? 0.5 : -0.5;
    if (flaw_ != Flaw::IgnoresSeed) push += 0.1 * rng_.normal();
    if (flaw_ == Flaw::GlobalState) push += 0.01 * (++global_counter % 7);
    x_ += push;
    ++t_;
    write(out);
    StepResult r;
    r.reward = flaw_ == Flaw::NaNReward && t_ == 3 ? std::numeric_limits<double>::quiet_NaN() : 1.0 - std::fabs(x_) / 5;
    r.terminated = std::fabs(x_) >= 5;
    return r;
  }

 private:
  void write(ObsBuffer out) const {
    float* o = out.as<float>();
    o[0] = static_cast<float>(flaw_ == Flaw::ObsOutOfSpace ? x_ * 100 + 20 : x_);
    if (flaw_ != Flaw::PartialObs) o[1] = static_cast<float>(t_ % 10);
  }
  Flaw flaw_;
  double x_ = 0;
  int t_ = 0;
  std::uint64_t last_seed_ = 0;
};

}  // namespace arena::testing
