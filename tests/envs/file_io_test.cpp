// The atomic-file pieces: a temporary file beside the target, committed by
// rename, and nothing left behind when the commit fails.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "envs/core/file_io.h"

namespace arena {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir() {
  const fs::path dir = fs::temp_directory_path() / ("arena_file_io_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(FileIo, TempBesideIsCommittedByRename) {
  const fs::path dir = fresh_dir();
  const fs::path target = dir / "video.mp4";
  const TempFile tmp = create_temp_beside(target);
  ASSERT_GE(tmp.fd, 0);
  EXPECT_EQ(tmp.name.parent_path(), dir);
  EXPECT_EQ(tmp.name.filename().string().rfind(".video.mp4.tmp-", 0), 0u) << tmp.name;
  struct stat st {};
  ASSERT_EQ(::fstat(tmp.fd, &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  write_all(tmp.fd, "abc", 3, target);
  ::close(tmp.fd);
  EXPECT_FALSE(fs::exists(target));
  commit_temp(tmp.name, target);
  EXPECT_TRUE(fs::exists(target));
  EXPECT_FALSE(fs::exists(tmp.name));
  EXPECT_EQ(read_file_bytes(target).size(), 3u);
  fs::remove_all(dir);
}

TEST(FileIo, FailedCommitRemovesTheTemporaryFile) {
  const fs::path dir = fresh_dir();
  const TempFile tmp = create_temp_beside(dir / "a.bin");
  ::close(tmp.fd);
  // Renaming onto an existing non-empty directory fails.
  fs::create_directories(dir / "occupied" / "inside");
  EXPECT_THROW(commit_temp(tmp.name, dir / "occupied"), std::runtime_error);
  EXPECT_FALSE(fs::exists(tmp.name));
  EXPECT_THROW(create_temp_beside(dir / "missing" / "x.bin"), std::runtime_error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace arena
