#include <gtest/gtest.h>

#include "envs/core/registry.h"
#include "walk_env.h"

namespace arena {
namespace {

using testing::WalkEnv;

Registry walk_registry() {
  Registry r;
  EnvDefaults d;
  d.max_episode_steps = 20;
  d.reward_threshold = 15.0;
  d.kwargs = Options{{"speed", 1.0}, {"hard", false}, {"lives", std::int64_t{3}}, {"mode", std::string("a")}};
  r.add("Walk-v0", [](const Options&) { return std::make_unique<WalkEnv>(); }, d);
  r.add("Walk-v1", [](const Options&) { return std::make_unique<WalkEnv>(); });
  r.add("Acme/Runner-v2", [](const Options&) { return std::make_unique<WalkEnv>(); });
  return r;
}

TEST(Registry, MakeSetsTheSpecAndAppliesTheTimeLimit) {
  const Registry r = walk_registry();
  auto env = r.make("Walk-v0", {{"speed", std::int64_t{2}}});
  EXPECT_EQ(env->spec().id, "Walk-v0");
  EXPECT_EQ(env->spec().max_episode_steps, 20);
  EXPECT_EQ(env->spec().reward_threshold, 15.0);
  EXPECT_EQ(env->spec().kwargs.get_double("speed"), 2.0);  // an int stands for a float
  EXPECT_EQ(env->spec().kwargs.get_int("lives"), 3);       // defaults filled in
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 1);
  int steps = 0;
  StepResult s;
  // Alternate actions so the walker stays inside [-5, 5]: only the limit ends it.
  do {
    s = env->step(steps % 2, obs.view());
    ++steps;
  } while (!s.done());
  EXPECT_EQ(steps, 20);
  EXPECT_TRUE(s.truncated);
  EXPECT_FALSE(s.terminated);
}

TEST(Registry, StepLimitCanBeOverriddenOrRemoved) {
  const Registry r = walk_registry();
  EXPECT_EQ(r.make("Walk-v0", {}, 5)->spec().max_episode_steps, 5);
  EXPECT_FALSE(r.make("Walk-v0", {}, 0)->spec().max_episode_steps.has_value());
  EXPECT_FALSE(r.make("Walk-v1")->spec().max_episode_steps.has_value());
}

TEST(Registry, UnknownIdSuggestsTheClosest) {
  const Registry r = walk_registry();
  try {
    r.make("Walk-v3");
    FAIL() << "no error";
  } catch (const UnknownEnvError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("unknown environment id 'Walk-v3'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'Walk-v0'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'Walk-v1'"), std::string::npos) << msg;
  }
  EXPECT_EQ(r.closest("walk")[0].substr(0, 5), "Walk-");
  EXPECT_EQ(r.closest("Acme/Runner")[0], "Acme/Runner-v2");
  EXPECT_TRUE(r.closest("CompletelyDifferentThing-v9").empty());
}

TEST(Registry, BadOptionsNameTheKey) {
  const Registry r = walk_registry();
  try {
    r.make("Walk-v0", {{"sped", 1.0}});
    FAIL();
  } catch (const OptionError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'sped'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("speed"), std::string::npos) << msg;  // lists the known keys
  }
  try {
    r.make("Walk-v0", {{"hard", std::string("yes")}});
    FAIL();
  } catch (const OptionError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'hard'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("bool"), std::string::npos) << msg;
  }
  EXPECT_THROW(r.make("Walk-v0", {{"lives", 2.5}}), OptionError);  // a float is not an int
  EXPECT_THROW(r.make("Walk-v1", {{"anything", 1.0}}), OptionError);
}

TEST(Registry, RejectsBadRegistrations) {
  Registry r = walk_registry();
  auto f = [](const Options&) { return std::make_unique<WalkEnv>(); };
  EXPECT_THROW(r.add("Walk-v0", f), std::invalid_argument);     // duplicate
  EXPECT_THROW(r.add("Walk", f), std::invalid_argument);        // no version
  EXPECT_THROW(r.add("Walk-v9", nullptr), std::invalid_argument);
  EXPECT_EQ(r.ids(), (std::vector<std::string>{"Acme/Runner-v2", "Walk-v0", "Walk-v1"}));
}

TEST(Options, ParseAsUsesTheDefaultsType) {
  EXPECT_EQ(std::get<double>(Options::parse_as(1.0, "g", "9.81")), 9.81);
  EXPECT_EQ(std::get<std::int64_t>(Options::parse_as(std::int64_t{1}, "n", "42")), 42);
  EXPECT_EQ(std::get<bool>(Options::parse_as(false, "b", "true")), true);
  EXPECT_EQ(std::get<std::string>(Options::parse_as(std::string(), "s", "x y")), "x y");
  EXPECT_THROW(Options::parse_as(1.0, "g", "fast"), OptionError);
  EXPECT_THROW(Options::parse_as(std::int64_t{1}, "n", "4.5"), OptionError);
  EXPECT_THROW(Options::parse_as(false, "b", "maybe"), OptionError);
}

TEST(Env, StepBeforeResetAndBadBuffersAreErrors) {
  WalkEnv env;
  Array obs = env.observation_space().make_array();
  EXPECT_THROW(env.step(0, obs.view()), std::logic_error);
  env.reset(obs.view(), 3);
  EXPECT_THROW(env.step(2, obs.view()), std::out_of_range);
  Array wrong(DType::UInt8, {2});
  EXPECT_THROW(env.step(0, wrong.view()), std::invalid_argument);
  EXPECT_THROW(env.reset(wrong.view()), std::invalid_argument);
  const float box_action[1] = {0.f};
  EXPECT_THROW(env.step(std::span<const float>(box_action), obs.view()), std::invalid_argument);
  EXPECT_NO_THROW(env.step(1, obs.view()));
}

TEST(Env, SeedingFollowsGymnasium) {
  WalkEnv a, b;
  Array oa = a.observation_space().make_array(), ob = b.observation_space().make_array();
  a.reset(oa.view(), 11);
  b.reset(ob.view(), 11);
  EXPECT_EQ(oa, ob);  // same seed, same start
  a.reset(oa.view());
  const float continued = oa.data<float>()[0];
  b.reset(ob.view(), 11);
  EXPECT_NE(continued, ob.data<float>()[0]);  // reset() continued the stream
  b.reset(ob.view());
  EXPECT_EQ(continued, ob.data<float>()[0]);  // ... reproducibly
  EXPECT_THROW(a.reset(oa.view(), 1, {{"hight", 1.0}}), OptionError);
  a.reset(oa.view(), 1, {{"low", 0.5}});
  EXPECT_GE(oa.data<float>()[0], 0.5f);
}

}  // namespace
}  // namespace arena
