#include "tasks/random_features.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>

#include "tasks/fashion_mnist.h"

namespace genbench {

std::vector<ParamSpec> RandomFeatures::params() const {
  return {
      int_param("n", 1000, "training images, drawn by seed from the 60000", 1, 60000),
      int_param("N", 1000, "random features (the width)", 1),
      float_param("label_noise", 0.0, "fraction of training labels replaced by another class", 0, 1),
      float_param("ridge", 0.0, "ridge penalty lambda (||Y - Phi B||^2 / n + lambda ||B||^2); 0: min-norm", 0),
      int_param("n_test", 10000, "test images, drawn by seed from the 10000", 1, 10000),
      fashion_mnist_dir_param(),
  };
}

void RandomFeatures::run(const RunContext& ctx, MetricSink& sink) const {
  const auto& p = ctx.params;
  const int64_t n = p.get_int("n"), N = p.get_int("N"), n_test = p.get_int("n_test");
  const double ridge = p.get_float("ridge"), noise = p.get_float("label_noise");
  auto data = load_fashion_mnist(p.get_string("data_dir"));
  sink.summary("N_over_n", static_cast<double>(N) / static_cast<double>(n));

  auto gen = at::make_generator<at::CPUGeneratorImpl>(ctx.seed);
  auto split = fashion_mnist_split(*data, n, n_test, noise, 1, gen);
  auto X = split.X, X_test = split.X_test, y_noisy = split.y, y_test = split.y_test;
  auto W = torch::randn({X.size(1), N}, gen, torch::kFloat64) / std::sqrt(static_cast<double>(X.size(1)));

  const auto device = torch::Device(ctx.device);
  torch::NoGradGuard no_grad;
  X = X.to(device), X_test = X_test.to(device), W = W.to(device);
  auto Y = torch::one_hot(y_noisy, 10).to(torch::kFloat64).to(device);
  auto phi = torch::relu(X.mm(W));
  torch::Tensor B;
  if (ridge == 0) {
    B = at::linalg_pinv(phi).mm(Y);
  } else {
    double nl = static_cast<double>(n) * ridge;
    if (N <= n)
      B = torch::linalg_solve(phi.t().mm(phi) + nl * torch::eye(N, phi.options()), phi.t().mm(Y), true);
    else
      B = phi.t().mm(torch::linalg_solve(phi.mm(phi.t()) + nl * torch::eye(n, phi.options()), Y, true));
  }
  auto train_out = phi.mm(B);
  auto test_out = torch::relu(X_test.mm(W)).mm(B);
  auto Y_test = torch::one_hot(y_test, 10).to(torch::kFloat64).to(device);
  auto error = [](const torch::Tensor& out, const torch::Tensor& target) {
    return out.argmax(1).cpu().ne(target).to(torch::kFloat64).mean().item<double>();
  };
  sink.log(0, {{"train_error", error(train_out, y_noisy)},
               {"test_error", error(test_out, y_test)},
               {"train_loss", (train_out - Y).square().sum(1).mean().item<double>()},
               {"test_loss", (test_out - Y_test).square().sum(1).mean().item<double>()}});
}

GENBENCH_REGISTER_TASK(RandomFeatures);

}  // namespace genbench
