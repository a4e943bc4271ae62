#include "harness/history.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "core/stats.h"
#include "core/text.h"

namespace genbench {

namespace {

const char* kHeader = "commit,time,suite,tier,point,quantity,median,n";

std::string commit_of(const ResultsFile& file) {
  auto commit = file.root_string("git_commit");
  auto it = file.root.find("git_dirty");
  bool dirty = it != file.root.end() && std::holds_alternative<bool>(it->second) && std::get<bool>(it->second);
  return commit + (dirty ? "+dirty" : "");
}

}  // namespace

std::vector<HistoryRow> history_rows(const ResultsFile& file) {
  std::map<std::string, std::map<std::string, std::vector<double>>> values;  // point -> quantity -> runs
  std::vector<std::string> points;
  for (const auto& r : file.runs) {
    if (!values.count(r.point)) points.push_back(r.point);
    auto& q = values[r.point];
    for (const auto& [k, v] : r.summaries) q[k].push_back(v);
    q["wall_time_s"].push_back(r.wall_time_s);
    q["steps_per_s"].push_back(r.steps_per_s);
  }
  std::vector<HistoryRow> rows;
  for (const auto& p : points)
    for (const auto& [quantity, v] : values[p])
      rows.push_back({commit_of(file), file.root_string("start_time"), file.root_string("suite"),
                      file.root_string("tier"), p, quantity, median(v), v.size()});
  return rows;
}

void append_history(const std::string& path, const std::vector<HistoryRow>& rows) {
  std::vector<HistoryRow> all = std::ifstream(path).good() ? read_history(path) : std::vector<HistoryRow>{};
  std::set<std::tuple<std::string, std::string, std::string>> replaced;
  for (const auto& r : rows) replaced.insert({r.commit, r.suite, r.tier});
  all.erase(std::remove_if(all.begin(), all.end(),
                           [&](const HistoryRow& r) { return replaced.count({r.commit, r.suite, r.tier}) > 0; }),
            all.end());
  all.insert(all.end(), rows.begin(), rows.end());
  auto tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << kHeader << "\n";
    char num[32];
    for (const auto& r : all) {
      snprintf(num, sizeof num, "%.17g", r.median);
      out << csv_field(r.commit) << "," << csv_field(r.time) << "," << csv_field(r.suite) << "," << csv_field(r.tier) << ","
          << csv_field(r.point) << "," << csv_field(r.quantity) << "," << num << "," << r.n << "\n";
    }
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      throw std::runtime_error(path + ": cannot write the history (" + tmp + ")");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error(path + ": cannot replace the history with " + tmp);
}

std::vector<HistoryRow> read_history(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open history");
  std::string line;
  if (!std::getline(in, line) || line != kHeader)
    throw std::runtime_error(path + ":1: expected the header '" + std::string(kHeader) + "'");
  std::vector<HistoryRow> rows;
  for (int number = 2; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    auto f = split_csv_line(line);
    if (f.size() != 8) throw std::runtime_error(path + ":" + std::to_string(number) + ": expected 8 fields, found " + std::to_string(f.size()));
    try {
      rows.push_back({f[0], f[1], f[2], f[3], f[4], f[5], std::stod(f[6]), static_cast<size_t>(std::stoul(f[7]))});
    } catch (const std::exception&) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": median and n must be numbers");
    }
  }
  return rows;
}

std::vector<std::pair<std::string, std::string>> history_commits(const std::vector<HistoryRow>& rows) {
  std::vector<std::pair<std::string, std::string>> out;  // (commit, time of its latest run)
  std::map<std::string, size_t> at;
  for (const auto& r : rows) {
    auto [it, fresh] = at.emplace(r.commit, out.size());
    if (fresh) out.push_back({r.commit, r.time});
    else out[it->second].second = std::max(out[it->second].second, r.time);
  }
  return out;
}

std::vector<Plot> history_plots(const std::vector<HistoryRow>& rows, const std::vector<std::string>& quantities) {
  auto commits = history_commits(rows);
  auto x_of = [&](const HistoryRow& r) {
    for (size_t i = 0; i < commits.size(); ++i)
      if (commits[i].first == r.commit) return static_cast<double>(i + 1);
    return 0.0;
  };
  std::map<std::pair<std::string, std::string>, std::map<std::string, Series>> by_plot;  // (suite, quantity) -> point
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& r : rows) {
    if (!quantities.empty() && std::find(quantities.begin(), quantities.end(), r.quantity) == quantities.end()) continue;
    auto key = std::make_pair(r.suite, r.quantity);
    if (!by_plot.count(key)) order.push_back(key);
    auto& s = by_plot[key][r.point];
    s.label = r.point;
    s.x.push_back(x_of(r));
    s.y.push_back(r.median);
  }
  std::vector<Plot> plots;
  for (const auto& key : order) {
    Plot p;
    p.id = "history/" + key.first + "/" + key.second;
    p.title = key.first + ": " + key.second + " over commits (median over seeds)";
    p.x_label = "commit (in order appended)";
    for (const auto& [commit, time] : commits) p.x_labels.push_back(commit.substr(0, 7) + (commit.size() > 7 && commit.find("+dirty") != std::string::npos ? "+" : ""));
    p.y_label = key.second;
    std::vector<double> all;
    int color = 0;
    for (auto& [point, s] : by_plot[key]) {
      all.insert(all.end(), s.y.begin(), s.y.end());
      s.color = color++;
      p.series.push_back(s);
    }
    p.log_y = spans_decades(all);
    plots.push_back(std::move(p));
  }
  return plots;
}

}  // namespace genbench
