// A sweep on a Slurm cluster, with nothing left running on the submitting
// machine: bench-run --slurm DIR freezes the plan (harness/manifest.h),
// writes a job array (one element per shard, throttled) and a merge job that
// waits for the array whatever its end, and submits both. Each element runs
// its shard under srun, which Slurm signals at once on preemption or at the
// time limit: bench-run commits, checkpoints and exits 143, and the script
// requeues the element (scontrol requeue) up to max_requeues times, where it
// resumes. The merge job joins the shards into DIR/SUITE.h5 and names what is
// missing; --slurm-resubmit runs only those shards again. Everything is read
// from the shard files and squeue/scontrol: no sacct, no slurmdbd.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/manifest.h"

namespace genbench {

struct SlurmOptions {
  std::string dir;
  int64_t shards = 0;        // 0: one per run, up to 100
  int64_t throttle = 0;      // at most this many shards at once (0: no limit)
  int64_t max_requeues = 3;
  int64_t jobs_per_shard = 1;
  std::vector<std::string> sbatch_args;  // passed to every sbatch, before the script
  bool dry_run = false;      // print the scripts, run sbatch --test-only, submit nothing
};

// The job arrays that run these shard indices on a cluster whose
// MaxArraySize is max_size (indices must stay below it): {offset, --array
// spec}, e.g. {0, "0-999%4"}, {1000, "0-499%4"}; each element runs shard
// offset + SLURM_ARRAY_TASK_ID.
std::vector<std::pair<int64_t, std::string>> array_specs(const std::vector<int64_t>& shards, int64_t max_size,
                                                         int64_t throttle);

// The scripts, as written into DIR.
std::string array_script(const Manifest& manifest);
std::string merge_script(const Manifest& manifest);

// Writes the manifest and scripts, submits the array and the merge job, and
// prints their ids and how to watch them. Returns bench-run's exit code.
// Throws ConfigError for bad options or a failed sbatch.
int submit_sweep(Manifest manifest, const SlurmOptions& options);

// One line per shard: done / failed / running / pending / stopped / missing,
// and its runs finished. Returns 0 when every shard is done, else 1.
int slurm_status(const std::string& dir);

// The merge job: joins the shard files into DIR/SUITE.h5, names the shards
// that are missing, stopped or failed and prints the command that reruns
// them. 0 complete, 1 runs missing (the partial merge is written), 2 error.
int slurm_merge(const std::string& dir);

// Submits the shards that are not done again (and a new merge job).
int slurm_resubmit(const std::string& dir, const std::vector<std::string>& extra_sbatch_args);

}  // namespace genbench
