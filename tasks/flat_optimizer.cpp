#include "tasks/flat_optimizer.h"

#include <cmath>

#include "tasks/task.h"
#include "tasks/training.h"

namespace genbench {

FlatOptimizer::FlatOptimizer(std::vector<torch::Tensor> parameters, const OptimizerConfig& c)
    : parameters_(std::move(parameters)),
      kind_(c.kind),
      lr_(c.lr),
      momentum_factor_(c.momentum),
      weight_decay_(c.weight_decay),
      beta1_(c.beta1),
      beta2_(c.beta2),
      eps_(c.eps) {
  if (kind_ != "sgd" && kind_ != "adam" && kind_ != "adamw")
    throw TaskError("unknown optimizer '" + kind_ + "': expected sgd, adam or adamw");
  if (parameters_.empty()) throw TaskError("optimizer: no parameters to optimize");
  torch::NoGradGuard no_grad;
  int64_t total = 0;
  const auto options = parameters_.front().options();
  for (const auto& p : parameters_) {
    if (p.dtype() != options.dtype() || p.device() != options.device())
      throw TaskError("optimizer: the parameters must share one dtype and device");
    total += p.numel();
  }
  params_ = torch::empty({total}, options);
  grads_ = torch::zeros({total}, options);
  int64_t offset = 0;
  for (auto& p : parameters_) {
    auto n = p.numel();
    auto view = params_.narrow(0, offset, n).view(p.sizes());
    view.copy_(p);
    p.set_data(view);
    param_views_.push_back(view);
    auto grad = grads_.narrow(0, offset, n).view(p.sizes());
    if (p.grad().defined()) grad.copy_(p.grad());
    p.mutable_grad() = grad;
    grad_views_.push_back(grad);
    offset += n;
  }
  if (kind_ != "sgd") {
    exp_avg_ = torch::zeros_like(params_);
    exp_avg_sq_ = torch::zeros_like(params_);
    denom_ = torch::empty_like(params_);
  }
}

void FlatOptimizer::rehome_gradients() {
  for (size_t i = 0; i < parameters_.size(); ++i) {
    auto& p = parameters_[i];
    const auto& g = p.grad();
    if (g.defined() && g.data_ptr() == grad_views_[i].data_ptr()) continue;
    if (g.defined()) grad_views_[i].copy_(g);
    else grad_views_[i].zero_();
    p.mutable_grad() = grad_views_[i];
  }
}

void FlatOptimizer::zero_grad() {
  torch::NoGradGuard no_grad;
  rehome_gradients();
  grads_.zero_();
}

void FlatOptimizer::step() {
  torch::NoGradGuard no_grad;
  rehome_gradients();
  ++steps_;
  auto& p = params_;
  if (kind_ == "sgd") {  // torch::optim::SGD, dampening 0, no Nesterov
    auto d_p = grads_;
    if (weight_decay_ != 0) d_p = d_p.add(p, weight_decay_);
    if (momentum_factor_ != 0) {
      if (!momentum_.defined()) momentum_ = torch::clone(d_p).detach();
      else momentum_.mul_(momentum_factor_).add_(d_p, 1 - 0.0);
      d_p = momentum_;
    }
    p.add_(d_p, -1 * lr_);
    return;
  }
  auto grad = grads_;
  if (kind_ == "adamw" && weight_decay_ != 0) p.mul_(1 - lr_ * weight_decay_);  // decoupled
  const double bias_correction1 = 1 - std::pow(beta1_, static_cast<double>(steps_));
  const double bias_correction2 = 1 - std::pow(beta2_, static_cast<double>(steps_));
  if (kind_ == "adam" && weight_decay_ != 0) grad = grad.add(p, weight_decay_);  // coupled L2
  exp_avg_.mul_(beta1_).add_(grad, 1 - beta1_);
  exp_avg_sq_.mul_(beta2_).addcmul_(grad, grad, 1 - beta2_);
  // torch::optim's (exp_avg_sq.sqrt() / sqrt(bc2)).add_(eps), into a buffer kept across steps:
  // the same kernels element by element, without a fresh temporary the size of the model per step
  at::sqrt_out(denom_, exp_avg_sq_);
  denom_.div_(std::sqrt(bias_correction2)).add_(eps_);
  const double step_size = lr_ / bias_correction1;
  p.addcdiv_(exp_avg_, denom_, -step_size);
}

}  // namespace genbench
