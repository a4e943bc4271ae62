#include "core/yaml_reader.h"

#include <charconv>
#include <cstdio>
#include <map>
#include <sstream>

#include "core/text.h"

namespace genbench {

namespace {

// The line and column (from 0) of a byte offset, as YAML::Mark has them.
YAML::Mark mark_at(const std::string& text, size_t offset) {
  YAML::Mark mark;
  mark.pos = static_cast<int>(offset);
  mark.line = 0;
  mark.column = 0;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') ++mark.line, mark.column = 0;
    else ++mark.column;
  }
  return mark;
}

// The offset of the first byte that is not well-formed UTF-8, or npos.
size_t invalid_utf8(const std::string& text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > n || (len == 2 && c < 0xC2)) return i;
    for (size_t k = 1; k < len; ++k)
      if ((s[i + k] >> 6) != 0x2) return i;
    if (len == 3 && ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0))) return i;  // overlong, surrogate
    if (len == 4 && ((c == 0xF0 && s[i + 1] < 0x90) || c > 0xF4 || (c == 0xF4 && s[i + 1] >= 0x90))) return i;
    i += len;
  }
  return std::string::npos;
}

// Whether the quoted scalar opening at `open` closes: yaml-cpp 0.7 lets a
// quote run on to the end of the file, swallowing every key after it.
bool quote_closes(const std::string& text, size_t open) {
  const char q = text[open];
  for (size_t i = open + 1; i < text.size(); ++i) {
    if (q == '"' && text[i] == '\\') {
      ++i;  // an escape: the next character is taken as it is
      continue;
    }
    if (text[i] == q) {
      if (q == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;  // '' is a quote inside a single-quoted scalar
        continue;
      }
      return true;
    }
  }
  return false;
}

}  // namespace

YAML::Node YamlReader::load(const std::string& text) const {
  if (auto bad = invalid_utf8(text); bad != std::string::npos) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[bad]));
    fail(mark_at(text, bad), "syntax", std::string("invalid UTF-8 (byte ") + byte + "); the file must be UTF-8");
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    fail(e.mark, "syntax", e.msg);
  }
  check_node(text, root, "");
  return root;
}

// Every map has each key once, and every quoted scalar closes.
void YamlReader::check_node(const std::string& text, const YAML::Node& node, const std::string& path) const {
  if (node.IsScalar()) {
    const auto& mark = node.Mark();
    if (!mark.is_null() && mark.pos >= 0 && static_cast<size_t>(mark.pos) < text.size() &&
        (text[mark.pos] == '"' || text[mark.pos] == '\'') && !quote_closes(text, static_cast<size_t>(mark.pos)))
      fail(mark, path.empty() ? "syntax" : path, "unterminated quoted string");
  } else if (node.IsMap()) {
    std::map<std::string, YAML::Mark> keys;
    for (const auto& kv : node) {
      const auto key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
      const auto where = path.empty() ? key : path + "." + key;
      check_node(text, kv.first, path);
      auto [it, fresh] = keys.emplace(key, kv.first.Mark());
      if (!fresh && kv.first.IsScalar())
        fail(kv.first.Mark(), where, "duplicate key (first at line " + std::to_string(it->second.line + 1) + ")");
      check_node(text, kv.second, where);
    }
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) check_node(text, node[i], path + "[" + std::to_string(i) + "]");
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
