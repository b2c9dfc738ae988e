// The shared conformance suite: every registered id passes every check.
#include <gtest/gtest.h>

#include <regex>

#include "envs/builtin.h"
#include "envs/core/checker.h"
#include "envs/core/registry.h"

namespace arena {
namespace {

const Registry& builtin() {
  static const Registry registry = [] {
    Registry r;
    register_builtin_envs(r);
    return r;
  }();
  return registry;
}

class Conformance : public ::testing::TestWithParam<std::string> {};

TEST_P(Conformance, PassesEveryCheck) {
  const CheckReport report = check_env(builtin(), GetParam());
  EXPECT_TRUE(report.passed()) << report.format();
}

TEST_P(Conformance, SpecIsComplete) {
  const EnvSpec spec = builtin().spec(GetParam());
  EXPECT_EQ(spec.id, GetParam());
  EXPECT_TRUE(std::regex_match(spec.id, std::regex(R"(^([A-Za-z0-9_]+/)?[A-Za-z0-9_]+-v[0-9]+$)")));
  // Every built-in env has a step limit, except the MinAtar games, which (as
  // in MinAtar) run until the game ends.
  if (!spec.id.starts_with("MinAtar/")) {
    EXPECT_TRUE(spec.max_episode_steps.has_value()) << "every built-in env has a step limit";
  }
  EXPECT_GT(spec.render_fps, 0);
}

INSTANTIATE_TEST_SUITE_P(Builtin, Conformance, ::testing::ValuesIn(builtin().ids()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

TEST(Conformance, RegistryHoldsTheClassicControlSuite) {
  for (const char* id : {"CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1", "Pendulum-v1"})
    EXPECT_TRUE(builtin().contains(id)) << id;
}

}  // namespace
}  // namespace arena
