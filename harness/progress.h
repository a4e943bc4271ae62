// Progress of a sweep on stderr: one redrawn status line on a terminal
// (runs done/total, failures, throughput, ETA, the step each run in progress
// is at), plain log lines otherwise (each with the ETA).
//
// The ETA learns what a run costs: a least-squares fit of log(seconds) on the
// log of every numeric parameter the plan varies (p, width, steps...), over
// the runs that finished. Runs in progress count what is left of them, from
// their step when the task says how many it logs. With runs started coarse to
// fine over the points (execution_order in harness/scheduler.h), the first
// runs already span the sweep, so the fit has something to extrapolate from.
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/sweep.h"
#include "results/store.h"

namespace genbench {

// A run's seconds predicted from its parameters, learned from finished runs.
class CostModel {
 public:
  explicit CostModel(const std::vector<RunSpec>& plan);  // the features: what the plan varies
  void observe(const Params& params, double seconds);
  std::optional<double> predict(const Params& params) const;  // nullopt until a run finished
  const std::vector<std::string>& features() const { return features_; }

 private:
  std::vector<double> row(const Params& params) const;  // 1, log x_1, ..., log x_F
  void fit() const;

  std::vector<std::string> features_;
  std::vector<std::vector<double>> rows_;
  std::vector<double> log_seconds_;
  mutable std::vector<double> coef_;
  mutable double spread_ = 0;  // residual variance, for the mean of a log-normal
  mutable bool fitted_ = false;
};

class Progress {
 public:
  // `total` counts the runs of this invocation (a resume counts only the rest).
  Progress(size_t total, bool tty, std::FILE* out = stderr);
  // The runs in the order they will start, how many run at once, and the last
  // step each logs (-1: unknown): what the ETA needs. Without it, the ETA is
  // the mean time per run so far.
  void plan(const std::vector<RunSpec>& runs, int jobs, std::function<int64_t(const RunSpec&)> last_step = {});
  void started(const RunSpec& run);
  void stepped(const RunSpec& run, int64_t step);  // a run in progress logged this step
  void finished(const RunRecord& run);
  void interrupted(const RunSpec& run);
  void tick();  // redraws the status line, at most 5 times a second
  void done();

  size_t ok() const { return ok_; }
  size_t failed() const { return failed_; }
  size_t diverged() const { return diverged_; }
  // Seconds left, as the status line shows them; nullopt before the first run ends.
  std::optional<double> eta_seconds() const;

 private:
  struct Running {
    const RunSpec* spec = nullptr;
    std::chrono::steady_clock::time_point since;
    int64_t step = -1, last_step = -1;
  };
  std::string status_line() const;
  std::string running_text() const;
  void draw(bool force);
  void refresh_queue_cost();

  size_t total_, ok_ = 0, failed_ = 0, diverged_ = 0, running_ = 0;
  bool tty_;
  std::FILE* out_;
  std::chrono::steady_clock::time_point start_, last_draw_;

  const std::vector<RunSpec>* runs_ = nullptr;
  int jobs_ = 1;
  std::function<int64_t(const RunSpec&)> last_step_;
  std::optional<CostModel> model_;
  size_t started_ = 0;            // runs of the plan started so far (they start in plan order)
  double queue_cost_ = 0;         // predicted seconds of the runs not started yet
  std::map<int64_t, Running> running_runs_;  // by plan index
};

}  // namespace genbench
