// Robust-overfitting detector, for adversarial training runs logging
// {train,test}_{clean,fgsm,pgd}_accuracy every epoch.
//
// Per run: the best PGD test accuracy and its epoch, the final one and the
// gap between them (what early stopping would have kept: Rice et al.'s robust
// overfitting); PGD train accuracy at the best epoch and at the end (robust
// overfitting means it keeps rising while the test one falls); the first
// learning-rate drop, the best PGD test accuracy from it on, the gap between
// that and the final one and the PGD train accuracy there (Rice et al.'s
// peak comes right after the drop; a swing at the high rate can top it); the
// lowest PGD test accuracy after the best epoch with the FGSM accuracy at that
// epoch, and the collapse epoch: the first epoch after the best one at which PGD
// accuracy is below a quarter of it (Wong et al.'s catastrophic overfitting:
// robustness to PGD gone within an epoch or two while FGSM accuracy stays
// high, the sign of a masked gradient); and the late PGD test accuracy, the
// mean over the second half of the epochs (a constant learning rate makes
// single epochs swing by several points).
//
// Across the suite: each regularised run (GradAlign, ELLE) against the
// PGD-trained run of the same seed and length; the shortfall of its late
// PGD test accuracy, worst over seeds.
#include <algorithm>
#include <cmath>
#include <limits>

#include "suites/detector.h"

namespace genbench {

namespace {

constexpr double kCollapseFraction = 0.25;

// Parameters that make a run PGD-trained or regularised rather than a twin of another.
const std::vector<std::string> kTreatment = {"training", "regularizer", "reg_lambda", "fgsm_alpha", "pgd_*"};

// The mean of a metric over the logged steps past half of the last one.
std::optional<double> late_mean(const RunRecord& run, const std::string& metric) {
  const auto* values = run.metric(metric);
  if (!values || run.steps.empty()) return std::nullopt;
  const double half = static_cast<double>(run.steps.back()) / 2;
  double sum = 0;
  int count = 0;
  for (size_t i = 0; i < values->size(); ++i)
    if (static_cast<double>(run.steps[i]) > half && std::isfinite((*values)[i])) sum += (*values)[i], ++count;
  if (count == 0) return std::nullopt;
  return sum / count;
}

// The index of the first largest finite value logged at a step >= from; values.size() when none.
size_t peak_index(const RunRecord& run, const std::vector<double>& values, int64_t from) {
  size_t peak = values.size();
  for (size_t i = 0; i < values.size(); ++i)
    if (run.steps[i] >= from && std::isfinite(values[i]) && (peak == values.size() || values[i] > values[peak]))
      peak = i;
  return peak;
}

// The first logged step whose learning rate is below the one logged before it.
std::optional<int64_t> first_lr_drop(const RunRecord& run) {
  const auto* lr = run.metric("lr");
  if (!lr) return std::nullopt;
  for (size_t i = 1; i < lr->size(); ++i)
    if ((*lr)[i] < (*lr)[i - 1]) return run.steps[i];
  return std::nullopt;
}

std::string param_or(const RunRecord& run, const std::string& key, const std::string& fallback) {
  return run.params.has(key) ? run.params.get_string(key) : fallback;
}

}  // namespace

class RobustOverfittingDetector : public Detector {
 public:
  std::string name() const override { return "robust_overfitting"; }
  std::vector<std::string> summaries() const override {
    return {"final_*", "best_epoch", "best_epoch_after_lr_drop", "best_test_pgd_accuracy", "best_test_pgd_after_lr_drop", "collapse_epoch", "gap_after_lr_drop", "late_test_pgd_accuracy", "lowest_epoch_after_best", "lowest_test_pgd_after_best", "lr_drop_epoch", "robust_overfitting_gap", "test_fgsm_at_lowest", "train_pgd_at_best", "train_pgd_at_best_after_lr_drop"};
  }
  std::vector<std::string> treatment() const override { return kTreatment; }

  std::vector<std::string> headline() const override {
    return {"best_test_pgd_accuracy", "best_epoch", "final_test_pgd_accuracy", "late_test_pgd_accuracy",
            "robust_overfitting_gap", "lowest_test_pgd_after_best", "test_fgsm_at_lowest", "collapse_epoch"};
  }

  std::map<std::string, double> analyse(const RunRecord& run) const override {
    std::map<std::string, double> out;
    const auto* pgd_values = run.metric("test_pgd_accuracy");
    if (!pgd_values) return out;
    const auto& pgd = *pgd_values;
    const size_t best = peak_index(run, pgd, std::numeric_limits<int64_t>::min());
    if (best == pgd.size()) return out;
    const double peak = pgd[best];
    const int64_t best_epoch = run.steps[best];
    out["best_test_pgd_accuracy"] = peak;
    out["best_epoch"] = static_cast<double>(best_epoch);
    if (auto last = final_value(run, "test_pgd_accuracy")) {
      out["final_test_pgd_accuracy"] = *last;
      out["robust_overfitting_gap"] = peak - *last;
    }
    if (auto v = late_mean(run, "test_pgd_accuracy")) out["late_test_pgd_accuracy"] = *v;
    if (auto v = value_at(run, "train_pgd_accuracy", best_epoch)) out["train_pgd_at_best"] = *v;
    if (auto drop = first_lr_drop(run)) {
      out["lr_drop_epoch"] = static_cast<double>(*drop);
      const size_t peak_after = peak_index(run, pgd, *drop);
      if (peak_after < pgd.size()) {
        out["best_test_pgd_after_lr_drop"] = pgd[peak_after];
        out["best_epoch_after_lr_drop"] = static_cast<double>(run.steps[peak_after]);
        if (out.count("final_test_pgd_accuracy"))
          out["gap_after_lr_drop"] = pgd[peak_after] - out["final_test_pgd_accuracy"];
        if (auto v = value_at(run, "train_pgd_accuracy", run.steps[peak_after]))
          out["train_pgd_at_best_after_lr_drop"] = *v;
      }
    }
    for (const char* metric : {"train_pgd_accuracy", "test_clean_accuracy", "test_fgsm_accuracy", "train_clean_accuracy"})
      if (auto v = final_value(run, metric)) out[std::string("final_") + metric] = *v;

    size_t lowest = best;
    for (size_t i = best + 1; i < pgd.size(); ++i) {
      if (!std::isfinite(pgd[i])) continue;
      if (lowest == best || pgd[i] < pgd[lowest]) lowest = i;
      if (!out.count("collapse_epoch") && pgd[i] < kCollapseFraction * peak)
        out["collapse_epoch"] = static_cast<double>(run.steps[i]);
    }
    if (lowest != best) {
      out["lowest_test_pgd_after_best"] = pgd[lowest];
      out["lowest_epoch_after_best"] = static_cast<double>(run.steps[lowest]);
      if (auto v = value_at(run, "test_fgsm_accuracy", run.steps[lowest])) out["test_fgsm_at_lowest"] = *v;
    }
    return out;
  }

  // <regularizer>_shortfall_max: over regularised runs with a PGD-trained twin,
  // the twin's late PGD test accuracy minus the run's, the worst seed.
  std::map<std::string, double> analyse_suite(const ResultsFile& file) const override {
    std::map<std::string, double> out;
    for (const auto& run : file.runs) {
      const auto regularizer = param_or(run, "regularizer", "none");
      if (run.status != RunStatus::Ok || regularizer == "none") continue;
      auto mine = late_mean(run, "test_pgd_accuracy");
      for (const auto& twin : file.runs) {
        if (twin.status != RunStatus::Ok || param_or(twin, "training", "") != "pgd" ||
            param_or(twin, "regularizer", "none") != "none" || !are_twins(run, twin, kTreatment))
          continue;
        auto theirs = late_mean(twin, "test_pgd_accuracy");
        if (!mine || !theirs) continue;
        auto key = regularizer + "_shortfall_max";
        out[key] = out.count(key) ? std::max(out[key], *theirs - *mine) : *theirs - *mine;
      }
    }
    return out;
  }

  std::optional<std::vector<std::string>> trajectory_metrics() const override {
    return std::vector<std::string>{"test_clean_accuracy", "test_fgsm_accuracy", "test_pgd_accuracy",
                                    "train_pgd_accuracy", "test_pgd_loss", "lr"};
  }
};

GENBENCH_REGISTER_DETECTOR(RobustOverfittingDetector);

}  // namespace genbench
