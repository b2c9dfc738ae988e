// docs/adding-an-environment.md cannot rot: its example env is compiled here,
// must pass every conformance check, and every code block of the tutorial
// must appear verbatim in docs/examples/chase.h.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "docs/examples/chase.h"
#include "envs/core/checker.h"

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Tutorial, ExampleEnvPassesTheChecker) {
  arena::Registry registry;
  example::register_chase(registry);
  const arena::CheckReport report = arena::check_env(registry, "Chase-v0");
  EXPECT_TRUE(report.passed()) << report.format();
  EXPECT_EQ(registry.spec("Chase-v0").max_episode_steps, 200);
  auto env = registry.make("Chase-v0", {{"step_size", 0.1}});
  EXPECT_EQ(env->spec().kwargs.get_double("step_size"), 0.1);
}

TEST(Tutorial, ChasingTheTargetCatchesIt) {
  arena::Registry registry;
  example::register_chase(registry);
  auto env = registry.make("Chase-v0");
  arena::Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 5);
  arena::StepResult r;
  int steps = 0;
  do {
    const float* o = obs.data<float>();
    const float dx = o[2] - o[0], dy = o[3] - o[1];
    const std::int64_t a = std::abs(dx) > std::abs(dy) ? (dx > 0 ? 4 : 3) : (dy > 0 ? 1 : 2);
    r = env->step(a, obs.view());
    ++steps;
  } while (!r.done());
  EXPECT_TRUE(r.terminated);
  EXPECT_LT(steps, 60);
}

TEST(Tutorial, CodeBlocksAreTheCompiledExample) {
  const std::string doc = slurp(std::string(ARENA_SOURCE_DIR) + "/docs/adding-an-environment.md");
  const std::string code = slurp(std::string(ARENA_SOURCE_DIR) + "/docs/examples/chase.h");
  ASSERT_FALSE(doc.empty());
  std::size_t pos = 0, blocks = 0;
  const std::string open = "```cpp\n", close = "```\n";
  while ((pos = doc.find(open, pos)) != std::string::npos) {
    const std::size_t start = pos + open.size();
    const std::size_t end = doc.find(close, start);
    ASSERT_NE(end, std::string::npos);
    const std::string block = doc.substr(start, end - start);
    pos = end + close.size();
    if (block.find("// (not from the example)") != std::string::npos) continue;
    ++blocks;
    EXPECT_NE(code.find(block), std::string::npos) << "this tutorial block is not in docs/examples/chase.h:\n"
                                                   << block;
  }
  EXPECT_GE(blocks, 3u);
}

}  // namespace
