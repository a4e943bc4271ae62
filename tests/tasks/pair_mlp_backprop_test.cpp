// The grokking MLP's hand-written backward is autograd's, bit for bit: the
// same weights, the same pairs, and every gradient compared with equal().
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
  CAPTURE(dtype, depth);
  const int64_t p = 23, n = 300;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  auto a = torch::randint(0, p, {n}, gen, torch::kInt64), b = torch::randint(0, p, {n}, gen, torch::kInt64);
  auto y = (a + b).remainder(p);

  auto mine = make(p, depth, 48, dtype, 1), reference = make(p, depth, 48, dtype, 1);
  PairMlpBackprop backprop(mine.mlp);

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
