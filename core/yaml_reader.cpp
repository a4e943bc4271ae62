#include "core/yaml_reader.h"

#include <charconv>
#include <sstream>

#include "core/text.h"

namespace genbench {

YAML::Node YamlReader::load(const std::string& text) const {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    fail(e.mark, "syntax", e.msg);
  }
}

void YamlReader::fail(const YAML::Mark& mark, const std::string& key, const std::string& message) const {
  std::ostringstream out;
  out << file;
  if (!mark.is_null()) out << ":" << mark.line + 1 << ":" << mark.column + 1;
  out << ": " << key << ": " << message;
  throw ConfigError(out.str());
}

void YamlReader::unknown_key(const YAML::Node& key_node, const std::string& path,
                             const std::vector<std::string>& valid, const std::string& what) const {
  auto key = key_node.Scalar();
  fail(key_node.Mark(), path + key, "unknown " + what + did_you_mean(key, valid));
}

std::string YamlReader::scalar(const YAML::Node& node, const std::string& key) const {
  if (!node.IsScalar()) fail(node.Mark(), key, "expected a string, found " + describe(node));
  return node.Scalar();
}

int64_t YamlReader::integer(const YAML::Node& node, const std::string& key, int64_t min) const {
  int64_t v = 0;
  if (!node.IsScalar() || !parse_int(node.Scalar(), v)) fail(node.Mark(), key, "expected int, found " + describe(node));
  if (v < min) fail(node.Mark(), key, "must be >= " + std::to_string(min) + ", found " + std::to_string(v));
  return v;
}

double YamlReader::number(const YAML::Node& node, const std::string& key, double min) const {
  double v = 0;
  if (!node.IsScalar() || !parse_float(node, v)) fail(node.Mark(), key, "expected float, found " + describe(node));
  if (!(v >= min)) fail(node.Mark(), key, "must be >= " + format_value(min) + ", found " + node.Scalar());
  return v;
}

bool YamlReader::boolean(const YAML::Node& node, const std::string& key) const {
  bool b = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, b))
    fail(node.Mark(), key, "expected bool, found " + describe(node));
  return b;
}

bool YamlReader::parse_int(const std::string& text, int64_t& out) {
  const char* b = text.data();
  const char* e = b + text.size();
  if (b != e && *b == '+') ++b;
  auto res = std::from_chars(b, e, out);
  return res.ec == std::errc() && res.ptr == e && b != e;
}

bool YamlReader::parse_float(const YAML::Node& node, double& out) {
  int64_t i;
  if (parse_int(node.Scalar(), i)) {
    out = static_cast<double>(i);
    return true;
  }
  return YAML::convert<double>::decode(node, out);
}

std::string YamlReader::describe(const YAML::Node& node) {
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  if (node.IsNull()) return "nothing";
  const auto& s = node.Scalar();
  int64_t i;
  double d;
  bool b;
  if (parse_int(s, i)) return "int " + s;
  if (YAML::convert<double>::decode(node, d)) return "float " + s;
  if (YAML::convert<bool>::decode(node, b)) return "bool " + s;
  return "string '" + s + "'";
}

ParamValue YamlReader::value(const YAML::Node& node, const ParamSpec& spec, const std::string& key) const {
  ParamValue v;
  auto expected = std::string("expected ") + type_name(spec.type) + ", found ";
  switch (spec.type) {
    case ParamType::Int: {
      int64_t i;
      if (!node.IsScalar() || !parse_int(node.Scalar(), i)) fail(node.Mark(), key, expected + describe(node));
      v = i;
      break;
    }
    case ParamType::Float: {
      double d;
      if (!node.IsScalar() || !parse_float(node, d)) fail(node.Mark(), key, expected + describe(node));
      v = d;
      break;
    }
    case ParamType::Bool: {
      bool b;
      if (!node.IsScalar() || !YAML::convert<bool>::decode(node, b)) fail(node.Mark(), key, expected + describe(node));
      v = b;
      break;
    }
    case ParamType::String:
      if (!node.IsScalar()) fail(node.Mark(), key, expected + describe(node));
      v = node.Scalar();
      break;
    case ParamType::FloatList: {
      if (!node.IsSequence()) fail(node.Mark(), key, expected + describe(node));
      std::vector<double> list;
      for (const auto& item : node) {
        double d;
        if (!item.IsScalar() || !parse_float(item, d))
          fail(item.Mark(), key, "expected a float in the list, found " + describe(item));
        list.push_back(d);
      }
      v = std::move(list);
      break;
    }
  }
  if (auto err = check_value(spec, v); !err.empty()) fail(node.Mark(), key, err);
  return v;
}

ParamValue parse_value_text(const std::string& text, const ParamSpec& spec, const std::string& where) {
  // YAML reads "" as null; for a string parameter it is the empty string (an unset folder, say).
  if (spec.type == ParamType::String && text.empty()) return std::string();
  YamlReader reader{where};
  YAML::Node node;
  try {
    node = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(where + ": " + spec.name + ": cannot read '" + text + "': " + e.msg);
  }
  try {
    return reader.value(node, spec, spec.name);
  } catch (const ConfigError& e) {  // no line and column: the text came from the command line
    std::string msg = e.what();
    auto at = msg.find(": " + spec.name + ": ");
    throw ConfigError(where + msg.substr(at));
  }
}

}  // namespace genbench
