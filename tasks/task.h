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
#include <exception>
#include <functional>
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

// The sinks of a stack's members (Task::run_stack), one per member. A member
// whose row is refused (a non-finite metric: diverged) or that the task
// fails is masked: it is recorded at once with what ended it, gets no more
// rows, and the others go on.
class StackSinks {
 public:
  using Ended = std::function<void(size_t member, std::exception_ptr why)>;
  StackSinks(std::vector<MetricSink*> sinks, Ended ended)
      : sinks_(std::move(sinks)), active_(sinks_.size(), true), ended_(std::move(ended)) {
    for (size_t i = 0; i < sinks_.size(); ++i) members_.emplace_back(*this, i);
  }
  StackSinks(const StackSinks&) = delete;
  StackSinks& operator=(const StackSinks&) = delete;
  size_t size() const { return sinks_.size(); }
  bool active(size_t i) const { return active_[i]; }
  size_t active_count() const {
    size_t n = 0;
    for (bool a : active_) n += a;
    return n;
  }
  // False when the member is (now) masked.
  bool log(size_t i, int64_t step, const Metrics& metrics) {
    if (!active_[i]) return false;
    try {
      sinks_[i]->log(step, metrics);
      return true;
    } catch (...) {
      fail(i, std::current_exception());
      return false;
    }
  }
  void summary(size_t i, const std::string& key, double value) {
    if (active_[i]) sinks_[i]->summary(key, value);
  }
  void fail(size_t i, std::exception_ptr why) {
    if (!active_[i]) return;
    active_[i] = false;
    ended_(i, why);
  }
  // Member i as a plain sink (for code shared with Task::run): a refused row
  // masks it, and what it logs after that is dropped.
  MetricSink& member(size_t i) { return members_[i]; }

 private:
  struct Member : MetricSink {
    Member(StackSinks& stack, size_t index) : stack(stack), index(index) {}
    void log(int64_t step, const Metrics& metrics) override { stack.log(index, step, metrics); }
    void summary(const std::string& key, double value) override { stack.summary(index, key, value); }
    StackSinks& stack;
    size_t index;
  };
  std::vector<Member> members_;
  std::vector<MetricSink*> sinks_;
  std::vector<bool> active_;
  Ended ended_;
};

// Thrown by a task for a run that cannot go on (bad combination of params,
// missing dataset...). The harness records it as a failed run.
struct TaskError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A run of the plan as Task::stacks sees it: its parameters and its seed
// (members that must share a draw, such as a measurement operator, share a seed).
struct StackCandidate {
  const Params* params;
  uint64_t seed;
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

  // Stacked runs (optional). Small models are bound by per-op overhead, so
  // several runs of a sweep can train faster as one batched model, each
  // member with its own weights, data, generator and sink. `stacks` says
  // which runs may share one (indices into `runs`; a run in no group, or
  // alone in one, runs by itself with run()); it is the task's call, made
  // where stacking pays on `device`, with at most `max_size` members per
  // stack (0: the task's own choice). run_stack trains one, and logs for
  // each member the rows and summaries run() would have logged for it.
  virtual std::vector<std::vector<size_t>> stacks(const std::vector<StackCandidate>& /*runs*/,
                                                  const std::string& /*device*/, int64_t /*max_size*/) const {
    return {};
  }
  virtual void run_stack(const std::vector<RunContext>& /*members*/, StackSinks& /*sinks*/) const {
    throw TaskError(name() + " does not train stacked runs");
  }
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
