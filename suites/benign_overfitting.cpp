// Benign-overfitting detectors. benign_overfitting: the linear interpolator's
// excess risk beside the Bartlett-Long-Lugosi-Tsigler quantities, and across
// the sweep whether the risk grows with the spike's tail as the theory says.
// benign_overfitting_kernel: how a kernel interpolant's test error grows with
// the label noise it fits, and the regime that slope puts it in.
// benign_overfitting_xor: when a ReLU network on XOR clusters fits every
// label, flipped ones included, and when it generalizes while still fitting them.
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "suites/detector.h"
#include "core/stats.h"

namespace genbench {

class BenignOverfittingDetector : public Detector {
 public:
  std::string name() const override { return "benign_overfitting"; }
  std::vector<std::string> summaries() const override {
    return {"*_mean", "*_sem", "theory_rel_gap", "spiked_*"};
  }

  std::vector<std::string> headline() const override {
    return {"excess_risk_mean", "excess_risk_sem", "train_mse_mean", "theory_excess_risk", "r0_over_n",
            "k_star",           "n_over_R_k_star", "bllt_variance"};
  }

  // Per run the same Monte Carlo means as the double-descent suite: one implementation.
  std::map<std::string, double> analyse(const RunRecord& run) const override {
    return find_detector("double_descent")->analyse(run);
  }

  std::map<std::string, double> analyse_suite(const ResultsFile& file) const override {
    std::map<double, std::pair<double, size_t>> by_eps;  // spiked, min-norm: eps -> (sum, draws)
    for (const auto& r : file.runs) {
      if (r.task != "linear_regression" || r.status != RunStatus::Ok || r.params.get_string("spectrum") != "spiked" ||
          r.params.get_float("ridge") != 0)
        continue;
      if (const auto* v = r.metric("excess_risk"))
        for (double x : *v) by_eps[r.params.get_float("spike_eps")].first += x, ++by_eps[r.params.get_float("spike_eps")].second;
    }
    std::map<std::string, double> out;
    if (by_eps.size() < 2) return out;
    double previous = -INFINITY;
    bool increasing = true;
    for (const auto& [eps, acc] : by_eps) {
      double mean = acc.first / static_cast<double>(acc.second);
      increasing = increasing && mean > previous;
      previous = mean;
    }
    out["spiked_risk_increases_with_eps"] = increasing ? 1 : 0;
    out["spiked_smallest_eps_excess_risk"] = by_eps.begin()->second.first / static_cast<double>(by_eps.begin()->second.second);
    return out;
  }

  std::vector<SweepPlot> sweep_plots() const override {
    return {{"spiked covariance: excess risk against the tail eigenvalue eps (dashed: sigma^2 (k*/n + n/R_k*))",
             "spike_eps", "excess_risk_mean", "bllt_variance", {"n", "spike_count"}, true, true}};
  }

  std::optional<std::vector<std::string>> trajectory_metrics() const override { return std::vector<std::string>{}; }
};

GENBENCH_REGISTER_DETECTOR(BenignOverfittingDetector);

// Mallinar et al.'s taxonomy read at finite n: the slope of the clean test
// MSE against the variance of the label noise fitted, sigma^2 = 4 rho (1 - rho)
// for flipped +-1 labels (least squares through the noiseless point, over
// every level), at each n. Catastrophic: the excess risk diverges as n grows,
// seen either as a slope that keeps rising with n (by more than kRising from
// the smallest n to the largest) or as a slope above 1 (the interpolant
// amplifies the noise it fits beyond its own variance). Benign: the noise
// barely reaches the test error (slope < 0.1) and is not rising. Tempered:
// the rest, an excess proportional to the noise, steady in n.
constexpr double kBenignSlope = 0.1, kCatastrophicSlope = 1.0, kRising = 1.3;

// A sweep point's own name without the grid values the harness appends
// ("laplace_sphere n=500 label_noise=0.1" -> "laplace_sphere"); for an
// unnamed point, its kernel, data and bandwidth.
std::string curve_name(const RunRecord& r) {
  auto name = r.point.substr(0, r.point.find(' '));
  if (!name.empty() && name.find('=') == std::string::npos) return name;
  std::ostringstream out;
  out << r.params.get_string("kernel") << "_" << r.params.get_string("data") << "_L" << r.params.get_float("bandwidth");
  return out.str();
}

class BenignOverfittingKernelDetector : public Detector {
 public:
  std::string name() const override { return "benign_overfitting_kernel"; }
  std::vector<std::string> summaries() const override {
    return {"*_mean", "*_noise_slope", "*_regime", "*_slope_growth"};
  }

  std::vector<std::string> headline() const override {
    return {"test_mse_mean", "test_error_mean", "train_mse_mean", "noise_variance"};
  }

  std::map<std::string, double> analyse(const RunRecord& run) const override {
    std::map<std::string, double> out;
    for (const char* m : {"test_mse", "test_error", "train_mse", "train_error"})
      if (const auto* v = run.metric(m); v && !v->empty()) out[std::string(m) + "_mean"] = mean_of(*v);
    return out;
  }

  // Per point and n: <point>_n<n>_noise_slope; per point: <point>_noise_slope
  // (at its largest n), with several n <point>_slope_growth (slope at the
  // largest n / at the smallest), and <point>_regime: 0 benign, 1 tempered,
  // 2 catastrophic.
  std::map<std::string, double> analyse_suite(const ResultsFile& file) const override {
    // point -> n -> noise variance -> (sum of test MSE over trials and seeds, count)
    std::map<std::string, std::map<int64_t, std::map<double, std::pair<double, size_t>>>> curves;
    for (const auto& r : file.runs) {
      const auto* v = r.metric("test_mse");
      if (r.task != "interpolation_kernel" || r.status != RunStatus::Ok || !v) continue;
      auto& acc = curves[curve_name(r)][r.params.get_int("n")][r.summary_or("noise_variance", 0)];
      for (double x : *v) acc.first += x, ++acc.second;
    }
    std::map<std::string, double> out;
    for (const auto& [point, by_n] : curves) {
      std::map<int64_t, double> slopes;
      for (const auto& [n, by_noise] : by_n) {
        auto clean = by_noise.find(0.0);
        if (clean == by_noise.end() || by_noise.size() < 2) continue;
        double base = clean->second.first / static_cast<double>(clean->second.second), num = 0, den = 0;
        for (const auto& [variance, acc] : by_noise) {
          num += variance * (acc.first / static_cast<double>(acc.second) - base);
          den += variance * variance;
        }
        slopes[n] = num / den;
        out[point + "_n" + std::to_string(n) + "_noise_slope"] = slopes[n];
      }
      if (slopes.empty()) continue;
      double slope = slopes.rbegin()->second;
      bool rising = false;
      if (slopes.size() > 1 && slopes.begin()->second > 0) {
        double growth = slope / slopes.begin()->second;
        out[point + "_slope_growth"] = growth;
        rising = growth > kRising;
      }
      out[point + "_noise_slope"] = slope;
      out[point + "_regime"] = slope > kCatastrophicSlope || rising ? 2 : slope < kBenignSlope ? 0 : 1;
    }
    return out;
  }

  std::vector<SweepPlot> sweep_plots() const override {
    return {{"clean test MSE against the variance of the fitted label noise", "noise_variance", "test_mse_mean", "",
             {"kernel", "data", "bandwidth", "n"}, false, false},
            {"clean test error against the label-noise rate", "label_noise", "test_error_mean", "",
             {"kernel", "data", "bandwidth", "n"}, false, false}};
  }

  std::optional<std::vector<std::string>> trajectory_metrics() const override { return std::vector<std::string>{}; }
};

GENBENCH_REGISTER_DETECTOR(BenignOverfittingKernelDetector);

// The XOR-cluster signature (Xu et al.): the network fits the noisy training
// set at chance on the test set, then generalizes without unfitting it.
class BenignOverfittingXorDetector : public Detector {
 public:
  std::string name() const override { return "benign_overfitting_xor"; }
  std::vector<std::string> summaries() const override {
    return {"final_*", "fit_step", "generalization_step", "max_test_accuracy", "min_train_accuracy_flipped_after_fit", "step1_*"};
  }

  std::vector<std::string> headline() const override {
    return {"step1_train_accuracy", "step1_test_accuracy", "fit_step", "generalization_step",
            "final_test_accuracy",  "min_train_accuracy_flipped_after_fit"};
  }

  std::map<std::string, double> analyse(const RunRecord& run) const override {
    std::map<std::string, double> out;
    if (!run.metric("train_accuracy") || !run.metric("test_accuracy")) return out;
    if (auto v = value_at(run, "train_accuracy", 1)) out["step1_train_accuracy"] = *v;
    if (auto v = value_at(run, "test_accuracy", 1)) out["step1_test_accuracy"] = *v;
    // every training label fitted, the flipped ones included
    if (auto fit = first_step_at_least(run, "train_accuracy", 1.0)) {
      out["fit_step"] = static_cast<double>(*fit);
      if (const auto* flipped = run.metric("train_accuracy_flipped")) {
        double lowest = 1;
        for (size_t i = 0; i < run.steps.size(); ++i)
          if (run.steps[i] >= *fit) lowest = std::min(lowest, (*flipped)[i]);
        out["min_train_accuracy_flipped_after_fit"] = lowest;
      }
    }
    if (auto generalized = first_step_at_least(run, "test_accuracy", 0.95))
      out["generalization_step"] = static_cast<double>(*generalized);
    for (const char* m : {"train_accuracy", "train_accuracy_flipped", "test_accuracy", "feature_alignment"})
      if (auto v = final_value(run, m)) out[std::string("final_") + m] = *v;
    if (auto v = largest_value(run, "test_accuracy")) out["max_test_accuracy"] = *v;
    return out;
  }

  std::optional<std::vector<std::string>> trajectory_metrics() const override {
    return std::vector<std::string>{"train_accuracy", "train_accuracy_flipped", "test_accuracy", "train_loss",
                                    "feature_alignment"};
  }
};

GENBENCH_REGISTER_DETECTOR(BenignOverfittingXorDetector);

}  // namespace genbench
