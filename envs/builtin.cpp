#include "envs/builtin.h"

#include "envs/classic/classic_control.h"
#include "envs/core/registry.h"

namespace arena {

void register_builtin_envs(Registry& registry) { register_classic_control(registry); }

}  // namespace arena
