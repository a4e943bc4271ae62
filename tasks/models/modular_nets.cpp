#include "tasks/models/modular_nets.h"

#include <cmath>
#include <limits>
#include <string>

namespace genbench {

PairMlpImpl::PairMlpImpl(int64_t p, int64_t depth, int64_t width, bool bias, bool quadratic)
    : p(p), quadratic(quadratic) {
  for (int64_t i = 0; i < depth; ++i)
    hidden.push_back(register_module("hidden" + std::to_string(i),
                                     torch::nn::Linear(torch::nn::LinearOptions(i ? width : 2 * p, width).bias(bias))));
  out = register_module("out", torch::nn::Linear(torch::nn::LinearOptions(width, p).bias(bias)));
}

torch::Tensor PairMlpImpl::forward(const torch::Tensor& a, const torch::Tensor& b) {
  // [onehot(a), onehot(b)] W^T is the sum of two columns of W.
  auto columns = hidden[0]->weight.t();
  auto x = columns.index_select(0, a) + columns.index_select(0, b + p);
  if (hidden[0]->bias.defined()) x = x + hidden[0]->bias;
  x = act(x);
  for (size_t i = 1; i < hidden.size(); ++i) x = act(hidden[i]->forward(x));
  return out->forward(x);
}

TransformerBlockImpl::TransformerBlockImpl(int64_t d, int64_t heads, int64_t mlp_width, bool layernorm)
    : heads(heads), layernorm(layernorm) {
  qkv = register_module("qkv", torch::nn::Linear(d, 3 * d));
  proj = register_module("proj", torch::nn::Linear(d, d));
  fc1 = register_module("fc1", torch::nn::Linear(d, mlp_width));
  fc2 = register_module("fc2", torch::nn::Linear(mlp_width, d));
  if (layernorm) {
    ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
    ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  }
}

torch::Tensor TransformerBlockImpl::forward(torch::Tensor x, const torch::Tensor& causal_mask) {
  const int64_t n = x.size(0), t = x.size(1), d = x.size(2), dh = d / heads;
  auto h = layernorm ? ln1->forward(x) : x;
  auto qkv_heads = qkv->forward(h).view({n, t, 3, heads, dh}).permute({2, 0, 3, 1, 4});  // 3, n, H, T, dh
  auto scores = torch::matmul(qkv_heads[0], qkv_heads[1].transpose(-2, -1)) / std::sqrt(static_cast<double>(dh));
  auto attended = torch::matmul(torch::softmax(scores + causal_mask, -1), qkv_heads[2]);
  x = x + proj->forward(attended.transpose(1, 2).reshape({n, t, d}));
  h = layernorm ? ln2->forward(x) : x;
  return x + fc2->forward(torch::relu(fc1->forward(h)));
}

PairTransformerImpl::PairTransformerImpl(int64_t p, int64_t layers, int64_t d, int64_t heads, int64_t mlp_width,
                                         bool layernorm)
    : p(p), layernorm(layernorm) {
  token_embed = register_module("token_embed", torch::nn::Embedding(p + 2, d));  // 0..p-1, ∘, =
  position_embed = register_module("position_embed", torch::nn::Embedding(4, d));
  for (int64_t i = 0; i < layers; ++i)
    blocks.push_back(register_module("block" + std::to_string(i), TransformerBlock(d, heads, mlp_width, layernorm)));
  if (layernorm) ln_final = register_module("ln_final", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  unembed = register_module("unembed", torch::nn::Linear(d, p));  // the answer is one of p residues
}

torch::Tensor PairTransformerImpl::forward(const torch::Tensor& a, const torch::Tensor& b) {
  auto op = torch::full_like(a, p), equals = torch::full_like(a, p + 1);
  auto tokens = torch::stack({a, op, b, equals}, 1);  // n, 4
  auto positions = torch::arange(4, a.options());
  auto x = token_embed->forward(tokens) + position_embed->forward(positions);
  auto mask = torch::full({4, 4}, -std::numeric_limits<double>::infinity(), x.options()).triu(1);
  for (auto& block : blocks) x = block->forward(x, mask);
  x = x.select(1, 3);  // the `=` position
  if (layernorm) x = ln_final->forward(x);
  return unembed->forward(x);
}

PairNetwork as_pair_network(PairMlp net) {
  return {net.ptr(), [net](const torch::Tensor& a, const torch::Tensor& b) mutable { return net->forward(a, b); }};
}

PairNetwork as_pair_network(PairTransformer net) {
  return {net.ptr(), [net](const torch::Tensor& a, const torch::Tensor& b) mutable { return net->forward(a, b); }};
}

void init_pair_network(torch::nn::Module& net, double scale, at::Generator& gen) {
  torch::NoGradGuard no_grad;
  auto named = net.named_parameters();
  for (auto& item : named) {
    const auto& key = item.key();
    auto& w = item.value();
    if (key.find("ln") != std::string::npos) continue;
    torch::Tensor draw;
    if (key.find("_embed.") != std::string::npos) {  // token_embed, position_embed; not unembed
      draw = torch::randn(w.sizes(), gen, torch::kFloat64);
    } else {
      auto weight = key.find("weight") != std::string::npos ? w : named[key.substr(0, key.rfind('.')) + ".weight"];
      double bound = 1.0 / std::sqrt(static_cast<double>(weight.size(1)));
      draw = (torch::rand(w.sizes(), gen, torch::kFloat64) * 2 - 1) * bound;
    }
    w.copy_(draw * scale);
  }
}

}  // namespace genbench
