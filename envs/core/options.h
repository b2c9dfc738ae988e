// Typed keyword options (Gymnasium's kwargs) for env construction and reset.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

namespace arena {

using OptionValue = std::variant<bool, std::int64_t, double, std::string>;

// "bool", "int", "float", "string"
std::string option_type_name(const OptionValue& v);
// true/false, 42, 0.5 (shortest round-trip), "text"
std::string option_to_string(const OptionValue& v);

// Thrown for a bad option: the message names the key.
struct OptionError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

class Options {
 public:
  Options() = default;
  Options(std::initializer_list<std::pair<const std::string, OptionValue>> init) : values_(init) {}

  void set(const std::string& key, OptionValue value) { values_[key] = std::move(value); }
  bool has(std::string_view key) const { return values_.find(std::string(key)) != values_.end(); }
  bool empty() const { return values_.empty(); }
  const std::map<std::string, OptionValue>& items() const { return values_; }

  // Typed read. An int value is accepted where a double is asked for.
  // Throws OptionError naming the key when it is missing or of another type.
  bool get_bool(std::string_view key) const;
  std::int64_t get_int(std::string_view key) const;
  double get_double(std::string_view key) const;
  const std::string& get_string(std::string_view key) const;
  // Reads with a fallback when the key is absent (the type is still checked).
  double get_double_or(std::string_view key, double fallback) const;

  // Throws OptionError naming the first key not in `allowed` (`context` says
  // whose options these are, e.g. "reset options of CartPole-v1").
  void require_only(std::initializer_list<std::string_view> allowed, std::string_view context) const;

  // `defaults` overlaid with `given`. Every given key must exist in defaults
  // with the same type (an int may stand for a double); otherwise OptionError
  // names the key, the expected type and the known keys.
  static Options resolve(const Options& defaults, const Options& given, std::string_view context);

  // Parses "key=value" text into a value of the type of `like` (the default).
  static OptionValue parse_as(const OptionValue& like, std::string_view key, std::string_view text);

  bool operator==(const Options& o) const { return values_ == o.values_; }

 private:
  const OptionValue& find(std::string_view key) const;
  std::map<std::string, OptionValue> values_;
};

}  // namespace arena
