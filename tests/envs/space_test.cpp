#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "envs/core/space.h"

namespace arena {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kF32Max = 3.4028234663852886e38;

TEST(Space, PrintsLikeGymnasium) {
  EXPECT_EQ(Space::discrete(2).repr(), "Discrete(2)");
  EXPECT_EQ(Space::discrete(3, -1).repr(), "Discrete(3, start=-1)");
  EXPECT_EQ(Space::box({1}, -2.0, 2.0).repr(), "Box(-2.0, 2.0, (1,), float32)");
  EXPECT_EQ(Space::box({4}, -kInf, kInf).repr(), "Box(-inf, inf, (4,), float32)");
  EXPECT_EQ(Space::box({84, 84, 4}, 0, 255, DType::UInt8).repr(), "Box(0, 255, (84, 84, 4), uint8)");
  EXPECT_EQ(Space::box({2}, {-1.2, -0.07}, {0.6, 0.07}).repr(), "Box([-1.2  -0.07], [0.6  0.07], (2,), float32)");
  EXPECT_EQ(Space::box({3}, {-1, -1, -8}, {1, 1, 8}).repr(), "Box([-1. -1. -8.], [1. 1. 8.], (3,), float32)");
  const double t = 12 * 2 * M_PI / 360;
  EXPECT_EQ(Space::box({4}, {-4.8, -kF32Max, -2 * t, -kF32Max}, {4.8, kF32Max, 2 * t, kF32Max}).repr(),
            "Box([-4.8000002e+00 -3.4028235e+38 -4.1887903e-01 -3.4028235e+38], "
            "[4.8000002e+00 3.4028235e+38 4.1887903e-01 3.4028235e+38], (4,), float32)");
  EXPECT_EQ(Space::box({4}, {-4.8, -kInf, -2 * t, -kInf}, {4.8, kInf, 2 * t, kInf}).repr(),
            "Box([-4.8               -inf -0.41887903        -inf], "
            "[4.8               inf 0.41887903        inf], (4,), float32)");
  EXPECT_EQ(Space::box({2}, {1.25, 0.5}, {2, 2}).repr(), "Box([1.25 0.5 ], 2.0, (2,), float32)");
  EXPECT_EQ(Space::box({6}, {-1, -1, -1, -1, -4 * M_PI, -9 * M_PI}, {1, 1, 1, 1, 4 * M_PI, 9 * M_PI}).repr(),
            "Box([ -1.        -1.        -1.        -1.       -12.566371 -28.274334], "
            "[ 1.        1.        1.        1.       12.566371 28.274334], (6,), float32)");
}

TEST(Space, BoundsAreRoundedToTheDtype) {
  const Space s = Space::box({1}, -0.07, 0.07);
  EXPECT_EQ(s.low()[0], static_cast<double>(-0.07f));
  Array a = s.make_array();
  a.data<float>()[0] = 0.07f;
  EXPECT_TRUE(s.contains(a.view()));
}

TEST(Space, DiscreteContainsAndSamples) {
  const Space s = Space::discrete(3, -1);
  Array a = s.make_array();
  Rng rng(1);
  int seen[3] = {0, 0, 0};
  for (int i = 0; i < 3000; ++i) {
    s.sample(rng, a.view());
    ASSERT_TRUE(s.contains(a.view()));
    seen[a.data<std::int64_t>()[0] + 1]++;
  }
  for (int c : seen) EXPECT_NEAR(c, 1000, 120);
  a.data<std::int64_t>()[0] = 2;
  EXPECT_FALSE(s.contains(a.view()));
  a.data<std::int64_t>()[0] = -2;
  EXPECT_FALSE(s.contains(a.view()));
}

TEST(Space, BoxContainsRejectsNaNOutOfBoundsAndWrongBuffers) {
  const Space s = Space::box({2}, {-1, 0}, {1, kInf});
  Array a = s.make_array();
  a.data<float>()[0] = 0.5f;
  a.data<float>()[1] = 1e30f;
  EXPECT_TRUE(s.contains(a.view()));
  a.data<float>()[0] = std::nanf("");
  EXPECT_FALSE(s.contains(a.view()));
  a.data<float>()[0] = 1.0001f;
  EXPECT_FALSE(s.contains(a.view()));
  Array wrong(DType::UInt8, {2});
  EXPECT_FALSE(s.contains(wrong.view()));
  Array shorter(DType::Float32, {1});
  EXPECT_FALSE(s.contains(shorter.view()));
}

TEST(Space, BoxSamplesEveryKindOfBound) {
  // bounded, unbounded, lower-bounded, upper-bounded
  const Space s = Space::box({4}, {-1, -kInf, 2, -kInf}, {1, kInf, kInf, -3});
  Array a = s.make_array();
  Rng rng(7);
  double mean_unbounded = 0;
  for (int i = 0; i < 4000; ++i) {
    s.sample(rng, a.view());
    ASSERT_TRUE(s.contains(a.view()));
    mean_unbounded += a.data<float>()[1];
  }
  EXPECT_NEAR(mean_unbounded / 4000, 0.0, 0.1);
}

TEST(Space, Uint8BoxSamplesInclusiveBounds) {
  const Space s = Space::box({1}, 3, 5, DType::UInt8);
  Array a = s.make_array();
  Rng rng(3);
  bool lo = false, hi = false;
  for (int i = 0; i < 200; ++i) {
    s.sample(rng, a.view());
    ASSERT_TRUE(s.contains(a.view()));
    lo = lo || a.data<std::uint8_t>()[0] == 3;
    hi = hi || a.data<std::uint8_t>()[0] == 5;
  }
  EXPECT_TRUE(lo && hi);
}

TEST(Space, ValidateNamesTheProblem) {
  EXPECT_EQ(Space::discrete(2).validate(), "");
  EXPECT_NE(Space::discrete(0).validate().find("n > 0"), std::string::npos);
  EXPECT_NE(Space::box({1}, 1, 0).validate().find("low > high"), std::string::npos);
  EXPECT_THROW(Space::box({0}, 0, 1), std::invalid_argument);
  EXPECT_THROW(Space::box({2}, std::vector<double>{0}, std::vector<double>{1}), std::invalid_argument);
}

TEST(Rng, SameSeedSameStreamAndStateRoundTrips) {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.next_u64(), b.next_u64());
  EXPECT_NE(a.next_u64(), c.next_u64());
  Rng d;
  d.set_state(a.state());
  EXPECT_EQ(d.uniform(), a.uniform());
  for (int i = 0; i < 1000; ++i) {
    const double u = a.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    ASSERT_LT(a.below(7), 7u);
  }
}

}  // namespace
}  // namespace arena
