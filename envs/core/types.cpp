#include "envs/core/types.h"

#include <cstring>

namespace arena {

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "float32";
    case DType::UInt8: return "uint8";
    case DType::Int64: return "int64";
  }
  return "?";
}

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::Float32: return 4;
    case DType::UInt8: return 1;
    case DType::Int64: return 8;
  }
  return 0;
}

void throw_dtype_mismatch(DType have, DType want) {
  throw std::logic_error(std::string("buffer holds ") + dtype_name(have) + ", accessed as " + dtype_name(want));
}

Array::Array(DType dtype, std::vector<std::int64_t> shape) : dtype_(dtype), shape_(std::move(shape)) {
  count_ = 1;
  for (auto d : shape_) {
    if (d < 0) throw std::invalid_argument("Array: negative dimension");
    count_ *= static_cast<std::size_t>(d);
  }
  storage_.assign((count_ * dtype_size(dtype_) + 7) / 8, 0);
}

double Array::at(std::size_t i) const {
  switch (dtype_) {
    case DType::Float32: return data<float>()[i];
    case DType::UInt8: return data<std::uint8_t>()[i];
    case DType::Int64: return static_cast<double>(data<std::int64_t>()[i]);
  }
  return 0;
}

bool Array::operator==(const Array& other) const {
  return dtype_ == other.dtype_ && shape_ == other.shape_ &&
         std::memcmp(storage_.data(), other.storage_.data(), count_ * dtype_size(dtype_)) == 0;
}

}  // namespace arena
