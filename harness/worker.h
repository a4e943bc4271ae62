// The worker side of a run: the code that calls Task::run. It is the only
// part of the harness that touches LibTorch (threads, device, versions).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "harness/protocol.h"
#include "tasks/task.h"

namespace genbench {

struct RunOutcome {
  RunStatus status = RunStatus::Ok;  // Ok, Failed, Diverged or Interrupted
  std::string error;
  int64_t last_good_step = -1;
  double wall_s = 0;
};

// Runs a task in this process, turning exceptions into an outcome: a
// TaskError or any other exception is `failed`, a non-finite metric (which
// the sink reports by throwing DivergedError) is `diverged`.
struct DivergedError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
RunOutcome run_task(const Task& task, const RunContext& ctx, MetricSink& sink);
// What ended a run, from the exception that ended it (as run_task reads it).
RunOutcome outcome_of(std::exception_ptr why);

// Trains a stack (Task::run_stack): `ended` is called once per member, as
// soon as that member is over -- masked (diverged, failed) while the others
// go on, or when the stack returns (ok, or interrupted on a stop); an
// exception out of the task ends every member still active as failed.
void run_stack_task(const Task& task, const std::vector<RunContext>& members, const std::vector<MetricSink*>& sinks,
                    const std::function<void(size_t, const RunOutcome&)>& ended);

// A sink for run_task that checks every row (finite values, increasing
// steps) and encodes it; `flush` is called with the bytes when 64 KB have
// gathered or a second has passed, so a run that crashes still leaves most
// of its trajectory. Used by the worker process and by in-process benchmarks.
class EncodingSink : public MetricSink {
 public:
  explicit EncodingSink(std::function<void(const std::string&)> flush, uint32_t member = 0)
      : flush_(std::move(flush)), enc_(member) {}
  void log(int64_t step, const Metrics& metrics) override;
  void summary(const std::string& key, double value) override;
  void finish(const RunOutcome& outcome, const std::string& device);  // sends End, flushes
  int64_t last_good_step() const { return last_good_step_; }

 private:
  void maybe_flush(bool force);
  std::function<void(const std::string&)> flush_;
  std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
  Encoder enc_;
  int64_t last_step_ = -1;
  int64_t last_good_step_ = -1;
};

// `bench-run --worker`: reads framed WorkerSpecs on stdin, one run after
// another, and streams each run's messages on stdout. Returns the exit code.
int worker_main();

// "cpu", "cuda", "cuda:N" or "auto", checked against this LibTorch build.
// Returns the device to use; throws ConfigError when it is not available.
std::string resolve_device(const std::string& requested);
// The devices a sweep's workers are spread over: for "cuda" and "auto" on a
// machine of several GPUs, every one (cuda:0 ... cuda:gpus-1); else just
// `resolved` (what resolve_device gave; "cuda:N" pins every worker to N).
std::vector<std::string> spread_devices(const std::string& requested, const std::string& resolved, int64_t gpus);
// Both: resolve_device, then spread over the GPUs this LibTorch sees.
std::vector<std::string> resolve_devices(const std::string& requested);
std::string torch_version();

}  // namespace genbench
