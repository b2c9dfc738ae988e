#include "experiments/trainer.h"

#include <fmt/core.h>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <ctime>
#include <deque>
#include <limits>
#include <map>

#include "agents/agent.h"
#include "agents/dqn.h"
#include "agents/torsos.h"
#include "envs/core/file_io.h"
#include "envs/core/presets.h"
#include "envs/core/registry.h"
#include "envs/core/state_io.h"
#include "envs/core/vector_env.h"
#include "envs/core/wrappers.h"
#include "experiments/checkpoint.h"
#include "experiments/config.h"
#include "experiments/metrics_csv.h"
#include "experiments/play.h"
#include "experiments/progress.h"
#include "experiments/tensorboard.h"

namespace arena {

namespace fs = std::filesystem;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kRecentEpisodes = 100;

// Columns of metrics.csv: the deterministic ones first, timing last.
const std::vector<std::string> kMetricColumns = {"step",     "episodes", "return_mean", "length_mean",
                                                 "loss",     "q_mean",   "epsilon",     "grad_norm",
                                                 "updates",  "steps_per_s", "wall_time"};
const std::vector<std::string> kEvalColumns = {"step", "return_mean", "return_std", "return_min", "return_max",
                                               "length_mean", "episodes"};

std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) { g_interrupted = true; }

// SIGINT stops the run at the next step with a checkpoint (a second one kills).
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted = false;
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, &previous_);
  }
  ~InterruptGuard() { sigaction(SIGINT, &previous_, nullptr); }

 private:
  struct sigaction previous_ {};
};

double mean_of(const std::deque<double>& d) {
  if (d.empty()) return kNaN;
  double s = 0;
  for (double v : d) s += v;
  return s / static_cast<double>(d.size());
}

bool crossed(std::int64_t before, std::int64_t after, std::int64_t period) {
  return period > 0 && after / period > before / period;
}

fs::path default_run_dir(const ExperimentConfig& config) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  fs::path base = fs::path("runs") / fmt::format("{}-s{}-{}", config.name, config.train.seed, stamp);
  fs::path dir = base;
  for (int i = 2; fs::exists(dir); ++i) dir = base.string() + "-" + std::to_string(i);
  return dir;
}

// One training run: the loop and everything it writes.
class Run {
 public:
  Run(const Registry& registry, ExperimentConfig config, fs::path dir, bool quiet)
      : registry_(registry),
        config_(std::move(config)),
        dir_(std::move(dir)),
        quiet_(quiet),
        venv_([this] { return make_env(registry_, config_.env.id, config_.env.options, config_.env.preset); },
              static_cast<std::size_t>(config_.env.num_envs)) {
    set_compute_threads(config_.train.threads);
    torch::manual_seed(config_.train.seed);
    agent_ = make_agent(config_, venv_.env(0).spec());
    const std::size_t n = static_cast<std::size_t>(config_.env.num_envs);
    const Space& obs_space = venv_.single_observation_space();
    const Space& act_space = venv_.single_action_space();
    obs_bytes_ = obs_space.size() * dtype_size(obs_space.dtype());
    obs_before_ = Array(obs_space.dtype(), {static_cast<std::int64_t>(n * obs_space.size())});
    next_obs_ = Array(obs_space.dtype(), {static_cast<std::int64_t>(n * obs_space.size())});
    actions_ = Array(act_space.dtype(), {static_cast<std::int64_t>(n * act_space.size())});
    episode_return_.assign(n, 0.0);
    episode_length_.assign(n, 0);
    // Whole-game statistics under the learner's wrappers (the atari preset's
    // episodic life and clipping), when the env stack records them.
    for (std::size_t i = 0; i < n; ++i) game_stats_.push_back(find_episode_statistics(venv_.env(i)));
    games_before_.assign(n, 0);
  }

  // A fresh start: reset the envs with the run seed.
  void start() {
    venv_.reset(config_.train.seed);
    open_logs(false);
  }

  // Loads the newest loadable checkpoint; returns its step.
  std::int64_t restore() {
    const auto checkpoints = list_checkpoints(dir_ / "checkpoints");
    if (checkpoints.empty())
      throw std::runtime_error("no checkpoint in " + (dir_ / "checkpoints").string() + " to resume from");
    std::string failures;
    for (const auto& ck : checkpoints) {
      try {
        verify_checkpoint(ck.dir);
        load_checkpoint(ck.dir);
        if (!failures.empty()) fmt::print(stderr, "arena: resuming from the older checkpoint {}\n", ck.dir.string());
        truncate_after_step(dir_ / "metrics.csv", "step", step_);
        truncate_after_step(dir_ / "eval.csv", "step", step_);
        open_logs(true);
        return step_;
      } catch (const std::exception& e) {
        fmt::print(stderr, "arena: warning: cannot load {}: {}\n", ck.dir.string(), e.what());
        failures += e.what();
        // Rebuild a clean agent and env before trying the next one.
        torch::manual_seed(config_.train.seed);
        agent_ = make_agent(config_, venv_.env(0).spec());
      }
    }
    throw std::runtime_error("no loadable checkpoint in " + (dir_ / "checkpoints").string());
  }

  TrainOutcome loop(std::int64_t stop_after) {
    TrainOutcome outcome;
    outcome.run_dir = dir_;
    const TrainConfig& tc = config_.train;
    const std::size_t n = static_cast<std::size_t>(config_.env.num_envs);
    ProgressOptions popts;
    popts.quiet = quiet_;
    ProgressBar progress(tc.total_steps, popts);
    InterruptGuard interrupt;
    const auto t0 = std::chrono::steady_clock::now();
    const std::int64_t step0 = step_;
    std::int64_t last_checkpoint = step_;  // the step of the state on disk (a resume starts from one)

    while (step_ < tc.total_steps) {
      if (g_interrupted || (stop_after > 0 && step_ >= stop_after)) break;
      // Act on the current observations, keeping them for the transitions.
      std::memcpy(obs_before_.view().data, venv_.observations().data, obs_bytes_ * n);
      agent_->act(obs_before_.view(), static_cast<std::int64_t>(n), ActMode::Explore, actions_.view());
      for (std::size_t i = 0; i < n; ++i) games_before_[i] = game_stats_[i] ? game_stats_[i]->episode_count() : 0;
      venv_.step(actions_.view());
      // The true next observation: the final one where an episode ended.
      std::memcpy(next_obs_.view().data, venv_.observations().data, obs_bytes_ * n);
      const auto ended = venv_.ended();
      auto* next = static_cast<std::uint8_t*>(next_obs_.view().data);
      const auto* fin = static_cast<const std::uint8_t*>(venv_.final_observations().data);
      for (std::size_t i = 0; i < n; ++i)
        if (ended[i]) std::memcpy(next + i * obs_bytes_, fin + i * obs_bytes_, obs_bytes_);

      Transitions t;
      t.num_envs = static_cast<std::int64_t>(n);
      t.obs = obs_before_.view();
      t.actions = actions_.view();
      t.rewards = venv_.rewards();
      t.next_obs = next_obs_.view();
      t.terminated = venv_.terminated();
      t.truncated = venv_.truncated();
      const std::int64_t before = step_;
      try {
        const Metrics m = agent_->observe(t);
        for (const auto& [k, v] : m) agent_metrics_[k] = v;
      } catch (const std::exception& e) {
        progress.finish();
        outcome.failed = true;
        const auto kept = list_checkpoints(dir_ / "checkpoints");
        outcome.error =
            kept.empty() ? fmt::format("training stopped at step {}: {}. No checkpoint had been written yet.", step_,
                                       e.what())
                         : fmt::format("training stopped at step {}: {}. No checkpoint was written after the failure; "
                                       "the last one ({}) is intact.",
                                       step_, e.what(), kept.front().dir.string());
        outcome.steps = step_;
        return outcome;
      }
      step_ = agent_->steps();

      const auto rewards = venv_.rewards();
      for (std::size_t i = 0; i < n; ++i) {
        episode_return_[i] += rewards[i];
        episode_length_[i] += 1;
        if (const RecordEpisodeStatistics* game = game_stats_[i]) {
          // The learner's episodes may be lives; log whole games (frames, raw points).
          if (game->episode_count() > games_before_[i]) {
            push_recent(game->last_return(), static_cast<double>(game->last_length()));
            ++episodes_;
          }
        } else if (ended[i]) {
          push_recent(episode_return_[i], static_cast<double>(episode_length_[i]));
          ++episodes_;
        }
        if (ended[i]) {
          episode_return_[i] = 0;
          episode_length_[i] = 0;
        }
      }

      if (crossed(before, step_, tc.log_every)) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        log_metrics(static_cast<double>(step_ - step0) / std::max(secs, 1e-9));
      }
      if (crossed(before, step_, tc.eval_every) && step_ < tc.total_steps) evaluate(tc.eval_episodes);
      if (crossed(before, step_, tc.record_every)) record_video();
      if (crossed(before, step_, tc.checkpoint_every) && step_ < tc.total_steps) {
        checkpoint();
        last_checkpoint = step_;
      }
      progress.update(step_, mean_of(recent_returns_), last_eval_);
    }

    outcome.steps = step_;
    if (step_ >= tc.total_steps) {
      outcome.final_eval = evaluate(tc.final_eval_episodes);
      agent_->save_policy(dir_ / "final_policy.pt");
      outcome.best_eval = evaluate_best_policy(tc.final_eval_episodes);
      checkpoint();
      outcome.finished = true;
    } else if (last_checkpoint != step_) {
      checkpoint();
    }
    progress.finish();
    if (tb_) tb_->flush();
    return outcome;
  }

 private:
  void push_recent(double ret, double len) {
    recent_returns_.push_back(ret);
    recent_lengths_.push_back(len);
    if (recent_returns_.size() > kRecentEpisodes) {
      recent_returns_.pop_front();
      recent_lengths_.pop_front();
    }
  }

  double agent_metric(const std::string& name) const {
    auto it = agent_metrics_.find(name);
    return it == agent_metrics_.end() ? kNaN : it->second;
  }

  void open_logs(bool append) {
    metrics_ = std::make_unique<MetricsCsv>(dir_ / "metrics.csv", kMetricColumns, append);
    evals_ = std::make_unique<MetricsCsv>(dir_ / "eval.csv", kEvalColumns, append);
    tb_ = std::make_unique<TensorBoardWriter>(dir_);
  }

  void log_metrics(double steps_per_s) {
    const std::vector<std::pair<std::string, double>> row = {
        {"step", static_cast<double>(step_)},
        {"episodes", static_cast<double>(episodes_)},
        {"return_mean", mean_of(recent_returns_)},
        {"length_mean", mean_of(recent_lengths_)},
        {"loss", agent_metric("loss")},
        {"q_mean", agent_metric("q_mean")},
        {"epsilon", agent_metric("epsilon")},
        {"grad_norm", agent_metric("grad_norm")},
        {"updates", agent_metric("updates")},
        {"steps_per_s", steps_per_s},
        {"wall_time", static_cast<double>(std::time(nullptr))}};
    metrics_->row(row);
    for (const auto& [k, v] : row) {
      if (k == "step" || k == "wall_time" || std::isnan(v)) continue;
      tb_->scalar((k == "steps_per_s" ? "time/" : "train/") + k, v, step_);
    }
  }

  EvalResult evaluate(int episodes) {
    const EvalResult r = evaluate_agent(registry_, config_, *agent_, episodes, evaluation_seed(config_));
    last_eval_ = r.return_mean;
    evals_->row({{"step", static_cast<double>(step_)},
                 {"return_mean", r.return_mean},
                 {"return_std", r.return_std},
                 {"return_min", r.return_min},
                 {"return_max", r.return_max},
                 {"length_mean", r.length_mean},
                 {"episodes", static_cast<double>(r.episodes)}});
    tb_->scalar("eval/return_mean", r.return_mean, step_);
    tb_->scalar("eval/length_mean", r.length_mean, step_);
    if (r.return_mean >= best_eval_) {
      best_eval_ = r.return_mean;
      agent_->save_policy(dir_ / "best_policy.pt");
    }
    return r;
  }

  // The best policy (chosen on the periodic evaluations) on held-out episodes
  // that the choice never saw: the unbiased score of the model a run delivers.
  EvalResult evaluate_best_policy(int episodes) {
    auto best = make_agent(config_, venv_.env(0).spec());
    best->load_policy(dir_ / "best_policy.pt");
    const EvalResult r = evaluate_agent(registry_, config_, *best, episodes, heldout_seed(config_));
    tb_->scalar("eval/best_policy_heldout_return_mean", r.return_mean, step_);
    return r;
  }

  // A greedy evaluation episode with the HUD, as videos/step_<N>.mp4.
  void record_video() {
    record_policy_video(registry_, config_, *agent_, evaluation_seed(config_),
                        dir_ / "videos" / fmt::format("step_{:012d}.mp4", step_));
  }

  void checkpoint() {
    write_checkpoint(
        dir_ / "checkpoints", step_,
        [&](const fs::path& tmp) {
          fs::create_directories(tmp / "agent");
          agent_->save(tmp / "agent");
          StateWriter envs;
          venv_.save_state(envs);
          write_file_atomic(tmp / "envs.bin", std::span<const std::uint8_t>(envs.data()));
          StateWriter runner;
          save_runner_state(runner);
          write_file_atomic(tmp / "runner.bin", std::span<const std::uint8_t>(runner.data()));
        },
        config_.train.keep_checkpoints);
  }

  void save_runner_state(StateWriter& w) const {
    w.tag("arena-runner-1");
    w.pod(step_);
    w.pod(episodes_);
    w.pod(best_eval_);
    w.pod(last_eval_);
    w.vec(episode_return_);
    w.vec(episode_length_);
    w.vec(std::vector<double>(recent_returns_.begin(), recent_returns_.end()));
    w.vec(std::vector<double>(recent_lengths_.begin(), recent_lengths_.end()));
    w.pod<std::uint64_t>(agent_metrics_.size());
    for (const auto& [k, v] : agent_metrics_) {
      w.tag(k);
      w.pod(v);
    }
  }

  void load_checkpoint(const fs::path& ck) {
    agent_->load(ck / "agent");
    const auto env_bytes = read_file_bytes(ck / "envs.bin");
    StateReader envs(env_bytes);
    venv_.load_state(envs);
    const auto runner_bytes = read_file_bytes(ck / "runner.bin");
    StateReader r(runner_bytes);
    r.expect_tag("arena-runner-1");
    r.pod(step_);
    r.pod(episodes_);
    r.pod(best_eval_);
    r.pod(last_eval_);
    const std::size_t n = episode_return_.size();
    r.vec(episode_return_, n);
    r.vec(episode_length_, n);
    std::vector<double> rr, rl;
    const auto peek = [&](std::vector<double>& v) {
      const auto count = r.pod<std::uint64_t>();
      if (count > kRecentEpisodes) throw std::runtime_error("runner.bin: corrupt episode history");
      v.resize(count);
      r.bytes(v.data(), count * sizeof(double));
    };
    peek(rr);
    peek(rl);
    recent_returns_.assign(rr.begin(), rr.end());
    recent_lengths_.assign(rl.begin(), rl.end());
    const auto metrics = r.pod<std::uint64_t>();
    if (metrics > 64) throw std::runtime_error("runner.bin: corrupt metrics");
    agent_metrics_.clear();
    for (std::uint64_t i = 0; i < metrics; ++i) {
      const auto len = r.pod<std::uint32_t>();
      if (len > 64) throw std::runtime_error("runner.bin: corrupt metric name");
      std::string name(len, '\0');
      r.bytes(name.data(), len);
      agent_metrics_[name] = r.pod<double>();
    }
    if (step_ != agent_->steps())
      throw std::runtime_error("runner.bin is at step " + std::to_string(step_) + ", the agent at step " +
                               std::to_string(agent_->steps()));
  }

  const Registry& registry_;
  ExperimentConfig config_;
  fs::path dir_;
  bool quiet_;
  VectorEnv venv_;
  std::unique_ptr<Agent> agent_;
  std::size_t obs_bytes_ = 0;
  Array obs_before_, next_obs_, actions_;
  std::vector<double> episode_return_;
  std::vector<std::int64_t> episode_length_;
  std::deque<double> recent_returns_, recent_lengths_;
  std::map<std::string, double> agent_metrics_;
  std::int64_t step_ = 0, episodes_ = 0;
  double best_eval_ = -std::numeric_limits<double>::infinity();
  std::vector<const RecordEpisodeStatistics*> game_stats_;  // per env, or null
  std::vector<std::int64_t> games_before_;                   // their episode counts before a step
  double last_eval_ = kNaN;
  std::unique_ptr<MetricsCsv> metrics_, evals_;
  std::unique_ptr<TensorBoardWriter> tb_;
};

}  // namespace

std::unique_ptr<Agent> make_agent(const ExperimentConfig& config, const EnvSpec& spec) {
  if (config.train.algo == "dqn")
    return std::make_unique<DQN>(config.agent, config.replay, spec.observation_space, spec.action_space,
                                 config.env.num_envs, config.train.total_steps, config.train.seed);
  throw std::invalid_argument("unknown algorithm '" + config.train.algo + "' (known: dqn)");
}

std::uint64_t evaluation_seed(const ExperimentConfig& config) { return config.train.seed + 1'000'000'007ULL; }
std::uint64_t heldout_seed(const ExperimentConfig& config) { return config.train.seed + 2'000'000'011ULL; }

EvalResult evaluate_agent(const Registry& registry, const ExperimentConfig& config, Agent& agent, int episodes,
                          std::uint64_t seed) {
  auto env = make_env(registry, config.env.id, config.env.options, config.env.preset);
  return run_episodes(
      *env, [&](ConstBuffer obs, Buffer action) { agent.act(obs, 1, ActMode::Greedy, action); }, episodes, seed);
}

TrainOutcome train(const Registry& registry, const ExperimentConfig& config, const TrainOptions& options) {
  const fs::path dir = options.run_dir.empty() ? default_run_dir(config) : options.run_dir;
  if (fs::exists(dir) && !fs::is_empty(dir))
    throw std::invalid_argument("run directory " + dir.string() +
                                " exists and is not empty (continue it with --resume, or pick another --run-dir)");
  if (!registry.contains(config.env.id)) registry.make(config.env.id);  // throws with suggestions
  fs::create_directories(dir);
  write_file_atomic(dir / "config.toml", to_toml(config));
  Run run(registry, config, dir, options.quiet);
  run.start();
  return run.loop(options.stop_after);
}

TrainOutcome resume(const Registry& registry, const TrainOptions& options) {
  const fs::path& dir = options.run_dir;
  if (!fs::exists(dir / "config.toml"))
    throw std::invalid_argument(dir.string() + " is not a run directory (no config.toml)");
  const ExperimentConfig config = load_experiment(dir / "config.toml");
  Run run(registry, config, dir, options.quiet);
  run.restore();
  return run.loop(options.stop_after);
}

}  // namespace arena
