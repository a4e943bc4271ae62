#include "tasks/matrix_sensing.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace genbench {

std::vector<ParamSpec> MatrixSensing::params() const {
  return {
      int_param("d", 30, "matrix dimension (X* is d x d)", 1, 100000),
      int_param("r", 2, "rank of X*", 1),
      float_param("kappa", 2.0, "condition number of X*: eigenvalues geometric from 1 to 1/kappa "
                                "(ignored when eigenvalues is given)", 1),
      float_list_param("eigenvalues", {}, "explicit eigenvalues of X* (length must be r)", 0),
      int_param("m", 300, "number of measurements", 1),
      int_param("k", 2, "columns of the factor U (k > r over-parameterizes)", 1),
      float_param("init_scale", 1e-3, "alpha: U starts at (alpha / sqrt(d)) N(0, 1)", 0),
      choice_param("optimizer", "gd", {"gd", "scaledgd", "l1_subgradient"},
                   "gd on the l2 loss, ScaledGD(lambda), or the l1-loss subgradient method"),
      float_param("lr", 0.05, "step size eta (initial step for decaying schedules)", 0),
      float_param("lr_decay", 1.0, "step size at step t is lr * lr_decay^t", 0, 1),
      float_param("lambda", 1e-3, "damping of ScaledGD(lambda): (U^T U + lambda I)^-1", 0),
      float_param("noise_std", 0.0, "std of Gaussian noise added to every measurement", 0),
      float_param("outlier_fraction", 0.0, "fraction of measurements replaced by gross outliers", 0, 1),
      float_param("outlier_std", 10.0, "outliers are drawn from N(0, outlier_std^2)", 0),
      int_param("steps", 3000, "optimizer steps", 0),
  };
}

MatrixSensingConfig MatrixSensingConfig::from(const Params& p) {
  MatrixSensingConfig c;
  c.d = p.get_int("d");
  c.r = p.get_int("r");
  c.m = p.get_int("m");
  c.k = p.get_int("k");
  c.steps = p.get_int("steps");
  c.eigenvalues = p.get_float_list("eigenvalues");
  if (c.eigenvalues.empty()) {
    double kappa = p.get_float("kappa");
    for (int64_t i = 0; i < c.r; ++i)
      c.eigenvalues.push_back(c.r == 1 ? 1.0 : std::pow(kappa, -static_cast<double>(i) / (c.r - 1)));
  }
  c.init_scale = p.get_float("init_scale");
  c.lr = p.get_float("lr");
  c.lr_decay = p.get_float("lr_decay");
  c.lambda = p.get_float("lambda");
  c.noise_std = p.get_float("noise_std");
  c.outlier_fraction = p.get_float("outlier_fraction");
  c.outlier_std = p.get_float("outlier_std");
  c.optimizer = p.get_string("optimizer");
  return c;
}

std::string MatrixSensing::check(const Params& p) const {
  auto d = p.get_int("d"), r = p.get_int("r"), k = p.get_int("k");
  const auto& eig = p.get_float_list("eigenvalues");
  if (!eig.empty() && static_cast<int64_t>(eig.size()) != r)
    return "eigenvalues has " + std::to_string(eig.size()) + " values but r is " + std::to_string(r);
  if (r > d) return "r (" + std::to_string(r) + ") must be <= d (" + std::to_string(d) + ")";
  if (k > d) return "k (" + std::to_string(k) + ") must be <= d (" + std::to_string(d) + ")";
  if (p.get_string("optimizer") == "scaledgd" && p.get_float("lambda") == 0 && k > r)
    return "scaledgd with lambda = 0 needs k <= r: U^T U is singular otherwise";
  return "";
}

MatrixSensingProblem::MatrixSensingProblem(const MatrixSensingConfig& config, uint64_t seed, torch::Device device)
    : config_(config) {
  const auto d = config.d, m = config.m, D = d * (d + 1) / 2;
  // Every draw comes from this run's generator, on the CPU, so the problem is
  // the same whatever the device and whatever else runs in the process.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

  auto Q = std::get<0>(torch::linalg::qr(torch::randn({d, config.r}, gen, f64)));
  auto eig = torch::tensor(config.eigenvalues, f64);
  auto X_star = (Q * eig).mm(Q.t());

  std::vector<int64_t> upper, unpack(d * d);
  std::vector<double> w;
  for (int64_t i = 0; i < d; ++i)
    for (int64_t j = i; j < d; ++j) {
      unpack[i * d + j] = unpack[j * d + i] = static_cast<int64_t>(upper.size());
      upper.push_back(i * d + j);
      w.push_back(i == j ? 1.0 : std::sqrt(2.0));
    }
  auto i64 = torch::TensorOptions().dtype(torch::kInt64);
  upper_ = torch::tensor(upper, i64);
  unpack_ = torch::tensor(unpack, i64);
  w_ = torch::tensor(w, f64);

  auto A = torch::randn({m, D}, gen, f64);
  auto y = A.mv(X_star.view(-1).index_select(0, upper_) * w_);
  if (config.noise_std > 0) y += config.noise_std * torch::randn({m}, gen, f64);
  auto outliers = static_cast<int64_t>(std::llround(config.outlier_fraction * static_cast<double>(m)));
  if (outliers > 0) {
    auto idx = torch::randperm(m, gen, i64).slice(0, 0, outliers);
    y.index_put_({idx}, config.outlier_std * torch::randn({outliers}, gen, f64));
  }
  auto U = (config.init_scale / std::sqrt(static_cast<double>(d))) * torch::randn({d, config.k}, gen, f64);

  // The one place where the problem moves to its device.
  A_ = A.to(device);
  y_ = y.to(device);
  X_star_ = X_star.to(device);
  U_ = U.to(device);
  w_ = w_.to(device);
  upper_ = upper_.to(device);
  unpack_ = unpack_.to(device);
  x_star_norm_ = X_star.norm().item<double>();
}

torch::Tensor MatrixSensingProblem::measure(const torch::Tensor& X) const {
  return A_.mv(X.reshape(-1).index_select(0, upper_) * w_);
}

torch::Tensor MatrixSensingProblem::adjoint(const torch::Tensor& c) const {
  auto d = config_.d;
  return (A_.t().mv(c) / w_).index_select(0, unpack_).view({d, d});
}

torch::Tensor MatrixSensingProblem::residuals() const { return measure(U_.mm(U_.t())) - y_; }

void MatrixSensingProblem::step(const torch::Tensor& res) {
  torch::NoGradGuard no_grad;
  const double m = static_cast<double>(config_.m);
  const double lr = config_.lr * std::pow(config_.lr_decay, static_cast<double>(iteration_));
  torch::Tensor grad;
  if (config_.optimizer == "l1_subgradient") {
    grad = adjoint(res.sign()).mm(U_) * (2.0 / m);
  } else {
    grad = adjoint(res).mm(U_) * (2.0 / m);
    if (config_.optimizer == "scaledgd") {
      auto P = U_.t().mm(U_) + config_.lambda * torch::eye(config_.k, U_.options());
      grad = torch::linalg::solve(P, grad.t(), /*left=*/true).t();  // grad P^-1, P symmetric
    }
  }
  U_.sub_(grad, lr);
  ++iteration_;
}

double MatrixSensingProblem::train_loss(const torch::Tensor& res) const {
  if (config_.optimizer == "l1_subgradient") return res.abs().mean().item<double>();
  return 0.5 * res.square().mean().item<double>();
}

double MatrixSensingProblem::rel_error() const {
  return (U_.mm(U_.t()) - X_star_).norm().item<double>() / x_star_norm_;
}

std::vector<double> MatrixSensingProblem::top_singular_values() const {
  auto n = std::min<int64_t>(config_.k, config_.r + 1);
  auto sv = at::linalg_svdvals(U_).square().slice(0, 0, n).cpu();
  return {sv.data_ptr<double>(), sv.data_ptr<double>() + n};
}

void MatrixSensing::run(const RunContext& ctx, MetricSink& sink) const {
  auto config = MatrixSensingConfig::from(ctx.params);
  MatrixSensingProblem problem(config, ctx.seed, torch::Device(ctx.device));
  for (size_t i = 0; i < config.eigenvalues.size(); ++i)
    sink.summary("eigenvalue_" + std::to_string(i + 1), config.eigenvalues[i]);

  for (int64_t t = 0;; ++t) {
    auto res = problem.residuals();
    if (t % ctx.log_every == 0 || t == config.steps || ctx.stop) {
      Metrics row{{"train_loss", problem.train_loss(res)}, {"rel_error", problem.rel_error()}};
      if (std::isfinite(row[1].second)) {  // an SVD of a non-finite U throws; the sink reports divergence
        auto sv = problem.top_singular_values();
        for (size_t i = 0; i < sv.size(); ++i) row.emplace_back("sv_" + std::to_string(i + 1), sv[i]);
      }
      sink.log(t, row);
    }
    if (t == config.steps || ctx.stop) break;
    problem.step(res);
  }
}

GENBENCH_REGISTER_TASK(MatrixSensing);

}  // namespace genbench
