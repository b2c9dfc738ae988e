// MinAtar Freeway: a chicken crosses eight lanes of traffic.
//
//   channels  0 chicken, 1 car, 2-6 trail of a car of speed 1..5 (the trail
//             cell is behind the car and gives its direction)
//   actions   minimal set: n, u, d
//   rules     The chicken stays in column 4 and may move one row up or down
//             at most once every 3 steps. Reaching row 0 pays +1, sends the
//             chicken back to row 9 and redraws every car's speed. The car of
//             lane i (row i + 1) has a speed s uniform in 1..5 and a random
//             direction, moves one cell every s + 1 steps and wraps around the
//             edges (trail channel 1 + s tells s); a car that shares
//             the chicken's cell, before or after it moves, sends the chicken
//             back to row 9. The game ends on the 2501st step (a 2500-step
//             timer that ends the game when it runs below zero). No difficulty
//             ramping.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "envs/core/rng.h"
#include "envs/minatar/minatar_game.h"

namespace arena::minatar {

struct Freeway {
  static constexpr std::string_view kName = "Freeway";
  static constexpr int kChannels = 7;
  static constexpr std::array<std::string_view, kChannels> kChannelNames = {"chicken", "car",    "speed1", "speed2",
                                                                            "speed3",  "speed4", "speed5"};
  static constexpr std::array<std::uint8_t, 3> kMinimalActions = {kNoop, kUp, kDown};
  static constexpr int kPlayerSpeed = 3;
  static constexpr int kTimeLimit = 2500;

  struct Car {
    std::int8_t x = 0;
    std::int8_t timer = 0;  // steps until the next move
    std::int8_t speed = 1;  // +-1..5: the sign is the direction; a car moves every |speed| + 1 steps
  };

  std::array<Car, 8> cars{};  // car i drives on row i + 1
  std::int8_t pos = 9;        // the chicken's row
  std::int8_t move_timer = kPlayerSpeed;
  std::int16_t terminate_timer = kTimeLimit;

  void reset(Rng& rng, bool ramping);
  StepOutcome act(int action, Rng& rng);
  void observe(std::uint8_t* out) const;
  int difficulty_ramp() const { return 0; }

  // Draws every car's speed (1..5) and then every car's direction.
  void randomize_cars(Rng& rng, bool initialize);
};

}  // namespace arena::minatar
