#include "tasks/interpolation_kernel.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <limits>

#include "tasks/fashion_mnist.h"

namespace genbench {

std::vector<ParamSpec> InterpolationKernel::params() const {
  return {
      choice_param("data", "sphere", {"sphere", "fashion_mnist"}, "inputs: uniform on S^(d-1), or Fashion-MNIST images"),
      int_param("d", 10, "sphere: dimension of the ambient space", 1),
      int_param("n", 1000, "training samples", 1, 60000),
      int_param("n_test", 2000, "test samples (clean labels)", 1, 10000),
      float_param("label_noise", 0.0, "fraction of training labels flipped", 0, 0.5),
      choice_param("kernel", "laplace", {"laplace", "gaussian"}, "exp(-r / L) or exp(-r^2 / (2 L^2))"),
      float_param("bandwidth", 1.0, "the kernel's length scale L (inputs have unit norm)", 1e-6),
      float_param("ridge", 0.0, "ridge penalty: (K + ridge n I) alpha = y; 0: the min-norm interpolant", 0),
      int_param("trials", 2, "independent draws of data and noise, one trajectory step each", 1),
      int_param("pool", 1, "fashion_mnist: average-pool factor (1: 28 x 28, 2: 14 x 14)", 1, 28),
      fashion_mnist_dir_param(),
  };
}

torch::Tensor kernel_matrix(const torch::Tensor& A, const torch::Tensor& B, const std::string& kernel,
                            double bandwidth) {
  auto sq = (A.square().sum(1).unsqueeze(1) + B.square().sum(1).unsqueeze(0) - 2 * A.mm(B.t())).clamp_min(0);
  if (kernel == "gaussian") return torch::exp(-sq / (2 * bandwidth * bandwidth));
  return torch::exp(-sq.sqrt() / bandwidth);
}

torch::Tensor kernel_coefficients(const torch::Tensor& K, const torch::Tensor& y, double ridge) {
  const auto n = K.size(0);
  if (ridge > 0) return torch::linalg_solve(K + ridge * static_cast<double>(n) * torch::eye(n, K.options()), y, true);
  auto [lambda, V] = at::linalg_eigh(K);
  const double cutoff = static_cast<double>(n) * std::numeric_limits<double>::epsilon() * lambda.abs().max().item<double>();
  auto keep = lambda.abs() > cutoff;
  auto inverse = torch::where(keep, 1.0 / torch::where(keep, lambda, torch::ones_like(lambda)), torch::zeros_like(lambda));
  auto rhs = y.dim() == 1 ? y.unsqueeze(1) : y;
  auto alpha = V.mm(inverse.unsqueeze(1) * V.t().mm(rhs));
  return y.dim() == 1 ? alpha.squeeze(1) : alpha;
}

namespace {

struct Draw {
  torch::Tensor X, y, X_test, y_test;  // unit-norm rows, labels +-1 (float64)
};

Draw draw_sphere(int64_t n, int64_t n_test, int64_t d, at::Generator& gen) {
  auto sample = [&](int64_t m) {
    auto x = torch::randn({m, d}, gen, torch::kFloat64);
    return x / x.norm(2, 1, true);
  };
  Draw out;
  out.X = sample(n), out.X_test = sample(n_test);
  // sign(x_1), with the measure-zero x_1 = 0 sent to +1
  out.y = torch::where(out.X.select(1, 0) >= 0, 1.0, -1.0).to(torch::kFloat64);
  out.y_test = torch::where(out.X_test.select(1, 0) >= 0, 1.0, -1.0).to(torch::kFloat64);
  return out;
}

Draw draw_fashion(const FashionMnist& data, int64_t n, int64_t n_test, int64_t pool, at::Generator& gen) {
  auto split = fashion_mnist_split(data, n, n_test, 0.0, pool, gen);
  auto unit = [](const torch::Tensor& x) { return x / x.norm(2, 1, true).clamp_min(1e-12); };
  auto binary = [](const torch::Tensor& labels) { return torch::where(labels < 5, 1.0, -1.0).to(torch::kFloat64); };
  return {unit(split.X), binary(split.y_clean), unit(split.X_test), binary(split.y_test)};
}

}  // namespace

void InterpolationKernel::run(const RunContext& ctx, MetricSink& sink) const {
  const auto& p = ctx.params;
  const int64_t n = p.get_int("n"), n_test = p.get_int("n_test"), trials = p.get_int("trials");
  const double rho = p.get_float("label_noise"), bandwidth = p.get_float("bandwidth"), ridge = p.get_float("ridge");
  const auto& kernel = p.get_string("kernel");
  const bool fashion = p.get_string("data") == "fashion_mnist";
  std::shared_ptr<const FashionMnist> images;
  if (fashion) images = load_fashion_mnist(p.get_string("data_dir"));
  sink.summary("noise_variance", 4 * rho * (1 - rho));

  auto gen = at::make_generator<at::CPUGeneratorImpl>(ctx.seed);
  const auto device = torch::Device(ctx.device);
  const auto flips = static_cast<int64_t>(std::llround(rho * static_cast<double>(n)));
  torch::NoGradGuard no_grad;
  for (int64_t t = 0; t < trials && !ctx.stop; ++t) {
    // Draw order per trial: data, then which labels flip (the same amount of
    // randomness at every noise level, so a seed's data match across levels).
    auto draw = fashion ? draw_fashion(*images, n, n_test, p.get_int("pool"), gen)
                        : draw_sphere(n, n_test, p.get_int("d"), gen);
    auto order = torch::randperm(n, gen, torch::kInt64);
    auto y_noisy = draw.y.clone();
    y_noisy.index_put_({order.slice(0, 0, flips)}, -draw.y.index_select(0, order.slice(0, 0, flips)));

    auto X = draw.X.to(device), X_test = draw.X_test.to(device);
    auto y = y_noisy.to(device), y_test = draw.y_test.to(device);
    auto K = kernel_matrix(X, X, kernel, bandwidth);
    K.fill_diagonal_(1.0);  // k(x, x) = 1 exactly; rounding in |a|^2 + |b|^2 - 2ab would leave ~1e-8
    auto alpha = kernel_coefficients(K, y, ridge);
    auto fit = K.mv(alpha), predicted = kernel_matrix(X_test, X, kernel, bandwidth).mv(alpha);
    auto sign_error = [](const torch::Tensor& f, const torch::Tensor& labels) {
      return (f >= 0).ne(labels > 0).to(torch::kFloat64).mean().item<double>();
    };
    sink.log(t, {{"train_mse", (fit - y).square().mean().item<double>()},
                 {"train_error", sign_error(fit, y)},
                 {"test_mse", (predicted - y_test).square().mean().item<double>()},
                 {"test_error", sign_error(predicted, y_test)}});
  }
}

GENBENCH_REGISTER_TASK(InterpolationKernel);

}  // namespace genbench
