// Deep Q-Network (Mnih et al. 2015) and its common extensions (Double DQN,
// dueling heads, n-step and prioritized replay through the replay buffer),
// with Stable-Baselines3's DQN semantics so that rl-baselines3-zoo
// hyperparameters carry over unchanged:
//
//   * steps() counts env steps over all envs (+num_envs per observe()).
//   * epsilon decays linearly from exploration_initial_eps to
//     exploration_final_eps over exploration_fraction * total_steps, then
//     stays (SB3's get_linear_fn on the progress remaining).
//   * act(Explore) acts uniformly at random while steps() < learning_starts
//     (SB3's _sample_action warm-up); afterwards each env independently acts
//     at random with probability epsilon, else greedily. act(Greedy): argmax Q.
//   * observe() stores the transitions, then follows SB3's collect_rollouts /
//     learn loop: a "rollout" is train_freq vector steps (train_freq * num_envs
//     env steps); after each rollout, once steps() > learning_starts, it
//     trains gradient_steps steps (-1: as many as env steps collected in the
//     rollout, train_freq * num_envs). The target network is updated (Polyak
//     with tau; tau = 1 is a copy) every max(target_update_interval / num_envs, 1)
//     vector steps, before that step's training, as SB3's _on_step does.
//   * A gradient step: target = R + discount * max_a' Q_target(s', a') (Double
//     DQN: Q_target(s', argmax_a' Q_online(s', a'))), where the replay gives
//     discount = gamma^k, or 0 when the episode terminated; loss =
//     mean(weights * huber(Q(s, a) - target)) (or squared error); gradient-norm
//     clipping as torch.nn.utils.clip_grad_norm_; Adam or RMSprop with
//     PyTorch's formulas; new priorities |td error| when prioritized.
//
// Differences from SB3, all deliberate: with several envs, SB3 draws ONE
// random number per vector step to decide whether all envs explore; here each
// env explores independently (the DQN papers' per-actor epsilon). SB3's first
// act() with learning_starts = 0 uses epsilon 0 (its exploration rate is only
// set after the first step); here it is exploration_initial_eps. Prioritized
// and n-step replay, dueling heads, Double DQN, MSE and RMSprop are options
// SB3's DQN does not have.
//
// Non-finite loss or gradients: the gradient step throws std::runtime_error
// BEFORE the optimizer changes anything (parameters, moments, counters), so
// the caller can stop without checkpointing non-finite state.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "agents/agent.h"
#include "agents/dqn_config.h"
#include "agents/flat_optimizer.h"
#include "agents/thread_team.h"
#include "agents/torsos.h"
#include "envs/core/rng.h"
#include "envs/core/space.h"
#include "replay/replay_buffer.h"
#include "replay/replay_config.h"

namespace arena {

class DQN final : public Agent {
 public:
  // `total_steps`: the run's length in env steps (for the epsilon schedule
  // and the replay's beta annealing). `seed` derives the network
  // initialisation, the exploration RNG and the replay's sampling RNG.
  // std::invalid_argument when the action space is not Discrete, the
  // observation space does not fit the torso, or an option is out of range.
  // Sets OpenBLAS to one thread (see set_blas_threads). With
  // torch::get_num_threads() = n > 1 at construction, a dense network splits
  // the large products of its gradient step and the optimizer pass across a
  // team of n threads (ThreadTeam); convolutions use LibTorch's n threads.
  DQN(const DQNConfig& config, const ReplayConfig& replay_config, const Space& observation_space,
      const Space& action_space, std::int64_t num_envs, std::int64_t total_steps, std::uint64_t seed);

  // obs: [n, ...obs shape] in the observation space's dtype; actions: [n] int64.
  void act(ConstBuffer obs, std::int64_t n, ActMode mode, Buffer actions) override;
  // Metrics when it trained (loss and q_mean and grad_norm averaged over the
  // gradient steps of this train, epsilon, updates = gradient steps so far);
  // empty otherwise.
  Metrics observe(const Transitions& transitions) override;
  std::int64_t steps() const override { return num_timesteps_; }
  // Q-values of env 0 at the last act() and the action taken there.
  Insight insight() const override { return insight_; }

  // dir/dqn.bin (networks, optimizer, RNG, counters; FNV-1a checksum) and
  // dir/replay.bin: a loaded agent continues bit-identically. load() checks
  // everything before changing anything.
  void save(const std::filesystem::path& dir) const override;
  void load(const std::filesystem::path& dir) override;
  // The online network with a header naming its architecture; load_policy()
  // refuses another architecture and also sets the target network.
  void save_policy(const std::filesystem::path& file) const override;
  void load_policy(const std::filesystem::path& file) override;
  std::vector<float> parameters_flat() const override;

  // ---- Introspection and single operations (tests, tools) ----
  // The exploration rate act(Explore) uses now (SB3's schedule at steps()).
  double epsilon() const;
  std::int64_t updates() const { return updates_; }
  std::vector<float> target_parameters_flat() const;
  // Online Q-values [B, num_actions] of observations [B, ...] (stored dtype).
  at::Tensor q_values(const at::Tensor& obs) const;
  // One gradient step on `batch`, exactly as a train performs it on a
  // sampled batch. Returns loss, q_mean, grad_norm (before clipping).
  Metrics train_step(const ReplayBatch& batch);
  // target = (1 - tau) * target + tau * online (tau = 1: a copy).
  void update_target();
  const QNetwork& online_network() const { return online_; }
  ReplayBuffer& replay_buffer() { return replay_; }
  const DQNConfig& config() const { return config_; }

 private:
  struct StepStats {
    double loss = 0, q_mean = 0, grad_norm = 0;
  };
  Metrics train(std::int64_t gradient_steps);
  // next_target_head: the target network's head outputs for batch.next_obs, [B, head outputs].
  StepStats gradient_step(const ReplayBatch& batch, const float* next_target_head);
  // The per-sample part of a step, rows [r0, r1): the loss terms' sum and
  // the Q(s, a) sum into `part`, dLoss/d(head) into grad_head_ and |TD
  // error| into td_abs_. h: the online head [B, width]; oq: the online
  // network's Q-values of the next observations (Double DQN) or null.
  struct RowsPart {
    double loss_sum = 0, q_sum = 0, sumsq = 0;
    std::vector<float> target_row;  // dueling: one row of combined target Q-values
  };
  void loss_rows(const ReplayBatch& batch, const float* h, const float* oq, const float* next_target_head,
                 std::int64_t r0, std::int64_t r1, RowsPart& part);

  DQNConfig config_;
  ReplayConfig replay_config_;
  Space observation_space_;
  std::int64_t num_actions_, action_start_;
  std::int64_t num_envs_, total_steps_;
  std::int64_t obs_numel_;

  QNetwork online_, target_;
  FlatOptimizer optimizer_;
  ReplayBuffer replay_;
  Rng rng_;  // exploration

  std::int64_t num_timesteps_ = 0;  // env steps over all envs
  std::int64_t num_calls_ = 0;      // observe() calls (vector steps), SB3's _n_calls
  std::int64_t updates_ = 0;        // gradient steps
  std::int64_t group_batches_ = 1;  // batches whose targets one target-network pass evaluates

  // Gradient-step buffers (reused while the batch size stays the same).
  at::Tensor grad_head_;  // [B, head outputs]
  at::Tensor td_abs_;     // [B] |td error|, for the priorities
  at::Tensor next_obs_buf_;  // next observations of a group of batches (grows)
  std::vector<RowsPart> parts_;  // one per team thread (one without a team)
  std::vector<float> act_q_;  // act(): Q-values of the batch (dense networks)
  std::unique_ptr<ThreadTeam> team_;  // null with one thread or a convolutional network
  Insight insight_;
};

}  // namespace arena
