// Checkpoint directories: written atomically, verified before loading.
//
// Layout: RUN_DIR/checkpoints/step_<12-digit step>/ with the files of the
// training state and a MANIFEST listing each file with its size and CRC-32,
// written last. A checkpoint is built in a temporary directory, every file
// and the directory are fsynced, then it is renamed into place and the parent
// fsynced: a crash at any moment leaves either no new checkpoint or a
// complete one. Only the newest `keep` checkpoints are kept.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <vector>

namespace arena {

struct CheckpointError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CheckpointInfo {
  std::filesystem::path dir;
  std::int64_t step = 0;
};

// Creates checkpoints_dir/step_<step>: `fill` writes the files into the
// (temporary) directory it is given. Returns the final path.
std::filesystem::path write_checkpoint(const std::filesystem::path& checkpoints_dir, std::int64_t step,
                                       const std::function<void(const std::filesystem::path&)>& fill, int keep);

// Checkpoint directories by step, newest first (not verified). Leftover
// temporary directories of an interrupted write are removed.
std::vector<CheckpointInfo> list_checkpoints(const std::filesystem::path& checkpoints_dir);

// Checks that every file of the manifest is present with its size and CRC.
// Throws CheckpointError naming the checkpoint, the file and the problem.
void verify_checkpoint(const std::filesystem::path& dir);

}  // namespace arena
