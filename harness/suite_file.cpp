#include "harness/suite_file.h"

#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "core/text.h"
#include "harness/sweep.h"
#include "suites/detector.h"
#include "tasks/task.h"

namespace genbench {

std::optional<int64_t> parse_stack(const std::string& text) {
  if (text == "auto") return -1;
  if (text == "off") return 0;
  char* end = nullptr;
  long long n = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || n < 1) return std::nullopt;
  return n;
}

namespace {

const std::vector<std::string> kTopKeys = {"suite",     "task",         "detector",  "description",
                                           "defaults",  "sweep",        "tiers",     "default_tier",
                                           "log_every", "threads",      "tolerances", "expect",
                                           "stack"};
const std::vector<std::string> kSweepKeys = {"points", "grid", "zip", "seeds"};
const std::vector<std::string> kTierKeys = {"sweep", "seeds", "log_every", "description", "expect"};

using Axes = std::vector<std::pair<std::string, std::vector<ParamValue>>>;

// A suite file's parser: the YAML reader plus the task whose parameters the
// file sets.
struct SuiteParser : YamlReader {
  const Task* task = nullptr;
  std::vector<ParamSpec> specs;


  const ParamSpec& spec_for(const YAML::Node& key_node, const std::string& path,
                            const std::vector<std::string>& also_valid = {}) const {
    if (auto* s = find_spec(specs, key_node.Scalar())) return *s;
    std::vector<std::string> valid;
    for (const auto& s : specs) valid.push_back(s.name);
    valid.insert(valid.end(), also_valid.begin(), also_valid.end());
    unknown_key(key_node, path, valid, "parameter of task '" + task->name() + "'");
  }

  ValueMap value_map(const YAML::Node& node, const std::string& path, const std::vector<std::string>& skip = {}) const {
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

  Axes axes(const YAML::Node& node, const std::string& path, bool paired) const {
    if (!node.IsMap()) fail(node.Mark(), path, "expected a map of lists, found " + describe(node));
    Axes out;
    for (const auto& kv : node) {
      auto key = path + "." + kv.first.Scalar();
      const auto& spec = spec_for(kv.first, path + ".");
      const auto& list = kv.second;
      if (!list.IsSequence())
        fail(list.Mark(), key, "expected a list of " + std::string(type_name(spec.type)) + ", found " + describe(list));
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
      p.values = value_map(node[i], item_path, {"name", "family"});
      if (node[i]["name"]) p.name = scalar(node[i]["name"], item_path + ".name");
      if (node[i]["family"]) p.family = scalar(node[i]["family"], item_path + ".family");
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
      else if (key == "expect") t.claims = kv.second.IsSequence() && kv.second.size() == 0 ? std::vector<Claim>{} : parse_claims(kv.second, *this, sub);
      else t.overrides[key] = value(kv.second, spec_for(kv.first, path + ".", kTierKeys), sub);
    }
    return t;
  }

  void find_task_of(const YAML::Node& node, const std::string& name) {
    task = find_task(name);
    if (!task) {
      auto names = task_names();
      fail(node.Mark(), "task", "unknown task '" + name + "'" + did_you_mean(name, names) + "; known tasks: " + join(names, ", "));
    }
    specs = task->params();
  }
};

// A claim about a point no run of the tier has is a typo (or a point the tier dropped).
void check_claim_points(const YamlReader& reader, const SuiteSpec& suite, const std::string& tier,
                        const std::vector<RunSpec>& runs) {
  std::vector<std::string> labels;
  for (const auto& r : runs) labels.push_back(r.point);
  auto check = [&](const std::string& point, const YAML::Mark& mark, const std::string& key) {
    if (point.empty()) return;
    for (const auto& label : labels)
      if (point_matches(label, point)) return;
    std::vector<std::string> names;  // the points' names, and their whole labels
    for (const auto& label : labels) names.push_back(label.substr(0, label.find(' '))), names.push_back(label);
    reader.fail(mark, key, "no point '" + point + "' in " + (tier.empty() ? std::string("the sweep") : "tier '" + tier + "'") +
                               did_you_mean(point, names) +
                               (suite.tiers.count(tier) && !suite.tiers.at(tier).claims ? "; a tier of other points needs its own expect:" : ""));
  };
  const auto& claims = claims_for(suite, tier);
  const auto own = suite.tiers.count(tier) && suite.tiers.at(tier).claims;
  for (size_t i = 0; i < claims.size(); ++i) {
    auto at = (own ? "tiers." + tier + ".expect[" : std::string("expect[")) + std::to_string(i) + "]";
    check(claims[i].point, claims[i].point_mark, at + ".point");
    if (claims[i].ref) check(claims[i].ref->point, claims[i].ref_point_mark, at + ".point");
  }
}

// A claim's summaries against what the suite's detector and task declare
// they write (Detector::summaries, Task::summaries): a misspelt name fails
// here, with the nearest declared one, not after the sweep. Patterns in a
// claim ("grokfast_speedup_*") match what the runs hold and are not checked.
void check_claim_summaries(const YamlReader& reader, const SuiteSpec& suite, const Task* task,
                           const std::vector<Claim>& claims, const std::string& path) {
  const Detector* detector = find_detector(suite.detector);
  if (!detector || detector->summaries().empty()) return;
  auto declared = detector->summaries();
  if (task)
    for (const auto& name : task->summaries()) declared.push_back(name);
  auto check = [&](const std::string& name, const YAML::Mark& mark, const std::string& key) {
    if (name.empty() || name.find('*') != std::string::npos) return;
    for (const auto& d : declared)
      if (d.find('*') != std::string::npos ? fnmatch(d.c_str(), name.c_str(), 0) == 0 : d == name) return;
    reader.fail(mark, key, "no summary '" + name + "' from detector '" + detector->name() + "'" +
                               (task ? " or task '" + task->name() + "'" : std::string()) + did_you_mean(name, declared));
  };
  for (size_t i = 0; i < claims.size(); ++i) {
    const auto& c = claims[i];
    auto at = path + "[" + std::to_string(i) + "]";
    if (c.summaries.empty()) check(c.summary, c.summary_mark, at + ".summary");
    for (const auto& name : c.summaries) check(name, c.summary_mark, at + ".summary");
    if (c.ref) check(c.ref->summary, c.ref_summary_mark, at + ".summary");
  }
}

}  // namespace

SuiteSpec parse_suite(const std::string& text, const std::string& file) {
  SuiteParser parser;
  parser.file = file;
  YAML::Node root = parser.load(text);
  if (!root.IsMap()) parser.fail(root.Mark(), "(top level)", "expected a map, found " + YamlReader::describe(root));

  SuiteSpec suite;
  suite.file = file;
  suite.text = text;
  for (const auto& kv : root)
    if (std::find(kTopKeys.begin(), kTopKeys.end(), kv.first.Scalar()) == kTopKeys.end())
      parser.unknown_key(kv.first, "", kTopKeys, "key");

  for (const char* required : {"suite", "task"})
    if (!root[required]) parser.fail(root.Mark(), required, "missing required key");
  suite.suite = parser.scalar(root["suite"], "suite");
  if (!is_plain_name(suite.suite))  // it names the default output file: no path may hide in it
    parser.fail(root["suite"].Mark(), "suite",
                "expected a plain name (letters, digits, '_', '-', '.'; not starting with '.'), found '" + suite.suite + "'");
  suite.task = parser.scalar(root["task"], "task");
  parser.find_task_of(root["task"], suite.task);

  if (auto n = root["description"]) suite.description = parser.scalar(n, "description");
  suite.detector = root["detector"] ? parser.scalar(root["detector"], "detector") : suite.suite;
  if (auto n = root["defaults"]) suite.defaults = parser.value_map(n, "defaults");
  if (auto n = root["sweep"]) parser.sweep_into(n, "sweep", suite.sweep);
  if (auto n = root["log_every"]) suite.log_every = parser.integer(n, "log_every", 1);
  if (auto n = root["threads"]) suite.threads = parser.integer(n, "threads", 1);
  if (auto n = root["stack"]) {
    auto text = parser.scalar(n, "stack");
    if (auto stack = parse_stack(text)) suite.stack = *stack;
    else parser.fail(n.Mark(), "stack", "expected auto, off or a number of runs >= 1, found '" + text + "'");
  }
  if (auto n = root["tolerances"]) suite.tolerances = read_tolerances(n, parser);
  if (auto n = root["expect"]) suite.claims = parse_claims(n, parser, "expect");
  if (auto n = root["tiers"]) {
    if (!n.IsMap()) parser.fail(n.Mark(), "tiers", "expected a map of tiers, found " + YamlReader::describe(n));
    for (const auto& kv : n) suite.tiers[kv.first.Scalar()] = parser.tier(kv.second, "tiers." + kv.first.Scalar());
  }
  if (auto n = root["default_tier"]) {
    suite.default_tier = parser.scalar(n, "default_tier");
    if (!suite.tiers.count(suite.default_tier))
      parser.fail(n.Mark(), "default_tier", "no tier named '" + suite.default_tier + "' under 'tiers'");
  }
  // Expanding every tier now reports cross-parameter errors before anything
  // runs; a tier too big to build is checked when it is chosen (expand refuses it then).
  // Each claim's points are checked against the plan of every tier it judges.
  check_claim_summaries(parser, suite, parser.task, suite.claims, "expect");
  for (const auto& [name, tier] : suite.tiers)
    if (tier.claims) check_claim_summaries(parser, suite, parser.task, *tier.claims, "tiers." + name + ".expect");
  for (const auto& [name, tier] : suite.tiers)
    if (plan_size(suite, name) <= kDefaultMaxRuns) check_claim_points(parser, suite, name, expand(suite, {name, {}, {}}));
  if (suite.tiers.empty() && plan_size(suite, "") <= kDefaultMaxRuns) check_claim_points(parser, suite, "", expand(suite, {}));
  return suite;
}

const std::vector<Claim>& claims_for(const SuiteSpec& suite, const std::string& tier) {
  auto it = suite.tiers.find(tier);
  return it != suite.tiers.end() && it->second.claims ? *it->second.claims : suite.claims;
}

SuiteSpec load_suite(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open suite file");
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_suite(buf.str(), path);
}

}  // namespace genbench
