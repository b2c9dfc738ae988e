// A fresh temporary directory per test, and whole-file read/write helpers.
//
//   arena::test::TempDir dir;                 // created empty; removed when destroyed
//   const auto p = dir.path() / "metrics.csv";
//   arena::test::spit(p, "step\n1\n");
//   EXPECT_EQ(arena::test::slurp(p), "step\n1\n");
//
// The directory is <temp>/<prefix><test name>_<pid>, so tests of different
// executables, and of different runs, do not share one.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <ios>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>

namespace arena::test {

class TempDir {
 public:
  // Must be made inside a running test (it takes the current test's name).
  explicit TempDir(const std::string& prefix = "arena_") {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            (prefix + std::string(info->name()) + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The whole file's bytes ("" if it cannot be read).
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// Replaces the file's contents with `bytes`.
inline void spit(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace arena::test
