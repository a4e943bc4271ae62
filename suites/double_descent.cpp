// Double-descent detector: per run the Monte Carlo means beside the closed
// form; per sweep the peak, its height against the best under-parameterized
// point, the distance to the finite-n theory and where the risk is lowest
// past the interpolation threshold.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "suites/detector.h"
#include "core/stats.h"

namespace genbench {

namespace {


struct GammaPoint {
  double gamma = 0, sum = 0, theory = NAN;
  int64_t p = 0, n = 0;
  size_t trials = 0;
  // |gamma - 1| >= 0.2 in integers: as doubles, 1 - 0.8 is 0.19999999999999996
  // and gamma 0.8 and 1.2 would be left out.
  bool away_from_threshold() const { return 5 * std::llabs(p - n) >= n; }
  double mean() const { return sum / static_cast<double>(trials); }
};

}  // namespace

class DoubleDescentDetector : public Detector {
 public:
  std::string name() const override { return "double_descent"; }
  std::vector<std::string> summaries() const override {
    return {"*_mean", "*_sem", "theory_rel_gap", "test_error", "train_error", "test_loss", "train_loss", "best_test_epoch", "best_test_error", "final_*", "linear_*", "rf_*", "mlp_*"};
  }

  std::vector<std::string> headline() const override {
    return {"gamma",          "excess_risk_mean",  "theory_excess_risk", "theory_rel_gap", "test_mse_mean",
            "train_mse_mean", "N_over_n",          "test_error",         "train_error",    "test_loss",
            "parameters",     "final_test_error",  "final_train_error",  "best_test_error", "best_test_epoch"};
  }

  std::map<std::string, double> analyse(const RunRecord& run) const override {
    std::map<std::string, double> out;
    for (const char* m : {"excess_risk", "test_mse", "train_mse"})
      if (const auto* v = run.metric(m)) {
        double mean = mean_of(*v), var = 0;
        for (double x : *v) var += (x - mean) * (x - mean);
        out[std::string(m) + "_mean"] = mean;
        if (v->size() > 1) out[std::string(m) + "_sem"] = std::sqrt(var / static_cast<double>(v->size() - 1) / static_cast<double>(v->size()));
      }
    if (run.task == "mlp_classifier") {  // the end of training, and the early-stopping optimum
      for (const char* m : {"test_error", "train_error", "train_error_clean", "test_loss"})
        if (auto v = final_value(run, m)) out[std::string("final_") + m] = *v;
      if (const auto* e = run.metric("test_error"); e && !e->empty()) {
        auto best = std::min_element(e->begin(), e->end()) - e->begin();
        out["best_test_error"] = (*e)[static_cast<size_t>(best)];
        out["best_test_epoch"] = static_cast<double>(run.steps[static_cast<size_t>(best)]);
      }
    }
    if (run.task == "random_features")  // one solve, one row: its values are the result
      for (const char* m : {"test_error", "train_error", "test_loss", "train_loss"})
        if (const auto* v = run.metric(m); v && !v->empty()) out[m] = v->back();
    auto theory = run.summaries.find("theory_excess_risk");
    if (theory != run.summaries.end() && out.count("excess_risk_mean"))
      out["theory_rel_gap"] = out["excess_risk_mean"] / theory->second - 1;
    return out;
  }

  std::map<std::string, double> analyse_suite(const ResultsFile& file) const override {
    auto out = linear_summaries(file);
    for (const auto& [k, v] : random_features_summaries(file)) out[k] = v;
    for (const auto& [k, v] : mlp_summaries(file)) out[k] = v;
    return out;
  }

  // The MLP width sweep, on the mean over seeds of the final errors: the
  // interpolation threshold (the narrowest width whose train error is <= 1%),
  // the best width below it, the worst width from there on, and the widest.
  static std::map<std::string, double> mlp_summaries(const ResultsFile& file) {
    std::map<int64_t, std::pair<std::vector<double>, std::vector<double>>> by_k;  // k -> (test, train)
    for (const auto& r : file.runs) {
      if (r.task != "mlp_classifier" || r.status != RunStatus::Ok) continue;
      auto test = final_value(r, "test_error"), train = final_value(r, "train_error");
      if (!test || !train) continue;
      auto& slot = by_k[r.params.get_int("k")];
      slot.first.push_back(*test);
      slot.second.push_back(*train);
    }
    std::map<std::string, double> out;
    auto curve = mlp_curve(by_k);
    if (curve.size() < 3) return out;
    return mlp_shape(curve);
  }

  struct WidthPoint {
    int64_t k;
    double test, train;
  };

  static std::vector<WidthPoint> mlp_curve(
      const std::map<int64_t, std::pair<std::vector<double>, std::vector<double>>>& by_k) {
    std::vector<WidthPoint> curve;
    for (const auto& [k, v] : by_k) curve.push_back({k, mean_of(v.first), mean_of(v.second)});
    return curve;
  }

  // The shape of one test-error-against-width curve.
  static std::map<std::string, double> mlp_shape(const std::vector<WidthPoint>& curve) {
    std::map<std::string, double> out;
    size_t threshold = curve.size();
    for (size_t i = 0; i < curve.size() && threshold == curve.size(); ++i)
      if (curve[i].train <= 0.01) threshold = i;
    if (threshold == curve.size() || threshold == 0) return out;  // never interpolates, or always does
    size_t under = 0;
    for (size_t i = 1; i < threshold; ++i)
      if (curve[i].test < curve[under].test) under = i;
    size_t peak = under;
    for (size_t i = under; i < curve.size(); ++i)
      if (curve[i].test > curve[peak].test) peak = i;
    out["mlp_interpolation_k"] = static_cast<double>(curve[threshold].k);
    out["mlp_best_under_k"] = static_cast<double>(curve[under].k);
    out["mlp_best_under_test_error"] = curve[under].test;
    out["mlp_peak_k"] = static_cast<double>(curve[peak].k);
    out["mlp_peak_test_error"] = curve[peak].test;
    out["mlp_widest_k"] = static_cast<double>(curve.back().k);
    out["mlp_widest_test_error"] = curve.back().test;
    out["mlp_peak_grid_steps_from_threshold"] = std::fabs(static_cast<double>(peak) - static_cast<double>(threshold));
    return out;
  }


  // Random features without label noise: the mean test error over seeds per
  // N/n; where it peaks, and how it compares with the best N <= n/2 and the widest.
  static std::map<std::string, double> random_features_summaries(const ResultsFile& file) {
    std::map<double, std::vector<double>> by_ratio;
    for (const auto& r : file.runs) {
      if (r.task != "random_features" || r.status != RunStatus::Ok || r.params.get_float("label_noise") != 0 ||
          r.params.get_float("ridge") != 0)
        continue;
      const auto* e = r.metric("test_error");
      auto ratio = r.summaries.find("N_over_n");
      if (e && !e->empty() && ratio != r.summaries.end()) by_ratio[ratio->second].push_back(e->back());
    }
    std::map<std::string, double> out;
    if (by_ratio.size() < 3) return out;
    double peak = -1, peak_ratio = 0, best_half = INFINITY;
    for (const auto& [ratio, errors] : by_ratio) {
      double m = mean_of(errors);
      if (m > peak) peak = m, peak_ratio = ratio;
      if (ratio <= 0.5) best_half = std::min(best_half, m);
    }
    out["rf_peak_N_over_n"] = peak_ratio;
    out["rf_peak_test_error"] = peak;
    out["rf_widest_N_over_n"] = by_ratio.rbegin()->first;
    out["rf_widest_test_error"] = mean_of(by_ratio.rbegin()->second);
    if (std::isfinite(best_half)) {
      out["rf_best_test_error_N_below_half_n"] = best_half;
      out["rf_peak_over_best_below_half"] = peak / best_half;
    }
    return out;
  }

  static std::map<std::string, double> linear_summaries(const ResultsFile& file) {
    // Min-norm linear regression: pool every trial of every seed per gamma.
    std::map<double, GammaPoint> by_gamma;
    double r2 = NAN, sigma2 = NAN;
    for (const auto& r : file.runs) {
      if (r.task != "linear_regression" || r.status != RunStatus::Ok || r.params.get_float("ridge") != 0) continue;
      const auto* v = r.metric("excess_risk");
      auto g = r.summaries.find("gamma");
      if (!v || g == r.summaries.end()) continue;
      auto& point = by_gamma[g->second];
      point.gamma = g->second;
      point.p = r.params.get_int("p"), point.n = r.params.get_int("n");
      for (double x : *v) point.sum += x, ++point.trials;
      if (auto t = r.summaries.find("theory_excess_risk"); t != r.summaries.end()) point.theory = t->second;
      r2 = r.params.get_float("r2"), sigma2 = r.params.get_float("sigma2");
    }
    std::map<std::string, double> out;
    if (by_gamma.size() < 3) return out;
    double worst_gap = 0, best_under = INFINITY, peak = -INFINITY, peak_gamma = NAN, best_over = INFINITY,
           best_over_gamma = NAN;
    for (const auto& [gamma, p] : by_gamma) {
      double m = p.mean();
      if (p.away_from_threshold() && std::isfinite(p.theory))
        worst_gap = std::max(worst_gap, std::fabs(m / p.theory - 1));
      if (gamma < 1) best_under = std::min(best_under, m);
      if (gamma > 1 && m < best_over) best_over = m, best_over_gamma = gamma;
      if (m > peak) peak = m, peak_gamma = gamma;
    }
    out["linear_max_rel_gap_to_theory"] = worst_gap;  // over |gamma - 1| >= 0.2
    out["linear_peak_gamma"] = peak_gamma;
    if (std::isfinite(best_under)) out["linear_peak_over_best_under"] = peak / best_under;
    if (std::isfinite(best_over_gamma)) {
      out["linear_argmin_gamma_over_1"] = best_over_gamma;
      out["linear_min_risk_over_1"] = best_over;
    }
    double snr = r2 / sigma2;
    if (snr > 1) {  // the asymptotic optimum over gamma > 1 (Hastie et al.)
      double gamma_star = std::sqrt(snr) / (std::sqrt(snr) - 1);
      out["linear_gamma_star"] = gamma_star;
      // grid steps between the simulated argmin and the grid point nearest gamma*
      std::vector<double> grid;
      for (const auto& [gamma, p] : by_gamma)
        if (gamma > 1) grid.push_back(gamma);
      auto nearest = std::min_element(grid.begin(), grid.end(), [&](double a, double b) {
        return std::fabs(a - gamma_star) < std::fabs(b - gamma_star);
      });
      auto argmin = std::find(grid.begin(), grid.end(), best_over_gamma);
      out["linear_argmin_grid_steps_from_gamma_star"] = std::fabs(static_cast<double>(argmin - nearest));
    }
    return out;
  }

  // The linear task's "steps" are independent draws and random features log
  // one row: only the MLP's epochs make trajectories.
  std::optional<std::vector<std::string>> trajectory_metrics() const override {
    return std::vector<std::string>{"test_error", "train_error", "train_error_clean"};
  }
  std::vector<std::string> heatmap_metrics() const override { return {"test_error", "train_error"}; }

  std::vector<SweepPlot> sweep_plots() const override {
    return {{"excess risk against p/n (median over seeds; dashed: finite-n theory)", "gamma", "excess_risk_mean",
             "theory_excess_risk", {"n", "ridge"}, true, true},
            {"test MSE against p/n", "gamma", "test_mse_mean", "", {"n", "ridge"}, true, true},
            {"random features: test error against N/n", "N_over_n", "test_error", "", {"n", "label_noise", "ridge"}, true,
             false},
            {"random features: train error against N/n", "N_over_n", "train_error", "", {"n", "label_noise", "ridge"},
             true, false},
            {"MLP: final test error against width k", "k", "final_test_error", "", {"n", "label_noise", "epochs"}, true,
             false},
            {"MLP: final train error against width k", "k", "final_train_error", "", {"n", "label_noise", "epochs"},
             true, false}};
  }
};

GENBENCH_REGISTER_DETECTOR(DoubleDescentDetector);

}  // namespace genbench
