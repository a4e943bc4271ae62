// SGD (with momentum), Adam and AdamW over one contiguous buffer: the
// parameters are re-homed as views into a single tensor, and their gradients
// into another, so a step is a handful of elementwise passes over everything
// instead of that many per parameter tensor. Small models are bound by that
// per-op overhead, not by FLOPs.
//
// It does what torch::optim's SGD, Adam and AdamW do, op for op per element,
// and a test pins the parameters bit for bit against them.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace genbench {

struct OptimizerConfig;

class FlatOptimizer {
 public:
  // The parameters keep their identity (the module still owns them); their
  // data and gradients now live in the flat buffers. All share one dtype and device.
  FlatOptimizer(std::vector<torch::Tensor> parameters, const OptimizerConfig& config);
  void zero_grad();  // zeros every gradient (in place: they stay views)
  void step();
  void set_lr(double lr) { lr_ = lr; }
  double lr() const { return lr_; }
  int64_t size() const { return params_.numel(); }

 private:
  void rehome_gradients();  // a gradient autograd replaced instead of accumulating: back into the buffer

  std::vector<torch::Tensor> parameters_, param_views_, grad_views_;
  torch::Tensor params_, grads_;        // the flat buffers
  torch::Tensor exp_avg_, exp_avg_sq_, denom_;  // adam, adamw
  torch::Tensor momentum_;              // sgd; undefined until the first step, as torch::optim's
  std::string kind_;
  double lr_, momentum_factor_, weight_decay_, beta1_, beta2_, eps_;
  int64_t steps_ = 0;
};

}  // namespace genbench
