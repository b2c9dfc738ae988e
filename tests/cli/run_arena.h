// Runs the `arena` binary (ARENA_BIN) through the shell and captures its exit
// code, stdout and stderr, for the CLI tests.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace arena::test {

struct Proc {
  int rc = -1;  // the exit status; -1 when killed by a signal
  std::string out, err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A per-process scratch directory for the captured output: /tmp/arena_<tag>_<pid>.
inline std::filesystem::path scratch_dir(const std::string& tag) {
  const auto dir = std::filesystem::temp_directory_path() / ("arena_" + tag + "_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

// Runs `prefix ARENA_BIN args` (prefix: e.g. "env -u DISPLAY "), output
// captured into files under scratch_dir(tag).
inline Proc run_arena(const std::string& prefix, const std::string& args, const std::string& tag = "cli") {
  static int counter = 0;
  const auto dir = scratch_dir(tag);
  const auto out = dir / ("out" + std::to_string(counter));
  const auto err = dir / ("err" + std::to_string(counter++));
  const std::string cmd = prefix + std::string(ARENA_BIN) + " " + args + " >" + out.string() + " 2>" + err.string();
  const int status = std::system(cmd.c_str());
  Proc r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace arena::test
