// BipedalWalker-v3 and BipedalWalkerHardcore-v3 (Gymnasium 1.x, Box2D): a
// four-joint walker must cross a 200-step course (hardcore: with stumps,
// stairs and pits) without touching the ground with its hull.
//
//   observation  Box(24) float32: hull angle, 2*angular velocity/FPS, scaled
//                hull velocity x and y, per leg (hip angle, hip speed/4,
//                knee angle + 1, knee speed/6, shin ground contact), and 10
//                lidar fractions. Bounds as Gymnasium's v3: angles +-pi,
//                speeds +-5, contacts [0, 5], lidar [-1, 1]. Not clipped,
//                as in Gymnasium.
//   action       Box(-1, 1, (4,)) float32: hip 0, knee 0, hip 1, knee 1. Each
//                motor turns towards sign(a) at its rated speed with a torque
//                limit of 80 * clip(|a|, 0, 1) (out-of-range values act as
//                clipped; there is no other clipping, as in Gymnasium).
//   reward       the change of 130 * hull x / SCALE - 5 * |hull angle| since
//                the previous step, minus 0.028 * clip(|a_i|, 0, 1) per motor;
//                -100 (replacing the step's reward) when the hull touches the
//                ground or the hull leaves the course backwards (x < 0).
//   terminated   hull contact, x < 0, or x past the finish
//                ((200 - 10) * TERRAIN_STEP); step limit 1600 (hardcore 2000)
//                through the registry's TimeLimit, threshold 300.
//   reset        a new random course and clouds, the walker standing on the
//                start pad with a random horizontal push; as Gymnasium, reset
//                takes one zero-action step and returns its observation.
//   save_state   Box2D's world (contacts, warm-start impulses) cannot be
//                written out, so the state is the RNG state the episode
//                started from and the actions taken since: loading rebuilds
//                the course and replays them, which gives the same bits
//                (the simulation does not depend on earlier episodes).
//
// The physics live in BipedalWalkerSim (bipedal_walker_sim.h); this class adds
// the spaces, the reward and the frame.
#pragma once

#include <array>
#include <vector>

#include "envs/box2d/bipedal_walker_sim.h"
#include "envs/core/env.h"

namespace arena {

class Registry;

class BipedalWalker : public Env {
 public:
  // `hardcore` follows the id (BipedalWalkerHardcore-v3). No options.
  explicit BipedalWalker(const Options& options = {}, bool hardcore = false);

  // Gymnasium's frame, 600x400: sky, parallax clouds, the green ground, the
  // obstacles, the scanning lidar ray, the walker, the start flag; the view
  // follows the hull (it starts at the hull x minus a fifth of the width).
  void draw(DrawList& out) const override;

  bool hardcore() const { return hardcore_; }
  const BipedalWalkerSim& sim() const { return sim_; }
  // Mutable access for tests and tools (e.g. BipedalWalkerSim::shift_walker).
  BipedalWalkerSim& sim() { return sim_; }

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) override;
  StepResult do_step(ActionView action, ObsBuffer out) override;
  void do_save_state(StateWriter& out) const override;
  void do_load_state(StateReader& in) override;

 private:
  void start_episode(std::span<float, bipedal::kObservationSize> out);
  StepResult advance(std::span<const float, 4> action, std::span<float, bipedal::kObservationSize> out);

  bool hardcore_ = false;
  BipedalWalkerSim sim_;
  double prev_shaping_ = 0;
  bool has_prev_shaping_ = false;
  int frames_ = 0;  // steps since reset: drives the scanning lidar ray of draw()
  // For save_state: the RNG state the episode was generated from and its
  // actions (capacity for 2048 steps is reserved, so step() does not allocate
  // within the registered step limits).
  bool episode_started_ = false;
  Rng::State episode_rng_{};
  std::vector<std::array<float, 4>> actions_;
};

// Adds BipedalWalker-v3 (1600 steps) and BipedalWalkerHardcore-v3 (2000
// steps), both with reward threshold 300.
void register_bipedal_walker(Registry& registry);

}  // namespace arena
