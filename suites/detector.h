// Detectors: turn a run's trajectories into the numbers a phenomenon is
// judged by (a rate, a delay, a peak). A detector reads runs as the results
// layer returns them, never a trainer's internals, so it works the same on a
// run that just finished and on a file read back years later.
//
// Registered by name (a suite names its detector, by default its own name):
//   GENBENCH_REGISTER_DETECTOR(MatrixSensingDetector);
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "results/store.h"
#include "results/trajectory.h"  // first_step_below, final_value, ...

namespace genbench {

class Detector {
 public:
  virtual std::string name() const = 0;
  // Per-run summaries, stored under /runs/<id>/summary beside the task's own.
  // A threshold that was never reached is left out, not set to a sentinel.
  virtual std::map<std::string, double> analyse(const RunRecord& run) const = 0;
  // Every summary it writes, per run and for the suite: names, or patterns
  // with '*' ("final_*", "steps_to_rel_error_*"). A claim's summary is
  // checked against these and the task's (Task::summaries) when the suite
  // file is parsed; a test checks them against every committed baseline.
  virtual std::vector<std::string> summaries() const = 0;
  // Summary keys bench-run prints in its result table, most telling first.
  virtual std::vector<std::string> headline() const = 0;
  // Suite-level summaries across runs (a peak over the sweep, a distance to
  // theory), stored under /summary once the sweep ends.
  virtual std::map<std::string, double> analyse_suite(const ResultsFile& /*file*/) const { return {}; }

  // A curve over the sweep for bench-report: x and y are summary keys or
  // parameters; each run gives a point, seeds make a median and a band.
  struct SweepPlot {
    std::string title, x, y;
    std::string theory;                 // a summary drawn as its own line (e.g. a closed form); may be empty
    std::vector<std::string> group_by;  // parameters whose values make separate lines
    bool log_x = false, log_y = false;
  };
  virtual std::vector<SweepPlot> sweep_plots() const { return {}; }
  // The parameters that are the treatment a suite-level summary compares
  // (names, or prefixes ending in '*'): two runs of the same seed that differ
  // only in these are twins (are_twins below). Declared once here; a test
  // checks every entry against the parameters of each suite's task.
  virtual std::vector<std::string> treatment() const { return {}; }
  // Metrics worth a trajectory plot; nullopt: every metric.
  virtual std::optional<std::vector<std::string>> trajectory_metrics() const { return std::nullopt; }
  // Metrics worth a parameter x step heatmap in bench-report, drawn where a
  // family of points varies one numeric parameter (the MLP's width x epoch
  // test error is Nakkiran et al.'s picture of epoch-wise double descent).
  virtual std::vector<std::string> heatmap_metrics() const { return {}; }
  virtual ~Detector() = default;
};

const Detector* find_detector(const std::string& name);  // nullptr when none
std::vector<const Detector*> all_detectors();            // sorted by name
// The detector of a results file: its `detector` attribute, else its suite's name.
const Detector* detector_for(const ResultsFile& file);
// The suite-level summaries of files like `file` (its detector's
// analyse_suite), for merge_results; empty when its suite has no detector.
std::function<std::map<std::string, double>(const ResultsFile&)> suite_summaries_for(const ResultsFile& file);
bool register_detector(std::unique_ptr<Detector> detector);

// Whether a parameter is one of a treatment's (a name, or a prefix ending in '*').
bool is_treatment(const std::string& key, const std::vector<std::string>& treatment);
// The same task, seed and parameters but for the treatment's: one run is the other's control.
bool are_twins(const RunRecord& a, const RunRecord& b, const std::vector<std::string>& treatment);

#define GENBENCH_REGISTER_DETECTOR(Type) \
  static const bool genbench_detector_##Type = ::genbench::register_detector(std::make_unique<Type>())

}  // namespace genbench
