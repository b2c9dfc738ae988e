// The `arena` command line.
#pragma once

namespace arena {

// Runs the CLI. Exit codes: 0 success, 1 the command ran and found a failure
// (e.g. a failed check), 2 bad usage or bad input (message on stderr).
int run_cli(int argc, char** argv);

}  // namespace arena
