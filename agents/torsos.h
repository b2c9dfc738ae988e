// The Q-networks of the DQN family: a torso (MLP, Nature CNN, MinAtar CNN)
// followed by a Q head (linear, or dueling), described by a QNetSpec and run
// by QNetwork.
//
// Speed. Every parameter lives in ONE flat float32 tensor (the layers' weights
// and biases are views into it, in PyTorch's state_dict order), and so does
// every gradient. The training pass does not use autograd: forward_train()
// keeps the activations in preallocated buffers and backward() writes each
// layer's gradients straight into the flat gradient with mm/sum/conv-backward
// kernels. An optimizer step, a gradient-norm clip, a finiteness check and a
// target-network update are then one pass over one array each. Dense layers
// call the matrix-product kernels directly (oneDNN's sgemm, which Debian's
// LibTorch loads, else OpenBLAS, else ATen; see torsos.cpp) with the bias and
// ReLU in plain loops, rather than a dozen LibTorch ops per layer.
//
// Architectures (as Stable-Baselines3 and MinAtar build them):
//   mlp          flatten -> [Linear(w) -> ReLU] for each w in hidden -> head
//   nature_cnn   uint8 / 255 -> Conv(32, 8x8, s4) -> ReLU -> Conv(64, 4x4, s2) -> ReLU
//                -> Conv(64, 3x3, s1) -> ReLU -> flatten -> [Linear(w) -> ReLU] (hidden; [512] when
//                empty) -> head. Input [C, H, W] (a FrameStack, e.g. 4x84x84), or [H, W, C] when
//                the last dimension is the smallest (permuted to NCHW).
//   minatar_cnn  [H, W, C] channels-last as MinAtar gives it, permuted to NCHW, values as they are
//                -> Conv(16, 3x3, s1) -> ReLU -> flatten -> [Linear(w) -> ReLU] (hidden; [128]
//                when empty) -> head.
//   head         Linear(num_actions), or dueling: one Linear(num_actions + 1) whose outputs are
//                the advantages A and (last) the value V, combined as Q = V + (A - mean(A)).
//                (Equivalent to two Linear streams of the same width: same init, same updates.)
// Initialisation: PyTorch's default for nn.Linear and nn.Conv2d, every weight and
// bias uniform in +-1/sqrt(fan_in), drawn from an arena::Rng (no global RNG).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "agents/dqn_config.h"
#include "envs/core/rng.h"
#include "envs/core/space.h"
#include "envs/core/types.h"

namespace arena {

class ThreadTeam;

// The threads the agents compute with: n for LibTorch's intra-op parallelism
// and oneDNN (torch::set_num_threads; the large matrix products), one for
// OpenBLAS (set_blas_threads(1): what is left to it is too small to split,
// and its spinning workers would compete with LibTorch's). n >= 1.
void set_compute_threads(int n);

// Sets the threads of OpenBLAS (Debian's LibTorch calls it for matrix
// products), which keeps its own pool, sized to all cores, out of reach of
// torch::set_num_threads. A no-op with another BLAS. n >= 1.
void set_blas_threads(int n);

// One learnable layer, optionally followed by a ReLU.
struct LayerSpec {
  enum class Kind : std::uint8_t { Linear, Conv2d };
  Kind kind = Kind::Linear;
  std::int64_t in = 0, out = 0;         // features (Linear) or channels (Conv2d)
  std::int64_t kernel = 1, stride = 1;  // Conv2d: square kernel, no padding
  std::int64_t in_h = 0, in_w = 0;      // Conv2d: input and output spatial sizes
  std::int64_t out_h = 0, out_w = 0;
  bool relu = true;
  std::int64_t weight_offset = 0, bias_offset = 0;  // into the flat parameter vector

  std::int64_t fan_in() const { return kind == Kind::Linear ? in : in * kernel * kernel; }
  std::int64_t weight_numel() const { return out * fan_in(); }
  std::vector<std::int64_t> weight_shape() const;
};

struct QNetSpec {
  std::string torso;                    // mlp | nature_cnn | minatar_cnn
  std::vector<std::int64_t> obs_shape;  // as the observation space gives it
  DType obs_dtype = DType::Float32;
  bool conv = false;                    // the torso starts with convolutions
  bool channels_last = false;           // conv input [H, W, C], permuted to NCHW
  double input_divisor = 1.0;           // uint8 observations are divided by it (255 for nature_cnn)
  std::int64_t num_actions = 0;
  bool dueling = false;
  std::vector<LayerSpec> layers;        // the torso, then the head (no ReLU)
  std::int64_t num_params = 0;

  // Outputs of the head layer: num_actions (+1, the value, when dueling).
  std::int64_t head_outputs() const { return num_actions + (dueling ? 1 : 0); }
  // One line naming the architecture and its input, e.g.
  // "mlp obs=float32[4] linear(4,256)+relu linear(256,256)+relu linear(256,2) actions=2".
  // Policy files store it so that loading into another architecture fails clearly.
  std::string describe() const;
};

// The network DQNConfig asks for on `observation_space` (a Box). Throws
// std::invalid_argument naming the problem (unknown torso, a shape the torso
// cannot take, a non-positive width).
QNetSpec make_q_net_spec(const DQNConfig& config, const Space& observation_space, std::int64_t num_actions);

class QNetwork {
 public:
  // Parameters zero until reset_parameters().
  explicit QNetwork(QNetSpec spec);

  QNetwork(const QNetwork&) = delete;
  QNetwork& operator=(const QNetwork&) = delete;

  const QNetSpec& spec() const { return spec_; }

  // PyTorch's default initialisation, drawn from `rng` layer by layer
  // (weight, then bias).
  void reset_parameters(Rng& rng);

  // All parameters, [num_params] float32, and the per-layer views into it:
  // weight0, bias0, weight1, bias1, ... Updating flat() updates the views.
  at::Tensor& flat() { return flat_; }
  const at::Tensor& flat() const { return flat_; }
  const std::vector<at::Tensor>& parameters() const { return params_; }
  // Views of another flat tensor (e.g. a gradient) with the parameters' shapes.
  std::vector<at::Tensor> views_of(const at::Tensor& flat) const;

  // Q-values [B, num_actions] (float32) of observations [B, ...obs_shape] in
  // their stored dtype. Uses the network's parameters, or `params` (same
  // shapes; with requires_grad the result is differentiable: tests compare
  // backward() with autograd this way). No allocation-free guarantee.
  at::Tensor forward(const at::Tensor& obs) const { return forward(obs, params_); }
  at::Tensor forward(const at::Tensor& obs, const std::vector<at::Tensor>& params) const;

  // Q-values [batch, num_actions] into `q` of float32 observations `obs`
  // [batch, ...obs_shape] for a network without convolutions (dense(): true),
  // without LibTorch calls or allocation once its buffers have grown to the
  // batch (acting: one observation per env step).
  bool dense() const { return !spec_.conv && spec_.obs_dtype == DType::Float32; }
  void forward_dense(const float* obs, std::int64_t batch, float* q);

  // The training pass. forward_train() returns the HEAD output [B,
  // head_outputs()] (before the dueling combination) and keeps the
  // activations; backward(grad_head) then writes dLoss/dParameters into
  // grad() (overwritten, not accumulated), given dLoss/d(head output)
  // [B, head_outputs()] float32. The dense layers' buffers grow to the
  // largest B seen and are reused, so forward_train() is also the
  // allocation-free forward pass for evaluating targets. The returned tensor
  // is overwritten by the next call. Call both inside torch::InferenceMode
  // (no autograd is involved).
  const at::Tensor& forward_train(const at::Tensor& obs);
  void backward(const at::Tensor& grad_head);
  // The flat gradient [num_params] (allocated by the first backward).
  at::Tensor& grad() { return grad_; }

  // The training pass of a dense network (dense(): true) split by rows, for a
  // team that divides a batch among its threads (the DQN's gradient step):
  // begin_rows(obs, parts) keeps the observations [B, ...] and sizes the
  // workspace; then each part p, concurrently, runs forward_rows() and
  // backward_rows() on its own rows [r0, r1). forward_rows() returns the
  // head output of the whole batch [B, head_outputs()], of which it wrote
  // rows r0..r1-1; backward_rows() writes dLoss/dParameters of those rows'
  // loss terms (grad_head, [B, head_outputs()], read in those rows) into
  // part p's gradient: grad() for part 0, part_grad(p) for the others.
  // sum_part_grads() adds parts 1.. into grad() (in part order).
  // No LibTorch call and no allocation in the part functions.
  void begin_rows(const at::Tensor& obs, int parts);
  const float* forward_rows(std::int64_t r0, std::int64_t r1);
  void backward_rows(const float* grad_head, std::int64_t r0, std::int64_t r1, int part);
  float* part_grad(int part);
  // grad()[i] += part_grad(p)[i] for p = 1.. and i in [i0, i1); returns the
  // sum of the squares of the summed entries (in double).
  double sum_part_grads(std::int64_t i0, std::int64_t i1);

  // Splits the large dense-layer products of forward_train() and backward()
  // across `team` (nullptr: the calling thread alone). Each part is a fixed
  // block of rows or output units; the network does not own the team.
  void set_team(ThreadTeam* team) { team_ = team; }

 private:
  // Observations as the first layer takes them: float [B, features], or
  // [B, C, H, W] (in NHWC memory when nhwc_memory) for convolutions.
  at::Tensor preprocess(const at::Tensor& obs, bool nhwc_memory = false) const;
  void ensure_workspace(std::int64_t batch);
  bool split(const LayerSpec& layer, std::int64_t batch) const;

  QNetSpec spec_;
  at::Tensor flat_;
  std::vector<at::Tensor> params_;      // views of flat_
  ThreadTeam* team_ = nullptr;

  std::vector<float> dense_a_, dense_b_;  // forward_dense(): activations, ping-pong

  // Training workspace.
  std::int64_t ws_batch_ = -1, ws_capacity_ = 0;
  std::vector<at::Tensor> linear_storage_;  // Linear l: [2l] output rows, [2l+1] input-gradient rows
  at::Tensor grad_;
  std::vector<at::Tensor> grads_;       // views of grad_
  std::vector<at::Tensor> acts_;        // acts_[l]: input of layer l as it consumed it (Linear: 2-D)
  std::vector<at::Tensor> outs_;        // outs_[l]: output of layer l (after its ReLU), in its own shape
  std::vector<at::Tensor> linear_out_;  // Linear l: [B, out] output buffer
  std::vector<at::Tensor> linear_dx_;   // Linear l > 0: [B, in] input-gradient buffer
  std::vector<at::Tensor> conv_weights_;  // Conv2d l: its weight in channels-last memory (this pass)

  // The row-split pass (begin_rows()): raw pointers into the buffers above.
  at::Tensor rows_obs_;
  const float* rows_x_ = nullptr;
  std::vector<float*> rows_out_, rows_dx_;
  int rows_parts_ = 0;
  std::vector<std::vector<float>> part_grads_;  // parts 1..: [num_params] each
};

}  // namespace arena
