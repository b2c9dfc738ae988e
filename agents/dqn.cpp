#include "agents/dqn.h"

#include "envs/core/file_io.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace arena {
namespace {

// ---- Binary files: little helpers with an FNV-1a-64 checksum at the end ----

std::uint64_t fnv1a(const char* data, std::size_t n) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 0x100000001b3ULL;
  }
  return h;
}

class ByteWriter {
 public:
  template <class T> void pod(const T& v) { bytes(&v, sizeof(T)); }
  void bytes(const void* p, std::size_t n) { buf_.append(static_cast<const char*>(p), n); }
  void str(const std::string& s) {
    pod<std::uint64_t>(s.size());
    bytes(s.data(), s.size());
  }
  void floats(const at::Tensor& t) { bytes(t.data_ptr<float>(), static_cast<std::size_t>(t.numel()) * sizeof(float)); }
  void floats(std::span<const float> s) { bytes(s.data(), s.size_bytes()); }

  // Appends the checksum and writes the file atomically (see envs/core/file_io.h).
  void write_file(const std::filesystem::path& path) {
    pod<std::uint64_t>(fnv1a(buf_.data(), buf_.size()));
    write_file_atomic(path, std::string_view(buf_));
  }

 private:
  std::string buf_;
};

class ByteReader {
 public:
  // Reads the whole file and verifies the magic and the checksum.
  ByteReader(const std::filesystem::path& path, const char (&magic)[9]) : path_(path.string()) {
    std::vector<std::uint8_t> raw;
    try {
      raw = read_file_bytes(path);
    } catch (const std::runtime_error&) {
      fail("cannot open the file");
    }
    buf_.assign(raw.begin(), raw.end());
    if (buf_.size() < 8 + sizeof(std::uint64_t) || std::memcmp(buf_.data(), magic, 8) != 0)
      fail("not a file of this kind (bad magic)");
    const std::size_t body = buf_.size() - sizeof(std::uint64_t);
    std::uint64_t stored;
    std::memcpy(&stored, buf_.data() + body, sizeof stored);
    if (stored != fnv1a(buf_.data(), body)) fail("checksum mismatch (corrupt or truncated)");
    end_ = body;
    pos_ = 8;
  }
  template <class T> T pod() {
    T v;
    std::memcpy(&v, take(sizeof(T)), sizeof(T));
    return v;
  }
  std::string str() {
    const auto n = pod<std::uint64_t>();
    if (n > end_ - pos_) fail("truncated");
    return {take(n), n};
  }
  void floats(float* out, std::size_t n) { std::memcpy(out, take(n * sizeof(float)), n * sizeof(float)); }
  void expect_end() const {
    if (pos_ != end_) fail("unexpected trailing data");
  }
  [[noreturn]] void fail(const std::string& what) const { throw std::runtime_error(path_ + ": " + what); }

 private:
  const char* take(std::size_t n) {
    if (n > end_ - pos_) fail("truncated");
    const char* p = buf_.data() + pos_;
    pos_ += n;
    return p;
  }
  std::string path_, buf_;
  std::size_t pos_ = 0, end_ = 0;
};

constexpr char kCheckpointMagic[9] = "ARENADQN";
constexpr char kPolicyMagic[9] = "ARENAQPL";
constexpr std::uint32_t kVersion = 1;
// Acting on fewer observations than this runs on one OpenMP thread.
constexpr std::int64_t kSoloActRows = 16;

// Rows per target-network pass: on CartPole's 256-256 MLP, 512-1024 rows (8-16
// batches of 64) make a gradient step ~13% faster than one pass per batch;
// much larger passes no longer fit the cache and lose again.
constexpr std::int64_t kTargetRows = 1024;

// ---- Options -----------------------------------------------------------------

FlatOptimizerOptions optimizer_options(const DQNConfig& c) {
  FlatOptimizerOptions o;
  o.lr = c.learning_rate;
  if (c.optimizer == "adam") {
    o.kind = FlatOptimizerOptions::Kind::Adam;
    o.eps = c.adam_eps;
  } else if (c.optimizer == "rmsprop") {
    o.kind = FlatOptimizerOptions::Kind::RMSprop;
    o.alpha = c.rmsprop_alpha;
    o.eps = c.rmsprop_eps;
    o.centered = c.rmsprop_centered;
  } else {
    throw std::invalid_argument("DQN: unknown optimizer '" + c.optimizer + "' (known: adam, rmsprop)");
  }
  return o;
}

const DQNConfig& validated(const DQNConfig& c, const Space& action_space, std::int64_t num_envs,
                           std::int64_t total_steps) {
  const auto fail = [](const std::string& what) { throw std::invalid_argument("DQN: " + what); };
  if (!action_space.is_discrete()) fail("needs a Discrete action space, got " + action_space.repr());
  if (num_envs < 1) fail("num_envs must be >= 1");
  if (total_steps < 1) fail("total_steps must be >= 1");
  if (c.batch_size < 1) fail("batch_size must be >= 1");
  if (c.train_freq < 1) fail("train_freq must be >= 1");
  if (c.gradient_steps < -1) fail("gradient_steps must be >= 0, or -1");
  if (c.target_update_interval < 1) fail("target_update_interval must be >= 1");
  if (c.learning_starts < 0) fail("learning_starts must be >= 0");
  if (!(c.tau >= 0.0 && c.tau <= 1.0)) fail("tau must lie in [0, 1]");
  if (!(c.gamma >= 0.0 && c.gamma <= 1.0)) fail("gamma must lie in [0, 1]");
  if (!(c.learning_rate >= 0.0)) fail("learning_rate must be >= 0");
  if (c.learning_rate_schedule != "constant" && c.learning_rate_schedule != "linear")
    fail("learning_rate_schedule must be constant or linear, got '" + c.learning_rate_schedule + "'");
  if (!(c.max_grad_norm >= 0.0)) fail("max_grad_norm must be >= 0 (0 disables clipping)");
  if (c.loss != "huber" && c.loss != "mse") fail("unknown loss '" + c.loss + "' (known: huber, mse)");
  for (double e : {c.exploration_initial_eps, c.exploration_final_eps})
    if (!(e >= 0.0 && e <= 1.0)) fail("exploration epsilons must lie in [0, 1]");
  if (!(c.exploration_fraction >= 0.0)) fail("exploration_fraction must be >= 0");
  return c;
}

std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
  Rng r(seed);
  std::uint64_t s = 0;
  for (std::uint64_t i = 0; i <= stream; ++i) s = r.next_u64();
  return s;
}

QNetSpec network_spec(const DQNConfig& c, const Space& obs, const Space& action_space) {
  return make_q_net_spec(c, obs, action_space.is_discrete() ? action_space.n() : 1);
}

void expect_tensor(const at::Tensor& t, at::ScalarType dtype, std::int64_t numel, const char* name) {
  if (!t.defined() || t.scalar_type() != dtype || t.numel() != numel || !t.is_contiguous())
    throw std::invalid_argument(std::string("DQN: replay batch field '") + name + "' has the wrong type or size");
}

}  // namespace

DQN::DQN(const DQNConfig& config, const ReplayConfig& replay_config, const Space& observation_space,
         const Space& action_space, std::int64_t num_envs, std::int64_t total_steps, std::uint64_t seed)
    : config_(validated(config, action_space, num_envs, total_steps)),
      replay_config_(replay_config),
      observation_space_(observation_space),
      num_actions_(action_space.n()),
      action_start_(action_space.start()),
      num_envs_(num_envs),
      total_steps_(total_steps),
      obs_numel_(static_cast<std::int64_t>(observation_space.size())),
      online_(network_spec(config, observation_space, action_space)),
      target_(online_.spec()),
      optimizer_(optimizer_options(config), static_cast<std::size_t>(online_.spec().num_params)),
      replay_(replay_config, observation_space, action_space, num_envs, config.gamma, derive_seed(seed, 2)),
      rng_(derive_seed(seed, 1)) {
  // The products this agent leaves to OpenBLAS (acting's matrix-vector
  // products, outputs of a few columns) are too small to split, and its
  // spinning worker threads would compete with LibTorch's: one thread.
  set_blas_threads(1);
  // Dense networks split their gradient step across a team (convolutions
  // keep LibTorch's own intra-op threads instead).
  if (const int threads = at::get_num_threads(); threads > 1 && !online_.spec().conv) {
    team_ = std::make_unique<ThreadTeam>(threads);
    online_.set_team(team_.get());
    target_.set_team(team_.get());
    // Nothing else of a dense network's step is worth LibTorch's threads, and
    // their OpenMP workers would spin on the cores the team needs.
    torch::set_num_threads(1);
  }
  Rng init(derive_seed(seed, 0));
  online_.reset_parameters(init);
  target_.flat().copy_(online_.flat());

  // How many batches one target-network pass may cover (see train()): up to
  // kTargetRows rows and about 64 MiB of inputs and activations.
  std::int64_t row_floats = obs_numel_;
  for (const auto& l : online_.spec().layers)
    row_floats += l.out * (l.kind == LayerSpec::Kind::Conv2d ? l.out_h * l.out_w : 1);
  const std::int64_t by_bytes = (std::int64_t{64} << 20) / (row_floats * 4 * config_.batch_size);
  group_batches_ = std::max<std::int64_t>(1, std::min(by_bytes, kTargetRows / config_.batch_size));
}

double DQN::epsilon() const {
  // SB3 get_linear_fn(start, end, end_fraction)(progress_remaining).
  const double progress_remaining = 1.0 - static_cast<double>(num_timesteps_) / static_cast<double>(total_steps_);
  const double done = 1.0 - progress_remaining;
  const double start = config_.exploration_initial_eps, end = config_.exploration_final_eps;
  if (config_.exploration_fraction <= 0.0 || done > config_.exploration_fraction) return end;
  return start + done * (end - start) / config_.exploration_fraction;
}

void DQN::act(ConstBuffer obs, std::int64_t n, ActMode mode, Buffer actions) {
  if (n < 1) throw std::invalid_argument("DQN::act: need at least one observation");
  if (obs.dtype != observation_space_.dtype() || obs.count != static_cast<std::size_t>(n * obs_numel_))
    throw std::invalid_argument("DQN::act: observations must be " + std::to_string(n) + " x " +
                                observation_space_.repr());
  if (actions.count != static_cast<std::size_t>(n))
    throw std::invalid_argument("DQN::act: need one action slot per observation");
  std::int64_t* out = actions.as<std::int64_t>();

  const float* qd = nullptr;
  at::Tensor q;
  if (online_.dense()) {  // the common case: no LibTorch call, no allocation per step
    if (act_q_.size() < static_cast<std::size_t>(n * num_actions_)) act_q_.resize(static_cast<std::size_t>(n * num_actions_));
    online_.forward_dense(static_cast<const float*>(obs.data), n, act_q_.data());
    qd = act_q_.data();
  } else {
    c10::InferenceMode guard;
    // A few observations through the convolutions take ~0.35 ms on one
    // thread and ten times that with OpenMP's workers woken for each layer.
    std::optional<OneOmpThread> solo;
    if (n < kSoloActRows) solo.emplace();
    std::vector<std::int64_t> shape{n};
    shape.insert(shape.end(), observation_space_.shape().begin(), observation_space_.shape().end());
    const auto dtype = obs.dtype == DType::UInt8 ? torch::kUInt8 : torch::kFloat32;
    const at::Tensor x = torch::from_blob(const_cast<void*>(obs.data), shape, dtype);  // no copy
    q = online_.forward(x).contiguous();
    qd = q.data_ptr<float>();
  }

  const bool explore = mode == ActMode::Explore;
  // SB3 _sample_action: uniformly random actions until learning_starts.
  const bool warmup = explore && num_timesteps_ < config_.learning_starts;
  const double eps = explore ? epsilon() : 0.0;
  const auto a_n = static_cast<std::uint64_t>(num_actions_);
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t a;
    if (warmup || (explore && rng_.uniform() < eps)) {
      a = static_cast<std::int64_t>(rng_.below(a_n));
    } else {
      const float* row = qd + i * num_actions_;
      a = std::max_element(row, row + num_actions_) - row;  // first maximum, as torch.argmax
    }
    out[i] = a + action_start_;
  }
  insight_.kind = Insight::Kind::QValues;
  insight_.values.assign(qd, qd + num_actions_);
  insight_.chosen = out[0];
}

Metrics DQN::observe(const Transitions& t) {
  if (t.num_envs != num_envs_)
    throw std::invalid_argument("DQN::observe: expected " + std::to_string(num_envs_) + " envs, got " +
                                std::to_string(t.num_envs));
  replay_.add(t.obs, t.actions, t.rewards, t.next_obs, t.terminated, t.truncated);
  num_timesteps_ += num_envs_;
  ++num_calls_;
  // SB3 _on_step(): the target update counts vector steps.
  if (num_calls_ % std::max<std::int64_t>(config_.target_update_interval / num_envs_, 1) == 0) update_target();
  // SB3 learn(): a rollout is train_freq vector steps; train after each one
  // once more than learning_starts env steps were taken.
  if (num_calls_ % config_.train_freq != 0 || num_timesteps_ <= config_.learning_starts) return {};
  const std::int64_t steps = config_.gradient_steps >= 0 ? config_.gradient_steps : config_.train_freq * num_envs_;
  if (steps == 0) return {};
  return train(steps);
}

Metrics DQN::train(std::int64_t gradient_steps) {
  c10::InferenceMode guard;
  std::optional<OneOmpThread> solo;  // the team is the parallelism: no OpenMP workers beside it
  if (team_) solo.emplace();
  const double progress = static_cast<double>(num_timesteps_) / static_cast<double>(total_steps_);
  // SB3 _update_learning_rate: the schedule's value at this train's progress.
  if (config_.learning_rate_schedule == "linear")
    optimizer_.set_learning_rate(config_.learning_rate * std::max(0.0, 1.0 - progress));
  const std::int64_t batch = config_.batch_size;
  // The target network does not change during a train (SB3 updates it between
  // env steps only), and with uniform replay nothing a gradient step does
  // changes what is sampled next. So the batches of several steps are sampled
  // first (the same draws in the same order) and one target-network pass
  // evaluates all their next observations: one large matrix product instead
  // of many small ones. Prioritized replay samples after each update.
  const std::int64_t group_max = replay_config_.prioritized ? 1 : group_batches_;
  StepStats sum;
  std::vector<ReplayBatch> batches;
  std::vector<at::Tensor> next_obs;
  for (std::int64_t done = 0; done < gradient_steps;) {
    const std::int64_t group = std::min(group_max, gradient_steps - done);
    batches.clear();
    next_obs.clear();
    for (std::int64_t j = 0; j < group; ++j) {
      batches.push_back(replay_.sample(batch, progress));
      next_obs.push_back(batches.back().next_obs);
    }
    at::Tensor all_next = next_obs[0];
    if (group > 1) {  // into a reused buffer: no large allocation per train
      const std::int64_t rows = group * batch;
      if (!next_obs_buf_.defined() || next_obs_buf_.size(0) < rows) {
        std::vector<std::int64_t> shape{rows};
        shape.insert(shape.end(), observation_space_.shape().begin(), observation_space_.shape().end());
        next_obs_buf_ = torch::empty(shape, next_obs[0].options());
      }
      all_next = next_obs_buf_.narrow(0, 0, rows);
      at::cat_out(all_next, next_obs, 0);
    }
    const float* next_head = target_.forward_train(all_next).data_ptr<float>();
    const std::int64_t width = target_.spec().head_outputs();
    for (std::int64_t j = 0; j < group; ++j) {
      const StepStats s = gradient_step(batches[static_cast<std::size_t>(j)], next_head + j * batch * width);
      sum.loss += s.loss;
      sum.q_mean += s.q_mean;
      sum.grad_norm += s.grad_norm;
    }
    done += group;
  }
  const auto g = static_cast<double>(gradient_steps);
  return {{"loss", sum.loss / g},
          {"q_mean", sum.q_mean / g},
          {"epsilon", epsilon()},
          {"learning_rate", optimizer_.options().lr},
          {"grad_norm", sum.grad_norm / g},
          {"updates", static_cast<double>(updates_)}};
}

Metrics DQN::train_step(const ReplayBatch& batch) {
  c10::InferenceMode guard;
  std::optional<OneOmpThread> solo;
  if (team_) solo.emplace();
  const StepStats s = gradient_step(batch, target_.forward_train(batch.next_obs).data_ptr<float>());
  return {{"loss", s.loss}, {"q_mean", s.q_mean}, {"grad_norm", s.grad_norm}};
}

DQN::StepStats DQN::gradient_step(const ReplayBatch& batch, const float* next_target_head) {
  const std::int64_t bsz = batch.obs.size(0);
  const QNetSpec& spec = online_.spec();
  const std::int64_t width = spec.head_outputs();
  expect_tensor(batch.actions, torch::kInt64, bsz, "actions");
  expect_tensor(batch.rewards, torch::kFloat32, bsz, "rewards");
  expect_tensor(batch.discounts, torch::kFloat32, bsz, "discounts");
  expect_tensor(batch.weights, torch::kFloat32, bsz, "weights");
  if (!grad_head_.defined() || grad_head_.size(0) != bsz) {
    grad_head_ = torch::empty({bsz, width}, torch::kFloat32);
    td_abs_ = torch::empty({bsz}, torch::kFloat32);
  }
  const int num_parts = team_ ? team_->size() : 1;
  if (parts_.size() != static_cast<std::size_t>(num_parts)) parts_.resize(static_cast<std::size_t>(num_parts));
  for (auto& part : parts_) {
    part.loss_sum = part.q_sum = part.sumsq = 0.0;
    part.target_row.resize(static_cast<std::size_t>(num_actions_));
  }

  // Double DQN: the online network picks the next action, the target values it.
  at::Tensor next_q_online;
  if (config_.double_q) next_q_online = online_.forward(batch.next_obs).contiguous();
  const float* oq = config_.double_q ? next_q_online.data_ptr<float>() : nullptr;
  const auto num_params = static_cast<std::size_t>(spec.num_params);
  float* gh = grad_head_.data_ptr<float>();

  double norm = 0.0;
  if (team_ && online_.dense()) {
    // With a team, each thread takes a block of the batch's rows through the
    // whole network and its own gradient (no hand-off between layers); the
    // parts' gradients are then added up, split by parameters, and the
    // optimizer pass is split likewise: three hand-offs per step.
    online_.begin_rows(batch.obs, num_parts);
    team_->run([&](int rank) {
      const auto rows = team_->part(rank, bsz);
      const float* h = online_.forward_rows(rows.begin, rows.end);
      loss_rows(batch, h, oq, next_target_head, rows.begin, rows.end, parts_[static_cast<std::size_t>(rank)]);
      online_.backward_rows(gh, rows.begin, rows.end, rank);
    });
    team_->run([&](int rank) {
      const auto range = team_->part(rank, spec.num_params, 64);
      parts_[static_cast<std::size_t>(rank)].sumsq = online_.sum_part_grads(range.begin, range.end);
    });
    double sumsq = 0.0;
    for (const auto& part : parts_) sumsq += part.sumsq;
    norm = std::sqrt(sumsq);
  } else {
    const at::Tensor& head = online_.forward_train(batch.obs);  // [B, width], before the dueling combination
    loss_rows(batch, head.data_ptr<float>(), oq, next_target_head, 0, bsz, parts_[0]);
    online_.backward(grad_head_);
    norm = FlatOptimizer::l2_norm(online_.grad().data_ptr<float>(), num_params);
  }
  double loss_sum = 0.0, q_sum = 0.0;
  for (const auto& part : parts_) {
    loss_sum += part.loss_sum;
    q_sum += part.q_sum;
  }
  const double loss = loss_sum / static_cast<double>(bsz);

  float* grad = online_.grad().data_ptr<float>();
  // Stop BEFORE the optimizer step: nothing non-finite reaches the parameters.
  if (!std::isfinite(loss) || !std::isfinite(norm)) {
    std::ostringstream msg;
    msg << "DQN: non-finite " << (std::isfinite(loss) ? "gradient" : "loss") << " at gradient step " << updates_ + 1
        << " (env step " << num_timesteps_ << "; loss " << loss << ", gradient norm " << norm
        << "); the parameters were not updated";
    throw std::runtime_error(msg.str());
  }
  const float scale = config_.max_grad_norm > 0.0 ? FlatOptimizer::clip_coefficient(norm, config_.max_grad_norm) : 1.0f;
  optimizer_.step(online_.flat().data_ptr<float>(), grad, scale, team_.get());
  if (replay_config_.prioritized) replay_.update_priorities(batch.indices, td_abs_);
  ++updates_;
  return {loss, q_sum / static_cast<double>(bsz), norm};
}

void DQN::loss_rows(const ReplayBatch& batch, const float* h, const float* oq, const float* next_target_head,
                    std::int64_t r0, std::int64_t r1, RowsPart& part) {
  const std::int64_t bsz = batch.obs.size(0), n = num_actions_;
  const QNetSpec& spec = online_.spec();
  const std::int64_t width = spec.head_outputs();
  const std::int64_t* act = batch.actions.data_ptr<std::int64_t>();
  const float* rew = batch.rewards.data_ptr<float>();
  const float* disc = batch.discounts.data_ptr<float>();
  const float* wts = batch.weights.data_ptr<float>();
  float* gh = grad_head_.data_ptr<float>();
  float* td = td_abs_.data_ptr<float>();
  const bool huber = config_.loss == "huber";
  const float inv_batch = 1.0f / static_cast<float>(bsz);
  float* target_row = part.target_row.data();
  double loss_sum = 0.0, q_sum = 0.0;
  for (std::int64_t b = r0; b < r1; ++b) {
    const std::int64_t a = act[b] - action_start_;
    if (a < 0 || a >= n) throw std::out_of_range("DQN: replay action " + std::to_string(act[b]) + " out of range");
    const float* row = h + b * width;
    float* grow = gh + b * width;
    // Q(s, a). Dueling: Q = V + (A - mean(A)), the value is the last output.
    float mean_adv = 0.0f;
    if (spec.dueling) {
      for (std::int64_t j = 0; j < n; ++j) mean_adv += row[j];
      mean_adv /= static_cast<float>(n);
    }
    const float q = spec.dueling ? row[n] + (row[a] - mean_adv) : row[a];

    // The bootstrap value of s' (no gradient flows into it): the target
    // network's head output, combined as above when dueling.
    const float* t_row = next_target_head + b * width;
    if (spec.dueling) {
      float mean = 0.0f;
      for (std::int64_t j = 0; j < n; ++j) mean += t_row[j];
      mean /= static_cast<float>(n);
      for (std::int64_t j = 0; j < n; ++j) target_row[j] = t_row[n] + (t_row[j] - mean);
      t_row = target_row;
    }
    // max over a' (Double DQN: at the online network's argmax; first maximum, as torch.argmax).
    const float* pick = oq != nullptr ? oq + b * n : t_row;
    const float next = t_row[std::max_element(pick, pick + n) - pick];
    const float target = rew[b] + disc[b] * next;  // discount is 0 when the episode terminated

    // Per-sample loss l(d) and dl/dd, d = Q(s, a) - target: smooth L1 (beta 1) or squared error.
    const float d = q - target;
    float l, dl;
    if (huber) {
      const float ad = std::fabs(d);
      l = ad < 1.0f ? 0.5f * d * d : ad - 0.5f;
      dl = ad < 1.0f ? d : (d > 0.0f ? 1.0f : -1.0f);
    } else {
      l = d * d;
      dl = 2.0f * d;
    }
    loss_sum += static_cast<double>(wts[b] * l);
    q_sum += static_cast<double>(q);
    td[b] = std::fabs(d);

    // dLoss/dQ(s, a) for loss = mean_b(w_b * l_b), spread back over the head outputs.
    const float gq = wts[b] * dl * inv_batch;
    if (spec.dueling) {
      const float share = gq / static_cast<float>(n);
      for (std::int64_t j = 0; j < n; ++j) grow[j] = -share;
      grow[a] = gq - share;
      grow[n] = gq;
    } else {
      std::fill(grow, grow + n, 0.0f);
      grow[a] = gq;
    }
  }
  part.loss_sum = loss_sum;
  part.q_sum = q_sum;
}

void DQN::update_target() {
  c10::InferenceMode guard;
  // SB3 polyak_update: target = target * (1 - tau); target += tau * online.
  if (config_.tau == 1.0) {
    target_.flat().copy_(online_.flat());
  } else {
    target_.flat().mul_(1.0 - config_.tau).add_(online_.flat(), config_.tau);
  }
}

at::Tensor DQN::q_values(const at::Tensor& obs) const {
  c10::InferenceMode guard;
  return online_.forward(obs);
}

std::vector<float> DQN::parameters_flat() const {
  const float* p = online_.flat().data_ptr<float>();
  return {p, p + online_.flat().numel()};
}

std::vector<float> DQN::target_parameters_flat() const {
  const float* p = target_.flat().data_ptr<float>();
  return {p, p + target_.flat().numel()};
}

// ---- Checkpoints ------------------------------------------------------------

void DQN::save(const std::filesystem::path& dir) const {
  ByteWriter w;
  w.bytes(kCheckpointMagic, 8);
  w.pod(kVersion);
  w.str(online_.spec().describe());
  w.pod<std::int64_t>(online_.spec().num_params);
  w.pod<std::int64_t>(num_envs_);
  w.str(config_.optimizer + (optimizer_.options().centered ? " centered" : ""));
  w.pod<std::int64_t>(num_timesteps_);
  w.pod<std::int64_t>(num_calls_);
  w.pod<std::int64_t>(updates_);
  for (auto word : rng_.state()) w.pod(word);
  w.pod<std::int64_t>(optimizer_.steps());
  const auto buffers = optimizer_.state_buffers();
  w.pod<std::uint64_t>(buffers.size());
  for (auto b : buffers) w.floats(b);
  w.floats(online_.flat());
  w.floats(target_.flat());
  w.write_file(dir / "dqn.bin");
  replay_.save((dir / "replay.bin").string());
}

void DQN::load(const std::filesystem::path& dir) {
  // Read and check dqn.bin completely, then the replay (which checks its file
  // before changing anything), then commit: a failed load changes nothing.
  ByteReader r(dir / "dqn.bin", kCheckpointMagic);
  if (r.pod<std::uint32_t>() != kVersion) r.fail("unsupported version");
  const std::string arch = r.str();
  if (arch != online_.spec().describe())
    r.fail("the network differs: file has '" + arch + "', this agent '" + online_.spec().describe() + "'");
  const auto num_params = r.pod<std::int64_t>();
  if (num_params != online_.spec().num_params) r.fail("parameter count differs");
  if (r.pod<std::int64_t>() != num_envs_) r.fail("num_envs differs");
  const std::string opt = r.str();
  if (opt != config_.optimizer + (optimizer_.options().centered ? " centered" : ""))
    r.fail("optimizer differs (file: " + opt + ")");
  const auto timesteps = r.pod<std::int64_t>();
  const auto calls = r.pod<std::int64_t>();
  const auto updates = r.pod<std::int64_t>();
  Rng::State rng_state;
  for (auto& word : rng_state) word = r.pod<std::uint64_t>();
  const auto opt_steps = r.pod<std::int64_t>();
  const auto num_buffers = r.pod<std::uint64_t>();
  if (num_buffers != optimizer_.state_buffers().size()) r.fail("optimizer state differs");
  const auto p = static_cast<std::size_t>(num_params);
  std::vector<float> state(p * num_buffers), online(p), target(p);
  r.floats(state.data(), state.size());
  r.floats(online.data(), p);
  r.floats(target.data(), p);
  r.expect_end();

  replay_.load((dir / "replay.bin").string());

  num_timesteps_ = timesteps;
  num_calls_ = calls;
  updates_ = updates;
  rng_.set_state(rng_state);
  optimizer_.set_steps(opt_steps);
  auto buffers = optimizer_.state_buffers();
  for (std::size_t i = 0; i < buffers.size(); ++i) std::copy_n(state.data() + i * p, p, buffers[i].data());
  std::copy_n(online.data(), p, online_.flat().data_ptr<float>());
  std::copy_n(target.data(), p, target_.flat().data_ptr<float>());
  insight_ = {};
}

void DQN::save_policy(const std::filesystem::path& file) const {
  ByteWriter w;
  w.bytes(kPolicyMagic, 8);
  w.pod(kVersion);
  w.str(online_.spec().describe());
  w.pod<std::int64_t>(online_.spec().num_params);
  w.floats(online_.flat());
  w.write_file(file);
}

void DQN::load_policy(const std::filesystem::path& file) {
  ByteReader r(file, kPolicyMagic);
  if (r.pod<std::uint32_t>() != kVersion) r.fail("unsupported version");
  const std::string arch = r.str();
  if (arch != online_.spec().describe())
    r.fail("the policy's network '" + arch + "' does not match this agent's '" + online_.spec().describe() + "'");
  const auto num_params = r.pod<std::int64_t>();
  if (num_params != online_.spec().num_params) r.fail("parameter count differs");
  std::vector<float> params(static_cast<std::size_t>(num_params));
  r.floats(params.data(), params.size());
  r.expect_end();
  std::copy(params.begin(), params.end(), online_.flat().data_ptr<float>());
  target_.flat().copy_(online_.flat());
}

}  // namespace arena
