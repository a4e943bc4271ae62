#include "harness/report.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "core/stats.h"
#include "core/text.h"
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

// One plot per metric: each sweep point's median over seeds, with a min-max band.
std::vector<Plot> trajectory_plots(const ResultsFile& file, const std::vector<PointStats>& points,
                                   const Detector* detector) {
  std::set<std::string> metrics;
  for (const auto& r : file.runs)
    for (const auto& [m, v] : r.metrics) metrics.insert(m);
  if (auto only = detector ? detector->trajectory_metrics() : std::nullopt)
    for (auto it = metrics.begin(); it != metrics.end();)
      it = std::find(only->begin(), only->end(), *it) == only->end() ? metrics.erase(it) : std::next(it);
  std::vector<Plot> plots;
  for (const auto& metric : metrics) {
    Plot plot;
    plot.id = file.root_string("suite") + "/" + metric;
    plot.title = metric + " (median and min-max over seeds)";
    plot.x_label = "step";
    plot.y_label = metric;
    std::vector<double> all, steps;
    for (size_t pi = 0; pi < points.size(); ++pi) {
      const auto& p = points[pi];
      std::map<int64_t, std::vector<double>> at;  // step -> values over seeds
      for (const auto& r : file.runs) {
        if (r.point != p.point || !r.metric(metric)) continue;
        const auto& values = *r.metric(metric);
        for (size_t i = 0; i < r.steps.size(); ++i) at[r.steps[i]].push_back(values[i]);
      }
      if (at.empty()) continue;
      Series s;
      s.label = p.point.empty() ? "(defaults)" : p.point;
      s.color = static_cast<int>(pi);
      for (auto& [step, values] : at) {
        std::sort(values.begin(), values.end());
        s.x.push_back(static_cast<double>(step));
        if (step > 0) steps.push_back(static_cast<double>(step));
        s.y.push_back(median(values));
        s.low.push_back(values.front());
        s.high.push_back(values.back());
        all.insert(all.end(), values.begin(), values.end());
      }
      plot.series.push_back(std::move(s));
    }
    plot.log_y = spans_decades(all);
    plot.log_x = spans_decades(steps);  // step 0 then drops out: a log axis has no 0
    bool has_line = std::any_of(plot.series.begin(), plot.series.end(), [](const Series& s) { return s.x.size() > 1; });
    if (has_line) plots.push_back(std::move(plot));  // one logged row per run is no trajectory
  }
  return plots;
}

// A run's value for a sweep-plot axis: a summary, else a numeric parameter.
std::optional<double> axis_value(const RunRecord& r, const std::string& key) {
  if (auto it = r.summaries.find(key); it != r.summaries.end()) return it->second;
  if (!r.params.has(key)) return std::nullopt;
  const auto& v = r.params.get(key);
  if (std::holds_alternative<double>(v)) return std::get<double>(v);
  if (std::holds_alternative<int64_t>(v)) return static_cast<double>(std::get<int64_t>(v));
  return std::nullopt;
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
    plot.x_label = spec.x;
    plot.y_label = spec.y;
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
  report.plots = trajectory_plots(file, report.points, detector);
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
      ".plots{display:flex;flex-wrap:wrap;gap:12px}pre{background:#f7f7f7;padding:8px;overflow:auto}\n"
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
    h += "<h3>Trajectories</h3>\n<div class=\"plots\">\n";
    for (const auto& plot : rep.plots) h += render_svg(plot);
    h += "</div>\n<h3>Runs</h3>\n<div class=\"scroll\"><table class=\"runs\"><tr><th class=\"l\">run id</th><th class=\"l\">point</th><th>seed</th>"
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
