#include "envs/classic/classic_control.h"

#include <memory>
#include <string>

#include "envs/classic/acrobot.h"
#include "envs/classic/cartpole.h"
#include "envs/classic/continuous_mountain_car.h"
#include "envs/classic/mountain_car.h"
#include "envs/classic/pendulum.h"
#include "envs/core/registry.h"

namespace arena {

ResetBounds parse_reset_bounds(const Options& options, double default_low, double default_high,
                               std::string_view context) {
  if (options.empty()) return {default_low, default_high};  // the common case allocates nothing
  const std::string where = "reset options of " + std::string(context);
  options.require_only({"low", "high"}, where);
  const ResetBounds b{options.get_double_or("low", default_low), options.get_double_or("high", default_high)};
  if (b.low > b.high)
    throw OptionError(where + ": low (" + option_to_string(b.low) + ") must not exceed high (" +
                      option_to_string(b.high) + ")");
  return b;
}

void register_classic_control(Registry& registry) {
  registry.add(
      "CartPole-v1", [](const Options& o) { return std::make_unique<CartPole>(o); },
      EnvDefaults{500, 475.0, Options{{"sutton_barto_reward", false}}});
  registry.add(
      "MountainCar-v0", [](const Options& o) { return std::make_unique<MountainCar>(o); },
      EnvDefaults{200, -110.0, Options{{"goal_velocity", 0.0}}});
  registry.add(
      "MountainCarContinuous-v0", [](const Options& o) { return std::make_unique<ContinuousMountainCar>(o); },
      EnvDefaults{999, 90.0, Options{{"goal_velocity", 0.0}}});
  registry.add(
      "Acrobot-v1", [](const Options& o) { return std::make_unique<Acrobot>(o); }, EnvDefaults{500, -100.0, Options{}});
  registry.add(
      "Pendulum-v1", [](const Options& o) { return std::make_unique<Pendulum>(o); },
      EnvDefaults{200, std::nullopt, Options{{"g", 10.0}}});
}

}  // namespace arena
