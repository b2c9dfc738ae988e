// The replay buffer of the off-policy agents (DQN and its variants).
//
// One class covers the four things DQN-style agents ask of a replay memory:
//
//   * uniform replay over a preallocated ring of `capacity` transitions, with
//     typed storage (uint8 observations stay uint8, float32 stay float32);
//   * n-step returns, from per-env sliding windows that never cross an
//     episode boundary and that tell `terminated` (no bootstrap) from
//     `truncated` (bootstrap from the final observation);
//   * proportional prioritized replay (Schaul et al. 2016) on a sum-tree;
//   * compact frames: a FrameStack observation [k, H, W] (uint8) is stored
//     one frame per step and the stacks are rebuilt at sample time.
//
// Memory. Everything is allocated in the constructor: the storage tensors
// for the whole capacity, the per-env windows, the sum-tree. add() does not
// allocate. Plain storage keeps obs and next_obs per transition
// (2 * capacity * obs bytes); compact storage keeps
// capacity + capacity / 64 + 4k * (n + k + 1) * num_envs frames of H * W
// bytes and 2k int64 frame references per transition (memory_bytes(): 733 MB
// for 100k transitions of [4, 84, 84] with 8 envs and n = 3, against 5.6 GB
// for plain storage).
//
// Compact frames, in detail. Each frame is stored once in a frame ring; a
// transition holds the ring slots of the k frames of obs and of next_obs, so
// a sample is two index_selects over the frame tensor. add() checks that an
// observation continues the env's previous next_obs (byte comparison) and
// that next_obs is obs shifted by one frame; where not (an episode start, or
// anything else) it stores the stack's frames afresh, storing a run of equal
// leading frames (FrameStack's reset padding) once. So the rebuilt stack is
// always byte-equal to the observation that was added, and no stack ever
// spans two episodes. Frames of episode starts take frame slots of their own;
// when the frame ring must overwrite a frame that a stored transition still
// uses, that (oldest) transition is dropped first, so size() may then stay a
// little below capacity() (only with very short episodes: one frame slot per
// 64 transitions is reserved for episode starts).
//
// Randomness: sampling draws from the buffer's own arena::Rng (seeded by the
// constructor, saved with the buffer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <torch/types.h>

#include "envs/core/rng.h"
#include "envs/core/space.h"
#include "envs/core/types.h"
#include "replay/replay_config.h"
#include "replay/sum_tree.h"

namespace arena {

// A batch of transitions (s_t, a_t, R, s_{t+k}). Every tensor is on the CPU,
// contiguous, and owns its memory (no view into the buffer's storage).
struct ReplayBatch {
  torch::Tensor obs;        // [B, ...obs shape], stored dtype (uint8 stays uint8, float32 stays float32)
  torch::Tensor actions;    // [B] int64 (Discrete) or [B, ...action shape] (Box, its dtype: float32)
  torch::Tensor rewards;    // [B] float32: n-step discounted return sum_{i<k} gamma^i r_{t+i}
  torch::Tensor next_obs;   // [B, ...]: s_{t+k}
  torch::Tensor discounts;  // [B] float32: gamma^k when the target bootstraps from next_obs,
                            //   0 when the episode TERMINATED within those k steps
  torch::Tensor weights;    // [B] float32 importance-sampling weights (all ones for uniform replay)
  torch::Tensor indices;    // [B] int64 storage slots, for update_priorities
};

class ReplayBuffer {
 public:
  // `num_envs` parallel envs feed add(); `gamma` discounts the n-step returns;
  // `seed` seeds the sampling RNG. Throws std::invalid_argument on a bad
  // configuration (capacity < 1, n_step < 1, num_envs < 1, gamma outside
  // [0, 1], alpha < 0, priority_eps <= 0 with prioritized replay, or
  // compact_frames with an observation space that is not a [k, H, W] uint8 Box).
  ReplayBuffer(const ReplayConfig& config, const Space& observation_space, const Space& action_space,
               std::int64_t num_envs, double gamma, std::uint64_t seed);

  ReplayBuffer(const ReplayBuffer&) = delete;
  ReplayBuffer& operator=(const ReplayBuffer&) = delete;
  ReplayBuffer(ReplayBuffer&&) noexcept = default;
  ReplayBuffer& operator=(ReplayBuffer&&) noexcept = default;
  ~ReplayBuffer() = default;

  // One vector step: env i went obs[i] --actions[i]--> next_obs[i] (the TRUE
  // next observation: the final one when the episode ended) with rewards[i],
  // terminated[i], truncated[i]. Buffers are [num_envs, ...] contiguous, of
  // the spaces' dtypes (actions: int64 for Discrete); else
  // std::invalid_argument and nothing is stored.
  //
  // When env i's episode ends (terminated or truncated, or both, which counts
  // as terminated) its pending windows are flushed as transitions with k <= n
  // steps, and the env's next add() starts a new episode: in a same-step
  // autoreset VectorEnv obs[i] is then the reset observation. A transition
  // becomes sampleable once its window is complete (n steps, or the end of
  // its episode). No allocation.
  void add(ConstBuffer obs, ConstBuffer actions, std::span<const double> rewards, ConstBuffer next_obs,
           std::span<const std::uint8_t> terminated, std::span<const std::uint8_t> truncated);

  // Samples batch_size (>= 1) transitions with replacement: uniformly, or
  // (prioritized) proportionally to priority^alpha with one draw in each of
  // batch_size equal segments of the total priority. `progress` in [0, 1]
  // (clamped) is the fraction of training done: beta anneals linearly from
  // config.beta to 1. Weights: (N * P(i))^-beta / max_j (N * P(j))^-beta,
  // over the N = size() stored transitions. std::logic_error when empty.
  ReplayBatch sample(std::int64_t batch_size, double progress);

  // The stored transitions at `indices` (1-D, int64 slots of live
  // transitions, else std::out_of_range), weights all ones. For inspection
  // and tests; sample() gathers the same way.
  ReplayBatch gather(const torch::Tensor& indices) const;

  // New priorities |td_error| + priority_eps for the sampled slots
  // (prioritized only; a no-op otherwise). Slots that no longer hold a live
  // transition are skipped; a slot overwritten since it was sampled takes the
  // new priority (as in the reference implementations). Non-finite errors:
  // std::invalid_argument.
  void update_priorities(const torch::Tensor& indices, const torch::Tensor& td_errors);

  // Transitions stored and sampleable (complete windows only).
  std::int64_t size() const { return size_; }
  std::int64_t capacity() const { return capacity_; }
  std::int64_t num_envs() const { return num_envs_; }
  const ReplayConfig& config() const { return config_; }
  // Bytes of storage allocated by the constructor (tensors, trees, windows).
  std::size_t memory_bytes() const;
  // Compact frames: frame slots in the frame ring (0 otherwise).
  std::int64_t frame_capacity() const { return frame_capacity_; }

  // Prioritized only (else 0): the priority p = |td| + eps of a live slot
  // (new transitions get max_priority()), and the largest priority seen
  // (1 before any update).
  double priority(std::int64_t slot) const;
  double max_priority() const { return prioritized() ? max_priority_ : 0.0; }

  // Forgets every transition and pending window (the RNG stream continues).
  void clear();

  // Complete state (contents, cursors, pending n-step windows, priorities and
  // max priority, RNG) in a versioned binary format (see replay_buffer.cpp)
  // closed by an FNV-1a-64 checksum over everything before it. save() writes
  // atomically: a temporary file in the same directory, fsync, rename, fsync
  // of the directory. Throws std::runtime_error naming the file on failure.
  void save(const std::string& path) const;
  // Restores a buffer written by save() from a buffer of the same
  // configuration (capacity, n_step, prioritized, compact_frames, alpha,
  // gamma, num_envs, spaces). Throws std::runtime_error naming the file and
  // what is wrong (bad magic, unsupported version, truncated, checksum,
  // configuration mismatch) and leaves the buffer unchanged: the file is
  // verified completely before anything is modified. (Should the file change
  // between that check and the read, the buffer is cleared and it throws.)
  void load(const std::string& path);

 private:
  struct Snapshot;

  bool prioritized() const { return tree_.has_value(); }
  bool compact() const { return stack_ > 0; }
  std::int64_t tail() const { return (head_ - size_ + capacity_) % capacity_; }
  bool live(std::int64_t slot) const;

  std::int64_t store_frame(const std::uint8_t* src);
  void store_stack(const std::uint8_t* src, std::int64_t* ids);
  bool stack_matches(const std::int64_t* ids, const std::uint8_t* src) const;
  void emit(std::int64_t env, int pos, int steps, bool terminated, const std::uint8_t* next_obs,
            const std::int64_t* next_ids);
  void evict_stale();
  torch::Tensor make_index_tensor(std::int64_t batch_size);
  ReplayBatch gather_unchecked(const torch::Tensor& indices) const;

  struct Field;
  std::vector<Field> config_fields() const;
  std::uint64_t file_bytes(std::int64_t rows, std::int64_t frame_rows) const;
  void write_file(int fd, const std::string& path) const;
  void verify_file(const std::string& path) const;
  void read_file(const std::string& path, Snapshot& snap, bool& touched);
  void commit(Snapshot& snap);

  ReplayConfig config_;
  Space observation_space_, action_space_;
  std::int64_t num_envs_;
  double gamma_;
  std::vector<double> gamma_pow_;  // gamma^0 .. gamma^n
  Rng rng_;
  std::int64_t capacity_;
  int n_;

  // Raw views of the storage tensors (set once in the constructor).
  std::uint8_t* obs_data_ = nullptr;
  std::uint8_t* next_data_ = nullptr;
  std::uint8_t* actions_data_ = nullptr;
  float* rewards_data_ = nullptr;
  float* discounts_data_ = nullptr;
  std::uint8_t* frames_data_ = nullptr;
  std::int64_t* refs_data_ = nullptr;
  double max_priority_alpha_ = 1.0;  // max_priority_^alpha, the leaf of a new transition

  // Element geometry.
  DType obs_dtype_, action_dtype_;
  std::size_t obs_bytes_, action_bytes_;
  std::vector<std::int64_t> obs_shape_, action_shape_;

  // Transition ring: slots [tail, head) (mod capacity) are live.
  torch::Tensor obs_, next_obs_;       // [C, ...obs] (plain storage)
  torch::Tensor actions_, rewards_, discounts_;
  std::int64_t head_ = 0, size_ = 0;
  std::int64_t emitted_ = 0;           // transitions ever written (slots [0, min(emitted, C)) hold data)

  // Compact frames.
  int stack_ = 0;                      // k; 0 when frames are not compact
  std::int64_t frame_h_ = 0, frame_w_ = 0;
  std::size_t frame_bytes_ = 0;
  std::int64_t frame_capacity_ = 0;    // F
  std::int64_t frame_lag_ = 0;         // bound on how far back (in frames) a live reference can reach
  std::int64_t frames_added_ = 0;      // G: global id of the next frame; frame g lives in slot g % F
  torch::Tensor frames_;               // [F, H, W] uint8
  torch::Tensor frame_refs_;           // [C, 2k] int64: frame slots of obs, then of next_obs
  std::vector<std::int64_t> min_frame_;  // [C]: oldest global frame id a transition uses
  std::vector<std::int64_t> chain_ids_;  // [N, k]: global ids of env i's last next_obs stack
  std::vector<std::uint8_t> chain_live_; // [N]: env i's episode continues from that stack
  std::vector<std::int64_t> next_ids_;   // [k] scratch

  // Prioritized replay.
  std::optional<SumTree> tree_;        // leaves p^alpha
  std::vector<double> priorities_;     // [C] p (0: no live transition)
  double max_priority_ = 1.0;

  // n-step windows: per env a ring of up to n pending steps, oldest first.
  std::vector<std::uint8_t> pending_obs_;      // [N, n, obs bytes] (plain storage)
  std::vector<std::int64_t> pending_ids_;      // [N, n, k] frame ids of obs (compact)
  std::vector<std::uint8_t> pending_actions_;  // [N, n, action bytes]
  std::vector<double> pending_returns_;        // [N, n]
  std::vector<std::int64_t> pending_start_, pending_count_;  // [N]
};

}  // namespace arena
