// Comparing a candidate results file against a baseline: the logic behind
// bench-compare and CI's regression check.
//
// Runs are matched by run id. Where a sweep point has >= 3 seeds in both
// files, its seeds are compared as a distribution (the median of each
// summary, and the median curve), not run by run: one seed's threshold
// crossing may move while the phenomenon does not.
//
// Three outcomes, never confused: the same within tolerance; a regression
// (a summary, a final value, a curve or a status moved, or a claim of the
// suite that held in the baseline fails in the candidate); or incomparable (a
// file unreadable, another suite, a baseline run missing from the candidate,
// or a candidate run that failed: a broken harness is not a regression).
#pragma once

#include <string>
#include <vector>

#include "compare/tolerances.h"
#include "results/store.h"

namespace genbench {

struct Comparison {
  std::string subject;   // "exact_k2 (3 seeds, median)" or "exact_k2 seed 0"
  std::string quantity;  // a summary key, "last.<metric>", "curve <metric>" or "status"
  double baseline = 0, candidate = 0;  // NaN when absent
  std::string detail;    // how far and against what, e.g. "+50% > rel 0.1"
  bool passed = true;
};

struct CompareResult {
  enum Verdict { Same = 0, Regression = 1, Incomparable = 2 };
  Verdict verdict = Same;
  std::vector<std::string> problems;  // why the comparison could not be made
  std::vector<Comparison> comparisons;
  size_t matched_runs = 0, points = 0;
  size_t failures() const;
};

CompareResult compare_results(const ResultsFile& baseline, const ResultsFile& candidate, const Tolerances& tolerances);

// A/B: two configurations of one suite (e.g. after --set lr=0.04), runs
// matched by point and seed instead of run id. Per point and summary: the
// median over seeds of each, the difference, and the Mann-Whitney U
// p-value of the two sets of seeds. A difference is a regression when it is
// both beyond the tolerance and significant (p < alpha): with 3 seeds a side
// no p is below 0.1, and the table says how many seeds each had.
CompareResult compare_by_point(const ResultsFile& a, const ResultsFile& b, const Tolerances& tolerances,
                               double alpha = 0.05);

// The report bench-compare prints: the verdict, and a table of what moved
// (of everything compared with `verbose`).
std::string format_comparison(const CompareResult& result, bool verbose, const std::string& a_name = "baseline",
                              const std::string& b_name = "candidate");

}  // namespace genbench
