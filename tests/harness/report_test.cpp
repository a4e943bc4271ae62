// bench-report's pieces: SVG plots, tables and CSV from real results files.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>

#include "harness/history.h"
#include "harness/plot.h"
#include "harness/report.h"
#include "support.h"

using namespace genbench;

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

RunRecord run(const std::string& id, int64_t index, const std::string& point, uint64_t seed, double scale) {
  RunRecord r;
  r.id = id;
  r.index = index;
  r.task = "selftest";
  r.point = point;
  r.seed = seed;
  r.status = RunStatus::Ok;
  for (int i = 0; i <= 100; i += 10) {
    r.steps.push_back(i);
    r.metrics["loss"].push_back(scale * std::pow(10.0, -i / 20.0));
  }
  r.summaries["final_loss"] = r.metrics["loss"].back();
  return r;
}

}  // namespace

TEST_CASE("plots: log axes for decades, NaN breaks a line, bands are drawn", "[report]") {
  CHECK(spans_decades({1, 10, 1000}));
  CHECK_FALSE(spans_decades({1, 10, 50}));
  CHECK_FALSE(spans_decades({0, 10, 1000}));  // a log axis cannot show 0
  Plot plot;
  plot.id = "p";
  plot.log_y = true;
  plot.series.push_back({"a <b>", {1, 2, 3, 4, 5}, {1, 0.1, NAN, 0.001, 1e-4}, {0.5, 0.05, NAN, 5e-4, 5e-5}, {2, 0.2, NAN, 2e-3, 2e-4}, -1, "", false, {}});
  auto svg = render_svg(plot);
  CHECK(count(svg, "class=\"line\"") == 2);  // broken at the NaN
  CHECK(count(svg, "class=\"band\"") == 2);
  CHECK(count(svg, ">1e-4<") == 1);          // decade ticks
  CHECK(count(svg, "data-label=\"a &lt;b&gt;\"") == 1);
}

TEST_CASE("a report of a partial file shows what finished and says what is missing", "[report]") {
  test::TempDir dir;
  {
    std::vector<PlannedRun> plan;
    for (int i = 0; i < 4; ++i) plan.push_back({"r" + std::to_string(i), i < 2 ? "a" : "b", static_cast<uint64_t>(i % 2)});
    ResultsWriter w(dir.file("p.h5"), {{"suite", std::string("s")}, {"tier", std::string("ci")}, {"status", std::string("running")}}, plan);
    w.add_run(run("r0", 0, "a", 0, 1.0));
    w.add_run(run("r1", 1, "a", 1, 3.0));
    w.add_run(run("r2", 2, "b", 0, 2.0));
    w.commit();
  }
  auto file = read_results(dir.file("p.h5"));
  auto report = build_report(file);
  REQUIRE(report.points.size() == 2);
  CHECK(report.points[0].runs == 2);
  const auto& s = report.points[0].stats.at("final_loss");
  CHECK(s.n == 2);
  CHECK(s.median == Approx(2e-5));
  CHECK(s.min == Approx(1e-5));
  CHECK(s.max == Approx(3e-5));
  CHECK(s.std == Approx(std::sqrt(2.0) * 1e-5));
  REQUIRE(report.trajectories.size() == 1);
  REQUIRE(report.trajectories[0].panels.size() == 1);
  CHECK(report.trajectories[0].panels[0].log_y);
  CHECK(report.trajectories[0].panels[0].series[0].low[0] == 1.0);
  CHECK(report.trajectories[0].panels[0].series[0].high[0] == 3.0);

  auto text = points_table_text(report);
  CHECK_THAT(text, Catch::Contains("1 of 4 planned runs are missing (status: running)"));
  CHECK_THAT(text, Catch::Contains("2e-05 [1e-05, 3e-05]") && Catch::Contains("median [min, max] over seeds"));
  auto html = html_report({report});
  CHECK_THAT(html, Catch::Contains("1 of 4 planned runs did not finish") && Catch::Contains("Missing: b seed 1."));
  auto csv = runs_csv({report});
  CHECK(count(csv, "\n") == 4);  // header and three runs
  CHECK_THAT(csv, Catch::StartsWith("file,suite,run_id,point,seed,status,error,wall_time_s,steps_per_s,final_loss\n"));
  CHECK_THAT(points_csv({report}), Catch::Contains(",s,a,2,2,2e-05,1e-05,3e-05,2\n"));
}

TEST_CASE("a report marks diverged runs and leaves their non-finite values out of the medians", "[report]") {
  test::TempDir dir;
  {
    ResultsWriter w(dir.file("d.h5"), {{"suite", std::string("s")}, {"tier", std::string("ci")}},
                    {{"r0", "a", 0}, {"r1", "a", 1}, {"r2", "a", 2}});
    w.add_run(run("r0", 0, "a", 0, 1.0));
    w.add_run(run("r1", 1, "a", 1, 3.0));
    auto bad = run("r2", 2, "a", 2, 1.0);
    bad.status = RunStatus::Diverged;
    bad.error = "metric 'loss' is nan at step 40";
    bad.summaries["final_loss"] = INFINITY;
    w.add_run(bad);
    w.close();
  }
  auto file = read_results(dir.file("d.h5"));
  auto report = build_report(file);
  const auto& p = report.points.at(0);
  CHECK(p.diverged == 1);
  CHECK(p.stats.at("final_loss").n == 2);  // the inf is not a value
  CHECK(p.stats.at("final_loss").max == Approx(3e-5));
  auto text = points_table_text(report);
  CHECK_THAT(text, Catch::Contains("2/3 (1 diverged)") && Catch::Contains("2e-05 [1e-05, 3e-05] (2/3)"));
  CHECK_THAT(text, !Catch::Contains("inf"));
  auto html = html_report({report});
  CHECK_THAT(html, Catch::Contains("<tr class=\"not-ok\">") && Catch::Contains("<tr class=\"run-diverged\">"));
}

TEST_CASE("a theory curve is broken where the theory has no value, not drawn across", "[report]") {
  // the linear double descent's closed form has its pole at gamma = 1: runs there carry no theory
  ResultsFile file;
  file.root["suite"] = std::string("double_descent_linear");
  file.root["detector"] = std::string("double_descent");
  for (int64_t p : {50, 100, 200}) {
    RunRecord r;
    r.id = "r" + std::to_string(p);
    r.task = "linear_regression";
    r.point = "p=" + std::to_string(p);
    r.params.set("p", p);
    r.params.set("n", int64_t{100});
    r.params.set("ridge", 0.0);
    r.summaries["gamma"] = static_cast<double>(p) / 100;
    r.summaries["excess_risk_mean"] = p == 100 ? 1e3 : 1.0;
    if (p != 100) r.summaries["theory_excess_risk"] = 1.0;
    file.runs.push_back(r);
  }
  auto report = build_report(file);
  const Plot* risk = nullptr;
  for (const auto& plot : report.sweeps)
    if (plot.id == "double_descent_linear/sweep/excess_risk_mean") risk = &plot;
  REQUIRE(risk != nullptr);
  const Series* theory = nullptr;
  for (const auto& s : risk->series)
    if (s.dashed) theory = &s;
  REQUIRE(theory != nullptr);
  REQUIRE(theory->x == std::vector<double>{0.5, 1.0, 2.0});
  CHECK(theory->y[0] == 1.0);
  CHECK(std::isnan(theory->y[1]));  // the gap at the pole
  CHECK(theory->y[2] == 1.0);
}

TEST_CASE("a report shows the claims' verdicts first, a failed one marked", "[report][claims]") {
  test::TempDir dir;
  {
    ResultsWriter w(dir.file("v.h5"), {{"suite", std::string("s")}, {"tier", std::string("ci")}}, {{"r0", "a", 0}});
    w.add_run(run("r0", 0, "a", 0, 1.0));
    w.set_verdicts({{"the loss falls", "pass", "1 of 1 seeds: 1e-05", "<= 0.001, every run", "a paper", 1e-5},
                    {"the loss is zero", "fail", "1 of 1 seeds: 1e-05", "== 0, every run", "", 1e-5}});
    w.close();
  }
  auto file = read_results(dir.file("v.h5"));
  REQUIRE(file.verdicts.size() == 2);
  CHECK(file.verdicts[1].outcome == "fail");
  CHECK(file.verdicts[0].source == "a paper");
  auto html = html_report({build_report(file)});
  CHECK_THAT(html, Catch::Contains("<h3>Claims: 1 of 2 hold</h3>"));
  CHECK_THAT(html, Catch::Contains("<tr class=\"fail\"><td class=\"mark\">\u2717</td><td class=\"l\">the loss is zero</td>"));
  CHECK(html.find("class=\"verdicts\"") < html.find("class=\"provenance\""));
}

TEST_CASE("a history keeps each commit's medians and plots them over commits", "[report][history]") {
  test::TempDir dir;
  auto write_file = [&](const std::string& name, const std::string& commit, double scale) {
    std::vector<PlannedRun> plan{{"r0", "a, b", 0}, {"r1", "a, b", 1}};
    ResultsWriter w(dir.file(name), {{"suite", std::string("s")}, {"tier", std::string("ci")},
                                     {"git_commit", commit}, {"git_dirty", false},
                                     {"start_time", std::string("2026-11-29T10:00:0") + name[0] + "Z"}}, plan);
    w.add_run(run("r0", 0, "a, b", 0, scale));
    w.add_run(run("r1", 1, "a, b", 1, 3 * scale));
    w.commit();
  };
  write_file("1.h5", "aaa", 1.0);
  write_file("2.h5", "bbb", 10.0);
  auto history = dir.file("h.csv");
  append_history(history, history_rows(read_results(dir.file("1.h5"))));
  append_history(history, history_rows(read_results(dir.file("2.h5"))));
  auto rows = read_history(history);
  REQUIRE(rows.size() == 6);  // 2 commits x (final_loss, wall_time_s, steps_per_s)
  CHECK(rows[0].commit == "aaa");
  CHECK(rows[0].point == "a, b");  // a comma survives the CSV
  auto final_loss = std::find_if(rows.begin(), rows.end(), [](const HistoryRow& r) { return r.quantity == "final_loss"; });
  CHECK(final_loss->median == Approx(2e-5));  // median of 1e-5 and 3e-5
  CHECK(final_loss->n == 2);
  auto commits = history_commits(rows);
  REQUIRE(commits.size() == 2);
  CHECK(commits[1].first == "bbb");
  auto plots = history_plots(rows, {"final_loss"});
  REQUIRE(plots.size() == 1);
  CHECK(plots[0].series[0].x == std::vector<double>{1, 2});
  CHECK(plots[0].series[0].y[1] == Approx(2e-4));
  CHECK_THAT(render_svg(plots[0]), Catch::Contains("class=\"x-label\">aaa</text>") && Catch::Contains(">bbb</text>"));

  SECTION("a commit appended again replaces its rows: one point per commit") {
    write_file("3.h5", "aaa", 100.0);  // a rerun of commit aaa, later
    append_history(history, history_rows(read_results(dir.file("3.h5"))));
    auto again = read_history(history);
    REQUIRE(again.size() == 6);
    auto commits = history_commits(again);
    REQUIRE(commits.size() == 2);
    CHECK(commits[0].first == "bbb");  // aaa's rows now come after bbb's
    CHECK(commits[1] == std::pair<std::string, std::string>{"aaa", "2026-11-29T10:00:03Z"});
    auto replot = history_plots(again, {"final_loss"});
    CHECK(replot[0].series[0].x == std::vector<double>{1, 2});
    CHECK(replot[0].series[0].y[1] == Approx(2e-3));
  }
  test::write_file(dir.file("bad.csv"), "commit,time,suite,tier,point,quantity,median,n\naaa,t,s,ci,p,q,x,1\n");
  REQUIRE_THROWS_WITH(read_history(dir.file("bad.csv")), dir.file("bad.csv") + ":2: median and n must be numbers");
}

TEST_CASE("a log step axis keeps step 0 before its first decade and ends at the data", "[report][plot]") {
  Plot plot;
  plot.id = "steps";
  plot.log_x = true;
  plot.series.push_back({"a", {0, 10, 100, 1000, 15000}, {5, 4, 3, 2, 1}, {}, {}, -1, "", false, {}});
  auto svg = render_svg(plot);
  CHECK(count(svg, ">0</text>") == 1);           // step 0 has its own tick
  CHECK(count(svg, "class=\"axis-break\"") == 2);  // and a break between it and the decades
  CHECK(count(svg, ">1e4</text>") == 0);         // ticks are plain numbers up to 1e5
  CHECK(count(svg, ">10000</text>") == 1);
  CHECK(count(svg, ">100000</text>") == 0);       // the axis ends at 15000, not a decade past it
  CHECK(count(svg, "class=\"line\"") == 1);       // and the line is whole, step 0 included
}

TEST_CASE("a heatmap has a cell per value, grey where there is none, and a colour bar", "[report][plot]") {
  Heatmap map;
  map.id = "h";
  map.x = {0, 10, 20, 30};
  map.y_labels = {"k=2", "k=4", "k=8"};
  map.z = {{0.9, 0.5, 0.4, NAN}, {0.9, 0.4, 0.3, 0.3}, {0.9, 0.3, 0.2, 0.1}};
  auto svg = render_heatmap(map);
  CHECK(count(svg, "class=\"cell\"") == 12);
  CHECK(count(svg, "fill=\"#d9d9d9\"") == 1);
  CHECK(count(svg, "class=\"colorbar\"") == 1);
  CHECK(count(svg, ">k=8</text>") == 1);
  CHECK(viridis(0) == "#440154");
  CHECK(viridis(1) == "#fde725");
}

namespace {

RunRecord curve_run(const std::string& point, uint64_t seed, const std::vector<std::pair<std::string, double>>& params,
                    const std::string& metric, double scale) {
  RunRecord r;
  r.id = point + "-" + std::to_string(seed);
  r.task = "t";
  r.point = point;
  r.seed = seed;
  r.status = RunStatus::Ok;
  for (const auto& [k, v] : params) r.params.set(k, v);
  for (int64_t step = 0; step <= 40; step += 10) {
    r.steps.push_back(step);
    r.metrics[metric].push_back(scale / static_cast<double>(step + 1));
  }
  r.summaries["final"] = r.metrics[metric].back();
  return r;
}

}  // namespace

TEST_CASE("trajectories are small multiples: one panel per family of points, axes shared", "[report]") {
  ResultsFile file;
  file.root["suite"] = std::string("s");
  file.root["tier"] = std::string("ci");
  file.root["units"] = std::string("step: epoch\nloss: nats");
  SECTION("named points grouped by their family: key") {
    file.root["suite_text"] = std::string(
        "suite: s\ntask: t\nsweep:\n  points:\n    - {name: a, family: first, x: 1}\n    - {name: b, family: first, x: 2}\n"
        "    - {name: c, family: second, x: 3}\n");
    file.runs = {curve_run("a", 0, {{"x", 1}}, "loss", 1), curve_run("b", 0, {{"x", 2}}, "loss", 10),
                 curve_run("c", 0, {{"x", 3}}, "loss", 1000)};
    auto report = build_report(file);
    REQUIRE(report.trajectories.size() == 1);
    const auto& panels = report.trajectories[0].panels;
    REQUIRE(panels.size() == 2);
    CHECK(panels[0].id == "s/loss/first");
    CHECK(panels[0].series.size() == 2);
    CHECK(panels[1].title == "second");
    REQUIRE(panels[0].y_range);
    CHECK(panels[0].y_range == panels[1].y_range);  // shared: the second panel's 1000 sets the first's axis too
    CHECK(panels[0].y_range->second == Approx(1000));
    CHECK(panels[0].x_label == "step (epoch)");  // the task's declared units
    CHECK_THAT(report.trajectories[0].title, Catch::StartsWith("loss (nats) against step (epoch)"));
  }
  SECTION("named points without a family, a value swept over them (--sweep): one panel per name") {
    file.root["suite_text"] = std::string("suite: s\ntask: t\nsweep:\n  points:\n    - {name: a, x: 1}\n    - {name: b, x: 2}\n");
    for (const char* name : {"a", "b"})
      for (double lr : {0.1, 0.2})
        file.runs.push_back(curve_run(std::string(name) + (lr == 0.1 ? " lr=0.1" : " lr=0.2"), 0, {{"lr", lr}}, "loss", lr));
    auto report = build_report(file);
    REQUIRE(report.trajectories.size() == 1);
    const auto& panels = report.trajectories[0].panels;
    REQUIRE(panels.size() == 2);
    CHECK(panels[1].title == "b");
    REQUIRE(panels[1].series.size() == 2);
    CHECK(panels[1].series[1].label == "lr=0.2");
  }
  SECTION("a grid: one panel per value of the other axes, the most varied axis inside, and its heatmap") {
    file.root["detector"] = std::string("double_descent");  // its heatmap metric: test_error
    for (double n : {100.0, 200.0})
      for (double k : {2.0, 4.0, 8.0})
        for (uint64_t seed : {0, 1}) {
          char point[32];
          snprintf(point, sizeof point, "n=%g k=%g", n, k);
          file.runs.push_back(curve_run(point, seed, {{"n", n}, {"k", k}}, "test_error", k / n));
        }
    auto report = build_report(file);
    REQUIRE(report.trajectories.size() == 1);
    const auto& panels = report.trajectories[0].panels;
    REQUIRE(panels.size() == 2);
    CHECK(panels[0].title == "n=100");
    REQUIRE(panels[0].series.size() == 3);
    CHECK(panels[0].series[2].label == "k=8");
    CHECK(panels[0].series[0].rgb == viridis(0));  // a gradient over k, low to high
    // k x step per panel, and the two-parameter grid k x n of the headline summary
    std::vector<std::string> ids;
    for (const auto& map : report.heatmaps) ids.push_back(map.id);
    CAPTURE(ids);
    REQUIRE(std::count(ids.begin(), ids.end(), "s/heatmap/test_error/n=100") == 1);
    const auto& map = report.heatmaps[0];
    CHECK(map.y_labels == std::vector<std::string>{"k=2", "k=4", "k=8"});
    CHECK(map.x == std::vector<double>{0, 10, 20, 30, 40});
    CHECK(map.z[2][0] == Approx(0.08));  // k = 8 at step 0: 8/100, the median over 2 seeds
    CHECK(map.x_label == "step (epoch)");
  }
}

TEST_CASE("a diverged run is a cross on its point's line, where it ended", "[report][plot]") {
  ResultsFile file;
  file.root["suite"] = std::string("s");
  auto ok = curve_run("a", 0, {{"x", 1}}, "loss", 1);
  auto bad = curve_run("a", 1, {{"x", 1}}, "loss", 2);
  bad.status = RunStatus::Diverged;
  bad.last_good_step = 20;
  bad.metrics["loss"][3] = bad.metrics["loss"][4] = std::nan("");
  file.runs = {ok, bad};
  auto report = build_report(file);
  REQUIRE(report.trajectories.size() == 1);
  const auto& series = report.trajectories[0].panels[0].series.at(0);
  CHECK(series.marks == std::vector<double>{20});
  CHECK(series.high[2] == Approx(2.0 / 21));  // the diverged run is in the band up to where it went
  CHECK(series.high[3] == Approx(1.0 / 31));  // and not after: its NaNs are left out
  CHECK(count(render_svg(report.trajectories[0].panels[0]), "class=\"mark\"") == 1);
}
