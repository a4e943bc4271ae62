#include "tasks/attacks.h"

#include <cmath>

namespace genbench {

namespace {

// A draw from the run's generator, which is a CPU one on every device (one
// stream of draws wherever the run trains; LibTorch refuses a CPU generator
// for a CUDA tensor): made on the CPU, then moved to `like`'s device.
torch::Tensor uniform_like(at::IntArrayRef sizes, at::Generator& gen, const torch::Tensor& like) {
  return torch::rand(sizes, gen, like.options().device(torch::kCPU)).to(like.device());
}

torch::Tensor normal_like(at::IntArrayRef sizes, at::Generator& gen, const torch::Tensor& like) {
  return torch::randn(sizes, gen, like.options().device(torch::kCPU)).to(like.device());
}

}  // namespace

torch::Tensor Ball::per_sample_norm(const torch::Tensor& v) const {
  return v.flatten(1).norm(2, 1).clamp_min(1e-12).view({-1, 1, 1, 1});
}

torch::Tensor Ball::project(const torch::Tensor& delta) const {
  if (linf) return delta.clamp(-eps, eps);
  return delta * (eps / per_sample_norm(delta)).clamp_max(1.0);
}

torch::Tensor Ball::random(const torch::Tensor& like, at::Generator& gen) const {
  if (linf) return (uniform_like(like.sizes(), gen, like) * 2 - 1) * eps;
  auto direction = normal_like(like.sizes(), gen, like);
  auto radius = uniform_like({like.size(0), 1, 1, 1}, gen, like) * eps;
  return direction / per_sample_norm(direction) * radius;
}

torch::Tensor Ball::step(const torch::Tensor& grad, double size) const {
  if (linf) return grad.sign() * size;
  return grad / per_sample_norm(grad) * size;
}

torch::Tensor input_gradient(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y,
                             bool create_graph) {
  auto input = create_graph ? x : x.detach().requires_grad_(true);
  auto loss = torch::nn::functional::cross_entropy(model->forward(input), y,
                                                   torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  return torch::autograd::grad({loss}, {input}, {}, create_graph, create_graph)[0];
}

torch::Tensor attack(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y, const Ball& ball,
                     int64_t steps, double size, bool random_start, at::Generator& gen) {
  auto delta = random_start ? ball.random(x, gen) : torch::zeros_like(x);
  delta = (x + delta).clamp(0, 1) - x;
  for (int64_t i = 0; i < steps; ++i) {
    auto grad = input_gradient(model, x + delta, y);
    delta = ball.project(delta + ball.step(grad, size));
    delta = (x + delta).clamp(0, 1) - x;
  }
  return (x + delta).detach();
}

torch::Tensor gradalign_penalty(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y,
                                const Ball& ball, at::Generator& gen) {
  auto g1 = input_gradient(model, x, y).flatten(1);
  auto x2 = (x + ball.random(x, gen)).clamp(0, 1).detach().requires_grad_(true);
  auto g2 = input_gradient(model, x2, y, true).flatten(1);
  return (1 - torch::cosine_similarity(g1, g2, 1, 1e-12)).mean();
}

torch::Tensor elle_error(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y,
                         const Ball& ball, at::Generator& gen) {
  auto none = torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone);
  auto xa = (x + ball.random(x, gen)).clamp(0, 1), xb = (x + ball.random(x, gen)).clamp(0, 1);
  auto a = uniform_like({x.size(0), 1, 1, 1}, gen, x);
  auto xc = (1 - a) * xa + a * xb;
  auto w = a.view({-1});
  auto la = torch::nn::functional::cross_entropy(model->forward(xa), y, none);
  auto lb = torch::nn::functional::cross_entropy(model->forward(xb), y, none);
  auto lc = torch::nn::functional::cross_entropy(model->forward(xc), y, none);
  return (lc - (1 - w) * la - w * lb).square().mean();
}

void ElleAdaptiveWeight::observe(double error) {
  const double stddev = count_ > 0 ? std::sqrt(squares_ / static_cast<double>(count_)) : 0;
  if (count_ > 2 && error > mean_ + sensitivity_ * stddev)
    weight_ = lambda_;
  else
    weight_ *= decay_;
  ++count_;  // Welford's running mean and sum of squared deviations
  const double delta = error - mean_;
  mean_ += delta / static_cast<double>(count_);
  squares_ += delta * (error - mean_);
}

}  // namespace genbench
