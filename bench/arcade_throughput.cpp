// Throughput of the pixel games (envs/arcade/) raw and under the Nature-DQN
// preprocessing ("atari" preset), with random actions on one thread.
//
// For each game, three configurations, all measured in this process:
//   raw v5        registry.make(id): frameskip 4, sticky actions 0.25, 210x160x3 RGB
//   raw frame     frameskip 1: every emulator frame rendered (what the preset steps)
//   atari preset  noop reset, 4-frame skip + max-pool, episodic life, fire reset,
//                 clip reward, grey, 84x84 area resize, 4-frame stack
// steps/s counts agent steps; frames/s emulator frames (both wall time);
// cpu us/step is the measuring thread's CPU time per step, the figure to
// compare on a shared machine. The ratio column is
// the preset's steps/s against the raw v5 env's (the baseline: same frames
// per step, the preprocessing's cost on top).
//
// Usage: bench_arcade_throughput [seconds per configuration, default 2]
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "envs/arcade/arcade_env.h"
#include "envs/builtin.h"
#include "envs/core/presets.h"
#include "envs/core/registry.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Figures {
  double steps_per_s = 0, frames_per_s = 0;
  double cpu_us_per_step = 0;  // this thread's CPU time: robust on a shared machine
};

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

Figures measure(arena::Env& env, double seconds) {
  arena::Array obs = env.observation_space().make_array();
  arena::Rng actions(1);
  const auto n = static_cast<std::uint64_t>(env.action_space().n());
  const auto& game = dynamic_cast<const arena::ArcadeEnv&>(env.unwrapped());
  env.reset(obs.view(), 0);
  for (int i = 0; i < 1000; ++i)  // warm-up
    if (env.step(static_cast<std::int64_t>(actions.below(n)), obs.view()).done()) env.reset(obs.view());
  // Frames of agent steps only (not those a reset steps through: noops, FIRE).
  std::int64_t frames = 0, steps = 0;
  const double cpu_start = thread_cpu_seconds();
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  auto now = start;
  do {
    for (int i = 0; i < 1024; ++i) {
      const std::int64_t before = game.episode_frame_number();
      const bool done = env.step(static_cast<std::int64_t>(actions.below(n)), obs.view()).done();
      frames += game.episode_frame_number() - before;
      ++steps;
      if (done) env.reset(obs.view());
    }
    now = Clock::now();
  } while (now < deadline);
  const double s = std::chrono::duration<double>(now - start).count();
  const double cpu = thread_cpu_seconds() - cpu_start;
  return {static_cast<double>(steps) / s, static_cast<double>(frames) / s, 1e6 * cpu / static_cast<double>(steps)};
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  arena::Registry registry;
  arena::register_builtin_envs(registry);
  std::printf("%-20s %-14s %12s %12s %12s %10s\n", "env", "config", "steps/s", "frames/s", "cpu us/step",
              "vs raw v5");
  for (const char* id : {"Arcade/Pong-v5", "Arcade/Breakout-v5"}) {
    auto raw = registry.make(id);
    const Figures base = measure(*raw, seconds);
    std::printf("%-20s %-14s %12.0f %12.0f %12.1f %10s\n", id, "raw v5", base.steps_per_s, base.frames_per_s,
                base.cpu_us_per_step, "1.00x");
    std::fflush(stdout);
    auto frame = registry.make(id, {{"frameskip", 1}});
    const Figures f = measure(*frame, seconds);
    std::printf("%-20s %-14s %12.0f %12.0f %12.1f %9.2fx\n", id, "raw frame", f.steps_per_s, f.frames_per_s,
                f.cpu_us_per_step, f.steps_per_s / base.steps_per_s);
    std::fflush(stdout);
    auto preset = arena::make_env(registry, id, {}, "atari");
    const Figures p = measure(*preset, seconds);
    std::printf("%-20s %-14s %12.0f %12.0f %12.1f %9.2fx\n", id, "atari preset", p.steps_per_s, p.frames_per_s,
                p.cpu_us_per_step, p.steps_per_s / base.steps_per_s);
    std::fflush(stdout);
  }
  return 0;
}
