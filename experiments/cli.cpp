#include "experiments/cli.h"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "envs/builtin.h"
#include "envs/core/checker.h"
#include "envs/core/draw_list.h"
#include "envs/core/presets.h"
#include "envs/core/raster.h"
#include "envs/core/registry.h"
#include "agents/agent.h"
#include "agents/torsos.h"
#include "envs/core/env.h"
#include "experiments/config.h"
#include "experiments/evaluate.h"
#include "experiments/play.h"
#include "experiments/trainer.h"
#include "experiments/throughput.h"
#include "render/png_writer.h"

namespace arena {

namespace {

// Bad usage or bad input: reported on stderr, exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string fmt_threshold(const std::optional<double>& t) {
  return t ? fmt::format("{:g}", *t) : std::string("-");
}

// "key=value" strings parsed against the registered defaults of `id`.
Options parse_env_options(const Registry& registry, const std::string& id, const std::vector<std::string>& kvs) {
  const EnvDefaults& defaults = registry.defaults(id);
  Options out;
  for (const auto& kv : kvs) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("--option expects key=value, got '" + kv + "'");
    const std::string key = kv.substr(0, eq);
    const auto& items = defaults.kwargs.items();
    auto it = items.find(key);
    if (it == items.end()) {
      std::string known;
      for (const auto& [k, v] : items) known += (known.empty() ? "" : ", ") + k;
      throw UsageError("unknown option '" + key + "' for '" + id + "'" +
                       (known.empty() ? " (it takes no options)" : " (known: " + known + ")"));
    }
    out.set(key, Options::parse_as(it->second, key, kv.substr(eq + 1)));
  }
  return out;
}

int cmd_list(const Registry& registry, bool json) {
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& id : registry.ids()) {
      const EnvSpec s = registry.spec(id);
      nlohmann::json j{{"id", id},
                       {"observation_space", s.observation_space.repr()},
                       {"action_space", s.action_space.repr()},
                       {"max_episode_steps", s.max_episode_steps ? nlohmann::json(*s.max_episode_steps) : nlohmann::json()},
                       {"reward_threshold", s.reward_threshold ? nlohmann::json(*s.reward_threshold) : nlohmann::json()}};
      nlohmann::json opts = nlohmann::json::object();
      for (const auto& [k, v] : registry.defaults(id).kwargs.items()) opts[k] = option_to_string(v);
      j["options"] = opts;
      out.push_back(j);
    }
    fmt::print("{}\n", out.dump(2));
    return 0;
  }
  struct Row {
    std::string id, obs, act, steps, threshold;
  };
  std::vector<Row> rows;
  for (const auto& id : registry.ids()) {
    const EnvSpec s = registry.spec(id);
    rows.push_back({id, s.observation_space.repr(), s.action_space.repr(),
                    s.max_episode_steps ? std::to_string(*s.max_episode_steps) : "-", fmt_threshold(s.reward_threshold)});
  }
  std::size_t w_id = 2, w_act = 6;
  for (const auto& r : rows) {
    w_id = std::max(w_id, r.id.size());
    w_act = std::max(w_act, r.act.size());
  }
  fmt::print("{:<{}}  {:<{}}  {:>6}  {:>9}  {}\n", "id", w_id, "action", w_act, "steps", "threshold", "observation");
  for (const auto& r : rows)
    fmt::print("{:<{}}  {:<{}}  {:>6}  {:>9}  {}\n", r.id, w_id, r.act, w_act, r.steps, r.threshold, r.obs);
  return 0;
}

int cmd_check(const Registry& registry, std::vector<std::string> ids, bool all, int steps, std::uint64_t seed) {
  if (all) ids = registry.ids();
  if (ids.empty()) throw UsageError("check: give an env id or --all");
  for (const auto& id : ids) registry.defaults(id);  // unknown ids fail before any work
  CheckOptions options;
  options.steps = steps;
  options.seed = seed;
  int failed = 0;
  for (const auto& id : ids) {
    const CheckReport report = check_env(registry, id, options);
    fmt::print("{}", report.format());
    if (!report.passed()) ++failed;
  }
  if (ids.size() > 1)
    fmt::print("{} of {} environments passed every check\n", ids.size() - static_cast<std::size_t>(failed), ids.size());
  return failed ? 1 : 0;
}

int cmd_bench(const Registry& registry, std::vector<std::string> ids, int num_envs, double seconds, bool json) {
  if (ids.empty()) ids = registry.ids();
  for (const auto& id : ids) registry.defaults(id);
  if (num_envs < 1) throw UsageError("--num-envs must be at least 1");
  if (!(seconds > 0)) throw UsageError("--seconds must be positive");
  std::vector<ThroughputResult> results;
  for (const auto& id : ids) {
    results.push_back(measure_throughput(registry, id, 1, seconds));
    if (!json) fmt::print("{:<28} num_envs={:<4} {:>14.0f} steps/s\n", id, 1, results.back().steps_per_s);
    if (num_envs > 1) {
      results.push_back(measure_throughput(registry, id, num_envs, seconds));
      if (!json) fmt::print("{:<28} num_envs={:<4} {:>14.0f} steps/s\n", id, num_envs, results.back().steps_per_s);
    }
    std::fflush(stdout);
  }
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : results) out.push_back({{"env", r.env}, {"num_envs", r.num_envs}, {"steps_per_s", r.steps_per_s}});
    fmt::print("{}\n", out.dump(2));
  }
  return 0;
}

void print_eval(const EvalResult& r, const std::string& agent, std::uint64_t seed, bool json) {
  if (json) {
    nlohmann::json out{{"env", r.env},
                       {"episodes", r.episodes},
                       {"return_mean", r.return_mean},
                       {"return_std", r.return_std},
                       {"length_mean", r.length_mean},
                       {"return_min", r.return_min},
                       {"return_max", r.return_max},
                       {"agent", agent},
                       {"seed", seed}};
    fmt::print("{}\n", out.dump(2));
  } else {
    fmt::print("{} ({} agent, {} episodes, seed {})\n", r.env, agent, r.episodes, seed);
    fmt::print("  return  {:.3f} +- {:.3f}  (min {:.3f}, max {:.3f})\n", r.return_mean, r.return_std, r.return_min,
               r.return_max);
    fmt::print("  length  {:.1f}\n", r.length_mean);
  }
}

int cmd_eval(const Registry& registry, const std::string& run_dir, const std::string& id, const std::string& agent,
             int episodes, std::optional<std::uint64_t> seed, const std::vector<std::string>& kvs, bool json) {
  if (run_dir.empty() == id.empty()) throw UsageError("eval: give a RUN_DIR or --env ID (not both)");
  if (episodes <= 0) throw UsageError("--episodes must be positive");
  if (!run_dir.empty()) {
    // A trained run: its best policy (or the final one), greedily.
    const std::filesystem::path dir(run_dir);
    if (!std::filesystem::exists(dir / "config.toml"))
      throw UsageError(run_dir + " is not a run directory (no config.toml)");
    const ExperimentConfig config = load_experiment(dir / "config.toml");
    std::filesystem::path policy = dir / "best_policy.pt";
    if (!std::filesystem::exists(policy)) policy = dir / "final_policy.pt";
    if (!std::filesystem::exists(policy))
      throw UsageError(run_dir + " holds no policy yet (best_policy.pt / final_policy.pt)");
    set_compute_threads(1);  // acting on one observation at a time
    auto learner = make_agent(config, make_env(registry, config.env.id, config.env.options, config.env.preset)->spec());
    learner->load_policy(policy);
    const std::uint64_t s = seed.value_or(heldout_seed(config));
    print_eval(evaluate_agent(registry, config, *learner, episodes, s), policy.filename().string(), s, json);
    return 0;
  }
  if (agent != "random")
    throw UsageError("unknown agent '" + agent + "': `arena eval --env` supports --agent random; evaluate a trained "
                     "agent with `arena eval RUN_DIR`");
  const Options options = parse_env_options(registry, id, kvs);
  const std::uint64_t s = seed.value_or(0);
  print_eval(evaluate_random(registry, id, options, episodes, s), agent, s, json);
  return 0;
}

int cmd_train(const Registry& registry, const std::string& config_path, const std::vector<std::string>& sets,
              const std::string& run_dir, std::optional<std::uint64_t> seed, bool quiet, const std::string& resume_dir,
              std::int64_t stop_after) {
  TrainOptions options;
  options.quiet = quiet;
  options.stop_after = stop_after;
  TrainOutcome outcome;
  if (!resume_dir.empty()) {
    if (!config_path.empty() || !sets.empty() || seed || !run_dir.empty())
      throw UsageError("--resume continues a run with its own config.toml: no CONFIG, --set, --seed or --run-dir");
    options.run_dir = resume_dir;
    outcome = resume(registry, options);
  } else {
    ExperimentConfig config = config_path.empty() ? default_experiment() : load_experiment(config_path);
    for (const auto& s : sets) apply_override(config, s);
    if (seed) config.train.seed = *seed;
    options.run_dir = run_dir;
    if (!quiet)
      fmt::print("training {} on {} for {} steps (seed {})\n", config.train.algo, config.env.id,
                 config.train.total_steps, config.train.seed);
    outcome = train(registry, config, options);
  }
  if (outcome.failed) {
    fmt::print(stderr, "arena: error: {}\n", outcome.error);
    return 1;
  }
  if (outcome.final_eval)
    fmt::print("final evaluation: return {:.2f} +- {:.2f} over {} episodes\n", outcome.final_eval->return_mean,
               outcome.final_eval->return_std, outcome.final_eval->episodes);
  if (outcome.best_eval)
    fmt::print("best policy on held-out episodes: return {:.2f} +- {:.2f} over {} episodes (`arena eval` repeats it)\n",
               outcome.best_eval->return_mean, outcome.best_eval->return_std, outcome.best_eval->episodes);
  if (!outcome.finished)
    fmt::print("stopped at step {} with a checkpoint; continue with: arena train --resume {}\n", outcome.steps,
               outcome.run_dir.string());
  fmt::print("run directory: {}\n", outcome.run_dir.string());
  return 0;
}

int cmd_render(const Registry& registry, const std::string& id, std::uint64_t seed, int steps, const std::string& out,
               const std::string& size, const std::vector<std::string>& kvs) {
  const Options options = parse_env_options(registry, id, kvs);
  if (steps < 0) throw UsageError("--steps must be >= 0");
  auto env = registry.make(id, options);
  Array obs = env->observation_space().make_array();
  Array act = env->action_space().make_array();
  env->reset(obs.view(), seed);
  Rng action_rng(seed ^ 0x5DEECE66DULL);
  int taken = 0;
  for (; taken < steps; ++taken) {
    env->action_space().sample(action_rng, act.view());
    if (env->step(act.view(), obs.view()).done()) {
      ++taken;
      break;
    }
  }
  DrawList list;
  env->draw(list);
  int w = list.width(), h = list.height();
  if (!size.empty()) {
    static const std::regex re(R"(^([0-9]{1,5})x([0-9]{1,5})$)");
    std::smatch m;
    if (!std::regex_match(size, m, re)) throw UsageError("--size expects WIDTHxHEIGHT, e.g. 600x400, got '" + size + "'");
    w = std::stoi(m[1]);
    h = std::stoi(m[2]);
    if (w < 1 || h < 1 || w > 8192 || h > 8192) throw UsageError("--size must be between 1x1 and 8192x8192");
  }
  Image img;
  rasterize(list, w, h, img);
  write_png(out, img);
  fmt::print("{}: {}x{} frame after {} step(s){} written to {}\n", id, w, h, taken,
             taken < steps ? " (the episode ended)" : "", out);
  return 0;
}

}  // namespace

int run_cli(int argc, char** argv) {
  Registry registry;
  register_builtin_envs(registry);

  CLI::App app{"Arena: reinforcement learning in one native stack.\n"
               "Environments with Gymnasium's semantics, agents, training and a viewer.",
               "arena"};
  app.set_help_all_flag("--help-all", "Show the help of every subcommand");
  app.footer("Run `arena COMMAND --help` for the options of a command.");

  bool json = false;
  auto* list = app.add_subcommand("list", "List the registered environments with their spaces, step limit and threshold");
  list->add_flag("--json", json, "Print JSON instead of a table");

  std::vector<std::string> check_ids;
  bool check_all = false;
  int check_steps = 1000;
  std::uint64_t check_seed = 12345;
  auto* check = app.add_subcommand("check", "Run the conformance checks on environments (exit 1 if any fails)");
  check->add_option("ids", check_ids, "Environment ids");
  check->add_flag("--all", check_all, "Check every registered environment");
  check->add_option("--steps", check_steps, "Length of the random rollouts")->capture_default_str()->check(CLI::PositiveNumber);
  check->add_option("--seed", check_seed, "Seed under test")->capture_default_str();

  std::vector<std::string> bench_ids;
  int bench_envs = 8;
  double bench_seconds = 1.0;
  auto* bench = app.add_subcommand("bench", "Measure steps per second with random actions (single env and VectorEnv)");
  bench->add_option("ids", bench_ids, "Environment ids (default: all)");
  bench->add_option("--num-envs", bench_envs, "Copies in the VectorEnv run (1: single env only)")->capture_default_str();
  bench->add_option("--seconds", bench_seconds, "Seconds measured per configuration")->capture_default_str();
  bench->add_flag("--json", json, "Print a JSON list of {env, num_envs, steps_per_s}");

  std::string train_config, train_run_dir, train_resume;
  std::vector<std::string> train_sets;
  std::optional<std::uint64_t> train_seed;
  bool train_quiet = false;
  std::int64_t train_stop_after = 0;
  auto* train_cmd = app.add_subcommand("train", "Train an agent from an experiment file (default: the embedded CartPole DQN)");
  train_cmd->add_option("config", train_config, "Experiment TOML file (experiments/configs/*.toml)");
  train_cmd->add_option("--set", train_sets, "Override a key: table.key=value (repeatable), e.g. agent.learning_rate=3e-4")
      ->allow_extra_args(false);
  train_cmd->add_option("--run-dir", train_run_dir, "Run directory (default: runs/<name>-s<seed>-<date>-<time>)");
  train_cmd->add_option("--seed", train_seed, "Run seed (overrides train.seed)");
  train_cmd->add_flag("--quiet", train_quiet, "Plain progress lines instead of a live bar");
  train_cmd->add_option("--resume", train_resume, "Continue RUN_DIR from its newest complete checkpoint");
  train_cmd->add_option("--stop-after", train_stop_after,
                        "Checkpoint and stop once this many env steps are done (continue later with --resume)");

  std::string eval_env, eval_agent = "random", eval_run_dir;
  int eval_episodes = 10;
  std::optional<std::uint64_t> eval_seed;
  std::vector<std::string> eval_options;
  auto* eval = app.add_subcommand(
      "eval", "Episode statistics of a trained run (RUN_DIR, its best policy, greedy) or of --agent random on --env ID");
  eval->add_option("run_dir", eval_run_dir, "Run directory of `arena train`");
  eval->add_option("--env", eval_env, "Environment id (with --agent random)");
  eval->add_option("--agent", eval_agent, "Agent for --env: random")->capture_default_str();
  eval->add_option("--episodes", eval_episodes, "Number of episodes")->capture_default_str();
  eval->add_option("--seed", eval_seed,
                   "Seed of the first episode, episode i uses seed + i (default: 0, or the run's held-out seed)");
  eval->add_option("--option", eval_options, "Environment option key=value (repeatable)")->allow_extra_args(false);
  eval->add_flag("--json", json, "Print one JSON object {env, episodes, return_mean, return_std, length_mean, ...}");

  std::string render_id, render_out, render_size;
  std::uint64_t render_seed = 0;
  int render_steps = 0;
  std::vector<std::string> render_options;
  auto* render = app.add_subcommand("render", "Write a PNG of an environment's frame after K random steps");
  render->add_option("id", render_id, "Environment id")->required();
  render->add_option("--seed", render_seed, "Reset seed")->capture_default_str();
  render->add_option("--steps", render_steps, "Random steps before the frame")->capture_default_str();
  render->add_option("--out", render_out, "Output PNG file")->required();
  render->add_option("--size", render_size, "Image size WIDTHxHEIGHT (default: the env's canvas size)");
  render->add_option("--option", render_options, "Environment option key=value (repeatable)")->allow_extra_args(false);

  PlayOptions play_opts;
  auto* play_cmd = app.add_subcommand(
      "play", "Watch an agent play in a window (SFML): RUN_DIR (its best policy) or --env ID with --agent");
  play_cmd->add_option("run_dir", play_opts.source.run_dir, "Run directory of `arena train` (its env and best policy)");
  play_cmd->add_option("--env", play_opts.source.env_id, "Environment id (instead of RUN_DIR)");
  play_cmd->add_option("--agent", play_opts.source.agent,
                       "random (uniform actions), human (the keyboard; h shows the keys) or a RUN_DIR "
                       "(default: the run's policy with RUN_DIR, random with --env)");
  play_cmd->add_option("--seed", play_opts.source.seed,
                       "Seed of the first episode, episode i uses seed + i "
                       "(default: 0, or the run's held-out seed, as arena eval)");
  play_cmd->add_option("--max-steps", play_opts.max_steps, "Quit after this many env steps (0: play until q)")
      ->capture_default_str();
  play_cmd->add_option("--screenshot", play_opts.screenshot, "At exit, save the window's last frame to this PNG file");
  play_cmd->add_option("--speed", play_opts.speed,
                       "Initial speed as a multiple of the env's fps: 0.25, 0.5, 1, 2, 4, 8, 16 or max")
      ->capture_default_str();
  play_cmd->add_option("--scale", play_opts.scale, "Initial window size as a multiple of the frame's size (1-8)")
      ->capture_default_str();
  play_cmd->add_option("--antialiasing", play_opts.antialiasing, "Multisampling level of the window (0: off)")
      ->capture_default_str();
  play_cmd->add_flag("--stats", play_opts.stats,
                     "At exit, print frame-time statistics (mean, median, p99, worst; whole frame and its parts)");
  play_cmd->footer(
      "Keys: space pause, right arrow one step (while paused), + / - speed, r reset, s screenshot, h help "
      "(and the game's keys with --agent human), q or Esc quit.\n"
      "Needs a display; without one it exits with code 2 and suggests `arena record`.");

  RecordOptions record_opts;
  auto* record_cmd = app.add_subcommand(
      "record", "Record episodes to an MP4 (H.264) or GIF with the HUD, headless: RUN_DIR or --env ID with --agent");
  record_cmd->add_option("run_dir", record_opts.source.run_dir, "Run directory of `arena train` (its env and best policy)");
  record_cmd->add_option("--env", record_opts.source.env_id, "Environment id (instead of RUN_DIR)");
  record_cmd->add_option("--agent", record_opts.source.agent,
                         "random (uniform actions) or a RUN_DIR (default: the run's policy with RUN_DIR, random with --env)");
  record_cmd->add_option("--seed", record_opts.source.seed,
                         "Seed of the first episode, episode i uses seed + i "
                         "(default: 0, or the run's held-out seed, as arena eval)");
  record_cmd->add_option("--episodes", record_opts.episodes, "Number of episodes")->capture_default_str();
  record_cmd->add_option("--out", record_opts.out, "Output file: FILE.mp4 (H.264) or FILE.gif")->required();
  record_cmd->add_option("--max-steps", record_opts.max_steps, "At most this many steps per episode (0: no limit)")
      ->capture_default_str();
  record_cmd->add_option("--fps", record_opts.fps, "Frames per second of the video (default: the env's render fps)");
  record_cmd->add_option("--scale", record_opts.scale, "Video size as a multiple of the frame's size (1-8)")
      ->capture_default_str();
  record_cmd->footer("One frame per step plus each episode's first frame. The file appears complete or not at all.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and a hint on stderr
    return 2;
  }

  try {
    if (*list) return cmd_list(registry, json);
    if (*check) return cmd_check(registry, check_ids, check_all, check_steps, check_seed);
    if (*bench) return cmd_bench(registry, bench_ids, bench_envs, bench_seconds, json);
    if (*train_cmd)
      return cmd_train(registry, train_config, train_sets, train_run_dir, train_seed, train_quiet, train_resume,
                       train_stop_after);
    if (*eval)
      return cmd_eval(registry, eval_run_dir, eval_env, eval_agent, eval_episodes, eval_seed, eval_options, json);
    if (*render) return cmd_render(registry, render_id, render_seed, render_steps, render_out, render_size, render_options);
    if (*play_cmd) return play(registry, play_opts);
    if (*record_cmd) return record(registry, record_opts);
    fmt::print("{}", app.help());
    return 0;
  } catch (const ConfigError& e) {
    fmt::print(stderr, "arena: error: {}\n", e.what());
    return 2;
  } catch (const UsageError& e) {
    fmt::print(stderr, "arena: error: {}\n", e.what());
    return 2;
  } catch (const UnknownEnvError& e) {
    fmt::print(stderr, "arena: error: {}\n", e.what());
    return 2;
  } catch (const OptionError& e) {
    fmt::print(stderr, "arena: error: {}\n", e.what());
    return 2;
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "arena: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "arena: error: {}\n", e.what());
    return 1;
  }
}

}  // namespace arena
