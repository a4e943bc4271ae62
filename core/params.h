// Task parameters: the one place a task declares what it accepts.
//
// A task lists its parameters as ParamSpecs (name, type, default, range, help).
// The harness validates suite files against that list, prints it for
// `bench-run --describe TASK`, and hands the task a resolved Params.
// This header knows nothing about YAML, HDF5 or LibTorch.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace genbench {

enum class ParamType { Int, Float, Bool, String, FloatList };

// Index order matches ParamType.
using ParamValue = std::variant<int64_t, double, bool, std::string, std::vector<double>>;

const char* type_name(ParamType type);  // "int", "float", "bool", "string", "list of float"
ParamType type_of(const ParamValue& value);

// Canonical text of a value: floats in shortest round-trip form, so 1e-3,
// 0.001 and 1.0e-3 all read "0.001". Run ids hash this text.
std::string format_value(const ParamValue& value);

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::Float;
  ParamValue default_value;
  std::string help;
  std::optional<double> min;         // inclusive; numbers and list elements
  std::optional<double> max;         // inclusive
  std::vector<std::string> choices;  // strings only; empty means any
};

// Declaration helpers, so a task's parameter list reads as a table.
ParamSpec int_param(std::string name, int64_t def, std::string help,
                    std::optional<double> min = {}, std::optional<double> max = {});
ParamSpec float_param(std::string name, double def, std::string help,
                      std::optional<double> min = {}, std::optional<double> max = {});
ParamSpec bool_param(std::string name, bool def, std::string help);
ParamSpec choice_param(std::string name, std::string def, std::vector<std::string> choices,
                       std::string help);
ParamSpec float_list_param(std::string name, std::vector<double> def, std::string help,
                           std::optional<double> min = {}, std::optional<double> max = {});

// Checks a value against a spec; returns an empty string when it is valid,
// else what was wrong ("expected int, found float", "must be >= 1, found 0").
std::string check_value(const ParamSpec& spec, const ParamValue& value);

// A task's resolved parameters. Getters throw std::invalid_argument when the
// name is missing or has another type: that is a bug in the task, not input.
class Params {
 public:
  void set(const std::string& name, ParamValue value) { values_[name] = std::move(value); }
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  const ParamValue& get(const std::string& name) const;

  int64_t get_int(const std::string& name) const;
  double get_float(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  const std::string& get_string(const std::string& name) const;
  const std::vector<double>& get_float_list(const std::string& name) const;

  // Sorted by name: iteration order is part of the canonical form.
  const std::map<std::string, ParamValue>& values() const { return values_; }

 private:
  std::map<std::string, ParamValue> values_;
};

// The defaults of a spec list as Params.
Params default_params(const std::vector<ParamSpec>& specs);
const ParamSpec* find_spec(const std::vector<ParamSpec>& specs, const std::string& name);

}  // namespace genbench
