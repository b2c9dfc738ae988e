// The classic-control envs do not allocate on the heap in step() or draw().
//
// This file replaces the global operator new/delete (alloc_counter.h) and
// counts every allocation made while 10,000 steps of each env run through the
// registry's wrappers (TimeLimit included). Resets happen outside the counted
// windows.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "envs/alloc_counter.h"
#include "envs/step_allocations.h"
#include "envs/classic/classic_control.h"
#include "envs/core/draw_list.h"
#include "envs/core/registry.h"

namespace arena {
namespace {

const std::vector<std::string> kIds = {"CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1",
                                       "Pendulum-v1"};

class ClassicAlloc : public ::testing::TestWithParam<std::string> {};

TEST(AllocCounter, CountsAllocations) {
  test::AllocCounter counter;
  void* p = ::operator new(64);  // a direct call, which the compiler may not elide
  ::operator delete(p);
  counter.stop();
  EXPECT_EQ(counter.allocations(), 1);
  EXPECT_EQ(counter.deallocations(), 1);
}

TEST_P(ClassicAlloc, StepDoesNotAllocate) {
  Registry registry;
  register_classic_control(registry);
  std::unique_ptr<Env> env = registry.make(GetParam());
  Array obs = env->observation_space().make_array();
  const Space& space = env->action_space();
  Array action = space.make_array();
  Rng rng(7);
  const auto draw_action = [&] {
    // Uniform actions without Space::sample, so that nothing outside the env is counted.
    if (space.is_discrete()) {
      action.data<std::int64_t>()[0] = space.start() + static_cast<std::int64_t>(rng.below(space.n()));
    } else {
      for (std::size_t i = 0; i < space.size(); ++i)
        action.data<float>()[i] = static_cast<float>(rng.uniform(space.low()[i], space.high()[i]));
    }
  };

  const test::StepAllocations r = test::count_step_allocations(*env, obs.view(), 10000, 1, [&] {
    draw_action();
    return action.view();
  });
  EXPECT_EQ(r.allocations, 0) << GetParam() << ": " << r.steps << " steps over " << r.episodes << " episodes";
  EXPECT_EQ(r.deallocations, 0) << GetParam();
}

TEST_P(ClassicAlloc, DrawDoesNotAllocateAfterWarmUp) {
  Registry registry;
  register_classic_control(registry);
  std::unique_ptr<Env> env = registry.make(GetParam());
  Array obs = env->observation_space().make_array();
  Array action = env->action_space().make_array();
  if (env->action_space().is_box()) action.data<float>()[0] = 0.5f;  // Pendulum draws its torque arrow
  env->reset(obs.view(), 3);
  DrawList list;
  env->step(action.view(), obs.view());
  env->draw(list);  // warm-up: the list's buffers reach their size

  test::AllocCounter counter;
  for (int i = 0; i < 100; ++i) {
    env->step(action.view(), obs.view());
    env->draw(list);
  }
  counter.stop();
  EXPECT_FALSE(list.commands().empty());
  EXPECT_EQ(counter.allocations(), 0) << GetParam();
  EXPECT_EQ(counter.deallocations(), 0) << GetParam();
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name;
  for (char c : info.param) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Classic, ClassicAlloc, ::testing::ValuesIn(kIds), test_name);

}  // namespace
}  // namespace arena
