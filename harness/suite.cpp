#include "harness/suite.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "tasks/task.h"

namespace genbench {

namespace {

const std::vector<std::string> kTopKeys = {"suite",     "task",         "detector",  "description",
                                           "defaults",  "sweep",        "tiers",     "default_tier",
                                           "log_every", "threads",      "tolerances"};
const std::vector<std::string> kToleranceKeys = {"abs", "rel", "floor", "log"};
const std::vector<std::string> kSweepKeys = {"points", "grid", "zip", "seeds"};
const std::vector<std::string> kTierKeys = {"sweep", "seeds", "log_every", "description"};

// Where we are in the file, for messages "file:line:col: key: message".
struct Parser {
  std::string file;
  const Task* task = nullptr;
  std::vector<ParamSpec> specs;

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& key, const std::string& msg) const {
    std::ostringstream out;
    out << file;
    if (!mark.is_null()) out << ":" << mark.line + 1 << ":" << mark.column + 1;
    out << ": " << key << ": " << msg;
    throw ConfigError(out.str());
  }

  std::vector<std::string> param_names() const {
    std::vector<std::string> names;
    for (const auto& s : specs) names.push_back(s.name);
    return names;
  }

  [[noreturn]] void unknown_key(const YAML::Node& key_node, const std::string& path,
                                const std::vector<std::string>& valid, const char* what) const {
    auto key = key_node.Scalar();
    auto near = nearest_name(key, valid);
    fail(key_node.Mark(), path + key,
         std::string("unknown ") + what + (near.empty() ? "" : " (did you mean '" + near + "'?)"));
  }

  std::string scalar(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node.Mark(), key, "expected a string, found " + describe(node));
    return node.Scalar();
  }

  int64_t integer(const YAML::Node& node, const std::string& key, int64_t min) const {
    int64_t v = 0;
    if (!node.IsScalar() || !parse_int(node.Scalar(), v))
      fail(node.Mark(), key, "expected int, found " + describe(node));
    if (v < min) fail(node.Mark(), key, "must be >= " + std::to_string(min) + ", found " + std::to_string(v));
    return v;
  }

  static bool parse_int(const std::string& s, int64_t& out) {
    const char* b = s.data();
    const char* e = b + s.size();
    if (b != e && *b == '+') ++b;
    auto res = std::from_chars(b, e, out);
    return res.ec == std::errc() && res.ptr == e && b != e;
  }

  static bool parse_float(const YAML::Node& node, double& out) {
    int64_t i;
    if (parse_int(node.Scalar(), i)) {
      out = static_cast<double>(i);
      return true;
    }
    return YAML::convert<double>::decode(node, out);
  }

  // What a node holds, for "expected X, found Y".
  static std::string describe(const YAML::Node& node) {
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

  ParamValue value(const YAML::Node& node, const ParamSpec& spec, const std::string& key) const {
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

  const ParamSpec& spec_for(const YAML::Node& key_node, const std::string& path,
                            const std::vector<std::string>& also_valid = {}) const {
    if (auto* s = find_spec(specs, key_node.Scalar())) return *s;
    auto valid = param_names();
    valid.insert(valid.end(), also_valid.begin(), also_valid.end());
    unknown_key(key_node, path, valid, ("parameter of task '" + task->name() + "'").c_str());
  }

  ValueMap value_map(const YAML::Node& node, const std::string& path,
                     const std::vector<std::string>& skip = {}) const {
    if (!node.IsMap()) fail(node.Mark(), path, "expected a map, found " + describe(node));
    ValueMap out;
    for (const auto& kv : node) {
      auto key = kv.first.Scalar();
      if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
      const auto& spec = spec_for(kv.first, path.empty() ? "" : path + ".", skip);
      out[key] = value(kv.second, spec, (path.empty() ? "" : path + ".") + key);
    }
    return out;
  }

  std::vector<std::pair<std::string, std::vector<ParamValue>>> axes(const YAML::Node& node,
                                                                   const std::string& path,
                                                                   bool paired) const {
    if (!node.IsMap()) fail(node.Mark(), path, "expected a map of lists, found " + describe(node));
    std::vector<std::pair<std::string, std::vector<ParamValue>>> out;
    for (const auto& kv : node) {
      auto key = path + "." + kv.first.Scalar();
      const auto& spec = spec_for(kv.first, path + ".");
      const auto& list = kv.second;
      if (!list.IsSequence()) fail(list.Mark(), key, "expected a list of " + std::string(type_name(spec.type)) + ", found " + describe(list));
      if (list.size() == 0) fail(list.Mark(), key, "empty list: a sweep axis needs at least one value");
      std::vector<ParamValue> values;
      for (const auto& item : list) values.push_back(value(item, spec, key));
      if (paired && !out.empty() && values.size() != out.front().second.size())
        fail(list.Mark(), key, "zip lists must have equal lengths: " + std::to_string(values.size()) +
                                   " here, " + std::to_string(out.front().second.size()) + " for '" +
                                   out.front().first + "'");
      out.emplace_back(kv.first.Scalar(), std::move(values));
    }
    return out;
  }

  std::vector<SweepPoint> points(const YAML::Node& node, const std::string& path) const {
    if (!node.IsSequence()) fail(node.Mark(), path, "expected a list of maps, found " + describe(node));
    std::vector<SweepPoint> out;
    for (size_t i = 0; i < node.size(); ++i) {
      auto item_path = path + "[" + std::to_string(i) + "]";
      SweepPoint p;
      p.values = value_map(node[i], item_path, {"name"});
      if (node[i]["name"]) p.name = scalar(node[i]["name"], item_path + ".name");
      out.push_back(std::move(p));
    }
    if (out.empty()) fail(node.Mark(), path, "empty list: give at least one point or leave 'points' out");
    return out;
  }

  std::vector<uint64_t> seeds(const YAML::Node& node, const std::string& path) const {
    std::vector<uint64_t> out;
    if (node.IsScalar()) {  // `seeds: 3` means [0, 1, 2]
      auto n = integer(node, path, 1);
      for (int64_t s = 0; s < n; ++s) out.push_back(static_cast<uint64_t>(s));
      return out;
    }
    if (!node.IsSequence()) fail(node.Mark(), path, "expected a list of seeds or a count, found " + describe(node));
    if (node.size() == 0) fail(node.Mark(), path, "empty list: a sweep needs at least one seed");
    std::set<uint64_t> seen;
    for (const auto& item : node) {
      auto s = static_cast<uint64_t>(integer(item, path, 0));
      if (!seen.insert(s).second) fail(item.Mark(), path, "seed " + std::to_string(s) + " is listed twice");
      out.push_back(s);
    }
    return out;
  }

  // Fills `sweep`; returns whether it named its seeds.
  bool sweep_into(const YAML::Node& node, const std::string& path, Sweep& sweep) const {
    if (!node.IsMap()) fail(node.Mark(), path, "expected a map, found " + describe(node));
    bool has_seeds = false;
    for (const auto& kv : node) {
      auto key = kv.first.Scalar();
      auto sub = path + "." + key;
      if (key == "points") sweep.points = points(kv.second, sub);
      else if (key == "grid") sweep.grid = axes(kv.second, sub, false);
      else if (key == "zip") sweep.zip = axes(kv.second, sub, true);
      else if (key == "seeds") sweep.seeds = seeds(kv.second, sub), has_seeds = true;
      else unknown_key(kv.first, path + ".", kSweepKeys, "sweep key");
    }
    return has_seeds;
  }

  double number(const YAML::Node& node, const std::string& key, double min) const {
    double v = 0;
    if (!node.IsScalar() || !parse_float(node, v)) fail(node.Mark(), key, "expected float, found " + describe(node));
    if (!(v >= min)) fail(node.Mark(), key, "must be >= " + format_value(min) + ", found " + node.Scalar());
    return v;
  }

  std::map<std::string, Tolerance> tolerance_map(const YAML::Node& node, const std::string& path) const {
    if (!node.IsMap()) fail(node.Mark(), path, "expected a map of name: {abs, rel, floor, log}, found " + describe(node));
    std::map<std::string, Tolerance> out;
    for (const auto& kv : node) {
      auto sub = path + "." + kv.first.Scalar();
      if (!kv.second.IsMap()) fail(kv.second.Mark(), sub, "expected a map with abs, rel, floor, log; found " + describe(kv.second));
      Tolerance t;
      for (const auto& f : kv.second) {
        auto key = f.first.Scalar();
        if (key == "abs") t.abs = number(f.second, sub + ".abs", 0);
        else if (key == "rel") t.rel = number(f.second, sub + ".rel", 0);
        else if (key == "floor") t.floor = number(f.second, sub + ".floor", 0);
        else if (key == "log") {
          if (!f.second.IsScalar() || !YAML::convert<bool>::decode(f.second, t.log))
            fail(f.second.Mark(), sub + ".log", "expected bool, found " + describe(f.second));
        } else unknown_key(f.first, sub + ".", kToleranceKeys, "tolerance key");
      }
      out[kv.first.Scalar()] = t;
    }
    return out;
  }

  Tolerances tolerances(const YAML::Node& node, const std::string& path) const {
    if (!node.IsMap()) fail(node.Mark(), path, "expected a map with summaries and curves, found " + describe(node));
    Tolerances t;
    for (const auto& kv : node) {
      auto key = kv.first.Scalar();
      if (key == "summaries") t.summaries = tolerance_map(kv.second, path + ".summaries");
      else if (key == "curves") t.curves = tolerance_map(kv.second, path + ".curves");
      else unknown_key(kv.first, path + ".", {"summaries", "curves"}, "key");
    }
    return t;
  }

  Tier tier(const YAML::Node& node, const std::string& path) const {
    if (!node.IsMap()) fail(node.Mark(), path, "expected a map, found " + describe(node));
    Tier t;
    for (const auto& kv : node) {
      auto key = kv.first.Scalar();
      auto sub = path + "." + key;
      if (key == "sweep") {
        t.sweep.emplace();
        if (sweep_into(kv.second, sub, *t.sweep) && !t.seeds) t.seeds = t.sweep->seeds;
      } else if (key == "seeds") t.seeds = seeds(kv.second, sub);
      else if (key == "log_every") t.log_every = integer(kv.second, sub, 1);
      else if (key == "description") t.description = scalar(kv.second, sub);
      else t.overrides[key] = value(kv.second, spec_for(kv.first, path + ".", kTierKeys), sub);
    }
    return t;
  }
};

}  // namespace

SuiteSpec parse_suite(const std::string& text, const std::string& file) {
  Parser parser{file, nullptr, {}};
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    parser.fail(e.mark, "syntax", e.msg);
  }
  if (!root.IsMap()) parser.fail(root.Mark(), "(top level)", "expected a map, found " + Parser::describe(root));

  SuiteSpec suite;
  suite.file = file;
  suite.text = text;
  for (const auto& kv : root)
    if (std::find(kTopKeys.begin(), kTopKeys.end(), kv.first.Scalar()) == kTopKeys.end())
      parser.unknown_key(kv.first, "", kTopKeys, "key");

  for (const char* required : {"suite", "task"})
    if (!root[required]) parser.fail(root.Mark(), required, "missing required key");
  suite.suite = parser.scalar(root["suite"], "suite");
  suite.task = parser.scalar(root["task"], "task");
  parser.task = find_task(suite.task);
  if (!parser.task) {
    std::vector<std::string> names;
    std::string known;
    for (const auto* t : all_tasks()) {
      names.push_back(t->name());
      known += (known.empty() ? "" : ", ") + t->name();
    }
    auto near = nearest_name(suite.task, names);
    parser.fail(root["task"].Mark(), "task",
                "unknown task '" + suite.task + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)") +
                    "; known tasks: " + known);
  }
  parser.specs = parser.task->params();

  if (auto n = root["description"]) suite.description = parser.scalar(n, "description");
  suite.detector = root["detector"] ? parser.scalar(root["detector"], "detector") : suite.suite;
  if (auto n = root["defaults"]) suite.defaults = parser.value_map(n, "defaults");
  if (auto n = root["sweep"]) parser.sweep_into(n, "sweep", suite.sweep);
  if (auto n = root["log_every"]) suite.log_every = parser.integer(n, "log_every", 1);
  if (auto n = root["threads"]) suite.threads = parser.integer(n, "threads", 1);
  if (auto n = root["tolerances"]) suite.tolerances = parser.tolerances(n, "tolerances");
  if (auto n = root["tiers"]) {
    if (!n.IsMap()) parser.fail(n.Mark(), "tiers", "expected a map of tiers, found " + Parser::describe(n));
    for (const auto& kv : n) suite.tiers[kv.first.Scalar()] = parser.tier(kv.second, "tiers." + kv.first.Scalar());
  }
  if (auto n = root["default_tier"]) {
    suite.default_tier = parser.scalar(n, "default_tier");
    if (!suite.tiers.count(suite.default_tier))
      parser.fail(n.Mark(), "default_tier", "no tier named '" + suite.default_tier + "' under 'tiers'");
  }
  // Expanding every tier now reports cross-parameter errors before anything runs.
  for (const auto& [name, tier] : suite.tiers) expand(suite, {name, {}, {}});
  if (suite.tiers.empty()) expand(suite, {});
  return suite;
}

SuiteSpec load_suite(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open suite file");
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_suite(buf.str(), path);
}

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

Tolerances parse_tolerances(const std::string& text, const std::string& file, bool required) {
  Parser parser{file, nullptr, {}};
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    parser.fail(e.mark, "syntax", e.msg);
  }
  if (!root.IsMap() || !root["tolerances"]) {
    if (required) parser.fail(root.Mark(), "tolerances", "missing required key");
    return {};
  }
  return parser.tolerances(root["tolerances"], "tolerances");
}

Tolerances load_tolerances(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open tolerance file");
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_tolerances(buf.str(), path, true);
}

std::string canonical_config(const std::string& task, const Params& params, int64_t log_every,
                             uint64_t seed) {
  std::string out = "task=" + task;
  for (const auto& [name, value] : params.values()) out += ";" + name + "=" + format_value(value);
  return out + ";log_every=" + std::to_string(log_every) + ";seed=" + std::to_string(seed);
}

std::string run_id(const std::string& canonical) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a, 64 bit
  for (unsigned char c : canonical) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 33;  // murmur3's finaliser: FNV alone leaves ids that differ in one digit
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

ParamValue parse_value_text(const std::string& text, const ParamSpec& spec, const std::string& where) {
  // YAML reads "" as null; for a string parameter it is the empty string (an unset folder, say).
  if (spec.type == ParamType::String && text.empty()) return std::string();
  Parser parser{where, nullptr, {}};
  YAML::Node node;
  try {
    node = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(where + ": " + spec.name + ": cannot read '" + text + "': " + e.msg);
  }
  try {
    return parser.value(node, spec, spec.name);
  } catch (const ConfigError& e) {  // no line and column: the text came from the command line
    std::string msg = e.what();
    auto at = msg.find(": " + spec.name + ": ");
    throw ConfigError(where + msg.substr(at));
  }
}

std::string nearest_name(const std::string& name, const std::vector<std::string>& candidates) {
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diag = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
        diag = up;
      }
    }
    return row[b.size()];
  };
  std::string best;
  size_t best_d = std::max<size_t>(2, name.size() / 3) + 1;
  for (const auto& c : candidates) {
    auto d = distance(name, c);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

// ---- expansion --------------------------------------------------------------

namespace {

struct Filter {
  std::string key, op, text;
};

Filter parse_filter(const std::string& expr) {
  for (const char* op : {"<=", ">=", "!=", "=", "<", ">"}) {
    auto at = expr.find(op);
    if (at != std::string::npos && at > 0)
      return {expr.substr(0, at), op, expr.substr(at + std::string(op).size())};
  }
  throw ConfigError("--filter: cannot read '" + expr + "': expected key=value, key!=value, key<value...");
}

bool compare(double a, const std::string& op, double b) {
  if (op == "=") return a == b;
  if (op == "!=") return a != b;
  if (op == "<") return a < b;
  if (op == ">") return a > b;
  if (op == "<=") return a <= b;
  return a >= b;
}

bool matches(const Filter& f, const RunSpec& run, const std::vector<ParamSpec>& specs) {
  if (f.key == "seed") return compare(static_cast<double>(run.seed), f.op, std::stod(f.text));
  if (f.key == "id" || f.key == "point") {
    bool eq = f.key == "id" ? run.id == f.text : run.point.find(f.text) != std::string::npos;
    return f.op == "!=" ? !eq : eq;
  }
  const auto& spec = *find_spec(specs, f.key);
  auto want = parse_value_text(f.text, spec, "--filter");
  const auto& have = run.params.get(f.key);
  if (spec.type == ParamType::Int || spec.type == ParamType::Float) {
    auto num = [](const ParamValue& v) {
      return std::holds_alternative<int64_t>(v) ? static_cast<double>(std::get<int64_t>(v)) : std::get<double>(v);
    };
    return compare(num(have), f.op, num(want));
  }
  bool eq = format_value(have) == format_value(want);
  return f.op == "!=" ? !eq : eq;
}

void overlay(Params& params, const ValueMap& values) {
  for (const auto& [k, v] : values) params.set(k, v);
}

}  // namespace

std::vector<RunSpec> expand(const SuiteSpec& suite, const ExpandOptions& options) {
  const Task* task = find_task(suite.task);
  if (!task) throw ConfigError(suite.file + ": task: unknown task '" + suite.task + "'");
  auto specs = task->params();

  const Tier* tier = nullptr;
  auto tier_name = options.tier.empty() ? suite.default_tier : options.tier;
  if (!tier_name.empty()) {
    auto it = suite.tiers.find(tier_name);
    if (it == suite.tiers.end()) {
      std::string known;
      for (const auto& [name, t] : suite.tiers) known += (known.empty() ? "" : ", ") + name;
      throw ConfigError(suite.file + ": --tier: unknown tier '" + tier_name + "'" +
                        (known.empty() ? "; the suite has no tiers" : "; known tiers: " + known));
    }
    tier = &it->second;
  }

  Params base = default_params(specs);
  overlay(base, suite.defaults);
  if (tier) overlay(base, tier->overrides);
  ValueMap sets;  // applied last: the command line wins over the file
  for (const auto& set : options.sets) {
    auto eq = set.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ConfigError("--set: cannot read '" + set + "': expected key=value");
    auto key = set.substr(0, eq);
    const auto* spec = find_spec(specs, key);
    if (!spec) {
      std::vector<std::string> names;
      for (const auto& s : specs) names.push_back(s.name);
      auto near = nearest_name(key, names);
      throw ConfigError("--set: " + key + ": unknown parameter of task '" + suite.task + "'" +
                        (near.empty() ? "" : " (did you mean '" + near + "'?)"));
    }
    sets[key] = parse_value_text(set.substr(eq + 1), *spec, "--set");
  }

  std::vector<Filter> filters;
  for (const auto& expr : options.filters) {
    auto f = parse_filter(expr);
    if (f.key != "seed" && f.key != "id" && f.key != "point" && !find_spec(specs, f.key)) {
      std::vector<std::string> names{"seed", "id", "point"};
      for (const auto& s : specs) names.push_back(s.name);
      auto near = nearest_name(f.key, names);
      throw ConfigError("--filter: " + f.key + ": unknown key" + (near.empty() ? "" : " (did you mean '" + near + "'?)"));
    }
    filters.push_back(f);
  }

  const Sweep& sweep = tier && tier->sweep ? *tier->sweep : suite.sweep;
  const auto& points = sweep.points;
  const auto& grid = sweep.grid;
  const auto& zip = sweep.zip;
  const auto& seeds = tier && tier->seeds ? *tier->seeds : suite.sweep.seeds;
  int64_t log_every = tier && tier->log_every ? *tier->log_every : suite.log_every;
  std::vector<SweepPoint> all_points = points.empty() ? std::vector<SweepPoint>{SweepPoint{}} : points;

  size_t grid_size = 1;
  for (const auto& [k, values] : grid) grid_size *= values.size();
  size_t zip_size = zip.empty() ? 1 : zip.front().second.size();

  std::vector<RunSpec> runs;
  std::map<std::string, std::string> seen;  // id -> point, to catch duplicates
  for (const auto& point : all_points) {
    for (size_t g = 0; g < grid_size; ++g) {
      for (size_t z = 0; z < zip_size; ++z) {
        Params params = base;
        // The label says what varies: a named point stands for its own values.
        std::string label = point.name;
        auto add = [&](const std::string& k, const ParamValue& v, bool show) {
          params.set(k, v);
          if (show) label += (label.empty() ? "" : " ") + k + "=" + format_value(v);
        };
        for (const auto& [k, v] : point.values) add(k, v, point.name.empty());
        size_t rest = g;  // odometer over the grid, last axis fastest
        std::vector<size_t> pick(grid.size());
        for (size_t a = grid.size(); a-- > 0;) {
          pick[a] = rest % grid[a].second.size();
          rest /= grid[a].second.size();
        }
        for (size_t a = 0; a < grid.size(); ++a) add(grid[a].first, grid[a].second[pick[a]], true);
        for (const auto& [k, values] : zip) add(k, values[z], true);
        overlay(params, sets);
        bool checked = false;
        for (auto seed : seeds) {
          RunSpec run;
          run.task = suite.task;
          run.params = params;
          run.seed = seed;
          run.log_every = log_every;
          run.point = label;
          run.id = run_id(canonical_config(run.task, run.params, run.log_every, seed));
          // Only the runs kept are checked: `--set dtype=float32 --filter
          // point=a` must not fail on a point b that --set made equal to a.
          bool keep = true;
          for (const auto& f : filters) keep = keep && matches(f, run, specs);
          if (!keep) continue;
          if (!checked) {
            if (auto err = task->check(params); !err.empty())
              throw ConfigError(suite.file + ": sweep: run " + (label.empty() ? "(defaults)" : label) +
                                (tier_name.empty() ? "" : " in tier '" + tier_name + "'") + ": " + err);
            checked = true;
          }
          auto [it, fresh] = seen.emplace(run.id, label);
          if (!fresh)
            throw ConfigError(suite.file + ": sweep: points '" + it->second + "' and '" + label +
                              "' resolve to the same run (seed " + std::to_string(seed) + ")");
          run.index = static_cast<int64_t>(runs.size());
          runs.push_back(std::move(run));
        }
      }
    }
  }
  if (runs.empty())
    throw ConfigError(suite.file + ": sweep: expands to no runs" +
                      (filters.empty() ? std::string() : " after --filter"));
  return runs;
}

}  // namespace genbench
