// A sum-tree over non-negative leaf values, for proportional prioritized
// replay (Schaul et al. 2016, appendix B.2.1).
//
// The leaves hold the priorities p_i^alpha; every internal node holds the sum
// of its two children, so the total, an update and a prefix-sum search each
// cost O(log capacity). The tree also keeps, in a second array, the minimum of
// the *positive* leaves (zero means "empty slot"), which gives the largest
// importance-sampling weight without a scan.
//
// An internal node is always recomputed as left + right from its children, so
// the tree is a pure function of its leaves: no rounding drift accumulates
// over updates, and the same leaves always give the same sums (checkpoints
// rebuild the tree bit for bit).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace arena {

class SumTree {
 public:
  // `capacity` leaves (>= 1), all zero.
  explicit SumTree(std::int64_t capacity);

  std::int64_t capacity() const { return capacity_; }

  // Sets leaf i (0 <= i < capacity) to `value` (finite, >= 0; else
  // std::invalid_argument). O(log capacity), no allocation.
  void set(std::int64_t i, double value);
  double get(std::int64_t i) const { return sum_[static_cast<std::size_t>(leaves_ + i)]; }

  // Sets every leaf at once (values.size() == capacity) in O(capacity).
  void assign(std::span<const double> values);
  // All leaves to zero.
  void clear();

  // Sum of all leaves.
  double total() const { return sum_[1]; }
  // Smallest positive leaf; +infinity when every leaf is zero.
  double min_positive() const { return min_[1]; }
  // Bytes held by the two node arrays.
  std::size_t memory_bytes() const { return (sum_.size() + min_.size()) * sizeof(double); }

  // The leaf whose interval [prefix(i), prefix(i) + leaf(i)) contains `value`,
  // where prefix(i) is the sum of the leaves before i; zero leaves are never
  // returned. A value below 0 gives the first positive leaf, one at or above
  // total() (rounding) the last positive leaf. Requires total() > 0 (else
  // std::logic_error). Drawing value uniformly in [0, total()) samples leaf i
  // with probability leaf(i) / total().
  std::int64_t find_prefix(double value) const;

 private:
  std::int64_t capacity_;
  std::int64_t leaves_;      // power of two >= capacity; leaf i lives at node leaves_ + i
  std::vector<double> sum_;  // 2 * leaves_ nodes, node 1 is the root
  std::vector<double> min_;  // minimum positive leaf below each node (+inf when none)
};

}  // namespace arena
