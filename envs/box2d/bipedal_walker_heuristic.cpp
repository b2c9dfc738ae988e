#include "envs/box2d/bipedal_walker_heuristic.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace arena {

namespace {

// Observation layout: per leg (base 4 and 9) hip angle, hip speed, knee angle
// + 1, knee speed, shin contact.
constexpr int leg_base(int leg) { return 4 + 5 * leg; }
constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();
// A target takes effect when it was set and is non-zero (Gymnasium tests the
// target's truth value).
bool active(double target) { return !std::isnan(target) && target != 0.0; }

}  // namespace

void BipedalWalkerGait::reset() {
  phase_ = Phase::StayOnOneLeg;
  moving_leg_ = 0;
  supporting_knee_angle_ = kSupportKneeAngle;
}

std::array<float, 4> BipedalWalkerGait::act(std::span<const float> obs) {
  if (obs.size() < 14) throw std::invalid_argument("BipedalWalkerGait::act: needs the 24-float observation");
  const auto s = [&](int i) { return static_cast<double>(obs[static_cast<std::size_t>(i)]); };
  const int moving = moving_leg_, supporting = 1 - moving_leg_;
  const int moving_base = leg_base(moving), supporting_base = leg_base(supporting);
  double hip_target[2] = {kUnset, kUnset};  // hip range -0.8 .. +1.1
  double knee_target[2] = {kUnset, kUnset};  // knee (+1) range -0.6 .. +0.9

  if (phase_ == Phase::StayOnOneLeg) {
    hip_target[moving] = 1.1;
    knee_target[moving] = -0.6;
    supporting_knee_angle_ += 0.03;
    if (s(2) > kSpeed) supporting_knee_angle_ += 0.03;  // straighten faster when fast
    supporting_knee_angle_ = std::min(supporting_knee_angle_, kSupportKneeAngle);
    knee_target[supporting] = supporting_knee_angle_;
    if (s(supporting_base) < 0.10) phase_ = Phase::PutOtherDown;  // the supporting leg is behind
  }
  if (phase_ == Phase::PutOtherDown) {
    hip_target[moving] = +0.1;
    knee_target[moving] = kSupportKneeAngle;
    knee_target[supporting] = supporting_knee_angle_;
    if (s(moving_base + 4) != 0.0) {  // the moving shin is down
      phase_ = Phase::PushOff;
      supporting_knee_angle_ = std::min(s(moving_base + 2), kSupportKneeAngle);
    }
  }
  if (phase_ == Phase::PushOff) {
    knee_target[moving] = supporting_knee_angle_;
    knee_target[supporting] = +1.0;
    if (s(supporting_base + 2) > 0.88 || s(2) > 1.2 * kSpeed) {
      phase_ = Phase::StayOnOneLeg;
      moving_leg_ = 1 - moving_leg_;
    }
  }

  double hip[2] = {0, 0}, knee[2] = {0, 0};
  for (int leg = 0; leg < 2; ++leg) {
    const int b = leg_base(leg);
    if (active(hip_target[leg])) hip[leg] = 0.9 * (hip_target[leg] - s(b)) - 0.25 * s(b + 1);
    if (active(knee_target[leg])) knee[leg] = 4.0 * (knee_target[leg] - s(b + 2)) - 0.25 * s(b + 3);
    hip[leg] -= 0.9 * (0 - s(0)) - 1.5 * s(1);  // keep the hull level
    knee[leg] -= 15.0 * s(3);                  // damp vertical oscillation
  }
  const auto out = [](double v) { return static_cast<float>(std::clamp(0.5 * v, -1.0, 1.0)); };
  return {out(hip[0]), out(knee[0]), out(hip[1]), out(knee[1])};
}

}  // namespace arena
