// Transforms of a step's gradients, applied between backward() and the
// optimizer's step, in place on each parameter's .grad().
#pragma once

#include <torch/torch.h>

#include <deque>
#include <string>
#include <vector>

namespace genbench {

// The gradient filters of Lee et al. (Grokfast): the slow component of the
// gradient (an EMA, or the mean over a full window of past gradients),
// amplified by lambda and added. Mode "none" leaves gradients alone.
class Grokfast {
 public:
  Grokfast(std::string mode, double alpha, double lambda, int64_t window)
      : mode_(std::move(mode)), alpha_(alpha), lambda_(lambda), window_(window) {}
  void apply(std::vector<torch::Tensor>& params);

 private:
  std::string mode_;
  double alpha_, lambda_;
  int64_t window_;
  std::vector<torch::Tensor> ema_, window_sum_;
  std::deque<std::vector<torch::Tensor>> history_;
};

// ⊥Grad (Prieto et al.): g - (w.g / |w|^2) w, rescaled to |g|, per tensor.
void orthogonalize_gradients(std::vector<torch::Tensor>& params);

}  // namespace genbench
