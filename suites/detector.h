// Detectors: turn a run's trajectories into the numbers a phenomenon is
// judged by (a rate, a delay, a peak). A detector reads runs as the results
// layer returns them, never a trainer's internals, so it works the same on a
// run that just finished and on a file read back years later.
//
// One detector per suite, registered under the suite's name:
//   GENBENCH_REGISTER_DETECTOR(MatrixSensingDetector);
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "results/store.h"

namespace genbench {

class Detector {
 public:
  virtual std::string suite() const = 0;
  // Per-run summaries, stored under /runs/<id>/summary beside the task's own.
  // A threshold that was never reached is left out, not set to a sentinel.
  virtual std::map<std::string, double> analyse(const RunRecord& run) const = 0;
  // Summary keys bench-run prints in its result table, most telling first.
  virtual std::vector<std::string> headline() const = 0;
  virtual ~Detector() = default;
};

const Detector* find_detector(const std::string& suite);  // nullptr when none
bool register_detector(std::unique_ptr<Detector> detector);

#define GENBENCH_REGISTER_DETECTOR(Type) \
  static const bool genbench_detector_##Type = ::genbench::register_detector(std::make_unique<Type>())

// Trajectory helpers for detectors.
// The first logged step at which `metric` < threshold (or >= threshold).
std::optional<int64_t> first_step_below(const RunRecord& run, const std::string& metric, double threshold);
std::optional<int64_t> first_step_at_least(const RunRecord& run, const std::string& metric, double threshold);
// The last finite value of a metric.
std::optional<double> final_value(const RunRecord& run, const std::string& metric);

}  // namespace genbench
