#include "harness/report.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "core/stats.h"
#include "core/text.h"
#include "core/yaml_reader.h"
#include "harness/result_table.h"
#include "suites/detector.h"

namespace genbench {

namespace {

std::string num(double v) {
  if (std::isnan(v)) return "";
  char buf[32];
  snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// "median [min, max]" over the point's seeds, and "(n/m)" when not every run has it.
std::string median_range(const PointStats::Stat& s, size_t runs) {
  if (s.n == 0) return "-";
  std::string out = num(s.median);
  if (s.n > 1 && s.min != s.max) out += " [" + num(s.min) + ", " + num(s.max) + "]";
  if (s.n < runs) out += " (" + std::to_string(s.n) + "/" + std::to_string(runs) + ")";
  return out;
}

// "3/3", or "1/3 (1 diverged, 1 failed)": how the point's runs ended.
std::string ended(const PointStats& p) {
  std::string out = std::to_string(p.ok) + "/" + std::to_string(p.runs);
  std::vector<std::string> why;
  if (p.diverged) why.push_back(std::to_string(p.diverged) + " diverged");
  if (p.failed) why.push_back(std::to_string(p.failed) + " failed");
  return why.empty() ? out : out + " (" + join(why, ", ") + ")";
}

std::map<std::string, std::string> units_of(const ResultsFile& file) {
  std::map<std::string, std::string> out;
  for (const auto& line : split_lines(file.root_string("units"))) {
    auto colon = line.find(": ");
    if (colon != std::string::npos) out[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return out;
}

// The `family:` of each named point of the file's tier, read from the stored
// suite text (bench-report has no task registry to parse it fully); empty
// when the text is unreadable or declares none: the report then needs none.
std::map<std::string, std::string> declared_families(const ResultsFile& file) {
  std::map<std::string, std::string> out;
  try {
    YamlReader reader;
    const YAML::Node root = reader.load(file.root_string("suite_text"));
    if (!root.IsMap()) return out;
    YAML::Node sweep = root["sweep"];
    auto tier = file.root_string("tier");
    if (const YAML::Node tiers = root["tiers"]; tiers && tiers.IsMap() && !tier.empty())
      if (const YAML::Node own = tiers[tier]; own && own.IsMap() && own["sweep"]) sweep = own["sweep"];
    if (!sweep || !sweep.IsMap() || !sweep["points"] || !sweep["points"].IsSequence()) return out;
    for (const auto& p : sweep["points"])
      if (p.IsMap() && p["name"] && p["family"] && p["name"].IsScalar() && p["family"].IsScalar())
        out[p["name"].Scalar()] = p["family"].Scalar();
  } catch (const std::exception&) {
  }
  return out;
}

// A point's label as its tokens: a name, and "key=value" for each swept value.
std::vector<std::string> label_tokens(const std::string& label) {
  std::vector<std::string> out;
  std::string token;
  for (char c : label) {
    if (c == ' ') {
      if (!token.empty()) out.push_back(token);
      token.clear();
    } else {
      token += c;
    }
  }
  if (!token.empty()) out.push_back(token);
  return out;
}

// Points that belong in one panel: a declared family, split further by every
// swept value but the one the family varies most (its axis, e.g. the width k).
struct Family {
  std::string name;            // empty when the file makes one family
  std::vector<size_t> points;  // indexes into the report's points, in plan order
  std::string axis;            // the swept parameter that varies inside it; may be empty
};

std::optional<double> numeric_param(const RunRecord& r, const std::string& key);

std::vector<Family> point_families(const ResultsFile& file, const std::vector<PointStats>& points) {
  auto declared = declared_families(file);
  // per point: its declared family and its swept key=value tokens
  std::vector<std::string> base(points.size());
  std::vector<std::vector<std::pair<std::string, std::string>>> swept(points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    std::string name;
    for (const auto& t : label_tokens(points[i].point)) {
      auto eq = t.find('=');
      if (eq == std::string::npos) name = t;
      else swept[i].emplace_back(t.substr(0, eq), t.substr(eq + 1));
    }
    // a named point is in its declared family; else, when values are swept over it
    // (--sweep lr=... on named points), its own name makes one
    if (auto it = declared.find(name); it != declared.end()) base[i] = it->second;
    else if (!swept[i].empty()) base[i] = name;
  }
  // per declared family: the swept key with the most distinct values is its axis
  std::map<std::string, std::string> axis_of;
  {
    std::map<std::string, std::map<std::string, std::set<std::string>>> distinct;  // family -> key -> values
    std::map<std::string, std::vector<std::string>> order;                         // keys in label order
    for (size_t i = 0; i < points.size(); ++i)
      for (const auto& [k, v] : swept[i]) {
        auto& keys = order[base[i]];
        if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
        distinct[base[i]][k].insert(v);
      }
    for (const auto& [family, keys] : order) {
      size_t most = 1;
      for (const auto& k : keys)  // ties: the later key, the grid's fastest axis
        if (distinct[family][k].size() >= most && distinct[family][k].size() > 1)
          most = distinct[family][k].size(), axis_of[family] = k;
    }
  }
  std::vector<Family> out;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < points.size(); ++i) {
    std::string name = base[i];
    const auto axis = axis_of.count(base[i]) ? axis_of[base[i]] : "";
    for (const auto& [k, v] : swept[i])
      if (k != axis) name += (name.empty() ? "" : " ") + k + "=" + v;
    auto [it, fresh] = index.emplace(name, out.size());
    if (fresh) out.push_back({name, {}, axis});
    out[it->second].points.push_back(i);
  }
  return out;
}

const RunRecord* first_run_of(const ResultsFile& file, const std::string& point) {
  for (const auto& r : file.runs)
    if (r.point == point) return &r;
  return nullptr;
}

// The label of a point inside its family's panel: what differs there.
std::string series_label(const std::string& point, const Family& family) {
  if (point.empty()) return "(defaults)";
  if (family.axis.empty()) return point;
  for (const auto& t : label_tokens(point))
    if (t.rfind(family.axis + "=", 0) == 0) return t;
  return point;
}

// Each sweep point's median over seeds at every logged step of `metric`, with a min-max band.
Series trajectory_series(const ResultsFile& file, const PointStats& p, const std::string& metric,
                         std::vector<double>* all_values) {
  Series s;
  std::map<int64_t, std::vector<double>> at;  // step -> values over seeds
  for (const auto& r : file.runs) {
    if (r.point != p.point || !r.metric(metric)) continue;
    const auto& values = *r.metric(metric);
    for (size_t i = 0; i < r.steps.size(); ++i)
      if (std::isfinite(values[i])) at[r.steps[i]].push_back(values[i]);
    // where a diverged or failed run ended: a cross on the line
    if ((r.status == RunStatus::Diverged || r.status == RunStatus::Failed) && r.last_good_step >= 0)
      s.marks.push_back(static_cast<double>(r.last_good_step));
  }
  for (auto& [step, values] : at) {
    std::sort(values.begin(), values.end());
    s.x.push_back(static_cast<double>(step));
    s.y.push_back(median(values));
    s.low.push_back(values.front());
    s.high.push_back(values.back());
    if (all_values) all_values->insert(all_values->end(), values.begin(), values.end());
  }
  return s;
}

// One figure per metric: a panel per family of points, sharing their axes.
std::vector<Figure> trajectory_figures(const ResultsFile& file, const std::vector<PointStats>& points,
                                       const std::vector<Family>& families, const Detector* detector) {
  std::set<std::string> metrics;
  for (const auto& r : file.runs)
    for (const auto& [m, v] : r.metrics) metrics.insert(m);
  if (auto only = detector ? detector->trajectory_metrics() : std::nullopt)
    for (auto it = metrics.begin(); it != metrics.end();)
      it = std::find(only->begin(), only->end(), *it) == only->end() ? metrics.erase(it) : std::next(it);
  const auto suite = file.root_string("suite");
  std::vector<Figure> figures;
  for (const auto& metric : metrics) {
    Figure figure;
    figure.title = quantity_label(file, metric) + " against " + quantity_label(file, "step") +
                   ": the median over seeds, shaded from min to max" +
                   (families.size() > 1 ? ", one panel per family of points" : "");
    std::vector<double> all, steps;
    bool has_line = false;
    for (const auto& family : families) {
      Plot plot;
      plot.id = suite + "/" + metric + (families.size() > 1 ? "/" + family.name : "");
      plot.title = families.size() > 1 ? (family.name.empty() ? "(others)" : family.name) : metric;
      plot.x_label = quantity_label(file, "step");
      plot.y_label = metric;
      for (size_t pi : family.points) {
        auto s = trajectory_series(file, points[pi], metric, &all);
        if (s.x.empty()) continue;
        has_line = has_line || s.x.size() > 1;
        steps.insert(steps.end(), s.x.begin(), s.x.end());
        s.label = series_label(points[pi].point, family);
        s.color = static_cast<int>(pi);
        if (!family.axis.empty() && family.points.size() > 2) {  // a numeric axis: a gradient over it, low to high
          auto rank = static_cast<double>(std::find(family.points.begin(), family.points.end(), pi) - family.points.begin());
          s.rgb = viridis(0.9 * rank / static_cast<double>(family.points.size() - 1));
        }
        plot.series.push_back(std::move(s));
      }
      if (!plot.series.empty()) figure.panels.push_back(std::move(plot));
    }
    if (!has_line) continue;  // one logged row per run is no trajectory
    for (auto& plot : figure.panels) {
      plot.log_y = spans_decades(all);
      plot.log_x = spans_decades_from_zero(steps);  // step 0 stays, before the first decade
    }
    if (figure.panels.size() > 1) share_axes(figure.panels);
    figures.push_back(std::move(figure));
  }
  return figures;
}

// Heatmaps where a sweep has two axes:
// - a parameter against the step: per family varying one numeric parameter,
//   each metric the detector names (the MLP's width x epoch test error);
// - two swept parameters: per family, its axis against the other numeric
//   swept parameter, for each headline summary.
std::vector<Heatmap> heatmaps(const ResultsFile& file, const std::vector<PointStats>& points,
                              const std::vector<Family>& families, const Detector* detector,
                              const std::vector<std::string>& headline) {
  std::vector<Heatmap> out;
  const auto suite = file.root_string("suite");
  auto axis_value = [&](size_t pi, const std::string& axis) -> std::optional<double> {
    const RunRecord* r = first_run_of(file, points[pi].point);
    return r ? numeric_param(*r, axis) : std::nullopt;
  };
  auto row_label = [](const std::string& axis, double v) {
    char buf[48];
    snprintf(buf, sizeof buf, "%s=%g", axis.c_str(), v);
    return std::string(buf);
  };
  for (const auto& family : families) {
    if (family.axis.empty()) continue;
    std::vector<std::pair<double, size_t>> rows;  // axis value, point
    for (size_t pi : family.points)
      if (auto v = axis_value(pi, family.axis)) rows.emplace_back(*v, pi);
    if (rows.size() < 2) continue;
    std::sort(rows.begin(), rows.end());
    for (const auto& metric : detector ? detector->heatmap_metrics() : std::vector<std::string>{}) {
      std::vector<Series> lines;
      std::set<double> steps;
      for (const auto& [v, pi] : rows) {
        lines.push_back(trajectory_series(file, points[pi], metric, nullptr));
        steps.insert(lines.back().x.begin(), lines.back().x.end());
      }
      if (steps.size() < 3) continue;  // a map needs a few steps to be a picture
      Heatmap map;
      map.id = suite + "/heatmap/" + metric + (family.name.empty() ? "" : "/" + family.name);
      map.title = metric + " over " + family.axis + " and " + quantity_label(file, "step") + " (median over seeds)" +
                  (family.name.empty() ? "" : ", " + family.name);
      map.x_label = quantity_label(file, "step");
      map.y_label = family.axis;
      map.z_label = quantity_label(file, metric);
      map.x.assign(steps.begin(), steps.end());
      map.log_x = spans_decades_from_zero(map.x);
      std::vector<double> all;
      for (size_t r = 0; r < rows.size(); ++r) {
        map.y_labels.push_back(row_label(family.axis, rows[r].first));
        std::vector<double> z(map.x.size(), NAN);
        for (size_t k = 0; k < lines[r].x.size(); ++k) {
          auto at = std::lower_bound(map.x.begin(), map.x.end(), lines[r].x[k]) - map.x.begin();
          z[static_cast<size_t>(at)] = lines[r].y[k];
          all.push_back(lines[r].y[k]);
        }
        map.z.push_back(std::move(z));
      }
      map.log_z = spans_decades(all);
      out.push_back(std::move(map));
    }
  }
  // two swept parameters: the families that differ only in one other numeric value form the rows
  std::map<std::string, std::map<std::string, std::vector<size_t>>> by_rest;  // axis -> rest-of-name -> families
  for (size_t f = 0; f < families.size(); ++f) {
    if (families[f].axis.empty()) continue;
    auto tokens = label_tokens(families[f].name);
    for (size_t t = 0; t < tokens.size(); ++t) {
      if (tokens[t].find('=') == std::string::npos) continue;
      std::string rest = families[f].axis + "|" + tokens[t].substr(0, tokens[t].find('='));
      for (size_t u = 0; u < tokens.size(); ++u)
        if (u != t) rest += " " + tokens[u];
      by_rest[families[f].axis][rest].push_back(f);
    }
  }
  for (const auto& [axis, groups] : by_rest)
    for (const auto& [rest, members] : groups) {
      if (members.size() < 2) continue;
      auto bar = rest.find('|'), space = rest.find(' ', bar);
      std::string other = rest.substr(bar + 1, space == std::string::npos ? std::string::npos : space - bar - 1);
      std::string context = space == std::string::npos ? "" : rest.substr(space + 1);
      // rows: the other parameter's values; columns: the axis's
      std::map<double, std::map<double, size_t>> cells;  // other -> axis -> point
      for (size_t f : members)
        for (size_t pi : families[f].points) {
          const RunRecord* r = first_run_of(file, points[pi].point);
          auto x = r ? numeric_param(*r, axis) : std::nullopt;
          auto y = r ? numeric_param(*r, other) : std::nullopt;
          if (x && y) cells[*y][*x] = pi;
        }
      std::set<double> xs;
      for (const auto& [y, row] : cells)
        for (const auto& [x, pi] : row) xs.insert(x);
      if (cells.size() < 2 || xs.size() < 2) continue;
      for (size_t h = 0; h < headline.size() && h < 2; ++h) {
        Heatmap map;
        map.id = suite + "/heatmap/" + headline[h] + "/" + axis + "x" + other + (context.empty() ? "" : "/" + context);
        map.title = headline[h] + " over " + axis + " and " + other + " (median over seeds)" +
                    (context.empty() ? "" : ", " + context);
        map.x_label = quantity_label(file, axis);
        map.y_label = other;
        map.z_label = quantity_label(file, headline[h]);
        for (double x : xs) map.x_labels.push_back(row_label(axis, x).substr(axis.size() + 1));
        std::vector<double> all;
        bool any = false;
        for (const auto& [y, row] : cells) {
          map.y_labels.push_back(row_label(other, y));
          std::vector<double> z;
          for (double x : xs) {
            auto it = row.find(x);
            double v = NAN;
            if (it != row.end()) {
              const auto& st = points[it->second].stats;
              auto s = st.find(headline[h]);
              if (s != st.end() && s->second.n > 0) v = s->second.median, any = true, all.push_back(v);
            }
            z.push_back(v);
          }
          map.z.push_back(std::move(z));
        }
        map.log_z = spans_decades(all);
        if (any) out.push_back(std::move(map));
      }
    }
  return out;
}

std::optional<double> numeric_param(const RunRecord& r, const std::string& key) {
  if (!r.params.has(key)) return std::nullopt;
  const auto& v = r.params.get(key);
  if (std::holds_alternative<double>(v)) return std::get<double>(v);
  if (std::holds_alternative<int64_t>(v)) return static_cast<double>(std::get<int64_t>(v));
  return std::nullopt;
}

// A run's value for a sweep-plot axis: a summary, else a numeric parameter.
std::optional<double> axis_value(const RunRecord& r, const std::string& key) {
  if (auto it = r.summaries.find(key); it != r.summaries.end()) return it->second;
  return numeric_param(r, key);
}

// The detector's curves over the sweep: per group, the median over seeds at
// each x with a min-max band, and the theory (when named) as a dashed line.
std::vector<Plot> sweep_plots(const ResultsFile& file, const Detector& detector) {
  std::vector<Plot> plots;
  for (const auto& spec : detector.sweep_plots()) {
    std::map<std::string, std::map<double, std::vector<double>>> measured;  // group -> x -> values
    std::map<std::string, std::map<double, double>> theory;
    for (const auto& r : file.runs) {
      auto x = axis_value(r, spec.x), y = axis_value(r, spec.y);
      if (!x || !y || r.status != RunStatus::Ok) continue;
      std::string group;
      for (const auto& g : spec.group_by)
        if (r.params.has(g)) group += (group.empty() ? "" : " ") + g + "=" + format_value(r.params.get(g));
      measured[group][*x].push_back(*y);
      if (!spec.theory.empty())
        if (auto t = axis_value(r, spec.theory)) theory[group][*x] = *t;
    }
    if (measured.empty()) continue;
    Plot plot;
    plot.id = file.root_string("suite") + "/sweep/" + spec.y;
    plot.title = spec.title;
    plot.x_label = quantity_label(file, spec.x);
    plot.y_label = quantity_label(file, spec.y);
    plot.log_x = spec.log_x;
    plot.log_y = spec.log_y;
    int color = 0;
    for (auto& [group, by_x] : measured) {
      Series s;
      s.label = group.empty() ? spec.y : group;
      s.color = color;
      for (auto& [x, values] : by_x) {
        std::sort(values.begin(), values.end());
        s.x.push_back(x);
        s.y.push_back(median(values));
        s.low.push_back(values.front());
        s.high.push_back(values.back());
      }
      plot.series.push_back(std::move(s));
      if (theory.count(group)) {
        Series t;
        t.label = "theory" + (group.empty() ? "" : " " + group);
        t.color = measured.size() == 1 ? 7 : color;  // grey beside a single measured line
        t.dashed = true;
        // at every measured x: NaN where the theory has no value (a pole, as at gamma = 1), which
        // breaks the line there instead of drawing it straight across
        for (const auto& [x, values] : by_x) {
          auto it = theory[group].find(x);
          t.x.push_back(x);
          t.y.push_back(it == theory[group].end() || !std::isfinite(it->second) ? NAN : it->second);
        }
        plot.series.push_back(std::move(t));
      }
      ++color;
    }
    plots.push_back(std::move(plot));
  }
  return plots;
}

}  // namespace

std::string quantity_label(const ResultsFile& file, const std::string& key) {
  auto units = units_of(file);
  auto it = units.find(key);
  return it == units.end() ? key : key + " (" + it->second + ")";
}

SuiteReport build_report(const ResultsFile& file) {
  SuiteReport report;
  report.file = &file;
  const Detector* detector = detector_for(file);
  report.headline = headline_keys(file, detector);
  report.keys = report.headline;
  std::set<std::string> rest;  // the other summary keys some run has, sorted
  for (const auto& r : file.runs)
    for (const auto& [k, v] : r.summaries)
      if (std::find(report.headline.begin(), report.headline.end(), k) == report.headline.end()) rest.insert(k);
  report.keys.insert(report.keys.end(), rest.begin(), rest.end());
  if (report.headline.empty()) report.headline = report.keys;

  for (const auto& g : group_by_point(file)) {
    PointStats p{g.point, g.runs.size(), g.ok, 0, 0, {}};
    for (const auto* r : g.runs) p.diverged += r->status == RunStatus::Diverged, p.failed += r->status == RunStatus::Failed;
    for (const auto& key : report.keys) {
      std::vector<double> v;  // the finite values: a diverged run's inf is marked by its status, not averaged
      for (double x : g.values(key))
        if (std::isfinite(x)) v.push_back(x);
      PointStats::Stat s;
      s.n = v.size();
      if (!v.empty()) {
        s.median = median(v), s.mean = mean(v), s.std = stddev(v);
        s.min = *std::min_element(v.begin(), v.end()), s.max = *std::max_element(v.begin(), v.end());
      }
      p.stats[key] = s;
    }
    report.points.push_back(std::move(p));
  }
  if (detector) report.sweeps = sweep_plots(file, *detector);
  auto families = point_families(file, report.points);
  report.trajectories = trajectory_figures(file, report.points, families, detector);
  report.heatmaps = heatmaps(file, report.points, families, detector, report.headline);
  return report;
}

std::string points_table_text(const SuiteReport& report) {
  const auto& file = *report.file;
  std::vector<std::vector<std::string>> rows{{"point", "ok/runs"}};
  for (const auto& k : report.headline) rows[0].push_back(k);
  for (const auto& p : report.points) {
    rows.push_back({p.point.empty() ? "(defaults)" : p.point, ended(p)});
    for (const auto& k : report.headline) rows.back().push_back(median_range(p.stats.at(k), p.runs));
  }
  std::string out = file.root_string("suite") + " (tier " + file.root_string("tier") + ", " +
                    std::to_string(file.runs.size()) + " of " + std::to_string(file.plan.size()) + " runs) from " +
                    file.path + "\n" + format_columns(rows);
  out += "(median [min, max] over seeds; '-': not reached; (n/m): reached in n of m runs)\n";
  for (const auto& [k, v] : file.summaries) out += "  " + k + " = " + num(v) + "\n";
  if (auto missing = file.missing(); !missing.empty())
    out += std::to_string(missing.size()) + " of " + std::to_string(file.plan.size()) +
           " planned runs are missing (status: " + file.root_string("status") + ")\n";
  return out;
}

std::string runs_csv(const std::vector<SuiteReport>& reports) {
  std::set<std::string> keys;
  for (const auto& rep : reports) keys.insert(rep.keys.begin(), rep.keys.end());
  std::string out = "file,suite,run_id,point,seed,status,error,wall_time_s,steps_per_s";
  for (const auto& k : keys) out += "," + csv_field(k);
  out += "\n";
  for (const auto& rep : reports)
    for (const auto& r : rep.file->runs) {
      out += csv_field(rep.file->path) + "," + csv_field(rep.file->root_string("suite")) + "," + r.id + "," +
             csv_field(r.point) + "," + std::to_string(r.seed) + "," + to_string(r.status) + "," + csv_field(r.error) + "," +
             num(r.wall_time_s) + "," + num(r.steps_per_s);
      for (const auto& k : keys) {
        auto it = r.summaries.find(k);
        out += "," + (it == r.summaries.end() ? std::string() : num(it->second));
      }
      out += "\n";
    }
  return out;
}

std::string points_csv(const std::vector<SuiteReport>& reports) {
  std::set<std::string> keys;
  for (const auto& rep : reports) keys.insert(rep.keys.begin(), rep.keys.end());
  std::string out = "file,suite,point,runs,ok";
  for (const auto& k : keys)
    out += "," + csv_field(k + " median") + "," + csv_field(k + " min") + "," + csv_field(k + " max") + "," + csv_field(k + " n");
  out += "\n";
  for (const auto& rep : reports)
    for (const auto& p : rep.points) {
      out += csv_field(rep.file->path) + "," + csv_field(rep.file->root_string("suite")) + "," + csv_field(p.point) + "," +
             std::to_string(p.runs) + "," + std::to_string(p.ok);
      for (const auto& k : keys) {
        auto it = p.stats.find(k);
        if (it == p.stats.end() || it->second.n == 0) out += ",,,,0";
        else
          out += "," + num(it->second.median) + "," + num(it->second.min) + "," + num(it->second.max) + "," +
                 std::to_string(it->second.n);
      }
      out += "\n";
    }
  return out;
}

std::string html_report(const std::vector<SuiteReport>& reports, const std::vector<Plot>& history,
                        const std::vector<std::pair<std::string, std::string>>& commits) {
  std::string h =
      "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>genbench report</title>\n<style>\n"
      "body{font-family:sans-serif;margin:24px;color:#222;max-width:1500px}\n"
      "table{border-collapse:collapse;margin:8px 0 20px;font-size:13px}\n"
      "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;white-space:nowrap}th{background:#f3f3f3}\n"
      ".scroll{overflow-x:auto}\n"
      "td.l,th.l{text-align:left}.warn{color:#a00;font-weight:bold}\n"
      "tr.pass td.mark{color:#070}tr.fail td{background:#fde8e8}tr.fail td.mark{color:#a00}td.mark{font-weight:bold}\n"
      "tr.not-ok td,tr.run-diverged td,tr.run-failed td{background:#fff4e0}\n"
      "table.verdicts td{white-space:normal;max-width:520px}\n"
      ".plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:12px;align-items:start}\n"
      ".panels{display:grid;grid-template-columns:repeat(auto-fill,minmax(430px,1fr));gap:8px;align-items:start}\n"
      ".panels.single{grid-template-columns:minmax(430px,900px)}\n"
      "figure{margin:0 0 22px}figcaption{font-size:14px;margin:0 0 6px;color:#333}\n"
      "pre{background:#f7f7f7;padding:8px;overflow:auto}\n"
      "</style></head><body>\n<h1>genbench report</h1>\n";
  for (const auto& rep : reports) {
    const auto& f = *rep.file;
    auto suite = f.root_string("suite");
    h += "<section class=\"suite\" data-suite=\"" + escape_xml(suite) + "\">\n<h2>" + escape_xml(suite) + " — tier " +
         escape_xml(f.root_string("tier")) + "</h2>\n";
    if (!f.verdicts.empty()) {  // first: does the phenomenon hold?
      size_t hold = 0;
      for (const auto& v : f.verdicts) hold += v.outcome == "pass";
      h += "<h3>Claims: " + std::to_string(hold) + " of " + std::to_string(f.verdicts.size()) +
           " hold</h3>\n<table class=\"verdicts\"><tr><th></th><th class=\"l\">claim</th><th class=\"l\">measured</th>"
           "<th class=\"l\">bound</th><th class=\"l\">source</th></tr>\n";
      for (const auto& v : f.verdicts) {
        const char* mark = v.outcome == "pass" ? "\u2713" : v.outcome == "fail" ? "\u2717" : v.outcome == "skip" ? "skipped" : "error";
        h += "<tr class=\"" + escape_xml(v.outcome) + "\"><td class=\"mark\">" + mark + "</td><td class=\"l\">" +
             escape_xml(v.claim) + "</td><td class=\"l\">" + escape_xml(v.measured) + "</td><td class=\"l\">" +
             escape_xml(v.bound) + "</td><td class=\"l\">" + escape_xml(v.source) + "</td></tr>\n";
      }
      h += "</table>\n";
    }
    h += "<table class=\"provenance\">\n";
    auto row = [&](const std::string& k, const std::string& v) {
      h += "<tr><th class=\"l\">" + escape_xml(k) + "</th><td class=\"l\">" + escape_xml(v) + "</td></tr>\n";
    };
    row("file", f.path);
    row("runs", std::to_string(f.runs.size()) + " finished of " + std::to_string(f.plan.size()) + " planned");
    row("status", f.root_string("status"));
    auto dirty = f.root.count("git_dirty") && std::holds_alternative<bool>(f.root.at("git_dirty")) &&
                 std::get<bool>(f.root.at("git_dirty"));
    row("git commit", f.root_string("git_commit") + (dirty ? " (with uncommitted changes)" : ""));
    for (const char* k : {"command_line", "host", "cpu_model", "device", "torch_version", "start_time", "end_time"})
      row(k, f.root_string(k));
    h += "</table>\n";
    if (auto missing = f.missing(); !missing.empty()) {
      h += "<p class=\"warn missing\">" + std::to_string(missing.size()) + " of " + std::to_string(f.plan.size()) +
           " planned runs did not finish (status: " + escape_xml(f.root_string("status")) +
           "); the tables and plots show the finished runs only. Missing: ";
      for (size_t i = 0; i < missing.size(); ++i)
        h += (i ? ", " : "") + escape_xml(missing[i].point) + " seed " + std::to_string(missing[i].seed);
      h += ".</p>\n";
    }
    h += "<h3>Sweep points (median [min, max] over seeds)</h3>\n<div class=\"scroll\"><table class=\"points\"><tr><th class=\"l\">point</th><th>ok/runs</th>";
    for (const auto& k : rep.keys) h += "<th>" + escape_xml(k) + "</th>";
    h += "</tr>\n";
    for (const auto& p : rep.points) {
      h += "<tr" + std::string(p.ok < p.runs ? " class=\"not-ok\"" : "") + "><td class=\"l\">" + escape_xml(p.point) +
           "</td><td>" + escape_xml(ended(p)) + "</td>";
      for (const auto& k : rep.keys) h += "<td>" + escape_xml(median_range(p.stats.at(k), p.runs)) + "</td>";
      h += "</tr>\n";
    }
    h += "</table></div>\n";
    if (!f.summaries.empty()) {
      h += "<h3>Suite summaries</h3>\n<table class=\"suite-summaries\">\n";
      for (const auto& [k, v] : f.summaries) h += "<tr><th class=\"l\">" + escape_xml(k) + "</th><td>" + num(v) + "</td></tr>\n";
      h += "</table>\n";
    }
    if (!rep.sweeps.empty()) {
      h += "<h3>Over the sweep</h3>\n<div class=\"plots\">\n";
      for (const auto& plot : rep.sweeps) h += render_svg(plot);
      h += "</div>\n";
    }
    if (!rep.trajectories.empty()) h += "<h3>Trajectories</h3>\n";
    for (const auto& figure : rep.trajectories) {
      h += "<figure class=\"trajectory\"><figcaption>" + escape_xml(figure.title) + "</figcaption>\n<div class=\"panels" +
           (figure.panels.size() == 1 ? " single" : "") + "\">\n";
      for (const auto& plot : figure.panels) h += figure.panels.size() == 1 ? render_svg(plot, 900, 460) : render_svg(plot, 560, 360);
      h += "</div></figure>\n";
    }
    if (!rep.heatmaps.empty()) {
      h += "<h3>Heatmaps</h3>\n<div class=\"plots\">\n";
      for (const auto& map : rep.heatmaps) h += render_heatmap(map, 720, 440);
      h += "</div>\n";
    }
    h += "<h3>Runs</h3>\n<div class=\"scroll\"><table class=\"runs\"><tr><th class=\"l\">run id</th><th class=\"l\">point</th><th>seed</th>"
         "<th class=\"l\">status</th><th>wall s</th><th>steps/s</th>";
    for (const auto& k : rep.headline) h += "<th>" + escape_xml(k) + "</th>";
    h += "<th class=\"l\">error</th></tr>\n";
    for (const auto& r : f.runs) {
      h += std::string(r.status == RunStatus::Ok ? "<tr>" : "<tr class=\"run-" + to_string(r.status) + "\">") +
           "<td class=\"l\">" + r.id + "</td><td class=\"l\">" + escape_xml(r.point) + "</td><td>" +
           std::to_string(r.seed) + "</td><td class=\"l\">" + escape_xml(to_string(r.status)) + "</td><td>" + num(r.wall_time_s) +
           "</td><td>" + num(r.steps_per_s) + "</td>";
      for (const auto& k : rep.headline) {
        auto it = r.summaries.find(k);
        h += "<td>" + (it == r.summaries.end() ? std::string("-") : num(it->second)) + "</td>";
      }
      h += "<td class=\"l\">" + escape_xml(r.error) + "</td></tr>\n";
    }
    h += "</table></div>\n<details><summary>Suite file " + escape_xml(f.root_string("suite_file")) + "</summary><pre>" +
         escape_xml(f.root_string("suite_text")) + "</pre></details>\n</section>\n";
  }
  if (!history.empty()) {
    h += "<section class=\"history\">\n<h2>History over commits</h2>\n<div class=\"plots\">\n";
    for (const auto& plot : history) h += render_svg(plot);
    h += "</div>\n<table class=\"commits\"><tr><th>#</th><th class=\"l\">commit</th><th class=\"l\">run started</th></tr>\n";
    for (size_t i = 0; i < commits.size(); ++i)
      h += "<tr><td>" + std::to_string(i + 1) + "</td><td class=\"l\">" + escape_xml(commits[i].first) +
           "</td><td class=\"l\">" + escape_xml(commits[i].second) + "</td></tr>\n";
    h += "</table>\n</section>\n";
  }
  return h + "</body></html>\n";
}

}  // namespace genbench
