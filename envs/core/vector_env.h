// A synchronous vector of N copies of one env, with batched buffers.
//
// The VectorEnv owns contiguous batched buffers: observations [N, ...obs
// shape] (the observation dtype), rewards [N] (double), terminated, truncated
// and ended [N] (uint8, 0 or 1), final observations [N, ...obs shape]. The
// actions of one step come in as one buffer of N * action size elements
// (int64 for Discrete, the Box dtype for Box), env i reading elements
// [i * action size, (i + 1) * action size). step() does not allocate (as long
// as the envs' step and reset do not).
//
// Autoreset, when env i's episode ends (terminated or truncated):
//
//   SameStep (the default; Stable-Baselines3's VecEnv and Gymnasium's
//   AutoresetMode.SAME_STEP): env i is reset within the step that ended its
//   episode. observations()[i] is then the first observation of the new
//   episode, final_observations()[i] the last observation of the ended one,
//   rewards()[i], terminated()[i] and truncated()[i] belong to the ended
//   episode's last step and ended()[i] = 1. Every step's action is used.
//   A learner bootstraps a truncated transition from final_observations()[i].
//
//   NextStep (Gymnasium 1.x's default, AutoresetMode.NEXT_STEP): the step that
//   ends the episode returns its last observation in observations()[i] (also
//   copied to final_observations()[i]) with ended()[i] = 1; the *next* step()
//   resets env i instead of stepping it: its action is ignored,
//   observations()[i] is the first observation of the new episode, reward 0,
//   terminated = truncated = 0, and was_reset()[i] = 1. A learner must not
//   store the transition into such a step.
//
// In both modes was_reset()[i] says whether env i was reset during the last
// step(); it equals ended() in SameStep mode. reset() clears every flag.
// Seeding: reset(seed) resets env i with seed + i; reset() without a seed lets
// every env continue its own RNG stream. Autoresets never reseed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "envs/core/env.h"
#include "envs/core/types.h"

namespace arena {

class DrawList;
class Registry;

enum class AutoresetMode : std::uint8_t { SameStep, NextStep };

const char* autoreset_mode_name(AutoresetMode mode);  // "same_step", "next_step"

class VectorEnv {
 public:
  using Factory = std::function<std::unique_ptr<Env>()>;

  // Calls `make` num_envs times (num_envs >= 1). Every env must have the same
  // observation and action spaces, else std::invalid_argument.
  VectorEnv(const Factory& make, std::size_t num_envs, AutoresetMode mode = AutoresetMode::SameStep);
  // num_envs copies of registry.make(id, options) (TimeLimit included).
  static VectorEnv make(const Registry& registry, std::string_view id, std::size_t num_envs,
                        const Options& options = {}, AutoresetMode mode = AutoresetMode::SameStep);

  VectorEnv(VectorEnv&&) noexcept = default;
  VectorEnv& operator=(VectorEnv&&) noexcept = default;
  VectorEnv(const VectorEnv&) = delete;
  VectorEnv& operator=(const VectorEnv&) = delete;
  ~VectorEnv() = default;

  // Resets every env (env i with seed + i when a seed is given; `options` go to
  // every env) and fills observations(); clears rewards and flags.
  void reset(std::optional<std::uint64_t> seed = std::nullopt, const Options& options = {});

  // Steps every env with its slice of `actions` (dtype of the single action
  // space, num_envs() * single_action_space().size() elements, else
  // std::invalid_argument), autoresetting as the mode says. Throws
  // std::logic_error before the first reset().
  void step(ConstBuffer actions);
  void step(std::span<const std::int64_t> actions) { step(ConstBuffer(actions)); }
  void step(std::span<const float> actions) { step(ConstBuffer(actions)); }

  // Batched results of the last reset()/step().
  ConstBuffer observations() const { return obs_.view(); }
  ConstBuffer observation(std::size_t i) const;  // row i of observations()
  const std::vector<std::int64_t>& observations_shape() const { return obs_.shape(); }  // [N, ...]
  std::span<const double> rewards() const { return rewards_; }
  std::span<const std::uint8_t> terminated() const { return terminated_; }
  std::span<const std::uint8_t> truncated() const { return truncated_; }
  // 1 where the episode ended (terminated or truncated) in the last step.
  std::span<const std::uint8_t> ended() const { return ended_; }
  // Row i: the last observation of the episode that ended in env i (valid
  // where ended()[i] is 1; other rows hold stale data).
  ConstBuffer final_observations() const { return final_obs_.view(); }
  ConstBuffer final_observation(std::size_t i) const;
  // 1 where env i was reset during the last step().
  std::span<const std::uint8_t> was_reset() const { return was_reset_; }

  std::size_t num_envs() const { return envs_.size(); }
  AutoresetMode autoreset_mode() const { return mode_; }
  const EnvSpec& single_spec() const { return envs_.front()->spec(); }
  const Space& single_observation_space() const { return envs_.front()->observation_space(); }
  const Space& single_action_space() const { return envs_.front()->action_space(); }
  Env& env(std::size_t i) { return *envs_.at(i); }
  const Env& env(std::size_t i) const { return *envs_.at(i); }
  // Env i's current frame.
  void draw(std::size_t i, DrawList& out) const;

  // Every env's state and the batched buffers, so that a restored VectorEnv
  // continues bit-identically (checkpoints). See Env::save_state.
  void save_state(StateWriter& out) const;
  void load_state(StateReader& in);

 private:
  Buffer obs_row(Array& a, std::size_t i);

  std::vector<std::unique_ptr<Env>> envs_;
  AutoresetMode mode_;
  std::size_t obs_size_ = 0, obs_bytes_ = 0, action_size_ = 0;
  DType action_dtype_ = DType::Int64;
  Array obs_, final_obs_;
  std::vector<double> rewards_;
  std::vector<std::uint8_t> terminated_, truncated_, ended_, was_reset_;
  std::vector<std::uint8_t> pending_reset_;  // NextStep: reset on the next step
  Options no_options_;
  bool needs_reset_ = true;
};

}  // namespace arena
