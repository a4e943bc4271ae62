// The gradient of softmax cross-entropy through S ReLU MLPs trained side by
// side (a stack; S = 1 is a run alone), by hand: the kernels autograd calls
// for torch::nn::Linear + relu + cross_entropy, on the same operands in the
// same layout, so every gradient is bit for bit autograd's
// (tests/tasks/relu_mlp_backprop_test.cpp pins it, alone and stacked).
// What it leaves out is autograd's bookkeeping: the graph, a fresh tensor per
// op and step, the zero-filled one-hot of nll_loss's backward (kept between
// steps: only the batch's targets move), accumulating into zeroed gradients.
// The double-descent MLP's steps are small (a batch of 128 through widths of
// 2-512), so that bookkeeping is a large part of a step (README).
#pragma once

#include <torch/torch.h>

#include <vector>

namespace genbench {

// a b (+ bias) for each member i of a stack: a [S, rows, k], b [S, k, c],
// bias [S, 1, c]. Each product is the one torch::nn::Linear computes for a
// member alone, with the same operands in the same layout, so the BLAS
// kernel sums in the same order: bit for bit the same values. Below 400
// multiply-adds LibTorch's bmm takes a naive kernel that a single matmul never
// does, so small products, and a member alone, go member by member.
torch::Tensor member_mm(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& bias = {});

// A stacked tensor [S, ...] and its members' slices, made once: each slice is
// a tensor of its own, and a step would otherwise make dozens of them.
struct Members {
  Members() = default;
  // rows_of_one: the members are all[i][0] (a bias [S, 1, out] as Linear's [out])
  explicit Members(torch::Tensor all, bool rows_of_one = false);
  torch::Tensor all;
  std::vector<torch::Tensor> each;
};
void member_mm_out(Members& out, const Members& a, const Members& b, const Members* bias);

// How a hand-written backward computes what is not a product: Native, loops
// on a CPU and ATen ops on other devices; Aten, ATen ops everywhere (how the
// tests reach, on a CPU, the code a GPU runs).
enum class BackpropKernels { Native, Aten };

class ReluMlpBackprop {
 public:
  // Layer l of every member, in stacked form: weight [S, out, in], bias
  // [S, 1, out], and the tensors its gradients are written to, of the same
  // shapes (the flat optimizer's views: they stay put from step to step).
  struct Layer {
    torch::Tensor weight, bias, weight_grad, bias_grad;
  };
  using Kernels = BackpropKernels;
  explicit ReluMlpBackprop(std::vector<Layer> layers, Kernels kernels = Kernels::Native);

  // Overwrites member i's gradients with d loss_i / d theta_i, where loss_i is
  // the mean cross-entropy over member i's rows: x [S, rows, in] float32,
  // labels y [S * rows] (member i's at i * rows).
  void gradients(const torch::Tensor& x, const torch::Tensor& y);

 private:
  void resize(int64_t rows);

  struct Slices {  // a layer's tensors, as member_mm_out takes them
    Members weight, weight_t, bias, weight_grad, bias_grad;
  };
  std::vector<Layer> layers_;
  std::vector<Slices> slices_;
  int64_t S_;
  bool loops_;                    // the CPU loops, not the ATen ops
  std::vector<Members> outputs_;  // each layer's output, [S, rows, out]; relu'd but the last
  Members dlogits_, dlogits_t_, dhidden_, dhidden_t_, dprevious_, dprevious_t_;
  torch::Tensor log_probs_;
  torch::Tensor dlog_probs_;             // nll_loss's gradient: -1/rows at each (i, y_i), else 0
  std::vector<int64_t> marked_;          // the labels whose entries dlog_probs_ holds now
};

}  // namespace genbench
