// One bench-run invocation: the plan (a suite file expanded, or the plan a
// killed or interrupted file stored, for --resume), the results file it
// writes with its provenance, and the sweep that fills it, run by run.
// The CLI (apps/bench_run.cpp) only parses flags and prints.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "harness/sweep.h"
#include "results/store.h"

namespace genbench {

struct InvocationOptions {
  std::string suite_path;  // a suite file, or
  std::string resume;      // a results file to finish
  std::string tier, out, device = "cpu";
  std::vector<std::string> sets, filters;
  std::string seeds;                 // --seeds: replaces the tier's seeds
  std::vector<std::string> sweeps;   // --sweep key=v1,v2: grid axes over the file's
  int jobs = 0;  // 0: the number of cores
  std::string stack;  // --stack auto|off|N; empty: the suite's `stack:` (auto by default)
  double checkpoint_s = 5;
  double run_timeout_s = 0;
  bool force = false;  // --out may name an existing file, which is replaced
  uint64_t max_runs = kDefaultMaxRuns;  // a bigger plan is refused before it is built
  std::string shard;   // "I/N": only the I-th of N contiguous slices of the plan (0 <= I < N)
  std::string manifest;  // a frozen sweep's folder (bench-run --slurm): run its shard `shard`
  std::string command_line;  // stored as provenance
  std::string worker_exe;    // the bench-run binary, started as `worker_exe --worker`
};

// What the invocation is to do. Throws ConfigError (bad input) or
// ResultsError (an unreadable file to resume).
struct Invocation {
  SuiteSpec suite;
  ExpandOptions expand;
  std::string tier;                // resolved: the suite's default_tier when none was given
  std::vector<RunSpec> runs;       // the whole plan
  std::set<std::string> finished;  // run ids already in the resumed file
  AttrMap stored;                  // the resumed file's root attributes
  std::string resume_path;         // the file resumed: --resume, or a shard file that exists
  std::string out_path;            // set by the plan (a shard's file), else --out or the default

  int64_t shard_index = 0, shard_count = 1;  // this invocation's slice of the plan

  bool resuming() const { return !resume_path.empty(); }
  bool in_shard(size_t plan_index) const;   // whether the run at this plan index is this shard's
  std::vector<RunSpec> todo() const;  // the shard's runs not finished yet, in plan order
};
Invocation plan_invocation(const InvocationOptions& options);

struct InvocationOutcome {
  std::string out_path;
  bool complete = false;    // false: interrupted (Ctrl-C); --resume finishes it
  size_t failed = 0;        // runs that ended `failed`
  std::string write_error;  // the results could not be written; the sweep stopped
  std::vector<Verdict> verdicts;  // the tier's claims, judged when the whole sweep is in
};
// Runs what is left of the plan into the results file, committing each run
// as it finishes; the detector's summaries are stored with each run and for
// the suite at the end. Throws ConfigError for a device that is not there.
InvocationOutcome run_invocation(const Invocation& invocation, const InvocationOptions& options);

// "results/<suite>-<tier>-<UTC time>.h5": the default output path.
std::string default_out_path(const Invocation& invocation);

}  // namespace genbench
