// Every environment that ships with Arena.
#pragma once

namespace arena {

class Registry;

// Adds the built-in environments (classic control, ...) to `registry`.
void register_builtin_envs(Registry& registry);

}  // namespace arena
