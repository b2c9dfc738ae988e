#include "replay/sum_tree.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace arena {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}

SumTree::SumTree(std::int64_t capacity) : capacity_(capacity), leaves_(1) {
  if (capacity < 1) throw std::invalid_argument("SumTree: capacity must be >= 1, got " + std::to_string(capacity));
  while (leaves_ < capacity) leaves_ *= 2;
  sum_.assign(static_cast<std::size_t>(2 * leaves_), 0.0);
  min_.assign(static_cast<std::size_t>(2 * leaves_), kInf);
}

void SumTree::set(std::int64_t i, double value) {
  if (i < 0 || i >= capacity_) {
    throw std::out_of_range("SumTree::set: leaf " + std::to_string(i) + " outside [0, " +
                            std::to_string(capacity_) + ")");
  }
  if (!(value >= 0.0) || !std::isfinite(value)) {
    throw std::invalid_argument("SumTree::set: value must be finite and >= 0, got " + std::to_string(value));
  }
  auto node = static_cast<std::size_t>(leaves_ + i);
  sum_[node] = value;
  min_[node] = value > 0.0 ? value : kInf;
  for (node /= 2; node >= 1; node /= 2) {
    sum_[node] = sum_[2 * node] + sum_[2 * node + 1];
    min_[node] = std::min(min_[2 * node], min_[2 * node + 1]);
  }
}

void SumTree::assign(std::span<const double> values) {
  if (static_cast<std::int64_t>(values.size()) != capacity_) {
    throw std::invalid_argument("SumTree::assign: " + std::to_string(values.size()) + " values for " +
                                std::to_string(capacity_) + " leaves");
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (!(v >= 0.0) || !std::isfinite(v)) {
      throw std::invalid_argument("SumTree::assign: value must be finite and >= 0, got " + std::to_string(v));
    }
  }
  const auto base = static_cast<std::size_t>(leaves_);
  for (std::size_t i = 0; i < base; ++i) {
    const double v = i < values.size() ? values[i] : 0.0;
    sum_[base + i] = v;
    min_[base + i] = v > 0.0 ? v : kInf;
  }
  for (std::size_t node = base - 1; node >= 1; --node) {
    sum_[node] = sum_[2 * node] + sum_[2 * node + 1];
    min_[node] = std::min(min_[2 * node], min_[2 * node + 1]);
  }
}

void SumTree::clear() {
  std::fill(sum_.begin(), sum_.end(), 0.0);
  std::fill(min_.begin(), min_.end(), kInf);
}

std::int64_t SumTree::find_prefix(double value) const {
  if (!(total() > 0.0)) throw std::logic_error("SumTree::find_prefix: every leaf is zero");
  std::size_t node = 1;
  const auto base = static_cast<std::size_t>(leaves_);
  while (node < base) {
    const double left = sum_[2 * node];
    const double right = sum_[2 * node + 1];
    // Descend only into a subtree with positive mass: rounding can leave
    // `value` at or past this node's sum, and then the right child may be empty.
    if ((value < left && left > 0.0) || right <= 0.0) {
      node = 2 * node;
    } else {
      value -= left;
      node = 2 * node + 1;
    }
  }
  return static_cast<std::int64_t>(node - base);
}

}  // namespace arena
