#include "tasks/gradient_filters.h"

namespace genbench {

void Grokfast::apply(std::vector<torch::Tensor>& params) {
  if (mode_ == "none") return;
  torch::NoGradGuard no_grad;
  if (mode_ == "ema") {
    if (ema_.empty())
      for (auto& w : params) ema_.push_back(w.grad().clone());
    else
      for (size_t i = 0; i < params.size(); ++i) ema_[i].mul_(alpha_).add_(params[i].grad(), 1 - alpha_);
    for (size_t i = 0; i < params.size(); ++i) params[i].grad().add_(ema_[i], lambda_);
    return;
  }
  // A running sum over the window: one add and one subtract per step, not `window` adds.
  std::vector<torch::Tensor> now;
  for (auto& w : params) now.push_back(w.grad().clone());
  if (window_sum_.empty())
    for (auto& g : now) window_sum_.push_back(torch::zeros_like(g));
  for (size_t i = 0; i < now.size(); ++i) window_sum_[i].add_(now[i]);
  history_.push_back(std::move(now));
  if (static_cast<int64_t>(history_.size()) > window_) {
    for (size_t i = 0; i < params.size(); ++i) window_sum_[i].sub_(history_.front()[i]);
    history_.pop_front();
  }
  if (static_cast<int64_t>(history_.size()) < window_) return;  // average only over a full window
  for (size_t i = 0; i < params.size(); ++i) params[i].grad().add_(window_sum_[i], lambda_ / static_cast<double>(window_));
}

void orthogonalize_gradients(std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  for (auto& w : params) {
    auto g = w.grad().view(-1);
    auto flat = w.view(-1);
    auto along = flat.dot(g) / (flat.dot(flat) + 1e-30);
    auto orthogonal = g - along * flat;
    g.copy_(orthogonal * (g.norm() / (orthogonal.norm() + 1e-30)));
  }
}

}  // namespace genbench
