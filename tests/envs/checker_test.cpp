// The checker itself, run against deliberately broken envs: each flaw must be
// reported under the check that covers it, and a sound env must pass.
#include <gtest/gtest.h>

#include "envs/core/checker.h"
#include "walk_env.h"

namespace arena {
namespace {

using testing::Flaw;
using testing::WalkEnv;

CheckReport check(Flaw flaw) {
  CheckOptions o;
  o.steps = 300;
  return check_env([flaw] { return std::make_unique<WalkEnv>(flaw); }, o);
}

TEST(Checker, SoundEnvPassesEveryCheck) {
  const CheckReport r = check(Flaw::None);
  EXPECT_TRUE(r.passed()) << r.format();
  EXPECT_EQ(r.results.size(), check_names().size());
  for (const auto& name : check_names()) EXPECT_NE(r.find(name), nullptr) << name;
}

struct BrokenCase {
  Flaw flaw;
  std::vector<std::string> must_fail;
};

class BrokenEnv : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(BrokenEnv, FailureIsNamedInTheReport) {
  const CheckReport r = check(GetParam().flaw);
  EXPECT_FALSE(r.passed());
  const std::string text = r.format();
  for (const auto& name : GetParam().must_fail) {
    const CheckResult* c = r.find(name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_FALSE(c->passed) << name << "\n" << text;
    EXPECT_FALSE(c->detail.empty()) << name;
    EXPECT_NE(text.find("FAIL  " + name), std::string::npos) << text;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Flaws, BrokenEnv,
    ::testing::Values(BrokenCase{Flaw::ObsOutOfSpace, {"reset_observation", "step_observation"}},
                      BrokenCase{Flaw::NaNReward, {"finite_rewards"}},
                      BrokenCase{Flaw::GlobalState, {"seed_determinism", "reset_reseeds"}},
                      BrokenCase{Flaw::IgnoresSeed, {"seeds_diverge"}},
                      BrokenCase{Flaw::ReseedOnReset, {"reset_continues_rng"}},
                      BrokenCase{Flaw::BlankDraw, {"draw_nonblank"}},
                      BrokenCase{Flaw::InvalidSpace, {"spaces"}},
                      BrokenCase{Flaw::PartialObs, {"reset_observation", "step_observation"}}));

TEST(Checker, OnlyTheFlawedChecksFail) {
  // A NaN reward must not be blamed on seeding or drawing.
  const CheckReport r = check(Flaw::NaNReward);
  EXPECT_EQ(r.failed(), std::vector<std::string>{"finite_rewards"}) << r.format();
  const CheckReport b = check(Flaw::BlankDraw);
  EXPECT_EQ(b.failed(), std::vector<std::string>{"draw_nonblank"}) << b.format();
}

TEST(Checker, DeclaredSeedIndependenceSkipsDivergence) {
  auto make = [] {
    auto env = std::make_unique<WalkEnv>(Flaw::IgnoresSeed);
    return env;
  };
  CheckReport r = check_env(make);
  EXPECT_FALSE(r.find("seeds_diverge")->passed);
  // The same env, declaring it, passes.
  struct Declared : WalkEnv {
    Declared() : WalkEnv(Flaw::IgnoresSeed) { spec_.ignores_seed = true; }
  };
  r = check_env([] { return std::make_unique<Declared>(); });
  EXPECT_TRUE(r.passed()) << r.format();
  EXPECT_TRUE(r.find("seeds_diverge")->skipped);
}

TEST(Checker, ConstructionFailureFailsEveryCheck) {
  const CheckReport r = check_env([]() -> std::unique_ptr<Env> { throw std::runtime_error("no such file"); });
  EXPECT_EQ(r.failed().size(), check_names().size());
  EXPECT_NE(r.format().find("no such file"), std::string::npos);
}

}  // namespace
}  // namespace arena
