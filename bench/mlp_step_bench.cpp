// One training step of the double-descent MLP (pooled 14 x 14 inputs -> k ->
// 10, a batch of 128, Adam through the flat optimizer), float32,
// single-threaded, three ways in one run:
//   BM_MlpStepAutograd  torch::nn::Linear + cross_entropy + backward(), as
//                       the task trained before its hand-written backward;
//   BM_MlpStepByHand    ReluMlpBackprop, what the task trains with now;
//   BM_MlpStepMatmuls   the step's products alone (forward, dW, and dx for
//                       the last layer), into kept buffers: the floor.
// Arg: the width k; a second arg S > 1 trains a stack of S members by hand.
// Read ratios of CPU time from one run with
// --benchmark_enable_random_interleaving and repetitions: this host is shared.
#include <benchmark/benchmark.h>

#include <ATen/CPUGeneratorImpl.h>

#include "single_thread.h"
#include "tasks/models/relu_mlp.h"
#include "tasks/models/relu_mlp_backprop.h"
#include "tasks/training.h"

namespace {

constexpr int64_t kIn = 196, kBatch = 128, kRows = 1000;

struct Data {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(0);  // first: X and y are drawn from it
  torch::Tensor X, y;  // the training set; batches are drawn from it as the task draws them
  Data(int64_t S) : X(torch::rand({S * kRows, kIn}, gen)), y(torch::randint(0, 10, {S * kRows}, gen, torch::kInt64)) {}
  torch::Tensor batch_rows(int64_t S) {
    return (torch::randint(0, kRows, {S, kBatch}, gen, torch::kInt64) + torch::arange(S).view({S, 1}) * kRows).view(-1);
  }
};

genbench::OptimizerConfig adam() { return {"adam", 1e-3}; }

}  // namespace

static void BM_MlpStepAutograd(benchmark::State& state) {
  const int64_t k = state.range(0);
  Data data(1);
  genbench::ReluMlp net(kIn, k, 1);
  auto opt = genbench::make_optimizer(net->parameters(), adam());
  for (auto _ : state) {
    auto idx = data.batch_rows(1);
    auto loss = torch::nn::functional::cross_entropy(net->forward(data.X.index_select(0, idx)), data.y.index_select(0, idx));
    opt->zero_grad();
    loss.backward();
    opt->step();
  }
}

static void BM_MlpStepByHand(benchmark::State& state) {
  const int64_t k = state.range(0), S = state.range(1);
  Data data(S);
  std::vector<torch::Tensor> parameters;
  std::vector<genbench::ReluMlpBackprop::Layer> layers;
  for (auto [in, out] : {std::pair{kIn, k}, {k, int64_t{10}}}) {
    parameters.push_back(torch::randn({S, out, in}) * 0.1);
    parameters.push_back(torch::zeros({S, 1, out}));
  }
  auto opt = genbench::make_optimizer(parameters, adam());
  for (size_t l = 0; l < parameters.size(); l += 2)
    layers.push_back({parameters[l], parameters[l + 1], parameters[l].grad(), parameters[l + 1].grad()});
  genbench::ReluMlpBackprop backprop(layers);
  for (auto _ : state) {
    auto idx = data.batch_rows(S);
    backprop.gradients(data.X.index_select(0, idx).view({S, kBatch, kIn}), data.y.index_select(0, idx));
    opt->step();
  }
}

static void BM_MlpStepMatmuls(benchmark::State& state) {
  const int64_t k = state.range(0);
  auto x = torch::rand({kBatch, kIn}), W1 = torch::randn({k, kIn}), b1 = torch::zeros({k});
  auto W2 = torch::randn({10, k}), b2 = torch::zeros({10});
  auto h = torch::empty({kBatch, k}), logits = torch::empty({kBatch, 10}), g = torch::randn({kBatch, 10});
  auto dW2 = torch::empty_like(W2), dh = torch::empty_like(h), dW1 = torch::empty_like(W1);
  for (auto _ : state) {
    at::addmm_out(h, b1, x, W1.t());
    at::addmm_out(logits, b2, h, W2.t());
    at::mm_out(dW2, g.t(), h);
    at::mm_out(dh, g, W2);
    at::mm_out(dW1, dh.t(), x);
  }
}

#define MLP_WIDTHS ->Arg(8)->Arg(32)->Arg(48)->Arg(64)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime()
BENCHMARK(BM_MlpStepAutograd) MLP_WIDTHS;
BENCHMARK(BM_MlpStepByHand)->ArgNames({"k", "S"})->Args({8, 1})->Args({32, 1})->Args({48, 1})->Args({64, 1})->Args({128, 1})->Args({512, 1})
    ->Args({8, 3})->Args({32, 3})->Args({48, 3})->Args({64, 3})->Args({128, 3})->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime();
BENCHMARK(BM_MlpStepMatmuls) MLP_WIDTHS;

int main(int argc, char** argv) {
  genbench::bench::single_thread(argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
