#include "results/trajectory.h"

#include <cmath>

namespace genbench {

template <typename Pred>
static std::optional<int64_t> first_step(const RunRecord& run, const std::string& metric, Pred pred) {
  const auto* values = run.metric(metric);
  if (!values) return std::nullopt;
  for (size_t i = 0; i < values->size(); ++i)
    if (pred((*values)[i])) return run.steps[i];
  return std::nullopt;
}

std::optional<int64_t> first_step_below(const RunRecord& run, const std::string& metric, double threshold) {
  return first_step(run, metric, [&](double v) { return v < threshold; });
}

std::optional<int64_t> first_step_at_least(const RunRecord& run, const std::string& metric, double threshold) {
  return first_step(run, metric, [&](double v) { return v >= threshold; });
}

std::optional<double> final_value(const RunRecord& run, const std::string& metric) {
  const auto* values = run.metric(metric);
  if (!values) return std::nullopt;
  for (auto it = values->rbegin(); it != values->rend(); ++it)
    if (std::isfinite(*it)) return *it;
  return std::nullopt;
}

std::optional<double> value_at(const RunRecord& run, const std::string& metric, int64_t step) {
  const auto* values = run.metric(metric);
  if (!values) return std::nullopt;
  for (size_t i = 0; i < run.steps.size(); ++i)
    if (run.steps[i] == step) return (*values)[i];
  return std::nullopt;
}

std::optional<double> largest_value(const RunRecord& run, const std::string& metric) {
  const auto* values = run.metric(metric);
  std::optional<double> best;
  if (values)
    for (double v : *values)
      if (std::isfinite(v) && (!best || v > *best)) best = v;
  return best;
}

}  // namespace genbench
