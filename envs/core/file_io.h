// Durable file output shared by every layer: atomic whole-file writes and
// checksums, so that a crash never leaves a torn file behind.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace arena {

// Writes `bytes` to `path` atomically: a temporary file in the same
// directory, fsync, rename over `path`, fsync of the directory. A reader sees
// the old file or the complete new one. Throws std::runtime_error naming the
// path and the cause; no temporary file is left behind on failure.
void write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);
void write_file_atomic(const std::filesystem::path& path, std::string_view text);
// The same for content too large to hold in memory: `write` receives the
// open descriptor of the temporary file and writes everything into it (it
// may throw; the temporary file is then removed and the target untouched).
void write_file_atomic(const std::filesystem::path& path, const std::function<void(int fd)>& write);
// The two halves of write_file_atomic, for writers that need a file name
// rather than a descriptor (e.g. a video muxer):
// create_temp_beside() creates an empty temporary file (mode 0644) in
// `path`'s directory, named after it, and returns its descriptor and name;
// commit_temp() fsyncs it, renames it over `path` and fsyncs the directory
// (on failure it removes the temporary file). Both throw naming `path`.
struct TempFile {
  int fd = -1;
  std::filesystem::path name;
};
TempFile create_temp_beside(const std::filesystem::path& path);
void commit_temp(const std::filesystem::path& temp, const std::filesystem::path& path);
// Writes all `n` bytes to `fd`, retrying short writes; throws naming `path`.
void write_all(int fd, const void* data, std::size_t n, const std::filesystem::path& path);

// Flushes a directory entry (after creating or renaming something in it).
void fsync_directory(const std::filesystem::path& dir);
// fsync of an existing file.
void fsync_file(const std::filesystem::path& path);

// The whole file; throws std::runtime_error naming the path.
std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path);

// CRC-32 (IEEE 802.3, as zlib's crc32), chainable through `crc`.
std::uint32_t crc32(std::span<const std::uint8_t> bytes, std::uint32_t crc = 0);

}  // namespace arena
