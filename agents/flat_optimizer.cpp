#include "agents/flat_optimizer.h"

#include "agents/thread_team.h"

#include <immintrin.h>

// GCC 12 reports a false -Wmaybe-uninitialized inside its own AVX-512 headers
// (_mm512_undefined_ps) when they are inlined into a target("avx512f") function.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <cmath>
#include <stdexcept>

// Each kernel exists three times: AVX-512, AVX2 and scalar, chosen at run
// time. The vector loops stop before the tail, which the scalar loop finishes.
// fp-contract=off keeps the compiler from fusing a multiply and an add into
// an FMA, so all three give identical results.
#define ARENA_EXACT __attribute__((optimize("fp-contract=off")))
#define ARENA_AVX512 __attribute__((target("avx512f"), optimize("fp-contract=off")))
#define ARENA_AVX2 __attribute__((target("avx2"), optimize("fp-contract=off")))

namespace arena {
namespace {

enum class Isa { Scalar, Avx2, Avx512 };

Isa detect_isa() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return Isa::Avx512;
  if (__builtin_cpu_supports("avx2")) return Isa::Avx2;
  return Isa::Scalar;
}

const Isa kIsa = detect_isa();

// ---- Adam ----------------------------------------------------------------

struct AdamConstants {
  float scale, b1, omb1, b2, omb2, inv_bc2_sqrt, eps, step_size;  // step_size = -lr / (1 - b1^t)
};

ARENA_EXACT void adam_scalar(float* p, const float* g, float* m, float* v, std::size_t i, std::size_t n,
                             const AdamConstants& k) {
  for (; i < n; ++i) {
    const float gi = g[i] * k.scale;
    const float mi = m[i] * k.b1 + k.omb1 * gi;
    const float vi = v[i] * k.b2 + (k.omb2 * gi) * gi;
    const float denom = std::sqrt(vi) * k.inv_bc2_sqrt + k.eps;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] + (k.step_size * mi) / denom;
  }
}

ARENA_AVX512 std::size_t adam_avx512(float* p, const float* g, float* m, float* v, std::size_t n,
                                     const AdamConstants& k) {
  const __m512 scale = _mm512_set1_ps(k.scale), b1 = _mm512_set1_ps(k.b1), omb1 = _mm512_set1_ps(k.omb1),
               b2 = _mm512_set1_ps(k.b2), omb2 = _mm512_set1_ps(k.omb2), bc2 = _mm512_set1_ps(k.inv_bc2_sqrt),
               eps = _mm512_set1_ps(k.eps), ss = _mm512_set1_ps(k.step_size);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 gi = _mm512_mul_ps(_mm512_loadu_ps(g + i), scale);
    const __m512 mi = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(m + i), b1), _mm512_mul_ps(omb1, gi));
    const __m512 vi = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(v + i), b2), _mm512_mul_ps(_mm512_mul_ps(omb2, gi), gi));
    const __m512 denom = _mm512_add_ps(_mm512_mul_ps(_mm512_sqrt_ps(vi), bc2), eps);
    _mm512_storeu_ps(m + i, mi);
    _mm512_storeu_ps(v + i, vi);
    _mm512_storeu_ps(p + i, _mm512_add_ps(_mm512_loadu_ps(p + i), _mm512_div_ps(_mm512_mul_ps(ss, mi), denom)));
  }
  return i;
}

ARENA_AVX2 std::size_t adam_avx2(float* p, const float* g, float* m, float* v, std::size_t n, const AdamConstants& k) {
  const __m256 scale = _mm256_set1_ps(k.scale), b1 = _mm256_set1_ps(k.b1), omb1 = _mm256_set1_ps(k.omb1),
               b2 = _mm256_set1_ps(k.b2), omb2 = _mm256_set1_ps(k.omb2), bc2 = _mm256_set1_ps(k.inv_bc2_sqrt),
               eps = _mm256_set1_ps(k.eps), ss = _mm256_set1_ps(k.step_size);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 gi = _mm256_mul_ps(_mm256_loadu_ps(g + i), scale);
    const __m256 mi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(m + i), b1), _mm256_mul_ps(omb1, gi));
    const __m256 vi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(v + i), b2), _mm256_mul_ps(_mm256_mul_ps(omb2, gi), gi));
    const __m256 denom = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(vi), bc2), eps);
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
    _mm256_storeu_ps(p + i, _mm256_add_ps(_mm256_loadu_ps(p + i), _mm256_div_ps(_mm256_mul_ps(ss, mi), denom)));
  }
  return i;
}

// ---- RMSprop -------------------------------------------------------------
// c (grad_avg) is null when not centered.

struct RmsConstants {
  float scale, a, oma, eps, neg_lr;
};

ARENA_EXACT void rms_scalar(float* p, const float* g, float* s, float* c, std::size_t i, std::size_t n,
                            const RmsConstants& k) {
  for (; i < n; ++i) {
    const float gi = g[i] * k.scale;
    const float si = s[i] * k.a + (k.oma * gi) * gi;
    s[i] = si;
    float avg;
    if (c != nullptr) {
      const float ci = c[i] * k.a + k.oma * gi;
      c[i] = ci;
      avg = std::sqrt(si + (-1.0f * ci) * ci) + k.eps;
    } else {
      avg = std::sqrt(si) + k.eps;
    }
    p[i] = p[i] + (k.neg_lr * gi) / avg;
  }
}

ARENA_AVX512 std::size_t rms_avx512(float* p, const float* g, float* s, float* c, std::size_t n,
                                    const RmsConstants& k) {
  const __m512 scale = _mm512_set1_ps(k.scale), a = _mm512_set1_ps(k.a), oma = _mm512_set1_ps(k.oma),
               eps = _mm512_set1_ps(k.eps), neg_lr = _mm512_set1_ps(k.neg_lr), neg1 = _mm512_set1_ps(-1.0f);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 gi = _mm512_mul_ps(_mm512_loadu_ps(g + i), scale);
    const __m512 si = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(s + i), a), _mm512_mul_ps(_mm512_mul_ps(oma, gi), gi));
    _mm512_storeu_ps(s + i, si);
    __m512 var = si;
    if (c != nullptr) {
      const __m512 ci = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(c + i), a), _mm512_mul_ps(oma, gi));
      _mm512_storeu_ps(c + i, ci);
      var = _mm512_add_ps(si, _mm512_mul_ps(_mm512_mul_ps(neg1, ci), ci));
    }
    const __m512 avg = _mm512_add_ps(_mm512_sqrt_ps(var), eps);
    _mm512_storeu_ps(p + i, _mm512_add_ps(_mm512_loadu_ps(p + i), _mm512_div_ps(_mm512_mul_ps(neg_lr, gi), avg)));
  }
  return i;
}

ARENA_AVX2 std::size_t rms_avx2(float* p, const float* g, float* s, float* c, std::size_t n, const RmsConstants& k) {
  const __m256 scale = _mm256_set1_ps(k.scale), a = _mm256_set1_ps(k.a), oma = _mm256_set1_ps(k.oma),
               eps = _mm256_set1_ps(k.eps), neg_lr = _mm256_set1_ps(k.neg_lr), neg1 = _mm256_set1_ps(-1.0f);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 gi = _mm256_mul_ps(_mm256_loadu_ps(g + i), scale);
    const __m256 si = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(s + i), a), _mm256_mul_ps(_mm256_mul_ps(oma, gi), gi));
    _mm256_storeu_ps(s + i, si);
    __m256 var = si;
    if (c != nullptr) {
      const __m256 ci = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(c + i), a), _mm256_mul_ps(oma, gi));
      _mm256_storeu_ps(c + i, ci);
      var = _mm256_add_ps(si, _mm256_mul_ps(_mm256_mul_ps(neg1, ci), ci));
    }
    const __m256 avg = _mm256_add_ps(_mm256_sqrt_ps(var), eps);
    _mm256_storeu_ps(p + i, _mm256_add_ps(_mm256_loadu_ps(p + i), _mm256_div_ps(_mm256_mul_ps(neg_lr, gi), avg)));
  }
  return i;
}

// ---- Sum of squares --------------------------------------------------------
// 16 double lanes (lane j sums the elements i with i % 16 == j), added in
// lane order at the end: the same summation order on every code path.

constexpr int kLanes = 16;

ARENA_EXACT double lanes_total(const double* lanes, const float* x, std::size_t i, std::size_t n) {
  double acc[kLanes];
  for (int j = 0; j < kLanes; ++j) acc[j] = lanes[j];
  for (; i < n; ++i) acc[i % kLanes] += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  double total = 0.0;
  for (int j = 0; j < kLanes; ++j) total += acc[j];
  return total;
}

ARENA_AVX512 std::size_t sumsq_avx512(const float* x, std::size_t n, double* lanes) {
  __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512d a = _mm512_cvtps_pd(_mm256_loadu_ps(x + i));
    const __m512d b = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 8));
    lo = _mm512_add_pd(lo, _mm512_mul_pd(a, a));
    hi = _mm512_add_pd(hi, _mm512_mul_pd(b, b));
  }
  _mm512_storeu_pd(lanes, lo);
  _mm512_storeu_pd(lanes + 8, hi);
  return i;
}

// dst += src, and the squares of the sums into lanes (as sumsq_avx512).
ARENA_AVX512 std::size_t add_sumsq_avx512(float* dst, const float* src, std::size_t n, double* lanes) {
  __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 s = _mm512_add_ps(_mm512_loadu_ps(dst + i), _mm512_loadu_ps(src + i));
    _mm512_storeu_ps(dst + i, s);
    const __m512d a = _mm512_cvtps_pd(_mm512_castps512_ps256(s));
    const __m512d b = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(s), 1)));
    lo = _mm512_add_pd(lo, _mm512_mul_pd(a, a));
    hi = _mm512_add_pd(hi, _mm512_mul_pd(b, b));
  }
  _mm512_storeu_pd(lanes, lo);
  _mm512_storeu_pd(lanes + 8, hi);
  return i;
}

ARENA_AVX2 std::size_t sumsq_avx2(const float* x, std::size_t n, double* lanes) {
  __m256d acc[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int q = 0; q < 4; ++q) {
      const __m256d a = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4 * q));
      acc[q] = _mm256_add_pd(acc[q], _mm256_mul_pd(a, a));
    }
  }
  for (int q = 0; q < 4; ++q) _mm256_storeu_pd(lanes + 4 * q, acc[q]);
  return i;
}

void check_unit_interval(double x, const char* name) {
  if (!(x >= 0.0 && x < 1.0)) throw std::invalid_argument(std::string("optimizer: ") + name + " must lie in [0, 1)");
}

}  // namespace

FlatOptimizer::FlatOptimizer(const FlatOptimizerOptions& options, std::size_t size) : options_(options), size_(size) {
  if (!(options.lr >= 0.0)) throw std::invalid_argument("optimizer: learning rate must be >= 0");
  if (!(options.eps >= 0.0)) throw std::invalid_argument("optimizer: eps must be >= 0");
  if (options.kind == FlatOptimizerOptions::Kind::Adam) {
    check_unit_interval(options.beta1, "beta1");
    check_unit_interval(options.beta2, "beta2");
    m_.assign(size, 0.0f);
    v_.assign(size, 0.0f);
  } else {
    check_unit_interval(options.alpha, "alpha");
    v_.assign(size, 0.0f);
    if (options.centered) m_.assign(size, 0.0f);
  }
}

void FlatOptimizer::step(float* params, const float* grad, float grad_scale, ThreadTeam* team) {
  ++steps_;
  const std::size_t n = size_;
  // The update is elementwise: any split of the array gives the same bits.
  const auto update = [&](const auto& apply) {
    const auto run = [&](std::size_t begin, std::size_t end) {
      // Flush denormals to zero for the step (FTZ and DAZ in MXCSR, per
      // thread, restored after). The first moment of a parameter whose
      // gradient stays zero (a dead ReLU) decays into the denormal range
      // within ~1000 steps, and denormal arithmetic is ~100x slower: without
      // this a step gets 10x slower. Only magnitudes below 1.2e-38 are affected.
      const unsigned csr = _mm_getcsr();
      _mm_setcsr(csr | 0x8040u);
      if (end > begin) apply(begin, end);
      _mm_setcsr(csr);
    };
    if (team != nullptr && team->size() > 1 && n >= (std::size_t{1} << 15)) {
      team->run([&](int rank) {
        const auto part = team->part(rank, static_cast<std::int64_t>(n), 64);
        run(static_cast<std::size_t>(part.begin), static_cast<std::size_t>(part.end));
      });
    } else {
      run(0, n);
    }
  };
  if (options_.kind == FlatOptimizerOptions::Kind::Adam) {
    // Bias corrections in double, as PyTorch computes them in Python floats.
    const double t = static_cast<double>(steps_);
    const double bc1 = 1.0 - std::pow(options_.beta1, t);
    const double bc2 = 1.0 - std::pow(options_.beta2, t);
    const AdamConstants k{grad_scale,
                          static_cast<float>(options_.beta1),
                          static_cast<float>(1.0 - options_.beta1),
                          static_cast<float>(options_.beta2),
                          static_cast<float>(1.0 - options_.beta2),
                          static_cast<float>(1.0 / std::sqrt(bc2)),
                          static_cast<float>(options_.eps),
                          static_cast<float>(-(options_.lr / bc1))};
    update([&](std::size_t b, std::size_t e) {
      float *p = params + b, *m = m_.data() + b, *v = v_.data() + b;
      const float* g = grad + b;
      const std::size_t len = e - b;
      std::size_t i = 0;
      if (kIsa == Isa::Avx512) i = adam_avx512(p, g, m, v, len, k);
      else if (kIsa == Isa::Avx2) i = adam_avx2(p, g, m, v, len, k);
      adam_scalar(p, g, m, v, i, len, k);
    });
  } else {
    const RmsConstants k{grad_scale, static_cast<float>(options_.alpha), static_cast<float>(1.0 - options_.alpha),
                         static_cast<float>(options_.eps), static_cast<float>(-options_.lr)};
    update([&](std::size_t b, std::size_t e) {
      float *p = params + b, *v = v_.data() + b;
      float* c = options_.centered ? m_.data() + b : nullptr;
      const float* g = grad + b;
      const std::size_t len = e - b;
      std::size_t i = 0;
      if (kIsa == Isa::Avx512) i = rms_avx512(p, g, v, c, len, k);
      else if (kIsa == Isa::Avx2) i = rms_avx2(p, g, v, c, len, k);
      rms_scalar(p, g, v, c, i, len, k);
    });
  }
}

void FlatOptimizer::set_learning_rate(double lr) {
  if (!(lr >= 0.0)) throw std::invalid_argument("optimizer: learning rate must be >= 0");
  options_.lr = lr;
}

double FlatOptimizer::l2_norm(const float* x, std::size_t n) {
  double lanes[kLanes] = {};
  std::size_t i = 0;
  if (kIsa == Isa::Avx512) i = sumsq_avx512(x, n, lanes);
  else if (kIsa == Isa::Avx2) i = sumsq_avx2(x, n, lanes);
  return std::sqrt(lanes_total(lanes, x, i, n));
}

double FlatOptimizer::add_sumsq(float* dst, const float* src, std::size_t n) {
  double lanes[kLanes] = {};
  std::size_t i = 0;
  if (kIsa == Isa::Avx512) i = add_sumsq_avx512(dst, src, n, lanes);
  for (std::size_t j = i; j < n; ++j) dst[j] += src[j];
  if (i == 0) {  // no AVX-512: the sum first, then the squares as l2_norm() takes them
    if (kIsa == Isa::Avx2) i = sumsq_avx2(dst, n, lanes);
  }
  return lanes_total(lanes, dst, i, n);
}

float FlatOptimizer::clip_coefficient(double norm, double max_norm) {
  // clip_grad_norm_: clip_coef = max_norm / (total_norm + 1e-6), which on a
  // float tensor is total.reciprocal() * max_norm, clamped to at most 1.
  const float total = static_cast<float>(norm) + 1e-6f;
  const float coef = (1.0f / total) * static_cast<float>(max_norm);
  return coef < 1.0f ? coef : 1.0f;
}

std::vector<std::span<float>> FlatOptimizer::state_buffers() {
  std::vector<std::span<float>> out;
  if (options_.kind == FlatOptimizerOptions::Kind::Adam) {
    out = {m_, v_};
  } else {
    out.emplace_back(v_);
    if (options_.centered) out.emplace_back(m_);
  }
  return out;
}

std::vector<std::span<const float>> FlatOptimizer::state_buffers() const {
  std::vector<std::span<const float>> out;
  for (auto s : const_cast<FlatOptimizer*>(this)->state_buffers()) out.emplace_back(s);
  return out;
}

}  // namespace arena
