// The gradient of cross-entropy through a PairMlp (relu, no bias), by hand:
// the same kernels autograd calls, in the same order, so every weight's
// gradient is bit for bit autograd's (tests/tasks/pair_mlp_backprop_test.cpp
// pins it), without the graph, the fresh n x width tensors per op, the two
// zero-filled index_select backwards and their sum, or the zero-filled
// one-hot of nll_loss's backward (kept between steps: only its n entries move).
// The passes that remain besides the matmuls are one gather + relu forward,
// one relu mask per layer, and one mask + scatter into the first layer.
//
// The grokking MLP is a full-batch float64 epoch of 1.9 GFLOP in six matmuls;
// what autograd adds around them is passes over 8 MB activations: here 89%
// of the gradient's time is its products, through autograd 76-83% (README).
#pragma once

#include <torch/torch.h>

#include "tasks/models/modular_nets.h"

namespace genbench {

class PairMlpBackprop {
 public:
  // Whether the network is one this computes: relu, no biases.
  static bool covers(const PairMlpImpl& net);

  explicit PairMlpBackprop(PairMlp net);

  // Overwrites every weight's .grad with d cross_entropy(net(a, b), y) / dW
  // (mean over the n pairs). The grads must be defined (the flat optimizer's views).
  void gradients(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& y);

 private:
  void resize(int64_t n, const torch::TensorOptions& options);

  PairMlp net_;
  std::vector<torch::Tensor> hidden_;        // relu outputs, one n x width per layer
  torch::Tensor logits_, log_probs_, dlogits_, dhidden_, dprevious_, dcolumns_;
  torch::Tensor dlog_probs_;                 // nll_loss's gradient: -1/n at each (i, y_i), else 0
  torch::Tensor marked_;                     // the y whose entries dlog_probs_ holds now
};

}  // namespace genbench
