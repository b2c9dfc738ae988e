// Watching agents: `arena play` (the SFML viewer, human play) and `arena
// record` (headless MP4/GIF through the CPU rasterizer), and the evaluation
// videos of `[train] record_every`. Both draw the same frame: the env's draw
// list and the HUD of render/hud.h.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace arena {

class Agent;
class Registry;
struct ExperimentConfig;

// Who acts: a trained run (RUN_DIR, its best policy, greedy), uniformly
// random actions, or a human at the keyboard (play only).
struct WatchSource {
  std::string run_dir;                // RUN_DIR positional: the run's env and policy
  std::string env_id;                 // --env ID
  std::string agent;                  // --agent random|human|RUN_DIR ("" = the default)
  std::optional<std::uint64_t> seed;  // episode i is reset with seed + i (default 0, or the run's held-out seed)
};

struct PlayOptions {
  WatchSource source;
  std::int64_t max_steps = 0;  // > 0: quit after this many env steps
  std::string screenshot;      // PNG of the window's last frame, written at exit
  std::string speed = "1";     // initial speed: a multiple of the env's fps, or "max"
  bool stats = false;          // print frame-time statistics at exit
  int scale = 1;               // initial window size: the frame's logical size times this
  int antialiasing = 4;        // multisampling level asked of OpenGL (0 = off)
};

struct RecordOptions {
  WatchSource source;
  int episodes = 1;
  std::string out;             // FILE.mp4 or FILE.gif
  std::int64_t max_steps = 0;  // > 0: at most this many steps per episode
  double fps = 0;              // 0: the env's render fps
  int scale = 1;               // video size: the frame's logical size times this
};

// The command implementations; they return the exit code. Bad input (an
// unknown env or agent, a missing run directory, a bad file name) throws
// std::invalid_argument naming what was wrong. With no display, play prints
// a message that suggests `arena record` and returns 2.
int play(const Registry& registry, const PlayOptions& options);
int record(const Registry& registry, const RecordOptions& options);

// One greedy episode of `agent` on a fresh env of the experiment (reset with
// `seed`), with the HUD, written to `out` (.mp4 or .gif, atomically).
// Returns the number of frames written.
std::int64_t record_policy_video(const Registry& registry, const ExperimentConfig& config, Agent& agent,
                                 std::uint64_t seed, const std::filesystem::path& out);

}  // namespace arena
