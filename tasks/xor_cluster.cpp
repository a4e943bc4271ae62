#include "tasks/xor_cluster.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>

namespace genbench {

std::vector<ParamSpec> XorCluster::params() const {
  return {
      int_param("n", 100, "training samples", 1),
      int_param("n_test", 2000, "test samples (clean labels)", 1),
      int_param("d", 4000, "input dimension", 2),
      float_param("mu_norm", 20.0, "norm of each cluster mean", 0),
      float_param("label_noise", 0.1, "fraction of training labels flipped", 0, 0.5),
      int_param("width", 200, "hidden ReLU neurons (half with output weight +1/sqrt(m), half -1/sqrt(m))", 2),
      float_param("init_scale", 1e-4, "standard deviation of the initial first-layer weights", 0),
      float_param("lr", 0.5, "gradient-descent step size", 0),
      int_param("steps", 200, "full-batch gradient steps", 1),
  };
}

namespace {

struct Samples {
  torch::Tensor x, y;  // n x d, labels +-1 (float64)
};

Samples draw(int64_t count, int64_t d, double mu_norm, at::Generator& gen) {
  auto cluster = torch::randint(0, 4, {count}, gen, torch::kInt64);
  auto x = torch::randn({count, d}, gen, torch::kFloat64);
  // clusters 0, 1: +mu_1, -mu_1 (label +1); 2, 3: +mu_2, -mu_2 (label -1); mu_k = mu_norm e_k
  auto sign = torch::where(cluster.remainder(2) == 0, 1.0, -1.0).to(torch::kFloat64);
  auto on_first = cluster < 2;
  x.select(1, 0).add_(torch::where(on_first, sign, torch::zeros_like(sign)) * mu_norm);
  x.select(1, 1).add_(torch::where(on_first, torch::zeros_like(sign), sign) * mu_norm);
  return {x, torch::where(on_first, 1.0, -1.0).to(torch::kFloat64)};
}

}  // namespace

void XorCluster::run(const RunContext& ctx, MetricSink& sink) const {
  const auto& p = ctx.params;
  const int64_t n = p.get_int("n"), d = p.get_int("d"), m = p.get_int("width"), steps = p.get_int("steps");
  const double mu_norm = p.get_float("mu_norm"), lr = p.get_float("lr");

  // Draw order: training set, flips, test set, initial weights.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(ctx.seed);
  auto train = draw(n, d, mu_norm, gen);
  const auto flips = static_cast<int64_t>(std::llround(p.get_float("label_noise") * static_cast<double>(n)));
  auto flipped = torch::zeros({n}, torch::kBool);
  flipped.index_fill_(0, torch::randperm(n, gen, torch::kInt64).slice(0, 0, flips), true);
  auto y = torch::where(flipped, -train.y, train.y);
  auto test = draw(p.get_int("n_test"), d, mu_norm, gen);
  auto W = torch::randn({m, d}, gen, torch::kFloat64) * p.get_float("init_scale");
  auto a = torch::cat({torch::ones({m / 2}, torch::kFloat64), -torch::ones({m - m / 2}, torch::kFloat64)}) /
           std::sqrt(static_cast<double>(m));

  const auto device = torch::Device(ctx.device);
  auto X = train.x.to(device), X_test = test.x.to(device), y_test = test.y.to(device);
  y = y.to(device), flipped = flipped.to(device), a = a.to(device), W = W.to(device).requires_grad_(true);
  const auto clean = flipped.logical_not();

  auto forward = [&](const torch::Tensor& x) { return torch::relu(x.mm(W.t())).mv(a); };
  auto accuracy = [](const torch::Tensor& f, const torch::Tensor& labels) {
    return (f >= 0).eq(labels > 0).to(torch::kFloat64).mean().item<double>();
  };
  auto log = [&](int64_t step) {
    torch::NoGradGuard no_grad;
    auto f = forward(X), f_test = forward(X_test);
    auto energy = W.square().sum().item<double>();
    auto along = W.select(1, 0).square().sum().item<double>() + W.select(1, 1).square().sum().item<double>();
    Metrics row{{"train_accuracy", accuracy(f, y)},
                {"train_accuracy_clean", accuracy(f.index({clean}), y.index({clean}))},
                {"test_accuracy", accuracy(f_test, y_test)},
                {"train_loss", torch::nn::functional::softplus(-y * f).mean().item<double>()},
                {"feature_alignment", energy > 0 ? along / energy : 0.0}};
    if (flips > 0) row.push_back({"train_accuracy_flipped", accuracy(f.index({flipped}), y.index({flipped}))});
    sink.log(step, row);
  };

  log(0);
  for (int64_t step = 1; step <= steps && !ctx.stop; ++step) {
    auto loss = torch::nn::functional::softplus(-y * forward(X)).mean();
    auto grad = torch::autograd::grad({loss}, {W})[0];
    {
      torch::NoGradGuard no_grad;
      W.sub_(lr * grad);
    }
    if (step <= 10 || step % ctx.log_every == 0 || step == steps) log(step);  // the first steps are the point
  }
}

GENBENCH_REGISTER_TASK(XorCluster);

}  // namespace genbench
