// Grokking detector: when a run memorizes (train accuracy >= 0.99), when it
// generalizes (test accuracy >= 0.95), the delay between them, and across the
// sweep how much a gradient filter (Grokfast) shortens it, seed by seed.
#include <algorithm>
#include <cmath>

#include "suites/detector.h"
#include "core/stats.h"

namespace genbench {

namespace {

constexpr double kMemorized = 0.99, kGeneralized = 0.95;

// The Grokfast filter and its settings: a filtered run's twin is the same config without it.
const std::vector<std::string> kTreatment = {"grokfast*"};

}  // namespace

class GrokkingDetector : public Detector {
 public:
  std::string name() const override { return "grokking"; }
  std::vector<std::string> summaries() const override {
    return {"final_*", "generalization_step", "grokking_delay", "max_softmax_collapse", "max_test_accuracy", "memorization_step", "test_accuracy_at_memorization", "grokfast_speedup_*"};
  }
  std::vector<std::string> treatment() const override { return kTreatment; }

  std::vector<std::string> headline() const override {
    return {"memorization_step", "generalization_step", "grokking_delay", "test_accuracy_at_memorization",
            "final_test_accuracy", "max_softmax_collapse"};
  }

  std::map<std::string, double> analyse(const RunRecord& run) const override {
    std::map<std::string, double> out;
    auto memorized = first_step_at_least(run, "train_accuracy", kMemorized);
    auto generalized = first_step_at_least(run, "test_accuracy", kGeneralized);
    if (memorized) {
      out["memorization_step"] = static_cast<double>(*memorized);
      if (auto v = value_at(run, "test_accuracy", *memorized)) out["test_accuracy_at_memorization"] = *v;
    }
    if (generalized) out["generalization_step"] = static_cast<double>(*generalized);
    if (memorized && generalized && *memorized > 0)
      out["grokking_delay"] = static_cast<double>(*generalized) / static_cast<double>(*memorized);
    for (const char* metric : {"train_accuracy", "test_accuracy", "train_loss", "test_loss", "weight_norm"})
      if (auto v = final_value(run, metric)) out[std::string("final_") + metric] = *v;
    if (auto v = largest_value(run, "test_accuracy")) out["max_test_accuracy"] = *v;
    if (auto v = largest_value(run, "softmax_collapse")) out["max_softmax_collapse"] = *v;
    return out;
  }

  // grokfast_speedup_{min,median,max}: over the filtered runs whose unfiltered
  // twin (same seed, same config) also generalized, twin's generalization
  // step / the filtered run's.
  std::map<std::string, double> analyse_suite(const ResultsFile& file) const override {
    std::vector<double> speedups;
    for (const auto& filtered : file.runs) {
      if (filtered.status != RunStatus::Ok || !filtered.params.has("grokfast") ||
          filtered.params.get_string("grokfast") == "none")
        continue;
      auto fast = first_step_at_least(filtered, "test_accuracy", kGeneralized);
      for (const auto& plain : file.runs) {
        if (plain.status != RunStatus::Ok || plain.params.get_string("grokfast") != "none" || !are_twins(filtered, plain, kTreatment))
          continue;
        auto slow = first_step_at_least(plain, "test_accuracy", kGeneralized);
        if (fast && slow && *fast > 0) speedups.push_back(static_cast<double>(*slow) / static_cast<double>(*fast));
      }
    }
    std::map<std::string, double> out;
    if (speedups.empty()) return out;
    out["grokfast_speedup_min"] = *std::min_element(speedups.begin(), speedups.end());
    out["grokfast_speedup_median"] = median(speedups);
    out["grokfast_speedup_max"] = *std::max_element(speedups.begin(), speedups.end());
    return out;
  }

  std::optional<std::vector<std::string>> trajectory_metrics() const override {
    return std::vector<std::string>{"train_accuracy", "test_accuracy", "train_loss", "test_loss", "weight_norm",
                                    "softmax_collapse"};
  }
};

GENBENCH_REGISTER_DETECTOR(GrokkingDetector);

}  // namespace genbench
