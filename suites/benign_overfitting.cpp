// Benign-overfitting detector: the interpolator's excess risk beside the
// Bartlett-Long-Lugosi-Tsigler quantities, and across the sweep whether the
// risk grows with the spike's tail as the theory says.
#include <cmath>
#include <map>

#include "suites/detector.h"

namespace genbench {

class BenignOverfittingDetector : public Detector {
 public:
  std::string name() const override { return "benign_overfitting"; }

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
      if (r.task != "linear_regression" || r.status != "ok" || r.params.get_string("spectrum") != "spiked" ||
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

}  // namespace genbench
