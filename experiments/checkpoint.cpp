#include "experiments/checkpoint.h"

#include <fmt/core.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "envs/core/file_io.h"

namespace arena {

namespace fs = std::filesystem;

namespace {

constexpr const char* kManifest = "MANIFEST";
constexpr const char* kTmpPrefix = ".tmp-";

std::string step_name(std::int64_t step) { return fmt::format("step_{:012d}", step); }

// Every regular file below `dir`, relative, sorted.
std::vector<fs::path> files_below(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

fs::path write_checkpoint(const fs::path& checkpoints_dir, std::int64_t step,
                          const std::function<void(const fs::path&)>& fill, int keep) {
  fs::create_directories(checkpoints_dir);
  const fs::path final_dir = checkpoints_dir / step_name(step);
  const fs::path tmp = checkpoints_dir / (kTmpPrefix + step_name(step));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  fill(tmp);

  // The manifest, written last, vouches for every file.
  std::ostringstream manifest;
  manifest << "arena-checkpoint 1\nstep " << step << "\n";
  for (const fs::path& rel : files_below(tmp)) {
    const auto bytes = read_file_bytes(tmp / rel);
    fsync_file(tmp / rel);
    manifest << fmt::format("{:08x} {} {}\n", crc32(bytes), bytes.size(), rel.generic_string());
  }
  write_file_atomic(tmp / kManifest, manifest.str());
  for (const auto& e : fs::recursive_directory_iterator(tmp))
    if (e.is_directory()) fsync_directory(e.path());
  fsync_directory(tmp);

  if (fs::exists(final_dir)) fs::remove_all(final_dir);  // a rewritten step (resume at the same step)
  fs::rename(tmp, final_dir);
  fsync_directory(checkpoints_dir);

  // Keep the newest `keep`.
  auto all = list_checkpoints(checkpoints_dir);
  for (std::size_t i = static_cast<std::size_t>(std::max(keep, 1)); i < all.size(); ++i) fs::remove_all(all[i].dir);
  fsync_directory(checkpoints_dir);
  return final_dir;
}

std::vector<CheckpointInfo> list_checkpoints(const fs::path& checkpoints_dir) {
  std::vector<CheckpointInfo> out;
  if (!fs::is_directory(checkpoints_dir)) return out;
  for (const auto& e : fs::directory_iterator(checkpoints_dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(kTmpPrefix, 0) == 0) {
      std::error_code ec;
      fs::remove_all(e.path(), ec);  // an interrupted write
      continue;
    }
    if (!e.is_directory() || name.rfind("step_", 0) != 0) continue;
    try {
      out.push_back({e.path(), std::stoll(name.substr(5))});
    } catch (const std::exception&) {
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.step > b.step; });
  return out;
}

void verify_checkpoint(const fs::path& dir) {
  const fs::path manifest_path = dir / kManifest;
  auto fail = [&](const std::string& why) -> CheckpointError {
    return CheckpointError("checkpoint " + dir.string() + " is incomplete or corrupt: " + why);
  };
  if (!fs::exists(manifest_path)) throw fail("no MANIFEST");
  std::ifstream in(manifest_path);
  std::string header;
  std::getline(in, header);
  if (header != "arena-checkpoint 1") throw fail("unknown MANIFEST format '" + header + "'");
  std::string line;
  std::getline(in, line);  // step
  std::size_t files = 0;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string crc_hex, rel;
    std::uint64_t size = 0;
    if (!(ls >> crc_hex >> size >> rel)) throw fail("malformed MANIFEST line '" + line + "'");
    const fs::path file = dir / rel;
    if (!fs::exists(file)) throw fail("missing file " + rel);
    const auto bytes = read_file_bytes(file);
    if (bytes.size() != size)
      throw fail(fmt::format("{} has {} bytes, the manifest says {}", rel, bytes.size(), size));
    if (fmt::format("{:08x}", crc32(bytes)) != crc_hex) throw fail(rel + " fails its checksum");
    ++files;
  }
  if (files == 0) throw fail("the MANIFEST lists no files");
}

}  // namespace arena
