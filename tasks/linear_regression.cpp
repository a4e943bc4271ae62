#include "tasks/linear_regression.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>

namespace genbench {

std::optional<double> min_norm_risk_finite(int64_t n, int64_t p, double r2, double sigma2) {
  auto nd = static_cast<double>(n), pd = static_cast<double>(p);
  if (p < n - 1) return sigma2 * pd / (nd - pd - 1);
  if (p > n + 1) return r2 * (1 - nd / pd) + sigma2 * nd / (pd - nd - 1);
  return std::nullopt;
}

std::optional<double> min_norm_risk_asymptotic(double gamma, double r2, double sigma2) {
  if (gamma < 1) return sigma2 * gamma / (1 - gamma);
  if (gamma > 1) return r2 * (1 - 1 / gamma) + sigma2 / (gamma - 1);
  return std::nullopt;
}

std::vector<ParamSpec> LinearRegression::params() const {
  return {
      int_param("n", 100, "training samples", 1),
      int_param("p", 50, "features", 1),
      float_param("r2", 1.0, "signal strength ||beta||^2", 0),
      float_param("sigma2", 0.25, "noise variance", 0),
      float_param("ridge", 0.0, "ridge penalty lambda (objective ||y - X b||^2 / n + lambda ||b||^2); 0: min-norm", 0),
      int_param("n_test", 1000, "fresh samples for the test MSE", 1),
      int_param("trials", 200, "independent draws in one run (one trajectory step each)", 1),
  };
}

void LinearRegression::run(const RunContext& ctx, MetricSink& sink) const {
  const auto& prm = ctx.params;
  const int64_t n = prm.get_int("n"), p = prm.get_int("p"), n_test = prm.get_int("n_test");
  const int64_t trials = prm.get_int("trials");
  const double r2 = prm.get_float("r2"), sigma2 = prm.get_float("sigma2"), ridge = prm.get_float("ridge");
  const double gamma = static_cast<double>(p) / static_cast<double>(n);
  sink.summary("gamma", gamma);
  if (ridge == 0) {
    if (auto v = min_norm_risk_finite(n, p, r2, sigma2)) sink.summary("theory_excess_risk", *v);
    if (auto v = min_norm_risk_asymptotic(gamma, r2, sigma2)) sink.summary("theory_excess_risk_asymptotic", *v);
  }

  auto gen = at::make_generator<at::CPUGeneratorImpl>(ctx.seed);
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const auto device = torch::Device(ctx.device);
  const double sigma = std::sqrt(sigma2);
  torch::NoGradGuard no_grad;
  for (int64_t t = 0; t < trials && !ctx.stop; ++t) {
    // Draws on the CPU from the run's generator, so results do not depend on the device.
    auto beta = torch::randn({p}, gen, f64);
    beta *= std::sqrt(r2) / beta.norm();
    auto X = torch::randn({n, p}, gen, f64);
    auto y = X.mv(beta) + sigma * torch::randn({n}, gen, f64);
    auto X_test = torch::randn({n_test, p}, gen, f64);
    auto y_test = X_test.mv(beta) + sigma * torch::randn({n_test}, gen, f64);
    X = X.to(device), y = y.to(device), beta = beta.to(device), X_test = X_test.to(device), y_test = y_test.to(device);

    torch::Tensor beta_hat;
    if (ridge > 0) {
      // Whichever of the p x p and n x n systems is smaller.
      auto nl = static_cast<double>(n) * ridge;
      if (p <= n)
        beta_hat = torch::linalg::solve(X.t().mm(X) + nl * torch::eye(p, X.options()), X.t().mv(y), true);
      else
        beta_hat = X.t().mv(torch::linalg::solve(X.mm(X.t()) + nl * torch::eye(n, X.options()), y, true));
    } else {
      beta_hat = at::linalg_pinv(X).mv(y);  // SVD-based: the min-norm solution on any device, also at p = n
    }
    auto diff = beta_hat - beta;
    double excess = diff.dot(diff).item<double>();
    double test_mse = (X_test.mv(beta_hat) - y_test).square().mean().item<double>();
    double train_mse = (X.mv(beta_hat) - y).square().mean().item<double>();
    sink.log(t, {{"excess_risk", excess}, {"test_mse", test_mse}, {"train_mse", train_mse}});
  }
}

GENBENCH_REGISTER_TASK(LinearRegression);

}  // namespace genbench
