#include "tasks/linear_regression.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>

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
      float_param("r2", 1.0, "signal strength ||beta*||^2", 0),
      float_param("sigma2", 0.25, "noise variance", 0),
      float_param("ridge", 0.0, "ridge penalty lambda (objective ||y - X b||^2 / n + lambda ||b||^2); 0: min-norm", 0),
      int_param("n_test", 1000, "fresh samples for the test MSE", 1),
      int_param("trials", 200, "independent draws in one run (one trajectory step each)", 1),
      choice_param("spectrum", "isotropic", {"isotropic", "spiked", "power_law"}, "covariance eigenvalues"),
      int_param("spike_count", 5, "spiked: how many eigenvalues are 1", 0),
      float_param("spike_eps", 1e-3, "spiked: the other eigenvalues", 0),
      float_param("power_a", 1.0, "power_law: lambda_k = k^-a log(k + 1)^-b", 0),
      float_param("power_b", 0.0, "power_law: the log exponent b", 0),
      int_param("beta_dims", 0, "beta* lives in the first beta_dims directions (0: all p)", 0),
      float_param("bllt_b", 1.0, "the constant b of k* = min{k : r_k >= b n}", 0),
  };
}

std::string LinearRegression::check(const Params& params) const {
  if (params.get_int("beta_dims") > params.get_int("p"))
    return "beta_dims (" + std::to_string(params.get_int("beta_dims")) + ") must be <= p (" +
           std::to_string(params.get_int("p")) + ")";
  if (params.get_string("spectrum") == "spiked" && params.get_int("spike_count") > params.get_int("p"))
    return "spike_count must be <= p";
  return "";
}

std::vector<double> covariance_spectrum(const Params& params) {
  const auto p = params.get_int("p");
  const auto& kind = params.get_string("spectrum");
  std::vector<double> lambda(static_cast<size_t>(p), 1.0);
  if (kind == "spiked")
    for (int64_t i = params.get_int("spike_count"); i < p; ++i) lambda[static_cast<size_t>(i)] = params.get_float("spike_eps");
  if (kind == "power_law")
    for (int64_t k = 1; k <= p; ++k)
      lambda[static_cast<size_t>(k - 1)] = std::pow(static_cast<double>(k), -params.get_float("power_a")) *
                                           std::pow(std::log(static_cast<double>(k) + 1), -params.get_float("power_b"));
  std::sort(lambda.begin(), lambda.end(), std::greater<double>());
  return lambda;
}

EffectiveRanks effective_ranks(const std::vector<double>& lambda, double b, int64_t n) {
  EffectiveRanks out;
  // Tail sums from the end, so every r_k and R_k is O(1).
  const size_t p = lambda.size();
  std::vector<double> tail(p + 1, 0.0), tail_sq(p + 1, 0.0);
  for (size_t i = p; i-- > 0;) {
    tail[i] = tail[i + 1] + lambda[i];
    tail_sq[i] = tail_sq[i + 1] + lambda[i] * lambda[i];
  }
  if (p == 0) return out;
  out.r0 = tail[0] / lambda[0];
  for (size_t k = 0; k < p; ++k)
    if (tail[k] / lambda[k] >= b * static_cast<double>(n)) {  // r_k uses lambda_{k+1}, index k from 0
      out.k_star = static_cast<int64_t>(k);
      out.R_k_star = tail[k] * tail[k] / tail_sq[k];
      break;
    }
  return out;
}

void LinearRegression::run(const RunContext& ctx, MetricSink& sink) const {
  const auto& prm = ctx.params;
  const int64_t n = prm.get_int("n"), p = prm.get_int("p"), n_test = prm.get_int("n_test");
  const int64_t trials = prm.get_int("trials");
  const double r2 = prm.get_float("r2"), sigma2 = prm.get_float("sigma2"), ridge = prm.get_float("ridge");
  const double gamma = static_cast<double>(p) / static_cast<double>(n);
  const bool isotropic = prm.get_string("spectrum") == "isotropic";
  const auto lambda = covariance_spectrum(prm);
  sink.summary("gamma", gamma);
  auto ranks = effective_ranks(lambda, prm.get_float("bllt_b"), n);
  sink.summary("r0_over_n", ranks.r0 / static_cast<double>(n));
  if (ranks.k_star >= 0) {
    auto nd = static_cast<double>(n);
    sink.summary("k_star", static_cast<double>(ranks.k_star));
    sink.summary("k_star_over_n", static_cast<double>(ranks.k_star) / nd);
    sink.summary("n_over_R_k_star", nd / ranks.R_k_star);
    sink.summary("bllt_variance", sigma2 * (static_cast<double>(ranks.k_star) / nd + nd / ranks.R_k_star));
  }
  if (ridge == 0 && isotropic) {
    if (auto v = min_norm_risk_finite(n, p, r2, sigma2)) sink.summary("theory_excess_risk", *v);
    if (auto v = min_norm_risk_asymptotic(gamma, r2, sigma2)) sink.summary("theory_excess_risk_asymptotic", *v);
  }

  auto gen = at::make_generator<at::CPUGeneratorImpl>(ctx.seed);
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const auto device = torch::Device(ctx.device);
  const double sigma = std::sqrt(sigma2);
  torch::NoGradGuard no_grad;
  const int64_t beta_dims = prm.get_int("beta_dims") > 0 ? prm.get_int("beta_dims") : p;
  auto lambda_t = torch::tensor(lambda, f64);
  auto scale = lambda_t.sqrt();  // x = z * sqrt(lambda): covariance diag(lambda)
  for (int64_t t = 0; t < trials && !ctx.stop; ++t) {
    // Draws on the CPU from the run's generator, so results do not depend on the device.
    auto beta = torch::zeros({p}, f64);
    auto lead = torch::randn({beta_dims}, gen, f64);
    beta.slice(0, 0, beta_dims).copy_(lead * (std::sqrt(r2) / lead.norm()));
    auto X = torch::randn({n, p}, gen, f64);
    if (!isotropic) X *= scale;
    auto y = X.mv(beta) + sigma * torch::randn({n}, gen, f64);
    auto X_test = torch::randn({n_test, p}, gen, f64);
    if (!isotropic) X_test *= scale;
    auto y_test = X_test.mv(beta) + sigma * torch::randn({n_test}, gen, f64);
    X = X.to(device), y = y.to(device), beta = beta.to(device), X_test = X_test.to(device), y_test = y_test.to(device);

    torch::Tensor beta_hat;
    if (ridge > 0) {
      // Whichever of the p x p and n x n systems is smaller.
      auto nl = static_cast<double>(n) * ridge;
      if (p <= n)
        beta_hat = torch::linalg_solve(X.t().mm(X) + nl * torch::eye(p, X.options()), X.t().mv(y), true);
      else
        beta_hat = X.t().mv(torch::linalg_solve(X.mm(X.t()) + nl * torch::eye(n, X.options()), y, true));
    } else if (p >= 2 * n) {
      // Far past the threshold X X^T is well conditioned: the n x n (kernel)
      // form costs 2 n^2 p against an SVD's ~4 n^2 p plus forming a p x n pinv.
      beta_hat = X.t().mv(torch::linalg_solve(X.mm(X.t()), y, true));
    } else {
      beta_hat = at::linalg_pinv(X).mv(y);  // SVD-based: the min-norm solution on any device, also at p = n
    }
    auto diff = beta_hat - beta;
    double excess = (isotropic ? diff.dot(diff) : (diff.square() * lambda_t.to(device)).sum()).item<double>();
    double test_mse = (X_test.mv(beta_hat) - y_test).square().mean().item<double>();
    double train_mse = (X.mv(beta_hat) - y).square().mean().item<double>();
    sink.log(t, {{"excess_risk", excess}, {"test_mse", test_mse}, {"train_mse", train_mse}});
  }
}

GENBENCH_REGISTER_TASK(LinearRegression);

}  // namespace genbench
