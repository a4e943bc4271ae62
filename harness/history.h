// A history of ci-tier results across commits: one CSV row per (commit,
// suite, sweep point, quantity) with the median over seeds. Appending every
// ci run to it lets bench-report plot how a result or a timing moved.
#pragma once

#include <string>
#include <vector>

#include "harness/plot.h"
#include "results/store.h"

namespace genbench {

struct HistoryRow {
  std::string commit;  // git commit of the run, "+dirty" appended for uncommitted changes
  std::string time;    // start time of the run (UTC)
  std::string suite, tier, point, quantity;
  double median = 0;   // over the point's seeds
  size_t n = 0;        // runs that had the quantity
};

// Rows for one results file: every summary, plus wall_time_s and steps_per_s.
std::vector<HistoryRow> history_rows(const ResultsFile& file);

// Appends rows to a CSV file (header written when the file is new). Rows of
// a commit, suite and tier already there are replaced: a rerun of a commit
// is that commit's result, not another commit. The file is rewritten whole
// (temporary file, rename), so a failed write leaves the old history.
void append_history(const std::string& path, const std::vector<HistoryRow>& rows);
std::vector<HistoryRow> read_history(const std::string& path);  // throws std::runtime_error

// One plot per (suite, quantity): a line per sweep point over the commits,
// in the order they were appended. `quantities` empty: every quantity.
std::vector<Plot> history_plots(const std::vector<HistoryRow>& rows, const std::vector<std::string>& quantities);
// The commits in order of first appearance, each once, as plotted: x = 1, 2, ...
// (commit, the time of its latest run).
std::vector<std::pair<std::string, std::string>> history_commits(const std::vector<HistoryRow>& rows);

}  // namespace genbench
