#include "core/params.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace genbench {

const char* type_name(ParamType type) {
  switch (type) {
    case ParamType::Int: return "int";
    case ParamType::Float: return "float";
    case ParamType::Bool: return "bool";
    case ParamType::String: return "string";
    case ParamType::FloatList: return "list of float";
  }
  return "?";
}

ParamType type_of(const ParamValue& value) { return static_cast<ParamType>(value.index()); }

static std::string format_double(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, x);  // shortest round-trip form
  return std::string(buf, res.ptr);
}

std::string format_value(const ParamValue& value) {
  switch (type_of(value)) {
    case ParamType::Int: return std::to_string(std::get<int64_t>(value));
    case ParamType::Float: return format_double(std::get<double>(value));
    case ParamType::Bool: return std::get<bool>(value) ? "true" : "false";
    case ParamType::String: return std::get<std::string>(value);
    case ParamType::FloatList: {
      std::string out = "[";
      const auto& list = std::get<std::vector<double>>(value);
      for (size_t i = 0; i < list.size(); ++i) out += (i ? ", " : "") + format_double(list[i]);
      return out + "]";
    }
  }
  return "?";
}

ParamSpec int_param(std::string name, int64_t def, std::string help, std::optional<double> min,
                    std::optional<double> max) {
  return {std::move(name), ParamType::Int, def, std::move(help), min, max, {}};
}
ParamSpec float_param(std::string name, double def, std::string help, std::optional<double> min,
                      std::optional<double> max) {
  return {std::move(name), ParamType::Float, def, std::move(help), min, max, {}};
}
ParamSpec bool_param(std::string name, bool def, std::string help) {
  return {std::move(name), ParamType::Bool, def, std::move(help), {}, {}, {}};
}
ParamSpec choice_param(std::string name, std::string def, std::vector<std::string> choices,
                       std::string help) {
  return {std::move(name), ParamType::String, std::move(def), std::move(help), {}, {},
          std::move(choices)};
}
ParamSpec float_list_param(std::string name, std::vector<double> def, std::string help,
                           std::optional<double> min, std::optional<double> max) {
  return {std::move(name), ParamType::FloatList, std::move(def), std::move(help), min, max, {}};
}

static std::string check_range(const ParamSpec& spec, double x) {
  if (std::isnan(x)) return "must be a number, found nan";
  if (spec.min && x < *spec.min) return "must be >= " + format_double(*spec.min) + ", found " + format_double(x);
  if (spec.max && x > *spec.max) return "must be <= " + format_double(*spec.max) + ", found " + format_double(x);
  return "";
}

std::string check_value(const ParamSpec& spec, const ParamValue& value) {
  if (type_of(value) != spec.type)
    return std::string("expected ") + type_name(spec.type) + ", found " + type_name(type_of(value));
  switch (spec.type) {
    case ParamType::Int: return check_range(spec, static_cast<double>(std::get<int64_t>(value)));
    case ParamType::Float: return check_range(spec, std::get<double>(value));
    case ParamType::FloatList:
      for (double x : std::get<std::vector<double>>(value))
        if (auto err = check_range(spec, x); !err.empty()) return "element " + err;
      return "";
    case ParamType::String: {
      if (spec.choices.empty()) return "";
      const auto& s = std::get<std::string>(value);
      for (const auto& c : spec.choices)
        if (c == s) return "";
      std::string all;
      for (const auto& c : spec.choices) all += (all.empty() ? "" : "|") + c;
      return "expected one of " + all + ", found '" + s + "'";
    }
    case ParamType::Bool: return "";
  }
  return "";
}

const ParamValue& Params::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::invalid_argument("no parameter '" + name + "'");
  return it->second;
}

template <typename T>
static const T& get_as(const Params& p, const std::string& name) {
  const auto& v = p.get(name);
  if (!std::holds_alternative<T>(v))
    throw std::invalid_argument("parameter '" + name + "' is a " + type_name(type_of(v)));
  return std::get<T>(v);
}

int64_t Params::get_int(const std::string& name) const { return get_as<int64_t>(*this, name); }
double Params::get_float(const std::string& name) const { return get_as<double>(*this, name); }
bool Params::get_bool(const std::string& name) const { return get_as<bool>(*this, name); }
const std::string& Params::get_string(const std::string& name) const {
  return get_as<std::string>(*this, name);
}
const std::vector<double>& Params::get_float_list(const std::string& name) const {
  return get_as<std::vector<double>>(*this, name);
}

Params default_params(const std::vector<ParamSpec>& specs) {
  Params p;
  for (const auto& s : specs) p.set(s.name, s.default_value);
  return p;
}

const ParamSpec* find_spec(const std::vector<ParamSpec>& specs, const std::string& name) {
  for (const auto& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace genbench
