// Min-norm (ridgeless) least squares on Gaussian features with a chosen
// covariance spectrum: the setting of Hastie, Montanari, Rosset and
// Tibshirani's double descent (isotropic) and of Bartlett, Long, Lugosi and
// Tsigler's benign overfitting (spiked, power law).
//
// A run does `trials` independent draws (step t of the trajectory is trial t):
// x ~ N(0, Sigma) with Sigma = diag(lambda_1 >= lambda_2 >= ...) (w.l.o.g.), n
// rows; beta* uniform on the sphere of radius r (||beta*||^2 = r2) in the
// first `beta_dims` coordinates (0: all p), the leading directions; y = x beta*
// + eps, Var eps = sigma2. The estimator is the min-norm interpolator, in the
// n x n kernel form X^T (X X^T)^-1 y when p >= 2n and as pinv(X) y (an SVD)
// nearer the threshold, where X X^T is ill-conditioned: no p x p matrix is
// ever built. With `ridge` > 0, ridge with penalty `ridge` * n. Per trial it logs the exact excess
// risk (beta_hat - beta*)^T Sigma (beta_hat - beta*), the test MSE on n_test
// fresh samples and the train MSE.
//
// Spectra: isotropic (all 1); spiked (spike_count eigenvalues 1, then
// spike_eps); power_law (lambda_k = k^-power_a log(k + 1)^-power_b).
//
// Summaries: gamma = p/n; for the isotropic spectrum the closed forms
//   theory_excess_risk (finite n, Gaussian design):
//     sigma2 p / (n - p - 1)                      for p < n - 1
//     r2 (1 - n/p) + sigma2 n / (p - n - 1)       for p > n + 1   (absent near p = n)
//   theory_excess_risk_asymptotic:
//     sigma2 gamma / (1 - gamma) for gamma < 1, r2 (1 - 1/gamma) + sigma2 / (gamma - 1) for gamma > 1
// (ridge > 0 has no closed form here: the theory summaries are left out);
// for every spectrum the BLLT quantities: effective ranks r_k = sum_{i>k}
// lambda_i / lambda_{k+1} and R_k = (sum_{i>k} lambda_i)^2 / sum_{i>k}
// lambda_i^2, k* = min{k >= 0 : r_k >= bllt_b n}, as r0_over_n, k_star,
// k_star_over_n, n_over_R_k_star and bllt_variance = sigma2 (k*/n + n/R_k*).
#pragma once

#include <optional>
#include <vector>

#include "tasks/task.h"

namespace genbench {

// The covariance eigenvalues of a spectrum, largest first.
std::vector<double> covariance_spectrum(const Params& params);

struct EffectiveRanks {
  double r0 = 0;         // r_0(Sigma)
  int64_t k_star = -1;   // -1 when no k has r_k >= b n
  double R_k_star = 0;   // R_{k*}(Sigma)
};
// BLLT's effective ranks of a spectrum (largest first), O(p).
EffectiveRanks effective_ranks(const std::vector<double>& lambda, double b, int64_t n);

// The closed forms above; nullopt where they are undefined.
std::optional<double> min_norm_risk_finite(int64_t n, int64_t p, double r2, double sigma2);
std::optional<double> min_norm_risk_asymptotic(double gamma, double r2, double sigma2);

class LinearRegression : public Task {
 public:
  std::string name() const override { return "linear_regression"; }
  std::vector<std::pair<std::string, std::string>> units() const override {
    return {{"step", "draw"}, {"excess_risk", "E(x'(b_hat - b))^2"}, {"test_mse", "squared error"}, {"train_mse", "squared error"}};
  }
  int64_t last_step(const Params& params) const override { return params.get_int("trials") - 1; }
  std::vector<std::string> summaries() const override { return {"gamma", "r0_over_n", "k_star", "k_star_over_n", "n_over_R_k_star", "bllt_variance", "theory_excess_risk", "theory_excess_risk_asymptotic"}; }
  std::string summary() const override {
    return "min-norm / ridge least squares on Gaussian features (isotropic, spiked, power-law spectra) with theory";
  }
  std::vector<ParamSpec> params() const override;
  std::string check(const Params& params) const override;
  void run(const RunContext& ctx, MetricSink& sink) const override;
};

}  // namespace genbench
