// The runner: exact resume, corrupt-checkpoint fallback, run directory
// contents, and checkpoints that survive `kill -9` at any moment.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "agents/agent.h"
#include "envs/builtin.h"
#include "envs/core/registry.h"
#include "experiments/checkpoint.h"
#include "experiments/config.h"
#include "experiments/trainer.h"

namespace arena {
namespace {

namespace fs = std::filesystem;

const Registry& builtin() {
  static const Registry r = [] {
    Registry reg;
    register_builtin_envs(reg);
    return reg;
  }();
  return r;
}

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("arena_trainer_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  fs::create_directories(d.parent_path());
  return d;
}

// A small CartPole DQN that trains, evaluates, logs and checkpoints within a second.
ExperimentConfig small_config() {
  ExperimentConfig c = default_experiment();
  c.name = "test";
  c.agent.hidden = {32, 32};
  c.agent.learning_starts = 200;
  c.agent.train_freq = 16;
  c.agent.gradient_steps = 8;
  c.agent.target_update_interval = 100;
  c.agent.batch_size = 32;
  c.replay.capacity = 5000;
  c.train.total_steps = 2000;
  c.train.log_every = 100;
  c.train.eval_every = 500;
  c.train.eval_episodes = 2;
  c.train.final_eval_episodes = 3;
  c.train.checkpoint_every = 400;
  c.train.keep_checkpoints = 5;
  c.train.threads = 1;
  c.train.seed = 7;
  return c;
}

std::vector<std::string> lines(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// metrics.csv without the timing columns (steps_per_s, wall_time: the last two).
std::vector<std::string> deterministic_metrics(const fs::path& run) {
  std::vector<std::string> out;
  for (std::string l : lines(run / "metrics.csv")) {
    for (int k = 0; k < 2; ++k) l = l.substr(0, l.rfind(','));
    out.push_back(l);
  }
  return out;
}

std::vector<float> final_parameters(const fs::path& run) {
  const ExperimentConfig c = load_experiment(run / "config.toml");
  auto agent = make_agent(c, builtin().spec(c.env.id));
  agent->load_policy(run / "final_policy.pt");
  return agent->parameters_flat();
}

TEST(Trainer, RunDirectoryHoldsEverything) {
  TrainOptions o;
  o.run_dir = fresh_dir("contents");
  o.quiet = true;
  const TrainOutcome r = train(builtin(), small_config(), o);
  ASSERT_TRUE(r.finished) << r.error;
  EXPECT_EQ(r.steps, 2000);
  for (const char* f : {"config.toml", "metrics.csv", "eval.csv", "best_policy.pt", "final_policy.pt"})
    EXPECT_TRUE(fs::exists(o.run_dir / f)) << f;
  EXPECT_EQ(lines(o.run_dir / "metrics.csv").size(), 1u + 20u);  // header + every 100 steps
  EXPECT_EQ(lines(o.run_dir / "eval.csv").size(), 1u + 3u + 1u);  // 500, 1000, 1500 and the final one
  bool tb = false;
  for (const auto& e : fs::directory_iterator(o.run_dir))
    tb = tb || e.path().filename().string().rfind("events.out.tfevents.", 0) == 0;
  EXPECT_TRUE(tb);
  const auto cks = list_checkpoints(o.run_dir / "checkpoints");
  ASSERT_FALSE(cks.empty());
  EXPECT_EQ(cks.front().step, 2000);
  for (const auto& ck : cks) EXPECT_NO_THROW(verify_checkpoint(ck.dir));
  EXPECT_EQ(load_experiment(o.run_dir / "config.toml"), small_config());
  // A non-empty run directory is not overwritten.
  EXPECT_THROW(train(builtin(), small_config(), o), std::invalid_argument);
}

TEST(Trainer, ResumedRunIsBitIdentical) {
  TrainOptions straight;
  straight.run_dir = fresh_dir("straight");
  straight.quiet = true;
  ASSERT_TRUE(train(builtin(), small_config(), straight).finished);

  TrainOptions half;
  half.run_dir = fresh_dir("halves");
  half.quiet = true;
  half.stop_after = 1000;
  const TrainOutcome first = train(builtin(), small_config(), half);
  EXPECT_FALSE(first.finished);
  EXPECT_EQ(first.steps, 1000);
  EXPECT_FALSE(fs::exists(half.run_dir / "final_policy.pt"));
  half.stop_after = 0;
  const TrainOutcome second = resume(builtin(), half);
  ASSERT_TRUE(second.finished) << second.error;

  EXPECT_EQ(final_parameters(straight.run_dir), final_parameters(half.run_dir));
  EXPECT_EQ(deterministic_metrics(straight.run_dir), deterministic_metrics(half.run_dir));
  EXPECT_EQ(lines(straight.run_dir / "eval.csv"), lines(half.run_dir / "eval.csv"));
}

TEST(Trainer, CorruptCheckpointFallsBackToThePreviousOne) {
  TrainOptions o;
  o.run_dir = fresh_dir("corrupt");
  o.quiet = true;
  o.stop_after = 1200;
  ASSERT_FALSE(train(builtin(), small_config(), o).finished);
  auto cks = list_checkpoints(o.run_dir / "checkpoints");
  ASSERT_GE(cks.size(), 2u);
  ASSERT_EQ(cks[0].step, 1200);
  // Flip one byte of a file of the newest checkpoint.
  fs::path victim;
  for (const auto& e : fs::recursive_directory_iterator(cks[0].dir))
    if (e.is_regular_file() && e.path().filename() != "MANIFEST" && fs::file_size(e.path()) > 16) victim = e.path();
  ASSERT_FALSE(victim.empty());
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(victim) / 2));
    f.put('\x5a' ^ 0x7f);
  }
  EXPECT_THROW(verify_checkpoint(cks[0].dir), CheckpointError);
  // Truncate a file of the one before: both are refused, with the file named.
  fs::path second;
  for (const auto& e : fs::recursive_directory_iterator(cks[1].dir))
    if (e.is_regular_file() && e.path().filename() == "runner.bin") second = e.path();
  ASSERT_FALSE(second.empty());
  fs::resize_file(second, fs::file_size(second) / 2);
  try {
    verify_checkpoint(cks[1].dir);
    FAIL();
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("runner.bin"), std::string::npos) << e.what();
  }
  o.stop_after = 0;
  const TrainOutcome r = resume(builtin(), o);  // falls back to step 400
  ASSERT_TRUE(r.finished) << r.error;
  // The fallback run is the same run: it matches an uninterrupted one.
  TrainOptions straight;
  straight.run_dir = fresh_dir("corrupt_reference");
  straight.quiet = true;
  ASSERT_TRUE(train(builtin(), small_config(), straight).finished);
  EXPECT_EQ(final_parameters(straight.run_dir), final_parameters(o.run_dir));
  EXPECT_EQ(deterministic_metrics(straight.run_dir), deterministic_metrics(o.run_dir));
}

TEST(Trainer, NonFiniteLossStopsWithoutCheckpointingIt) {
  ExperimentConfig c = small_config();
  c.agent.learning_rate = 1e30;  // diverges within a few updates
  c.agent.max_grad_norm = 0;
  c.agent.learning_starts = 100;
  c.agent.train_freq = 4;
  c.agent.gradient_steps = 1;
  c.train.checkpoint_every = 100;
  TrainOptions o;
  o.run_dir = fresh_dir("nan");
  o.quiet = true;
  const TrainOutcome r = train(builtin(), c, o);
  ASSERT_TRUE(r.failed);
  EXPECT_FALSE(r.finished);
  EXPECT_NE(r.error.find("non-finite"), std::string::npos) << r.error;
  const auto cks = list_checkpoints(o.run_dir / "checkpoints");
  ASSERT_FALSE(cks.empty());
  EXPECT_LE(cks.front().step, r.steps);
  EXPECT_NE(r.error.find(cks.front().dir.string()), std::string::npos) << r.error;
  for (const auto& ck : cks) EXPECT_NO_THROW(verify_checkpoint(ck.dir));
  EXPECT_FALSE(fs::exists(o.run_dir / "final_policy.pt"));
}

TEST(Trainer, ResumeWithoutCheckpointsIsAClearError) {
  TrainOptions o;
  o.run_dir = fresh_dir("empty");
  o.quiet = true;
  EXPECT_THROW(resume(builtin(), o), std::invalid_argument);  // no config.toml
}

// kill -9 at random moments, many of them during a checkpoint: the newest
// complete checkpoint always verifies and loads.
TEST(Trainer, CheckpointsSurviveKillNine) {
  const fs::path dir = fresh_dir("kill");
  fs::create_directories(dir);
  const fs::path cfg = dir.parent_path() / "kill.toml";
  {
    ExperimentConfig c = small_config();
    c.train.total_steps = 1'000'000;
    c.train.checkpoint_every = 50;  // checkpoints back to back
    c.train.eval_every = 0;
    c.train.keep_checkpoints = 2;
    std::ofstream(cfg) << to_toml(c);
  }
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> delay_ms(150, 900);
  int kills = 0, mid_checkpoint = 0;
  std::int64_t last_step = -1;
  for (int i = 0; i < 50; ++i) {
    // Killed before its first checkpoint (a slow start-up): start afresh.
    const bool fresh = i == 0 || !fs::exists(dir / "checkpoints");
    if (fresh) fs::remove_all(dir);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::freopen("/dev/null", "w", stdout);
      ::freopen("/dev/null", "w", stderr);
      if (fresh)
        ::execl(ARENA_BIN, ARENA_BIN, "train", cfg.c_str(), "--run-dir", dir.c_str(), "--quiet", (char*)nullptr);
      else
        ::execl(ARENA_BIN, ARENA_BIN, "train", "--resume", dir.c_str(), "--quiet", (char*)nullptr);
      ::_exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) ++kills;
    if (!fs::exists(dir / "checkpoints")) continue;  // killed before the first checkpoint
    for (const auto& e : fs::directory_iterator(dir / "checkpoints"))
      if (e.path().filename().string().rfind(".tmp-", 0) == 0) ++mid_checkpoint;
    const auto cks = list_checkpoints(dir / "checkpoints");  // also clears leftovers
    if (cks.empty()) continue;                                // killed before the first one
    ASSERT_NO_THROW(verify_checkpoint(cks.front().dir)) << "after kill " << i;
    EXPECT_GE(cks.front().step, last_step);
    last_step = cks.front().step;
  }
  EXPECT_GE(kills, 45);
  EXPECT_GT(last_step, 0);
  // The newest checkpoint loads completely (agent, envs, runner) and training goes on.
  TrainOptions o;
  o.run_dir = dir;
  o.quiet = true;
  o.stop_after = last_step + 100;
  const TrainOutcome r = resume(builtin(), o);
  EXPECT_FALSE(r.failed) << r.error;
  EXPECT_GE(r.steps, last_step + 100);
  std::printf("[          ] %d kills, %d during a checkpoint write, newest checkpoint at step %lld\n", kills,
              mid_checkpoint, static_cast<long long>(last_step));
}

}  // namespace
}  // namespace arena
