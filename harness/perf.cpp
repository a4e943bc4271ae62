#include "harness/perf.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "core/stats.h"

namespace genbench {

namespace {


double half_range(const std::vector<double>& v) {
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  double m = median(v);
  return m > 0 ? (*hi - *lo) / 2 / m : 0;
}

}  // namespace

std::vector<BenchTimes> read_benchmark_json(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);  // JSON is YAML
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(path + ": not a benchmark JSON file: " + e.what());
  }
  if (!root.IsMap() || !root["benchmarks"] || !root["benchmarks"].IsSequence())
    throw std::runtime_error(path + ": no 'benchmarks' list: is this Google Benchmark's JSON output?");
  std::vector<BenchTimes> out;
  std::map<std::string, size_t> index;
  for (const auto& b : root["benchmarks"]) {
    if (b["run_type"] && b["run_type"].as<std::string>() != "iteration") continue;  // skip aggregates
    auto name = b["run_name"] ? b["run_name"].as<std::string>() : b["name"].as<std::string>();
    if (!index.count(name)) {
      index[name] = out.size();
      out.push_back({name, b["time_unit"] ? b["time_unit"].as<std::string>() : "ns", {}});
    }
    out[index[name]].times.push_back(b["real_time"].as<double>());
  }
  if (out.empty()) throw std::runtime_error(path + ": no benchmark runs in the file");
  return out;
}

std::vector<PerfChange> compare_benchmarks(const std::vector<BenchTimes>& old_runs, const std::vector<BenchTimes>& new_runs,
                                           double min_change) {
  std::vector<PerfChange> out;
  for (const auto& o : old_runs) {
    auto it = std::find_if(new_runs.begin(), new_runs.end(), [&](const BenchTimes& n) { return n.name == o.name; });
    if (it == new_runs.end()) continue;
    PerfChange c;
    c.name = o.name;
    c.unit = o.unit;
    c.old_median = median(o.times);
    c.new_median = median(it->times);
    c.ratio = c.new_median / c.old_median;
    c.noise = std::max(half_range(o.times), half_range(it->times));
    c.old_reps = o.times.size();
    c.new_reps = it->times.size();
    // Larger than the floor and than the spread on either side; with one
    // repetition there is no measured spread, so nothing is significant.
    bool measured = c.old_reps >= 2 && c.new_reps >= 2;
    c.significant = measured && std::fabs(std::log(c.ratio)) > std::log1p(std::max(min_change, 2 * c.noise));
    out.push_back(c);
  }
  return out;
}

std::string format_perf_changes(const std::vector<PerfChange>& changes) {
  size_t w = 9;
  for (const auto& c : changes) w = std::max(w, c.name.size());
  std::string out;
  char line[512];
  snprintf(line, sizeof line, "%-*s  %12s  %12s  %7s  %7s  %s\n", static_cast<int>(w), "benchmark", "old median",
           "new median", "new/old", "noise", "verdict");
  out += line;
  for (const auto& c : changes) {
    const char* verdict = !c.significant ? "within noise" : c.ratio > 1 ? "SLOWER" : "faster";
    if (c.old_reps < 2 || c.new_reps < 2) verdict = "no spread measured (use --benchmark_repetitions)";
    snprintf(line, sizeof line, "%-*s  %9.4g %-2s  %9.4g %-2s  %7.3f  %6.1f%%  %s\n", static_cast<int>(w), c.name.c_str(),
             c.old_median, c.unit.c_str(), c.new_median, c.unit.c_str(), c.ratio, 100 * c.noise, verdict);
    out += line;
  }
  return out;
}

}  // namespace genbench
