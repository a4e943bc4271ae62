// Recovery detector for the matrix-sensing suite: how far, how fast, and in
// which order the factorisation recovers X*.
#include <cmath>

#include "suites/detector.h"

namespace genbench {

class MatrixSensingDetector : public Detector {
 public:
  std::string name() const override { return "matrix_sensing"; }
  std::vector<std::string> summaries() const override {
    return {"decades_per_1k_steps", "final_rel_error", "final_train_loss", "half_eigenvalue_step_*", "min_rel_error", "rel_error_when_fit", "steps_to_rel_error_*"};
  }

  std::vector<std::string> headline() const override {
    return {"final_rel_error", "steps_to_rel_error_1e-2", "steps_to_rel_error_1e-8", "decades_per_1k_steps",
            "rel_error_when_fit"};
  }

  std::map<std::string, double> analyse(const RunRecord& run) const override {
    std::map<std::string, double> out;
    if (auto v = final_value(run, "rel_error")) out["final_rel_error"] = *v;
    if (auto v = final_value(run, "train_loss")) out["final_train_loss"] = *v;
    if (const auto* err = run.metric("rel_error")) {
      double lowest = INFINITY;
      for (double e : *err)
        if (std::isfinite(e)) lowest = std::min(lowest, e);
      if (std::isfinite(lowest)) out["min_rel_error"] = lowest;
    }
    for (const auto& [label, threshold] : {std::pair{"1e-2", 1e-2}, {"1e-4", 1e-4}, {"1e-8", 1e-8}})
      if (auto s = first_step_below(run, "rel_error", threshold))
        out[std::string("steps_to_rel_error_") + label] = static_cast<double>(*s);

    // "Fits without recovering": the error at the first step the training
    // loss is below 1e-3.
    if (auto fit = first_step_below(run, "train_loss", 1e-3))
      out["rel_error_when_fit"] = value_at(run, "rel_error", *fit);

    // The linear rate: decades of error lost per 1000 steps between the first
    // step below 1e-2 and the first below 1e-8 (or the last logged step).
    if (auto from = first_step_below(run, "rel_error", 1e-2)) {
      auto to = first_step_below(run, "rel_error", 1e-8);
      auto last = to ? *to : run.steps.back();
      auto e0 = value_at(run, "rel_error", *from), e1 = value_at(run, "rel_error", last);
      if (last > *from && e0 > 0 && e1 > 0)
        out["decades_per_1k_steps"] = (std::log10(e0) - std::log10(e1)) / static_cast<double>(last - *from) * 1000;
    }

    // Incremental learning: when each component of X* is half learned, read
    // from the top singular values of UU^T against the task's eigenvalues.
    for (int i = 1;; ++i) {
      auto eig = run.summaries.find("eigenvalue_" + std::to_string(i));
      if (eig == run.summaries.end()) break;
      if (auto s = first_step_at_least(run, "sv_" + std::to_string(i), eig->second / 2))
        out["half_eigenvalue_step_" + std::to_string(i)] = static_cast<double>(*s);
    }
    return out;
  }

 private:
  static double value_at(const RunRecord& run, const std::string& metric, int64_t step) {
    const auto* values = run.metric(metric);
    for (size_t i = 0; i < run.steps.size(); ++i)
      if (run.steps[i] == step) return (*values)[i];
    return NAN;
  }
};

GENBENCH_REGISTER_DETECTOR(MatrixSensingDetector);

}  // namespace genbench
