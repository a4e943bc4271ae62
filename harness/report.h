// bench-report's content: per results file, the table of sweep points (the
// median over seeds of every summary and its min-max, the statistic bench-run's
// console table prints too), the table of runs, trajectory plots with seed
// bands as small multiples, heatmaps where a sweep has two axes, and what is
// missing from a partial file; rendered as text, CSV and one self-contained
// HTML page.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "harness/plot.h"
#include "results/store.h"

namespace genbench {

struct PointStats {
  std::string point;
  size_t runs = 0, ok = 0;
  size_t diverged = 0, failed = 0;  // runs that ended so: their summaries are partial or missing
  struct Stat {
    double median = 0, min = 0, max = 0;
    double mean = 0, std = 0;  // for the CSV's users; the tables show the median
    size_t n = 0;  // runs that have the summary
  };
  std::map<std::string, Stat> stats;
};

// One quantity over the steps, one panel per family of points (the named
// points of one `family:`, or the points that share every swept value but
// one), the panels sharing their axes.
struct Figure {
  std::string title;
  std::vector<Plot> panels;
};

struct SuiteReport {
  const ResultsFile* file = nullptr;
  std::vector<std::string> keys;      // every summary key, the detector's headline first
  std::vector<std::string> headline;  // the keys worth a terminal column
  std::vector<PointStats> points;     // in plan order
  std::vector<Plot> sweeps;           // the detector's curves over the sweep (with theory)
  std::vector<Figure> trajectories;   // one per metric
  std::vector<Heatmap> heatmaps;      // a parameter against the step, or two swept parameters
};

// The axis label of a metric, summary or parameter: its name and, when the
// file's task declared one (root attribute `units`), its unit.
std::string quantity_label(const ResultsFile& file, const std::string& key);

SuiteReport build_report(const ResultsFile& file);

std::string points_table_text(const SuiteReport& report);
std::string runs_csv(const std::vector<SuiteReport>& reports);
std::string points_csv(const std::vector<SuiteReport>& reports);
// The page; with a history (bench-history), a section of plots over commits.
std::string html_report(const std::vector<SuiteReport>& reports, const std::vector<Plot>& history = {},
                        const std::vector<std::pair<std::string, std::string>>& commits = {});

}  // namespace genbench
