// Experiment files: parsing, strict errors (file, line, key), overrides,
// to_toml round trip and the embedded default experiment.
#include "experiments/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace arena {
namespace {

namespace fs = std::filesystem;

// The message of the ConfigError that `f` throws ("" and a failure if none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ConfigError thrown";
  return "";
}

std::string parse_error(const std::string& text, const std::string& file = "cartpole.toml") {
  return error_of([&] { parse_experiment(text, file); });
}

std::string override_error(const std::string& assignment) {
  return error_of([&] {
    ExperimentConfig c;
    apply_override(c, assignment);
  });
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const fs::path kConfigFile = fs::path(ARENA_SOURCE_DIR) / "experiments/configs/cartpole_dqn.toml";

// ---------------------------------------------------------------------------
// The default experiment
// ---------------------------------------------------------------------------

TEST(DefaultExperiment, IsTheZooCartPoleDQN) {
  const ExperimentConfig c = default_experiment();
  EXPECT_EQ(c.name, "cartpole_dqn");
  EXPECT_EQ(c.env.id, "CartPole-v1");
  EXPECT_EQ(c.env.num_envs, 1);
  EXPECT_TRUE(c.env.options.empty());
  // rl-baselines3-zoo hyperparams/dqn.yml, CartPole-v1
  EXPECT_EQ(c.train.total_steps, 50'000);                   // n_timesteps 5e4
  EXPECT_DOUBLE_EQ(c.agent.learning_rate, 2.3e-3);
  EXPECT_EQ(c.agent.batch_size, 64);
  EXPECT_EQ(c.replay.capacity, 100'000);                    // buffer_size
  EXPECT_EQ(c.agent.learning_starts, 1000);
  EXPECT_DOUBLE_EQ(c.agent.gamma, 0.99);
  EXPECT_EQ(c.agent.target_update_interval, 10);
  EXPECT_EQ(c.agent.train_freq, 256);
  EXPECT_EQ(c.agent.gradient_steps, 128);
  EXPECT_DOUBLE_EQ(c.agent.exploration_fraction, 0.16);
  EXPECT_DOUBLE_EQ(c.agent.exploration_final_eps, 0.04);
  EXPECT_EQ(c.agent.hidden, (std::vector<std::int64_t>{256, 256}));  // net_arch
  // Stable-Baselines3 DQN defaults
  EXPECT_EQ(c.agent.torso, "mlp");
  EXPECT_DOUBLE_EQ(c.agent.tau, 1.0);
  EXPECT_DOUBLE_EQ(c.agent.max_grad_norm, 10.0);
  EXPECT_EQ(c.agent.loss, "huber");
  EXPECT_EQ(c.agent.optimizer, "adam");
  EXPECT_DOUBLE_EQ(c.agent.adam_eps, 1e-8);
  EXPECT_DOUBLE_EQ(c.agent.exploration_initial_eps, 1.0);
  EXPECT_FALSE(c.agent.double_q);
  EXPECT_FALSE(c.agent.dueling);
  EXPECT_EQ(c.replay.n_step, 1);
  EXPECT_FALSE(c.replay.prioritized);
  // [train]
  EXPECT_EQ(c.train.algo, "dqn");
  EXPECT_EQ(c.train.eval_every, 5'000);
  EXPECT_EQ(c.train.eval_episodes, 10);
  EXPECT_EQ(c.train.final_eval_episodes, 20);
  EXPECT_EQ(c.train.checkpoint_every, 10'000);
  EXPECT_EQ(c.train.seed, 0u);
}

TEST(DefaultExperiment, IsByteIdenticalToTheConfigFile) {
  ASSERT_TRUE(fs::exists(kConfigFile)) << kConfigFile;
  EXPECT_EQ(default_experiment_toml(), slurp(kConfigFile));
  EXPECT_TRUE(load_experiment(kConfigFile) == default_experiment());
}

TEST(DefaultExperiment, NamesItsSource) {
  const auto& text = default_experiment_toml();
  EXPECT_NE(text.find("rl-baselines3-zoo"), std::string::npos);
  EXPECT_NE(text.find("hyperparams/dqn.yml"), std::string::npos);
  EXPECT_NE(text.find("CartPole-v1"), std::string::npos);
}

TEST(DefaultExperiment, SpellsOutEveryKey) {
  // Every key the resolved config has is written in the file, so the file does
  // not depend on the structs' defaults.
  const std::string resolved = to_toml(default_experiment());
  std::istringstream lines(resolved);
  std::string line;
  int keys = 0;
  while (std::getline(lines, line)) {
    auto eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    ++keys;
    const std::string key = line.substr(0, eq);
    EXPECT_NE(default_experiment_toml().find("\n" + key + " = "), std::string::npos) << key;
  }
  EXPECT_GT(keys, 40);
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

TEST(ParseExperiment, EmptyTextGivesTheDefaults) {
  EXPECT_TRUE(parse_experiment("", "<embedded>") == ExperimentConfig{});
  EXPECT_TRUE(parse_experiment("# only a comment\n", "<embedded>") == ExperimentConfig{});
}

TEST(ParseExperiment, ReadsEveryKind) {
  const auto c = parse_experiment(R"(name = "pong"
[env]
id = "ALE/Pong-v5"
num_envs = 8
[env.options]
frameskip = 4
repeat_action_probability = 0.25
full_action_space = false
mode = "hard"
[agent]
torso = "nature_cnn"
hidden = [512]
dueling = true
learning_rate = 6.25e-5
optimizer = "rmsprop"
loss = "mse"
gradient_steps = -1
[replay]
capacity = 1_000_000
n_step = 3
prioritized = true
[train]
seed = 42
eval_every = 0
)",
                                  "pong.toml");
  EXPECT_EQ(c.name, "pong");
  EXPECT_EQ(c.env.id, "ALE/Pong-v5");
  EXPECT_EQ(c.env.num_envs, 8);
  EXPECT_EQ(c.env.options.get_int("frameskip"), 4);
  EXPECT_DOUBLE_EQ(c.env.options.get_double("repeat_action_probability"), 0.25);
  EXPECT_FALSE(c.env.options.get_bool("full_action_space"));
  EXPECT_EQ(c.env.options.get_string("mode"), "hard");
  EXPECT_EQ(c.agent.torso, "nature_cnn");
  EXPECT_EQ(c.agent.hidden, (std::vector<std::int64_t>{512}));
  EXPECT_TRUE(c.agent.dueling);
  EXPECT_DOUBLE_EQ(c.agent.learning_rate, 6.25e-5);
  EXPECT_EQ(c.agent.optimizer, "rmsprop");
  EXPECT_EQ(c.agent.loss, "mse");
  EXPECT_EQ(c.agent.gradient_steps, -1);
  EXPECT_EQ(c.replay.capacity, 1'000'000);
  EXPECT_EQ(c.replay.n_step, 3);
  EXPECT_TRUE(c.replay.prioritized);
  EXPECT_EQ(c.train.seed, 42u);
  EXPECT_EQ(c.train.eval_every, 0);
  // Untouched keys keep their defaults.
  EXPECT_DOUBLE_EQ(c.agent.gamma, DQNConfig{}.gamma);
  EXPECT_EQ(c.train.total_steps, TrainConfig{}.total_steps);
}

TEST(ParseExperiment, AcceptsAnIntegerForAFloatKey) {
  const auto c = parse_experiment("[agent]\ngamma = 1\nmax_grad_norm = 0\n", "x.toml");
  EXPECT_DOUBLE_EQ(c.agent.gamma, 1.0);
  EXPECT_DOUBLE_EQ(c.agent.max_grad_norm, 0.0);
}

TEST(ParseExperiment, CommentsAndKeyOrderDoNotMatter) {
  const auto a = parse_experiment(R"(name = "a"
[agent]
gamma = 0.9
batch_size = 128
hidden = [32, 32]
[train]
total_steps = 1000
[replay]
n_step = 3
)",
                                  "a.toml");
  const auto c = parse_experiment(R"(# dotted keys and inline tables
name = "a"
train.total_steps = 1000
replay = { n_step = 3 }
agent.hidden = [32, 32]
agent.batch_size = 128
agent.gamma = 0.9
)",
                                  "c.toml");
  EXPECT_TRUE(a == c) << to_toml(a) << "\n---\n" << to_toml(c);
  const auto d = parse_experiment(R"(# the same experiment, shuffled
name = "a"
[replay]
n_step = 3   # three-step returns

[train]   # training loop
total_steps = 1000

[agent]
hidden = [
  32,  # first layer
  32,
]
batch_size = 128
gamma = 0.9
)",
                                  "d.toml");
  EXPECT_TRUE(a == d) << to_toml(a) << "\n---\n" << to_toml(d);
}

TEST(ParseExperiment, LoadsAFile) {
  const fs::path dir = fs::temp_directory_path() / ("arena_config_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  fs::create_directories(dir);
  const fs::path file = dir / "run.toml";
  std::ofstream(file) << "[agent]\nbatch_size = 7\n";
  EXPECT_EQ(load_experiment(file).agent.batch_size, 7);
  std::ofstream(file) << "[agent]\nbatch_size = -7\n";
  EXPECT_EQ(error_of([&] { load_experiment(file); }),
            file.string() + ":2: agent.batch_size must be >= 1, got -7");
  fs::remove_all(dir);
  EXPECT_EQ(error_of([&] { load_experiment(dir / "missing.toml"); }),
            (dir / "missing.toml").string() + ": cannot open the experiment file");
}

// ---------------------------------------------------------------------------
// Errors: FILE:LINE, the key with its table, what is wrong
// ---------------------------------------------------------------------------

TEST(ParseErrors, UnknownKeySuggestsTheClosestOne) {
  EXPECT_EQ(parse_error(R"(# CartPole
name = "x"

[agent]
gamma = 0.99
batch_size = 64
learnig_rate = 1e-3
)"),
            "cartpole.toml:7: unknown key 'learnig_rate' in [agent] (did you mean 'learning_rate'?)");
  EXPECT_EQ(parse_error("[train]\ntotal_step = 10\n"),
            "cartpole.toml:2: unknown key 'total_step' in [train] (did you mean 'total_steps'?)");
  EXPECT_EQ(parse_error("[replay]\nsize = 10\n"),
            "cartpole.toml:2: unknown key 'size' in [replay] (known keys: 'capacity', 'n_step', 'prioritized', "
            "'alpha', 'beta', 'priority_eps', 'compact_frames')");
  EXPECT_EQ(parse_error("nmae = \"x\"\n"), "cartpole.toml:1: unknown key 'nmae' at the top level (did you mean 'name'?)");
  EXPECT_EQ(parse_error("[env]\nid = \"CartPole-v1\"\n\n\nseed = 3\n"),
            "cartpole.toml:5: unknown key 'seed' in [env] (known keys: 'id', 'num_envs', 'preset', 'options')");
  // Dotted keys and inline tables name the same key.
  EXPECT_EQ(parse_error("\nagent.gama = 0.9\n"),
            "cartpole.toml:2: unknown key 'gama' in [agent] (did you mean 'gamma'?)");
  EXPECT_EQ(parse_error("agent = { gamma = 0.9, dueing = true }\n"),
            "cartpole.toml:1: unknown key 'dueing' in [agent] (did you mean 'dueling'?)");
}

TEST(ParseErrors, UnknownTable) {
  EXPECT_EQ(parse_error("name = \"x\"\n[agnet]\ngamma = 0.9\n"),
            "cartpole.toml:2: unknown table [agnet] (did you mean [agent]?)");
  EXPECT_EQ(parse_error("[env]\n[env.option]\nx = 1\n"),
            "cartpole.toml:2: unknown table [env.option] (did you mean [env.options]?)");
  EXPECT_EQ(parse_error("[agent]\ngamma = 0.9\n\n[agent.network]\nwidth = 3\n"),
            "cartpole.toml:4: unknown table [agent.network] (known tables: [env], [env.options], [agent], [replay], "
            "[train])");
  EXPECT_EQ(parse_error("[logging]\nlevel = 1\n"),
            "cartpole.toml:1: unknown table [logging] (known tables: [env], [env.options], [agent], [replay], [train])");
  EXPECT_EQ(parse_error("\n[env.options.nested]\nx = 1\n"),
            "cartpole.toml:2: unknown table [env.options.nested] (known tables: [env], [env.options], [agent], "
            "[replay], [train])");
}

TEST(ParseErrors, KeysAfterATableBelongToIt) {
  // A top-level key written after [replay] is replay.name.
  EXPECT_EQ(parse_error("[replay]\nn_step = 3\nname = \"a\"\n"),
            "cartpole.toml:3: unknown key 'name' in [replay] (known keys: 'capacity', 'n_step', 'prioritized', "
            "'alpha', 'beta', 'priority_eps', 'compact_frames')");
}

TEST(ParseErrors, WrongType) {
  EXPECT_EQ(parse_error("[agent]\n\nbatch_size = \"64\"\n"),
            "cartpole.toml:3: agent.batch_size must be an integer, got string \"64\"");
  EXPECT_EQ(parse_error("[agent]\nbatch_size = 64.5\n"),
            "cartpole.toml:2: agent.batch_size must be an integer, got float 64.5");
  EXPECT_EQ(parse_error("[train]\ntotal_steps = 5e4\n"),
            "cartpole.toml:2: train.total_steps must be an integer, got float 50000.0 (write 50000 for an integer)");
  EXPECT_EQ(parse_error("[agent]\ngamma = \"0.99\"\n"), "cartpole.toml:2: agent.gamma must be a float, got string \"0.99\"");
  EXPECT_EQ(parse_error("[agent]\ndueling = 1\n"), "cartpole.toml:2: agent.dueling must be a boolean, got integer 1");
  EXPECT_EQ(parse_error("[agent]\noptimizer = true\n"),
            "cartpole.toml:2: agent.optimizer must be a string, got boolean true");
  EXPECT_EQ(parse_error("name = 3\n"), "cartpole.toml:1: name must be a string, got integer 3");
  EXPECT_EQ(parse_error("[agent]\nhidden = 256\n"),
            "cartpole.toml:2: agent.hidden must be an array of integers, got integer 256");
  EXPECT_EQ(parse_error("[agent]\nhidden = [\n  256,\n  \"wide\",\n]\n"),
            "cartpole.toml:4: agent.hidden[1] must be an integer, got string \"wide\"");
  EXPECT_EQ(parse_error("[agent]\nhidden = [64, 64.0]\n"),
            "cartpole.toml:2: agent.hidden[1] must be an integer, got float 64.0");
  EXPECT_EQ(parse_error("[agent]\ngamma = [0.99]\n"), "cartpole.toml:2: agent.gamma must be a float, got array [0.99]");
  EXPECT_EQ(parse_error("[agent]\nhidden = { a = 1 }\n"),
            "cartpole.toml:2: agent.hidden must be an array of integers, got table { a = 1 }");
  EXPECT_EQ(parse_error("[agent]\ntorso = 1979-05-27\n"),
            "cartpole.toml:2: agent.torso must be a string, got date 1979-05-27");
  EXPECT_EQ(parse_error("\nagent = 5\n"), "cartpole.toml:2: agent must be a table ([agent]), got integer 5");
  EXPECT_EQ(parse_error("[env]\noptions = 3\n"), "cartpole.toml:2: env.options must be a table, got integer 3");
  EXPECT_EQ(parse_error("[env.options]\nsizes = [1, 2]\n"),
            "cartpole.toml:2: env.options.sizes must be a boolean, integer, float or string, got array [1, 2]");
}

TEST(ParseErrors, OutOfRange) {
  EXPECT_EQ(parse_error("[agent]\nbatch_size = -64\n"), "cartpole.toml:2: agent.batch_size must be >= 1, got -64");
  EXPECT_EQ(parse_error("[replay]\ncapacity = 0\n"), "cartpole.toml:2: replay.capacity must be >= 1, got 0");
  EXPECT_EQ(parse_error("[agent]\nlearning_starts = -1\n"),
            "cartpole.toml:2: agent.learning_starts must be >= 0, got -1");
  EXPECT_EQ(parse_error("[agent]\ngamma = 1.5\n"), "cartpole.toml:2: agent.gamma must be in [0.0, 1.0], got 1.5");
  EXPECT_EQ(parse_error("[agent]\ngamma = -0.1\n"), "cartpole.toml:2: agent.gamma must be in [0.0, 1.0], got -0.1");
  EXPECT_EQ(parse_error("[agent]\ngamma = nan\n"), "cartpole.toml:2: agent.gamma must be in [0.0, 1.0], got nan");
  EXPECT_EQ(parse_error("[agent]\nexploration_fraction = 2\n"),
            "cartpole.toml:2: agent.exploration_fraction must be in [0.0, 1.0], got 2.0");
  EXPECT_EQ(parse_error("[agent]\nexploration_final_eps = -0.05\n"),
            "cartpole.toml:2: agent.exploration_final_eps must be in [0.0, 1.0], got -0.05");
  EXPECT_EQ(parse_error("[agent]\nexploration_initial_eps = 1.01\n"),
            "cartpole.toml:2: agent.exploration_initial_eps must be in [0.0, 1.0], got 1.01");
  EXPECT_EQ(parse_error("[agent]\ntau = 0\n"), "cartpole.toml:2: agent.tau must be in (0, 1.0], got 0.0");
  EXPECT_EQ(parse_error("[agent]\nlearning_rate = 0\n"), "cartpole.toml:2: agent.learning_rate must be > 0, got 0.0");
  EXPECT_EQ(parse_error("[agent]\ngradient_steps = 0\n"),
            "cartpole.toml:2: agent.gradient_steps must be >= 1 or -1 (as many as env steps collected), got 0");
  EXPECT_EQ(parse_error("[agent]\nhidden = []\n"), "cartpole.toml:2: agent.hidden must not be empty");
  EXPECT_EQ(parse_error("[agent]\nhidden = [64, -1]\n"),
            "cartpole.toml:2: agent.hidden must hold widths >= 1, got [64, -1]");
  EXPECT_EQ(parse_error("[replay]\nn_step = 0\n"), "cartpole.toml:2: replay.n_step must be >= 1, got 0");
  EXPECT_EQ(parse_error("[replay]\nbeta = 1.5\n"), "cartpole.toml:2: replay.beta must be in [0.0, 1.0], got 1.5");
  EXPECT_EQ(parse_error("[env]\nnum_envs = 0\n"), "cartpole.toml:2: env.num_envs must be >= 1, got 0");
  EXPECT_EQ(parse_error("[env]\npreset = \"nature\"\n"),
            "cartpole.toml:2: env.preset must be one of \"\", \"atari\"; got \"nature\"");
  EXPECT_EQ(parse_error("[env]\nnum_envs = 3000000000\n"),
            "cartpole.toml:2: env.num_envs must be <= 2147483647, got 3000000000");
  EXPECT_EQ(parse_error("[env]\nid = \"\"\n"), "cartpole.toml:2: env.id must not be empty");
  EXPECT_EQ(parse_error("[train]\nseed = -1\n"), "cartpole.toml:2: train.seed must be >= 0, got -1");
  EXPECT_EQ(parse_error("[train]\nfinal_eval_episodes = 0\n"),
            "cartpole.toml:2: train.final_eval_episodes must be >= 1, got 0");
}

TEST(ParseErrors, UnknownEnumValuesListTheAllowedOnes) {
  EXPECT_EQ(parse_error("[agent]\noptimizer = \"sgd\"\n"),
            "cartpole.toml:2: agent.optimizer must be one of \"adam\", \"rmsprop\"; got \"sgd\"");
  EXPECT_EQ(parse_error("[agent]\nloss = \"l1\"\n"),
            "cartpole.toml:2: agent.loss must be one of \"huber\", \"mse\"; got \"l1\"");
  EXPECT_EQ(parse_error("[agent]\ntorso = \"resnet\"\n"),
            "cartpole.toml:2: agent.torso must be one of \"mlp\", \"nature_cnn\", \"minatar_cnn\"; got \"resnet\"");
  EXPECT_EQ(parse_error("[train]\nalgo = \"ppo\"\n"), "cartpole.toml:2: train.algo must be one of \"dqn\"; got \"ppo\"");
}

TEST(ParseErrors, SyntaxErrorsGiveFileAndLine) {
  const auto m = parse_error("[agent]\ngamma = 0.99\nbatch_size = \n");
  EXPECT_EQ(m.rfind("cartpole.toml:3: ", 0), 0u) << m;
  EXPECT_GT(m.size(), std::string("cartpole.toml:3: ").size());
  const auto dup = parse_error("[agent]\ngamma = 0.99\n\ngamma = 0.9\n");
  EXPECT_EQ(dup.rfind("cartpole.toml:4: ", 0), 0u) << dup;
  EXPECT_NE(dup.find("gamma"), std::string::npos) << dup;
  const auto header = parse_error("name = \"x\"\n[agent\n");
  EXPECT_EQ(header.rfind("cartpole.toml:2: ", 0), 0u) << header;
}

TEST(ParseErrors, TheFirstMistakeInTheFileIsReported) {
  // toml++ keeps keys sorted; the error must still be the earliest one.
  EXPECT_EQ(parse_error("[train]\nzzz = 1\n[agent]\naaa = 1\n"),
            "cartpole.toml:2: unknown key 'zzz' in [train] (known keys: 'algo', 'total_steps', 'seed', 'threads', "
            "'eval_every', 'eval_episodes', 'final_eval_episodes', 'checkpoint_every', 'keep_checkpoints', "
            "'log_every', 'record_every')");
  EXPECT_EQ(parse_error("[agent]\nlearning_rate = \"x\"\nbatch_size = \"y\"\n"),
            "cartpole.toml:2: agent.learning_rate must be a float, got string \"x\"");
}

TEST(ParseErrors, SourceNameIsUsedVerbatim) {
  EXPECT_EQ(parse_error("[agent]\ngamma = 2\n", "<embedded>"), "<embedded>:2: agent.gamma must be in [0.0, 1.0], got 2.0");
  EXPECT_EQ(parse_error("[agent]\ngamma = 2\n", "configs/x.toml"),
            "configs/x.toml:2: agent.gamma must be in [0.0, 1.0], got 2.0");
}

// ---------------------------------------------------------------------------
// Overrides
// ---------------------------------------------------------------------------

TEST(ApplyOverride, SetsEveryType) {
  ExperimentConfig c;
  apply_override(c, "agent.learning_rate=3e-4");
  apply_override(c, "agent.gamma=1");  // integer for a float key
  apply_override(c, "agent.batch_size=256");
  apply_override(c, "agent.double_q=true");
  apply_override(c, "agent.optimizer=rmsprop");      // bare string
  apply_override(c, "agent.loss=\"mse\"");           // TOML string
  apply_override(c, "agent.hidden=[64,64]");
  apply_override(c, "train.seed=7");
  apply_override(c, "replay.capacity=1_000");
  apply_override(c, "env.id=ALE/Breakout-v5");
  apply_override(c, "name=my run");
  apply_override(c, " train.total_steps = 123 ");  // spaces around key and value
  EXPECT_DOUBLE_EQ(c.agent.learning_rate, 3e-4);
  EXPECT_DOUBLE_EQ(c.agent.gamma, 1.0);
  EXPECT_EQ(c.agent.batch_size, 256);
  EXPECT_TRUE(c.agent.double_q);
  EXPECT_EQ(c.agent.optimizer, "rmsprop");
  EXPECT_EQ(c.agent.loss, "mse");
  EXPECT_EQ(c.agent.hidden, (std::vector<std::int64_t>{64, 64}));
  EXPECT_EQ(c.train.seed, 7u);
  EXPECT_EQ(c.replay.capacity, 1000);
  EXPECT_EQ(c.env.id, "ALE/Breakout-v5");
  EXPECT_EQ(c.name, "my run");
  EXPECT_EQ(c.train.total_steps, 123);
}

TEST(ApplyOverride, StringKeysTakeTextThatLooksLikeAnotherType) {
  ExperimentConfig c;
  apply_override(c, "name=123");
  EXPECT_EQ(c.name, "123");
  apply_override(c, "name=true");
  EXPECT_EQ(c.name, "true");
}

TEST(ApplyOverride, AppliesInOrder) {
  ExperimentConfig c = default_experiment();
  for (const char* s : {"agent.batch_size=16", "agent.batch_size=32", "agent.hidden=[8]", "agent.hidden=[8, 16, 32]"})
    apply_override(c, s);
  EXPECT_EQ(c.agent.batch_size, 32);
  EXPECT_EQ(c.agent.hidden, (std::vector<std::int64_t>{8, 16, 32}));
  EXPECT_DOUBLE_EQ(c.agent.learning_rate, 2.3e-3);  // the rest stays
}

TEST(ApplyOverride, EnvOptionsInferTheirType) {
  ExperimentConfig c;
  apply_override(c, "env.options.sticky=true");
  apply_override(c, "env.options.frameskip=4");
  apply_override(c, "env.options.gravity=9.8");
  apply_override(c, "env.options.scale=1e-3");
  apply_override(c, "env.options.mode=hard");
  apply_override(c, "env.options.quoted=\"4\"");
  apply_override(c, "env.options.list=[1,2]");  // not a scalar: kept as text
  const auto& o = c.env.options;
  EXPECT_EQ(o.items().at("sticky"), OptionValue(true));
  EXPECT_EQ(o.items().at("frameskip"), OptionValue(std::int64_t{4}));
  EXPECT_EQ(o.items().at("gravity"), OptionValue(9.8));
  EXPECT_EQ(o.items().at("scale"), OptionValue(1e-3));
  EXPECT_EQ(o.items().at("mode"), OptionValue(std::string("hard")));
  EXPECT_EQ(o.items().at("quoted"), OptionValue(std::string("4")));
  EXPECT_EQ(o.items().at("list"), OptionValue(std::string("[1,2]")));
  apply_override(c, "env.options.frameskip=5");  // replaces
  EXPECT_EQ(o.get_int("frameskip"), 5);
}

TEST(ApplyOverride, UnknownKeysAndBadValuesNameTheSetting) {
  EXPECT_EQ(override_error("agent.learnig_rate=1e-3"),
            "--set agent.learnig_rate: unknown key 'learnig_rate' in [agent] (did you mean 'learning_rate'?)");
  EXPECT_EQ(override_error("agnet.gamma=0.9"), "--set agnet.gamma: unknown table [agnet] (did you mean [agent]?)");
  EXPECT_EQ(override_error("gamma=0.9"),
            "--set gamma: unknown key 'gamma' at the top level (known keys: 'name', 'env', 'agent', 'replay', "
            "'train')");
  EXPECT_EQ(override_error("agent.batch_size=0.5"),
            "--set agent.batch_size: agent.batch_size must be an integer, got float 0.5");
  EXPECT_EQ(override_error("agent.batch_size=abc"),
            "--set agent.batch_size: agent.batch_size must be an integer, got 'abc'");
  EXPECT_EQ(override_error("agent.batch_size=0"), "--set agent.batch_size: agent.batch_size must be >= 1, got 0");
  EXPECT_EQ(override_error("agent.gamma=2"), "--set agent.gamma: agent.gamma must be in [0.0, 1.0], got 2.0");
  EXPECT_EQ(override_error("agent.optimizer=sgd"),
            "--set agent.optimizer: agent.optimizer must be one of \"adam\", \"rmsprop\"; got \"sgd\"");
  EXPECT_EQ(override_error("agent.hidden=[64,\"x\"]"),
            "--set agent.hidden: agent.hidden[1] must be an integer, got string \"x\"");
  EXPECT_EQ(override_error("agent.dueling=yes"), "--set agent.dueling: agent.dueling must be a boolean, got 'yes'");
  EXPECT_EQ(override_error("agent.batch_size"), "--set agent.batch_size: expected table.key=value");
  EXPECT_EQ(override_error("agent=3"), "--set agent: expected agent.KEY=VALUE");
  EXPECT_EQ(override_error("env.options=3"), "--set env.options: expected env.options.KEY=VALUE");
  EXPECT_EQ(override_error("env.options.=3"), "--set env.options.: expected env.options.KEY=VALUE");
  EXPECT_EQ(override_error("=3"), "--set : expected table.key=value");
}

TEST(ApplyOverride, LeavesTheConfigUnchangedOnError) {
  ExperimentConfig c = default_experiment();
  EXPECT_THROW(apply_override(c, "agent.batch_size=-1"), ConfigError);
  EXPECT_TRUE(c == default_experiment());
}

// ---------------------------------------------------------------------------
// to_toml and equality
// ---------------------------------------------------------------------------

TEST(ToToml, RoundTripsTheDefaults) {
  const ExperimentConfig defaults;
  EXPECT_TRUE(parse_experiment(to_toml(defaults), "<resolved>") == defaults) << to_toml(defaults);
  const ExperimentConfig zoo = default_experiment();
  EXPECT_TRUE(parse_experiment(to_toml(zoo), "<resolved>") == zoo) << to_toml(zoo);
  EXPECT_FALSE(defaults == zoo);
}

TEST(ToToml, RoundTripsEveryKindOfValue) {
  ExperimentConfig c;
  c.name = "quotes \" and \\ backslash\ttab\nnewline";
  c.env.id = "MinAtar/Breakout-v1";
  c.env.num_envs = 16;
  c.env.options.set("sticky", true);
  c.env.options.set("frameskip", std::int64_t{-3});
  c.env.options.set("gravity", 9.8);
  c.env.options.set("whole", 2.0);  // a float that prints like an integer
  c.env.options.set("mode", std::string("hard"));
  c.env.options.set("odd key.with dots", std::string("x"));
  c.agent.hidden = {1, 2, 3, 4};
  c.agent.learning_rate = 0.1 + 0.2;  // not a short decimal
  c.agent.adam_eps = 1.5e-300;
  c.agent.max_grad_norm = 0;
  c.agent.gradient_steps = -1;
  c.agent.dueling = true;
  c.replay.capacity = 123'456'789'012;
  c.train.seed = 9'223'372'036'854'775'807ull;
  const std::string text = to_toml(c);
  const ExperimentConfig back = parse_experiment(text, "<resolved>");
  EXPECT_TRUE(back == c) << text << "\n---\n" << to_toml(back);
  EXPECT_EQ(back.env.options.items().at("whole"), OptionValue(2.0));
  EXPECT_EQ(to_toml(back), text);
}

TEST(ToToml, WritesEveryKey) {
  const std::string text = to_toml(ExperimentConfig{});
  for (const char* key : {"name = ", "\n[env]\n", "\nid = ", "\nnum_envs = ", "\n[env.options]\n", "\n[agent]\n",
                          "\nlearning_rate = ", "\nhidden = [64, 64]\n", "\nexploration_fraction = ", "\n[replay]\n",
                          "\ncapacity = ", "\ncompact_frames = false\n", "\n[train]\n", "\nfinal_eval_episodes = 20\n",
                          "\nlog_every = "})
    EXPECT_NE(text.find(key), std::string::npos) << key;
}

TEST(Equality, EveryKeyCounts) {
  const ExperimentConfig base;
  const std::vector<std::string> changes = {
      "name=other",           "env.id=Acrobot-v1",       "env.num_envs=2",         "env.options.x=1",  "env.preset=atari",
      "agent.torso=nature_cnn", "agent.hidden=[64]",     "agent.dueling=true",     "agent.gamma=0.5",
      "agent.adam_eps=1e-5",  "agent.rmsprop_centered=true", "agent.tau=0.005",    "replay.n_step=3",
      "replay.alpha=0.5",     "train.seed=1",            "train.keep_checkpoints=1", "train.log_every=10",
      "train.record_every=5"};
  for (const auto& change : changes) {
    ExperimentConfig c;
    apply_override(c, change);
    EXPECT_FALSE(c == base) << change;
    EXPECT_TRUE(c != base) << change;
  }
  EXPECT_TRUE(ExperimentConfig{} == base);
}

}  // namespace
}  // namespace arena
