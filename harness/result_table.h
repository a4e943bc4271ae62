// The table of sweep points both bench-run (on the console, medians over
// seeds) and bench-report (mean ± std, CSV, HTML) build from a results file:
// one grouping of runs by point, one choice of headline keys, one column layout.
#pragma once

#include <string>
#include <vector>

#include "harness/sweep.h"
#include "results/store.h"

namespace genbench {

class Detector;

// A sweep point's runs, in plan order.
struct PointGroup {
  std::string point;
  std::vector<const RunRecord*> runs;
  size_t ok = 0;
  // The values of a summary over the runs that have it.
  std::vector<double> values(const std::string& key) const;
};
std::vector<PointGroup> group_by_point(const ResultsFile& file);

// The detector's headline keys that some run of the file has, in its order.
std::vector<std::string> headline_keys(const ResultsFile& file, const Detector* detector);

// Rows of cells as aligned text: the first column left-aligned, the rest right-aligned.
std::string format_columns(const std::vector<std::vector<std::string>>& rows, size_t min_width = 0);
// A number in a table cell: integers in full, the rest to 3 significant digits.
std::string short_number(double value);

// `bench-run --dry-run`: index, run id, seed and point of every planned run.
std::string plan_table(const std::vector<RunSpec>& runs);
// bench-run's result: one line per point, the headline summaries as medians over
// seeds, then the runs that did not end ok and what is missing.
std::string results_table(const ResultsFile& file, const Detector* detector);

}  // namespace genbench
