// A frozen sweep for a cluster: DIR/manifest.yaml holds the resolved plan
// (every run's index, id, point, seed and full config), the suite's text and
// what it was expanded with, how it is sharded, and where and by what it was
// made. Shards are made from it alone, never from the suite file again: a
// shard re-expands the stored text and refuses to run unless every run id
// (a hash of the run's whole config) is the frozen one.
//
//   DIR/manifest.yaml    this file
//   DIR/shards/I.h5      shard I's results (bench-run --manifest DIR --shard I/N)
//   DIR/array.sh         the job array's script, DIR/merge.sh the merge job's
//   DIR/logs/            the jobs' output, DIR/jobs.txt every submission
//   DIR/SUITE.h5         the merged file
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/sweep.h"

namespace genbench {

struct ManifestRun {
  int64_t index = 0;
  std::string id, point, config;  // config: the run's parameters, one "key: value" per line
  uint64_t seed = 0;
};

struct Manifest {
  std::string dir;  // where it lives (not stored)
  std::string suite, suite_file, suite_text, tier;
  std::vector<std::string> sets, filters;
  std::string seeds;                // --seeds, when given
  std::vector<std::string> sweeps;  // --sweep axes
  int64_t shards = 1;
  int64_t throttle = 0;       // at most this many shards at once (0: no limit)
  int64_t max_requeues = 3;   // a preempted or timed-out shard requeues itself this often
  int64_t jobs_per_shard = 1; // runs side by side in one shard (its --cpus-per-task)
  std::vector<std::string> sbatch_args;
  std::string bench_run;      // the binary the jobs run (an absolute path)
  std::string created, git_commit, host, command_line;
  std::vector<ManifestRun> runs;

  std::string path() const { return dir + "/manifest.yaml"; }
  std::string shard_file(int64_t shard) const;  // DIR/shards/I.h5
  std::string merged_file() const;              // DIR/SUITE.h5
  // The plan indices of shard i: contiguous, as bench-run --shard I/N cuts them.
  std::pair<size_t, size_t> shard_range(int64_t shard) const;
};

// Writes DIR/manifest.yaml (creating DIR and its folders). Throws
// ConfigError when DIR already holds a manifest: a sweep's frozen plan is
// never replaced under its shards.
void write_manifest(const Manifest& manifest);

// Reads DIR/manifest.yaml (DIR, or the file itself). Throws ConfigError
// "DIR/manifest.yaml:line:col: key: message".
Manifest read_manifest(const std::string& dir_or_file);

// The manifest of an expanded plan (no Slurm settings yet).
Manifest manifest_of(const std::vector<RunSpec>& runs);

// Throws ConfigError unless `runs`, expanded now from the stored text, are the
// frozen plan, run by run.
void check_frozen_plan(const Manifest& manifest, const std::vector<RunSpec>& runs);

}  // namespace genbench
