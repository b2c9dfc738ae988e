// Byte streams for saving and restoring the complete state of an env (for
// checkpoints that resume bit-identically).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace arena {

class StateWriter {
 public:
  void bytes(const void* data, std::size_t n) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    buf_.insert(buf_.end(), p, p + n);
  }
  template <class T> void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes(&v, sizeof v);
  }
  template <class T> void vec(const std::vector<T>& v) {
    pod<std::uint64_t>(v.size());
    bytes(v.data(), v.size() * sizeof(T));
  }
  // A tag checked on reading, so that a state saved by another env (or
  // another version) is refused instead of misread.
  void tag(std::string_view name) {
    pod<std::uint32_t>(static_cast<std::uint32_t>(name.size()));
    bytes(name.data(), name.size());
  }
  const std::vector<std::uint8_t>& data() const { return buf_; }

 private:
  std::vector<std::uint8_t> buf_;
};

class StateReader {
 public:
  explicit StateReader(std::span<const std::uint8_t> data) : data_(data) {}
  void bytes(void* out, std::size_t n) {
    if (n > data_.size() - pos_) throw std::runtime_error("env state: unexpected end of data");
    std::memcpy(out, data_.data() + pos_, n);
    pos_ += n;
  }
  template <class T> T pod() {
    T v;
    bytes(&v, sizeof v);
    return v;
  }
  template <class T> void pod(T& v) { bytes(&v, sizeof v); }
  template <class T> void vec(std::vector<T>& v, std::size_t expected_size) {
    const auto n = pod<std::uint64_t>();
    if (n != expected_size)
      throw std::runtime_error("env state: a vector of " + std::to_string(n) + " elements where " +
                               std::to_string(expected_size) + " were expected");
    v.resize(n);
    bytes(v.data(), n * sizeof(T));
  }
  void expect_tag(std::string_view name) {
    const auto n = pod<std::uint32_t>();
    std::string got(n <= 256 ? n : 0, '\0');
    if (n > 256) throw std::runtime_error("env state: corrupt tag");
    bytes(got.data(), n);
    if (got != name) throw std::runtime_error("env state: expected '" + std::string(name) + "', found '" + got + "'");
  }
  bool at_end() const { return pos_ == data_.size(); }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

}  // namespace arena
