// Joining result files of one sweep: the shards of a sharded sweep, or the
// pieces of one resumed more than once. Every input must be of the same suite,
// with the same plan, in a schema this build reads; a run found in several
// inputs must be the same run (status, trajectory, summaries and config
// alike; wall time and device may differ), and is written once. The output is
// what a single process running the whole plan would have written, run for run.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "results/store.h"

namespace genbench {

struct MergeReport {
  size_t runs = 0;                  // distinct runs written
  size_t duplicates = 0;            // identical copies skipped
  std::vector<PlannedRun> missing;  // planned, in no input
};

// What the joined file gets once every run is in (harness/verdicts.h computes it).
struct SuiteAnalysis {
  std::map<std::string, double> summaries;  // the detector's analyse_suite
  std::vector<Verdict> verdicts;            // the suite's claims judged on the joined file
};

// Writes `out` (which must not be an input) from `inputs`, in their order.
// `analyse` computes what the joined file gets at the end; may be empty.
// Throws ResultsError naming the file and the difference: another suite,
// plan or schema, or a conflicting run.
MergeReport merge_results(const std::string& out, const std::vector<std::string>& inputs,
                          const std::function<SuiteAnalysis(const ResultsFile&)>& analyse);

}  // namespace genbench
