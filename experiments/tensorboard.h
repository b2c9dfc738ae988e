// TensorBoard event files: a writer for scalar curves and a reader for tests and tools.
//
// An event file is a sequence of TFRecords, each holding one serialized Event protobuf
// (experiments/proto/tensorboard_event.proto). TFRecord framing, all integers little-endian:
//   uint64 length | uint32 masked_crc32c(length bytes) | data[length] | uint32 masked_crc32c(data)
// The first record of a file is an Event whose file_version is "brain.Event:2".
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace arena {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by TFRecord, iSCSI and ext4.
// crc32c_extend continues a checksum over more bytes: crc32c(ab) == crc32c_extend(crc32c(a), b).
std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size);
inline std::uint32_t crc32c(const void* data, std::size_t size) { return crc32c_extend(0, data, size); }
inline std::uint32_t crc32c(std::string_view bytes) { return crc32c(bytes.data(), bytes.size()); }

// TFRecord's masking of a CRC (a stored CRC of data that itself holds CRCs stays well distributed).
constexpr std::uint32_t mask_crc32c(std::uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}
constexpr std::uint32_t unmask_crc32c(std::uint32_t masked) {
  const std::uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

// `data` framed as one TFRecord (header, data, footer).
std::string frame_tfrecord(std::string_view data);

// Thrown by the readers on a corrupt or truncated file; what() names the file and the byte offset.
class TfRecordError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The data of every record of `file`, in order. Verifies both CRCs of each record; a bad CRC, a
// truncated record (including a partial record at the end) or an unreadable file throws TfRecordError.
std::vector<std::string> read_tfrecords(const std::filesystem::path& file);

// Seconds since the Unix epoch, with sub-second resolution (the wall_time of an Event).
double unix_time_now();

// One scalar point as TensorBoard stores it: the value has float precision.
struct ScalarEvent {
  std::string tag;
  float value = 0;
  std::int64_t step = 0;
  double wall_time = 0;
};

// An Event as read back: either the file_version record or a summary of scalar values.
struct TensorBoardEvent {
  double wall_time = 0;
  std::int64_t step = 0;
  std::string file_version;                               // set only in the file-version record
  std::vector<std::pair<std::string, float>> scalars;     // (tag, simple_value) of its summary
};

// Every Event of `file`, in order (values of kinds other than simple_value are skipped).
// Throws TfRecordError on a corrupt framing or an Event that does not parse.
std::vector<TensorBoardEvent> read_tensorboard_events(const std::filesystem::path& file);

// Every scalar point of `file`, in the order written.
std::vector<ScalarEvent> read_tensorboard_scalars(const std::filesystem::path& file);

// Writes scalar curves to a new event file in a log directory, for TensorBoard
// (`tensorboard --logdir <log_dir>`). Writes go through a stdio buffer: call flush() at each
// logging interval so that a live TensorBoard (and a crash) sees them; the destructor flushes.
// A resumed run opens a new file; TensorBoard drops the older points whose step lies past the
// point where a tag's steps go backwards (its purge of orphaned data).
// Not thread-safe: one writer per thread, or guard it.
class TensorBoardWriter {
 public:
  // Creates log_dir (and its parents) when needed and the file
  // events.out.tfevents.<unix seconds>.<hostname> in it (".1", ".2", ... appended should that
  // name already exist), then writes the file_version record. Throws std::runtime_error on failure.
  explicit TensorBoardWriter(const std::filesystem::path& log_dir);
  ~TensorBoardWriter();
  TensorBoardWriter(TensorBoardWriter&& other) noexcept;
  TensorBoardWriter& operator=(TensorBoardWriter&& other) noexcept;
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  // One point of the curve `tag` (stored as a float, as TensorBoard does). Throws std::runtime_error
  // when the write fails (disk full, ...).
  void scalar(const std::string& tag, double value, std::int64_t step, double wall_time = unix_time_now());

  // Several tags at one step, in one Event (one record).
  void scalars(const std::vector<std::pair<std::string, double>>& values, std::int64_t step,
               double wall_time = unix_time_now());

  // Hands the buffered records to the operating system. Throws std::runtime_error on failure.
  void flush();

  // The event file being written.
  const std::filesystem::path& path() const { return path_; }

 private:
  void write_record(const std::string& data);
  void close() noexcept;

  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  std::string record_;  // reused framing buffer
};

}  // namespace arena
