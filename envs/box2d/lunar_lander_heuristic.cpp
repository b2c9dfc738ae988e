#include "envs/box2d/lunar_lander_heuristic.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace arena {

namespace {

struct Command {
  float angle, hover;
};

Command command(std::span<const float> s) {
  if (s.size() < 8) throw std::invalid_argument("lunar_lander_heuristic: the observation needs 8 floats");
  // Point towards the pad, but never lean more than 0.4 rad (22 degrees).
  const float angle_target = std::clamp(s[0] * 0.5f + s[2] * 1.0f, -0.4f, 0.4f);
  // Fly higher the further off-centre the lander is.
  const float hover_target = 0.55f * std::abs(s[0]);
  Command t;
  t.angle = (angle_target - s[4]) * 0.5f - s[5] * 1.0f;
  t.hover = (hover_target - s[1]) * 0.5f - s[3] * 0.5f;
  if (s[6] != 0.0f || s[7] != 0.0f) {  // on the ground: only brake the fall
    t.angle = 0.0f;
    t.hover = -s[3] * 0.5f;
  }
  return t;
}

}  // namespace

std::int64_t lunar_lander_heuristic_discrete(std::span<const float> obs) {
  const Command t = command(obs);
  if (t.hover > std::abs(t.angle) && t.hover > 0.05f) return 2;
  if (t.angle < -0.05f) return 3;
  if (t.angle > +0.05f) return 1;
  return 0;
}

std::array<float, 2> lunar_lander_heuristic_continuous(std::span<const float> obs) {
  const Command t = command(obs);
  return {std::clamp(t.hover * 20.0f - 1.0f, -1.0f, 1.0f), std::clamp(-t.angle * 20.0f, -1.0f, 1.0f)};
}

}  // namespace arena
