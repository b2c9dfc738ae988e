// Tests of envs/core/vector_env.h: batched layout, seeding, both autoreset
// modes and no allocation per step, on small deterministic envs defined here.
#include "envs/core/vector_env.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

#include "envs/core/draw_list.h"
#include "envs/core/registry.h"
#include "envs/core/wrappers.h"

// ---- Allocation counting: every global operator new/delete is replaced. ----
namespace {
std::atomic<long> g_allocations{0};

void* counted_alloc(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* counted_aligned_alloc(std::size_t n, std::align_val_t al) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  const auto a = static_cast<std::size_t>(al);
  const std::size_t size = ((n == 0 ? 1 : n) + a - 1) / a * a;
  if (void* p = std::aligned_alloc(a, size)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try { return counted_alloc(n); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try { return counted_alloc(n); } catch (...) { return nullptr; }
}
void* operator new(std::size_t n, std::align_val_t a) { return counted_aligned_alloc(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_aligned_alloc(n, a); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try { return counted_aligned_alloc(n, a); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try { return counted_aligned_alloc(n, a); } catch (...) { return nullptr; }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

// The tests configure their envs with designated initializers and rely on
// the members' defaults for the fields they leave out.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace arena {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A scripted env.
// Float32 observations, shape {3}: [t, start, last action element 0], where t
// counts the steps since reset and `start` is drawn from the env's RNG at reset.
// UInt8 observations (image = true), shape {2, 2}: every element start + t,
// start drawn in [3, 52]; bounds [3, 255].
// Reward of the k-th step since construction (k = 0, 1, ...): rewards[k % size]
// (when empty: 1). Terminates at t == terminate_after (0: never).
struct ScriptConfig {
  bool discrete = false;
  std::vector<double> action_low{-1, -1}, action_high{1, 1};  // Box action, one per element
  bool image = false;
  double obs_low = -kInf, obs_high = kInf;  // float observations
  int terminate_after = 0;
  std::vector<double> rewards;
};

class ScriptEnv : public Env {
 public:
  explicit ScriptEnv(ScriptConfig c = {}) : c_(std::move(c)) {
    spec_.id = "Script-v0";
    if (c_.image) {
      spec_.observation_space = Space::box({2, 2}, 3, 255, DType::UInt8);
    } else {
      spec_.observation_space = Space::box({3}, c_.obs_low, c_.obs_high);
    }
    if (c_.discrete) {
      spec_.action_space = Space::discrete(4);
    } else {
      spec_.action_space = Space::box({static_cast<std::int64_t>(c_.action_low.size())}, c_.action_low,
                                      c_.action_high);
    }
    last_action_.assign(spec_.action_space.size(), 0.0);
  }

  void draw(DrawList& out) const override { out.clear(10 + t_, 10, Color::rgb(0, 0, 0)); }

  int t() const { return t_; }
  double start() const { return start_; }
  long total_steps() const { return total_; }
  const std::vector<double>& last_action() const { return last_action_; }

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t>, const Options&) override {
    t_ = 0;
    start_ = c_.image ? 3.0 + static_cast<double>(rng_.below(50)) : rng_.uniform();
    std::fill(last_action_.begin(), last_action_.end(), 0.0);
    write(out);
  }
  StepResult do_step(ActionView action, ObsBuffer out) override {
    if (c_.discrete) {
      last_action_[0] = static_cast<double>(*action.as<std::int64_t>());
    } else {
      const float* a = action.as<float>();
      for (std::size_t i = 0; i < last_action_.size(); ++i) last_action_[i] = a[i];
    }
    ++t_;
    StepResult r;
    r.reward = c_.rewards.empty() ? 1.0 : c_.rewards[static_cast<std::size_t>(total_) % c_.rewards.size()];
    ++total_;
    r.terminated = c_.terminate_after > 0 && t_ >= c_.terminate_after;
    write(out);
    return r;
  }

 private:
  void write(ObsBuffer out) const {
    if (c_.image) {
      for (auto& v : out.span<std::uint8_t>()) v = static_cast<std::uint8_t>(start_ + t_);
    } else {
      float* o = out.as<float>();
      o[0] = static_cast<float>(t_);
      o[1] = static_cast<float>(start_);
      o[2] = static_cast<float>(last_action_[0]);
    }
  }

  ScriptConfig c_;
  int t_ = 0;
  long total_ = 0;
  double start_ = 0;
  std::vector<double> last_action_;
};

std::unique_ptr<ScriptEnv> script(ScriptConfig c = {}) { return std::make_unique<ScriptEnv>(std::move(c)); }

ScriptEnv& inner_script(Env& env) { return dynamic_cast<ScriptEnv&>(env.unwrapped()); }

@@BODY@@
