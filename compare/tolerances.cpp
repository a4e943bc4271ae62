#include "compare/tolerances.h"

#include <fstream>
#include <sstream>

namespace genbench {

namespace {

const std::vector<std::string> kToleranceKeys = {"abs", "rel", "floor", "log"};

std::map<std::string, Tolerance> tolerance_map(const YAML::Node& node, const YamlReader& reader,
                                               const std::string& path) {
  if (!node.IsMap())
    reader.fail(node.Mark(), path, "expected a map of name: {abs, rel, floor, log}, found " + YamlReader::describe(node));
  std::map<std::string, Tolerance> out;
  for (const auto& kv : node) {
    auto sub = path + "." + kv.first.Scalar();
    if (!kv.second.IsMap())
      reader.fail(kv.second.Mark(), sub, "expected a map with abs, rel, floor, log; found " + YamlReader::describe(kv.second));
    Tolerance t;
    for (const auto& f : kv.second) {
      auto key = f.first.Scalar();
      if (key == "abs") t.abs = reader.number(f.second, sub + ".abs", 0);
      else if (key == "rel") t.rel = reader.number(f.second, sub + ".rel", 0);
      else if (key == "floor") t.floor = reader.number(f.second, sub + ".floor", 0);
      else if (key == "log") t.log = reader.boolean(f.second, sub + ".log");
      else reader.unknown_key(f.first, sub + ".", kToleranceKeys, "tolerance key");
    }
    out[kv.first.Scalar()] = t;
  }
  return out;
}

}  // namespace

const Tolerance& Tolerances::for_summary(const std::string& key) const {
  static const Tolerance exact{};
  auto it = summaries.find(key);
  if (it != summaries.end()) return it->second;
  const Tolerance* best = nullptr;  // "*_slope": every key ending in "_slope"; the longest such pattern wins
  size_t best_length = 0;
  for (const auto& [pattern, tolerance] : summaries) {
    if (pattern.size() < 2 || pattern[0] != '*' || pattern.size() - 1 > key.size() || pattern.size() - 1 <= best_length)
      continue;
    if (key.compare(key.size() - (pattern.size() - 1), std::string::npos, pattern, 1) == 0)
      best = &tolerance, best_length = pattern.size() - 1;
  }
  if (best) return *best;
  it = summaries.find("*");
  return it != summaries.end() ? it->second : exact;
}

Tolerances read_tolerances(const YAML::Node& node, const YamlReader& reader, const std::string& path) {
  if (!node.IsMap())
    reader.fail(node.Mark(), path, "expected a map with summaries and curves, found " + YamlReader::describe(node));
  Tolerances t;
  for (const auto& kv : node) {
    auto key = kv.first.Scalar();
    if (key == "summaries") t.summaries = tolerance_map(kv.second, reader, path + ".summaries");
    else if (key == "curves") t.curves = tolerance_map(kv.second, reader, path + ".curves");
    else reader.unknown_key(kv.first, path + ".", {"summaries", "curves"}, "key");
  }
  return t;
}

Tolerances parse_tolerances(const std::string& text, const std::string& file, bool required) {
  YamlReader reader{file};
  auto root = reader.load(text);
  if (!root.IsMap() || !root["tolerances"]) {
    if (required) reader.fail(root.Mark(), "tolerances", "missing required key");
    return {};
  }
  return read_tolerances(root["tolerances"], reader);
}

Tolerances load_tolerances(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open tolerance file");
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_tolerances(buf.str(), path, true);
}

}  // namespace genbench
