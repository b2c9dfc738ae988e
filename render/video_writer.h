// Video files through Debian's FFmpeg libraries: H.264 MP4 (libx264) and GIF.
//
// The file is written to a temporary file in the target's directory and
// renamed over the target by finish() after an fsync (and the directory is
// synced), so a reader sees no file or a complete one. Destroying a writer
// that was not finished removes the temporary file.
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "envs/core/raster.h"

namespace arena {

struct VideoError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class VideoFormat { Mp4, Gif };

// The format for a file name (".mp4" or ".gif", any case). Throws
// std::invalid_argument naming the path and the supported extensions.
VideoFormat video_format_of(const std::filesystem::path& path);

class VideoWriter {
 public:
  // Opens `path` (its format from the extension) for frames of width x
  // height RGB pixels (even sizes for MP4) at `fps` frames per second.
  // Throws std::invalid_argument for a bad extension or size, VideoError when
  // FFmpeg cannot open the encoder or the file (naming the path).
  VideoWriter(const std::filesystem::path& path, int width, int height, double fps);
  ~VideoWriter();
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // Encodes one frame (its size must be the writer's). Does not allocate
  // once the encoder has warmed up.
  void add_frame(const Image& frame);
  // Flushes the encoder, writes the trailer and moves the file into place.
  void finish();
  std::int64_t frames() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What a video file holds, by decoding every frame.
struct VideoInfo {
  int width = 0, height = 0;
  std::int64_t frames = 0;  // frames decoded
  std::string codec;        // "h264", "gif"
};
VideoInfo probe_video(const std::filesystem::path& path);

}  // namespace arena
