// The MinAtar games (Young & Tian, 2019): Asterix, Breakout, Freeway, Seaquest
// and SpaceInvaders on a 10x10 grid of binary channels, with MinAtar's rules.
#pragma once

namespace arena {

class Registry;

// Adds MinAtar/<Game>-v0 (all six actions) and MinAtar/<Game>-v1 (the game's
// minimal action set) for the five games, with the construction options
// sticky_action_prob (0.1) and difficulty_ramping (true).
void register_minatar(Registry& registry);

}  // namespace arena
