#include "experiments/metrics_csv.h"

#include "envs/core/file_io.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <system_error>

namespace arena {

namespace {

[[noreturn]] void throw_errno(const std::string& what, const std::filesystem::path& p) {
  throw std::runtime_error(what + " " + p.string() + ": " + std::strerror(errno));
}

void check_column_name(const std::string& name) {
  if (name.empty()) throw std::invalid_argument("MetricsCsv: empty column name");
  if (name.find_first_of(",\"\r\n") != std::string::npos)
    throw std::invalid_argument("MetricsCsv: column name '" + name + "' contains ',', '\"' or a line break");
}

std::vector<std::string> split(std::string_view line, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = line.find(sep, start);
    out.emplace_back(line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

std::string read_file(const std::filesystem::path& path) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  return {bytes.begin(), bytes.end()};
}

void append_number(std::string& out, double v) {
  std::array<char, 64> buf{};
  std::to_chars_result r{};
  // Integral values (steps, episode counts) as integers: to_chars' shortest form would print
  // 1000000.0 as "1e+06". Below 2^53 every integer is exact, so this is still round-trip exact.
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) {
    r = std::to_chars(buf.data(), buf.data() + buf.size(), static_cast<std::int64_t>(v));
  } else {
    r = std::to_chars(buf.data(), buf.data() + buf.size(), v);  // shortest round-trip
  }
  out.append(buf.data(), r.ptr);
}

}  // namespace

std::string format_csv_number(double value) {
  std::string s;
  append_number(s, value);
  return s;
}

MetricsCsv::MetricsCsv(const std::filesystem::path& path, std::vector<std::string> columns, bool append)
    : path_(path), columns_(std::move(columns)) {
  if (columns_.empty()) throw std::invalid_argument("MetricsCsv: no columns");
  for (const std::string& c : columns_) {
    check_column_name(c);
    if (!index_.emplace(c, index_.size()).second)
      throw std::invalid_argument("MetricsCsv: duplicate column '" + c + "'");
  }
  if (path_.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path_.parent_path(), ec);
    if (ec) throw std::runtime_error("cannot create directory " + path_.parent_path().string() + ": " + ec.message());
  }

  bool write_header = true;
  if (append && std::filesystem::exists(path_)) {
    const std::string bytes = read_file(path_);
    if (!bytes.empty()) {
      const std::size_t eol = bytes.find('\n');
      if (eol == std::string::npos)
        throw std::runtime_error("MetricsCsv: " + path_.string() + " has an incomplete header line");
      std::string_view header(bytes.data(), eol);
      if (!header.empty() && header.back() == '\r') header.remove_suffix(1);
      std::vector<std::string> existing = split(header, ',');
      std::unordered_map<std::string, std::size_t> existing_index;
      for (const std::string& c : existing) existing_index.emplace(c, existing_index.size());
      for (const std::string& c : columns_)
        if (!existing_index.count(c))
          throw std::invalid_argument("MetricsCsv: " + path_.string() + " has no column '" + c +
                                      "' in its header; cannot append");
      columns_ = std::move(existing);
      index_ = std::move(existing_index);
      // Cut off an incomplete last line: rows are written whole, so a line without its '\n'
      // is a row that a crash interrupted.
      const std::size_t last_nl = bytes.rfind('\n');
      if (last_nl + 1 != bytes.size()) std::filesystem::resize_file(path_, last_nl + 1);
      write_header = false;
    }
  }

  file_ = std::fopen(path_.c_str(), append ? "ab" : "wb");
  if (file_ == nullptr) throw_errno("cannot open", path_);
  cells_.assign(columns_.size(), nullptr);
  if (write_header) {
    line_.clear();
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (i > 0) line_.push_back(',');
      line_.append(columns_[i]);
    }
    line_.push_back('\n');
    if (std::fwrite(line_.data(), 1, line_.size(), file_) != line_.size() || std::fflush(file_) != 0) {
      const int err = errno;
      close();
      errno = err;
      throw_errno("cannot write", path_);
    }
  }
}

MetricsCsv::~MetricsCsv() { close(); }

MetricsCsv::MetricsCsv(MetricsCsv&& other) noexcept
    : path_(std::move(other.path_)),
      columns_(std::move(other.columns_)),
      index_(std::move(other.index_)),
      file_(std::exchange(other.file_, nullptr)),
      cells_(std::move(other.cells_)),
      line_(std::move(other.line_)) {}

MetricsCsv& MetricsCsv::operator=(MetricsCsv&& other) noexcept {
  if (this != &other) {
    close();
    path_ = std::move(other.path_);
    columns_ = std::move(other.columns_);
    index_ = std::move(other.index_);
    file_ = std::exchange(other.file_, nullptr);
    cells_ = std::move(other.cells_);
    line_ = std::move(other.line_);
  }
  return *this;
}

void MetricsCsv::close() noexcept {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
}

void MetricsCsv::row(const std::vector<std::pair<std::string, double>>& values) {
  if (file_ == nullptr) throw std::runtime_error("MetricsCsv: write after move");
  std::fill(cells_.begin(), cells_.end(), nullptr);
  for (const auto& [key, value] : values) {
    const auto it = index_.find(key);
    if (it == index_.end())
      throw std::invalid_argument("MetricsCsv: unknown column '" + key + "' (not in the header of " +
                                  path_.string() + ")");
    if (cells_[it->second] != nullptr) throw std::invalid_argument("MetricsCsv: column '" + key + "' given twice");
    cells_[it->second] = &value;
  }
  line_.clear();
  for (std::size_t i = 0; i < cells_.size(); ++i) {
    if (i > 0) line_.push_back(',');
    if (cells_[i] != nullptr) append_number(line_, *cells_[i]);
  }
  line_.push_back('\n');
  // One fwrite per row, then a flush: a crash leaves whole rows (or one cut-off last line).
  if (std::fwrite(line_.data(), 1, line_.size(), file_) != line_.size() || std::fflush(file_) != 0)
    throw_errno("cannot write", path_);
}

std::size_t truncate_after_step(const std::filesystem::path& path, const std::string& step_column,
                                std::int64_t max_step) {
  if (!std::filesystem::exists(path)) return 0;
  const std::string bytes = read_file(path);
  if (bytes.empty()) return 0;

  const std::size_t header_end = bytes.find('\n');
  if (header_end == std::string::npos)
    throw std::runtime_error(path.string() + ": incomplete header line");
  std::string_view header(bytes.data(), header_end);
  if (!header.empty() && header.back() == '\r') header.remove_suffix(1);
  const std::vector<std::string> columns = split(header, ',');
  std::size_t step_index = columns.size();
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == step_column) step_index = i;
  if (step_index == columns.size())
    throw std::invalid_argument(path.string() + ": no column '" + step_column + "' in the header");

  std::string kept(bytes, 0, header_end + 1);
  std::size_t dropped = 0;
  std::size_t line_no = 1;
  for (std::size_t pos = header_end + 1; pos < bytes.size();) {
    ++line_no;
    const std::size_t eol = bytes.find('\n', pos);
    if (eol == std::string::npos) {  // incomplete last line: a row cut off by a crash
      ++dropped;
      break;
    }
    std::string_view line(bytes.data() + pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::vector<std::string> cells = split(line, ',');
    double step = 0;
    const std::string& cell = step_index < cells.size() ? cells[step_index] : std::string();
    const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), step);
    if (cell.empty() || ec != std::errc() || end != cell.data() + cell.size() || std::isnan(step))
      throw std::runtime_error(path.string() + ":" + std::to_string(line_no) + ": step '" + cell +
                               "' in column '" + step_column + "' is not a number");
    if (step > static_cast<double>(max_step)) {
      ++dropped;
    } else {
      kept.append(bytes, pos, eol + 1 - pos);
    }
    pos = eol + 1;
  }
  if (dropped == 0) return 0;

  // Readers see the old or the new file, never a mix.
  write_file_atomic(path, kept);
  return dropped;
}

}  // namespace arena
