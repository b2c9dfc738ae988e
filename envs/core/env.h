// The environment API: EnvSpec and Env, with Gymnasium's semantics.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "envs/core/options.h"
#include "envs/core/rng.h"
#include "envs/core/space.h"
#include "envs/core/state_io.h"
#include "envs/core/types.h"

namespace arena {

class DrawList;
class Registry;

// What an environment is: its id, its spaces and its registration data.
struct EnvSpec {
  std::string id;                            // versioned, e.g. "CartPole-v1"
  Space observation_space;
  Space action_space;
  std::optional<int> max_episode_steps;      // applied by the registry's TimeLimit
  std::optional<double> reward_threshold;    // the score at which the task counts as solved
  double render_fps = 30;                    // the speed a viewer plays it at
  bool nondeterministic = false;             // the same seed may still give different episodes
  bool ignores_seed = false;                 // the seed has no effect (fixed start, deterministic dynamics)
  Options kwargs;                            // the resolved construction options
};

// One environment instance: one episode at a time, owning its RNG.
//
// Contract (Gymnasium's):
// - reset(out, seed) reseeds the env's RNG when a seed is given and continues
//   the current stream when not (the very first unseeded reset seeds from OS
//   entropy). The same seed gives bit-identical episodes for the same actions.
// - step() before the first reset() throws std::logic_error. The buffers must
//   match the spaces (dtype and element count) or std::invalid_argument is
//   thrown; a Discrete action outside the space throws std::out_of_range.
// - step() does not allocate on the heap.
// - `terminated`: a terminal state of the MDP. `truncated`: cut short (time
//   limit, out of bounds by convention). Stepping on after either is allowed
//   but its results are undefined, as in Gymnasium: call reset().
class Env {
 public:
  virtual ~Env() = default;
  Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  const EnvSpec& spec() const { return spec_; }
  const Space& observation_space() const { return spec_.observation_space; }
  const Space& action_space() const { return spec_.action_space; }

  // Starts an episode and writes its first observation into `out`.
  // `options` are per-reset options some envs accept (e.g. "low"/"high" for
  // the initial-state range); unknown keys throw OptionError.
  void reset(ObsBuffer out, std::optional<std::uint64_t> seed = std::nullopt,
             const Options& options = {});

  // Advances one step with `action` and writes the next observation into `out`.
  StepResult step(ActionView action, ObsBuffer out);
  // Conveniences for Discrete and Box actions.
  StepResult step(std::int64_t discrete_action, ObsBuffer out);
  StepResult step(std::span<const float> box_action, ObsBuffer out);

  // The complete dynamic state (RNG, episode progress, wrapper statistics),
  // so that a restored env continues bit-identically. load_state() of a
  // state saved by a different env or configuration throws std::runtime_error.
  // Envs that cannot be saved throw std::logic_error from save_state().
  void save_state(StateWriter& out) const;
  void load_state(StateReader& in);

  // Describes the current frame (call after reset). Must not change the env.
  virtual void draw(DrawList& out) const = 0;

  // The innermost env below any wrappers.
  virtual Env& unwrapped() { return *this; }
  virtual const Env& unwrapped() const { return *this; }

  // The env's own RNG (seeded by reset(seed)).
  Rng& rng() { return rng_; }

 protected:
  // Implementations: start an episode. The base class has already applied the
  // seed to rng_; wrappers pass `seed` on to the env they wrap.
  virtual void do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) = 0;
  // Implementations: advance one step. Buffers and order are already checked.
  virtual StepResult do_step(ActionView action, ObsBuffer out) = 0;
  // Implementations: write / read everything step() depends on besides rng_
  // (which the base class saves). The default refuses (std::logic_error).
  virtual void do_save_state(StateWriter& out) const;
  virtual void do_load_state(StateReader& in);

  EnvSpec spec_;
  Rng rng_;

 private:
  friend class Registry;
  friend class Wrapper;  // forwards to the wrapped env's do_step once the outer step has checked
  void check_obs_buffer(const ObsBuffer& out) const;
  void cache_step_checks();
  [[noreturn]] void throw_bad_step(ActionView action, ObsBuffer out) const;
  bool needs_reset_ = true;
  bool seeded_ = false;
  // What step() checks, cached from the spec at reset() (the hot path reads
  // no Space): observation and action dtype and size, the discrete range.
  DType obs_dtype_ = DType::Float32, act_dtype_ = DType::Int64;
  std::size_t obs_count_ = 0, act_count_ = 0;
  bool act_discrete_ = false;
  std::int64_t act_lo_ = 0, act_hi_ = 0;
};

inline StepResult Env::step(ActionView action, ObsBuffer out) {
  if (needs_reset_ || out.dtype != obs_dtype_ || out.count != obs_count_ || out.data == nullptr ||
      action.dtype != act_dtype_ || action.count != act_count_ || action.data == nullptr)
    throw_bad_step(action, out);
  if (act_discrete_) {
    const std::int64_t a = *static_cast<const std::int64_t*>(action.data);
    if (a < act_lo_ || a > act_hi_) throw_bad_step(action, out);
  }
  return do_step(action, out);
}

// Base of every wrapper: an Env that owns an Env and forwards to it.
class Wrapper : public Env {
 public:
  explicit Wrapper(std::unique_ptr<Env> inner);
  void draw(DrawList& out) const override;
  Env& unwrapped() override { return inner_->unwrapped(); }
  const Env& unwrapped() const override { return inner_->unwrapped(); }
  Env& inner() { return *inner_; }
  const Env& inner() const { return *inner_; }

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) override;
  StepResult do_step(ActionView action, ObsBuffer out) override;
  // Saves / loads the wrapped env; wrappers with state of their own extend these.
  void do_save_state(StateWriter& out) const override;
  void do_load_state(StateReader& in) override;
  std::unique_ptr<Env> inner_;
};

// The outer step() has checked the buffers and the action against this
// wrapper's spaces, which are the inner env's unless a subclass changes them
// (and then it overrides do_step): go straight to the inner implementation.
inline StepResult Wrapper::do_step(ActionView action, ObsBuffer out) { return inner_->do_step(action, out); }

}  // namespace arena
