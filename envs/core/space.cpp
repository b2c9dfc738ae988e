#include "envs/core/space.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace arena {

namespace {

double round_to(DType dtype, double v) {
  if (dtype == DType::Float32) return static_cast<double>(static_cast<float>(v));
  return v;
}

std::string shape_repr(const std::vector<std::int64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

// Shortest decimal digits that round-trip a float32: (digits, exponent) such
// that value = 0.d1d2d3... x 10^exponent, via std::to_chars in scientific form.
struct Shortest {
  std::string digits;  // no leading/trailing zeros, at least one digit
  int exp10 = 0;       // value = d1.d2d3... x 10^exp10
};

Shortest shortest(float v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific);
  std::string s(buf, res.ptr);
  const auto e = s.find('e');
  Shortest out;
  out.exp10 = std::stoi(s.substr(e + 1));
  for (char c : s.substr(0, e))
    if (c != '.') out.digits += c;
  while (out.digits.size() > 1 && out.digits.back() == '0') out.digits.pop_back();
  return out;
}

// Number of digits after the decimal point in numpy's positional, unique form.
int positional_frac_digits(float v) {
  if (v == 0) return 0;
  const Shortest s = shortest(v);
  return std::max(0, static_cast<int>(s.digits.size()) - 1 - s.exp10);
}

std::string positional(float v, int frac_digits) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.*f", frac_digits, static_cast<double>(v));
  std::string s(buf);
  if (frac_digits == 0) s += ".";
  return s;
}

std::string scientific(float v, int mantissa_digits) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.*e", mantissa_digits, static_cast<double>(v));
  std::string s(buf);
  if (mantissa_digits == 0) {
    // numpy prints "1.e+00"
    s.insert(s.find('e'), ".");
  }
  return s;
}

std::string nonfinite(double v) {
  if (std::isnan(v)) return "nan";
  return v > 0 ? "inf" : "-inf";
}

}  // namespace

std::string format_numpy_float32_scalar(double value) {
  if (!std::isfinite(value)) return nonfinite(value);
  const float v = static_cast<float>(value);
  const float a = std::fabs(v);
  // numpy's scalar str: positional between 1e-4 and 1e16, else scientific.
  if (a != 0 && (a < 1e-4f || a >= 1e16f)) {
    const Shortest s = shortest(v);
    return scientific(v, static_cast<int>(s.digits.size()) - 1);
  }
  std::string s = positional(v, positional_frac_digits(v));
  if (s.back() == '.') s += "0";
  return s;
}

std::string format_numpy_float32(const std::vector<double>& values) {
  // numpy's FloatingFormat (floatmode "maxprec", unique): scientific when the
  // finite magnitudes span too much, else positional; all elements padded to a
  // common width so that columns line up.
  double max_abs = 0, min_abs = std::numeric_limits<double>::infinity();
  bool any_finite_nonzero = false;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    const double a = std::fabs(static_cast<double>(static_cast<float>(v)));
    if (a == 0) continue;
    any_finite_nonzero = true;
    max_abs = std::max(max_abs, a);
    min_abs = std::min(min_abs, a);
  }
  const bool sci = any_finite_nonzero && (max_abs >= 1e8 || min_abs < 1e-4 || max_abs / min_abs > 1e3);

  std::vector<std::string> words;
  words.reserve(values.size());
  if (sci) {
    int digits = 0;
    for (double v : values)
      if (std::isfinite(v)) digits = std::max(digits, static_cast<int>(shortest(static_cast<float>(v)).digits.size()) - 1);
    for (double v : values) words.push_back(std::isfinite(v) ? scientific(static_cast<float>(v), digits) : nonfinite(v));
  } else {
    int frac = 0;
    for (double v : values)
      if (std::isfinite(v)) frac = std::max(frac, positional_frac_digits(static_cast<float>(v)));
    // Finite elements: their own unique digits, the integer part right-aligned
    // and the fraction right-padded to `frac`. Non-finite ones: right-aligned
    // in the whole column.
    std::size_t left = 0, nonfinite_len = 0;
    std::vector<std::pair<std::string, std::string>> parts;
    for (double v : values) {
      if (!std::isfinite(v)) {
        parts.emplace_back(nonfinite(v), "");
        nonfinite_len = std::max(nonfinite_len, parts.back().first.size());
        continue;
      }
      const float f = static_cast<float>(v);
      std::string s = positional(f, positional_frac_digits(f));
      const auto dot = s.find('.');
      parts.emplace_back(s.substr(0, dot), s.substr(dot));
      left = std::max(left, parts.back().first.size());
    }
    const std::size_t right = static_cast<std::size_t>(frac) + 1;
    if (nonfinite_len > right) left = std::max(left, nonfinite_len - right);
    for (auto& [l, r] : parts) {
      if (r.empty()) {
        words.push_back(std::string(left + right - l.size(), ' ') + l);
        continue;
      }
      words.push_back(std::string(left - l.size(), ' ') + l + r + std::string(right - r.size(), ' '));
    }
  }
  if (sci) {
    std::size_t width = 0;
    for (auto& w : words) width = std::max(width, w.size());
    for (auto& w : words) w = std::string(width - w.size(), ' ') + w;
  }
  // Lay out like numpy: "[" + words joined by " ", wrapped at 75 columns.
  std::string out = "[";
  std::size_t line_len = 1;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    const std::size_t add = (i ? 1 : 0) + w.size();
    if (i && line_len + add + 1 > 75) {
      out += "\n ";
      line_len = 1;
      out += w;
      line_len += w.size();
    } else {
      if (i) out += " ";
      out += w;
      line_len += add;
    }
  }
  return out + "]";
}

Space Space::discrete(std::int64_t n, std::int64_t start) {
  Space s;
  s.kind_ = Kind::Discrete;
  s.n_ = n;
  s.start_ = start;
  s.dtype_ = DType::Int64;
  s.size_ = 1;
  s.shape_.clear();
  return s;
}

Space Space::box(std::vector<std::int64_t> shape, double low, double high, DType dtype) {
  std::size_t n = 1;
  for (auto d : shape) n *= static_cast<std::size_t>(std::max<std::int64_t>(d, 0));
  return box(std::move(shape), std::vector<double>(n, low), std::vector<double>(n, high), dtype);
}

Space Space::box(std::vector<std::int64_t> shape, std::vector<double> low, std::vector<double> high,
                 DType dtype) {
  if (dtype == DType::Int64) throw std::invalid_argument("Box: dtype must be float32 or uint8");
  Space s;
  s.kind_ = Kind::Box;
  s.shape_ = std::move(shape);
  s.dtype_ = dtype;
  std::size_t n = 1;
  for (auto d : s.shape_) {
    if (d <= 0) throw std::invalid_argument("Box: every dimension must be positive, got shape " + shape_repr(s.shape_));
    n *= static_cast<std::size_t>(d);
  }
  if (low.size() != n || high.size() != n)
    throw std::invalid_argument("Box: low/high need " + std::to_string(n) + " elements for shape " + shape_repr(s.shape_));
  s.size_ = n;
  for (auto& v : low) v = round_to(dtype, v);
  for (auto& v : high) v = round_to(dtype, v);
  s.low_ = std::move(low);
  s.high_ = std::move(high);
  return s;
}

bool Space::is_bounded() const {
  if (is_discrete()) return true;
  for (std::size_t i = 0; i < size_; ++i)
    if (!std::isfinite(low_[i]) || !std::isfinite(high_[i])) return false;
  return true;
}

Array Space::make_array() const { return Array(dtype_, shape_); }

bool Space::contains(ConstBuffer x) const {
  if (x.dtype != dtype_ || x.count != size_) return false;
  if (is_discrete()) {
    const std::int64_t v = *x.as<std::int64_t>();
    return v >= start_ && v < start_ + n_;
  }
  if (dtype_ == DType::Float32) {
    const float* p = x.as<float>();
    for (std::size_t i = 0; i < size_; ++i) {
      const double v = p[i];
      if (!(v >= low_[i] && v <= high_[i])) return false;  // NaN fails too
    }
  } else {
    const std::uint8_t* p = x.as<std::uint8_t>();
    for (std::size_t i = 0; i < size_; ++i)
      if (p[i] < low_[i] || p[i] > high_[i]) return false;
  }
  return true;
}

void Space::sample_slow(Rng& rng, Buffer out) const {
  if (out.dtype != dtype_ || out.count != size_)
    throw std::invalid_argument("Space::sample: buffer does not match " + repr());
  if (is_discrete()) {
    *out.as<std::int64_t>() = start_ + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(n_)));
    return;
  }
  if (dtype_ == DType::UInt8) {
    std::uint8_t* p = out.as<std::uint8_t>();
    for (std::size_t i = 0; i < size_; ++i)
      p[i] = static_cast<std::uint8_t>(rng.integer(static_cast<std::int64_t>(low_[i]), static_cast<std::int64_t>(high_[i])));
    return;
  }
  float* p = out.as<float>();
  for (std::size_t i = 0; i < size_; ++i) {
    const bool lo = std::isfinite(low_[i]), hi = std::isfinite(high_[i]);
    double v;
    if (lo && hi) v = rng.uniform(low_[i], high_[i]);
    else if (lo) v = low_[i] + rng.exponential();
    else if (hi) v = high_[i] - rng.exponential();
    else v = rng.normal();
    float f = static_cast<float>(v);
    // Rounding to float32 may step just outside a bound.
    if (lo) f = std::max(f, static_cast<float>(low_[i]));
    if (hi) f = std::min(f, static_cast<float>(high_[i]));
    p[i] = f;
  }
}

std::string Space::validate() const {
  if (is_discrete()) {
    if (n_ <= 0) return "Discrete space needs n > 0, got " + std::to_string(n_);
    return {};
  }
  if (shape_.empty()) return "Box space has an empty shape";
  for (std::size_t i = 0; i < size_; ++i) {
    if (std::isnan(low_[i]) || std::isnan(high_[i])) return "Box bound " + std::to_string(i) + " is NaN";
    if (low_[i] > high_[i]) return "Box bound " + std::to_string(i) + ": low > high";
    if (dtype_ == DType::UInt8 && (low_[i] < 0 || high_[i] > 255 || !std::isfinite(low_[i]) || !std::isfinite(high_[i])))
      return "uint8 Box bound " + std::to_string(i) + " outside [0, 255]";
  }
  return {};
}

std::string Space::repr() const {
  if (is_discrete()) {
    if (start_ == 0) return "Discrete(" + std::to_string(n_) + ")";
    return "Discrete(" + std::to_string(n_) + ", start=" + std::to_string(start_) + ")";
  }
  auto bound = [&](const std::vector<double>& b) -> std::string {
    const bool uniform = std::all_of(b.begin(), b.end(), [&](double v) { return v == b[0]; });
    if (dtype_ == DType::UInt8) {
      if (uniform) return std::to_string(static_cast<int>(b[0]));
      std::string s = "[";
      for (std::size_t i = 0; i < b.size(); ++i) s += (i ? " " : "") + std::to_string(static_cast<int>(b[i]));
      return s + "]";
    }
    if (uniform) return format_numpy_float32_scalar(b[0]);
    return format_numpy_float32(b);
  };
  return "Box(" + bound(low_) + ", " + bound(high_) + ", " + shape_repr(shape_) + ", " + dtype_name(dtype_) + ")";
}

bool Space::operator==(const Space& o) const {
  if (kind_ != o.kind_) return false;
  if (is_discrete()) return n_ == o.n_ && start_ == o.start_;
  return shape_ == o.shape_ && dtype_ == o.dtype_ && low_ == o.low_ && high_ == o.high_;
}

}  // namespace arena
