// Observation and action spaces, with Gymnasium's semantics and printing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "envs/core/rng.h"
#include "envs/core/types.h"

namespace arena {

// Discrete(n, start): the integers start, ..., start + n - 1, carried as one
// int64. Box(shape, low, high, dtype): a float32 or uint8 array whose elements
// lie within [low, high] (either bound may be infinite for float32).
class Space {
 public:
  enum class Kind : std::uint8_t { Discrete, Box };

  Space() = default;  // Discrete(1)
  static Space discrete(std::int64_t n, std::int64_t start = 0);
  // Same bounds for every element.
  static Space box(std::vector<std::int64_t> shape, double low, double high,
                   DType dtype = DType::Float32);
  // Per-element bounds (row-major, one per element of `shape`).
  static Space box(std::vector<std::int64_t> shape, std::vector<double> low,
                   std::vector<double> high, DType dtype = DType::Float32);

  Kind kind() const { return kind_; }
  bool is_discrete() const { return kind_ == Kind::Discrete; }
  bool is_box() const { return kind_ == Kind::Box; }

  // Discrete only.
  std::int64_t n() const { return n_; }
  std::int64_t start() const { return start_; }

  // Box: the array shape. Discrete: empty (a scalar).
  const std::vector<std::int64_t>& shape() const { return shape_; }
  // Box: per-element bounds, already rounded to the dtype (as Gymnasium casts them).
  const std::vector<double>& low() const { return low_; }
  const std::vector<double>& high() const { return high_; }
  DType dtype() const { return dtype_; }
  // Number of elements a buffer for this space holds (Discrete: 1).
  std::size_t size() const { return size_; }
  // True when every Box bound is finite.
  bool is_bounded() const;

  // An owning array of this space's dtype and shape, zero-filled.
  Array make_array() const;

  // Whether `x` (right dtype, size() elements) is a member of the space.
  bool contains(ConstBuffer x) const;
  // Draws a member, as Gymnasium does: uniform for bounded dimensions, normal
  // for unbounded ones, shifted exponential for half-bounded ones.
  void sample(Rng& rng, Buffer out) const {
    if (kind_ == Kind::Discrete && out.dtype == DType::Int64 && out.count == 1) {  // the hot case, inline
      *static_cast<std::int64_t*>(out.data) = start_ + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(n_)));
      return;
    }
    sample_slow(rng, out);
  }

  // An empty string when the space is well formed, else what is wrong with it.
  std::string validate() const;

  // As Gymnasium prints it: "Discrete(2)", "Discrete(3, start=-1)",
  // "Box(-1.0, 1.0, (3,), float32)", "Box([-1.2  -0.07], [0.6  0.07], (2,), float32)".
  std::string repr() const;

  bool operator==(const Space& other) const;

 private:
  void sample_slow(Rng& rng, Buffer out) const;
  Kind kind_ = Kind::Discrete;
  std::int64_t n_ = 1, start_ = 0;
  std::vector<std::int64_t> shape_;
  std::vector<double> low_, high_;
  DType dtype_ = DType::Int64;
  std::size_t size_ = 1;
};

// numpy's str() of a 1-D array of float32 values ("[-1.2  -0.07]"), wrapped at
// 75 columns as numpy does. Used by Space::repr.
std::string format_numpy_float32(const std::vector<double>& values);
// numpy's str() of a float32 scalar ("-inf", "1.0", "3.4028235e+38").
std::string format_numpy_float32_scalar(double value);

}  // namespace arena
