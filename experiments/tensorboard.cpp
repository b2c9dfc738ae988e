#include "experiments/tensorboard.h"

#include "envs/core/file_io.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>

#include "proto/tensorboard_event.pb.h"

namespace arena {

namespace {

// The byte-at-a-time table of the reflected CRC-32C polynomial, built at compile time.
constexpr std::array<std::uint32_t, 256> make_crc32c_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<std::uint32_t, 256> kCrc32cTable = make_crc32c_table();

void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xffu));
}

std::uint64_t get_le(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

// Appends `data` framed as one TFRecord to `out`.
void append_tfrecord(std::string& out, std::string_view data) {
  const std::size_t start = out.size();
  put_le(out, data.size(), 8);
  put_le(out, mask_crc32c(crc32c_extend(0, out.data() + start, 8)), 4);
  out.append(data);
  put_le(out, mask_crc32c(crc32c_extend(0, data.data(), data.size())), 4);
}

constexpr const char* kFileVersion = "brain.Event:2";

std::string host_name() {
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0') return "localhost";
  std::string name(buf.data());
  // The name becomes part of a file name: keep it to characters that are safe there.
  for (char& c : name)
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '_';
  return name;
}

[[noreturn]] void throw_errno(const std::string& what, const std::filesystem::path& p) {
  throw std::runtime_error(what + " " + p.string() + ": " + std::strerror(errno));
}

}  // namespace

std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (std::size_t i = 0; i < size; ++i) crc = kCrc32cTable[(crc ^ p[i]) & 0xffu] ^ (crc >> 8);
  return ~crc;
}

std::string frame_tfrecord(std::string_view data) {
  std::string out;
  append_tfrecord(out, data);
  return out;
}

std::vector<std::string> read_tfrecords(const std::filesystem::path& file) {
  std::string bytes;
  try {
    const std::vector<std::uint8_t> raw = read_file_bytes(file);
    bytes.assign(raw.begin(), raw.end());
  } catch (const std::runtime_error& e) {
    throw TfRecordError(e.what());
  }

  std::vector<std::string> records;
  std::size_t pos = 0;
  const auto fail = [&](const std::string& what) {
    throw TfRecordError(file.string() + ": " + what + " in the record at byte " + std::to_string(pos));
  };
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 12) fail("truncated header");
    const char* header = bytes.data() + pos;
    const std::uint64_t length = get_le(header, 8);
    if (static_cast<std::uint32_t>(get_le(header + 8, 4)) != mask_crc32c(crc32c(header, 8)))
      fail("length CRC mismatch");
    if (length > bytes.size() - pos - 12 || bytes.size() - pos - 12 - length < 4) fail("truncated data");
    const std::string_view data(header + 12, static_cast<std::size_t>(length));
    const auto stored = static_cast<std::uint32_t>(get_le(header + 12 + length, 4));
    if (stored != mask_crc32c(crc32c(data))) fail("data CRC mismatch");
    records.emplace_back(data);
    pos += 12 + static_cast<std::size_t>(length) + 4;
  }
  return records;
}

double unix_time_now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::vector<TensorBoardEvent> read_tensorboard_events(const std::filesystem::path& file) {
  std::vector<TensorBoardEvent> events;
  const std::vector<std::string> records = read_tfrecords(file);
  events.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    tb::Event proto;
    if (!proto.ParseFromString(records[i]))
      throw TfRecordError(file.string() + ": record " + std::to_string(i) + " is not an Event");
    TensorBoardEvent& e = events.emplace_back();
    e.wall_time = proto.wall_time();
    e.step = proto.step();
    if (proto.what_case() == tb::Event::kFileVersion) e.file_version = proto.file_version();
    if (proto.what_case() == tb::Event::kSummary) {
      for (const tb::Summary::Value& v : proto.summary().value())
        if (v.value_case() == tb::Summary::Value::kSimpleValue) e.scalars.emplace_back(v.tag(), v.simple_value());
    }
  }
  return events;
}

std::vector<ScalarEvent> read_tensorboard_scalars(const std::filesystem::path& file) {
  std::vector<ScalarEvent> out;
  for (const TensorBoardEvent& e : read_tensorboard_events(file))
    for (const auto& [tag, value] : e.scalars) out.push_back({tag, value, e.step, e.wall_time});
  return out;
}

// --- TensorBoardWriter ---------------------------------------------------------------------------

TensorBoardWriter::TensorBoardWriter(const std::filesystem::path& log_dir) {
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  if (ec) throw std::runtime_error("cannot create log directory " + log_dir.string() + ": " + ec.message());

  const double now = unix_time_now();
  const std::string base =
      "events.out.tfevents." + std::to_string(static_cast<std::int64_t>(now)) + "." + host_name();
  // "x": create exclusively, so that two writers started in the same second never share a file.
  for (int suffix = 0; file_ == nullptr; ++suffix) {
    path_ = log_dir / (suffix == 0 ? base : base + "." + std::to_string(suffix));
    file_ = std::fopen(path_.c_str(), "wbx");
    if (file_ == nullptr && (errno != EEXIST || suffix >= 1000)) throw_errno("cannot create", path_);
  }

  tb::Event event;
  event.set_wall_time(now);
  event.set_step(0);
  event.set_file_version(kFileVersion);
  try {
    write_record(event.SerializeAsString());
    flush();  // the file is a valid (empty) event file from the start
  } catch (...) {
    close();  // no destructor runs for a constructor that throws
    throw;
  }
}

TensorBoardWriter::~TensorBoardWriter() { close(); }

TensorBoardWriter::TensorBoardWriter(TensorBoardWriter&& other) noexcept
    : path_(std::move(other.path_)), file_(std::exchange(other.file_, nullptr)), record_(std::move(other.record_)) {}

TensorBoardWriter& TensorBoardWriter::operator=(TensorBoardWriter&& other) noexcept {
  if (this != &other) {
    close();
    path_ = std::move(other.path_);
    file_ = std::exchange(other.file_, nullptr);
    record_ = std::move(other.record_);
  }
  return *this;
}

void TensorBoardWriter::close() noexcept {
  if (file_ != nullptr) std::fclose(file_);  // flushes; a destructor has nowhere to report failure
  file_ = nullptr;
}

void TensorBoardWriter::scalar(const std::string& tag, double value, std::int64_t step, double wall_time) {
  scalars({{tag, value}}, step, wall_time);
}

void TensorBoardWriter::scalars(const std::vector<std::pair<std::string, double>>& values, std::int64_t step,
                                double wall_time) {
  tb::Event event;
  event.set_wall_time(wall_time);
  event.set_step(step);
  tb::Summary* summary = event.mutable_summary();
  for (const auto& [tag, value] : values) {
    tb::Summary::Value* v = summary->add_value();
    v->set_tag(tag);
    v->set_simple_value(static_cast<float>(value));
  }
  write_record(event.SerializeAsString());
}

void TensorBoardWriter::write_record(const std::string& data) {
  if (file_ == nullptr) throw std::runtime_error("TensorBoardWriter: write after move");
  record_.clear();
  append_tfrecord(record_, data);
  if (std::fwrite(record_.data(), 1, record_.size(), file_) != record_.size()) throw_errno("cannot write", path_);
}

void TensorBoardWriter::flush() {
  if (file_ != nullptr && std::fflush(file_) != 0) throw_errno("cannot flush", path_);
}

}  // namespace arena
