// The grokking MLP's hand-written backward is autograd's, bit for bit: the
// same weights, the same pairs, and every gradient compared with equal(),
// alone and stacked, through the CPU loops and through the ATen ops a GPU takes.
#include "tasks/models/pair_mlp_backprop.h"

#include <catch2/catch.hpp>

#include "tasks/models/modular_nets.h"

using namespace genbench;

namespace {

struct Net {
  PairMlp mlp;
  std::vector<torch::Tensor> grads;  // defined up front, as the flat optimizer keeps them
};

Net make(int64_t p, int64_t depth, int64_t width, torch::Dtype dtype, uint64_t seed) {
  Net net{PairMlp(p, depth, width, /*bias=*/false, /*quadratic=*/false), {}};
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  init_pair_network(*net.mlp, 1.0, gen);
  net.mlp->to(dtype);
  for (auto& w : net.mlp->parameters()) w.mutable_grad() = torch::full_like(w, 7.0);  // stale: must be overwritten
  return net;
}

std::vector<torch::Tensor> autograd_gradients(PairMlp& mlp, const torch::Tensor& a, const torch::Tensor& b,
                                              const torch::Tensor& y) {
  for (auto& w : mlp->parameters()) w.mutable_grad() = torch::Tensor();
  torch::nn::functional::cross_entropy(mlp->forward(a, b), y).backward();
  std::vector<torch::Tensor> grads;
  for (auto& w : mlp->parameters()) grads.push_back(w.grad().clone());
  return grads;
}

void require_bitwise_equal(const std::vector<torch::Tensor>& expected, PairMlp& mlp) {
  auto weights = mlp->parameters();
  REQUIRE(weights.size() == expected.size());
  for (size_t i = 0; i < weights.size(); ++i) {
    CAPTURE(i, (weights[i].grad() - expected[i]).abs().max().item<double>());
    CHECK(torch::equal(weights[i].grad(), expected[i]));
  }
}

}  // namespace

TEST_CASE("the hand-written MLP backward gives autograd's gradients bit for bit",
          "[tasks][modular_arithmetic][backprop]") {
  const auto dtype = GENERATE(torch::kFloat64, torch::kFloat32);
  const int64_t depth = GENERATE(1, 2, 3);
  const auto kernels = GENERATE(PairMlpBackprop::Kernels::Native, PairMlpBackprop::Kernels::Aten);  // Aten: a GPU's path
  CAPTURE(dtype, depth, kernels == PairMlpBackprop::Kernels::Aten);
  const int64_t p = 23, n = 300;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  auto a = torch::randint(0, p, {n}, gen, torch::kInt64), b = torch::randint(0, p, {n}, gen, torch::kInt64);
  auto y = (a + b).remainder(p);

  auto mine = make(p, depth, 48, dtype, 1), reference = make(p, depth, 48, dtype, 1);
  PairMlpBackprop backprop(mine.mlp, kernels);

  SECTION("on a full batch, step after step") {
    for (int step = 0; step < 3; ++step) {
      CAPTURE(step);
      auto expected = autograd_gradients(reference.mlp, a, b, y);
      backprop.gradients(a, b, y);
      require_bitwise_equal(expected, mine.mlp);
      torch::NoGradGuard no_grad;  // move both the same way so the next step sees new weights
      for (auto* net : {&mine, &reference})
        for (auto& w : net->mlp->parameters()) w.sub_(w.grad() * 0.5);
    }
  }
  SECTION("on minibatches of changing labels and a smaller last one") {
    for (auto [start, size] : {std::pair<int64_t, int64_t>{0, 128}, {128, 128}, {256, 44}}) {
      CAPTURE(start, size);
      auto ai = a.narrow(0, start, size), bi = b.narrow(0, start, size), yi = y.narrow(0, start, size).clone();
      auto expected = autograd_gradients(reference.mlp, ai, bi, yi);
      backprop.gradients(ai, bi, yi);
      require_bitwise_equal(expected, mine.mlp);
    }
  }
}

TEST_CASE("the hand-written backward covers the relu MLP without biases only", "[tasks][modular_arithmetic][backprop]") {
  CHECK(PairMlpBackprop::covers(*PairMlp(23, 2, 16, false, false)));
  CHECK_FALSE(PairMlpBackprop::covers(*PairMlp(23, 2, 16, true, false)));
  CHECK_FALSE(PairMlpBackprop::covers(*PairMlp(23, 2, 16, false, true)));
  CHECK_THROWS_WITH(PairMlpBackprop(PairMlp(23, 2, 16, true, false)),
                    Catch::Contains("PairMlpBackprop: a relu PairMlp without biases"));
}

namespace {

// Layer l of every member as one tensor [S, out, in], and the gradients'
// tensor: what a stacked run hands the backward.
std::vector<PairMlpBackprop::Layer> stacked_layers(std::vector<Net>& members) {
  std::vector<PairMlpBackprop::Layer> layers;
  const size_t count = members[0].mlp->parameters().size();
  for (size_t l = 0; l < count; ++l) {
    std::vector<torch::Tensor> weights;
    for (auto& m : members) weights.push_back(m.mlp->parameters()[l].detach());
    auto stacked = torch::stack(weights);
    layers.push_back({stacked, torch::full_like(stacked, 7.0)});  // stale: must be overwritten
  }
  return layers;
}

}  // namespace

TEST_CASE("a stack's hand-written backward gives each member its own autograd gradients bit for bit",
          "[tasks][modular_arithmetic][backprop][stack]") {
  using Kernels = PairMlpBackprop::Kernels;
  const auto dtype = GENERATE(torch::kFloat64, torch::kFloat32);
  const int64_t depth = GENERATE(1, 2, 3);
  const auto kernels = GENERATE(Kernels::Native, Kernels::Aten);  // Aten: the path a GPU takes
  CAPTURE(dtype, depth, kernels == Kernels::Aten);
  const int64_t p = 23, n = 300, S = 3;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  auto a = torch::randint(0, p, {S, n}, gen, torch::kInt64), b = torch::randint(0, p, {S, n}, gen, torch::kInt64);
  auto y = (a + b).remainder(p);  // each member its own pairs

  std::vector<Net> members;
  for (uint64_t seed = 1; seed <= S; ++seed) members.push_back(make(p, depth, 48, dtype, seed));
  auto layers = stacked_layers(members);
  PairMlpBackprop backprop(layers, p, kernels);

  auto check_members = [&](int64_t start, int64_t size) {
    auto ai = a.narrow(1, start, size).contiguous(), bi = b.narrow(1, start, size).contiguous();
    auto yi = y.narrow(1, start, size).reshape(-1);
    backprop.gradients(ai, bi, yi);
    for (int64_t s = 0; s < S; ++s) {
      CAPTURE(s);
      auto expected = autograd_gradients(members[s].mlp, ai[s], bi[s], yi.narrow(0, s * size, size));
      for (size_t l = 0; l < layers.size(); ++l) {
        CAPTURE(l);
        CHECK(torch::equal(layers[l].weight_grad[s], expected[l]));
      }
    }
  };
  SECTION("on a full batch, step after step") {
    for (int step = 0; step < 3; ++step) {
      CAPTURE(step);
      check_members(0, n);
      torch::NoGradGuard no_grad;  // move the stack and every member the same way
      for (size_t l = 0; l < layers.size(); ++l) {
        layers[l].weight.sub_(layers[l].weight_grad * 0.5);
        for (int64_t s = 0; s < S; ++s) members[s].mlp->parameters()[l].copy_(layers[l].weight[s]);
      }
    }
  }
  SECTION("on minibatches and a smaller last one") {
    check_members(0, 128);
    check_members(128, 128);
    check_members(256, 44);
  }
}

TEST_CASE("a stack's layers must chain: one hidden width, 2p inputs, p outputs", "[tasks][modular_arithmetic][backprop][stack]") {
  auto layer = [](int64_t out, int64_t in) {
    auto w = torch::zeros({2, out, in}, torch::kFloat64);
    return PairMlpBackprop::Layer{w, torch::zeros_like(w)};
  };
  CHECK_NOTHROW(PairMlpBackprop({layer(16, 46), layer(16, 16), layer(23, 16)}, 23));
  CHECK_THROWS_WITH(PairMlpBackprop({layer(16, 40), layer(23, 16)}, 23),
                    Catch::Contains("PairMlpBackprop: the first layer is [S, width, 2p]"));
  CHECK_THROWS_WITH(PairMlpBackprop({layer(16, 46), layer(8, 16), layer(23, 8)}, 23),
                    Catch::Contains("PairMlpBackprop: hidden layers of one width, each taking the last's output, and p outputs"));
  CHECK_THROWS_WITH(PairMlpBackprop({layer(16, 46), layer(20, 16)}, 23),
                    Catch::Contains("PairMlpBackprop: hidden layers of one width, each taking the last's output, and p outputs"));
}
