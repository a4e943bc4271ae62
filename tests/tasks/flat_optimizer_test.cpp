// The flat optimizer against torch::optim: the same model, data and steps,
// the parameters equal bit for bit after every step, for every kind and
// setting the tasks use. Odd shapes, so the buffers' vector loops and their
// tails fall differently than in per-tensor steps.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include "tasks/flat_optimizer.h"
#include "tasks/training.h"

using namespace genbench;

namespace {

struct Net : torch::nn::Module {
  torch::nn::Linear a{nullptr}, b{nullptr};
  Net() {
    a = register_module("a", torch::nn::Linear(13, 29));
    b = register_module("b", torch::nn::Linear(29, 7));
  }
  torch::Tensor forward(const torch::Tensor& x) { return b(torch::relu(a(x))); }
};

std::unique_ptr<torch::optim::Optimizer> reference(std::vector<torch::Tensor> params, const OptimizerConfig& c) {
  namespace optim = torch::optim;
  if (c.kind == "sgd")
    return std::make_unique<optim::SGD>(params, optim::SGDOptions(c.lr).momentum(c.momentum).weight_decay(c.weight_decay));
  if (c.kind == "adam")
    return std::make_unique<optim::Adam>(
        params, optim::AdamOptions(c.lr).betas(std::make_tuple(c.beta1, c.beta2)).eps(c.eps).weight_decay(c.weight_decay));
  return std::make_unique<optim::AdamW>(
      params, optim::AdamWOptions(c.lr).betas(std::make_tuple(c.beta1, c.beta2)).eps(c.eps).weight_decay(c.weight_decay));
}

}  // namespace

TEST_CASE("the flat optimizer's steps equal torch::optim's bit for bit", "[tasks][optimizer]") {
  auto [kind, momentum, weight_decay] = GENERATE(table<std::string, double, double>({
      {"sgd", 0.0, 0.0}, {"sgd", 0.9, 0.0}, {"sgd", 0.9, 5e-4}, {"adam", 0.0, 0.0},
      {"adam", 0.0, 1e-2}, {"adamw", 0.0, 0.0}, {"adamw", 0.0, 1.0}}));
  auto dtype = GENERATE(torch::kFloat64, torch::kFloat32);
  CAPTURE(kind, momentum, weight_decay, dtype == torch::kFloat64 ? "float64" : "float32");
  OptimizerConfig c{kind, kind == "sgd" ? 0.05 : 1e-3};
  c.momentum = momentum, c.weight_decay = weight_decay, c.beta2 = 0.98;

  torch::manual_seed(3);
  auto flat_net = std::make_shared<Net>(), torch_net = std::make_shared<Net>();
  flat_net->to(dtype), torch_net->to(dtype);
  {
    torch::NoGradGuard no_grad;
    auto from = flat_net->parameters(), to = torch_net->parameters();
    for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
  }
  FlatOptimizer flat(flat_net->parameters(), c);
  auto ref = reference(torch_net->parameters(), c);
  auto x = torch::randn({64, 13}, torch::TensorOptions().dtype(dtype));
  auto y = torch::randint(0, 7, {64});
  for (int step = 1; step <= 25; ++step) {
    flat.zero_grad();
    torch::nn::functional::cross_entropy(flat_net->forward(x), y).backward();
    flat.step();
    ref->zero_grad();
    torch::nn::functional::cross_entropy(torch_net->forward(x), y).backward();
    ref->step();
    auto a = flat_net->parameters(), b = torch_net->parameters();
    for (size_t i = 0; i < a.size(); ++i) {
      CAPTURE(step, i);
      REQUIRE(torch::equal(a[i], b[i]));
    }
  }
  CHECK(flat.size() == 13 * 29 + 29 + 29 * 7 + 7);
}

TEST_CASE("the flat optimizer keeps parameters as views of its buffer, and a replaced gradient still counts",
          "[tasks][optimizer]") {
  torch::manual_seed(0);
  auto net = std::make_shared<Net>();
  auto weight = net->a->weight;
  FlatOptimizer opt(net->parameters(), OptimizerConfig{"sgd", 1.0});
  opt.zero_grad();
  // a gradient set from outside (as autograd does under create_graph) is taken into the buffer at the next step
  weight.mutable_grad() = torch::ones_like(weight);
  auto before = weight.clone();
  opt.step();
  CHECK(torch::equal(weight, before - 1));
  CHECK(weight.data_ptr() == net->parameters()[0].data_ptr());  // the module sees the step
  SECTION("a bad kind is one clear error") {
    REQUIRE_THROWS_WITH(FlatOptimizer(net->parameters(), OptimizerConfig{"adagrad", 1.0}),
                        "unknown optimizer 'adagrad': expected sgd, adam or adamw");
  }
}
