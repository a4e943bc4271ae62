// Runs a sweep's runs side by side, each in its own worker process.
//
// Why processes and not threads: LibTorch's default generator and OpenBLAS's
// thread pool are process-global, so separate processes keep every run's
// random draws and thread count its own (bit-identical results whatever
// --jobs is), and a run that crashes takes only itself down.
//
// The scheduler is the single consumer of the workers' output; it hands each
// finished run to a callback, which writes it to the store.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "harness/sweep.h"
#include "results/store.h"

namespace genbench {

class Progress;

struct SchedulerOptions {
  int jobs = 1;
  std::string device = "cpu";
  // The devices the workers are spread over, each new worker on the one with
  // the fewest (several GPUs: `--device cuda`); empty: every worker on `device`.
  std::vector<std::string> devices;
  int64_t threads = 1;     // LibTorch/OpenBLAS/OpenMP threads in each worker
  std::string worker_exe;  // the bench-run binary; started as `worker_exe --worker`
  // A run still going after this many seconds is killed and fails (0: no limit):
  // a hung run (a deadlock, a driver stuck) would otherwise hold the sweep forever.
  double run_timeout_s = 0;
  // After a stop (Ctrl-C, SIGTERM, an aborting callback), workers that have not
  // exited within this many seconds are killed: a task checks its stop flag
  // between steps, and a stuck one never does. Their runs are unfinished either way.
  double stop_grace_s = 10;
};

// Set by the signal handler (the first Ctrl-C, SIGTERM or SIGHUP): start
// nothing new, ask running workers to stop. A second one kills them.
void install_interrupt_handlers();
bool interrupted();
// The first stop signal that arrived (SIGINT, SIGTERM or SIGHUP), 0 when none:
// bench-run exits 128 + it, as a process killed by it would.
int interrupting_signal();

struct SweepCallbacks {
  // Each run that ended (ok, failed or diverged), in the calling thread.
  // Interrupted runs are not reported: they are unfinished. May throw to
  // abort the sweep (e.g. disk full): running workers are stopped and the
  // exception propagates out of run_all.
  std::function<void(RunRecord&&)> finished;
  // The runs in progress with what they logged so far, at most every
  // `checkpoint_every_s` seconds while something new arrived. May throw, as above.
  std::function<void(const std::vector<const RunRecord*>&)> checkpoint;
  double checkpoint_every_s = 5;
};

// The order runs start in: the sweep's points coarse to fine (first, middle,
// quarters, ... of the plan, by bit-reversed position), each point's seeds
// together and in plan order. The first runs then span the sweep: the ETA
// sees the cost of its far end early, the first results sketch the whole
// curve, and the costliest points do not all come last. Results do not
// depend on order: each run is seeded from its own (config, seed).
std::vector<RunSpec> execution_order(std::vector<RunSpec> runs);

// The jobs a worker is given, in `ordered`'s order: single runs, and stacks
// of runs that train as one batched model (Task::stacks decides which may).
// `stack`: 0 or 1 off, -1 the task's own choice, N at most N runs a stack.
// When that leaves fewer jobs than `workers`, the largest stacks are halved
// until there are enough: an idle core costs more than stacking saves.
// Results do not depend on it: a member logs what it would alone.
std::vector<std::vector<RunSpec>> plan_jobs(const std::vector<RunSpec>& ordered, const std::string& device,
                                            int64_t stack, int workers);

// Of `devices`, the one `held` (the devices of the live workers) names least
// often, the first of a tie: where the next worker goes.
std::string least_held(const std::vector<std::string>& devices, const std::vector<std::string>& held);

// Runs `runs`, one a worker at a time. Returns false when the sweep was interrupted.
bool run_all(const std::vector<RunSpec>& runs, const SchedulerOptions& options, const SweepCallbacks& callbacks,
             Progress& progress);
// Runs `jobs` (plan_jobs): every member of a stack is still its own run,
// reported to the callbacks as it ends (a masked member while the others go on).
bool run_jobs(const std::vector<std::vector<RunSpec>>& jobs, const SchedulerOptions& options,
              const SweepCallbacks& callbacks, Progress& progress);

// Appends one trajectory row, keeping every metric column aligned with
// `steps` (NaN where a metric was not logged).
void append_row(RunRecord& run, int64_t step, const std::vector<std::pair<std::string, double>>& metrics);

}  // namespace genbench
