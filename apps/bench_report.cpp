// bench-report: tables, CSV, SVG plots and one self-contained HTML page from
// results files.
//
//   bench-report FILE.h5 [FILE.h5 ...] [--out DIR] [--history HISTORY.csv [--quantity Q ...]]
//
// Writes DIR/index.html, DIR/runs.csv, DIR/points.csv and DIR/plots/*.svg
// (DIR defaults to the first file's name without .h5, plus -report) and
// prints each file's table of sweep points. A partial file (a killed or
// interrupted sweep) is reported as far as it got, with what is missing.
// With --history, the page also plots each quantity (or those named with
// --quantity) over the commits of a bench-history file.
// Exit codes: 0 written, 2 a file could not be read or the output written.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "apps/cli.h"
#include "harness/history.h"
#include "harness/report.h"

using namespace genbench;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) throw std::runtime_error(path.string() + ": cannot write");
}

std::string file_name(std::string s) {
  for (auto& c : s)
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Tables, CSV, SVG plots and one self-contained HTML page from results files.", "bench-report"};
  std::vector<std::string> inputs, quantities;
  std::string out_dir, history_file;
  app.add_option("files", inputs, "results files")->type_name("FILE.h5 ...");
  app.add_option("--out", out_dir, "the report's folder (default: the first file's name without .h5, plus -report)")
      ->type_name("DIR");
  app.add_option("--history", history_file, "also plot a bench-history file over commits")->type_name("HISTORY.csv");
  cli::repeatable(app.add_option("--quantity", quantities, "with --history: plot only these quantities (repeatable)"))
      ->type_name("Q");
  if (auto code = cli::parse(app, argc, argv)) return *code;
  if (inputs.empty() && history_file.empty()) {
    std::cerr << "bench-report: no results file and no --history given (see bench-report --help)\n";
    return 2;
  }
  if (out_dir.empty())
    out_dir = fs::path(inputs.empty() ? history_file : inputs[0]).replace_extension("").string() + "-report";
  try {
    std::vector<ResultsFile> files;
    for (const auto& in : inputs) files.push_back(read_results(in));
    std::vector<SuiteReport> reports;
    for (const auto& f : files) reports.push_back(build_report(f));
    fs::create_directories(fs::path(out_dir) / "plots");
    size_t plots = 0;
    for (size_t i = 0; i < reports.size(); ++i) {
      std::cout << points_table_text(reports[i]) << "\n";
      auto all = reports[i].sweeps;
      for (const auto& figure : reports[i].trajectories) all.insert(all.end(), figure.panels.begin(), figure.panels.end());
      auto svg_file = [&](const std::string& id) {
        ++plots;
        return fs::path(out_dir) / "plots" / (std::to_string(i) + "-" + file_name(id) + ".svg");
      };
      for (const auto& plot : all) write(svg_file(plot.id), render_svg(plot));
      for (const auto& map : reports[i].heatmaps) write(svg_file(map.id), render_heatmap(map));
    }
    write(fs::path(out_dir) / "runs.csv", runs_csv(reports));
    write(fs::path(out_dir) / "points.csv", points_csv(reports));
    std::vector<Plot> history;
    std::vector<std::pair<std::string, std::string>> commits;
    if (!history_file.empty()) {
      auto rows = read_history(history_file);
      history = history_plots(rows, quantities);
      commits = history_commits(rows);
      for (const auto& plot : history) {
        write(fs::path(out_dir) / "plots" / (file_name(plot.id) + ".svg"), render_svg(plot));
        ++plots;
      }
      std::cout << "history: " << commits.size() << " commits, " << history.size() << " quantities from "
                << history_file << "\n";
    }
    write(fs::path(out_dir) / "index.html", html_report(reports, history, commits));
    std::cout << "report: " << (fs::path(out_dir) / "index.html").string() << " (" << plots
              << " plots; runs.csv, points.csv)\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench-report: " << e.what() << "\n";
    return 2;
  }
}
