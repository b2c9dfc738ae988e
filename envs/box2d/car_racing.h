// CarRacing-v3 (Gymnasium 1.x): drive a rear-wheel-drive car round a random
// track, seen from above, from pixels.
//
//   observation  Box(0, 255, (96, 96, 3), uint8): Gymnasium's state frame. The
//                camera follows the car (zoom ZOOM * SCALE, zooming in over the
//                first second), turned with it, the car at the bottom centre;
//                grass squares, road tiles, kerbs, the car, and the bottom bar
//                (speed, the four wheels' ABS sensors, steering, gyro, score).
//                Drawn on Gymnasium's 1000x800 window canvas and rasterized
//                straight to 96x96 (antialiased), as its smoothscale does.
//   action       continuous (default): Box([-1, 0, 0], [1, 1, 1]) float32 =
//                steer (-1 full left), gas, brake; gas is clipped to [0, 1].
//                continuous=false: Discrete(5) = do nothing, steer right
//                (-0.6), steer left (+0.6), gas (0.2), brake (0.8). Gymnasium's
//                mapping: its docstring once said 1 is left; the code steers
//                right, and the docs were corrected to match (Gymnasium #1369).
//   reward       -0.1 a frame, +1000/N for each of the N tiles visited first;
//                -100 (instead) when the car leaves the playfield.
//   terminated   every tile visited, or a lap completed (more than
//                lap_complete_percent of the tiles visited and a wheel on the
//                start tile), or off the playfield (|x| or |y| > PLAYFIELD).
//   options      continuous (bool, true), domain_randomize (bool, false: random
//                road, background and grass colours every reset),
//                lap_complete_percent (float in (0, 1], 0.95).
//   reset        option "randomize" (bool, true): with domain_randomize, whether
//                this reset draws new colours.
//
// The physics, track and bookkeeping live in CarRacingSim (car_racing_sim.h);
// this class adds the spaces, the options and the pictures. Box2D's state
// cannot be saved: save_state() throws std::logic_error.
#pragma once

#include "envs/box2d/car_racing_sim.h"
#include "envs/core/draw_list.h"
#include "envs/core/env.h"
#include "envs/core/raster.h"

namespace arena {

class Registry;

class CarRacing : public Env {
 public:
  // Options as listed above; a missing one takes its default.
  // lap_complete_percent outside (0, 1] throws OptionError.
  explicit CarRacing(const Options& options = {});

  // Gymnasium's rgb_array / human frame: the 1000x800 window canvas with skid
  // traces (rasterize it at 600x400 for Gymnasium's rgb_array size).
  void draw(DrawList& out) const override;

  // The frame on Gymnasium's 1000x800 window canvas; `particles` adds the skid
  // traces (Gymnasium leaves them out of the state frame). Only shapes that
  // reach the canvas are listed.
  void build_frame(DrawList& out, bool particles) const;

  // The last step's outcome: lap_finished / out_of_playfield are Gymnasium's
  // info["lap_finished"] (true for a finished lap, false off the playfield).
  const car_racing::CarRacingStep& last_step() const { return last_step_; }

  const CarRacingSim& sim() const { return sim_; }
  CarRacingSim& sim() { return sim_; }
  bool continuous() const { return continuous_; }

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) override;
  StepResult do_step(ActionView action, ObsBuffer out) override;

 private:
  void randomize_colors();
  void render_observation(ObsBuffer out);

  bool continuous_ = true;
  bool domain_randomize_ = false;
  double lap_complete_percent_ = 0.95;
  CarRacingSim sim_;
  car_racing::CarRacingStep last_step_;
  DrawList frame_;  // kept, so that rendering the observation does not allocate
  Image image_;
};

// Adds "CarRacing-v3" (1000 steps, reward threshold 900).
void register_car_racing(Registry& registry);

}  // namespace arena
