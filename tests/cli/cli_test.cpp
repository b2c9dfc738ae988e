// The `arena` binary end to end: output, JSON shapes and exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/run_arena.h"
#include "render/png_writer.h"

namespace {

namespace fs = std::filesystem;

using ::arena::test::Proc;
using ::arena::test::slurp;

Proc arena(const std::string& args) { return ::arena::test::run_arena("", args, "cli_test"); }

TEST(Cli, HelpForEverySubcommand) {
  const Proc top = arena("--help");
  EXPECT_EQ(top.rc, 0);
  for (const char* sub : {"train", "list", "check", "bench", "eval", "render"}) {
    EXPECT_NE(top.out.find(sub), std::string::npos) << sub;
    const Proc r = arena(std::string(sub) + " --help");
    EXPECT_EQ(r.rc, 0) << sub;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << sub << r.out;
  }
}

TEST(Cli, BadUsageExitsTwoWithTheErrorOnStderr) {
  Proc r = arena("bench --frobnicate");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("frobnicate"), std::string::npos) << r.err;
  r = arena("no-such-command");
  EXPECT_EQ(r.rc, 2);
  r = arena("check");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--all"), std::string::npos) << r.err;
  r = arena("check CartPole-v0");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("did you mean 'CartPole-v1'"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(Cli, ListShowsSpacesLimitsAndThresholds) {
  const Proc r = arena("list");
  ASSERT_EQ(r.rc, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  bool found = false;
  while (std::getline(lines, line)) {
    if (line.rfind("CartPole-v1 ", 0) != 0) continue;
    found = true;
    EXPECT_NE(line.find("Discrete(2)"), std::string::npos) << line;
    EXPECT_NE(line.find(" 500 "), std::string::npos) << line;
    EXPECT_NE(line.find(" 475 "), std::string::npos) << line;
    EXPECT_NE(line.find("Box("), std::string::npos) << line;
  }
  EXPECT_TRUE(found) << r.out;
  const auto j = nlohmann::json::parse(arena("list --json").out);
  ASSERT_TRUE(j.is_array());
  EXPECT_GE(j.size(), 5u);
  for (const auto& e : j) {
    EXPECT_TRUE(e.contains("id") && e.contains("observation_space") && e.contains("action_space"));
    if (e["id"] == "Pendulum-v1") {
      EXPECT_TRUE(e["reward_threshold"].is_null());
    }
  }
}

TEST(Cli, CheckPassesAndReportsEachCheck) {
  const Proc r = arena("check CartPole-v1 --steps 300");
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("seed_determinism"), std::string::npos);
  EXPECT_NE(r.out.find("CartPole-v1: passed"), std::string::npos) << r.out;
}

TEST(Cli, BenchJsonHasTheDocumentedKeys) {
  const Proc r = arena("bench CartPole-v1 Pendulum-v1 --num-envs 4 --seconds 0.05 --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 4u);
  for (const auto& e : j) {
    EXPECT_TRUE(e["env"].is_string());
    EXPECT_TRUE(e["num_envs"] == 1 || e["num_envs"] == 4);
    EXPECT_GT(e["steps_per_s"].get<double>(), 1000.0);
  }
}

TEST(Cli, EvalRandomAgent) {
  const Proc r = arena("eval --env CartPole-v1 --agent random --episodes 50 --seed 3 --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["env"], "CartPole-v1");
  EXPECT_EQ(j["episodes"], 50);
  // CartPole pays 1 per step, and a random policy lasts about 22 steps.
  EXPECT_DOUBLE_EQ(j["return_mean"].get<double>(), j["length_mean"].get<double>());
  EXPECT_GT(j["return_mean"].get<double>(), 12.0);
  EXPECT_LT(j["return_mean"].get<double>(), 40.0);
  EXPECT_GT(j["return_std"].get<double>(), 0.0);
  // Reproducible.
  EXPECT_EQ(arena("eval --env CartPole-v1 --episodes 50 --seed 3 --json").out, r.out);
}

TEST(Cli, EvalOptionsAreTypedAndChecked) {
  Proc r = arena("eval --env Pendulum-v1 --episodes 2 --option g=9.81 --json");
  EXPECT_EQ(r.rc, 0) << r.err;
  r = arena("eval --env Pendulum-v1 --episodes 2 --option gg=9.81");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("'gg'"), std::string::npos) << r.err;
  r = arena("eval --env Pendulum-v1 --episodes 2 --option g=strong");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("'g'"), std::string::npos) << r.err;
  r = arena("eval --env CartPole-v1 --agent clever");
  EXPECT_EQ(r.rc, 2);
}

TEST(Cli, RenderWritesAFrameOfTheRequestedSize) {
  const fs::path png = fs::temp_directory_path() / ("arena_cli_render_" + std::to_string(::getpid()) + ".png");
  const Proc r = arena("render CartPole-v1 --seed 1 --steps 5 --size 300x200 --out " + png.string());
  ASSERT_EQ(r.rc, 0) << r.err;
  const arena::Image img = arena::read_png(png.string());
  EXPECT_EQ(img.width, 300);
  EXPECT_EQ(img.height, 200);
  std::size_t differing = 0;
  for (std::size_t i = 3; i < img.rgb.size(); i += 3)
    differing += img.rgb[i] != img.rgb[0] || img.rgb[i + 1] != img.rgb[1] || img.rgb[i + 2] != img.rgb[2];
  EXPECT_GT(differing, 300u);
  fs::remove(png);
  EXPECT_EQ(arena("render CartPole-v1 --size 300by200 --out " + png.string()).rc, 2);
}

TEST(Cli, TrainAndEvaluateARun) {
  const fs::path run = fs::temp_directory_path() / ("arena_cli_train_" + std::to_string(::getpid()));
  fs::remove_all(run);
  const std::string small =
      " --quiet --set train.total_steps=1500 --set agent.learning_starts=200 --set train.eval_every=500"
      " --set train.checkpoint_every=500 --set train.final_eval_episodes=3 --set agent.hidden=[16,16]";
  Proc r = arena("train --seed 4 --run-dir " + run.string() + small);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("run directory: " + run.string()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("final evaluation"), std::string::npos) << r.out;
  r = arena("eval " + run.string() + " --episodes 3 --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* k : {"env", "episodes", "return_mean", "return_std", "length_mean"}) EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["env"], "CartPole-v1");
  // The same directory is not overwritten; --resume of a finished run has nothing left to do.
  EXPECT_EQ(arena("train --run-dir " + run.string() + small).rc, 2);
  r = arena("train --resume " + run.string() + " --quiet");
  EXPECT_EQ(r.rc, 0) << r.err;
  fs::remove_all(run);
}

TEST(Cli, TrainRejectsBadConfigurationWithFileLineAndKey) {
  const fs::path cfg = fs::temp_directory_path() / ("arena_cli_bad_" + std::to_string(::getpid()) + ".toml");
  std::ofstream(cfg) << "name = \"bad\"\n[agent]\ngamma = 0.99\nlearnig_rate = 0.001\n";
  Proc r = arena("train " + cfg.string());
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find(cfg.string() + ":4:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("learnig_rate"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("learning_rate"), std::string::npos) << r.err;  // the suggestion
  r = arena("train --set agent.batch_size=big");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("agent.batch_size"), std::string::npos) << r.err;
  r = arena("train --set env.id=CartPol-v1 --quiet");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("CartPole-v1"), std::string::npos) << r.err;
  r = arena("eval /nonexistent/run");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("not a run directory"), std::string::npos) << r.err;
  fs::remove(cfg);
}

}  // namespace

