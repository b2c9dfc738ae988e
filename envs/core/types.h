// Element types and non-owning views of typed contiguous buffers.
//
// Observations and actions cross the Env API as flat, typed, contiguous
// buffers. A Space (space.h) gives them their shape and bounds; these views
// only carry a pointer, an element type and an element count, so that an env
// can write straight into a batched VectorEnv buffer or a tensor's storage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace arena {

// Element type of an observation or action. Discrete actions are int64,
// Box spaces are float32 or uint8.
enum class DType : std::uint8_t { Float32, UInt8, Int64 };

const char* dtype_name(DType dtype);  // "float32", "uint8", "int64"
std::size_t dtype_size(DType dtype);

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::UInt8; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::Int64; }

[[noreturn]] void throw_dtype_mismatch(DType have, DType want);

// A mutable view of `count` elements of type `dtype`.
struct Buffer {
  void* data = nullptr;
  DType dtype = DType::Float32;
  std::size_t count = 0;

  Buffer() = default;
  Buffer(void* d, DType t, std::size_t n) : data(d), dtype(t), count(n) {}
  template <class T>
  Buffer(std::span<T> s) : data(s.data()), dtype(dtype_of<T>()), count(s.size()) {}  // NOLINT

  // Typed access; throws std::logic_error when T is not the buffer's type.
  template <class T> T* as() const {
    if (dtype != dtype_of<T>()) throw_dtype_mismatch(dtype, dtype_of<T>());
    return static_cast<T*>(data);
  }
  template <class T> std::span<T> span() const { return {as<T>(), count}; }
};

// A read-only view of `count` elements of type `dtype`.
struct ConstBuffer {
  const void* data = nullptr;
  DType dtype = DType::Float32;
  std::size_t count = 0;

  ConstBuffer() = default;
  ConstBuffer(const void* d, DType t, std::size_t n) : data(d), dtype(t), count(n) {}
  ConstBuffer(Buffer b) : data(b.data), dtype(b.dtype), count(b.count) {}  // NOLINT
  template <class T>
  ConstBuffer(std::span<T> s) : data(s.data()), dtype(dtype_of<std::remove_const_t<T>>()), count(s.size()) {}  // NOLINT

  template <class T> const T* as() const {
    if (dtype != dtype_of<T>()) throw_dtype_mismatch(dtype, dtype_of<T>());
    return static_cast<const T*>(data);
  }
  template <class T> std::span<const T> span() const { return {as<T>(), count}; }
};

using ObsBuffer = Buffer;        // where an env writes its observation
using ActionView = ConstBuffer;  // the action an env reads

// An owning, contiguous, typed array (observations, actions, frames).
class Array {
 public:
  Array() = default;
  Array(DType dtype, std::vector<std::int64_t> shape);

  DType dtype() const { return dtype_; }
  const std::vector<std::int64_t>& shape() const { return shape_; }
  std::size_t count() const { return count_; }

  Buffer view() { return {storage_.data(), dtype_, count_}; }
  ConstBuffer view() const { return {storage_.data(), dtype_, count_}; }
  template <class T> T* data() { return view().as<T>(); }
  template <class T> const T* data() const { return view().as<T>(); }
  template <class T> std::span<T> span() { return view().span<T>(); }
  template <class T> std::span<const T> span() const { return view().span<T>(); }

  // Element i converted to double, whatever the dtype.
  double at(std::size_t i) const;
  // Same dtype, shape and bytes.
  bool operator==(const Array& other) const;

 private:
  DType dtype_ = DType::Float32;
  std::vector<std::int64_t> shape_;
  std::size_t count_ = 0;
  std::vector<std::uint64_t> storage_;  // 8-byte aligned backing store
};

// The result of Env::step. `terminated`: the episode reached a terminal state
// of the MDP (bootstrap with 0). `truncated`: it was cut short, e.g. by a time
// limit (bootstrap with V(s')). Both can be true.
struct StepResult {
  double reward = 0.0;
  bool terminated = false;
  bool truncated = false;
  bool done() const { return terminated || truncated; }
};

}  // namespace arena
