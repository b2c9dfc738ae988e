// The MinAtar envs do not allocate on the heap in step() or, once its buffers
// have grown, in draw().
//
// This file replaces the global operator new/delete (alloc_counter.h) and
// counts every allocation made while 20,000 random steps of each id run
// through the registry's env. Resets happen outside the counted windows.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "envs/alloc_counter.h"
#include "envs/step_allocations.h"
#include "envs/core/draw_list.h"
#include "envs/core/registry.h"
#include "envs/minatar/minatar.h"

namespace arena {
namespace {

std::vector<std::string> ids() {
  std::vector<std::string> out;
  for (const char* game : {"Asterix", "Breakout", "Freeway", "Seaquest", "SpaceInvaders"})
    for (const char* v : {"-v0", "-v1"}) out.push_back(std::string("MinAtar/") + game + v);
  return out;
}

class MinAtarAlloc : public ::testing::TestWithParam<std::string> {};

TEST_P(MinAtarAlloc, StepDoesNotAllocate) {
  Registry registry;
  register_minatar(registry);
  std::unique_ptr<Env> env = registry.make(GetParam());
  Array obs = env->observation_space().make_array();
  const std::int64_t n = env->action_space().n();
  Rng rng(7);
  const test::StepAllocations r = test::count_step_allocations(
      *env, obs.view(), 20000, 1, [&] { return static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(n))); });
  EXPECT_EQ(r.allocations, 0) << GetParam() << ": " << r.steps << " steps over " << r.episodes << " episodes";
  EXPECT_EQ(r.deallocations, 0) << GetParam();
}

TEST_P(MinAtarAlloc, DrawDoesNotAllocateAfterWarmUp) {
  Registry registry;
  register_minatar(registry);
  std::unique_ptr<Env> env = registry.make(GetParam());
  Array obs = env->observation_space().make_array();
  env->reset(obs.view(), 3);
  DrawList list;
  env->draw(list);  // warm-up: the list's buffers reach their size
  test::AllocCounter counter;
  for (int i = 0; i < 100; ++i) {
    if (env->step(std::int64_t{0}, obs.view()).done()) break;
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

INSTANTIATE_TEST_SUITE_P(MinAtar, MinAtarAlloc, ::testing::ValuesIn(ids()), test_name);

}  // namespace
}  // namespace arena
