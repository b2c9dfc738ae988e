#include "experiments/cli.h"

int main(int argc, char** argv) { return arena::run_cli(argc, argv); }
