// Reading YAML nodes as typed values, with every error a ConfigError
// "file:line:col: key: message" and the nearest valid name suggested. The
// suite parser (harness/) and the tolerance parser (compare/) share it.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/params.h"

namespace genbench {

struct YamlReader {
  std::string file;  // as given; the start of every message

  // Parses a whole file's text; a syntax error is "file:line:col: syntax: ...",
  // and so are what yaml-cpp lets through: invalid UTF-8, a duplicate key in a
  // map ("KEY: duplicate key"), a quoted string that never closes.
  YAML::Node load(const std::string& text) const;

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& key, const std::string& message) const;
  // "unknown <what> (did you mean '...'?)" at the key's mark; `path` prefixes the key.
  [[noreturn]] void unknown_key(const YAML::Node& key_node, const std::string& path,
                                const std::vector<std::string>& valid, const std::string& what) const;

  std::string scalar(const YAML::Node& node, const std::string& key) const;
  int64_t integer(const YAML::Node& node, const std::string& key, int64_t min) const;
  double number(const YAML::Node& node, const std::string& key, double min) const;
  bool boolean(const YAML::Node& node, const std::string& key) const;
  // A parameter value of spec's type, checked against its range and choices.
  ParamValue value(const YAML::Node& node, const ParamSpec& spec, const std::string& key) const;

  // What a node holds, for "expected X, found Y": "a map", "int 3", "string 'x'".
  static std::string describe(const YAML::Node& node);
  static bool parse_int(const std::string& text, int64_t& out);
  static bool parse_float(const YAML::Node& node, double& out);

 private:
  void check_node(const std::string& text, const YAML::Node& node, const std::string& path) const;
};

// Parses one YAML scalar/flow value ("0.1", "[1, 0.5]", "gd") as a value for
// spec; throws ConfigError "where: name: message" (no line: the text came
// from the command line).
ParamValue parse_value_text(const std::string& text, const ParamSpec& spec, const std::string& where);

}  // namespace genbench
