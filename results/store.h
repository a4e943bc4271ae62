// The HDF5 result store: the only code that touches HDF5. Layout and the
// reasons for it: SCHEMA.md.
//
// A sweep's file is FILE.h5 plus, while it is written, FILE.h5.runs/: each
// commit writes the runs finished since the last one as a small segment file
// there (built in memory, then temporary file, fsync, rename), so a commit
// costs O(those runs), not O(the file). Once the segments hold as many runs
// as FILE.h5 (and at least 64), and whenever the root attributes change,
// they are folded into FILE.h5 (byte copy, H5Ocopy, fsync, rename): each run
// is copied a bounded number of times in all, and every file any reader or a
// kill -9 can see is a complete HDF5 file. A clean end folds everything in:
// the folder goes and FILE.h5 stands alone, as in version 1.
//
// One writer per file: FILE.h5.lock (flock) is held while a writer lives.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/params.h"
#include "results/status.h"

namespace genbench {

constexpr int64_t kSchemaVersion = 2;  // version 1 files (no segments) are read too

// Every failure of this layer: names the file and the HDF5 path.
struct ResultsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Another writer holds the file: "FILE is being written by bench-run (pid N on HOST)".
struct FileBusyError : ResultsError {
  using ResultsError::ResultsError;
};

// The folder of a file's runs not yet folded into it: FILE.h5.runs.
std::string loose_runs_dir(const std::string& path);

using AttrMap = std::map<std::string, ParamValue>;

struct PlannedRun {
  std::string id;
  std::string point;
  uint64_t seed = 0;
};

struct RunRecord {
  std::string id;
  int64_t index = 0;
  std::string task;
  uint64_t seed = 0;
  std::string point;
  RunStatus status = RunStatus::Ok;  // stored runs: Ok, Failed or Diverged; Running under /partial
  std::string error;   // empty when ok
  int64_t last_good_step = -1;
  double wall_time_s = 0;
  double steps_per_s = 0;
  std::string device;
  Params params;  // the resolved config
  int64_t log_every = 0;
  std::vector<int64_t> steps;
  std::map<std::string, std::vector<double>> metrics;  // each aligned with steps
  std::map<std::string, double> summaries;

  // nullptr when the run never logged that metric.
  const std::vector<double>* metric(const std::string& name) const;
  // The summary, or `fallback` when absent (a threshold never reached).
  double summary_or(const std::string& key, double fallback) const;
};

// One claim of a suite's `expect:` as judged on a file (suites/claims.h
// evaluates them; the store only keeps them).
struct Verdict {
  std::string claim;     // its name
  std::string outcome;   // "pass", "fail" or "error" (it could not be judged: a typo, a missing point)
  std::string measured;  // what was measured, as text ("0.0291", "3 of 3 seeds: 830..1030")
  std::string bound;     // what it had to be ("<= 0.1")
  std::string source;    // where the claim comes from (a paper, a measurement)
  double value = 0;      // the measured number the outcome went by (NaN where none)
};

// YAML text of a resolved config, one "key: value" line per parameter.
std::string config_text(const Params& params);

class ResultsWriter {
 public:
  // A new file at `path` (replaced if present, with its loose runs) with root
  // attributes and the plan. Both constructors take the file's lock first and
  // throw FileBusyError when another writer holds it.
  ResultsWriter(const std::string& path, const AttrMap& root_attrs, const std::vector<PlannedRun>& plan);
  // Re-opens a committed file to add runs (--resume).
  explicit ResultsWriter(const std::string& path);
  // A writer that ends normally folds its loose runs in (close()): the file
  // then stands alone. One that ends by an exception leaves them where they are.
  ~ResultsWriter();
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;

  void add_run(const RunRecord& run);  // then commit() to make it durable
  // Runs in progress, checkpointed at the next commit (they replace the last checkpoint).
  void set_partial(const std::vector<const RunRecord*>& runs);
  // Both written at the next commit, which then folds every loose run in.
  void set_root_attrs(const AttrMap& attrs);
  void set_root_summaries(const std::map<std::string, double>& summaries);
  void set_verdicts(const std::vector<Verdict>& verdicts);  // replaces the file's whole table
  void commit();  // durable and atomic: what it wrote is all there, or none of it
  // Commits, then folds every loose run into the file; the writer is done.
  void close();
  const std::set<std::string>& finished_ids() const { return finished_; }
  const std::string& path() const { return path_; }

 private:
  void compact();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
  std::set<std::string> finished_;
  bool closed_ = false;
};

// A file read back, as an analyst sees it.
struct ResultsFile {
  std::string path;
  AttrMap root;                   // provenance
  std::vector<PlannedRun> plan;   // every run the invocation meant to do
  std::vector<RunRecord> runs;    // finished runs, by plan index
  std::vector<RunRecord> partial; // runs in progress at the last commit (status Running)
  std::map<std::string, double> summaries;  // suite-level summaries
  std::vector<Verdict> verdicts;            // the claims judged when the sweep ended; empty: none

  const RunRecord* find(const std::string& id) const;
  std::vector<PlannedRun> missing() const;  // planned, not finished
  std::string root_string(const std::string& key) const;  // "" when absent
};

struct ReadOptions {
  // false: every run without its metrics and steps (summaries, config and
  // status only), for a table or a resume plan of a sweep too big to hold whole.
  bool trajectories = true;
};
ResultsFile read_results(const std::string& path, const ReadOptions& options = {});

}  // namespace genbench
