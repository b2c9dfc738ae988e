// The DQN family: networks (shapes, manual backward against autograd),
// optimizers against torch::optim, SB3's schedules, one gradient step against
// a plain autograd re-implementation of SB3's train step, target updates,
// non-finite losses, and checkpoints that continue bit-identically.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include <array>

#include "agents/dqn.h"
#include "agents/flat_optimizer.h"
#include "agents/thread_team.h"
#include "agents/torsos.h"

namespace arena {
namespace {

struct Threads : ::testing::Environment {
  void SetUp() override { set_compute_threads(1); }
};
const auto* const kThreads = ::testing::AddGlobalTestEnvironment(new Threads);

std::map<std::string, double> as_map(const Metrics& m) { return {m.begin(), m.end()}; }

std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("arena_dqn_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

Space box4() { return Space::box({4}, -10.0, 10.0); }

DQNConfig small_config() {
  DQNConfig c;
  c.hidden = {16, 16};
  c.learning_rate = 1e-3;
  c.batch_size = 8;
  c.learning_starts = 20;
  c.train_freq = 4;
  c.gradient_steps = 2;
  c.target_update_interval = 12;
  c.exploration_fraction = 0.5;
  return c;
}

ReplayConfig small_replay() {
  ReplayConfig r;
  r.capacity = 500;
  return r;
}

// ---- Networks ------------------------------------------------------------

TEST(Torsos, ShapesAndParameterCounts) {
  torch::manual_seed(0);
  DQNConfig c;
  c.hidden = {256, 256};
  QNetwork mlp(make_q_net_spec(c, box4(), 2));
  EXPECT_EQ(mlp.spec().num_params, 4 * 256 + 256 + 256 * 256 + 256 + 256 * 2 + 2);
  EXPECT_EQ(mlp.forward(torch::randn({5, 4})).sizes(), (std::vector<std::int64_t>{5, 2}));
  EXPECT_EQ(mlp.forward(torch::randn({1, 4})).sizes(), (std::vector<std::int64_t>{1, 2}));

  c.torso = "nature_cnn";
  c.hidden = {};
  for (auto shape : {std::vector<std::int64_t>{4, 84, 84}, std::vector<std::int64_t>{84, 84, 4}}) {
    QNetwork nature(make_q_net_spec(c, Space::box(shape, 0, 255, DType::UInt8), 6));
    EXPECT_EQ(nature.spec().channels_last, shape[0] == 84);
    // SB3 NatureCNN: 3136 features after the convolutions, then Linear(512).
    EXPECT_EQ(nature.spec().num_params,
              (4 * 32 * 64 + 32) + (32 * 64 * 16 + 64) + (64 * 64 * 9 + 64) + (3136 * 512 + 512) + (512 * 6 + 6));
    std::vector<std::int64_t> batch_shape{2};
    batch_shape.insert(batch_shape.end(), shape.begin(), shape.end());
    EXPECT_EQ(nature.forward(torch::randint(0, 256, batch_shape, torch::kUInt8)).sizes(),
              (std::vector<std::int64_t>{2, 6}));
  }

  c.torso = "minatar_cnn";
  for (auto dtype : {DType::UInt8, DType::Float32}) {
    QNetwork minatar(make_q_net_spec(c, Space::box({10, 10, 4}, 0, 1, dtype), 3));
    // MinAtar's DQN: Conv(16, 3x3) -> 8x8x16 = 1024 features -> Linear(128).
    EXPECT_EQ(minatar.spec().num_params, (4 * 16 * 9 + 16) + (1024 * 128 + 128) + (128 * 3 + 3));
    const auto obs = torch::randint(0, 2, {3, 10, 10, 4}, dtype == DType::UInt8 ? torch::kUInt8 : torch::kFloat32);
    EXPECT_EQ(minatar.forward(obs).sizes(), (std::vector<std::int64_t>{3, 3}));
  }

  c.torso = "resnet";
  EXPECT_THROW(make_q_net_spec(c, box4(), 2), std::invalid_argument);
  c.torso = "nature_cnn";
  EXPECT_THROW(make_q_net_spec(c, box4(), 2), std::invalid_argument);
}

TEST(Torsos, DefaultInitIsUniformInInverseSqrtFanIn) {
  DQNConfig c;
  c.hidden = {64};
  QNetwork net(make_q_net_spec(c, box4(), 3));
  Rng rng(1);
  net.reset_parameters(rng);
  const auto& p = net.parameters();
  EXPECT_LE(p[0].abs().max().item<float>(), 0.5f);  // fan_in 4
  EXPECT_GT(p[0].abs().max().item<float>(), 0.4f);
  EXPECT_LE(p[2].abs().max().item<float>(), 0.125f);  // fan_in 64
  EXPECT_LE(p[3].abs().max().item<float>(), 0.125f);
}

TEST(Torsos, DuelingCombinesValueAndAdvantages) {
  DQNConfig c;
  c.hidden = {8};
  c.dueling = true;
  QNetwork net(make_q_net_spec(c, box4(), 3));
  Rng rng(2);
  net.reset_parameters(rng);
  EXPECT_EQ(net.spec().layers.back().out, 4);  // three advantages and the value
  const auto obs = torch::randn({5, 4});
  const auto q = net.forward(obs);
  const auto& p = net.parameters();
  const auto head = torch::linear(torch::relu(torch::linear(obs, p[0], p[1])), p[2], p[3]);
  const auto adv = head.narrow(1, 0, 3), value = head.narrow(1, 3, 1);
  EXPECT_TRUE(torch::allclose(q, value + adv - adv.mean(1, true), 1e-5, 1e-6));
}

// backward() (no autograd) gives autograd's gradients, for every torso.
void expect_backward_matches_autograd(const DQNConfig& c, const Space& obs_space, const torch::Tensor& obs) {
  QNetwork net(make_q_net_spec(c, obs_space, 5));
  Rng rng(3);
  net.reset_parameters(rng);
  const auto grad_head = torch::randn({obs.size(0), 5});
  {
    c10::InferenceMode guard;
    const auto head = net.forward_train(obs);
    EXPECT_TRUE(torch::allclose(head, net.forward(obs), 1e-5, 1e-5));
    net.backward(grad_head);
  }
  std::vector<torch::Tensor> leaves;
  for (const auto& p : net.parameters()) leaves.push_back(p.detach().clone().requires_grad_());
  (net.forward(obs, leaves) * grad_head).sum().backward();
  const auto manual = net.views_of(net.grad());
  for (std::size_t i = 0; i < leaves.size(); ++i)
    EXPECT_TRUE(torch::allclose(manual[i], leaves[i].grad(), 1e-4, 1e-5))
        << c.torso << " parameter " << i << " max diff " << (manual[i] - leaves[i].grad()).abs().max().item<float>();
}

TEST(Torsos, ManualBackwardMatchesAutograd) {
  torch::manual_seed(0);
  DQNConfig c;
  c.hidden = {32, 24};
  expect_backward_matches_autograd(c, box4(), torch::randn({7, 4}));
  c.torso = "minatar_cnn";
  c.hidden = {32};
  expect_backward_matches_autograd(c, Space::box({10, 10, 4}, 0, 1, DType::UInt8),
                                   torch::randint(0, 2, {6, 10, 10, 4}, torch::kUInt8));
  c.torso = "nature_cnn";
  expect_backward_matches_autograd(c, Space::box({4, 84, 84}, 0, 255, DType::UInt8),
                                   torch::randint(0, 256, {3, 4, 84, 84}, torch::kUInt8));
}

// ---- Optimizers ------------------------------------------------------------

void expect_matches_torch(const FlatOptimizerOptions& o, torch::optim::Optimizer& reference, torch::Tensor& ref_param) {
  torch::manual_seed(4);
  const std::int64_t n = ref_param.numel();
  FlatOptimizer flat(o, static_cast<std::size_t>(n));
  std::vector<float> params(ref_param.data_ptr<float>(), ref_param.data_ptr<float>() + n);
  for (int step = 0; step < 6; ++step) {
    const auto g = torch::randn({n}) * (step + 1);
    ref_param.mutable_grad() = g.clone();
    reference.step();
    flat.step(params.data(), g.data_ptr<float>());
    const auto ours = torch::from_blob(params.data(), {n});
    EXPECT_TRUE(torch::allclose(ours, ref_param.detach(), 1e-5, 1e-6))
        << "step " << step << " max diff " << (ours - ref_param.detach()).abs().max().item<float>();
  }
  EXPECT_EQ(flat.steps(), 6);
}

TEST(FlatOptimizer, AdamMatchesTorchOptim) {
  auto p = torch::randn({1037}).requires_grad_();  // not a multiple of 16: the scalar tail runs too
  FlatOptimizerOptions o;
  o.lr = 2.3e-3;
  o.eps = 1e-8;
  torch::optim::Adam adam({p}, torch::optim::AdamOptions(o.lr).eps(o.eps));
  expect_matches_torch(o, adam, p);
}

TEST(FlatOptimizer, RMSpropMatchesTorchOptim) {
  for (bool centered : {false, true}) {
    auto p = torch::randn({1037}).requires_grad_();
    FlatOptimizerOptions o;
    o.kind = FlatOptimizerOptions::Kind::RMSprop;
    o.lr = 2.5e-4;
    o.alpha = 0.95;
    o.eps = 0.01;
    o.centered = centered;
    torch::optim::RMSprop rms({p}, torch::optim::RMSpropOptions(o.lr).alpha(o.alpha).eps(o.eps).centered(centered));
    expect_matches_torch(o, rms, p);
  }
}

TEST(FlatOptimizer, NormAndClipCoefficient) {
  std::vector<float> g(1000, 0.5f);
  EXPECT_NEAR(FlatOptimizer::l2_norm(g.data(), g.size()), std::sqrt(250.0), 1e-9);
  g[999] = NAN;
  EXPECT_TRUE(std::isnan(FlatOptimizer::l2_norm(g.data(), g.size())));
  g[999] = INFINITY;
  EXPECT_FALSE(std::isfinite(FlatOptimizer::l2_norm(g.data(), g.size())));
  EXPECT_EQ(FlatOptimizer::clip_coefficient(1.0, 10.0), 1.0f);
  EXPECT_NEAR(FlatOptimizer::clip_coefficient(20.0, 10.0), 0.5f, 1e-6);
}

// ---- Schedules and acting --------------------------------------------------

// A deterministic little environment: 4 floats of observation, 2 actions,
// episodes that terminate or are truncated at fixed lengths.
struct ScriptedEnv {
  std::int64_t t = 0, episode_t = 0;
  std::vector<float> obs = {0.1f, -0.2f, 0.3f, 0.0f};

  void step(std::int64_t action, std::vector<float>& next, double& reward, std::uint8_t& terminated,
            std::uint8_t& truncated) {
    ++t;
    ++episode_t;
    next.resize(4);
    for (int i = 0; i < 4; ++i)
      next[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(t * (i + 1))) + (action ? 0.5 : -0.5) * obs[i]);
    reward = action == (t % 3 == 0 ? 1 : 0) ? 1.0 : -0.25;
    terminated = episode_t == 23;
    truncated = !terminated && episode_t == 31;
    if (terminated || truncated) episode_t = 0;
  }
};

// Runs `steps` env steps of agent and env; returns the actions taken.
std::vector<std::int64_t> run(DQN& agent, ScriptedEnv& env, int steps, std::vector<Metrics>* metrics = nullptr) {
  std::vector<std::int64_t> taken;
  std::vector<float> next;
  for (int s = 0; s < steps; ++s) {
    std::int64_t action = 0;
    agent.act(std::span<const float>(env.obs), 1, ActMode::Explore, std::span<std::int64_t>(&action, 1));
    double reward;
    std::uint8_t term, trunc;
    env.step(action, next, reward, term, trunc);
    Transitions t{1, std::span<const float>(env.obs), std::span<const std::int64_t>(&action, 1),
                  std::span<const double>(&reward, 1), std::span<const float>(next),
                  std::span<const std::uint8_t>(&term, 1), std::span<const std::uint8_t>(&trunc, 1)};
    const Metrics m = agent.observe(t);
    if (metrics) metrics->push_back(m);
    env.obs = (term || trunc) ? std::vector<float>{0.05f * static_cast<float>(s % 7), 0.1f, -0.1f, 0.2f} : next;
    taken.push_back(action);
  }
  return taken;
}

TEST(DQN, EpsilonFollowsSb3LinearSchedule) {
  DQNConfig c = small_config();
  c.learning_starts = 10'000;  // no training here
  c.exploration_initial_eps = 1.0;
  c.exploration_final_eps = 0.05;
  c.exploration_fraction = 0.1;
  DQN agent(c, small_replay(), box4(), Space::discrete(2), 1, 1000, 0);
  ScriptedEnv env;
  EXPECT_DOUBLE_EQ(agent.epsilon(), 1.0);
  run(agent, env, 50);
  EXPECT_NEAR(agent.epsilon(), 1.0 + 0.05 * (0.05 - 1.0) / 0.1, 1e-12);  // 0.525
  run(agent, env, 50);
  EXPECT_NEAR(agent.epsilon(), 0.05, 1e-12);
  run(agent, env, 400);
  EXPECT_DOUBLE_EQ(agent.epsilon(), 0.05);
  EXPECT_EQ(agent.steps(), 500);
}

TEST(DQN, GreedyActIsArgmaxAndExploreFollowsWarmup) {
  DQNConfig c = small_config();
  c.learning_starts = 5;
  c.exploration_initial_eps = 0.0;
  c.exploration_final_eps = 0.0;
  DQN agent(c, small_replay(), box4(), Space::discrete(3), 4, 1000, 7);
  const auto obs = torch::randn({64, 4});
  std::vector<std::int64_t> actions(64);
  agent.act(ConstBuffer(obs.data_ptr<float>(), DType::Float32, 256), 64, ActMode::Greedy, std::span(actions));
  const auto greedy = agent.q_values(obs).argmax(1);
  for (int i = 0; i < 64; ++i) EXPECT_EQ(actions[i], greedy[i].item<std::int64_t>());
  const Insight in = agent.insight();
  EXPECT_EQ(in.kind, Insight::Kind::QValues);
  ASSERT_EQ(in.values.size(), 3u);
  EXPECT_EQ(in.chosen, actions[0]);

  // Before learning_starts, Explore is uniformly random (SB3's warm-up) even with epsilon 0.
  std::vector<std::int64_t> explore(64);
  agent.act(ConstBuffer(obs.data_ptr<float>(), DType::Float32, 256), 64, ActMode::Explore, std::span(explore));
  EXPECT_NE(explore, actions);

  EXPECT_THROW(DQN(c, small_replay(), box4(), Space::box({2}, -1, 1), 1, 1000, 0), std::invalid_argument);
}

TEST(DQN, TrainAndTargetScheduleFollowSb3) {
  DQNConfig c = small_config();
  c.learning_starts = 0;
  c.train_freq = 1;
  c.gradient_steps = -1;  // as many as env steps collected: train_freq * num_envs = 2
  c.target_update_interval = 6;  // with 2 envs: every 3 vector steps
  c.batch_size = 4;
  c.exploration_fraction = 0.0;
  DQN agent(c, small_replay(), box4(), Space::discrete(2), 2, 1000, 3);
  std::vector<float> obs(8, 0.5f), next(8, 0.25f);
  std::vector<std::int64_t> actions = {0, 1};
  std::vector<double> rewards = {1.0, -1.0};
  std::vector<std::uint8_t> term = {0, 0}, trunc = {0, 0};
  Transitions t{2, std::span<const float>(obs), std::span<const std::int64_t>(actions), rewards,
                std::span<const float>(next), term, trunc};
  std::vector<std::vector<float>> online_after;
  for (int call = 1; call <= 4; ++call) {
    const auto m = as_map(agent.observe(t));
    EXPECT_EQ(m.at("updates"), 2.0 * call);
    online_after.push_back(agent.parameters_flat());
  }
  EXPECT_EQ(agent.steps(), 8);
  // The target was copied at call 3, before that call's training.
  EXPECT_EQ(agent.target_parameters_flat(), online_after[1]);
  EXPECT_NE(agent.target_parameters_flat(), online_after[3]);
}

TEST(DQN, TrainsOnlyAfterLearningStartsEveryTrainFreq) {
  DQNConfig c = small_config();  // learning_starts 20, train_freq 4, gradient_steps 2
  DQN agent(c, small_replay(), box4(), Space::discrete(2), 1, 1000, 0);
  ScriptedEnv env;
  std::vector<Metrics> metrics;
  run(agent, env, 40, &metrics);
  for (int s = 1; s <= 40; ++s) {
    const bool trains = s > 20 && s % 4 == 0;
    EXPECT_EQ(!metrics[s - 1].empty(), trains) << "step " << s;
  }
  EXPECT_EQ(agent.updates(), 5 * 2);  // steps 24, 28, 32, 36, 40
  const auto m = as_map(metrics.back());
  for (const char* key : {"loss", "q_mean", "epsilon", "learning_rate", "grad_norm", "updates"})
    EXPECT_TRUE(m.count(key)) << key;
  EXPECT_EQ(m.at("updates"), 10.0);
}

// SB3's linear schedule: each train runs at learning_rate * (1 - progress),
// progress counted in env steps at the start of that train; constant keeps it.
TEST(DQN, LinearLearningRateScheduleFollowsProgress) {
  for (const char* schedule : {"constant", "linear"}) {
    DQNConfig c = small_config();  // learning_starts 20, train_freq 4
    c.learning_rate = 1e-3;
    c.learning_rate_schedule = schedule;
    DQN agent(c, small_replay(), box4(), Space::discrete(2), 1, 100, 0);
    ScriptedEnv env;
    std::vector<Metrics> metrics;
    run(agent, env, 40, &metrics);
    for (int s : {24, 32, 40}) {
      const double expected = std::string(schedule) == "linear" ? 1e-3 * (1.0 - s / 100.0) : 1e-3;
      EXPECT_DOUBLE_EQ(as_map(metrics[s - 1]).at("learning_rate"), expected) << schedule << " step " << s;
    }
  }
  DQNConfig bad = small_config();
  bad.learning_rate_schedule = "cosine";
  EXPECT_THROW(DQN(bad, small_replay(), box4(), Space::discrete(2), 1, 100, 0), std::invalid_argument);
}

// ThreadTeam runs every rank once per run, splits ranges into aligned
// disjoint parts and passes a rank's exception to the caller.
TEST(ThreadTeam, RunsEveryRankAndSplitsRanges) {
  ThreadTeam team(3);
  for (int round = 0; round < 200; ++round) {
    std::array<int, 3> hits{};
    team.run([&](int rank) { ++hits[static_cast<std::size_t>(rank)]; });
    EXPECT_EQ(hits, (std::array<int, 3>{1, 1, 1})) << "round " << round;
  }
  std::int64_t covered = 0;
  for (int r = 0; r < 3; ++r) {
    const auto p = team.part(r, 100, 16);
    EXPECT_EQ(p.begin, covered);
    if (r < 2) {
      EXPECT_EQ((p.end - p.begin) % 16, 0);
    }
    covered = p.end;
  }
  EXPECT_EQ(covered, 100);
  EXPECT_THROW(team.run([](int rank) {
    if (rank == 2) throw std::runtime_error("rank 2 failed");
  }),
               std::runtime_error);
  EXPECT_THROW(ThreadTeam(0), std::invalid_argument);
}

// With two threads a dense network's gradient step is split across a team:
// the run is deterministic, and it learns the same function as one thread
// (the split changes only the order of float additions).
// Each thread takes a block of the batch's rows through the whole network,
// and the parts' gradients are added up (tried plain, and with dueling heads,
// Double DQN and MSE loss, whose per-row terms differ).
TEST(DQN, TwoThreadTeamIsDeterministicAndMatchesOneThread) {
  for (bool variant : {false, true}) {
    DQNConfig c = small_config();
    c.hidden = {256, 256};  // large enough for the products to be split
    c.dueling = variant;
    c.double_q = variant;
    if (variant) c.loss = "mse";
    const auto train = [&](int threads) {
      set_compute_threads(threads);
      DQN agent(c, small_replay(), box4(), Space::discrete(2), 1, 1000, 5);
      ScriptedEnv env;
      run(agent, env, 200);
      set_compute_threads(1);
      return agent.parameters_flat();
    };
    const auto one = train(1), two = train(2), again = train(2);
    EXPECT_EQ(two, again) << "variant " << variant;
    ASSERT_EQ(one.size(), two.size());
    double max_diff = 0;
    for (std::size_t i = 0; i < one.size(); ++i) max_diff = std::max(max_diff, std::fabs(double(one[i]) - two[i]));
    EXPECT_LT(max_diff, 1e-3) << "variant " << variant;
    EXPECT_NE(one, two) << "variant " << variant << ": two threads did not take the split path";
  }
}

// A train evaluates the targets of several sampled batches in one pass; it must
// equal sampling and stepping one batch at a time.
TEST(DQN, TrainEqualsOneBatchAtATime) {
  for (bool double_q : {false, true}) {
    DQNConfig c = small_config();
    c.double_q = double_q;
    c.train_freq = 40;
    c.learning_starts = 39;  // the first (and only) train: after step 40
    c.gradient_steps = 12;
    c.target_update_interval = 1'000'000;
    DQN agent(c, small_replay(), box4(), Space::discrete(2), 1, 1000, 8);
    DQNConfig t = c;
    t.learning_starts = 1'000'000;  // the twin never trains by itself
    DQN twin(t, small_replay(), box4(), Space::discrete(2), 1, 1000, 8);

    ScriptedEnv env;
    std::vector<float> next;
    Metrics m;
    for (int s = 0; s < 40; ++s) {
      std::int64_t action = s % 3 == 0;
      double reward;
      std::uint8_t term, trunc;
      env.step(action, next, reward, term, trunc);
      Transitions tr{1, std::span<const float>(env.obs), std::span<const std::int64_t>(&action, 1),
                     std::span<const double>(&reward, 1), std::span<const float>(next),
                     std::span<const std::uint8_t>(&term, 1), std::span<const std::uint8_t>(&trunc, 1)};
      m = agent.observe(tr);
      EXPECT_TRUE(twin.observe(tr).empty());
      env.obs = next;
    }
    ASSERT_EQ(agent.updates(), 12);
    double loss = 0;
    for (int k = 0; k < 12; ++k)
      loss += as_map(twin.train_step(twin.replay_buffer().sample(c.batch_size, 40.0 / 1000.0))).at("loss");
    EXPECT_NEAR(as_map(m).at("loss"), loss / 12, 1e-4 * (1 + loss / 12));
    const auto a = agent.parameters_flat(), b = twin.parameters_flat();
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5f) << "double_q " << double_q << " at " << i;
  }
}

// ---- One gradient step against SB3's train step in plain autograd ------------

struct StepCase {
  std::string loss = "huber", optimizer = "adam";
  bool dueling = false, double_q = false, weighted = false;
  double max_grad_norm = 10.0;
};

ReplayBatch make_batch(std::int64_t b, std::int64_t n_actions, bool weighted) {
  ReplayBatch batch;
  batch.obs = torch::randn({b, 4}) * 2;
  batch.next_obs = torch::randn({b, 4}) * 2;
  batch.actions = torch::randint(0, n_actions, {b}, torch::kInt64);
  batch.rewards = torch::randn({b}) * 3;
  batch.discounts = torch::full({b}, 0.99f);
  batch.discounts.index_put_({torch::arange(0, b, 3)}, 0.0f);  // some terminated
  batch.weights = weighted ? torch::rand({b}) + 0.1 : torch::ones({b});
  batch.indices = torch::arange(b, torch::kInt64);
  return batch;
}

void expect_step_matches_autograd(const StepCase& k) {
  torch::manual_seed(11);
  DQNConfig c = small_config();
  c.loss = k.loss;
  c.optimizer = k.optimizer;
  c.dueling = k.dueling;
  c.double_q = k.double_q;
  c.max_grad_norm = k.max_grad_norm;
  c.rmsprop_alpha = 0.95;
  c.rmsprop_eps = 0.01;
  c.rmsprop_centered = true;
  DQN agent(c, small_replay(), box4(), Space::discrete(3), 1, 1000, 5);
  const QNetwork& net = agent.online_network();
  std::vector<torch::Tensor> params, target;
  for (const auto& p : net.parameters()) {
    params.push_back(p.detach().clone().requires_grad_());
    target.push_back(p.detach().clone());
  }
  std::unique_ptr<torch::optim::Optimizer> opt;
  if (k.optimizer == "adam")
    opt = std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(c.learning_rate).eps(c.adam_eps));
  else
    opt = std::make_unique<torch::optim::RMSprop>(
        params, torch::optim::RMSpropOptions(c.learning_rate).alpha(0.95).eps(0.01).centered(true));

  for (int step = 0; step < 3; ++step) {
    const ReplayBatch batch = make_batch(8, 3, k.weighted);
    // SB3 DQN.train, one gradient step.
    torch::Tensor next_q;
    {
      torch::NoGradGuard no_grad;
      const auto q_target = net.forward(batch.next_obs, target);
      if (k.double_q) {
        const auto best = net.forward(batch.next_obs, params).argmax(1, true);
        next_q = q_target.gather(1, best).squeeze(1);
      } else {
        next_q = std::get<0>(q_target.max(1));
      }
    }
    const auto target_q = batch.rewards + batch.discounts * next_q;
    const auto q = net.forward(batch.obs, params).gather(1, batch.actions.unsqueeze(1)).squeeze(1);
    const auto elementwise = k.loss == "huber" ? torch::smooth_l1_loss(q, target_q, at::Reduction::None)
                                               : torch::mse_loss(q, target_q, at::Reduction::None);
    const auto loss = (batch.weights * elementwise).mean();
    opt->zero_grad();
    loss.backward();
    if (k.max_grad_norm > 0) torch::nn::utils::clip_grad_norm_(params, k.max_grad_norm);
    opt->step();

    const auto m = as_map(agent.train_step(batch));
    EXPECT_NEAR(m.at("loss"), loss.item<double>(), 1e-5 * (1 + std::fabs(loss.item<double>())));
    EXPECT_NEAR(m.at("q_mean"), q.mean().item<double>(), 1e-5);
    std::vector<torch::Tensor> flat_params;
    for (const auto& p : params) flat_params.push_back(p.detach().reshape(-1));
    const auto expected = torch::cat(flat_params);
    auto ours_vec = agent.parameters_flat();
    const auto ours = torch::from_blob(ours_vec.data(), {static_cast<std::int64_t>(ours_vec.size())});
    EXPECT_TRUE(torch::allclose(ours, expected, 1e-4, 1e-6))
        << k.loss << "/" << k.optimizer << " dueling " << k.dueling << " double " << k.double_q << " step " << step
        << " max diff " << (ours - expected).abs().max().item<float>();
  }
  EXPECT_EQ(agent.updates(), 3);
}

TEST(DQN, GradientStepMatchesSb3TrainStepHuberAdam) { expect_step_matches_autograd({}); }
TEST(DQN, GradientStepMatchesSb3TrainStepMse) { expect_step_matches_autograd({.loss = "mse"}); }
TEST(DQN, GradientStepMatchesWithClippingActive) { expect_step_matches_autograd({.max_grad_norm = 0.05}); }
TEST(DQN, GradientStepMatchesWithoutClipping) { expect_step_matches_autograd({.max_grad_norm = 0.0}); }
TEST(DQN, GradientStepMatchesDuelingDoubleWeighted) {
  expect_step_matches_autograd({.dueling = true, .double_q = true, .weighted = true});
}
TEST(DQN, GradientStepMatchesRMSpropCentered) { expect_step_matches_autograd({.optimizer = "rmsprop"}); }

TEST(DQN, HuberAndMseDifferOnLargeErrors) {
  torch::manual_seed(12);
  const ReplayBatch batch = make_batch(8, 2, false);
  batch.rewards.mul_(100);  // |td error| >> 1: Huber is linear there
  DQNConfig c = small_config();
  DQN huber(c, small_replay(), box4(), Space::discrete(2), 1, 1000, 1);
  c.loss = "mse";
  DQN mse(c, small_replay(), box4(), Space::discrete(2), 1, 1000, 1);
  const double lh = as_map(huber.train_step(batch)).at("loss");
  const double lm = as_map(mse.train_step(batch)).at("loss");
  EXPECT_GT(lm, 10 * lh);
}

TEST(DQN, TargetUpdateHardAndSoft) {
  torch::manual_seed(13);
  for (double tau : {1.0, 0.3}) {
    DQNConfig c = small_config();
    c.tau = tau;
    DQN agent(c, small_replay(), box4(), Space::discrete(2), 1, 1000, 2);
    const auto before = agent.target_parameters_flat();
    EXPECT_EQ(before, agent.parameters_flat());
    agent.train_step(make_batch(8, 2, false));
    const auto online = agent.parameters_flat();
    EXPECT_EQ(agent.target_parameters_flat(), before);  // training leaves the target alone
    agent.update_target();
    const auto after = agent.target_parameters_flat();
    for (std::size_t i = 0; i < after.size(); ++i) {
      if (tau == 1.0) {
        ASSERT_EQ(after[i], online[i]);
      } else {
        const float expected = before[i] * static_cast<float>(1.0 - tau) + static_cast<float>(tau) * online[i];
        ASSERT_NEAR(after[i], expected, 1e-7f);
      }
    }
  }
}

TEST(DQN, NonFiniteLossThrowsBeforeTheOptimizerStep) {
  torch::manual_seed(14);
  DQN agent(small_config(), small_replay(), box4(), Space::discrete(2), 1, 1000, 3);
  const auto before = agent.parameters_flat();
  for (float bad : {NAN, INFINITY}) {
    ReplayBatch batch = make_batch(8, 2, false);
    batch.rewards[3] = bad;
    EXPECT_THROW(agent.train_step(batch), std::runtime_error);
    batch = make_batch(8, 2, false);
    batch.obs[2][1] = bad;  // non-finite activations: non-finite gradients
    EXPECT_THROW(agent.train_step(batch), std::runtime_error);
  }
  EXPECT_EQ(agent.parameters_flat(), before);
  EXPECT_EQ(agent.updates(), 0);
}

TEST(DQN, ConvolutionalTorsoActsAndTrains) {
  DQNConfig c = small_config();
  c.torso = "minatar_cnn";
  c.hidden = {32};
  c.learning_starts = 10;
  c.dueling = true;
  const Space obs_space = Space::box({10, 10, 4}, 0, 1, DType::UInt8);
  DQN agent(c, small_replay(), obs_space, Space::discrete(3), 2, 1000, 4);
  const auto before = agent.parameters_flat();
  Rng rng(5);
  std::vector<std::uint8_t> obs(2 * 400), next(2 * 400);
  for (auto& x : obs) x = static_cast<std::uint8_t>(rng.below(2));
  for (int s = 0; s < 12; ++s) {
    std::vector<std::int64_t> actions(2);
    agent.act(std::span<const std::uint8_t>(obs), 2, ActMode::Explore, std::span(actions));
    for (auto& x : next) x = static_cast<std::uint8_t>(rng.below(2));
    std::vector<double> rewards = {1.0, 0.0};
    std::vector<std::uint8_t> term = {0, s % 5 == 4}, trunc = {0, 0};
    agent.observe({2, std::span<const std::uint8_t>(obs), std::span<const std::int64_t>(actions), rewards,
                   std::span<const std::uint8_t>(next), term, trunc});
    obs = next;
  }
  EXPECT_EQ(agent.updates(), 2 * c.gradient_steps);  // after vector steps 8 and 12 (16 and 24 env steps)
  const auto after = agent.parameters_flat();
  EXPECT_NE(after, before);
  for (float p : after) ASSERT_TRUE(std::isfinite(p));
}

// ---- Checkpoints --------------------------------------------------------------

struct CheckpointCase {
  const char* name;
  DQNConfig config;
  ReplayConfig replay;
};

CheckpointCase checkpoint_case(int i) {
  CheckpointCase k{"plain", small_config(), small_replay()};
  if (i == 1) {
    k.name = "extended";
    k.config.dueling = true;
    k.config.double_q = true;
    k.config.optimizer = "rmsprop";
    k.config.rmsprop_centered = true;
    k.config.tau = 0.5;
    k.config.loss = "mse";
    k.replay.prioritized = true;
    k.replay.n_step = 3;
  }
  return k;
}

TEST(DQN, SaveLoadContinuesBitIdentically) {
  for (int i = 0; i < 2; ++i) {
    const CheckpointCase k = checkpoint_case(i);
    DQN a(k.config, k.replay, box4(), Space::discrete(2), 1, 400, 21);
    ScriptedEnv env_a;
    run(a, env_a, 150);
    ASSERT_GT(a.updates(), 0);
    const auto dir = fresh_dir(k.name);
    a.save(dir);

    DQN b(k.config, k.replay, box4(), Space::discrete(2), 1, 400, 999);  // another seed: everything must come from the files
    b.load(dir);
    ScriptedEnv env_b = env_a;
    EXPECT_EQ(b.steps(), a.steps());
    EXPECT_EQ(b.parameters_flat(), a.parameters_flat());
    const auto actions_a = run(a, env_a, 150);
    const auto actions_b = run(b, env_b, 150);
    EXPECT_EQ(actions_a, actions_b) << k.name;
    EXPECT_EQ(a.parameters_flat(), b.parameters_flat()) << k.name;
    EXPECT_EQ(a.target_parameters_flat(), b.target_parameters_flat()) << k.name;
    EXPECT_EQ(a.updates(), b.updates());
    std::filesystem::remove_all(dir);
  }
}

TEST(DQN, LoadRejectsMissingOrCorruptFiles) {
  DQN a(small_config(), small_replay(), box4(), Space::discrete(2), 1, 400, 1);
  ScriptedEnv env;
  run(a, env, 30);
  const auto dir = fresh_dir("corrupt");
  DQN b(small_config(), small_replay(), box4(), Space::discrete(2), 1, 400, 1);
  try {
    b.load(dir);
    FAIL() << "loading an empty directory succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("dqn.bin"), std::string::npos) << e.what();
  }
  a.save(dir);
  {
    std::fstream f(dir / "dqn.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x7f');
  }
  EXPECT_THROW(b.load(dir), std::runtime_error);
  EXPECT_EQ(b.steps(), 0);  // unchanged
  a.save(dir);
  std::filesystem::remove(dir / "replay.bin");
  try {
    b.load(dir);
    FAIL() << "loading without replay.bin succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("replay.bin"), std::string::npos) << e.what();
  }
  EXPECT_EQ(b.steps(), 0);
  std::filesystem::remove_all(dir);
}

TEST(DQN, PolicyRoundTripAndMismatch) {
  const auto dir = fresh_dir("policy");
  DQN a(small_config(), small_replay(), box4(), Space::discrete(2), 1, 400, 1);
  ScriptedEnv env;
  run(a, env, 60);
  a.save_policy(dir / "policy.pt");
  DQN b(small_config(), small_replay(), box4(), Space::discrete(2), 1, 400, 2);
  b.load_policy(dir / "policy.pt");
  EXPECT_EQ(b.parameters_flat(), a.parameters_flat());
  EXPECT_EQ(b.target_parameters_flat(), a.parameters_flat());

  DQNConfig wider = small_config();
  wider.hidden = {32, 16};
  DQN c(wider, small_replay(), box4(), Space::discrete(2), 1, 400, 1);
  try {
    c.load_policy(dir / "policy.pt");
    FAIL() << "a policy of another architecture loaded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("policy.pt"), std::string::npos) << e.what();
  }
  EXPECT_THROW(c.load_policy(dir / "missing.pt"), std::runtime_error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace arena
