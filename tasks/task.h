// The task interface: what a trainer implements and all the harness knows of it.
//
// A task owns data, model, loop and metrics. It never sees YAML, HDF5, threads
// or other tasks: it reads its Params, draws every random number from
// ctx.seed, logs metrics to the sink, and returns when done or when ctx.stop
// is set. A task registers itself by name at the bottom of its .cpp:
//
//   GENBENCH_REGISTER_TASK(MatrixSensing);
//
// Divergence needs no code in the task: the sink rejects a non-finite metric
// by throwing, which ends the run as `diverged`.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/params.h"

namespace genbench {

struct RunContext {
  const Params& params;           // resolved and validated for this run
  uint64_t seed;                  // every random draw of the run comes from it; LibTorch's
                                  // global generator is also seeded with it before the run
  std::string device;             // "cpu", "cuda", "cuda:1"
  int64_t log_every;              // log metrics every this many steps (and at the first and last)
  const std::atomic<bool>& stop;  // set on Ctrl-C: finish the step, return
};

using Metrics = std::vector<std::pair<std::string, double>>;

class MetricSink {  // implemented by the harness; a task only logs
 public:
  // One row of a trajectory. Steps must increase; names may vary between rows.
  virtual void log(int64_t step, const Metrics& metrics) = 0;
  // A scalar the task knows best (e.g. a closed-form prediction).
  virtual void summary(const std::string& key, double value) = 0;
  virtual ~MetricSink() = default;
};

// Thrown by a task for a run that cannot go on (bad combination of params,
// missing dataset...). The harness records it as a failed run.
struct TaskError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Task {
 public:
  virtual std::string name() const = 0;
  virtual std::string summary() const = 0;  // one line for --list
  // What a logged step counts ("step": "epoch") and what each metric
  // measures, briefly, for the axes of a report; stored in the results file
  // (root attribute `units`), so a file read years later still says it.
  virtual std::vector<std::pair<std::string, std::string>> units() const { return {}; }
  // The summaries it sends (MetricSink::summary): names, or patterns with '*'.
  virtual std::vector<std::string> summaries() const { return {}; }
  // The last step a run of these parameters logs, for progress within a run
  // (bench-run's status line, the ETA); -1 when it is not known beforehand.
  virtual int64_t last_step(const Params& /*params*/) const { return -1; }
  virtual std::vector<ParamSpec> params() const = 0;
  // Cross-parameter checks (beyond each spec's type and range), run before
  // anything executes. Returns an empty string or what is wrong.
  virtual std::string check(const Params& /*params*/) const { return ""; }
  virtual void run(const RunContext& ctx, MetricSink& sink) const = 0;
  virtual ~Task() = default;
};

// Registry of tasks by name (core/registry.h: a second task of the same name
// stops the program at start-up). Tasks are linked as an OBJECT library so
// their static registrars are kept.
const Task* find_task(const std::string& name);
std::vector<const Task*> all_tasks();  // sorted by name
std::vector<std::string> task_names();
bool register_task(std::unique_ptr<Task> task);

#define GENBENCH_REGISTER_TASK(Type) \
  static const bool genbench_registered_##Type = ::genbench::register_task(std::make_unique<Type>())

}  // namespace genbench
