// MinAtar throughput against MinAtar's Python implementation.
//
// Steps/s of each MinAtar game (the v0 id, default options: sticky actions
// 0.1, difficulty ramping) with uniformly random actions on one thread, made
// through the registry, resets included. Each game runs `repeats` times for
// `seconds` each; the best run and the spread (worst to best) are printed with
// the ratio of the best against the Python steps/s that
// tests/data/minatar_random_policy.txt records for this kind of machine
// (goal: >= 50x). Steps per second of wall time and of the thread's CPU time
// are both printed: on a machine shared with other work the wall-time figure
// falls with the load, the CPU-time figure is what a core of its own gives.
//
// Usage: bench_minatar [seconds per run, default 2] [repeats, default 3]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <ctime>
#include <string>
#include <vector>

#include "envs/core/registry.h"
#include "envs/minatar/minatar.h"

namespace {

using Clock = std::chrono::steady_clock;

// game name in the reference file ("space_invaders") -> Python steps/s
std::map<std::string, double> python_steps_per_s() {
  std::map<std::string, double> out;
  std::ifstream in(ARENA_MINATAR_REFERENCE);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    std::string game, word;
    s >> game;
    while (s >> word)
      if (word == "steps/s" && (s >> out[game])) break;
  }
  return out;
}

struct Rate {
  double wall = 0, cpu = 0;  // steps per second of wall time, of this thread's CPU time
};

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

Rate measure(const arena::Registry& registry, const std::string& id, double seconds, std::uint64_t seed) {
  auto env = registry.make(id);
  arena::Array obs = env->observation_space().make_array();
  const auto n = static_cast<std::uint64_t>(env->action_space().n());
  arena::Rng actions(seed + 1);
  env->reset(obs.view(), seed);
  constexpr int kBlock = 8192;
  const auto block = [&] {
    for (int i = 0; i < kBlock; ++i)
      if (env->step(static_cast<std::int64_t>(actions.below(n)), obs.view()).done()) env->reset(obs.view());
  };
  for (int i = 0; i < 8; ++i) block();  // warm-up
  std::uint64_t steps = 0;
  const double cpu_start = thread_cpu_seconds();
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  auto now = start;
  do {
    block();
    steps += kBlock;
    now = Clock::now();
  } while (now < deadline);
  const double cpu = thread_cpu_seconds() - cpu_start;
  const auto total = static_cast<double>(steps);
  return {total / std::chrono::duration<double>(now - start).count(), total / cpu};
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  const int repeats = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  arena::Registry registry;
  arena::register_minatar(registry);
  const auto python = python_steps_per_s();
  const std::vector<std::pair<std::string, std::string>> games = {{"Asterix", "asterix"},
                                                                  {"Breakout", "breakout"},
                                                                  {"Freeway", "freeway"},
                                                                  {"Seaquest", "seaquest"},
                                                                  {"SpaceInvaders", "space_invaders"}};
  std::printf("%-26s %12s %16s %12s %16s %11s %10s %10s\n", "env", "wall best", "wall spread", "cpu best",
              "cpu spread", "MinAtar py", "wall ratio", "cpu ratio");
  for (const auto& [game, key] : games) {
    const std::string id = "MinAtar/" + game + "-v0";
    std::vector<double> wall, cpu;
    for (int r = 0; r < repeats; ++r) {
      const Rate rate = measure(registry, id, seconds, static_cast<std::uint64_t>(r));
      wall.push_back(rate.wall);
      cpu.push_back(rate.cpu);
    }
    const auto [wlo, whi] = std::minmax_element(wall.begin(), wall.end());
    const auto [clo, chi] = std::minmax_element(cpu.begin(), cpu.end());
    char wspread[48], cspread[48], py[32] = "", wratio[32] = "", cratio[32] = "";
    std::snprintf(wspread, sizeof wspread, "%.2fM-%.2fM", *wlo / 1e6, *whi / 1e6);
    std::snprintf(cspread, sizeof cspread, "%.2fM-%.2fM", *clo / 1e6, *chi / 1e6);
    if (const auto p = python.find(key); p != python.end()) {
      std::snprintf(py, sizeof py, "%.0f", p->second);
      std::snprintf(wratio, sizeof wratio, "%.0fx", *whi / p->second);
      std::snprintf(cratio, sizeof cratio, "%.0fx", *chi / p->second);
    }
    std::printf("%-26s %11.2fM %16s %11.2fM %16s %11s %10s %10s\n", id.c_str(), *whi / 1e6, wspread, *chi / 1e6,
                cspread, py, wratio, cratio);
    std::fflush(stdout);
  }
  return 0;
}
