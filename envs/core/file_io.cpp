#include "envs/core/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace arena {

namespace {

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path, int err) {
  throw std::runtime_error(what + " '" + path.string() + "': " + std::strerror(err));
}

}  // namespace

void fsync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) fail("cannot open directory", dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Some file systems cannot sync a directory (EINVAL); the entries are in place.
  if (rc != 0 && err != EINVAL) fail("cannot sync directory", dir, err);
}

void fsync_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail("cannot open", path, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) fail("cannot sync", path, err);
}

void write_all(int fd, const void* data, std::size_t n, const std::filesystem::path& path) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path, errno);
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

namespace {
std::filesystem::path directory_of(const std::filesystem::path& path) {
  return path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
}
}  // namespace

TempFile create_temp_beside(const std::filesystem::path& path) {
  std::string tmpl = (directory_of(path) / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkstemp(tmpl.data());  // replaces the Xs, creates the file 0600
  if (fd < 0) fail("cannot create a temporary file for", path, errno);
  if (::fchmod(fd, 0644) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmpl.c_str());
    fail("cannot set permissions of", path, err);
  }
  return {fd, tmpl};
}

void commit_temp(const std::filesystem::path& temp, const std::filesystem::path& path) {
  try {
    fsync_file(temp);
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    fail("cannot rename onto", path, err);
  }
  fsync_directory(directory_of(path));
}

void write_file_atomic(const std::filesystem::path& path, const std::function<void(int fd)>& write) {
  const TempFile tmp = create_temp_beside(path);
  try {
    write(tmp.fd);
  } catch (...) {
    ::close(tmp.fd);
    ::unlink(tmp.name.c_str());
    throw;
  }
  if (::close(tmp.fd) != 0) {
    const int err = errno;
    ::unlink(tmp.name.c_str());
    fail("cannot close", path, err);
  }
  commit_temp(tmp.name, path);
}

void write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
  write_file_atomic(path, [&](int fd) { write_all(fd, bytes.data(), bytes.size(), path); });
}

void write_file_atomic(const std::filesystem::path& path, std::string_view text) {
  write_file_atomic(path, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open '" + path.string() + "': " + std::strerror(errno));
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  in.seekg(0);
  std::vector<std::uint8_t> out(size);
  if (size && !in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(size)))
    throw std::runtime_error("cannot read '" + path.string() + "'");
  return out;
}

std::uint32_t crc32(std::span<const std::uint8_t> bytes, std::uint32_t crc) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (std::uint8_t b : bytes) crc = table[(crc ^ b) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

}  // namespace arena
