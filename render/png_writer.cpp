#include "render/png_writer.h"

#include "envs/core/file_io.h"

#include <png.h>

#include <cstring>
#include <stdexcept>
#include <vector>

namespace arena {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, const std::string& cause) {
  throw std::runtime_error(what + " '" + path + "': " + cause);
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

  const std::size_t slash = path.find_last_of('/');
  if (path.empty() || slash + 1 == path.size()) fail("write_png: cannot write", path, "the path names a directory");
  try {
    write_file_atomic(path, std::span<const std::uint8_t>(bytes.data(), size));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("write_png: ") + e.what());
  }
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
