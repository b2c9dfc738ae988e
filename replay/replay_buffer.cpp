#include "replay/replay_buffer.h"

#include "envs/core/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include <torch/torch.h>

namespace arena {

namespace {

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

torch::Dtype torch_dtype(DType dtype) {
  switch (dtype) {
    case DType::Float32: return torch::kFloat32;
    case DType::UInt8: return torch::kUInt8;
    case DType::Int64: return torch::kInt64;
  }
  throw std::logic_error("ReplayBuffer: unknown dtype");
}

std::vector<std::int64_t> leading(std::int64_t n, const std::vector<std::int64_t>& shape) {
  std::vector<std::int64_t> out{n};
  out.insert(out.end(), shape.begin(), shape.end());
  return out;
}

void check_buffer(const ConstBuffer& b, DType dtype, std::size_t count, const char* what) {
  if (b.dtype != dtype) {
    throw std::invalid_argument(std::string("ReplayBuffer::add: ") + what + " has dtype " +
                                dtype_name(b.dtype) + ", expected " + dtype_name(dtype));
  }
  if (b.count != count) {
    throw std::invalid_argument(std::string("ReplayBuffer::add: ") + what + " has " + std::to_string(b.count) +
                                " elements, expected " + std::to_string(count) + " (num_envs x space size)");
  }
  if (count > 0 && b.data == nullptr) {
    throw std::invalid_argument(std::string("ReplayBuffer::add: ") + what + " is null");
  }
}

// FNV-1a (64-bit) over the stream read as little-endian 64-bit words (a
// zero-padded last word), then over the byte length. Word-wise so that
// checksumming a multi-GB buffer runs at memory speed; each step
// h = (h ^ w) * prime is a bijection of h, so any single corrupted word, or a
// different length, always changes the digest.
class Checksum {
 public:
  void update(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    length_ += n;
    if (partial_ > 0) {  // complete the pending word first
      const std::size_t take = std::min(n, 8 - partial_);
      std::memcpy(part_ + partial_, p, take);
      partial_ += take;
      p += take;
      n -= take;
      if (partial_ < 8) return;
      mix(load(part_));
      partial_ = 0;
    }
    for (; n >= 8; p += 8, n -= 8) mix(load(p));
    std::memcpy(part_, p, n & 7);
    partial_ = n & 7;
  }
  std::uint64_t digest() const {
    Checksum c = *this;
    if (c.partial_ > 0) {
      std::memset(c.part_ + c.partial_, 0, 8 - c.partial_);
      c.mix(load(c.part_));
    }
    c.mix(length_);
    return c.h_;
  }

 private:
  static std::uint64_t load(const unsigned char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }
  void mix(std::uint64_t w) { h_ = (h_ ^ w) * 0x100000001b3ULL; }

  std::uint64_t h_ = 0xcbf29ce484222325ULL;
  std::uint64_t length_ = 0;
  unsigned char part_[8] = {};
  std::size_t partial_ = 0;
};

constexpr char kMagic[8] = {'A', 'R', 'N', 'R', 'P', 'L', 'A', 'Y'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderBytes = 8 + 4 + 4 + 8;  // magic, version, reserved, file size
constexpr std::size_t kChunk = std::size_t{1} << 20;

std::string errno_text() { return std::strerror(errno); }

// Buffered writer that checksums what it writes.
class FileWriter {
 public:
  FileWriter(int fd, std::string path) : fd_(fd), path_(std::move(path)) { buffer_.reserve(kChunk); }

  void bytes(const void* data, std::size_t n) {
    checksum_.update(data, n);
    written_ += n;
    const auto* p = static_cast<const unsigned char*>(data);
    if (buffer_.size() + n > kChunk) flush();
    if (n >= kChunk) {
      write_all(p, n);
    } else {
      buffer_.insert(buffer_.end(), p, p + n);
    }
  }
  template <class T> void pod(const T& v) { bytes(&v, sizeof v); }
  template <class T> void array(const std::vector<T>& v) { bytes(v.data(), v.size() * sizeof(T)); }

  void flush() {
    write_all(buffer_.data(), buffer_.size());
    buffer_.clear();
  }
  std::uint64_t digest() const { return checksum_.digest(); }
  std::uint64_t written() const { return written_; }

 private:
  void write_all(const unsigned char* p, std::size_t n) {
    arena::write_all(fd_, p, n, path_);
  }

  int fd_;
  std::string path_;
  std::vector<unsigned char> buffer_;
  Checksum checksum_;
  std::uint64_t written_ = 0;
};

// Closes a file descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Buffered reader that checksums what it reads; a short read is a truncated file.
class FileReader {
 public:
  explicit FileReader(std::string path) : path_(std::move(path)) {
    file_.fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (file_.fd < 0) fail("cannot open: " + errno_text());
    struct stat st {};
    if (::fstat(file_.fd, &st) != 0) fail("cannot stat: " + errno_text());
    size_ = static_cast<std::uint64_t>(st.st_size);
  }

  std::uint64_t size() const { return size_; }
  std::uint64_t position() const { return position_; }
  std::uint64_t digest() const { return checksum_.digest(); }

  void bytes(void* dst, std::size_t n) {
    auto* out = static_cast<unsigned char*>(dst);
    while (n > 0) {
      const ssize_t r = ::read(file_.fd, out, std::min(n, kChunk));
      if (r < 0) {
        if (errno == EINTR) continue;
        fail("read failed: " + errno_text());
      }
      if (r == 0) fail("truncated: ends at byte " + std::to_string(position_));
      checksum_.update(out, static_cast<std::size_t>(r));
      out += r;
      n -= static_cast<std::size_t>(r);
      position_ += static_cast<std::uint64_t>(r);
    }
  }
  template <class T> T pod() {
    T v;
    bytes(&v, sizeof v);
    return v;
  }
  template <class T> void array(std::vector<T>& v) { bytes(v.data(), v.size() * sizeof(T)); }
  // Reads (and checksums) n bytes without keeping them.
  void skip(std::uint64_t n) {
    std::vector<unsigned char> scratch(static_cast<std::size_t>(std::min<std::uint64_t>(n, kChunk)));
    while (n > 0) {
      const auto step = static_cast<std::size_t>(std::min<std::uint64_t>(n, scratch.size()));
      bytes(scratch.data(), step);
      n -= step;
    }
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("ReplayBuffer::load: " + path_ + ": " + what);
  }

 private:
  std::string path_;
  Fd file_;
  std::uint64_t size_ = 0, position_ = 0;
  Checksum checksum_;
};

}  // namespace

// ---------------------------------------------------------------------------
// Construction
// ---------------------------------------------------------------------------

ReplayBuffer::ReplayBuffer(const ReplayConfig& config, const Space& observation_space,
                           const Space& action_space, std::int64_t num_envs, double gamma, std::uint64_t seed)
    : config_(config),
      observation_space_(observation_space),
      action_space_(action_space),
      num_envs_(num_envs),
      gamma_(gamma),
      rng_(seed),
      capacity_(config.capacity),
      n_(config.n_step),
      obs_dtype_(observation_space.dtype()),
      action_dtype_(action_space.dtype()),
      obs_bytes_(observation_space.size() * dtype_size(observation_space.dtype())),
      action_bytes_(action_space.size() * dtype_size(action_space.dtype())),
      obs_shape_(observation_space.shape()),
      action_shape_(action_space.shape()) {
  auto bad = [](const std::string& what) { throw std::invalid_argument("ReplayBuffer: " + what); };
  if (config.capacity < 1) bad("capacity must be >= 1, got " + std::to_string(config.capacity));
  if (config.n_step < 1) bad("n_step must be >= 1, got " + std::to_string(config.n_step));
  if (num_envs < 1) bad("num_envs must be >= 1, got " + std::to_string(num_envs));
  if (!(gamma >= 0.0 && gamma <= 1.0)) bad("gamma must lie in [0, 1], got " + std::to_string(gamma));
  if (config.prioritized) {
    if (!(config.alpha >= 0.0) || !std::isfinite(config.alpha)) bad("alpha must be >= 0");
    if (!(config.beta >= 0.0 && config.beta <= 1.0)) bad("beta must lie in [0, 1]");
    if (!(config.priority_eps > 0.0) || !std::isfinite(config.priority_eps)) bad("priority_eps must be > 0");
  }
  if (const std::string why = observation_space.validate(); !why.empty()) bad("observation space: " + why);
  if (const std::string why = action_space.validate(); !why.empty()) bad("action space: " + why);

  const auto C = capacity_;
  const auto N = static_cast<std::size_t>(num_envs_);
  const auto n = static_cast<std::size_t>(n_);
  gamma_pow_.resize(n + 1);
  for (std::size_t i = 0; i <= n; ++i) gamma_pow_[i] = std::pow(gamma_, static_cast<double>(i));

  if (config.compact_frames) {
    const auto& s = observation_space.shape();
    if (!observation_space.is_box() || observation_space.dtype() != DType::UInt8 || s.size() != 3) {
      bad("compact_frames needs a [k, H, W] uint8 observation space (a FrameStack of grayscale frames), got " +
          observation_space.repr());
    }
    stack_ = static_cast<int>(s[0]);
    frame_h_ = s[1];
    frame_w_ = s[2];
    frame_bytes_ = static_cast<std::size_t>(frame_h_ * frame_w_);
    const auto k = static_cast<std::int64_t>(stack_);
    // frame_lag_ bounds the frames n + k + 1 add() calls can create (per env at
    // most k for a fresh obs stack and k for a fresh next_obs stack). Open
    // windows and current stacks never reach further back than that, and a
    // transition stored after another never uses frames more than that much
    // older (see evict_stale()). Two lags of slack keep both inside the ring;
    // capacity / 64 more absorb the extra frame of each episode start.
    frame_lag_ = (n_ + k + 1) * num_envs_ * 2 * k;
    frame_capacity_ = C + (C + 63) / 64 + 2 * frame_lag_;
    frames_ = torch::empty({frame_capacity_, frame_h_, frame_w_}, torch::kUInt8);
    frame_refs_ = torch::zeros({C, 2 * k}, torch::kInt64);
    frames_data_ = frames_.data_ptr<std::uint8_t>();
    refs_data_ = frame_refs_.data_ptr<std::int64_t>();
    min_frame_.assign(static_cast<std::size_t>(C), 0);
    chain_ids_.assign(N * static_cast<std::size_t>(k), 0);
    chain_live_.assign(N, 0);
    next_ids_.assign(static_cast<std::size_t>(k), 0);
    pending_ids_.assign(N * n * static_cast<std::size_t>(k), 0);
  } else {
    // Uninitialised on purpose: pages are touched as the ring fills; save()
    // only writes rows that were written.
    obs_ = torch::empty(leading(C, obs_shape_), torch_dtype(obs_dtype_));
    next_obs_ = torch::empty(leading(C, obs_shape_), torch_dtype(obs_dtype_));
    obs_data_ = static_cast<std::uint8_t*>(obs_.data_ptr());
    next_data_ = static_cast<std::uint8_t*>(next_obs_.data_ptr());
    pending_obs_.assign(N * n * obs_bytes_, 0);
  }
  actions_ = torch::zeros(leading(C, action_shape_), torch_dtype(action_dtype_));
  rewards_ = torch::zeros({C}, torch::kFloat32);
  discounts_ = torch::zeros({C}, torch::kFloat32);
  actions_data_ = static_cast<std::uint8_t*>(actions_.data_ptr());
  rewards_data_ = rewards_.data_ptr<float>();
  discounts_data_ = discounts_.data_ptr<float>();

  pending_actions_.assign(N * n * action_bytes_, 0);
  pending_returns_.assign(N * n, 0.0);
  pending_start_.assign(N, 0);
  pending_count_.assign(N, 0);

  if (config.prioritized) {
    tree_.emplace(C);
    priorities_.assign(static_cast<std::size_t>(C), 0.0);
    max_priority_ = 1.0;
    max_priority_alpha_ = 1.0;
  }
}

std::size_t ReplayBuffer::memory_bytes() const {
  auto nbytes = [](const torch::Tensor& t) { return t.defined() ? static_cast<std::size_t>(t.nbytes()) : 0; };
  std::size_t total = nbytes(obs_) + nbytes(next_obs_) + nbytes(actions_) + nbytes(rewards_) +
                      nbytes(discounts_) + nbytes(frames_) + nbytes(frame_refs_);
  total += min_frame_.size() * sizeof(std::int64_t) + chain_ids_.size() * sizeof(std::int64_t) +
           chain_live_.size() + pending_obs_.size() + pending_ids_.size() * sizeof(std::int64_t) +
           pending_actions_.size() + pending_returns_.size() * sizeof(double) +
           (pending_start_.size() + pending_count_.size()) * sizeof(std::int64_t);
  if (tree_) total += tree_->memory_bytes() + priorities_.size() * sizeof(double);
  return total;
}

bool ReplayBuffer::live(std::int64_t slot) const {
  if (slot < 0 || slot >= capacity_) return false;
  return (slot - tail() + capacity_) % capacity_ < size_;
}

double ReplayBuffer::priority(std::int64_t slot) const {
  if (slot < 0 || slot >= capacity_) {
    throw std::out_of_range("ReplayBuffer::priority: slot " + std::to_string(slot) + " outside [0, " +
                            std::to_string(capacity_) + ")");
  }
  return prioritized() ? priorities_[static_cast<std::size_t>(slot)] : 0.0;
}

void ReplayBuffer::clear() {
  head_ = size_ = emitted_ = 0;
  frames_added_ = 0;
  std::fill(chain_live_.begin(), chain_live_.end(), 0);
  std::fill(pending_start_.begin(), pending_start_.end(), 0);
  std::fill(pending_count_.begin(), pending_count_.end(), 0);
  if (tree_) {
    tree_->clear();
    std::fill(priorities_.begin(), priorities_.end(), 0.0);
    max_priority_ = 1.0;
    max_priority_alpha_ = 1.0;
  }
}

// ---------------------------------------------------------------------------
// Compact frames
// ---------------------------------------------------------------------------

std::int64_t ReplayBuffer::store_frame(const std::uint8_t* src) {
  const std::int64_t slot = frames_added_ % frame_capacity_;
  std::memcpy(frames_data_ + static_cast<std::size_t>(slot) * frame_bytes_, src, frame_bytes_);
  return frames_added_++;
}

// Stores the k frames of a stack at `src`; a frame equal to the one before it
// (FrameStack's reset padding) reuses that frame's id.
void ReplayBuffer::store_stack(const std::uint8_t* src, std::int64_t* ids) {
  for (int j = 0; j < stack_; ++j) {
    const std::uint8_t* frame = src + static_cast<std::size_t>(j) * frame_bytes_;
    if (j > 0 && std::memcmp(frame, frame - frame_bytes_, frame_bytes_) == 0) {
      ids[j] = ids[j - 1];
    } else {
      ids[j] = store_frame(frame);
    }
  }
}

bool ReplayBuffer::stack_matches(const std::int64_t* ids, const std::uint8_t* src) const {
  for (int j = 0; j < stack_; ++j) {
    const auto slot = static_cast<std::size_t>(ids[j] % frame_capacity_);
    if (std::memcmp(frames_data_ + slot * frame_bytes_, src + static_cast<std::size_t>(j) * frame_bytes_,
                    frame_bytes_) != 0) {
      return false;
    }
  }
  return true;
}

// Drops the oldest transitions whose frames the frame ring is about to reuse.
//
// Why checking the tail suffices: transitions enter the ring in the order
// their windows complete, and a window completes within n add() calls of its
// start, so a later transition's oldest frame is at most (n + k) calls'
// worth of frames (<= frame_lag_) older than an earlier one's. Keeping the
// tail's oldest frame at least frame_lag_ newer than the oldest frame in the
// ring (G - F) therefore keeps every live transition's frames in the ring.
// Pending windows and the current stacks are younger than frame_lag_ frames,
// and F >= 2 * frame_lag_ + capacity, so they are never overwritten either.
void ReplayBuffer::evict_stale() {
  const std::int64_t oldest_safe = frames_added_ - frame_capacity_ + frame_lag_;
  while (size_ > 0) {
    const std::int64_t t = tail();
    if (min_frame_[static_cast<std::size_t>(t)] >= oldest_safe) break;
    if (tree_) {
      priorities_[static_cast<std::size_t>(t)] = 0.0;
      tree_->set(t, 0.0);
    }
    --size_;
  }
}

// ---------------------------------------------------------------------------
// Adding
// ---------------------------------------------------------------------------

void ReplayBuffer::add(ConstBuffer obs, ConstBuffer actions, std::span<const double> rewards,
                       ConstBuffer next_obs, std::span<const std::uint8_t> terminated,
                       std::span<const std::uint8_t> truncated) {
  const auto N = static_cast<std::size_t>(num_envs_);
  check_buffer(obs, obs_dtype_, N * observation_space_.size(), "obs");
  check_buffer(next_obs, obs_dtype_, N * observation_space_.size(), "next_obs");
  check_buffer(actions, action_dtype_, N * action_space_.size(), "actions");
  if (rewards.size() != N || terminated.size() != N || truncated.size() != N) {
    throw std::invalid_argument("ReplayBuffer::add: rewards, terminated and truncated need num_envs = " +
                                std::to_string(N) + " elements each");
  }
  const auto* obs_p = static_cast<const std::uint8_t*>(obs.data);
  const auto* next_p = static_cast<const std::uint8_t*>(next_obs.data);
  const auto* act_p = static_cast<const std::uint8_t*>(actions.data);
  const auto n = static_cast<std::size_t>(n_);
  const auto k = static_cast<std::size_t>(stack_);

  for (std::size_t i = 0; i < N; ++i) {
    const std::uint8_t* o = obs_p + i * obs_bytes_;
    const std::uint8_t* nx = next_p + i * obs_bytes_;
    const bool term = terminated[i] != 0;
    const bool ended = term || truncated[i] != 0;
    std::int64_t& count = pending_count_[i];
    std::int64_t& start = pending_start_[i];

    // 1. Open a new window at this step (position `count` of env i's ring).
    const std::size_t w = i * n + static_cast<std::size_t>((start + count) % n_);
    if (compact()) {
      std::int64_t* ids = &pending_ids_[w * k];
      std::int64_t* chain = &chain_ids_[i * k];
      if (chain_live_[i] && stack_matches(chain, o)) {
        std::copy(chain, chain + k, ids);  // continues the episode: no new frame
      } else {
        store_stack(o, ids);  // episode start (or a stack that does not continue)
      }
      if (std::memcmp(nx, o + frame_bytes_, (k - 1) * frame_bytes_) == 0) {
        std::copy(ids + 1, ids + k, next_ids_.begin());  // next_obs = obs shifted by one frame
        next_ids_[k - 1] = store_frame(nx + (k - 1) * frame_bytes_);
      } else {
        store_stack(nx, next_ids_.data());
      }
      chain_live_[i] = ended ? 0 : 1;  // a stack never continues across an episode end
      std::copy(next_ids_.begin(), next_ids_.end(), chain);
    } else {
      std::memcpy(&pending_obs_[w * obs_bytes_], o, obs_bytes_);
    }
    std::memcpy(&pending_actions_[w * action_bytes_], act_p + i * action_bytes_, action_bytes_);
    pending_returns_[w] = 0.0;
    ++count;

    // 2. Every open window of env i gains gamma^(its length so far) * r.
    const double r = rewards[i];
    for (std::int64_t p = 0; p < count; ++p) {
      pending_returns_[i * n + static_cast<std::size_t>((start + p) % n_)] +=
          gamma_pow_[static_cast<std::size_t>(count - 1 - p)] * r;
    }

    // 3. Episode end: flush every window (k = its length; bootstrap unless
    //    terminated). Otherwise the oldest window completes at n steps.
    if (ended) {
      for (std::int64_t p = 0; p < count; ++p) {
        emit(static_cast<std::int64_t>(i), static_cast<int>((start + p) % n_), static_cast<int>(count - p), term,
             nx, next_ids_.data());
      }
      count = 0;
      start = 0;
    } else if (count == n_) {
      emit(static_cast<std::int64_t>(i), static_cast<int>(start), n_, false, nx, next_ids_.data());
      start = (start + 1) % n_;
      --count;
    }
  }
  if (compact()) evict_stale();
}

// Writes window `pos` of env `env` (its `steps` steps, ending at next_obs) to
// the slot at the head of the ring.
void ReplayBuffer::emit(std::int64_t env, int pos, int steps, bool terminated, const std::uint8_t* next_obs,
                        const std::int64_t* next_ids) {
  const std::int64_t slot = head_;
  const auto s = static_cast<std::size_t>(slot);
  const std::size_t w = static_cast<std::size_t>(env) * static_cast<std::size_t>(n_) + static_cast<std::size_t>(pos);
  if (compact()) {
    const auto k = static_cast<std::size_t>(stack_);
    const std::int64_t* ids = &pending_ids_[w * k];
    std::int64_t* refs = refs_data_ + s * 2 * k;
    std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
    for (std::size_t j = 0; j < k; ++j) {
      refs[j] = ids[j] % frame_capacity_;
      refs[k + j] = next_ids[j] % frame_capacity_;
      oldest = std::min({oldest, ids[j], next_ids[j]});
    }
    min_frame_[s] = oldest;
  } else {
    std::memcpy(obs_data_ + s * obs_bytes_, &pending_obs_[w * obs_bytes_], obs_bytes_);
    std::memcpy(next_data_ + s * obs_bytes_, next_obs, obs_bytes_);
  }
  std::memcpy(actions_data_ + s * action_bytes_, &pending_actions_[w * action_bytes_], action_bytes_);
  rewards_data_[s] = static_cast<float>(pending_returns_[w]);
  discounts_data_[s] = terminated ? 0.0f : static_cast<float>(gamma_pow_[static_cast<std::size_t>(steps)]);
  if (tree_) {
    priorities_[s] = max_priority_;
    tree_->set(slot, max_priority_alpha_);
  }
  head_ = (head_ + 1) % capacity_;
  if (size_ < capacity_) ++size_;
  ++emitted_;
}

// ---------------------------------------------------------------------------
// Sampling
// ---------------------------------------------------------------------------

ReplayBatch ReplayBuffer::gather_unchecked(const torch::Tensor& indices) const {
  ReplayBatch b;
  const std::int64_t B = indices.size(0);
  if (compact()) {
    const std::int64_t k = stack_;
    const torch::Tensor refs = frame_refs_.index_select(0, indices);  // [B, 2k] frame slots
    b.obs = frames_.index_select(0, refs.narrow(1, 0, k).reshape({-1})).view({B, k, frame_h_, frame_w_});
    b.next_obs = frames_.index_select(0, refs.narrow(1, k, k).reshape({-1})).view({B, k, frame_h_, frame_w_});
  } else {
    b.obs = obs_.index_select(0, indices);
    b.next_obs = next_obs_.index_select(0, indices);
  }
  b.actions = actions_.index_select(0, indices);
  b.rewards = rewards_.index_select(0, indices);
  b.discounts = discounts_.index_select(0, indices);
  b.indices = indices;
  return b;
}

ReplayBatch ReplayBuffer::sample(std::int64_t batch_size, double progress) {
  if (size_ == 0) throw std::logic_error("ReplayBuffer::sample: the buffer is empty");
  if (batch_size < 1) {
    throw std::invalid_argument("ReplayBuffer::sample: batch_size must be >= 1, got " + std::to_string(batch_size));
  }
  torch::Tensor indices = torch::empty({batch_size}, torch::kInt64);
  torch::Tensor weights = torch::empty({batch_size}, torch::kFloat32);
  std::int64_t* idx = indices.data_ptr<std::int64_t>();
  float* wt = weights.data_ptr<float>();
  if (!tree_) {
    const std::int64_t t = tail();
    for (std::int64_t j = 0; j < batch_size; ++j) {
      idx[j] = (t + static_cast<std::int64_t>(rng_.below(static_cast<std::uint64_t>(size_)))) % capacity_;
      wt[j] = 1.0f;
    }
  } else {
    // Stratified: one draw in each of batch_size equal segments of the total.
    progress = std::clamp(std::isfinite(progress) ? progress : 0.0, 0.0, 1.0);
    const double beta = config_.beta + progress * (1.0 - config_.beta);
    const double segment = tree_->total() / static_cast<double>(batch_size);
    const double min_leaf = tree_->min_positive();
    for (std::int64_t j = 0; j < batch_size; ++j) {
      const double v = (static_cast<double>(j) + rng_.uniform()) * segment;
      const std::int64_t slot = tree_->find_prefix(v);
      idx[j] = slot;
      // (N P(i))^-beta / max_j (N P(j))^-beta = (min_j p_j^a / p_i^a)^beta
      wt[j] = static_cast<float>(std::pow(min_leaf / tree_->get(slot), beta));
    }
  }
  ReplayBatch b = gather_unchecked(indices);
  b.weights = weights;
  return b;
}

ReplayBatch ReplayBuffer::gather(const torch::Tensor& indices) const {
  if (indices.dim() != 1) throw std::invalid_argument("ReplayBuffer::gather: indices must be 1-D");
  torch::Tensor idx = indices.to(torch::kCPU, torch::kInt64).contiguous();
  const std::int64_t* p = idx.data_ptr<std::int64_t>();
  for (std::int64_t j = 0; j < idx.size(0); ++j) {
    if (!live(p[j])) {
      throw std::out_of_range("ReplayBuffer::gather: slot " + std::to_string(p[j]) + " holds no transition");
    }
  }
  ReplayBatch b = gather_unchecked(idx);
  b.weights = torch::ones({idx.size(0)}, torch::kFloat32);
  return b;
}

void ReplayBuffer::update_priorities(const torch::Tensor& indices, const torch::Tensor& td_errors) {
  if (!tree_) return;
  const torch::Tensor idx = indices.reshape({-1}).to(torch::kCPU, torch::kInt64).contiguous();
  const torch::Tensor td = td_errors.detach().reshape({-1}).to(torch::kCPU, torch::kFloat64).contiguous();
  if (idx.numel() != td.numel()) {
    throw std::invalid_argument("ReplayBuffer::update_priorities: " + std::to_string(idx.numel()) +
                                " indices for " + std::to_string(td.numel()) + " TD errors");
  }
  const std::int64_t* ip = idx.data_ptr<std::int64_t>();
  const double* tp = td.data_ptr<double>();
  for (std::int64_t j = 0; j < idx.numel(); ++j) {
    if (ip[j] < 0 || ip[j] >= capacity_) {
      throw std::out_of_range("ReplayBuffer::update_priorities: slot " + std::to_string(ip[j]) + " outside [0, " +
                              std::to_string(capacity_) + ")");
    }
    if (!std::isfinite(tp[j])) {
      throw std::invalid_argument("ReplayBuffer::update_priorities: TD error " + std::to_string(tp[j]) +
                                  " for slot " + std::to_string(ip[j]) + " is not finite");
    }
  }
  for (std::int64_t j = 0; j < idx.numel(); ++j) {
    if (!live(ip[j])) continue;
    const double p = std::abs(tp[j]) + config_.priority_eps;
    priorities_[static_cast<std::size_t>(ip[j])] = p;
    tree_->set(ip[j], std::pow(p, config_.alpha));
    if (p > max_priority_) {
      max_priority_ = p;
      max_priority_alpha_ = std::pow(p, config_.alpha);
    }
  }
}

// ---------------------------------------------------------------------------
// Save / load
//
// File layout (version 1), native little-endian:
//   header   "ARNRPLAY", u32 version, u32 0, u64 file size
//   config   i64 field count, then per field an i64 (or f64) value: capacity,
//            n_step, num_envs, prioritized, compact, obs dtype/rank/dims,
//            action kind/dtype/rank/dims, stack, frame h/w, frame capacity,
//            gamma, alpha (a mismatch with this buffer is an error)
//   state    i64 head, size, emitted, frames added; u64 rng[4]; f64 max priority
//   windows  i64 start[N], count[N]; f64 returns[N*n]; actions[N*n];
//            plain: obs[N*n]; compact: i64 ids[N*n*k], u8 live[N], i64 chain[N*k]
//   rows     the first R = min(emitted, capacity) slots: plain: obs, next_obs;
//            compact: i64 refs[R*2k], i64 min frame[R]; actions, f32 rewards,
//            f32 discounts; prioritized: f64 priorities
//   frames   compact: the first min(frames added, frame capacity) frames
//   trailer  u64 checksum (see Checksum) of every byte before it
// ---------------------------------------------------------------------------

struct ReplayBuffer::Field {
  const char* name;
  std::int64_t value;
  double real;
  bool is_real;
};

std::vector<ReplayBuffer::Field> ReplayBuffer::config_fields() const {
  std::vector<Field> f;
  auto add_int = [&f](const char* name, std::int64_t v) { f.push_back({name, v, 0.0, false}); };
  add_int("capacity", capacity_);
  add_int("n_step", n_);
  add_int("num_envs", num_envs_);
  add_int("prioritized", tree_ ? 1 : 0);
  add_int("compact_frames", compact() ? 1 : 0);
  add_int("observation dtype", static_cast<std::int64_t>(obs_dtype_));
  add_int("observation rank", static_cast<std::int64_t>(obs_shape_.size()));
  for (std::size_t d = 0; d < 8; ++d) add_int("observation shape", d < obs_shape_.size() ? obs_shape_[d] : 0);
  add_int("action space kind", action_space_.is_discrete() ? 0 : 1);
  add_int("action dtype", static_cast<std::int64_t>(action_dtype_));
  add_int("action rank", static_cast<std::int64_t>(action_shape_.size()));
  for (std::size_t d = 0; d < 8; ++d) add_int("action shape", d < action_shape_.size() ? action_shape_[d] : 0);
  add_int("frame stack", stack_);
  add_int("frame capacity", frame_capacity_);
  f.push_back({"gamma", 0, gamma_, true});
  f.push_back({"alpha", 0, tree_ ? config_.alpha : 0.0, true});
  return f;
}

std::uint64_t ReplayBuffer::file_bytes(std::int64_t rows, std::int64_t frame_rows) const {
  const auto N = static_cast<std::uint64_t>(num_envs_);
  const auto n = static_cast<std::uint64_t>(n_);
  const auto k = static_cast<std::uint64_t>(stack_);
  const auto R = static_cast<std::uint64_t>(rows);
  std::uint64_t bytes = kHeaderBytes + 8 + 8 * config_fields().size();
  bytes += 4 * 8 + 4 * 8 + 8;                                      // state
  bytes += N * 16 + N * n * 8 + N * n * action_bytes_;            // windows
  bytes += compact() ? N * n * k * 8 + N + N * k * 8 : N * n * obs_bytes_;
  bytes += compact() ? R * (2 * k * 8 + 8) : R * 2 * obs_bytes_;  // rows
  bytes += R * (action_bytes_ + 4 + 4) + (tree_ ? R * 8 : 0);
  bytes += static_cast<std::uint64_t>(frame_rows) * frame_bytes_;
  return bytes + 8;  // trailer
}

void ReplayBuffer::write_file(int fd, const std::string& path) const {
  FileWriter out(fd, path);
  const std::int64_t rows = std::min(emitted_, capacity_);
  const std::int64_t frame_rows = std::min(frames_added_, frame_capacity_);
  const std::uint64_t total = file_bytes(rows, frame_rows);

  out.bytes(kMagic, sizeof kMagic);
  out.pod(kVersion);
  out.pod(std::uint32_t{0});
  out.pod(total);
  const auto fields = config_fields();
  out.pod(static_cast<std::int64_t>(fields.size()));
  for (const Field& f : fields) {
    if (f.is_real) {
      out.pod(f.real);
    } else {
      out.pod(f.value);
    }
  }

  out.pod(head_);
  out.pod(size_);
  out.pod(emitted_);
  out.pod(frames_added_);
  for (std::uint64_t w : rng_.state()) out.pod(w);
  out.pod(max_priority_);

  out.array(pending_start_);
  out.array(pending_count_);
  out.array(pending_returns_);
  out.array(pending_actions_);
  if (compact()) {
    out.array(pending_ids_);
    out.array(chain_live_);
    out.array(chain_ids_);
  } else {
    out.array(pending_obs_);
  }

  const auto R = static_cast<std::size_t>(rows);
  if (compact()) {
    out.bytes(refs_data_, R * 2 * static_cast<std::size_t>(stack_) * sizeof(std::int64_t));
    out.bytes(min_frame_.data(), R * sizeof(std::int64_t));
  } else {
    out.bytes(obs_data_, R * obs_bytes_);
    out.bytes(next_data_, R * obs_bytes_);
  }
  out.bytes(actions_data_, R * action_bytes_);
  out.bytes(rewards_data_, R * sizeof(float));
  out.bytes(discounts_data_, R * sizeof(float));
  if (tree_) out.bytes(priorities_.data(), R * sizeof(double));
  if (compact()) out.bytes(frames_data_, static_cast<std::size_t>(frame_rows) * frame_bytes_);

  const std::uint64_t digest = out.digest();
  out.pod(digest);
  out.flush();
  if (out.written() != total) {
    throw std::logic_error("ReplayBuffer::save: wrote " + std::to_string(out.written()) + " bytes, expected " +
                           std::to_string(total));
  }
}

void ReplayBuffer::save(const std::string& path) const {
  write_file_atomic(path, [&](int fd) { write_file(fd, path); });
}

// Pass 1: header, size and checksum, without parsing the payload.
void ReplayBuffer::verify_file(const std::string& path) const {
  FileReader in(path);
  if (in.size() < kHeaderBytes + 8) {
    in.fail("truncated: " + std::to_string(in.size()) + " bytes, shorter than the header");
  }
  char magic[8];
  in.bytes(magic, sizeof magic);
  if (std::memcmp(magic, kMagic, sizeof kMagic) != 0) in.fail("not a replay buffer file (bad magic)");
  const auto version = in.pod<std::uint32_t>();
  if (version != kVersion) {
    in.fail("unsupported version " + std::to_string(version) + " (this build reads version " +
            std::to_string(kVersion) + ")");
  }
  in.pod<std::uint32_t>();
  const auto declared = in.pod<std::uint64_t>();
  if (declared != in.size()) {
    in.fail(std::string(in.size() < declared ? "truncated" : "trailing data") + ": " + std::to_string(in.size()) +
            " bytes, the header says " + std::to_string(declared));
  }
  in.skip(in.size() - in.position() - 8);
  const std::uint64_t digest = in.digest();
  if (in.pod<std::uint64_t>() != digest) in.fail("checksum mismatch: the file is corrupt");
}

struct ReplayBuffer::Snapshot {
  std::int64_t head = 0, size = 0, emitted = 0, frames_added = 0;
  Rng::State rng{};
  double max_priority = 1.0;
  std::vector<std::int64_t> pending_start, pending_count, pending_ids, chain_ids;
  std::vector<double> pending_returns;
  std::vector<std::uint8_t> pending_actions, pending_obs, chain_live;
};

// Pass 2: parses and checks the configuration and the small state into
// `snap` (throwing before anything is modified), then reads the rows
// straight into the storage.
void ReplayBuffer::read_file(const std::string& path, Snapshot& snap, bool& touched) {
  FileReader in(path);
  in.skip(kHeaderBytes);  // checked by verify_file
  const auto fields = config_fields();
  const auto nfields = in.pod<std::int64_t>();
  if (nfields != static_cast<std::int64_t>(fields.size())) {
    in.fail("configuration mismatch: " + std::to_string(nfields) + " configuration fields, expected " +
            std::to_string(fields.size()));
  }
  for (const Field& f : fields) {
    if (f.is_real) {
      const auto v = in.pod<double>();
      if (std::memcmp(&v, &f.real, sizeof v) != 0) {
        in.fail(std::string("configuration mismatch: ") + f.name + " is " + std::to_string(v) + " in the file, " +
                std::to_string(f.real) + " in this buffer");
      }
    } else {
      const auto v = in.pod<std::int64_t>();
      if (v != f.value) {
        in.fail(std::string("configuration mismatch: ") + f.name + " is " + std::to_string(v) + " in the file, " +
                std::to_string(f.value) + " in this buffer");
      }
    }
  }

  snap.head = in.pod<std::int64_t>();
  snap.size = in.pod<std::int64_t>();
  snap.emitted = in.pod<std::int64_t>();
  snap.frames_added = in.pod<std::int64_t>();
  for (auto& w : snap.rng) w = in.pod<std::uint64_t>();
  snap.max_priority = in.pod<double>();

  snap.pending_start.resize(pending_start_.size());
  snap.pending_count.resize(pending_count_.size());
  snap.pending_returns.resize(pending_returns_.size());
  snap.pending_actions.resize(pending_actions_.size());
  in.array(snap.pending_start);
  in.array(snap.pending_count);
  in.array(snap.pending_returns);
  in.array(snap.pending_actions);
  if (compact()) {
    snap.pending_ids.resize(pending_ids_.size());
    snap.chain_live.resize(chain_live_.size());
    snap.chain_ids.resize(chain_ids_.size());
    in.array(snap.pending_ids);
    in.array(snap.chain_live);
    in.array(snap.chain_ids);
  } else {
    snap.pending_obs.resize(pending_obs_.size());
    in.array(snap.pending_obs);
  }

  // Consistency of the state with this configuration.
  auto bad = [&in](const std::string& what) { in.fail("inconsistent state: " + what); };
  if (snap.head < 0 || snap.head >= capacity_) bad("head " + std::to_string(snap.head));
  if (snap.size < 0 || snap.size > capacity_) bad("size " + std::to_string(snap.size));
  if (snap.emitted < snap.size || snap.head != snap.emitted % capacity_) bad("cursor counts");
  if (snap.frames_added < 0 || (!compact() && snap.frames_added != 0)) bad("frame count");
  if (snap.rng == Rng::State{}) bad("rng state");
  if (tree_ && !(snap.max_priority > 0.0 && std::isfinite(snap.max_priority))) bad("max priority");
  const std::int64_t oldest_frame = snap.frames_added - frame_capacity_;
  auto frame_ok = [&](std::int64_t id) { return id >= oldest_frame && id >= 0 && id < snap.frames_added; };
  for (std::size_t i = 0; i < snap.pending_start.size(); ++i) {
    const std::int64_t start = snap.pending_start[i], count = snap.pending_count[i];
    if (start < 0 || start >= n_ || count < 0 || count >= n_) bad("window of env " + std::to_string(i));
    if (!compact()) continue;
    for (std::int64_t p = 0; p < count; ++p) {
      const std::size_t w = i * static_cast<std::size_t>(n_) + static_cast<std::size_t>((start + p) % n_);
      for (int j = 0; j < stack_; ++j) {
        if (!frame_ok(snap.pending_ids[w * static_cast<std::size_t>(stack_) + static_cast<std::size_t>(j)])) {
          bad("frame of a window of env " + std::to_string(i));
        }
      }
    }
    if (snap.chain_live[i] > 1) bad("stack flag of env " + std::to_string(i));
    for (int j = 0; snap.chain_live[i] && j < stack_; ++j) {
      if (!frame_ok(snap.chain_ids[i * static_cast<std::size_t>(stack_) + static_cast<std::size_t>(j)])) {
        bad("stack of env " + std::to_string(i));
      }
    }
  }
  const std::int64_t rows = std::min(snap.emitted, capacity_);
  const std::int64_t frame_rows = std::min(snap.frames_added, frame_capacity_);
  if (file_bytes(rows, frame_rows) != in.size()) {
    in.fail("inconsistent state: " + std::to_string(in.size()) + " bytes for " + std::to_string(rows) +
            " stored transitions, expected " + std::to_string(file_bytes(rows, frame_rows)));
  }

  // Past this point the storage changes.
  touched = true;
  const auto R = static_cast<std::size_t>(rows);
  if (compact()) {
    in.bytes(refs_data_, R * 2 * static_cast<std::size_t>(stack_) * sizeof(std::int64_t));
    in.bytes(min_frame_.data(), R * sizeof(std::int64_t));
  } else {
    in.bytes(obs_data_, R * obs_bytes_);
    in.bytes(next_data_, R * obs_bytes_);
  }
  in.bytes(actions_data_, R * action_bytes_);
  in.bytes(rewards_data_, R * sizeof(float));
  in.bytes(discounts_data_, R * sizeof(float));
  if (tree_) in.bytes(priorities_.data(), R * sizeof(double));
  if (compact()) in.bytes(frames_data_, static_cast<std::size_t>(frame_rows) * frame_bytes_);
  const std::uint64_t digest = in.digest();
  if (in.pod<std::uint64_t>() != digest) in.fail("checksum mismatch on the second read: the file changed");
}

void ReplayBuffer::commit(Snapshot& snap) {
  head_ = snap.head;
  size_ = snap.size;
  emitted_ = snap.emitted;
  frames_added_ = snap.frames_added;
  rng_.set_state(snap.rng);
  pending_start_ = std::move(snap.pending_start);
  pending_count_ = std::move(snap.pending_count);
  pending_returns_ = std::move(snap.pending_returns);
  pending_actions_ = std::move(snap.pending_actions);
  if (compact()) {
    pending_ids_ = std::move(snap.pending_ids);
    chain_live_ = std::move(snap.chain_live);
    chain_ids_ = std::move(snap.chain_ids);
  } else {
    pending_obs_ = std::move(snap.pending_obs);
  }
  if (tree_) {
    max_priority_ = snap.max_priority;
    max_priority_alpha_ = std::pow(max_priority_, config_.alpha);
    // Leaves p^alpha of the live slots: the same leaves give the same tree.
    std::vector<double> leaves(static_cast<std::size_t>(capacity_), 0.0);
    for (std::int64_t s = 0; s < capacity_; ++s) {
      auto& p = priorities_[static_cast<std::size_t>(s)];
      if (!live(s) || !(p > 0.0) || !std::isfinite(p)) {
        p = 0.0;
        continue;
      }
      leaves[static_cast<std::size_t>(s)] = std::pow(p, config_.alpha);
    }
    tree_->assign(leaves);
  }
}

void ReplayBuffer::load(const std::string& path) {
  verify_file(path);  // throws with the buffer untouched
  Snapshot snap;
  bool touched = false;
  try {
    read_file(path, snap, touched);
  } catch (...) {
    // A configuration or state error is thrown before the storage changes;
    // only a file that changed since verify_file() can fail after that.
    if (touched) clear();
    throw;
  }
  commit(snap);
}

}  // namespace arena
