#include "harness/result_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "core/stats.h"
#include "core/text.h"
#include "suites/detector.h"

namespace genbench {

std::vector<double> PointGroup::values(const std::string& key) const {
  std::vector<double> out;
  for (const auto* r : runs)
    if (auto it = r->summaries.find(key); it != r->summaries.end()) out.push_back(it->second);
  return out;
}

std::vector<PointGroup> group_by_point(const ResultsFile& file) {
  std::vector<PointGroup> groups;
  std::map<std::string, size_t> index;
  for (const auto& r : file.runs) {
    auto [it, fresh] = index.emplace(r.point, groups.size());
    if (fresh) groups.push_back({r.point, {}, 0});
    auto& g = groups[it->second];
    g.runs.push_back(&r);
    g.ok += r.status == RunStatus::Ok;
  }
  return groups;
}

std::vector<std::string> headline_keys(const ResultsFile& file, const Detector* detector) {
  std::vector<std::string> keys;
  for (const auto& k : detector ? detector->headline() : std::vector<std::string>{})
    if (std::any_of(file.runs.begin(), file.runs.end(), [&](const RunRecord& r) { return r.summaries.count(k) > 0; }))
      keys.push_back(k);
  return keys;
}

std::string format_columns(const std::vector<std::vector<std::string>>& rows, size_t min_width) {
  std::vector<size_t> width;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(i == 0 ? 0 : min_width);
      width[i] = std::max(width[i], row[i].size());
    }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      auto pad = std::string(width[i] - row[i].size(), ' ');
      out += i == 0 ? row[i] + pad : "  " + pad + row[i];
    }
    out += "\n";
  }
  return out;
}

std::string short_number(double v) {
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e9) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string plan_table(const std::vector<RunSpec>& runs) {
  // The parameters whose values differ between runs: what the sweep varies,
  // named points included (their label hides their values).
  std::vector<std::string> varied;
  if (!runs.empty())
    for (const auto& [key, value] : runs.front().params.values())
      for (const auto& r : runs)
        if (!r.params.has(key) || format_value(r.params.get(key)) != format_value(value)) {
          varied.push_back(key);
          break;
        }
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"index", "run id", "seed", "point"});
  rows.back().insert(rows.back().end(), varied.begin(), varied.end());
  for (const auto& r : runs) {
    rows.push_back({std::to_string(r.index), r.id, std::to_string(r.seed), r.point.empty() ? "(defaults)" : r.point});
    for (const auto& key : varied) rows.back().push_back(r.params.has(key) ? format_value(r.params.get(key)) : "-");
  }
  std::vector<size_t> width(rows.front().size(), 0);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      const bool left = c == 1 || c == 3;  // the id and the point read left to right; numbers align right
      auto pad = std::string(width[c] - row[c].size(), ' ');
      line += (c ? "  " : "") + (left ? row[c] + pad : pad + row[c]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out + std::to_string(runs.size()) + " runs" +
         (varied.empty() ? "" : "; varied: " + join(varied, ", ")) + "\n";
}

std::string results_table(const ResultsFile& file, const Detector* detector) {
  auto keys = headline_keys(file, detector);
  std::vector<std::vector<std::string>> rows{{"point", "ok/runs"}};
  rows[0].insert(rows[0].end(), keys.begin(), keys.end());
  for (const auto& g : group_by_point(file)) {
    rows.push_back({g.point, std::to_string(g.ok) + "/" + std::to_string(g.runs.size())});
    for (const auto& k : keys) {
      auto values = g.values(k);
      std::string cell = "-";
      if (!values.empty()) {
        cell = short_number(median(values));
        if (values.size() < g.runs.size())
          cell += " (" + std::to_string(values.size()) + "/" + std::to_string(g.runs.size()) + ")";
      }
      rows.back().push_back(cell);
    }
  }
  std::string out = "\n" + format_columns(rows, 9);
  if (!keys.empty()) out += "(medians over seeds; '-': not reached; (n/m): reached in n of m runs)\n";
  for (const auto& r : file.runs)
    if (r.status != RunStatus::Ok)
      out += r.point + " seed " + std::to_string(r.seed) + " " + to_string(r.status) + ": " + r.error + "\n";
  if (auto missing = file.missing(); !missing.empty())
    out += std::to_string(missing.size()) + " planned runs are not in the file (interrupted?)\n";
  return out;
}

}  // namespace genbench
