// The two networks of grokking on a ∘ b mod p, each mapping the index
// tensors a and b (int64, n) to n x p logits:
//   PairMlp          one-hot a and one-hot b concatenated (2p inputs), `depth`
//                    hidden layers of `width` (relu or quadratic), p outputs.
//                    The first layer is a lookup of its two weight columns,
//                    which is the one-hot product exactly, without the 2p-wide
//                    matmul.
//   PairTransformer  decoder-only over the tokens `a ∘ b =` (vocabulary p + 2,
//                    learned positions), `layers` pre-norm blocks (optional
//                    LayerNorm) of causal attention with `heads` heads and a
//                    ReLU MLP of `mlp_width`; the answer is read at `=`.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>

namespace genbench {

struct PairMlpImpl : torch::nn::Module {
  PairMlpImpl(int64_t p, int64_t depth, int64_t width, bool bias, bool quadratic);
  torch::Tensor forward(const torch::Tensor& a, const torch::Tensor& b);

  int64_t p;
  bool quadratic;
  std::vector<torch::nn::Linear> hidden;
  torch::nn::Linear out{nullptr};

 private:
  torch::Tensor act(const torch::Tensor& x) const { return quadratic ? x * x : torch::relu(x); }
};
TORCH_MODULE(PairMlp);

struct TransformerBlockImpl : torch::nn::Module {
  TransformerBlockImpl(int64_t d, int64_t heads, int64_t mlp_width, bool layernorm);
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& causal_mask);

  int64_t heads;
  bool layernorm;
  torch::nn::Linear qkv{nullptr}, proj{nullptr}, fc1{nullptr}, fc2{nullptr};
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
};
TORCH_MODULE(TransformerBlock);

struct PairTransformerImpl : torch::nn::Module {
  PairTransformerImpl(int64_t p, int64_t layers, int64_t d, int64_t heads, int64_t mlp_width, bool layernorm);
  torch::Tensor forward(const torch::Tensor& a, const torch::Tensor& b);

  int64_t p;
  bool layernorm;
  torch::nn::Embedding token_embed{nullptr}, position_embed{nullptr};
  std::vector<TransformerBlock> blocks;
  torch::nn::LayerNorm ln_final{nullptr};
  torch::nn::Linear unembed{nullptr};
};
TORCH_MODULE(PairTransformer);

// Either network behind one call: the module (its parameters, to(), ...) and its forward.
struct PairNetwork {
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> forward;
};
PairNetwork as_pair_network(PairMlp net);
PairNetwork as_pair_network(PairTransformer net);

// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for Linear weights and biases (PyTorch's
// default bound), N(0, 1) for embeddings, LayerNorm left at (1, 0); all but
// LayerNorm scaled by `scale`. Drawn from `gen`, in the module's parameter order.
void init_pair_network(torch::nn::Module& net, double scale, at::Generator& gen);

}  // namespace genbench
