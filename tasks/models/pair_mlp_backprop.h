// The gradient of cross-entropy through S PairMlps (relu, no bias) trained
// side by side (a stack; S = 1 is a run alone), by hand: the same kernels
// autograd calls, in the same order, so every weight's gradient is bit for
// bit autograd's (tests/tasks/pair_mlp_backprop_test.cpp pins it, alone and
// stacked), without the graph, the fresh n x width tensors per op, the two
// zero-filled index_select backwards and their sum, or the zero-filled
// one-hot of nll_loss's backward (kept between steps: only its n entries move).
// The passes that remain besides the matmuls are one gather + relu forward,
// one relu mask per layer, and one mask + scatter into the first layer.
//
// The grokking MLP is a full-batch float64 epoch of 1.9 GFLOP in six matmuls;
// what autograd adds around them is passes over 8 MB activations: here 89%
// of the gradient's time is its products, through autograd 76-83% (README).
//
// On a CPU the gather, the masks and the scatter are loops; on other devices
// (and on a CPU when asked, which is how the tests reach that path) they are
// ATen ops: index_select, add, relu, threshold_backward, index_add_.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "tasks/models/modular_nets.h"
#include "tasks/models/relu_mlp_backprop.h"

namespace genbench {

class PairMlpBackprop {
 public:
  // Layer l of every member, stacked: weight [S, out, in] (the first layer's
  // in is 2p: the columns of one-hot a, then of one-hot b) and the tensor its
  // gradient is written to, of the same shape (the flat optimizer's view).
  struct Layer {
    torch::Tensor weight, weight_grad;
  };
  using Kernels = BackpropKernels;  // Native: loops on a CPU, ATen ops elsewhere

  // Whether the network is one this computes: relu, no biases.
  static bool covers(const PairMlpImpl& net);

  PairMlpBackprop(std::vector<Layer> layers, int64_t p, Kernels kernels = Kernels::Native);
  // A run alone: a stack of one over the net's weights and their .grad(),
  // which must be defined (the flat optimizer's views).
  explicit PairMlpBackprop(PairMlp net, Kernels kernels = Kernels::Native);

  // Overwrites member i's gradients with d cross_entropy(net_i(a_i, b_i), y_i) / dW
  // (the mean over its n pairs). a, b: [S, n] int64 (a run alone may pass
  // [n]); y: [S * n], member i's labels at i * n.
  void gradients(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& y);

 private:
  void resize(int64_t n);

  struct Slices {  // a layer's tensors, as member_mm_out takes them
    Members weight, weight_t, weight_grad;
  };
  std::vector<Layer> layers_;
  std::vector<Slices> slices_;
  int64_t S_, p_, width_;
  bool loops_;
  std::vector<Members> hidden_;              // relu outputs, one [S, n, width] per layer
  Members logits_;
  Members dlogits_, dlogits_t_, dhidden_, dhidden_t_, dprevious_, dprevious_t_;
  torch::Tensor log_probs_, dcolumns_;       // [S * n, p], [S, 2p, width]
  torch::Tensor column_offsets_;             // off the loops: [S, 1], i * 2p
  torch::Tensor dlog_probs_;                 // nll_loss's gradient: -1/n at each (i, y_i), else 0
  torch::Tensor marked_;                     // the y whose entries dlog_probs_ holds now
};

}  // namespace genbench
