#include "harness/sweep.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "core/text.h"
#include "core/yaml_reader.h"
#include "tasks/task.h"

namespace genbench {

namespace {

// ---- --filter ---------------------------------------------------------------

struct Filter {
  std::string key, op, text;
};

const std::vector<std::string> kRunKeys = {"seed", "id", "point"};

Filter parse_filter(const std::string& expr) {
  for (const char* op : {"<=", ">=", "!=", "=", "<", ">"}) {
    auto at = expr.find(op);
    if (at != std::string::npos && at > 0)
      return {expr.substr(0, at), op, expr.substr(at + std::string(op).size())};
  }
  throw ConfigError("--filter: cannot read '" + expr + "': expected key=value, key!=value, key<value...");
}

std::vector<Filter> parse_filters(const std::vector<std::string>& exprs, const std::vector<ParamSpec>& specs) {
  std::vector<Filter> filters;
  for (const auto& expr : exprs) {
    auto f = parse_filter(expr);
    bool run_key = std::find(kRunKeys.begin(), kRunKeys.end(), f.key) != kRunKeys.end();
    if (!run_key && !find_spec(specs, f.key)) {
      auto names = kRunKeys;
      for (const auto& s : specs) names.push_back(s.name);
      throw ConfigError("--filter: " + f.key + ": unknown key" + did_you_mean(f.key, names));
    }
    filters.push_back(f);
  }
  return filters;
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

bool keeps(const std::vector<Filter>& filters, const RunSpec& run, const std::vector<ParamSpec>& specs) {
  for (const auto& f : filters)
    if (!matches(f, run, specs)) return false;
  return true;
}

// ---- tier and --set -----------------------------------------------------------

const Tier* select_tier(const SuiteSpec& suite, const std::string& name) {
  if (name.empty()) return nullptr;
  auto it = suite.tiers.find(name);
  if (it == suite.tiers.end()) {
    std::vector<std::string> known;
    for (const auto& [tier_name, t] : suite.tiers) known.push_back(tier_name);
    throw ConfigError(suite.file + ": --tier: unknown tier '" + name + "'" +
                      (known.empty() ? "; the suite has no tiers" : "; known tiers: " + join(known, ", ")));
  }
  return &it->second;
}

// The spec of a parameter named on the command line (--set, --sweep), or
// "FLAG: key: unknown parameter of task 'T' (did you mean ...)".
const ParamSpec& command_line_spec(const std::vector<ParamSpec>& specs, const std::string& key, const std::string& task,
                                   const char* flag) {
  if (const auto* spec = find_spec(specs, key)) return *spec;
  std::vector<std::string> names;
  for (const auto& s : specs) names.push_back(s.name);
  throw ConfigError(std::string(flag) + ": " + key + ": unknown parameter of task '" + task + "'" + did_you_mean(key, names));
}

// --set key=value, read by the parameter's type: applied last, the command line wins over the file.
ValueMap parse_sets(const std::vector<std::string>& sets, const std::vector<ParamSpec>& specs, const std::string& task) {
  ValueMap out;
  for (const auto& set : sets) {
    auto eq = set.find('=');
    if (eq == std::string::npos || eq == 0) throw ConfigError("--set: cannot read '" + set + "': expected key=value");
    auto key = set.substr(0, eq);
    out[key] = parse_value_text(set.substr(eq + 1), command_line_spec(specs, key, task, "--set"), "--set");
  }
  return out;
}

// --sweep key=v1,v2,...: values split at the commas outside brackets (a
// list-valued parameter's value is itself "[1, 0.5]").
std::pair<std::string, std::vector<ParamValue>> parse_sweep(const std::string& text, const std::vector<ParamSpec>& specs,
                                                             const std::string& task) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("--sweep: cannot read '" + text + "': expected key=value,value,... (e.g. lr=0.01,0.1)");
  auto key = text.substr(0, eq);
  const auto& spec = command_line_spec(specs, key, task, "--sweep");
  std::vector<ParamValue> values;
  std::string item;
  int depth = 0;
  auto take = [&] {
    if (item.empty()) throw ConfigError("--sweep: " + key + ": an empty value in '" + text.substr(eq + 1) + "'");
    values.push_back(parse_value_text(item, spec, "--sweep"));
    item.clear();
  };
  for (char c : text.substr(eq + 1)) {
    depth += c == '[' ? 1 : c == ']' ? -1 : 0;
    if (c == ',' && depth == 0) take();
    else if (!(item.empty() && c == ' ')) item += c;
  }
  take();
  return {key, values};
}

void overlay(Params& params, const ValueMap& values) {
  for (const auto& [k, v] : values) params.set(k, v);
}

// ---- the points of a sweep ------------------------------------------------------

// One combination of a point, a grid cell and a zip index: its parameters
// (before --set) and the label that says what varies.
struct Combination {
  Params params;
  std::string label;
};

// points x grid x zip, in order: points outermost, the grid's last axis fastest, zip innermost.
std::vector<Combination> combinations(const Sweep& sweep, const Params& base) {
  std::vector<SweepPoint> points = sweep.points.empty() ? std::vector<SweepPoint>{SweepPoint{}} : sweep.points;
  const auto& grid = sweep.grid;
  const auto& zip = sweep.zip;
  size_t grid_size = 1;
  for (const auto& [k, values] : grid) grid_size *= values.size();
  size_t zip_size = zip.empty() ? 1 : zip.front().second.size();

  std::vector<Combination> out;
  for (const auto& point : points)
    for (size_t g = 0; g < grid_size; ++g)
      for (size_t z = 0; z < zip_size; ++z) {
        Combination c{base, point.name};
        // A named point stands for its own values; grid and zip values are always shown.
        auto add = [&](const std::string& k, const ParamValue& v, bool show) {
          c.params.set(k, v);
          if (show) c.label += (c.label.empty() ? "" : " ") + k + "=" + format_value(v);
        };
        for (const auto& [k, v] : point.values) add(k, v, point.name.empty());
        std::vector<size_t> pick(grid.size());
        size_t rest = g;  // odometer over the grid, last axis fastest
        for (size_t a = grid.size(); a-- > 0;) {
          pick[a] = rest % grid[a].second.size();
          rest /= grid[a].second.size();
        }
        for (size_t a = 0; a < grid.size(); ++a) add(grid[a].first, grid[a].second[pick[a]], true);
        for (const auto& [k, values] : zip) add(k, values[z], true);
        out.push_back(std::move(c));
      }
  return out;
}

}  // namespace

namespace {

uint64_t saturating_product(uint64_t a, uint64_t b) {
  if (a == 0 || b == 0) return 0;
  return a > std::numeric_limits<uint64_t>::max() / b ? std::numeric_limits<uint64_t>::max() : a * b;
}

const Sweep& sweep_of(const SuiteSpec& suite, const Tier* tier) { return tier && tier->sweep ? *tier->sweep : suite.sweep; }
const std::vector<uint64_t>& seeds_of(const SuiteSpec& suite, const Tier* tier) {
  return tier && tier->seeds ? *tier->seeds : suite.sweep.seeds;
}

uint64_t size_of(const Sweep& sweep, size_t seeds) {
  uint64_t n = std::max<uint64_t>(1, sweep.points.size());
  for (const auto& [k, values] : sweep.grid) n = saturating_product(n, values.size());
  if (!sweep.zip.empty()) n = saturating_product(n, sweep.zip.front().second.size());
  return saturating_product(n, seeds);
}

}  // namespace

std::vector<uint64_t> parse_seeds(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return ConfigError("--seeds: cannot read '" + text + "': " + why +
                       " (a count: 5 for 0-4; a range: 0-9; a list: 1,3,7; or both: 0-4,9)");
  };
  auto number = [&](const std::string& s) {
    int64_t v = 0;
    if (s.empty() || !YamlReader::parse_int(s, v) || v < 0) throw bad("'" + s + "' is not a seed");
    return static_cast<uint64_t>(v);
  };
  std::vector<uint64_t> out;
  if (text.find_first_of(",-") == std::string::npos) {  // a count, as `seeds: 5` in a suite file
    auto n = number(text);
    if (n == 0) throw bad("a count of 0 seeds");
    for (uint64_t s = 0; s < n; ++s) out.push_back(s);
    return out;
  }
  std::set<uint64_t> seen;
  size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    auto part = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    auto dash = part.find('-');
    uint64_t lo = number(dash == std::string::npos ? part : part.substr(0, dash));
    uint64_t hi = dash == std::string::npos ? lo : number(part.substr(dash + 1));
    if (hi < lo) throw bad("the range " + part + " runs backwards");
    if (hi - lo > kDefaultMaxRuns) throw bad("the range " + part + " has more seeds than a plan may have runs");
    for (uint64_t s = lo; s <= hi; ++s) {
      if (!seen.insert(s).second) throw bad("seed " + std::to_string(s) + " is given twice");
      out.push_back(s);
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

uint64_t plan_size(const SuiteSpec& suite, const std::string& tier_name) {
  const Tier* tier = select_tier(suite, tier_name.empty() ? suite.default_tier : tier_name);
  return size_of(sweep_of(suite, tier), seeds_of(suite, tier).size());
}

namespace {

// The tier's sweep with --sweep's axes: each replaces the grid axis of its
// key or joins the grid (cartesian). A zip axis or a --set of the same key
// would make the meaning unclear: refused.
Sweep with_sweeps(Sweep sweep, const ExpandOptions& options, const std::vector<ParamSpec>& specs, const std::string& task) {
  for (const auto& text : options.sweeps) {
    auto [key, values] = parse_sweep(text, specs, task);
    for (const auto& set : options.sets)
      if (set.compare(0, key.size() + 1, key + "=") == 0)
        throw ConfigError("--sweep " + key + " and --set " + key + ": give one (--set fixes it in every run)");
    for (const auto& [k, v] : sweep.zip)
      if (k == key) throw ConfigError("--sweep: " + key + " is a zip axis of the sweep; --sweep replaces or adds grid axes");
    auto axis = std::find_if(sweep.grid.begin(), sweep.grid.end(), [&](const auto& a) { return a.first == key; });
    if (axis != sweep.grid.end()) axis->second = values;
    else sweep.grid.emplace_back(key, values);
  }
  return sweep;
}

}  // namespace

std::vector<RunSpec> expand(const SuiteSpec& suite, const ExpandOptions& options) {
  const Task* task = find_task(suite.task);
  if (!task) throw ConfigError(suite.file + ": task: unknown task '" + suite.task + "'");
  auto specs = task->params();
  auto tier_name = options.tier.empty() ? suite.default_tier : options.tier;
  const Tier* tier = select_tier(suite, tier_name);
  const Sweep sweep = with_sweeps(sweep_of(suite, tier), options, specs, suite.task);
  const auto seeds = options.seeds.empty() ? seeds_of(suite, tier) : parse_seeds(options.seeds);
  if (auto size = size_of(sweep, seeds.size()); size > options.max_runs) {
    auto tier = options.tier.empty() ? suite.default_tier : options.tier;
    throw ConfigError(suite.file + ": sweep" + (tier.empty() ? "" : " of tier '" + tier + "'") + ": expands to " +
                      (size == std::numeric_limits<uint64_t>::max() ? std::string("more than 1.8e19")
                                                                    : std::to_string(size)) +
                      " runs, over the limit of " + std::to_string(options.max_runs) +
                      " (bench-run --max-runs N allows more)");
  }
  Params base = default_params(specs);
  overlay(base, suite.defaults);
  if (tier) overlay(base, tier->overrides);
  auto sets = parse_sets(options.sets, specs, suite.task);
  auto filters = parse_filters(options.filters, specs);

  int64_t log_every = tier && tier->log_every ? *tier->log_every : suite.log_every;

  std::vector<RunSpec> runs;
  std::map<std::string, std::string> seen;  // id -> point, to catch duplicates
  for (auto& combination : combinations(sweep, base)) {
    overlay(combination.params, sets);
    bool checked = false;
    for (auto seed : seeds) {
      RunSpec run;
      run.task = suite.task;
      run.params = combination.params;
      run.seed = seed;
      run.log_every = log_every;
      run.point = combination.label;
      run.id = run_id(canonical_config(run.task, run.params, run.log_every, seed));
      // Only the runs kept are checked: `--set dtype=float32 --filter
      // point=a` must not fail on a point b that --set made equal to a.
      if (!keeps(filters, run, specs)) continue;
      if (!checked) {
        if (auto err = task->check(run.params); !err.empty())
          throw ConfigError(suite.file + ": sweep: run " + (run.point.empty() ? "(defaults)" : run.point) +
                            (tier_name.empty() ? "" : " in tier '" + tier_name + "'") + ": " + err);
        checked = true;
      }
      auto [it, fresh] = seen.emplace(run.id, run.point);
      if (!fresh)
        throw ConfigError(suite.file + ": sweep: points '" + it->second + "' and '" + run.point +
                          "' resolve to the same run (seed " + std::to_string(seed) + ")");
      run.index = static_cast<int64_t>(runs.size());
      runs.push_back(std::move(run));
    }
  }
  if (runs.empty())
    throw ConfigError(suite.file + ": sweep: expands to no runs" + (filters.empty() ? std::string() : " after --filter"));
  return runs;
}

}  // namespace genbench
