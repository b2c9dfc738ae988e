// Experiment files: TOML text <-> ExperimentConfig, with `--set table.key=value`
// overrides and the embedded default experiment (configs/cartpole_dqn.toml).
//
//   name = "cartpole_dqn"
//   [env]          id, num_envs               (EnvConfig)
//   [env.options]  any bool/int/float/string  (Options, checked later by the env registry)
//   [agent]        DQNConfig keys, e.g. learning_rate = 2.3e-3, hidden = [256, 256]
//   [replay]       ReplayConfig keys
//   [train]        TrainConfig keys
//
// Every key is named exactly like its struct field; absent keys keep the
// struct's default. Anything unknown, mistyped or out of range is a
// ConfigError whose message starts with `FILE:LINE: ` (or `--set table.key: `
// for an override) and names the key with its table.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include "experiments/experiment_config.h"

namespace arena {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses an experiment file's text; `source_name` (a path, or "<embedded>")
// prefixes error messages.
ExperimentConfig parse_experiment(const std::string& toml_text, const std::string& source_name);

// Reads and parses a file (error messages name the path as given).
ExperimentConfig load_experiment(const std::filesystem::path& file);

// Applies one "table.key=value" override. The value is read as a TOML value;
// string keys also take bare text (agent.optimizer=rmsprop), arrays are written
// as in TOML (agent.hidden=[64,64]). `env.options.KEY=VALUE` sets an env
// option whose type is inferred: true/false -> bool, integer -> int,
// float -> float, anything else -> string.
void apply_override(ExperimentConfig& config, const std::string& assignment);

// The resolved config as TOML (every key, defaults included); parse_experiment
// reads it back to an equal config.
std::string to_toml(const ExperimentConfig& config);

// Field-by-field equality over every key of the experiment file.
bool operator==(const ExperimentConfig& a, const ExperimentConfig& b);

// The default experiment: the text of experiments/configs/cartpole_dqn.toml,
// embedded at build time, and that text parsed.
const std::string& default_experiment_toml();
ExperimentConfig default_experiment();

}  // namespace arena
