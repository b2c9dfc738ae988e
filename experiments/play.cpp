#include "experiments/play.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include "agents/agent.h"
#include "agents/torsos.h"
#include "envs/core/draw_list.h"
#include "envs/core/env.h"
#include "envs/core/presets.h"
#include "envs/core/registry.h"
#include "experiments/config.h"
#include "experiments/experiment_config.h"
#include "experiments/human_keys.h"
#include "experiments/trainer.h"
#include "render/hud.h"
#include "render/png_writer.h"
#include "render/video_writer.h"
#include "render/viewer.h"

namespace arena {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// The random agent's actions come from an RNG seeded like `arena eval
// --agent random` and `arena render`, so the three agree step for step.
constexpr std::uint64_t kActionSeedMix = 0x5DEECE66DULL;

// Chooses the actions shown in the viewer or the video.
class Actor {
 public:
  virtual ~Actor() = default;
  virtual void act(ConstBuffer obs, Buffer action) = 0;
  // The actor's view of the last observation it acted on.
  const Insight& insight() const { return insight_; }

 protected:
  Insight insight_;
};

class RandomActor final : public Actor {
 public:
  RandomActor(const Space& space, std::uint64_t seed) : space_(space), rng_(seed ^ kActionSeedMix) {
    if (space.is_discrete()) {  // a uniform policy: every action equally likely
      insight_.kind = Insight::Kind::Probabilities;
      insight_.values.assign(static_cast<std::size_t>(space.n()), 1.0f / static_cast<float>(space.n()));
    }
  }
  void act(ConstBuffer, Buffer action) override {
    space_.sample(rng_, action);
    if (space_.is_discrete()) insight_.chosen = *static_cast<const std::int64_t*>(action.data) - space_.start();
  }

 private:
  const Space& space_;
  Rng rng_;
};

class TrainedActor final : public Actor {
 public:
  explicit TrainedActor(Agent& agent) : agent_(agent) {}
  void act(ConstBuffer obs, Buffer action) override {
    agent_.act(obs, 1, ActMode::Greedy, action);
    insight_ = agent_.insight();
  }

 private:
  Agent& agent_;
};

class HumanActor final : public Actor {
 public:
  HumanActor(const Space& space, HumanKeys keys) : space_(space), keys_(std::move(keys)) {}
  void attach(const Viewer* viewer) { viewer_ = viewer; }
  // The most recently pressed key wins among held discrete keys.
  void pressed(Key k) {
    for (const auto& ka : keys_.keys)
      if (ka.key == k) last_ = k;
  }
  void act(ConstBuffer, Buffer action) override {
    if (space_.is_discrete()) {
      std::int64_t a = keys_.noop;
      if (keys_.alternate_noop) a = (flip_ = !flip_) ? 0 : 1;
      bool found = false;
      if (last_ && viewer_->held(*last_))
        for (const auto& ka : keys_.keys)
          if (ka.key == *last_) a = ka.action, found = true;
      for (std::size_t i = 0; !found && i < keys_.keys.size(); ++i)
        if (viewer_->held(keys_.keys[i].key)) a = keys_.keys[i].action, found = true;
      *static_cast<std::int64_t*>(action.data) = a;
      return;
    }
    auto* out = static_cast<float*>(action.data);
    std::fill(out, out + action.count, 0.0f);
    for (const auto& ka : keys_.keys)
      if (viewer_->held(ka.key))
        for (std::size_t d = 0; d < std::min<std::size_t>(action.count, 3); ++d) out[d] += ka.box[d];
    for (std::size_t d = 0; d < action.count; ++d)
      out[d] = static_cast<float>(std::clamp(static_cast<double>(out[d]), space_.low()[d], space_.high()[d]));
  }
  const HumanKeys& keys() const { return keys_; }

 private:
  const Space& space_;
  HumanKeys keys_;
  const Viewer* viewer_ = nullptr;
  std::optional<Key> last_;
  bool flip_ = false;
};

// What play and record watch: the env, who acts, and the agent's name.
struct Session {
  std::unique_ptr<Env> env;
  std::unique_ptr<Agent> agent;  // a trained agent, or null
  std::unique_ptr<Actor> actor;
  HumanActor* human = nullptr;
  std::string agent_name;
  std::uint64_t seed = 0;
};

bool is_builtin_agent(const std::string& a) { return a.empty() || a == "random" || a == "human"; }

Session open_session(const Registry& registry, const WatchSource& src, bool allow_human) {
  if (src.run_dir.empty() == src.env_id.empty()) throw std::invalid_argument("give a RUN_DIR or --env ID (not both)");
  if (!src.run_dir.empty() && !is_builtin_agent(src.agent))
    throw std::invalid_argument("--agent " + src.agent + " with RUN_DIR " + src.run_dir +
                                ": give the run once (as RUN_DIR, or as --agent with --env)");
  const std::string trained =
      !src.run_dir.empty() ? (src.agent.empty() ? src.run_dir : "") : (is_builtin_agent(src.agent) ? "" : src.agent);
  const std::string kind = trained.empty() ? (src.agent.empty() ? "random" : src.agent) : "trained";
  if (kind == "human" && !allow_human)
    throw std::invalid_argument("--agent human needs a window: use `arena play`, not `arena record`");
  Session s;
  std::optional<ExperimentConfig> config;
  std::string env_id = src.env_id;
  Options env_options;
  std::string preset;
  const std::string run = !src.run_dir.empty() ? src.run_dir : trained;
  if (!run.empty()) {
    const fs::path dir(run);
    if (!fs::exists(dir)) throw std::invalid_argument("run directory " + run + " does not exist");
    if (!fs::exists(dir / "config.toml")) throw std::invalid_argument(run + " is not a run directory (no config.toml)");
    config = load_experiment(dir / "config.toml");
    if (!env_id.empty() && env_id != config->env.id)
      throw std::invalid_argument("the run " + run + " was trained on " + config->env.id + ", not " + env_id);
    env_id = config->env.id;
    env_options = config->env.options;
    preset = config->env.preset;
  }
  // As the run saw it (its preset's wrappers); UnknownEnvError suggests close ids.
  s.env = make_env(registry, env_id, env_options, preset);
  s.seed = src.seed.value_or(config && kind == "trained" ? heldout_seed(*config) : 0);  // as `arena eval RUN_DIR`
  if (kind == "trained") {
    fs::path policy = fs::path(run) / "best_policy.pt";
    if (!fs::exists(policy)) policy = fs::path(run) / "final_policy.pt";
    if (!fs::exists(policy))
      throw std::invalid_argument(run + " holds no policy yet (best_policy.pt / final_policy.pt)");
    set_compute_threads(1);  // acting on one observation at a time
    s.agent = make_agent(*config, s.env->spec());
    s.agent->load_policy(policy);
    s.actor = std::make_unique<TrainedActor>(*s.agent);
    s.agent_name =
        (fs::path(run).filename().empty() ? fs::path(run).parent_path().filename() : fs::path(run).filename())
            .string() +
        "/" + policy.filename().string();
  } else if (kind == "random") {
    s.actor = std::make_unique<RandomActor>(s.env->action_space(), s.seed);
    s.agent_name = "random";
  } else if (kind == "human") {
    auto keys = human_keys(s.env->spec());
    if (!keys)
      throw std::invalid_argument("human play has no key map for " + env_id + " (action space " +
                                  s.env->action_space().repr() + "); use --agent random or a RUN_DIR");
    auto h = std::make_unique<HumanActor>(s.env->action_space(), std::move(*keys));
    s.human = h.get();
    s.actor = std::move(h);
    s.agent_name = "human";
  } else {
    throw std::invalid_argument("unknown agent '" + src.agent +
                                "': use random, human or a RUN_DIR (no such directory)");
  }
  return s;
}

// Runs episodes one step at a time and keeps what the HUD shows.
class EpisodeRunner {
 public:
  EpisodeRunner(Env& env, Actor& actor, std::uint64_t seed)
      : env_(env),
        actor_(actor),
        seed_(seed),
        obs_(env.observation_space().make_array()),
        act_(env.action_space().make_array()),
        names_(action_names(env.spec())) {}

  // Starts the next episode (episode i is reset with seed + i).
  void reset() {
    env_.reset(obs_.view(), seed_ + static_cast<std::uint64_t>(episode_));
    ++episode_;
    step_ = 0;
    return_ = reward_ = 0;
    over_ = false;
    action_text_[0] = '\0';
    acted_ = false;
  }

  void step() {
    actor_.act(obs_.view(), act_.view());
    const StepResult r = env_.step(act_.view(), obs_.view());
    ++step_;
    reward_ = r.reward;
    return_ += r.reward;
    over_ = r.done();
    acted_ = true;
    format_action();
  }

  bool over() const { return over_; }
  std::int64_t episode() const { return episode_; }
  std::int64_t steps() const { return step_; }
  double episode_return() const { return return_; }

  void fill(HudInfo& h, std::string_view agent) const {
    h.title = env_.spec().id;
    h.agent = agent;
    h.episode = episode_;
    h.step = step_;
    h.episode_return = return_;
    h.last_reward = reward_;
    h.action = action_text_;
    h.episode_over = over_;
    const Insight& in = actor_.insight();
    h.view = !acted_ || in.kind == Insight::Kind::None ? HudInfo::View::None
             : in.kind == Insight::Kind::QValues       ? HudInfo::View::QValues
                                                       : HudInfo::View::Probabilities;
    h.values = in.values;
    h.chosen = in.chosen;
    h.action_names = names_;
  }

 private:
  void format_action() {
    const ConstBuffer a = act_.view();
    if (a.dtype == DType::Int64) {
      const std::int64_t v = *static_cast<const std::int64_t*>(a.data);
      const std::int64_t i = v - env_.action_space().start();
      const bool named = i >= 0 && static_cast<std::size_t>(i) < names_.size() &&
                         names_[static_cast<std::size_t>(i)] != std::to_string(v);
      std::snprintf(action_text_, sizeof action_text_, "%lld%s%s", static_cast<long long>(v), named ? " " : "",
                    named ? names_[static_cast<std::size_t>(i)].c_str() : "");
      return;
    }
    const auto* f = static_cast<const float*>(a.data);
    int n = 0;
    action_text_[0] = '\0';
    for (std::size_t d = 0; d < std::min<std::size_t>(a.count, 3); ++d)
      n += std::snprintf(action_text_ + n, sizeof action_text_ - static_cast<std::size_t>(n), "%s%.2f", d ? " " : "",
                         static_cast<double>(f[d]));
    if (a.count > 3) std::snprintf(action_text_ + n, sizeof action_text_ - static_cast<std::size_t>(n), " ..");
  }

  Env& env_;
  Actor& actor_;
  std::uint64_t seed_;
  Array obs_, act_;
  std::vector<std::string> names_;
  std::int64_t episode_ = 0, step_ = 0;
  double return_ = 0, reward_ = 0;
  bool over_ = false, acted_ = false;
  char action_text_[48] = "";
};

// Speeds as multiples of the env's fps; the last one is "as fast as possible".
constexpr double kSpeeds[] = {0.25, 0.5, 1, 2, 4, 8, 16, std::numeric_limits<double>::infinity()};
constexpr int kNumSpeeds = static_cast<int>(std::size(kSpeeds));

int speed_index(const std::string& s) {
  if (s == "max") return kNumSpeeds - 1;
  double v = 0;
  try {
    std::size_t used = 0;
    v = std::stod(s, &used);
    if (used != s.size()) v = 0;
  } catch (const std::exception&) {
    v = 0;
  }
  for (int i = 0; i + 1 < kNumSpeeds; ++i)
    if (std::fabs(kSpeeds[i] - v) < 1e-9) return i;
  throw std::invalid_argument("--speed must be one of 0.25, 0.5, 1, 2, 4, 8, 16 or max, got '" + s + "'");
}

const char* speed_label(int i) {
  static constexpr const char* labels[] = {"0.25x", "0.5x", "1x", "2x", "4x", "8x", "16x", "max"};
  return labels[i];
}

std::string screenshot_name(const std::string& env_id, std::int64_t episode, std::int64_t step) {
  std::string id = env_id;
  std::replace(id.begin(), id.end(), '/', '_');
  std::string name;
  for (int n = 0;; ++n) {
    name = fmt::format("arena-{}-ep{}-step{}{}.png", id, episode, step, n ? "-" + std::to_string(n) : "");
    if (!fs::exists(name)) return name;
  }
}

void check_out_dir(const fs::path& out) {
  const fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
  if (!fs::is_directory(dir)) throw std::invalid_argument("the directory of " + out.string() + " does not exist");
}

std::vector<std::string> help_lines(const Session& s, bool human) {
  std::vector<std::string> lines = {
      "Keys",
      human ? "space / p\tpause (p if the game uses space)" : "space / p\tpause",
      human ? ".\tone step (while paused)" : "right / .\tone step (while paused)",
      "+ / -\tfaster / slower (0.25x ... max)",
      "r\treset the episode",
      "s\tscreenshot (PNG in the current directory)",
      "h\tthis help",
      "q / esc\tquit",
  };
  if (human) {
    lines.push_back("");
    lines.push_back("Game keys (" + s.env->spec().id + ")");
    for (auto& l : s.human->keys().help()) lines.push_back(l);
  }
  return lines;
}

}  // namespace

int play(const Registry& registry, const PlayOptions& o) {
  if (o.max_steps < 0) throw std::invalid_argument("--max-steps must be >= 0");
  if (o.scale < 1 || o.scale > 8) throw std::invalid_argument("--scale must be between 1 and 8");
  if (o.antialiasing < 0 || o.antialiasing > 16) throw std::invalid_argument("--antialiasing must be between 0 and 16");
  if (!o.screenshot.empty()) check_out_dir(o.screenshot);
  int speed = speed_index(o.speed);
  Session s = open_session(registry, o.source, true);
  // Before any window: SFML aborts the process when the display cannot be opened.
  if (auto why = display_unavailable()) {
    fmt::print(stderr,
               "arena: error: cannot open a window ({}).\n"
               "  To watch without a display, record a video instead:\n"
               "    arena record ... --episodes 1 --out episode.mp4\n"
               "  or run the viewer under a virtual display: xvfb-run -a arena play ...\n",
               *why);
    return 2;
  }
  const bool human = s.human != nullptr;
  EpisodeRunner runner(*s.env, *s.actor, s.seed);
  runner.reset();
  DrawList env_list, hud_list, help_list;
  s.env->draw(env_list);
  const FrameLayout layout = frame_layout(env_list.width(), env_list.height());
  Viewer viewer("Arena - " + s.env->spec().id + " - " + s.agent_name, layout, o.scale, o.antialiasing);
  if (human) s.human->attach(&viewer);
  const std::vector<std::string> help = help_lines(s, human);
  draw_help(help, layout, help_list);

  const double fps = s.env->spec().render_fps > 0 ? s.env->spec().render_fps : 30;
  bool paused = false, show_help = false;
  std::int64_t total_steps = 0;
  std::vector<Key> pressed;
  pressed.reserve(16);
  // Per stepped frame: the whole frame, and its parts (acting + env step,
  // draw lists, drawing in the window + display).
  std::vector<double> frame_ms, act_ms, lists_ms, window_ms;
  const auto reserve =
      static_cast<std::size_t>(std::min<std::int64_t>(o.max_steps > 0 ? o.max_steps + 16 : 1 << 16, 1 << 20));
  for (auto* v : {&frame_ms, &act_ms, &lists_ms, &window_ms}) v->reserve(reserve);
  auto ms = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  Image shot;
  HudInfo hud;
  auto redraw = [&](bool env_too) {
    if (env_too) s.env->draw(env_list);
    runner.fill(hud, s.agent_name);
    hud.paused = paused;
    hud.speed = speed_label(speed);
    hud.show_help_hint = true;
    draw_hud(hud, layout, hud_list);
  };
  redraw(false);
  viewer.show(env_list, hud_list, nullptr);
  auto next = Clock::now();

  while (viewer.is_open()) {
    pressed.clear();
    viewer.poll(pressed);
    bool single = false, dirty = false, quit = false;
    for (Key k : pressed) {
      if (human) s.human->pressed(k);
      const bool game_space = human && std::any_of(s.human->keys().keys.begin(), s.human->keys().keys.end(),
                                                   [](const KeyAction& ka) { return ka.key == Key::Space; });
      switch (k) {
        case Key::Q:
        case Key::Escape: quit = true; break;
        case Key::P: paused = !paused, dirty = true; break;
        case Key::Space:
          if (!game_space) paused = !paused, dirty = true;
          break;
        case Key::Period: single = paused; break;
        case Key::Right:
          if (!human) single = paused;
          break;
        case Key::Plus: speed = std::min(speed + 1, kNumSpeeds - 1), dirty = true; break;
        case Key::Minus: speed = std::max(speed - 1, 0), dirty = true; break;
        case Key::R: runner.reset(), dirty = true; break;
        case Key::H: show_help = !show_help, dirty = true; break;
        case Key::S: {
          viewer.capture(env_list, hud_list, show_help ? &help_list : nullptr, shot);
          const std::string name = screenshot_name(s.env->spec().id, runner.episode(), runner.steps());
          write_png(name, shot);
          fmt::print("screenshot: {}\n", name);
          std::fflush(stdout);
          break;
        }
        default: break;
      }
    }
    if (quit || !viewer.is_open()) break;
    const auto now = Clock::now();
    const double dt = 1.0 / (fps * kSpeeds[speed]);  // 0 at max speed
    if (single || (!paused && now >= next)) {
      const auto t0 = Clock::now();
      if (runner.over()) {
        runner.reset();  // the next episode's first frame
      } else {
        runner.step();
        ++total_steps;
      }
      const auto t1 = Clock::now();
      redraw(true);
      const auto t2 = Clock::now();
      viewer.show(env_list, hud_list, show_help ? &help_list : nullptr);
      const auto t3 = Clock::now();
      frame_ms.push_back(ms(t0, t3));
      act_ms.push_back(ms(t0, t1));
      lists_ms.push_back(ms(t1, t2));
      window_ms.push_back(ms(t2, t3));
      if (o.max_steps > 0 && total_steps >= o.max_steps) break;
      // Keep the pace; after a stall, do not rush to catch up.
      next += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(dt));
      if (next < now) next = now;
      continue;
    }
    if (dirty) {
      redraw(true);
      viewer.show(env_list, hud_list, show_help ? &help_list : nullptr);
    }
    if (paused) next = now;
    std::this_thread::sleep_until(
        std::min(paused ? now + std::chrono::milliseconds(15) : next, now + std::chrono::milliseconds(15)));
  }

  if (!o.screenshot.empty() && viewer.is_open()) {
    viewer.capture(env_list, hud_list, show_help ? &help_list : nullptr, shot);
    write_png(o.screenshot, shot);
    const Rect v = viewer.viewport_in_window();
    fmt::print("screenshot: {} ({}x{} window; env viewport x={} y={} w={} h={}; antialiasing {})\n", o.screenshot,
               shot.width, shot.height, v.x, v.y, v.w, v.h, viewer.antialiasing());
  }
  if (o.stats) {
    auto report = [](const char* what, std::vector<double> v) {
      if (v.empty()) return;
      std::sort(v.begin(), v.end());
      double sum = 0;
      for (double x : v) sum += x;
      const std::size_t n = v.size();
      fmt::print("  {:<26} mean {:8.3f} ms  median {:8.3f} ms  p99 {:8.3f} ms  worst {:8.3f} ms\n", what,
                 sum / static_cast<double>(n), v[n / 2], v[std::min(n - 1, n * 99 / 100)], v.back());
    };
    fmt::print("frame time over {} frames (target {:.3f} ms at 1x, {} fps; antialiasing {}x):\n", frame_ms.size(),
               1000.0 / fps, fps, viewer.antialiasing());
    report("whole frame", frame_ms);
    report("agent + env step", act_ms);
    report("draw lists (env + HUD)", lists_ms);
    report("window (draw + display)", window_ms);
  }
  fmt::print("played {} steps over {} episode(s)\n", total_steps, runner.episode());
  viewer.close();
  return 0;
}

namespace {

// Writes `episodes` episodes to `writer`: each episode's first frame, then
// one frame per step.
void record_episodes(Session& s, int episodes, std::int64_t max_steps, const FrameLayout& layout, int scale,
                     VideoWriter& writer) {
  EpisodeRunner runner(*s.env, *s.actor, s.seed);
  DrawList env_list, hud_list;
  HudInfo hud;
  Image frame;
  ComposeScratch scratch;
  auto emit = [&] {
    s.env->draw(env_list);
    runner.fill(hud, s.agent_name);
    draw_hud(hud, layout, hud_list);
    compose_frame(env_list, hud_list, layout, scale, frame, scratch);
    writer.add_frame(frame);
  };
  for (int ep = 0; ep < episodes; ++ep) {
    runner.reset();
    emit();
    while (!runner.over() && (max_steps <= 0 || runner.steps() < max_steps)) {
      runner.step();
      emit();
    }
  }
}

FrameLayout layout_of(const Env& env) {
  DrawList probe;
  env.draw(probe);
  return frame_layout(probe.width(), probe.height());
}

}  // namespace

int record(const Registry& registry, const RecordOptions& o) {
  if (o.out.empty()) throw std::invalid_argument("--out FILE.mp4|FILE.gif is required");
  video_format_of(o.out);  // a bad extension fails before any work
  check_out_dir(o.out);
  if (o.episodes < 1) throw std::invalid_argument("--episodes must be at least 1");
  if (o.max_steps < 0) throw std::invalid_argument("--max-steps must be >= 0");
  if (o.scale < 1 || o.scale > 8) throw std::invalid_argument("--scale must be between 1 and 8");
  if (o.fps < 0 || !std::isfinite(o.fps)) throw std::invalid_argument("--fps must be positive");
  Session s = open_session(registry, o.source, false);
  Array obs = s.env->observation_space().make_array();
  s.env->reset(obs.view(), s.seed);  // a frame to size the layout
  const FrameLayout layout = layout_of(*s.env);
  const double fps = o.fps > 0 ? o.fps : (s.env->spec().render_fps > 0 ? s.env->spec().render_fps : 30);
  VideoWriter writer(o.out, layout.width * o.scale, layout.height * o.scale, fps);
  if (!s.env->spec().max_episode_steps && o.max_steps <= 0)
    fmt::print(stderr, "arena: note: {} has no step limit; episodes run until the game ends (see --max-steps)\n",
               s.env->spec().id);
  record_episodes(s, o.episodes, o.max_steps, layout, o.scale, writer);
  writer.finish();
  fmt::print("{}: {} frames ({}x{}, {:g} fps, {} episode(s), agent {}) written to {}\n", s.env->spec().id,
             writer.frames(), layout.width * o.scale, layout.height * o.scale, fps, o.episodes, s.agent_name, o.out);
  return 0;
}

std::int64_t record_policy_video(const Registry& registry, const ExperimentConfig& config, Agent& agent,
                                 std::uint64_t seed, const fs::path& out) {
  Session s;
  s.env = make_env(registry, config.env.id, config.env.options, config.env.preset);
  s.actor = std::make_unique<TrainedActor>(agent);
  s.agent_name = "greedy";
  s.seed = seed;
  Array obs = s.env->observation_space().make_array();
  s.env->reset(obs.view(), seed);
  const FrameLayout layout = layout_of(*s.env);
  if (out.has_parent_path()) fs::create_directories(out.parent_path());
  VideoWriter writer(out, layout.width, layout.height, s.env->spec().render_fps > 0 ? s.env->spec().render_fps : 30);
  // An env without a step limit (MinAtar) still gets a bounded video.
  record_episodes(s, 1, s.env->spec().max_episode_steps ? 0 : 10'000, layout, 1, writer);
  writer.finish();
  return writer.frames();
}

}  // namespace arena
