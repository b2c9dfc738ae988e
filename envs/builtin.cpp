#include "envs/builtin.h"

#include "envs/arcade/arcade_env.h"
#include "envs/box2d/bipedal_walker.h"
#include "envs/box2d/car_racing.h"
#include "envs/box2d/lunar_lander.h"
#include "envs/classic/classic_control.h"
#include "envs/core/registry.h"
#include "envs/minatar/minatar.h"

namespace arena {

void register_builtin_envs(Registry& registry) {
  register_classic_control(registry);
  register_bipedal_walker(registry);
  register_car_racing(registry);
  register_lunar_lander(registry);
  register_arcade(registry);
  register_minatar(registry);
}

}  // namespace arena
