#include "render/png_writer.h"

#include <fcntl.h>
#include <png.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace arena {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, const std::string& cause) {
  throw std::runtime_error(what + " '" + path + "': " + cause);
}

std::string errno_text(int err) { return std::strerror(err); }

// Closes a file descriptor and removes a temporary file unless released.
class TempFile {
 public:
  TempFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // Closes the descriptor; returns errno of a failed close, or 0.
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }
  void release() { path_.clear(); }

 private:
  int fd_;
  std::string path_;
};

void write_all(int fd, const std::uint8_t* data, std::size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write_png: cannot write", path, errno_text(errno));
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace

void write_png(const std::string& path, const Image& image) {
  if (image.width <= 0 || image.height <= 0)
    fail("write_png: cannot write", path, "the image is empty (" + std::to_string(image.width) + "x" +
                                              std::to_string(image.height) + ")");
  if (image.rgb.size() != static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 3)
    fail("write_png: cannot write", path, "the image's buffer does not match its size");

  // Encode in memory first (libpng's simplified API reports errors in
  // png_image.message, with no longjmp through C++ frames).
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&png, nullptr, &size, 0, image.rgb.data(), 0, nullptr))
    fail("write_png: cannot encode", path, png.message);
  std::vector<std::uint8_t> bytes(size);
  if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, image.rgb.data(), 0, nullptr))
    fail("write_png: cannot encode", path, png.message);
  png_image_free(&png);

  // Temporary file in the target's directory, so that rename() is atomic.
  const std::size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.empty()) fail("write_png: cannot write", path, "the path names a directory");
  std::string tmpl = (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) + "." + base +
                     ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) fail("write_png: cannot create a temporary file for", path, errno_text(errno));
  TempFile tmp(fd, tmpl);
  if (::fchmod(tmp.fd(), 0644) != 0) fail("write_png: cannot set permissions for", path, errno_text(errno));
  write_all(tmp.fd(), bytes.data(), size, path);
  if (::fsync(tmp.fd()) != 0) fail("write_png: cannot sync", path, errno_text(errno));
  if (const int err = tmp.close(); err != 0) fail("write_png: cannot close", path, errno_text(err));
  if (::rename(tmp.path().c_str(), path.c_str()) != 0) fail("write_png: cannot rename onto", path, errno_text(errno));
  tmp.release();

  // Make the rename itself durable.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) fail("write_png: cannot open the directory of", path, errno_text(errno));
  const int rc = ::fsync(dfd);
  const int err = errno;
  ::close(dfd);
  // Some file systems do not sync directories (EINVAL); the file is in place.
  if (rc != 0 && err != EINVAL) fail("write_png: cannot sync the directory of", path, errno_text(err));
}

Image read_png(const std::string& path) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&png, path.c_str())) fail("read_png: cannot read", path, png.message);
  png.format = PNG_FORMAT_RGB;
  Image out;
  out.width = static_cast<int>(png.width);
  out.height = static_cast<int>(png.height);
  out.rgb.resize(PNG_IMAGE_SIZE(png));
  const png_color black{0, 0, 0};
  if (!png_image_finish_read(&png, &black, out.rgb.data(), 0, nullptr)) {
    const std::string message = png.message;
    png_image_free(&png);
    fail("read_png: cannot decode", path, message);
  }
  return out;
}

}  // namespace arena
