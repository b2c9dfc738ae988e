// Adam and RMSprop over ONE flat float array: every parameter of a network
// lives in a single contiguous buffer (and every gradient in another), so an
// optimizer step is one pass over memory instead of a handful of LibTorch
// ops per parameter tensor.
//
// The arithmetic is PyTorch 1.13's (torch.optim.Adam and torch.optim.RMSprop
// without weight decay, momentum or amsgrad), in the same order of operations:
//
//   Adam:    m = m*b1 + (1-b1)*g            v = v*b2 + ((1-b2)*g)*g
//            denom = sqrt(v) * (1 / sqrt(1 - b2^t)) + eps
//            p = p + (-lr / (1 - b1^t)) * m / denom
//            (PyTorch divides by sqrt(1 - b2^t); multiplying by its inverse
//            differs by at most an ulp and saves a division per element, which
//            with the sqrt and the other division bounds the step's speed)
//   RMSprop: s = s*a + ((1-a)*g)*g
//            centered: c = c*a + (1-a)*g,  avg = sqrt(s - c*c) + eps
//            else:                          avg = sqrt(s) + eps        (eps outside the sqrt)
//            p = p + (-lr * g) / avg
//
// Every step runs in float32 with separate multiplies and adds (no fused
// multiply-add), so the AVX-512, AVX2 and scalar code paths give the same bits.
// One difference from PyTorch: denormals are flushed to zero during a step
// (magnitudes below 1.2e-38; see step()), which keeps the step fast when
// moments of parameters with zero gradients decay.
// No LibTorch here: the buffers are plain float pointers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace arena {

class ThreadTeam;

struct FlatOptimizerOptions {
  enum class Kind : std::uint8_t { Adam, RMSprop };
  Kind kind = Kind::Adam;
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999;  // Adam
  double alpha = 0.99;                // RMSprop smoothing constant
  double eps = 1e-8;
  bool centered = false;              // RMSprop: normalise by the variance estimate
};

class FlatOptimizer {
 public:
  // State for `size` parameters, zero-initialised (as PyTorch's lazily created state).
  // std::invalid_argument on lr < 0, eps < 0, betas or alpha outside [0, 1).
  FlatOptimizer(const FlatOptimizerOptions& options, std::size_t size);

  // One update of params[0, size) from grad[0, size) multiplied by
  // grad_scale first (the clipping coefficient: PyTorch scales the gradients
  // in place before the step; 1 leaves them unchanged). grad is not modified.
  // With a team, large arrays are updated in parts (the same result).
  void step(float* params, const float* grad, float grad_scale = 1.0f, ThreadTeam* team = nullptr);

  // sqrt(sum of squares) accumulated in double; NaN or +inf when any element
  // is NaN or infinite, so one call also checks that the gradient is finite.
  static double l2_norm(const float* x, std::size_t n);
  // dst += src elementwise; returns the sum of the squares of the new dst
  // (in double), for adding up a gradient computed in parts.
  static double add_sumsq(float* dst, const float* src, std::size_t n);

  // torch.nn.utils.clip_grad_norm_'s coefficient for a gradient of norm
  // `norm`: min(1, max_norm / (norm + 1e-6)) in float32 as PyTorch computes it.
  static float clip_coefficient(double norm, double max_norm);

  const FlatOptimizerOptions& options() const { return options_; }
  // The learning rate of the next steps (a schedule sets it; >= 0).
  void set_learning_rate(double lr);
  std::size_t size() const { return size_; }
  std::int64_t steps() const { return steps_; }

  // The complete state for checkpoints: the step count and the moment buffers
  // (Adam: exp_avg, exp_avg_sq; RMSprop: square_avg, then grad_avg when centered).
  std::vector<std::span<float>> state_buffers();
  std::vector<std::span<const float>> state_buffers() const;
  void set_steps(std::int64_t steps) { steps_ = steps; }

 private:
  FlatOptimizerOptions options_;
  std::size_t size_;
  std::int64_t steps_ = 0;
  std::vector<float> m_, v_;  // Adam: exp_avg, exp_avg_sq. RMSprop: grad_avg (centered), square_avg
};

}  // namespace arena
