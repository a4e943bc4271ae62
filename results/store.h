// The HDF5 result store: the only code that touches HDF5. Layout: SCHEMA.md.
//
// Crash safety: the writer builds the file in memory (HDF5 core driver) and
// commits it by writing the whole image to a temporary file, fsync, rename.
// A reader, a `kill -9` or a full disk therefore only ever sees the last
// committed file, which holds every run finished before it. The price is
// rewriting the file per commit, which is cheap at the sizes trajectories have
// (a few MB per suite run).
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

constexpr int64_t kSchemaVersion = 1;

// Every failure of this layer: names the file and the HDF5 path.
struct ResultsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

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

// YAML text of a resolved config, one "key: value" line per parameter.
std::string config_text(const Params& params);

class ResultsWriter {
 public:
  // A new file at `path` (replaced if present) with root attributes and the plan.
  ResultsWriter(const std::string& path, const AttrMap& root_attrs, const std::vector<PlannedRun>& plan);
  // Re-opens a committed file to add runs (--resume).
  explicit ResultsWriter(const std::string& path);
  ~ResultsWriter();
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;

  void add_run(const RunRecord& run);  // then commit() to make it durable
  // Replaces /partial with these runs in progress (status Running).
  void set_partial(const std::vector<const RunRecord*>& runs);
  void set_root_attrs(const AttrMap& attrs);
  void set_root_summaries(const std::map<std::string, double>& summaries);
  void commit();  // atomic: temp file, fsync, rename
  const std::set<std::string>& finished_ids() const { return finished_; }
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
  std::set<std::string> finished_;
};

// A file read back, as an analyst sees it.
struct ResultsFile {
  std::string path;
  AttrMap root;                   // provenance
  std::vector<PlannedRun> plan;   // every run the invocation meant to do
  std::vector<RunRecord> runs;    // finished runs, by plan index
  std::vector<RunRecord> partial; // runs in progress at the last commit (status Running)
  std::map<std::string, double> summaries;  // suite-level summaries

  const RunRecord* find(const std::string& id) const;
  std::vector<PlannedRun> missing() const;  // planned, not finished
  std::string root_string(const std::string& key) const;  // "" when absent
};

ResultsFile read_results(const std::string& path);

}  // namespace genbench
