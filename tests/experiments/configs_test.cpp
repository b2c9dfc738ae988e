// Every shipped experiment file parses strictly, names a registered env, and
// builds its agent for that env.
#include <gtest/gtest.h>

#include <filesystem>

#include "agents/agent.h"
#include "envs/builtin.h"
#include "envs/core/presets.h"
#include "envs/core/registry.h"
#include "experiments/config.h"
#include "experiments/trainer.h"

namespace arena {
namespace {

TEST(ShippedConfigs, ParseAndBuild) {
  Registry registry;
  register_builtin_envs(registry);
  const std::filesystem::path dir = std::filesystem::path(ARENA_SOURCE_DIR) / "experiments" / "configs";
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".toml") continue;
    ++files;
    SCOPED_TRACE(e.path().string());
    ExperimentConfig c;
    ASSERT_NO_THROW(c = load_experiment(e.path()));
    ASSERT_TRUE(registry.contains(c.env.id)) << c.env.id;
    const EnvSpec spec = make_env(registry, c.env.id, c.env.options, c.env.preset)->spec();
    c.replay.capacity = 1000;  // building the agent only
    EXPECT_NO_THROW(make_agent(c, spec));
    EXPECT_EQ(parse_experiment(to_toml(c), "<round trip>"), c);
  }
  EXPECT_GE(files, 2);
}

}  // namespace
}  // namespace arena
