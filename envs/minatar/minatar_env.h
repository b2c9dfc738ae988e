// The Env adapter shared by the MinAtar games: observation and action spaces,
// MinAtar's full and minimal action sets, sticky actions, drawing, and saving.
//
//   ids           MinAtar/<Game>-v0: all six actions (n, l, u, r, d, f);
//                 MinAtar/<Game>-v1: the game's minimal action set, in MinAtar's order
//   observation   Box(0, 1, (10, 10, channels), uint8), channels last, MinAtar's channels
//   reward        the game's points this step; terminated when the game ends
//                 (Freeway's 2500-step timer included, as MinAtar reports it);
//                 MinAtar has no step limit, so nothing truncates
//   options       sticky_action_prob (float in [0, 1], default 0.1): each step,
//                 with this probability the previous action is repeated instead;
//                 difficulty_ramping (bool, default true): Asterix, Seaquest and
//                 SpaceInvaders speed up over time (Breakout and Freeway ignore it)
//   random numbers  one draw at every reset, then the game's reset draws; one
//                 uniform draw per step for the sticky action (even when the
//                 probability is 0), then the game's own draws; all from rng_.
//                 As in MinAtar, the remembered action starts as n and carries over
//                 an unseeded reset(); a seeded reset() forgets it, so that reset(seed)
//                 replays a fresh env.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "envs/core/draw_list.h"
#include "envs/core/env.h"
#include "envs/core/options.h"
#include "envs/minatar/minatar_game.h"

namespace arena::minatar {

// MinAtar's colours: black for an empty cell, then seaborn's "cubehelix"
// palette of `channels` colours (matplotlib's cubehelix map, gamma 1, start
// 0.5, rotation -1.5, hue 1) for the highest channel set in a cell.
std::array<std::array<std::uint8_t, 3>, 11> palette(int channels);

// Throws OptionError naming the option when sticky_action_prob is outside [0, 1].
double parse_sticky_action_prob(const Options& options, const std::string& id);

template <class Game>
class MinAtarEnv final : public Env {
  static_assert(std::is_trivially_copyable_v<Game>, "a game's state is saved as bytes");

 public:
  static constexpr int kChannels = Game::kChannels;
  static constexpr std::size_t kObsSize = std::size_t{kGrid} * kGrid * kChannels;

  // `minimal_actions`: the v1 action set instead of all six.
  MinAtarEnv(std::string id, const Options& options, bool minimal_actions)
      : sticky_(parse_sticky_action_prob(options, id)),
        ramping_(options.get_bool("difficulty_ramping")),
        palette_(palette(kChannels)) {
    spec_.id = std::move(id);
    if (minimal_actions) {
      num_actions_ = static_cast<int>(Game::kMinimalActions.size());
      std::copy(Game::kMinimalActions.begin(), Game::kMinimalActions.end(), action_set_.begin());
    } else {
      num_actions_ = kNumActions;
      for (std::size_t i = 0; i < action_set_.size(); ++i) action_set_[i] = static_cast<std::uint8_t>(i);
    }
    spec_.observation_space = Space::box({kGrid, kGrid, kChannels}, 0.0, 1.0, DType::UInt8);
    spec_.action_space = Space::discrete(num_actions_);
    spec_.render_fps = 20;  // MinAtar's display shows a frame for 50 ms
  }

  // The game state, for tests and tools.
  const Game& game() const { return game_; }
  Game& game() { return game_; }
  // The MinAtar action (0..5) that the action index `a` of this id stands for.
  int minatar_action(std::int64_t a) const { return action_set_[static_cast<std::size_t>(a)]; }
  int last_action() const { return last_action_; }
  double sticky_action_prob() const { return sticky_; }
  bool difficulty_ramping() const { return ramping_; }

  // Writes the current observation into `out` (kObsSize bytes).
  void observe(std::uint8_t* out) const {
    std::memset(out, 0, kObsSize);
    game_.observe(out);
  }

  void draw(DrawList& out) const override {
    constexpr int kCell = 40;
    std::array<std::uint8_t, kObsSize> obs;
    observe(obs.data());
    std::array<std::uint8_t, kGrid * kGrid * 3> rgb;
    for (int cell = 0; cell < kGrid * kGrid; ++cell) {
      int top = 0;  // 1 + the highest channel set, 0 for an empty cell
      for (int c = 0; c < kChannels; ++c)
        if (obs[static_cast<std::size_t>(cell * kChannels + c)]) top = c + 1;
      std::memcpy(&rgb[static_cast<std::size_t>(cell) * 3], palette_[static_cast<std::size_t>(top)].data(), 3);
    }
    constexpr float side = kGrid * kCell;
    out.clear(kGrid * kCell, kGrid * kCell, Color::rgb(0, 0, 0));
    out.pixels({0, 0}, {side, side}, kGrid, kGrid, 3, rgb, Coords::Canvas);
    for (int i = 1; i < kGrid; ++i) {  // faint cell borders
      const float p = static_cast<float>(i * kCell);
      out.line({p, 0}, {p, side}, Color{128, 128, 128, 60}, 1, Coords::Canvas);
      out.line({0, p}, {side, p}, Color{128, 128, 128, 60}, 1, Coords::Canvas);
    }
  }

 protected:
  void do_reset(ObsBuffer out, std::optional<std::uint64_t> seed, const Options& options) override {
    if (!options.empty()) options.require_only({}, "reset options of " + spec_.id);
    if (seed) last_action_ = kNoop;
    // One draw per episode start: Asterix, Seaquest and SpaceInvaders draw
    // nothing at reset, and without it reset() right after reset(seed) would
    // replay the seeded episode instead of continuing the stream.
    rng_.next_u64();
    game_.reset(rng_, ramping_);
    observe(static_cast<std::uint8_t*>(out.data));
  }

  StepResult do_step(ActionView action, ObsBuffer out) override {
    // The base class has checked the action is in the action space.
    int a = action_set_[static_cast<std::size_t>(*static_cast<const std::int64_t*>(action.data))];
    if (rng_.uniform() < sticky_) a = last_action_;
    last_action_ = static_cast<std::uint8_t>(a);
    const StepOutcome o = game_.act(a, rng_);
    observe(static_cast<std::uint8_t*>(out.data));
    return {static_cast<double>(o.reward), o.terminal, false};
  }

  void do_save_state(StateWriter& out) const override {
    out.pod(sticky_);
    out.pod(ramping_);
    out.pod(last_action_);
    out.pod(game_);
  }

  void do_load_state(StateReader& in) override {
    const auto sticky = in.pod<double>();
    const auto ramping = in.pod<bool>();
    if (sticky != sticky_ || ramping != ramping_)
      throw std::runtime_error(spec_.id + ": the state was saved with other options (sticky_action_prob " +
                               option_to_string(sticky) + ", difficulty_ramping " + option_to_string(ramping) + ")");
    const auto last = in.pod<std::uint8_t>();
    Game game;
    in.pod(game);
    if (last >= kNumActions) throw std::runtime_error(spec_.id + ": corrupt state (last action)");
    last_action_ = last;
    game_ = game;
  }

 private:
  double sticky_;
  bool ramping_;
  std::array<std::array<std::uint8_t, 3>, 11> palette_;
  std::array<std::uint8_t, kNumActions> action_set_{};
  int num_actions_ = kNumActions;
  std::uint8_t last_action_ = kNoop;
  Game game_{};
};

}  // namespace arena::minatar
