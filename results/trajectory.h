// Reading a run's trajectory: thresholds, final and largest values. Shared by
// the detectors (suites/) and the comparison (compare/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "results/store.h"

namespace genbench {

// The first logged step at which `metric` < threshold (or >= threshold).
std::optional<int64_t> first_step_below(const RunRecord& run, const std::string& metric, double threshold);
std::optional<int64_t> first_step_at_least(const RunRecord& run, const std::string& metric, double threshold);
// The last finite value of a metric.
std::optional<double> final_value(const RunRecord& run, const std::string& metric);
// A metric's value at a logged step; nullopt when not logged there.
std::optional<double> value_at(const RunRecord& run, const std::string& metric, int64_t step);
// The largest finite value of a metric; nullopt when it has none.
std::optional<double> largest_value(const RunRecord& run, const std::string& metric);

}  // namespace genbench
