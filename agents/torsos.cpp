#include "agents/torsos.h"

#include "agents/flat_optimizer.h"
#include "agents/thread_team.h"

#include <dlfcn.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

namespace arena {

void set_compute_threads(int n) {
  if (n < 1) throw std::invalid_argument("set_compute_threads: need at least one thread");
  torch::set_num_threads(n);
  set_blas_threads(1);
}

void set_blas_threads(int n) {
  if (n < 1) throw std::invalid_argument("set_blas_threads: need at least one thread");
  // Looked up at run time, so that nothing breaks with another BLAS.
  using SetThreads = void (*)(int);
  if (auto f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(n);
}

std::vector<std::int64_t> LayerSpec::weight_shape() const {
  if (kind == Kind::Linear) return {out, in};
  return {out, in, kernel, kernel};
}

namespace {

// ---- Matrix products ----------------------------------------------------------
// A dense layer costs three matrix products per gradient step (forward, weight
// gradient, input gradient), and they are most of a step's time. LibTorch
// sends them to OpenBLAS through several dispatch layers; oneDNN's sgemm,
// which Debian's LibTorch loads anyway (libdnnl), is 1.3-2x faster on these
// shapes (batch 64, width 256) but slower when the result has very few
// columns, where OpenBLAS's own small-matrix kernels win. Both are looked up
// at run time (this library does not link them itself); where one is missing
// the next takes over, down to ATen. All of them compute in float32.
using DnnlSgemm = int (*)(char, char, std::int64_t, std::int64_t, std::int64_t, float, const float*, std::int64_t,
                          const float*, std::int64_t, float, float*, std::int64_t);
using CblasSgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*,
                            int);
using CblasSgemv = void (*)(int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
constexpr int kCblasRowMajor = 101, kCblasNoTrans = 111, kCblasTrans = 112;

template <class F> F lookup(const char* name) { return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name)); }
const DnnlSgemm kDnnlSgemm = lookup<DnnlSgemm>("dnnl_sgemm");
const CblasSgemm kCblasSgemm = lookup<CblasSgemm>("cblas_sgemm");
const CblasSgemv kCblasSgemv = lookup<CblasSgemv>("cblas_sgemv");

// C[M, N] = op(A) op(B) + beta * C, all row-major with leading dimensions
// lda, ldb, ldc: A is [M, K] ([K, M] when trans_a), B is [K, N] ([N, K] when
// trans_b). beta 0: C is not read.
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
          std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  if (m == 1 && !trans_a && trans_b && kCblasSgemv != nullptr) {  // one row: C = B a (matrix-vector)
    kCblasSgemv(kCblasRowMajor, kCblasNoTrans, static_cast<int>(n), static_cast<int>(k), 1.0f, b,
                static_cast<int>(ldb), a, 1, beta, c, 1);
    return;
  }
  // oneDNN parallelises with OpenMP: give this thread LibTorch's thread count first.
  at::internal::lazy_init_num_threads();
  if (n >= 8 && kDnnlSgemm != nullptr &&
      kDnnlSgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc) == 0)
    return;
  if (kCblasSgemm != nullptr) {
    kCblasSgemm(kCblasRowMajor, trans_a ? kCblasTrans : kCblasNoTrans, trans_b ? kCblasTrans : kCblasNoTrans,
                static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, a, static_cast<int>(lda), b,
                static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
    return;
  }
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  auto ta = trans_a ? torch::from_blob(const_cast<float*>(a), {k, m}, {lda, 1}, opts).t()
                    : torch::from_blob(const_cast<float*>(a), {m, k}, {lda, 1}, opts);
  auto tb = trans_b ? torch::from_blob(const_cast<float*>(b), {n, k}, {ldb, 1}, opts).t()
                    : torch::from_blob(const_cast<float*>(b), {k, n}, {ldb, 1}, opts);
  auto tc = torch::from_blob(c, {m, n}, {ldc, 1}, opts);
  if (beta == 0.0f) at::mm_out(tc, ta, tb);
  else tc.addmm_(ta, tb);
}

// The same with contiguous operands.
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, const float* a, const float* b,
          float beta, float* c) {
  gemm(trans_a, trans_b, m, n, k, a, trans_a ? m : k, b, trans_b ? k : n, beta, c, n);
}

// ---- Elementwise loops of the dense layers ----------------------------------
// Compiled for AVX-512, AVX2 and plain x86-64, picked at load time. Additions
// and comparisons round the same at any vector width, so all give the same bits.
#define ARENA_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

// y[r, j] += bias[j], then ReLU when asked.
ARENA_VECTOR_CLONES void add_bias(float* __restrict y, const float* __restrict bias, std::int64_t rows,
                                  std::int64_t cols, bool relu) {
  for (std::int64_t r = 0; r < rows; ++r) {
    float* __restrict row = y + r * cols;
    if (relu) {
      for (std::int64_t j = 0; j < cols; ++j) {
        const float v = row[j] + bias[j];
        row[j] = v > 0.0f ? v : 0.0f;
      }
    } else {
      for (std::int64_t j = 0; j < cols; ++j) row[j] += bias[j];
    }
  }
}

// ReLU backward in place: g = 0 where the layer's output y is not positive
// (the output is positive exactly where the input was).
ARENA_VECTOR_CLONES void relu_backward(float* __restrict g, const float* __restrict y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) g[i] = y[i] > 0.0f ? g[i] : 0.0f;
}

// sums[j] = sum over rows r of g[r, j] (rows ld apart), added row after row.
ARENA_VECTOR_CLONES void column_sums(float* __restrict sums, const float* __restrict g, std::int64_t rows,
                                     std::int64_t cols, std::int64_t ld) {
  for (std::int64_t j = 0; j < cols; ++j) sums[j] = g[j];
  for (std::int64_t r = 1; r < rows; ++r)
    for (std::int64_t j = 0; j < cols; ++j) sums[j] += g[r * ld + j];
}

// ---- Products with a tiny dimension -------------------------------------------
// A dense layer with a few inputs (CartPole's 4 observations) or outputs (2
// Q-values) makes products of which one dimension is at most kTiny. oneDNN
// and OpenBLAS spend more on a call than such a product costs, so the
// row-split pass computes them here: loops over the long dimension, which
// the compiler vectorises. Scratch space is per thread and only grows.
constexpr std::int64_t kTiny = 8;

ARENA_VECTOR_CLONES void axpy(float* __restrict y, float a, const float* __restrict x, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) y[j] += a * x[j];
}

ARENA_VECTOR_CLONES void scale_into(float* __restrict y, float a, const float* __restrict x, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) y[j] = a * x[j];
}

// Sum of x[j] * y[j] in 16 interleaved partial sums, added up at the end.
ARENA_VECTOR_CLONES float dot(const float* __restrict x, const float* __restrict y, std::int64_t n) {
  float acc[16] = {};
  std::int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    for (int l = 0; l < 16; ++l) acc[l] += x[j + l] * y[j + l];
  float total = 0.0f;
  for (int l = 0; l < 16; ++l) total += acc[l];
  for (; j < n; ++j) total += x[j] * y[j];
  return total;
}

// C = op(A) op(B) (beta 0) as gemm() takes it, when one of m, n, k is at most
// kTiny; false (nothing done) otherwise.
bool tiny_gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
               std::int64_t lda, const float* b, std::int64_t ldb, float* c, std::int64_t ldc) {
  thread_local std::vector<float> scratch;
  const auto A = [&](std::int64_t i, std::int64_t p) { return trans_a ? a[p * lda + i] : a[i * lda + p]; };
  if (k <= kTiny) {  // C[i, :] = sum over p of A[i, p] B[p, :]: rows of B as vectors
    const float* rows = b;  // B[p, :] at rows + p * ld
    std::int64_t ld = ldb;
    if (trans_b) {  // B is [n, k]: transpose it into scratch [k, n] first
      scratch.resize(static_cast<std::size_t>(k * n));
      for (std::int64_t j = 0; j < n; ++j)
        for (std::int64_t p = 0; p < k; ++p) scratch[static_cast<std::size_t>(p * n + j)] = b[j * ldb + p];
      rows = scratch.data();
      ld = n;
    }
    for (std::int64_t i = 0; i < m; ++i) {
      float* ci = c + i * ldc;
      scale_into(ci, A(i, 0), rows, n);
      for (std::int64_t p = 1; p < k; ++p) axpy(ci, A(i, p), rows + p * ld, n);
    }
    return true;
  }
  if (n <= kTiny && !trans_a && trans_b) {  // C[i, j] = A[i, :] . B[j, :], both rows
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) c[i * ldc + j] = dot(a + i * lda, b + j * ldb, k);
    return true;
  }
  if (trans_a && !trans_b && (m <= kTiny || n <= kTiny)) {  // C = A^T B: A [k, m], B [k, n]
    if (m <= kTiny) {  // C[i, :] = sum over p of A[p, i] B[p, :]
      for (std::int64_t i = 0; i < m; ++i) {
        float* ci = c + i * ldc;
        scale_into(ci, a[i], b, n);
        for (std::int64_t p = 1; p < k; ++p) axpy(ci, a[p * lda + i], b + p * ldb, n);
      }
    } else {  // C^T[j, :] = sum over p of B[p, j] A[p, :] into scratch, then transposed
      scratch.resize(static_cast<std::size_t>(n * m));
      for (std::int64_t j = 0; j < n; ++j) {
        float* t = scratch.data() + j * m;
        scale_into(t, b[j], a, m);
        for (std::int64_t p = 1; p < k; ++p) axpy(t, b[p * ldb + j], a + p * lda, m);
      }
      for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) c[i * ldc + j] = scratch[static_cast<std::size_t>(j * m + i)];
    }
    return true;
  }
  return false;
}

// gemm() with the products of a tiny dimension done by tiny_gemm().
void gemm_any(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
              std::int64_t lda, const float* b, std::int64_t ldb, float* c, std::int64_t ldc) {
  if (m > 0 && n > 0 && k > 0 && tiny_gemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc)) return;
  gemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, 0.0f, c, ldc);
}

// y[B, out] = x[B, in] W^T + b, then ReLU when asked. y preallocated; all contiguous.
// Adding the bias after the product rounds exactly as addmm's bias-then-accumulate
// (one rounding of the accumulated product plus the bias either way).
// tiny: products with a tiny dimension through tiny_gemm() (the row-split pass).
void linear_into(float* y, const float* x, const float* w, const float* bias, std::int64_t batch, std::int64_t in,
                 std::int64_t out, bool relu, bool tiny = false) {
  if (tiny) gemm_any(false, true, batch, out, in, x, in, w, in, y, out);
  else gemm(false, true, batch, out, in, x, w, 0.0f, y);
  add_bias(y, bias, batch, out, relu);
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

std::int64_t product(const std::vector<std::int64_t>& shape) {
  std::int64_t p = 1;
  for (auto d : shape) p *= d;
  return p;
}

}  // namespace

std::string QNetSpec::describe() const {
  std::string s = torso + " obs=" + dtype_name(obs_dtype) + shape_string(obs_shape);
  if (channels_last) s += " channels_last";
  for (const auto& l : layers) {
    if (l.kind == LayerSpec::Kind::Conv2d) {
      s += " conv(" + std::to_string(l.in) + "," + std::to_string(l.out) + ",k" + std::to_string(l.kernel) + ",s" +
           std::to_string(l.stride) + ")";
    } else {
      s += " linear(" + std::to_string(l.in) + "," + std::to_string(l.out) + ")";
    }
    if (l.relu) s += "+relu";
  }
  s += dueling ? " dueling" : "";
  return s + " actions=" + std::to_string(num_actions);
}

QNetSpec make_q_net_spec(const DQNConfig& config, const Space& observation_space, std::int64_t num_actions) {
  const auto fail = [](const std::string& what) { throw std::invalid_argument("Q-network: " + what); };
  if (!observation_space.is_box()) fail("the observation space must be a Box, got " + observation_space.repr());
  if (observation_space.dtype() != DType::Float32 && observation_space.dtype() != DType::UInt8)
    fail("observations must be float32 or uint8");
  if (num_actions < 1) fail("need at least one action");
  for (auto w : config.hidden)
    if (w < 1) fail("hidden widths must be positive");

  QNetSpec s;
  s.torso = config.torso;
  s.obs_shape = observation_space.shape();
  s.obs_dtype = observation_space.dtype();
  s.num_actions = num_actions;
  s.dueling = config.dueling;

  std::int64_t features = 0;
  std::vector<std::int64_t> hidden = config.hidden;
  if (s.torso == "mlp") {
    features = product(s.obs_shape);
  } else if (s.torso == "nature_cnn" || s.torso == "minatar_cnn") {
    const auto& sh = s.obs_shape;
    if (sh.size() != 3) fail(s.torso + " needs a 3-D observation, got " + shape_string(sh));
    s.conv = true;
    if (s.torso == "nature_cnn") {
      s.channels_last = sh[2] < sh[0];
      s.input_divisor = 255.0;
    } else {
      s.channels_last = true;  // MinAtar: [10, 10, C]
    }
    std::int64_t c = s.channels_last ? sh[2] : sh[0], h = s.channels_last ? sh[0] : sh[1],
                 w = s.channels_last ? sh[1] : sh[2];
    const auto add_conv = [&](std::int64_t out, std::int64_t k, std::int64_t stride) {
      if (h < k || w < k) fail(s.torso + ": observation " + shape_string(sh) + " is too small for its convolutions");
      LayerSpec l;
      l.kind = LayerSpec::Kind::Conv2d;
      l.in = c;
      l.out = out;
      l.kernel = k;
      l.stride = stride;
      l.in_h = h;
      l.in_w = w;
      l.out_h = (h - k) / stride + 1;
      l.out_w = (w - k) / stride + 1;
      s.layers.push_back(l);
      c = out;
      h = l.out_h;
      w = l.out_w;
    };
    if (s.torso == "nature_cnn") {
      add_conv(32, 8, 4);
      add_conv(64, 4, 2);
      add_conv(64, 3, 1);
      if (hidden.empty()) hidden = {512};
    } else {
      add_conv(16, 3, 1);
      if (hidden.empty()) hidden = {128};
    }
    features = c * h * w;
  } else {
    fail("unknown torso '" + s.torso + "' (known: mlp, nature_cnn, minatar_cnn)");
  }
  const auto add_linear = [&](std::int64_t out, bool relu) {
    LayerSpec l;
    l.kind = LayerSpec::Kind::Linear;
    l.in = features;
    l.out = out;
    l.relu = relu;
    s.layers.push_back(l);
    features = out;
  };
  for (auto width : hidden) add_linear(width, true);
  add_linear(s.head_outputs(), false);

  std::int64_t offset = 0;
  for (auto& l : s.layers) {
    l.weight_offset = offset;
    offset += l.weight_numel();
    l.bias_offset = offset;
    offset += l.out;
  }
  s.num_params = offset;
  return s;
}

// ---- QNetwork ------------------------------------------------------------

QNetwork::QNetwork(QNetSpec spec) : spec_(std::move(spec)) {
  flat_ = torch::zeros({spec_.num_params}, torch::kFloat32);
  params_ = views_of(flat_);
}

std::vector<at::Tensor> QNetwork::views_of(const at::Tensor& flat) const {
  if (flat.numel() != spec_.num_params || !flat.is_contiguous())
    throw std::invalid_argument("QNetwork::views_of: need a contiguous tensor of " +
                                std::to_string(spec_.num_params) + " elements");
  std::vector<at::Tensor> views;
  for (const auto& l : spec_.layers) {
    views.push_back(flat.narrow(0, l.weight_offset, l.weight_numel()).view(l.weight_shape()));
    views.push_back(flat.narrow(0, l.bias_offset, l.out));
  }
  return views;
}

void QNetwork::reset_parameters(Rng& rng) {
  float* p = flat_.data_ptr<float>();
  for (const auto& l : spec_.layers) {
    // kaiming_uniform_(a=sqrt(5)) for the weight and the bias rule of
    // nn.Linear / nn.Conv2d both come to U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    const double bound = 1.0 / std::sqrt(static_cast<double>(l.fan_in()));
    for (std::int64_t i = 0; i < l.weight_numel(); ++i)
      p[l.weight_offset + i] = static_cast<float>(rng.uniform(-bound, bound));
    for (std::int64_t i = 0; i < l.out; ++i) p[l.bias_offset + i] = static_cast<float>(rng.uniform(-bound, bound));
  }
}

at::Tensor QNetwork::preprocess(const at::Tensor& obs, bool nhwc_memory) const {
  const std::int64_t batch = obs.dim() > 0 ? obs.size(0) : 0;
  if (obs.dim() == 0 || obs.numel() != batch * product(spec_.obs_shape))
    throw std::invalid_argument("Q-network: observations of shape " + shape_string(obs.sizes().vec()) +
                                " are not a batch of " + shape_string(spec_.obs_shape));
  if (!spec_.conv && obs.dim() == 2 && obs.scalar_type() == at::kFloat) return obs;  // the common case, as it is
  at::Tensor x = obs;
  if (spec_.conv) {  // [B, C, H, W], laid out in memory before the conversion (uint8 moves 4x fewer bytes)
    std::vector<std::int64_t> shape{batch};
    shape.insert(shape.end(), spec_.obs_shape.begin(), spec_.obs_shape.end());
    x = x.reshape(shape);
    if (spec_.channels_last) x = x.permute({0, 3, 1, 2});
    x = nhwc_memory ? x.contiguous(at::MemoryFormat::ChannelsLast) : x.contiguous();
  }
  if (x.scalar_type() != at::kFloat) {
    x = x.to(at::kFloat);  // keeps the memory layout
    if (spec_.input_divisor != 1.0) x.div_(spec_.input_divisor);  // SB3: obs.float() / 255.0
  }
  if (!spec_.conv) return x.reshape({batch, -1});
  return x;
}

at::Tensor QNetwork::forward(const at::Tensor& obs, const std::vector<at::Tensor>& params) const {
  at::Tensor x = preprocess(obs);
  const std::int64_t batch = x.size(0);
  for (std::size_t l = 0; l < spec_.layers.size(); ++l) {
    const auto& layer = spec_.layers[l];
    const auto& w = params[2 * l];
    const auto& b = params[2 * l + 1];
    if (layer.kind == LayerSpec::Kind::Conv2d) {
      x = at::conv2d(x, w, b, {layer.stride, layer.stride});
    } else {
      if (x.dim() != 2) x = x.reshape({batch, -1});
      if (x.requires_grad() || w.requires_grad()) {  // autograd (tests)
        x = at::addmm(b, x, w.t());
      } else {
        at::Tensor y = torch::empty({batch, layer.out}, torch::kFloat32);
        x = x.contiguous();
        linear_into(y.data_ptr<float>(), x.data_ptr<float>(), w.contiguous().data_ptr<float>(),
                    b.contiguous().data_ptr<float>(), batch, layer.in, layer.out, layer.relu);
        x = y;
        continue;  // ReLU done
      }
    }
    if (layer.relu) x = x.requires_grad() ? at::relu(x) : x.relu_();
  }
  if (!spec_.dueling) return x;
  const auto a = x.narrow(1, 0, spec_.num_actions);
  const auto v = x.narrow(1, spec_.num_actions, 1);
  return v + (a - a.mean(1, /*keepdim=*/true));
}

void QNetwork::forward_dense(const float* obs, std::int64_t batch, float* q) {
  if (!dense()) throw std::logic_error("QNetwork::forward_dense: the network has convolutions or uint8 inputs");
  std::int64_t widest = 0;
  for (const auto& l : spec_.layers) widest = std::max(widest, l.out);
  const auto need = static_cast<std::size_t>(batch * widest);
  if (dense_a_.size() < need) {  // grows only
    dense_a_.resize(need);
    dense_b_.resize(need);
  }
  const float* p = flat_.data_ptr<float>();
  const float* x = obs;
  float* y = dense_a_.data();
  const std::size_t last = spec_.layers.size() - 1;
  for (std::size_t l = 0; l <= last; ++l) {
    const auto& layer = spec_.layers[l];
    float* out = l == last && !spec_.dueling ? q : y;
    linear_into(out, x, p + layer.weight_offset, p + layer.bias_offset, batch, layer.in, layer.out, layer.relu);
    x = out;
    y = y == dense_a_.data() ? dense_b_.data() : dense_a_.data();
  }
  if (!spec_.dueling) return;
  // Q = V + (A - mean(A)), the value is the head's last output (as forward()).
  const std::int64_t n = spec_.num_actions;
  for (std::int64_t b = 0; b < batch; ++b) {
    const float* row = x + b * (n + 1);
    float mean = 0.0f;
    for (std::int64_t j = 0; j < n; ++j) mean += row[j];
    mean /= static_cast<float>(n);
    for (std::int64_t j = 0; j < n; ++j) q[b * n + j] = row[n] + (row[j] - mean);
  }
}

bool QNetwork::split(const LayerSpec& layer, std::int64_t batch) const {
  // Below ~0.25M multiply-adds a product takes a few microseconds: not worth a hand-off.
  return team_ != nullptr && team_->size() > 1 && batch * layer.in * layer.out >= (std::int64_t{1} << 18);
}

void QNetwork::ensure_workspace(std::int64_t batch) {
  if (ws_batch_ == batch) return;
  const std::size_t n = spec_.layers.size();
  if (batch > ws_capacity_) {  // grow only: smaller batches use the first rows
    linear_storage_.assign(2 * n, at::Tensor());
    for (std::size_t l = 0; l < n; ++l) {
      const auto& layer = spec_.layers[l];
      if (layer.kind != LayerSpec::Kind::Linear) continue;
      linear_storage_[2 * l] = torch::empty({batch, layer.out}, torch::kFloat32);
      if (l > 0) linear_storage_[2 * l + 1] = torch::empty({batch, layer.in}, torch::kFloat32);
    }
    ws_capacity_ = batch;
  }
  acts_.assign(n, at::Tensor());
  outs_.assign(n, at::Tensor());
  linear_out_.assign(n, at::Tensor());
  linear_dx_.assign(n, at::Tensor());
  for (std::size_t l = 0; l < n; ++l) {
    if (linear_storage_[2 * l].defined()) linear_out_[l] = linear_storage_[2 * l].narrow(0, 0, batch);
    if (linear_storage_[2 * l + 1].defined()) linear_dx_[l] = linear_storage_[2 * l + 1].narrow(0, 0, batch);
  }
  ws_batch_ = batch;
}

const at::Tensor& QNetwork::forward_train(const at::Tensor& obs) {
  // Convolutions train in channels-last memory (NHWC): oneDNN's kernels for
  // it are 1.5-4x faster than for NCHW on these layers (the first layer's
  // weight gradient most). The logical shapes, and the flat parameter
  // layout, stay PyTorch's NCHW.
  at::Tensor x = preprocess(obs, /*nhwc_memory=*/spec_.conv);
  if (spec_.conv && conv_weights_.size() != spec_.layers.size()) conv_weights_.assign(spec_.layers.size(), at::Tensor());
  const std::int64_t batch = x.size(0);
  ensure_workspace(batch);
  for (std::size_t l = 0; l < spec_.layers.size(); ++l) {
    const auto& layer = spec_.layers[l];
    if (layer.kind == LayerSpec::Kind::Conv2d) {
      acts_[l] = x;
      conv_weights_[l] = params_[2 * l].contiguous(at::MemoryFormat::ChannelsLast);
      x = at::conv2d(x, conv_weights_[l], params_[2 * l + 1], {layer.stride, layer.stride});
    } else {
      if (x.dim() != 2 || !x.is_contiguous()) x = x.reshape({batch, -1}).contiguous();
      acts_[l] = x;
      float* y = linear_out_[l].data_ptr<float>();
      const float* in = x.data_ptr<float>();
      const float* w = params_[2 * l].data_ptr<float>();
      const float* bias = params_[2 * l + 1].data_ptr<float>();
      if (split(layer, batch)) {  // each rank: a block of rows
        team_->run([&](int rank) {
          const auto rows = team_->part(rank, batch);
          if (rows.end > rows.begin)
            linear_into(y + rows.begin * layer.out, in + rows.begin * layer.in, w, bias, rows.end - rows.begin,
                        layer.in, layer.out, layer.relu);
        });
      } else {
        linear_into(y, in, w, bias, batch, layer.in, layer.out, layer.relu);
      }
      outs_[l] = x = linear_out_[l];
      continue;
    }
    if (layer.relu) x.relu_();
    outs_[l] = x;
  }
  return outs_.back();
}

void QNetwork::begin_rows(const at::Tensor& obs, int parts) {
  if (!dense()) throw std::logic_error("QNetwork::begin_rows: the network has convolutions or uint8 inputs");
  if (parts < 1) throw std::invalid_argument("QNetwork::begin_rows: need at least one part");
  rows_obs_ = preprocess(obs).contiguous();
  const std::int64_t batch = rows_obs_.size(0);
  ensure_workspace(batch);
  if (!grad_.defined()) {
    grad_ = torch::zeros({spec_.num_params}, torch::kFloat32);
    grads_ = views_of(grad_);
  }
  const auto n = spec_.layers.size();
  rows_out_.assign(n, nullptr);
  rows_dx_.assign(n, nullptr);
  for (std::size_t l = 0; l < n; ++l) {
    rows_out_[l] = linear_out_[l].data_ptr<float>();
    if (l > 0) rows_dx_[l] = linear_dx_[l].data_ptr<float>();
  }
  rows_x_ = rows_obs_.data_ptr<float>();
  if (part_grads_.size() < static_cast<std::size_t>(parts - 1))
    part_grads_.resize(static_cast<std::size_t>(parts - 1),
                       std::vector<float>(static_cast<std::size_t>(spec_.num_params)));
  rows_parts_ = parts;
}

const float* QNetwork::forward_rows(std::int64_t r0, std::int64_t r1) {
  const float* p = flat_.data_ptr<float>();
  const float* x = rows_x_ + r0 * spec_.layers.front().in;
  for (std::size_t l = 0; l < spec_.layers.size(); ++l) {
    const auto& layer = spec_.layers[l];
    float* y = rows_out_[l] + r0 * layer.out;
    if (r1 > r0)
      linear_into(y, x, p + layer.weight_offset, p + layer.bias_offset, r1 - r0, layer.in, layer.out, layer.relu,
                  /*tiny=*/true);
    x = y;
  }
  return rows_out_.back();
}

float* QNetwork::part_grad(int part) {
  if (part < 0 || part >= rows_parts_) throw std::out_of_range("QNetwork::part_grad: no part " + std::to_string(part));
  return part == 0 ? grad_.data_ptr<float>() : part_grads_[static_cast<std::size_t>(part - 1)].data();
}

void QNetwork::backward_rows(const float* grad_head, std::int64_t r0, std::int64_t r1, int part) {
  float* gflat = part_grad(part);
  const std::int64_t rows = r1 - r0;
  if (rows <= 0) {  // no rows: this part adds nothing
    std::fill(gflat, gflat + spec_.num_params, 0.0f);
    return;
  }
  const float* p = flat_.data_ptr<float>();
  const float* dy = grad_head + r0 * spec_.head_outputs();  // dLoss / d(output of layer l), rows r0..
  for (std::size_t l = spec_.layers.size(); l-- > 0;) {
    const auto& layer = spec_.layers[l];
    if (layer.relu) {  // hidden layers only: dy is then this part's rows of rows_dx_[l + 1]
      float* g = const_cast<float*>(dy);
      relu_backward(g, rows_out_[l] + r0 * layer.out, rows * layer.out);
    }
    const float* x = l == 0 ? rows_x_ + r0 * layer.in : rows_out_[l - 1] + r0 * layer.in;
    gemm_any(true, false, layer.out, layer.in, rows, dy, layer.out, x, layer.in, gflat + layer.weight_offset,
             layer.in);
    column_sums(gflat + layer.bias_offset, dy, rows, layer.out, layer.out);
    if (l == 0) break;
    float* dx = rows_dx_[l] + r0 * layer.in;
    gemm_any(false, false, rows, layer.in, layer.out, dy, layer.out, p + layer.weight_offset, layer.in, dx,
             layer.in);
    dy = dx;
  }
}

double QNetwork::sum_part_grads(std::int64_t i0, std::int64_t i1) {
  float* g = grad_.data_ptr<float>() + i0;
  const auto n = static_cast<std::size_t>(std::max<std::int64_t>(0, i1 - i0));
  if (rows_parts_ <= 1) {
    const double norm = FlatOptimizer::l2_norm(g, n);
    return norm * norm;
  }
  double sumsq = 0.0;
  for (int part = 1; part < rows_parts_; ++part)
    sumsq = FlatOptimizer::add_sumsq(g, part_grads_[static_cast<std::size_t>(part - 1)].data() + i0, n);
  return sumsq;
}

void QNetwork::backward(const at::Tensor& grad_head) {
  if (!grad_.defined()) {
    grad_ = torch::zeros({spec_.num_params}, torch::kFloat32);
    grads_ = views_of(grad_);
  }
  const std::int64_t batch = grad_head.size(0);
  at::Tensor dy = grad_head.contiguous();  // dLoss / d(output of layer l), in that output's shape
  for (std::size_t l = spec_.layers.size(); l-- > 0;) {
    const auto& layer = spec_.layers[l];
    if (layer.kind == LayerSpec::Kind::Linear) {
      float* g = dy.data_ptr<float>();
      // In place: dy is never the caller's tensor here, since the head has no ReLU.
      if (layer.relu) relu_backward(g, outs_[l].data_ptr<float>(), batch * layer.out);
      // y = x W^T + b:  dW = dy^T x,  db = sum over the batch of dy,  dx = dy W.
      // Split across the team: dW and db by output units, dx by rows.
      const float* x = acts_[l].data_ptr<float>();
      const float* w = params_[2 * l].data_ptr<float>();
      float* dw = grads_[2 * l].data_ptr<float>();
      float* db = grads_[2 * l + 1].data_ptr<float>();
      float* dx = l > 0 ? linear_dx_[l].data_ptr<float>() : nullptr;  // none for the observations
      const auto weight_grads = [&](std::int64_t o0, std::int64_t o1) {
        if (o1 <= o0) return;
        gemm(true, false, o1 - o0, layer.in, batch, g + o0, layer.out, x, layer.in, 0.0f, dw + o0 * layer.in,
             layer.in);
        column_sums(db + o0, g + o0, batch, o1 - o0, layer.out);
      };
      const auto input_grads = [&](std::int64_t r0, std::int64_t r1) {
        if (dx == nullptr || r1 <= r0) return;
        gemm(false, false, r1 - r0, layer.in, layer.out, g + r0 * layer.out, layer.out, w, layer.in, 0.0f,
             dx + r0 * layer.in, layer.in);
      };
      if (split(layer, batch)) {
        team_->run([&](int rank) {
          const auto units = team_->part(rank, layer.out, 16);
          weight_grads(units.begin, units.end);
          const auto rows = team_->part(rank, batch);
          input_grads(rows.begin, rows.end);
        });
      } else {
        weight_grads(0, layer.out);
        input_grads(0, batch);
      }
      if (l == 0) break;
      dy = linear_dx_[l];
      if (spec_.layers[l - 1].kind == LayerSpec::Kind::Conv2d)
        dy = dy.view(outs_[l - 1].sizes()).contiguous(at::MemoryFormat::ChannelsLast);
    } else {
      if (layer.relu) at::threshold_backward_out(dy, dy, outs_[l], 0);
      auto [dx, dw, db] = at::convolution_backward(dy, acts_[l], conv_weights_[l], at::IntArrayRef(&layer.out, 1),
                                                   {layer.stride, layer.stride}, {0, 0}, {1, 1}, false, {0, 0}, 1,
                                                   {l > 0, true, true});
      grads_[2 * l].copy_(dw);
      grads_[2 * l + 1].copy_(db);
      dy = dx;
    }
  }
}

}  // namespace arena
