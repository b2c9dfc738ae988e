// ReplayBuffer: uniform ring, n-step windows, prioritized replay, compact
// frames, save/load.
//
// This file replaces the global operator new/delete (alloc_counter.h) to check
// that add() does not allocate; include that header from no other file here.
#include "replay/replay_buffer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <unistd.h>

#include "envs/alloc_counter.h"
#include "envs/core/rng.h"
#include "envs/core/space.h"

namespace arena {
namespace {

namespace fs = std::filesystem;

const bool kOneThread = [] {
  torch::set_num_threads(1);
  return true;
}();

Space box4() { return Space::box({4}, -1e6, 1e6); }

ReplayConfig config(std::int64_t capacity, int n_step = 1, bool prioritized = false) {
  ReplayConfig c;
  c.capacity = capacity;
  c.n_step = n_step;
  c.prioritized = prioritized;
  return c;
}

// One vector step in plain vectors.
template <class O, class A>
struct Step {
  std::vector<O> obs, next;
  std::vector<A> actions;
  std::vector<double> rewards;
  std::vector<std::uint8_t> terminated, truncated;
};

template <class O, class A>
void add(ReplayBuffer& rb, const Step<O, A>& s) {
  rb.add(ConstBuffer(std::span<const O>(s.obs)), ConstBuffer(std::span<const A>(s.actions)), s.rewards,
         ConstBuffer(std::span<const O>(s.next)), s.terminated, s.truncated);
}

template <class T>
std::vector<T> row(const torch::Tensor& t, std::int64_t i) {
  torch::Tensor r = t[i].contiguous();
  const T* p = r.data_ptr<T>();
  return std::vector<T>(p, p + r.numel());
}

void expect_same_batch(const ReplayBatch& a, const ReplayBatch& b) {
  EXPECT_TRUE(torch::equal(a.indices, b.indices));
  EXPECT_TRUE(torch::equal(a.obs, b.obs));
  EXPECT_TRUE(torch::equal(a.next_obs, b.next_obs));
  EXPECT_TRUE(torch::equal(a.actions, b.actions));
  EXPECT_TRUE(torch::equal(a.rewards, b.rewards));
  EXPECT_TRUE(torch::equal(a.discounts, b.discounts));
  EXPECT_TRUE(torch::equal(a.weights, b.weights));
}

// ---------------------------------------------------------------------------
// A reference for n-step transitions: whole episodes in, the expected
// transitions out (obs key -> (return, next key, discount, action)).
// ---------------------------------------------------------------------------

using Key = std::vector<float>;
struct Expected {
  double ret;
  Key next;
  float discount;
  std::int64_t action;
};

// Random CartPole-like stream for `num_envs` envs with random episode ends;
// obs = (env, episode, t, unique id). Feeds the buffer and returns the
// transitions that must be stored (windows complete by the end).
std::map<Key, Expected> feed_random(ReplayBuffer& rb, int num_envs, int steps, int n, double gamma, Rng& rng) {
  struct Traj {
    std::vector<Key> obs;
    std::vector<double> rewards;
    std::vector<std::int64_t> actions;
  };
  std::vector<Traj> current(static_cast<std::size_t>(num_envs));
  std::vector<int> episode(static_cast<std::size_t>(num_envs), 0);
  std::map<Key, Expected> expected;
  float uid = 0;
  auto finish = [&](const Traj& tr, const Key& final_obs, bool terminated, bool ended) {
    const int T = static_cast<int>(tr.rewards.size());
    for (int t = 0; t < T; ++t) {
      const int k = std::min(n, T - t);
      if (!ended && k < n) continue;  // window still open
      double ret = 0.0;
      for (int i = 0; i < k; ++i) ret += std::pow(gamma, i) * tr.rewards[static_cast<std::size_t>(t + i)];
      const Key next = t + k < T ? tr.obs[static_cast<std::size_t>(t + k)] : final_obs;
      const float disc = (ended && terminated && t + k == T) ? 0.0f : static_cast<float>(std::pow(gamma, k));
      expected[tr.obs[static_cast<std::size_t>(t)]] = {ret, next, disc, tr.actions[static_cast<std::size_t>(t)]};
    }
  };
  std::vector<Key> obs(static_cast<std::size_t>(num_envs));
  for (int e = 0; e < num_envs; ++e) obs[static_cast<std::size_t>(e)] = {float(e), 0, 0, uid++};
  for (int s = 0; s < steps; ++s) {
    Step<float, std::int64_t> st;
    std::vector<Key> reset_obs(static_cast<std::size_t>(num_envs));
    for (int e = 0; e < num_envs; ++e) {
      const auto ue = static_cast<std::size_t>(e);
      Traj& tr = current[ue];
      const Key& o = obs[ue];
      const double r = std::round(rng.uniform(-5, 5) * 8) / 8;
      const auto a = static_cast<std::int64_t>(rng.below(2));
      const bool end = rng.uniform() < 0.15;
      const bool term = end && rng.uniform() < 0.5;
      const bool trunc = end && !term;
      const Key next = {float(e), float(episode[ue]), o[2] + 1, uid++};
      st.obs.insert(st.obs.end(), o.begin(), o.end());
      st.next.insert(st.next.end(), next.begin(), next.end());
      st.actions.push_back(a);
      st.rewards.push_back(r);
      st.terminated.push_back(term);
      st.truncated.push_back(trunc);
      tr.obs.push_back(o);
      tr.rewards.push_back(r);
      tr.actions.push_back(a);
      if (end) {
        finish(tr, next, term, true);
        tr = Traj{};
        ++episode[ue];
        obs[ue] = {float(e), float(episode[ue]), 0, uid++};  // same-step autoreset
      } else {
        obs[ue] = next;
      }
    }
    add(rb, st);
  }
  for (int e = 0; e < num_envs; ++e) {
    const Traj& tr = current[static_cast<std::size_t>(e)];
    if (!tr.obs.empty()) finish(tr, obs[static_cast<std::size_t>(e)], false, false);
  }
  return expected;
}

ReplayBatch gather_all(const ReplayBuffer& rb) {
  // Live slots are those that hold transitions; with no eviction and no
  // wrap-around they are 0 .. size-1.
  return rb.gather(torch::arange(rb.size(), torch::kInt64));
}

// ---------------------------------------------------------------------------
// Uniform replay
// ---------------------------------------------------------------------------

TEST(ReplayUniform, RingOverwritesTheOldest) {
  ReplayBuffer rb(config(5), box4(), Space::discrete(2), 1, 0.99, 1);
  EXPECT_EQ(rb.size(), 0);
  EXPECT_THROW(rb.sample(4, 0.0), std::logic_error);
  for (int t = 0; t < 8; ++t) {
    Step<float, std::int64_t> s{{float(t), 0, 0, 0}, {float(t + 1), 0, 0, 0}, {t % 2}, {double(t)}, {0}, {0}};
    add(rb, s);
    EXPECT_EQ(rb.size(), std::min(t + 1, 5));
  }
  // Slot t % 5 holds step t, for t = 3..7.
  const ReplayBatch all = rb.gather(torch::arange(5, torch::kInt64));
  for (int slot = 0; slot < 5; ++slot) {
    const int t = slot < 3 ? slot + 5 : slot;
    EXPECT_EQ(all.obs[slot][0].item<float>(), float(t));
  }
  std::set<int> seen;
  for (int i = 0; i < 50; ++i) {
    const ReplayBatch b = rb.sample(32, 0.0);
    for (int j = 0; j < 32; ++j) {
      const int t = static_cast<int>(b.obs[j][0].item<float>());
      seen.insert(t);
      EXPECT_EQ(b.next_obs[j][0].item<float>(), float(t + 1));
      EXPECT_EQ(b.actions[j].item<std::int64_t>(), t % 2);
      EXPECT_EQ(b.rewards[j].item<float>(), float(t));
      EXPECT_FLOAT_EQ(b.discounts[j].item<float>(), 0.99f);
      EXPECT_EQ(b.indices[j].item<std::int64_t>(), t % 5);
    }
    EXPECT_TRUE(torch::equal(b.weights, torch::ones({32})));
  }
  EXPECT_EQ(seen, (std::set<int>{3, 4, 5, 6, 7}));
}

TEST(ReplayUniform, SampledTransitionsAreExactlyStoredOnes) {
  Rng rng(5);
  ReplayBuffer rb(config(10'000), box4(), Space::discrete(2), 3, 0.97, 2);
  const auto expected = feed_random(rb, 3, 200, 1, 0.97, rng);
  ASSERT_EQ(rb.size(), static_cast<std::int64_t>(expected.size()));
  for (int i = 0; i < 10; ++i) {
    const ReplayBatch b = rb.sample(64, 0.5);
    for (int j = 0; j < 64; ++j) {
      const auto it = expected.find(row<float>(b.obs, j));
      ASSERT_NE(it, expected.end());
      EXPECT_EQ(row<float>(b.next_obs, j), it->second.next);
      EXPECT_EQ(b.actions[j].item<std::int64_t>(), it->second.action);
      EXPECT_EQ(b.rewards[j].item<float>(), static_cast<float>(it->second.ret));
      EXPECT_EQ(b.discounts[j].item<float>(), it->second.discount);
    }
  }
}

TEST(ReplayUniform, DtypesAndShapesArePreserved) {
  const Space pixels = Space::box({2, 3}, 0, 255, DType::UInt8);
  const Space steer = Space::box({2}, -1, 1);
  ReplayBuffer rb(config(16), pixels, steer, 2, 0.9, 3);
  Step<std::uint8_t, float> s;
  for (int i = 0; i < 12; ++i) {
    s.obs.push_back(static_cast<std::uint8_t>(200 + i));
    s.next.push_back(static_cast<std::uint8_t>(i));
  }
  s.actions = {0.25f, -0.5f, 0.75f, 1.0f};
  s.rewards = {1.0, 2.0};
  s.terminated = {0, 1};
  s.truncated = {0, 0};
  add(rb, s);
  const ReplayBatch b = rb.sample(5, 0.0);
  EXPECT_EQ(b.obs.dtype(), torch::kUInt8);
  EXPECT_EQ(b.next_obs.dtype(), torch::kUInt8);
  EXPECT_EQ(b.obs.sizes(), (std::vector<std::int64_t>{5, 2, 3}));
  EXPECT_EQ(b.actions.dtype(), torch::kFloat32);
  EXPECT_EQ(b.actions.sizes(), (std::vector<std::int64_t>{5, 2}));
  for (const auto* t : {&b.rewards, &b.discounts, &b.weights}) {
    EXPECT_EQ(t->dtype(), torch::kFloat32);
    EXPECT_EQ(t->sizes(), (std::vector<std::int64_t>{5}));
  }
  EXPECT_EQ(b.indices.dtype(), torch::kInt64);
  const ReplayBatch all = gather_all(rb);
  EXPECT_EQ(row<std::uint8_t>(all.obs, 1), (std::vector<std::uint8_t>{206, 207, 208, 209, 210, 211}));
  EXPECT_EQ(row<std::uint8_t>(all.next_obs, 1), (std::vector<std::uint8_t>{6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(row<float>(all.actions, 1), (std::vector<float>{0.75f, 1.0f}));
  EXPECT_EQ(all.discounts[1].item<float>(), 0.0f);

  // Discrete actions: [B] int64; float32 observations stay float32.
  ReplayBuffer rd(config(4), box4(), Space::discrete(3), 1, 0.9, 3);
  add(rd, Step<float, std::int64_t>{{1, 2, 3, 4}, {5, 6, 7, 8}, {2}, {0.5}, {0}, {0}});
  const ReplayBatch d = rd.sample(3, 0.0);
  EXPECT_EQ(d.obs.dtype(), torch::kFloat32);
  EXPECT_EQ(d.actions.dtype(), torch::kInt64);
  EXPECT_EQ(d.actions.sizes(), (std::vector<std::int64_t>{3}));
}

TEST(ReplayUniform, SeededSamplingIsReproducible) {
  auto run = [](std::uint64_t seed) {
    Rng data(9);
    auto rb = std::make_unique<ReplayBuffer>(config(500), box4(), Space::discrete(2), 2, 0.99, seed);
    feed_random(*rb, 2, 150, 1, 0.99, data);
    return rb;
  };
  auto a = run(42), b = run(42), c = run(43);
  bool differs = false;
  for (int i = 0; i < 5; ++i) {
    const ReplayBatch x = a->sample(32, 0.0), y = b->sample(32, 0.0), z = c->sample(32, 0.0);
    expect_same_batch(x, y);
    differs = differs || !torch::equal(x.indices, z.indices);
  }
  EXPECT_TRUE(differs);
}

TEST(ReplayUniform, RejectsBadInputsWithoutStoring) {
  ReplayBuffer rb(config(8), box4(), Space::discrete(2), 2, 0.99, 1);
  std::vector<float> obs(8, 0.0f), next(8, 0.0f), short_obs(4, 0.0f);
  std::vector<std::int64_t> actions{0, 1};
  std::vector<float> float_actions{0, 1};
  std::vector<double> rewards{1, 2};
  std::vector<std::uint8_t> flags{0, 0}, one_flag{0};
  EXPECT_THROW(rb.add(std::span<const float>(short_obs), std::span<const std::int64_t>(actions), rewards,
                      std::span<const float>(next), flags, flags),
               std::invalid_argument);
  EXPECT_THROW(rb.add(std::span<const float>(obs), std::span<const float>(float_actions), rewards,
                      std::span<const float>(next), flags, flags),
               std::invalid_argument);
  EXPECT_THROW(rb.add(std::span<const float>(obs), std::span<const std::int64_t>(actions), rewards,
                      std::span<const float>(next), one_flag, flags),
               std::invalid_argument);
  EXPECT_EQ(rb.size(), 0);
  EXPECT_THROW(ReplayBuffer(config(0), box4(), Space::discrete(2), 1, 0.99, 1), std::invalid_argument);
  EXPECT_THROW(ReplayBuffer(config(8, 0), box4(), Space::discrete(2), 1, 0.99, 1), std::invalid_argument);
  EXPECT_THROW(ReplayBuffer(config(8), box4(), Space::discrete(2), 0, 0.99, 1), std::invalid_argument);
  EXPECT_THROW(ReplayBuffer(config(8), box4(), Space::discrete(2), 1, 1.5, 1), std::invalid_argument);
  rb.add(std::span<const float>(obs), std::span<const std::int64_t>(actions), rewards, std::span<const float>(next),
         flags, flags);
  EXPECT_EQ(rb.size(), 2);
  EXPECT_THROW(rb.gather(torch::tensor({5}, torch::kInt64)), std::out_of_range);
}

TEST(ReplayUniform, AddDoesNotAllocate) {
  for (const ReplayConfig& c : {config(64, 1), config(64, 3), config(64, 3, true)}) {
    ReplayBuffer rb(c, box4(), Space::discrete(2), 2, 0.99, 1);
    Step<float, std::int64_t> s{std::vector<float>(8, 1.0f), std::vector<float>(8, 2.0f), {0, 1}, {1, 2}, {0, 0}, {0, 0}};
    Step<float, std::int64_t> end = s;
    end.terminated = {1, 0};
    end.truncated = {0, 1};
    test::AllocCounter counter;
    for (int i = 0; i < 200; ++i) add(rb, i % 7 == 6 ? end : s);
    counter.stop();
    EXPECT_EQ(counter.allocations(), 0);
    EXPECT_EQ(rb.size(), 64);
  }
}

// ---------------------------------------------------------------------------
// n-step returns
// ---------------------------------------------------------------------------

// Two envs interleaved, n = 3, gamma = 0.9. obs = (env, episode, t, 0).
//   env 0, episode 0: rewards 1 2 3 4, TERMINATED at t = 3; episode 1: 100 200 (still open)
//   env 1, episode 0: rewards 10 20, TRUNCATED at t = 1; episode 1: 5 5 5 5 (still open)
TEST(ReplayNStep, HandComputedReturnsForTerminatedAndTruncatedEnds) {
  ReplayBuffer rb(config(64, 3), box4(), Space::discrete(50), 2, 0.9, 1);
  struct EnvStep {
    float episode, t;
    double r;
    bool term, trunc;
  };
  const std::vector<std::vector<EnvStep>> script = {
      {{0, 0, 1, false, false}, {0, 0, 10, false, false}},
      {{0, 1, 2, false, false}, {0, 1, 20, false, true}},
      {{0, 2, 3, false, false}, {1, 0, 5, false, false}},
      {{0, 3, 4, true, false}, {1, 1, 5, false, false}},
      {{1, 0, 100, false, false}, {1, 2, 5, false, false}},
      {{1, 1, 200, false, false}, {1, 3, 5, false, false}},
  };
  const std::vector<std::int64_t> sizes = {0, 2, 3, 6, 7, 8};
  for (std::size_t s = 0; s < script.size(); ++s) {
    Step<float, std::int64_t> st;
    for (int e = 0; e < 2; ++e) {
      const EnvStep& x = script[s][static_cast<std::size_t>(e)];
      st.obs.insert(st.obs.end(), {float(e), x.episode, x.t, 0});
      st.next.insert(st.next.end(), {float(e), x.episode, x.t + 1, 0});
      st.actions.push_back(e * 10 + static_cast<std::int64_t>(s));
      st.rewards.push_back(x.r);
      st.terminated.push_back(x.term);
      st.truncated.push_back(x.trunc);
    }
    add(rb, st);
    EXPECT_EQ(rb.size(), sizes[s]) << "after step " << s;
  }
  // (obs) -> (return, next obs, discount, action)
  std::map<Key, std::tuple<double, Key, float, std::int64_t>> want = {
      {{0, 0, 0, 0}, {1 + 0.9 * 2 + 0.81 * 3, {0, 0, 3, 0}, 0.729f, 0}},
      {{0, 0, 1, 0}, {2 + 0.9 * 3 + 0.81 * 4, {0, 0, 4, 0}, 0.0f, 1}},
      {{0, 0, 2, 0}, {3 + 0.9 * 4, {0, 0, 4, 0}, 0.0f, 2}},
      {{0, 0, 3, 0}, {4, {0, 0, 4, 0}, 0.0f, 3}},
      {{1, 0, 0, 0}, {10 + 0.9 * 20, {1, 0, 2, 0}, 0.81f, 10}},
      {{1, 0, 1, 0}, {20, {1, 0, 2, 0}, 0.9f, 11}},
      {{1, 1, 0, 0}, {5 + 4.5 + 4.05, {1, 1, 3, 0}, 0.729f, 12}},
      {{1, 1, 1, 0}, {5 + 4.5 + 4.05, {1, 1, 4, 0}, 0.729f, 13}},
  };
  const ReplayBatch all = gather_all(rb);
  std::set<Key> seen;
  for (std::int64_t j = 0; j < rb.size(); ++j) {
    const Key obs = row<float>(all.obs, j), next = row<float>(all.next_obs, j);
    ASSERT_TRUE(want.count(obs)) << "unexpected transition from t=" << obs[2];
    const auto& [ret, next_want, disc, action] = want[obs];
    EXPECT_NEAR(all.rewards[j].item<float>(), ret, 1e-4);
    EXPECT_EQ(next, next_want);
    EXPECT_FLOAT_EQ(all.discounts[j].item<float>(), disc);
    EXPECT_EQ(all.actions[j].item<std::int64_t>(), action);
    // Nothing crosses a boundary: same env, same episode, at most n steps on.
    EXPECT_EQ(next[0], obs[0]);
    EXPECT_EQ(next[1], obs[1]);
    EXPECT_GE(next[2] - obs[2], 1);
    EXPECT_LE(next[2] - obs[2], 3);
    seen.insert(obs);
  }
  EXPECT_EQ(seen.size(), want.size());
}

TEST(ReplayNStep, OneStepIsPlainTransitions) {
  ReplayBuffer rb(config(16, 1), box4(), Space::discrete(2), 1, 0.5, 1);
  // continue, truncated, terminated, terminated and truncated
  const std::vector<std::pair<int, int>> flags = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  for (std::size_t t = 0; t < flags.size(); ++t) {
    add(rb, Step<float, std::int64_t>{{float(t), 0, 0, 0},
                                      {float(t), 1, 0, 0},
                                      {0},
                                      {double(t) + 1},
                                      {std::uint8_t(flags[t].first)},
                                      {std::uint8_t(flags[t].second)}});
  }
  const ReplayBatch all = gather_all(rb);
  ASSERT_EQ(rb.size(), 4);
  const std::vector<float> discounts = {0.5f, 0.5f, 0.0f, 0.0f};
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(all.obs[t][0].item<float>(), float(t));
    EXPECT_EQ(all.next_obs[t][1].item<float>(), 1.0f);
    EXPECT_EQ(all.rewards[t].item<float>(), float(t + 1));
    EXPECT_EQ(all.discounts[t].item<float>(), discounts[static_cast<std::size_t>(t)]);
  }
}

// Random episodes over 3 envs against a direct computation from whole
// trajectories, for several n.
TEST(ReplayNStep, RandomStreamsMatchTheReference) {
  for (int n : {1, 2, 3, 5}) {
    Rng rng(100 + n);
    ReplayBuffer rb(config(100'000, n), box4(), Space::discrete(2), 3, 0.95, 1);
    const auto expected = feed_random(rb, 3, 300, n, 0.95, rng);
    ASSERT_EQ(rb.size(), static_cast<std::int64_t>(expected.size())) << "n = " << n;
    const ReplayBatch all = gather_all(rb);
    for (std::int64_t j = 0; j < rb.size(); ++j) {
      const auto it = expected.find(row<float>(all.obs, j));
      ASSERT_NE(it, expected.end());
      EXPECT_EQ(row<float>(all.next_obs, j), it->second.next);
      EXPECT_NEAR(all.rewards[j].item<float>(), it->second.ret, 1e-4);
      EXPECT_FLOAT_EQ(all.discounts[j].item<float>(), it->second.discount);
      EXPECT_EQ(all.actions[j].item<std::int64_t>(), it->second.action);
    }
  }
}

// ---------------------------------------------------------------------------
// Prioritized replay
// ---------------------------------------------------------------------------

ReplayBuffer filled_prioritized(std::int64_t capacity, int count, double alpha, double beta, std::uint64_t seed = 1) {
  ReplayConfig c = config(capacity, 1, true);
  c.alpha = alpha;
  c.beta = beta;
  ReplayBuffer rb(c, box4(), Space::discrete(2), 1, 0.99, seed);
  for (int t = 0; t < count; ++t) {
    add(rb, Step<float, std::int64_t>{{float(t), 0, 0, 0}, {float(t + 1), 0, 0, 0}, {0}, {0.0}, {0}, {0}});
  }
  return rb;
}

TEST(ReplayPrioritized, NewItemsGetTheMaxPriority) {
  ReplayBuffer rb = filled_prioritized(8, 4, 0.6, 0.4);
  for (int s = 0; s < 4; ++s) EXPECT_EQ(rb.priority(s), 1.0);
  EXPECT_EQ(rb.priority(5), 0.0);
  EXPECT_EQ(rb.max_priority(), 1.0);
  rb.update_priorities(torch::tensor({0, 1}, torch::kInt64), torch::tensor({-2.0f, 0.5f}));
  const double eps = rb.config().priority_eps;
  EXPECT_DOUBLE_EQ(rb.priority(0), 2.0 + eps);
  EXPECT_DOUBLE_EQ(rb.priority(1), 0.5 + eps);
  EXPECT_DOUBLE_EQ(rb.max_priority(), 2.0 + eps);
  add(rb, Step<float, std::int64_t>{{9, 0, 0, 0}, {10, 0, 0, 0}, {0}, {0.0}, {0}, {0}});
  EXPECT_DOUBLE_EQ(rb.priority(4), 2.0 + eps);
  // Lower priorities do not lower the maximum.
  rb.update_priorities(torch::tensor({0}, torch::kInt64), torch::tensor({0.1}));
  EXPECT_DOUBLE_EQ(rb.max_priority(), 2.0 + eps);
  // Slots without a live transition are skipped; bad input throws.
  rb.update_priorities(torch::tensor({6}, torch::kInt64), torch::tensor({5.0}));
  EXPECT_EQ(rb.priority(6), 0.0);
  EXPECT_THROW(rb.update_priorities(torch::tensor({0}, torch::kInt64), torch::tensor({NAN})), std::invalid_argument);
  EXPECT_THROW(rb.update_priorities(torch::tensor({9}, torch::kInt64), torch::tensor({1.0})), std::out_of_range);
  EXPECT_THROW(rb.update_priorities(torch::tensor({0, 1}, torch::kInt64), torch::tensor({1.0})),
               std::invalid_argument);
  for (int i = 0; i < 20; ++i) {
    const ReplayBatch b = rb.sample(16, 0.0);
    EXPECT_LT(b.indices.max().item<std::int64_t>(), 5);
  }
  // Uniform replay ignores updates.
  ReplayBuffer uniform(config(4), box4(), Space::discrete(2), 1, 0.99, 1);
  uniform.update_priorities(torch::tensor({0}, torch::kInt64), torch::tensor({3.0}));
  EXPECT_EQ(uniform.priority(0), 0.0);
  EXPECT_EQ(uniform.max_priority(), 0.0);
}

std::vector<double> frequencies(ReplayBuffer& rb, int batches, int batch_size) {
  std::vector<double> f(static_cast<std::size_t>(rb.capacity()), 0.0);
  for (int i = 0; i < batches; ++i) {
    const ReplayBatch b = rb.sample(batch_size, 0.0);
    const auto* p = b.indices.data_ptr<std::int64_t>();
    for (int j = 0; j < batch_size; ++j) f[static_cast<std::size_t>(p[j])] += 1.0;
  }
  for (auto& x : f) x /= batches * batch_size;
  return f;
}

TEST(ReplayPrioritized, UpdatesChangeSamplingFrequencies) {
  for (double alpha : {1.0, 0.5}) {
    ReplayBuffer rb = filled_prioritized(4, 4, alpha, 0.4, 7);
    auto f = frequencies(rb, 200, 64);
    for (double x : f) EXPECT_NEAR(x, 0.25, 0.02);
    rb.update_priorities(torch::arange(4, torch::kInt64), torch::tensor({1.0, 1.0, 1.0, 7.0}));
    const double heavy = std::pow(7.0, alpha), total = 3.0 + heavy;
    f = frequencies(rb, 400, 64);
    for (int s = 0; s < 3; ++s) EXPECT_NEAR(f[static_cast<std::size_t>(s)], 1.0 / total, 0.01) << alpha;
    EXPECT_NEAR(f[3], heavy / total, 0.01) << alpha;
  }
}

// w_i = (N P(i))^-beta / max_j (N P(j))^-beta with P(i) = p_i^a / sum_j p_j^a.
std::vector<double> expected_weights(const ReplayBuffer& rb, double alpha, double beta) {
  const std::int64_t N = rb.size();
  double total = 0.0;
  for (std::int64_t s = 0; s < N; ++s) total += std::pow(rb.priority(s), alpha);
  std::vector<double> w(static_cast<std::size_t>(N));
  double max_w = 0.0;
  for (std::int64_t s = 0; s < N; ++s) {
    const double P = std::pow(rb.priority(s), alpha) / total;
    w[static_cast<std::size_t>(s)] = std::pow(N * P, -beta);
    max_w = std::max(max_w, w[static_cast<std::size_t>(s)]);
  }
  for (auto& x : w) x /= max_w;
  return w;
}

TEST(ReplayPrioritized, WeightsFollowTheFormulaAndBetaAnneals) {
  const double alpha = 0.6, beta0 = 0.4;
  ReplayBuffer rb = filled_prioritized(8, 6, alpha, beta0, 3);
  rb.update_priorities(torch::arange(6, torch::kInt64), torch::tensor({0.5, 2.0, 1.0, 4.0, 0.1, 3.0}));
  for (double progress : {0.0, 0.25, 0.5, 1.0, 2.0}) {
    const double beta = beta0 + std::min(progress, 1.0) * (1.0 - beta0);
    const auto w = expected_weights(rb, alpha, beta);
    const ReplayBatch b = rb.sample(200, progress);
    for (int j = 0; j < 200; ++j) {
      const auto s = static_cast<std::size_t>(b.indices[j].item<std::int64_t>());
      EXPECT_NEAR(b.weights[j].item<float>(), w[s], 1e-5) << "progress " << progress;
    }
    EXPECT_LE(b.weights.max().item<float>(), 1.0f + 1e-6f);
  }
  // At beta = 1 the weights fully compensate: w_i = p_min^a / p_i^a.
  const ReplayBatch b = rb.sample(50, 1.0);
  for (int j = 0; j < 50; ++j) {
    const double p = rb.priority(b.indices[j].item<std::int64_t>());
    const double pmin = 0.1 + rb.config().priority_eps;
    EXPECT_NEAR(b.weights[j].item<float>(), std::pow(pmin / p, alpha), 1e-5);
  }
}

TEST(ReplayPrioritized, RingOverwriteKeepsTreeConsistent) {
  ReplayBuffer rb = filled_prioritized(5, 12, 0.6, 0.4);
  EXPECT_EQ(rb.size(), 5);
  const ReplayBatch b = rb.sample(500, 0.0);
  const auto obs = b.obs.select(1, 0);
  EXPECT_GE(obs.min().item<float>(), 7.0f);
  EXPECT_LE(obs.max().item<float>(), 11.0f);
}

// ---------------------------------------------------------------------------
// Compact frames
// ---------------------------------------------------------------------------

// A vector of FrameStack(k) envs with reset padding and same-step autoreset:
// every frame has a unique id written into its first 4 bytes.
class FrameStream {
 public:
  // break_prob: the chance that an observation does not continue the env's
  // previous next_obs (its newest frame replaced), to exercise the fallback.
  FrameStream(int num_envs, int k, int h, int w, std::uint64_t seed, double break_prob = 0.0, int max_len = 12)
      : n_(num_envs), k_(k), fb_(static_cast<std::size_t>(h * w)), break_prob_(break_prob), max_len_(max_len),
        rng_(seed), episodes_(static_cast<std::size_t>(num_envs)) {
    for (auto& e : episodes_) start(e);
  }

  std::vector<std::uint8_t> frame(std::uint32_t id) const {
    std::vector<std::uint8_t> f(fb_);
    for (std::size_t p = 0; p < fb_; ++p) f[p] = static_cast<std::uint8_t>(id * 131u + p * 7u);
    std::memcpy(f.data(), &id, std::min<std::size_t>(4, fb_));
    return f;
  }

  Step<std::uint8_t, std::int64_t> step() {
    Step<std::uint8_t, std::int64_t> s;
    for (auto& e : episodes_) {
      append_stack(s.obs, e);
      if (rng_.uniform() < break_prob_) {  // a stack that does not continue the previous next_obs
        e.ids.back() = uid_++;
        s.obs.resize(s.obs.size() - fb_ * static_cast<std::size_t>(k_));
        append_stack(s.obs, e);
      }
      e.ids.push_back(uid_++);
      append_stack(s.next, e);
      s.actions.push_back(static_cast<std::int64_t>(e.ids.back()));
      s.rewards.push_back(static_cast<double>(rng_.below(10)));
      const bool end = static_cast<int>(e.ids.size()) - 1 >= e.length;
      const bool term = end && rng_.below(2) == 0;
      s.terminated.push_back(term);
      s.truncated.push_back(end && !term);
      if (end) start(e);
    }
    return s;
  }

 private:
  struct Episode {
    std::vector<std::uint32_t> ids;
    int length = 0;
  };
  void start(Episode& e) {
    e.ids = {uid_++};
    e.length = 1 + static_cast<int>(rng_.below(static_cast<std::uint64_t>(max_len_)));
  }
  // [f_{t-k+1} .. f_t], padded with the episode's first frame.
  void append_stack(std::vector<std::uint8_t>& out, const Episode& e) const {
    const int t = static_cast<int>(e.ids.size()) - 1;
    for (int j = 0; j < k_; ++j) {
      const auto f = frame(e.ids[static_cast<std::size_t>(std::max(0, t - k_ + 1 + j))]);
      out.insert(out.end(), f.begin(), f.end());
    }
  }

  int n_, k_;
  std::size_t fb_;
  double break_prob_;
  int max_len_;
  Rng rng_;
  std::vector<Episode> episodes_;
  std::uint32_t uid_ = 1;
};

Space frames_space(int k, int h, int w) { return Space::box({k, h, w}, 0, 255, DType::UInt8); }

TEST(ReplayCompact, SameSamplesAsNaiveStorage) {
  const int N = 2, k = 4, H = 5, W = 6;
  for (bool prioritized : {false, true}) {
    for (double break_prob : {0.0, 0.1}) {
      SCOPED_TRACE(std::string(prioritized ? "prioritized" : "uniform") + " break_prob " + std::to_string(break_prob));
      ReplayConfig plain = config(40, 3, prioritized);
      ReplayConfig compact = plain;
      compact.compact_frames = true;
      ReplayBuffer a(plain, frames_space(k, H, W), Space::discrete(1 << 30), N, 0.9, 77);
      ReplayBuffer b(compact, frames_space(k, H, W), Space::discrete(1 << 30), N, 0.9, 77);
      FrameStream stream(N, k, H, W, 5, break_prob);
      for (int step = 0; step < 160; ++step) {
        const auto s = stream.step();
        add(a, s);
        add(b, s);
        ASSERT_EQ(a.size(), b.size());
        if (step % 8 != 7) continue;
        const ReplayBatch x = a.sample(16, step / 160.0), y = b.sample(16, step / 160.0);
        expect_same_batch(x, y);
        if (prioritized) {
          const auto td = torch::rand({16}, torch::kFloat64) * 3;
          a.update_priorities(x.indices, td);
          b.update_priorities(y.indices, td);
        }
      }
      expect_same_batch(a.gather(torch::arange(40, torch::kInt64)), b.gather(torch::arange(40, torch::kInt64)));
    }
  }
}

// One-step episodes: two new frames per transition (the reset frame and the
// final one), so the frame ring, not the transition ring, bounds what is kept.
TEST(ReplayCompact, DropsTransitionsWhoseFramesWereReused) {
  const int k = 2, H = 3, W = 4;
  ReplayConfig c = config(200, 1, true);
  c.compact_frames = true;
  ReplayBuffer rb(c, frames_space(k, H, W), Space::discrete(1 << 30), 1, 0.9, 1);
  FrameStream stream(1, k, H, W, 3, /*break_prob=*/1.0, /*max_len=*/1);
  std::map<std::int64_t, std::pair<std::vector<std::uint8_t>, std::vector<std::uint8_t>>> truth;
  for (int step = 0; step < 1500; ++step) {
    const auto s = stream.step();
    truth[s.actions[0]] = {s.obs, s.next};
    add(rb, s);
  }
  EXPECT_GT(rb.size(), 40);
  EXPECT_LT(rb.size(), rb.capacity());
  const ReplayBatch b = rb.sample(512, 0.0);
  for (int j = 0; j < 512; ++j) {
    const auto& [obs, next] = truth.at(b.actions[j].item<std::int64_t>());
    EXPECT_EQ(row<std::uint8_t>(b.obs, j), obs);
    EXPECT_EQ(row<std::uint8_t>(b.next_obs, j), next);
  }
}

TEST(ReplayCompact, MemoryIsAboutOneFramePerTransition) {
  const std::int64_t C = 100'000, k = 4, H = 84, W = 84;
  ReplayConfig c = config(C, 3);
  c.compact_frames = true;
  ReplayBuffer rb(c, frames_space(k, H, W), Space::discrete(18), 8, 0.99, 1);
  const double frame_bytes = static_cast<double>(C * H * W);
  const double naive = 2.0 * static_cast<double>(C * k * H * W);
  const auto bytes = static_cast<double>(rb.memory_bytes());
  std::printf("[ compact  ] %lld transitions of [%lld, %lld, %lld] uint8: %.1f MB (frames alone %.1f MB, "
              "naive obs+next_obs %.1f MB, ratio %.3f)\n",
              static_cast<long long>(C), static_cast<long long>(k), static_cast<long long>(H),
              static_cast<long long>(W), bytes / 1e6, frame_bytes / 1e6, naive / 1e6, bytes / naive);
  EXPECT_LT(bytes, 1.04 * frame_bytes + 16e6);
  EXPECT_GT(bytes, frame_bytes);
}

TEST(ReplayCompact, RejectsObservationsThatAreNotFrameStacks) {
  ReplayConfig c = config(10);
  c.compact_frames = true;
  for (const Space& s : {Space::box({4, 84, 84}, 0, 1), Space::box({84, 84}, 0, 255, DType::UInt8), box4()}) {
    try {
      ReplayBuffer rb(c, s, Space::discrete(2), 1, 0.99, 1);
      ADD_FAILURE() << "accepted " << s.repr();
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("compact_frames"), std::string::npos) << e.what();
    }
  }
}

TEST(ReplayCompact, AddDoesNotAllocate) {
  ReplayConfig c = config(64, 3, true);
  c.compact_frames = true;
  ReplayBuffer rb(c, frames_space(4, 5, 6), Space::discrete(1 << 30), 2, 0.9, 1);
  FrameStream stream(2, 4, 5, 6, 9);
  std::vector<Step<std::uint8_t, std::int64_t>> steps;
  for (int i = 0; i < 300; ++i) steps.push_back(stream.step());
  test::AllocCounter counter;
  for (const auto& s : steps) add(rb, s);
  counter.stop();
  EXPECT_EQ(counter.allocations(), 0);
}

// ---------------------------------------------------------------------------
// Save / load
// ---------------------------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("arena_replay_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" + info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct Variant {
  const char* name;
  bool prioritized, compact;
};

std::unique_ptr<ReplayBuffer> make_frames_buffer(const Variant& v, std::uint64_t seed, std::int64_t capacity = 64) {
  ReplayConfig c = config(capacity, 3, v.prioritized);
  c.compact_frames = v.compact;
  return std::make_unique<ReplayBuffer>(c, frames_space(3, 4, 5), Space::discrete(1 << 30), 2, 0.9, seed);
}

TEST(ReplaySaveLoad, RoundTripGivesIdenticalFutureSamples) {
  TempDir dir;
  for (const Variant& v : {Variant{"uniform", false, false}, Variant{"prioritized", true, false},
                           Variant{"compact prioritized", true, true}}) {
    SCOPED_TRACE(v.name);
    auto a = make_frames_buffer(v, 1);
    FrameStream stream(2, 3, 4, 5, 21);
    for (int i = 0; i < 97; ++i) {  // wraps the ring, leaves windows open
      add(*a, stream.step());
      if (i % 10 == 9) {
        const ReplayBatch x = a->sample(8, 0.3);
        a->update_priorities(x.indices, torch::arange(8, torch::kFloat64) * 0.7);
      }
    }
    const std::string path = dir.file(std::string(v.name) + ".bin");
    a->save(path);
    auto b = make_frames_buffer(v, 999);  // another seed: load restores the RNG
    b->load(path);
    EXPECT_EQ(b->size(), a->size());
    EXPECT_EQ(b->max_priority(), a->max_priority());
    for (int i = 0; i < 40; ++i) {
      const auto s = stream.step();
      add(*a, s);
      add(*b, s);
      const ReplayBatch x = a->sample(16, 0.5), y = b->sample(16, 0.5);
      expect_same_batch(x, y);
      const auto td = torch::rand({16}, torch::kFloat64);
      a->update_priorities(x.indices, td);
      b->update_priorities(y.indices, td);
    }
    // Saving again gives the same bytes as a fresh save of the twin.
    a->save(dir.file("a2.bin"));
    b->save(dir.file("b2.bin"));
    std::ifstream fa(dir.file("a2.bin"), std::ios::binary), fb(dir.file("b2.bin"), std::ios::binary);
    EXPECT_TRUE(std::equal(std::istreambuf_iterator<char>(fa), {}, std::istreambuf_iterator<char>(fb), {}));
  }
  // Only the saved files remain: no temporary file is left behind.
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}
void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(ReplaySaveLoad, CorruptFilesThrowAndLeaveTheBufferUnchanged) {
  TempDir dir;
  const Variant v{"compact prioritized", true, true};
  auto source = make_frames_buffer(v, 1);
  FrameStream stream(2, 3, 4, 5, 8);
  for (int i = 0; i < 50; ++i) add(*source, stream.step());
  const std::string good = dir.file("good.bin");
  source->save(good);
  const std::vector<char> bytes = read_bytes(good);

  // Twins: `target` sees every failed load, `twin` none.
  auto target = make_frames_buffer(v, 5), twin = make_frames_buffer(v, 5);
  FrameStream other(2, 3, 4, 5, 99);
  for (int i = 0; i < 30; ++i) {
    const auto s = other.step();
    add(*target, s);
    add(*twin, s);
  }

  struct Case {
    std::string name, expect;
    std::vector<char> data;
  };
  std::vector<Case> cases;
  {
    auto flipped = bytes;
    flipped[flipped.size() / 2] ^= 0x10;
    cases.push_back({"flipped.bin", "checksum", flipped});
    auto flipped_early = bytes;
    flipped_early[40] ^= 0x01;  // inside the configuration block
    cases.push_back({"flipped_config.bin", "checksum", flipped_early});
    cases.push_back({"truncated.bin", "truncated", std::vector<char>(bytes.begin(), bytes.end() - 100)});
    cases.push_back({"tiny.bin", "truncated", std::vector<char>(bytes.begin(), bytes.begin() + 10)});
    auto version = bytes;
    version[8] = 99;
    cases.push_back({"version.bin", "version", version});
    auto magic = bytes;
    magic[0] = 'X';
    cases.push_back({"magic.bin", "magic", magic});
    auto trailing = bytes;
    trailing.push_back(0);
    cases.push_back({"trailing.bin", "trailing", trailing});
  }
  for (const Case& c : cases) {
    const std::string path = dir.file(c.name);
    write_bytes(path, c.data);
    try {
      target->load(path);
      ADD_FAILURE() << c.name << " loaded";
    } catch (const std::runtime_error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(path), std::string::npos) << msg;
      EXPECT_NE(msg.find(c.expect), std::string::npos) << msg;
    }
  }
  EXPECT_THROW(target->load(dir.file("missing.bin")), std::runtime_error);

  // A buffer of another configuration refuses the file, naming the field.
  auto small = make_frames_buffer(v, 5, 32);
  try {
    small->load(good);
    ADD_FAILURE() << "capacity mismatch loaded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("capacity"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(good), std::string::npos) << e.what();
  }
  auto uniform = make_frames_buffer(Variant{"uniform compact", false, true}, 5);
  EXPECT_THROW(uniform->load(good), std::runtime_error);

  // The target is untouched and usable: same samples as its twin.
  EXPECT_EQ(target->size(), twin->size());
  for (int i = 0; i < 10; ++i) {
    const auto s = other.step();
    add(*target, s);
    add(*twin, s);
    expect_same_batch(target->sample(8, 0.1), twin->sample(8, 0.1));
  }
  // And it still loads a good file.
  target->load(good);
  EXPECT_EQ(target->size(), source->size());
  expect_same_batch(target->sample(8, 0.2), source->sample(8, 0.2));
}

TEST(ReplaySaveLoad, SaveReportsUnwritablePaths) {
  ReplayBuffer rb(config(4), box4(), Space::discrete(2), 1, 0.99, 1);
  const std::string path = "/nonexistent_dir_for_arena/replay.bin";
  try {
    rb.save(path);
    ADD_FAILURE() << "saved";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(ReplaySaveLoad, ClearForgetsEverything) {
  ReplayBuffer rb = filled_prioritized(8, 5, 0.6, 0.4);
  rb.clear();
  EXPECT_EQ(rb.size(), 0);
  EXPECT_EQ(rb.priority(0), 0.0);
  EXPECT_THROW(rb.sample(1, 0.0), std::logic_error);
  add(rb, Step<float, std::int64_t>{{1, 0, 0, 0}, {2, 0, 0, 0}, {0}, {0.0}, {0}, {0}});
  EXPECT_EQ(rb.size(), 1);
  EXPECT_EQ(rb.sample(4, 0.0).indices[0].item<std::int64_t>(), 0);
}

}  // namespace
}  // namespace arena
