// SumTree against a naive array: random updates, prefix search equal to a
// linear scan, minimum of the positive leaves, sampling frequencies.
#include "replay/sum_tree.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "envs/core/rng.h"

namespace arena {
namespace {

// The leaf a linear scan finds: the first positive leaf i with value < prefix(i+1).
std::int64_t linear_find(const std::vector<double>& leaves, double value) {
  double prefix = 0.0;
  std::int64_t last_positive = -1;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    if (leaves[i] <= 0.0) continue;
    last_positive = static_cast<std::int64_t>(i);
    prefix += leaves[i];
    if (value < prefix) return last_positive;
  }
  return last_positive;
}

double naive_total(const std::vector<double>& leaves) {
  double t = 0.0;
  for (double v : leaves) t += v;
  return t;
}

double naive_min_positive(const std::vector<double>& leaves) {
  double m = std::numeric_limits<double>::infinity();
  for (double v : leaves) {
    if (v > 0.0) m = std::min(m, v);
  }
  return m;
}

TEST(SumTree, StartsEmpty) {
  SumTree tree(5);
  EXPECT_EQ(tree.capacity(), 5);
  EXPECT_EQ(tree.total(), 0.0);
  EXPECT_TRUE(std::isinf(tree.min_positive()));
  EXPECT_THROW(tree.find_prefix(0.0), std::logic_error);
  EXPECT_THROW(SumTree(0), std::invalid_argument);
}

TEST(SumTree, RejectsBadLeaves) {
  SumTree tree(4);
  EXPECT_THROW(tree.set(4, 1.0), std::out_of_range);
  EXPECT_THROW(tree.set(-1, 1.0), std::out_of_range);
  EXPECT_THROW(tree.set(0, -1.0), std::invalid_argument);
  EXPECT_THROW(tree.set(0, std::nan("")), std::invalid_argument);
  EXPECT_THROW(tree.set(0, std::numeric_limits<double>::infinity()), std::invalid_argument);
}

TEST(SumTree, CapacityOne) {
  SumTree tree(1);
  tree.set(0, 2.5);
  EXPECT_EQ(tree.total(), 2.5);
  EXPECT_EQ(tree.min_positive(), 2.5);
  EXPECT_EQ(tree.find_prefix(0.0), 0);
  EXPECT_EQ(tree.find_prefix(10.0), 0);
}

// Integer-valued leaves: every sum is exact, so the tree and the scan must
// agree on every value, boundaries included.
TEST(SumTree, RandomUpdatesMatchNaiveExactly) {
  Rng rng(7);
  for (std::int64_t capacity : {1, 2, 3, 5, 8, 13, 64, 100, 257}) {
    SumTree tree(capacity);
    std::vector<double> naive(static_cast<std::size_t>(capacity), 0.0);
    for (int step = 0; step < 400; ++step) {
      const auto i = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(capacity)));
      const double v = rng.below(4) == 0 ? 0.0 : static_cast<double>(rng.below(20));
      tree.set(i, v);
      naive[static_cast<std::size_t>(i)] = v;
      ASSERT_EQ(tree.get(i), v);
      ASSERT_EQ(tree.total(), naive_total(naive));
      ASSERT_EQ(tree.min_positive(), naive_min_positive(naive));
      if (tree.total() <= 0.0) continue;
      // Every integer boundary, the midpoints, and the out-of-range ends.
      for (double x = -1.0; x <= tree.total() + 1.0; x += 0.5) {
        ASSERT_EQ(tree.find_prefix(x), linear_find(naive, x)) << "capacity " << capacity << " value " << x;
        ASSERT_GT(tree.get(tree.find_prefix(x)), 0.0);
      }
    }
  }
}

// Real-valued leaves: agreement away from the boundaries (where the two
// summation orders may round differently).
TEST(SumTree, RealLeavesMatchLinearScan) {
  Rng rng(11);
  const std::int64_t capacity = 1000;
  SumTree tree(capacity);
  std::vector<double> naive(static_cast<std::size_t>(capacity), 0.0);
  for (int step = 0; step < 5000; ++step) {
    const auto i = static_cast<std::int64_t>(rng.below(capacity));
    const double v = rng.uniform() < 0.1 ? 0.0 : std::pow(rng.uniform(1e-3, 10.0), 0.6);
    tree.set(i, v);
    naive[static_cast<std::size_t>(i)] = v;
  }
  EXPECT_NEAR(tree.total(), naive_total(naive), 1e-9 * naive_total(naive));
  EXPECT_EQ(tree.min_positive(), naive_min_positive(naive));
  std::vector<double> prefix;  // right ends of the leaves' intervals
  double acc = 0.0;
  for (double v : naive) prefix.push_back(acc += v);
  int checked = 0;
  for (int q = 0; q < 20000; ++q) {
    const double x = rng.uniform() * tree.total();
    const std::int64_t expect = linear_find(naive, x);
    const auto e = static_cast<std::size_t>(expect);
    const double lo = prefix[e] - naive[e];
    if (x - lo < 1e-9 || prefix[e] - x < 1e-9) continue;  // too close to a boundary
    ASSERT_EQ(tree.find_prefix(x), expect);
    ++checked;
  }
  EXPECT_GT(checked, 19000);
}

TEST(SumTree, AssignEqualsIndividualSets) {
  Rng rng(3);
  const std::int64_t capacity = 37;
  std::vector<double> values(static_cast<std::size_t>(capacity));
  for (auto& v : values) v = rng.below(3) == 0 ? 0.0 : rng.uniform(0.0, 5.0);
  SumTree a(capacity), b(capacity);
  a.assign(values);
  for (std::int64_t i = capacity - 1; i >= 0; --i) b.set(i, values[static_cast<std::size_t>(i)]);
  EXPECT_EQ(a.total(), b.total());  // bit-identical: a node is always left + right
  EXPECT_EQ(a.min_positive(), b.min_positive());
  for (int q = 0; q < 1000; ++q) {
    const double x = rng.uniform() * a.total();
    EXPECT_EQ(a.find_prefix(x), b.find_prefix(x));
  }
  a.clear();
  EXPECT_EQ(a.total(), 0.0);
  EXPECT_THROW(a.assign(std::vector<double>(3, 1.0)), std::invalid_argument);
}

// Values past the total (rounding) and zero leaves at the right end.
TEST(SumTree, NeverReturnsAZeroLeaf) {
  SumTree tree(8);
  tree.set(1, 0.1);
  tree.set(2, 0.2);
  tree.set(5, 0.3);
  for (double x : {-5.0, 0.0, 0.0999, 0.1, 0.3, 0.59999, 0.6, 0.6000001, 1e9}) {
    const std::int64_t i = tree.find_prefix(x);
    EXPECT_GT(tree.get(i), 0.0) << x;
  }
  EXPECT_EQ(tree.find_prefix(-1.0), 1);
  EXPECT_EQ(tree.find_prefix(1e9), 5);
}

// Drawing value ~ U[0, total) samples leaf i with probability leaf_i / total:
// each count within 5 standard deviations of its expectation, and a
// chi-square statistic within a generous bound.
TEST(SumTree, SamplingFrequenciesAreProportional) {
  Rng rng(2024);
  const std::int64_t capacity = 50;
  SumTree tree(capacity);
  std::vector<double> leaves(static_cast<std::size_t>(capacity));
  for (std::int64_t i = 0; i < capacity; ++i) {
    const double v = i % 7 == 3 ? 0.0 : rng.uniform(0.1, 4.0);
    leaves[static_cast<std::size_t>(i)] = v;
    tree.set(i, v);
  }
  const int draws = 200000;
  std::vector<int> counts(static_cast<std::size_t>(capacity), 0);
  for (int d = 0; d < draws; ++d) ++counts[static_cast<std::size_t>(tree.find_prefix(rng.uniform() * tree.total()))];
  double chi2 = 0.0;
  int dof = -1;
  for (std::int64_t i = 0; i < capacity; ++i) {
    const auto s = static_cast<std::size_t>(i);
    const double p = leaves[s] / tree.total();
    const double expect = p * draws;
    if (p == 0.0) {
      EXPECT_EQ(counts[s], 0) << "leaf " << i;
      continue;
    }
    EXPECT_NEAR(counts[s], expect, 5.0 * std::sqrt(expect * (1 - p))) << "leaf " << i;
    chi2 += (counts[s] - expect) * (counts[s] - expect) / expect;
    ++dof;
  }
  // Mean dof, sd sqrt(2 dof): 6 sd is far outside chance.
  EXPECT_LT(chi2, dof + 6.0 * std::sqrt(2.0 * dof));
}

}  // namespace
}  // namespace arena
