// The double-descent MLP's hand-written backward is autograd's, bit for bit:
// for a member alone (torch::nn::Linear, relu, cross_entropy) and for every
// member of a stack, each gradient compared with equal() against that
// member's own autograd, through the CPU loops and through the ATen ops a GPU takes.
#include "tasks/models/relu_mlp_backprop.h"

#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

#include "tasks/models/relu_mlp.h"

using namespace genbench;

namespace {

constexpr int64_t kIn = 50, kClasses = 10;

// S members of one architecture, each a ReluMlp of its own seed, and the same
// weights stacked, with gradient buffers full of stale values.
struct Stack {
  std::vector<ReluMlp> members;
  std::vector<ReluMlpBackprop::Layer> layers;
};

Stack make(int64_t S, int64_t width, int64_t depth) {
  Stack stack;
  for (int64_t i = 0; i < S; ++i) {
    stack.members.emplace_back(kIn, width, depth, kClasses);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(10 + i);
    stack.members.back()->init(gen);
  }
  torch::NoGradGuard no_grad;
  for (int64_t l = 0; l <= depth; ++l) {
    auto linear = [&](int64_t i) { return l == depth ? stack.members[i]->out : stack.members[i]->hidden[l]; };
    std::vector<torch::Tensor> W, b;
    for (int64_t i = 0; i < S; ++i) W.push_back(linear(i)->weight), b.push_back(linear(i)->bias.unsqueeze(0));
    auto weight = torch::stack(W), bias = torch::stack(b);
    stack.layers.push_back({weight, bias, torch::full_like(weight, 7.0), torch::full_like(bias, 7.0)});
  }
  return stack;
}

// Member i's gradients through autograd: [weight, bias] per layer, in order.
std::vector<torch::Tensor> autograd_gradients(ReluMlp& net, const torch::Tensor& x, const torch::Tensor& y) {
  for (auto& w : net->parameters()) w.mutable_grad() = torch::Tensor();
  torch::nn::functional::cross_entropy(net->forward(x), y).backward();
  std::vector<torch::Tensor> grads;
  for (auto& h : net->hidden) grads.push_back(h->weight.grad()), grads.push_back(h->bias.grad());
  grads.push_back(net->out->weight.grad()), grads.push_back(net->out->bias.grad());
  return grads;
}

void require_autograds(Stack& stack, const torch::Tensor& x, const torch::Tensor& y) {
  const int64_t S = x.size(0), rows = x.size(1);
  for (int64_t i = 0; i < S; ++i) {
    auto expected = autograd_gradients(stack.members[i], x[i], y.narrow(0, i * rows, rows));
    for (size_t l = 0; l < stack.layers.size(); ++l) {
      CAPTURE(i, l);
      const auto& weight = stack.layers[l].weight_grad[i];
      const auto bias = stack.layers[l].bias_grad[i][0];
      CAPTURE((weight - expected[2 * l]).abs().max().item<double>());
      CHECK(torch::equal(weight, expected[2 * l]));
      CHECK(torch::equal(bias, expected[2 * l + 1]));
    }
  }
}

}  // namespace

TEST_CASE("the hand-written ReLU MLP backward gives each member autograd's gradients bit for bit",
          "[tasks][mlp_classifier][backprop]") {
  const int64_t S = GENERATE(1, 3);
  const int64_t depth = GENERATE(1, 2);
  const int64_t width = GENERATE(3, 24, 64);
  const auto kernels = GENERATE(BackpropKernels::Native, BackpropKernels::Aten);  // Aten: the path a GPU takes
  CAPTURE(S, depth, width, kernels == BackpropKernels::Aten);
  auto stack = make(S, width, depth);
  ReluMlpBackprop backprop(stack.layers, kernels);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(99);
  auto batch = [&](int64_t rows) {
    return std::pair{torch::randn({S, rows, kIn}, gen, torch::kFloat32),
                     torch::randint(0, kClasses, {S * rows}, gen, torch::kInt64)};
  };

  SECTION("batch after batch, with new labels and a smaller last batch") {
    // rows = 2 makes the last layer's products small enough (< 400
    // multiply-adds) to go member by member in a stack.
    for (int64_t rows : {128, 128, 104, 2, 128}) {
      CAPTURE(rows);
      auto [x, y] = batch(rows);
      backprop.gradients(x, y);
      require_autograds(stack, x, y);
    }
  }
  SECTION("after the weights move") {
    auto [x, y] = batch(64);
    backprop.gradients(x, y);
    {
      torch::NoGradGuard no_grad;  // both views of the weights move together
      for (auto& layer : stack.layers) layer.weight.sub_(layer.weight_grad * 0.5), layer.bias.sub_(layer.bias_grad * 0.5);
      for (int64_t i = 0; i < S; ++i)
        for (size_t l = 0; l < stack.layers.size(); ++l) {
          auto& linear = l + 1 == stack.layers.size() ? stack.members[i]->out : stack.members[i]->hidden[l];
          linear->weight.copy_(stack.layers[l].weight[i]);
          linear->bias.copy_(stack.layers[l].bias[i][0]);
        }
    }
    backprop.gradients(x, y);
    require_autograds(stack, x, y);
  }
}

TEST_CASE("the hand-written ReLU MLP backward refuses what it does not compute", "[tasks][mlp_classifier][backprop]") {
  auto stack = make(2, 8, 1);
  ReluMlpBackprop backprop(stack.layers);
  auto x = torch::randn({2, 5, kIn});
  SECTION("a label outside the classes") {
    auto y = torch::full({10}, int64_t{10});
    REQUIRE_THROWS_WITH(backprop.gradients(x, y), Catch::Contains("a label outside [0, 10)"));
  }
  SECTION("labels that are not one per row of every member") {
    REQUIRE_THROWS_WITH(backprop.gradients(x, torch::zeros({5}, torch::kInt64)),
                        Catch::Contains("one label per row of every member"));
  }
  SECTION("layers that do not chain") {
    auto layers = stack.layers;
    layers[1].weight = torch::zeros({2, 10, 9}), layers[1].weight_grad = torch::zeros({2, 10, 9});
    REQUIRE_THROWS_WITH(ReluMlpBackprop(layers), Catch::Contains("each taking the last's output"));
  }
  SECTION("float64 inputs") {
    REQUIRE_THROWS_WITH(backprop.gradients(x.to(torch::kFloat64), torch::zeros({10}, torch::kInt64)),
                        Catch::Contains("contiguous float32"));
  }
}
