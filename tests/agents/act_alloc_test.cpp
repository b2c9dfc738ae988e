// Acting is on the hot path of every env step: a dense Q-network's forward
// pass must match LibTorch's result and allocate nothing once warmed up.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <span>
#include <vector>

#include "agents/dqn.h"
#include "agents/torsos.h"
#include "envs/malloc_counter.h"  // counts malloc as well as operator new

namespace arena {
namespace {

ReplayConfig small_replay() {
  ReplayConfig r;
  r.capacity = 64;
  return r;
}

TEST(DenseForward, MatchesTheLibTorchForward) {
  for (bool dueling : {false, true}) {
    DQNConfig c;
    c.hidden = {32, 16};
    c.dueling = dueling;
    QNetwork net(make_q_net_spec(c, Space::box({5}, -1.0, 1.0), 3));
    Rng rng(3);
    net.reset_parameters(rng);
    ASSERT_TRUE(net.dense());
    for (std::int64_t batch : {1, 7}) {
      c10::InferenceMode guard;
      const auto obs = torch::randn({batch, 5});
      const auto expected = net.forward(obs).contiguous();
      std::vector<float> q(static_cast<std::size_t>(batch * 3));
      net.forward_dense(obs.data_ptr<float>(), batch, q.data());
      for (std::int64_t i = 0; i < batch * 3; ++i)
        EXPECT_NEAR(q[static_cast<std::size_t>(i)], expected.data_ptr<float>()[i], 1e-6)
            << "dueling " << dueling << " batch " << batch << " element " << i;
    }
  }
}

TEST(DenseForward, ActingAllocatesNothing) {
  DQNConfig c;
  c.hidden = {256, 256};
  c.learning_starts = 0;
  DQN agent(c, small_replay(), Space::box({4}, -10.0, 10.0), Space::discrete(2), 1, 1000, 0);
  std::vector<float> obs{0.1f, -0.2f, 0.03f, 0.4f};
  std::vector<std::int64_t> action(1);
  for (int i = 0; i < 3; ++i)  // warm-up: buffers grow once
    agent.act(ConstBuffer(obs.data(), DType::Float32, 4), 1, ActMode::Explore, std::span(action));
  test::MallocCounter mallocs;
  for (int i = 0; i < 1000; ++i) {
    obs[0] = 0.001f * static_cast<float>(i);
    agent.act(ConstBuffer(obs.data(), DType::Float32, 4), 1, i % 2 ? ActMode::Greedy : ActMode::Explore,
              std::span(action));
  }
  mallocs.stop();
  EXPECT_EQ(mallocs.allocations(), 0);
}

}  // namespace
}  // namespace arena
