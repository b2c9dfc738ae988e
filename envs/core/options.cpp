#include "envs/core/options.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace arena {

std::string option_type_name(const OptionValue& v) {
  switch (v.index()) {
    case 0: return "bool";
    case 1: return "int";
    case 2: return "float";
    default: return "string";
  }
}

std::string option_to_string(const OptionValue& v) {
  if (auto b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (auto i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (auto d = std::get_if<double>(&v)) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, *d);
    std::string s(buf, r.ptr);
    if (std::isfinite(*d) && s.find_first_of(".e") == std::string::npos) s += ".0";
    return s;
  }
  return "\"" + std::get<std::string>(v) + "\"";
}

const OptionValue& Options::find(std::string_view key) const {
  auto it = values_.find(std::string(key));
  if (it == values_.end()) throw OptionError("option '" + std::string(key) + "' is not set");
  return it->second;
}

bool Options::get_bool(std::string_view key) const {
  const auto& v = find(key);
  if (auto b = std::get_if<bool>(&v)) return *b;
  throw OptionError("option '" + std::string(key) + "' must be a bool, got " + option_type_name(v));
}

std::int64_t Options::get_int(std::string_view key) const {
  const auto& v = find(key);
  if (auto i = std::get_if<std::int64_t>(&v)) return *i;
  throw OptionError("option '" + std::string(key) + "' must be an int, got " + option_type_name(v));
}

double Options::get_double(std::string_view key) const {
  const auto& v = find(key);
  if (auto d = std::get_if<double>(&v)) return *d;
  if (auto i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  throw OptionError("option '" + std::string(key) + "' must be a float, got " + option_type_name(v));
}

const std::string& Options::get_string(std::string_view key) const {
  const auto& v = find(key);
  if (auto s = std::get_if<std::string>(&v)) return *s;
  throw OptionError("option '" + std::string(key) + "' must be a string, got " + option_type_name(v));
}

double Options::get_double_or(std::string_view key, double fallback) const {
  return has(key) ? get_double(key) : fallback;
}

void Options::require_only(std::initializer_list<std::string_view> allowed, std::string_view context) const {
  for (const auto& [key, value] : values_) {
    bool ok = false;
    for (auto a : allowed) ok = ok || a == key;
    if (ok) continue;
    std::string known;
    for (auto a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
    throw OptionError("unknown option '" + key + "' in " + std::string(context) +
                      (known.empty() ? " (it takes no options)" : " (known: " + known + ")"));
  }
}

Options Options::resolve(const Options& defaults, const Options& given, std::string_view context) {
  Options out = defaults;
  for (const auto& [key, value] : given.values_) {
    auto it = defaults.values_.find(key);
    if (it == defaults.values_.end()) {
      std::string known;
      for (const auto& [k, v] : defaults.values_) known += (known.empty() ? "" : ", ") + k;
      throw OptionError("unknown option '" + key + "' for " + std::string(context) +
                        (known.empty() ? " (it takes no options)" : " (known: " + known + ")"));
    }
    const OptionValue& like = it->second;
    if (like.index() == value.index()) {
      out.values_[key] = value;
    } else if (std::holds_alternative<double>(like) && std::holds_alternative<std::int64_t>(value)) {
      out.values_[key] = static_cast<double>(std::get<std::int64_t>(value));
    } else {
      throw OptionError("option '" + key + "' for " + std::string(context) + " must be a " +
                        option_type_name(like) + ", got " + option_type_name(value) + " " +
                        option_to_string(value));
    }
  }
  return out;
}

OptionValue Options::parse_as(const OptionValue& like, std::string_view key, std::string_view text) {
  auto fail = [&]() -> OptionError {
    return OptionError("option '" + std::string(key) + "' must be a " + option_type_name(like) + ", got '" +
                       std::string(text) + "'");
  };
  if (std::holds_alternative<bool>(like)) {
    if (text == "true" || text == "1") return true;
    if (text == "false" || text == "0") return false;
    throw fail();
  }
  if (std::holds_alternative<std::int64_t>(like)) {
    std::int64_t v{};
    auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size()) throw fail();
    return v;
  }
  if (std::holds_alternative<double>(like)) {
    double v{};
    auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size()) throw fail();
    return v;
  }
  return std::string(text);
}

}  // namespace arena
