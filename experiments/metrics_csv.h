// The metrics of a run as a CSV file (progress.csv): a header of fixed columns, then one row per
// logging call, each row flushed at once so that a crash loses nothing already logged.
//
// Format: columns separated by ',', lines ending in '\n', no quoting (column names may not
// contain ',', '"' or line breaks; values are numbers). A missing value is an empty cell.
// Integral values print as integers ("1000000", not "1e+06"); others in the shortest form that
// reads back to the same double (std::to_chars); NaN and infinities as "nan", "inf", "-inf".
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace arena {

class MetricsCsv {
 public:
  // Opens `path` (its parent directories are created) with the given columns.
  //  append == false: truncates the file and writes the header.
  //  append == true (a resumed run): keeps the file and its header, which must contain every
  //    column asked for (its order and any extra columns win: columns() reports them); a missing
  //    or empty file gets a header as above. An incomplete last line (a crash in mid-write) is cut off.
  // Throws std::invalid_argument for an empty, duplicate or unwritable column name, or a header
  // that lacks a column; std::runtime_error when the file cannot be opened or read.
  MetricsCsv(const std::filesystem::path& path, std::vector<std::string> columns, bool append = false);
  ~MetricsCsv();
  MetricsCsv(MetricsCsv&& other) noexcept;
  MetricsCsv& operator=(MetricsCsv&& other) noexcept;
  MetricsCsv(const MetricsCsv&) = delete;
  MetricsCsv& operator=(const MetricsCsv&) = delete;

  // Writes one row and flushes it. Columns not named stay empty. A key that is not a column, or
  // a key given twice, throws std::invalid_argument naming it (and nothing is written);
  // a failed write throws std::runtime_error.
  void row(const std::vector<std::pair<std::string, double>>& values);

  const std::vector<std::string>& columns() const { return columns_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void close() noexcept;

  std::filesystem::path path_;
  std::vector<std::string> columns_;
  std::unordered_map<std::string, std::size_t> index_;  // column name -> position
  std::FILE* file_ = nullptr;
  std::vector<const double*> cells_;  // per column, the value of the row being written
  std::string line_;                  // reused row buffer
};

// Formats one CSV value as MetricsCsv writes it (see the format above).
std::string format_csv_number(double value);

// Rewinds a metrics file to a checkpoint: drops every data row whose `step_column` value is
// greater than max_step, and an incomplete last line. The header and the other rows are kept
// byte for byte. The new file is written beside the old one and renamed over it, so a crash
// leaves either the old or the new file. Returns the number of rows dropped; a missing or empty
// file is left alone (returns 0). Throws std::invalid_argument when the header has no such
// column, std::runtime_error when a row's step is empty or not a number, or on an I/O failure.
std::size_t truncate_after_step(const std::filesystem::path& path, const std::string& step_column,
                                std::int64_t max_step);

}  // namespace arena
