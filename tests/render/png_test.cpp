// PNG output: round trips, atomic replacement, errors that name the path.
#include <gtest/gtest.h>
#include <png.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "envs/core/draw_list.h"
#include "envs/core/raster.h"
#include "render/png_writer.h"

namespace arena {
namespace {

namespace fs = std::filesystem;

// A fresh directory, removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "arena_png_test.XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(path_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  fs::path path_;
};

Image pattern(int w, int h) {
  Image img;
  img.width = w;
  img.height = h;
  img.rgb.resize(static_cast<std::size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      std::uint8_t* p = img.pixel(x, y);
      p[0] = static_cast<std::uint8_t>(x * 7 + y);
      p[1] = static_cast<std::uint8_t>(y * 11);
      p[2] = static_cast<std::uint8_t>((x ^ y) * 3);
    }
  return img;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no exception)";
}

TEST(Png, WriteThenReadBackIsEqual) {
  TempDir dir;
  const std::string path = (dir.path() / "frame.png").string();
  const Image img = pattern(37, 23);
  write_png(path, img);
  const Image back = read_png(path);
  EXPECT_EQ(back.width, 37);
  EXPECT_EQ(back.height, 23);
  EXPECT_EQ(back.rgb, img.rgb);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"frame.png"});
  // The file is a real PNG: signature first.
  std::ifstream in(path, std::ios::binary);
  char sig[8] = {};
  in.read(sig, 8);
  EXPECT_EQ(std::string(sig + 1, 3), "PNG");
  // Readable by others, like any file the user creates.
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IRGRP);
}

TEST(Png, RoundTripsARasterizedFrame) {
  TempDir dir;
  DrawList d;
  d.clear(120, 80, Color::rgb(20, 30, 40));
  d.circle({60, 40}, 25, Color::rgb(250, 120, 0), Color::rgb(255, 255, 255), 2, Coords::Canvas);
  d.text({5, 5}, "PNG", 12, Color::rgb(255, 255, 255));
  Image img;
  rasterize(d, 120, 80, img);
  const std::string path = (dir.path() / "scene.png").string();
  write_png(path, img);
  EXPECT_EQ(read_png(path).rgb, img.rgb);
}

TEST(Png, OverwritesAnExistingFileAndLeavesNoTemporary) {
  TempDir dir;
  const std::string path = (dir.path() / "out.png").string();
  write_png(path, pattern(10, 10));
  write_png(path, pattern(20, 5));
  const Image back = read_png(path);
  EXPECT_EQ(back.width, 20);
  EXPECT_EQ(back.height, 5);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.png"});
}

TEST(Png, MissingDirectoryThrowsNamingThePath) {
  TempDir dir;
  const std::string path = (dir.path() / "no" / "such" / "dir" / "frame.png").string();
  const std::string msg = message_of([&] { write_png(path, pattern(4, 4)); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
  EXPECT_TRUE(dir.entries().empty());
}

TEST(Png, FailedRenameLeavesNoTemporary) {
  TempDir dir;
  fs::create_directory(dir.path() / "taken");
  fs::create_directory(dir.path() / "taken" / "inner");  // a non-empty directory cannot be replaced
  const std::string path = (dir.path() / "taken").string();
  const std::string msg = message_of([&] { write_png(path, pattern(4, 4)); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"taken"});
}

TEST(Png, PathThroughAFileThrows) {
  TempDir dir;
  std::ofstream((dir.path() / "file").string()) << "x";
  const std::string path = (dir.path() / "file" / "f.png").string();
  const std::string msg = message_of([&] { write_png(path, pattern(4, 4)); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("Not a directory"), std::string::npos) << msg;
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"file"});
}

TEST(Png, UnwritableDirectoryThrows) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  TempDir dir;
  fs::create_directory(dir.path() / "ro");
  fs::permissions(dir.path() / "ro", fs::perms::owner_read | fs::perms::owner_exec);
  const std::string path = (dir.path() / "ro" / "f.png").string();
  const std::string msg = message_of([&] { write_png(path, pattern(4, 4)); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  fs::permissions(dir.path() / "ro", fs::perms::owner_all);
  EXPECT_TRUE(fs::is_empty(dir.path() / "ro"));
}

TEST(Png, BadImagesAreRejected) {
  TempDir dir;
  const std::string path = (dir.path() / "bad.png").string();
  Image empty;
  EXPECT_NE(message_of([&] { write_png(path, empty); }).find(path), std::string::npos);
  Image wrong = pattern(4, 4);
  wrong.rgb.pop_back();
  EXPECT_NE(message_of([&] { write_png(path, wrong); }).find(path), std::string::npos);
  EXPECT_TRUE(dir.entries().empty());
}

TEST(Png, ReadErrorsNameThePath) {
  TempDir dir;
  const std::string missing = (dir.path() / "missing.png").string();
  EXPECT_NE(message_of([&] { read_png(missing); }).find(missing), std::string::npos);
  const std::string text = (dir.path() / "text.png").string();
  std::ofstream(text) << "not a png at all";
  EXPECT_NE(message_of([&] { read_png(text); }).find(text), std::string::npos);
}

// Writes a PNG of another format with libpng's simplified API.
void write_raw(const std::string& path, int w, int h, png_uint_32 format, const std::vector<std::uint8_t>& data) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(w);
  png.height = static_cast<png_uint_32>(h);
  png.format = format;
  ASSERT_TRUE(png_image_write_to_file(&png, path.c_str(), 0, data.data(), 0, nullptr)) << png.message;
}

TEST(Png, ReadsGreyAndRgbaAsRgb) {
  TempDir dir;
  const std::string grey = (dir.path() / "grey.png").string();
  write_raw(grey, 3, 1, PNG_FORMAT_GRAY, {0, 128, 255});
  Image g = read_png(grey);
  EXPECT_EQ(g.rgb, (std::vector<std::uint8_t>{0, 0, 0, 128, 128, 128, 255, 255, 255}));
  const std::string rgba = (dir.path() / "rgba.png").string();
  write_raw(rgba, 2, 1, PNG_FORMAT_RGBA, {10, 20, 30, 255, 200, 100, 50, 0});
  Image c = read_png(rgba);
  ASSERT_EQ(c.width, 2);
  EXPECT_EQ(c.rgb[0], 10);
  EXPECT_EQ(c.rgb[1], 20);
  EXPECT_EQ(c.rgb[2], 30);
  EXPECT_EQ(c.rgb[3], 0);  // fully transparent: composited onto black
}

}  // namespace
}  // namespace arena
