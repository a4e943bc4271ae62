// Min-norm (ridgeless) least squares on isotropic Gaussian features, the
// setting of Hastie, Montanari, Rosset and Tibshirani's double descent.
//
// A run does `trials` independent draws (step t of the trajectory is trial t):
// X ~ N(0, I_p) with n rows, beta uniform on the sphere of radius r
// (||beta||^2 = r2), y = X beta + eps, Var eps = sigma2. The estimator is the
// min-norm interpolator pinv(X) y, or ridge with penalty `ridge` * n when > 0.
// Per trial it logs the excess risk ||beta_hat - beta||^2 (exact for isotropic
// x), the test MSE on n_test fresh samples and the train MSE.
//
// Summaries: gamma = p/n and the closed forms beside the simulation:
//   theory_excess_risk (finite n, Gaussian design):
//     sigma2 p / (n - p - 1)                      for p < n - 1
//     r2 (1 - n/p) + sigma2 n / (p - n - 1)       for p > n + 1   (absent near p = n)
//   theory_excess_risk_asymptotic:
//     sigma2 gamma / (1 - gamma) for gamma < 1, r2 (1 - 1/gamma) + sigma2 / (gamma - 1) for gamma > 1
// (ridge > 0 has no closed form here: the theory summaries are left out).
#pragma once

#include <optional>

#include "tasks/task.h"

namespace genbench {

// The closed forms above; nullopt where they are undefined.
std::optional<double> min_norm_risk_finite(int64_t n, int64_t p, double r2, double sigma2);
std::optional<double> min_norm_risk_asymptotic(double gamma, double r2, double sigma2);

class LinearRegression : public Task {
 public:
  std::string name() const override { return "linear_regression"; }
  std::string summary() const override {
    return "min-norm / ridge least squares on isotropic Gaussian features, with the double-descent closed form";
  }
  std::vector<ParamSpec> params() const override;
  void run(const RunContext& ctx, MetricSink& sink) const override;
};

}  // namespace genbench
