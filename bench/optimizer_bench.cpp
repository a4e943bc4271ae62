// One optimizer step (gradients already there) of the flat optimizer against
// torch::optim's, on the parameter shapes the tasks train: the double-descent
// MLP (784 -> k -> 10, k = 8 / 24 / 64) and the grokking MLP (2 x 113 one-hot
// -> 512 -> 113), float64, single-threaded. The flat step is a fixed handful
// of passes over one buffer; torch::optim's is that many per parameter tensor,
// so small models are where it pays. Read the ratio of CPU times from one run
// (--benchmark_enable_random_interleaving, repetitions): this machine is shared.
#include <benchmark/benchmark.h>

#include "single_thread.h"
#include "tasks/flat_optimizer.h"
#include "tasks/training.h"

namespace {

std::vector<torch::Tensor> mlp_parameters(const std::vector<int64_t>& widths) {
  std::vector<torch::Tensor> out;
  for (size_t i = 0; i + 1 < widths.size(); ++i) {
    out.push_back(torch::randn({widths[i + 1], widths[i]}, torch::kFloat64).requires_grad_());
    out.push_back(torch::randn({widths[i + 1]}, torch::kFloat64).requires_grad_());
  }
  for (auto& p : out) p.mutable_grad() = torch::randn_like(p) * 1e-3;
  return out;
}

std::vector<int64_t> shapes(int64_t which) {
  if (which == 0) return {226, 512, 113};  // grokking
  return {784, which, 10};                 // double descent, width k
}

genbench::OptimizerConfig config(int64_t kind) {
  genbench::OptimizerConfig c{kind == 0 ? "adam" : kind == 1 ? "adamw" : "sgd", kind == 2 ? 0.05 : 1e-3};
  c.momentum = kind == 2 ? 0.9 : 0;
  c.weight_decay = kind == 1 ? 1.0 : kind == 2 ? 5e-4 : 0;
  return c;
}

}  // namespace

// Args: {shape (0: grokking, else the MLP's width k), kind (0 adam, 1 adamw, 2 sgd with momentum)}
static void BM_FlatStep(benchmark::State& state) {
  auto params = mlp_parameters(shapes(state.range(0)));
  genbench::FlatOptimizer opt(params, config(state.range(1)));
  for (auto _ : state) opt.step();
}

static void BM_TorchOptimStep(benchmark::State& state) {
  auto params = mlp_parameters(shapes(state.range(0)));
  auto c = config(state.range(1));
  std::unique_ptr<torch::optim::Optimizer> opt;
  namespace optim = torch::optim;
  if (c.kind == "adam") opt = std::make_unique<optim::Adam>(params, optim::AdamOptions(c.lr));
  else if (c.kind == "adamw") opt = std::make_unique<optim::AdamW>(params, optim::AdamWOptions(c.lr).weight_decay(c.weight_decay));
  else opt = std::make_unique<optim::SGD>(params, optim::SGDOptions(c.lr).momentum(c.momentum).weight_decay(c.weight_decay));
  for (auto _ : state) opt->step();
}

#define OPTIMIZER_ARGS ->Args({8, 0})->Args({24, 0})->Args({64, 0})->Args({24, 2})->Args({0, 1})->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime()
BENCHMARK(BM_FlatStep) OPTIMIZER_ARGS;
BENCHMARK(BM_TorchOptimStep) OPTIMIZER_ARGS;

int main(int argc, char** argv) {
  genbench::bench::single_thread(argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
