// Training throughput of the grokking task's two models, one thread, through
// the task itself: the ci-tier MLP (p = 113, 40% of the table, two hidden
// layers of 200, no bias, full batch, AdamW, float64 and float32) and the
// full tier's Power et al. transformer (p = 97, 50%, 2 layers, width 128,
// 4 heads, float32). Each iteration is a whole short run: the table, the
// split, `epochs` full-batch steps and the two evaluations (first and last
// step); epochs/s is the figure to read, and bench/grokking_vs_python.py
// sets it against a plain PyTorch script.
//
// The MLP's floor: the same run's matrix products alone (six per epoch, and
// two per evaluation of the train and the test set), at its shapes, timed in
// the same benchmark as process CPU time. `of_matmul_floor` is floor / run:
// 1 would be a run that is nothing but its products.
#include <benchmark/benchmark.h>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <ctime>

#include "single_thread.h"
#include "tasks/modular_arithmetic.h"
#include "tasks/models/modular_nets.h"
#include "tasks/models/pair_mlp_backprop.h"

namespace {

double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// A depth-2 PairMlp's matrix products at its shapes, on random operands: the
// forward's two and the backward's four (the first layer is a lookup, not a
// product).
struct MlpProducts {
  torch::Tensor w1, w2, h, g, gh, z, logits, dw1, dw2, dh;
  MlpProducts(int64_t p, int64_t width, int64_t rows, torch::Dtype dtype) {
    auto o = torch::TensorOptions().dtype(dtype);
    w1 = torch::randn({width, width}, o), w2 = torch::randn({p, width}, o);
    h = torch::randn({rows, width}, o), g = torch::randn({rows, p}, o), gh = torch::randn({rows, width}, o);
    z = torch::empty({rows, width}, o), logits = torch::empty({rows, p}, o);
    dw1 = torch::empty_like(w1), dw2 = torch::empty_like(w2), dh = torch::empty_like(h);
  }
  void forward() {
    at::mm_out(z, h, w1.t());
    at::mm_out(logits, z, w2.t());
  }
  void gradient() {
    forward();
    at::mm_out(dw2, g.t(), z);
    at::mm_out(dh, g, w2);
    at::mm_out(dw1, gh.t(), h);
    at::mm_out(dh, gh, w1);
  }
};

// The products of `epochs` full-batch epochs and of two evaluations of the
// train and the test set, process CPU seconds.
double matmul_floor_seconds(int64_t p, int64_t width, int64_t n_train, int64_t n_test, int64_t epochs,
                            torch::Dtype dtype) {
  torch::NoGradGuard no_grad;
  MlpProducts train(p, width, n_train, dtype), eval(p, width, n_train + n_test, dtype);
  const double start = cpu_seconds();
  for (int64_t e = 0; e < epochs; ++e) train.gradient();
  for (int k = 0; k < 2; ++k) eval.forward();
  return cpu_seconds() - start;
}

struct NullSink : genbench::MetricSink {
  void log(int64_t, const genbench::Metrics&) override {}
  void summary(const std::string&, double) override {}
};

void train(benchmark::State& state, genbench::Params params, int64_t epochs) {
  genbench::ModularArithmetic task;
  params.set("epochs", epochs);
  if (auto problem = task.check(params); !problem.empty()) {
    state.SkipWithError(problem.c_str());
    return;
  }
  std::atomic<bool> stop{false};
  NullSink sink;
  const double start = cpu_seconds();
  for (auto _ : state) task.run({params, 0, "cpu", epochs, stop}, sink);
  const double run_seconds = (cpu_seconds() - start) / static_cast<double>(state.iterations());
  state.counters["epochs/s"] =
      benchmark::Counter(static_cast<double>(epochs * state.iterations()), benchmark::Counter::kIsRate);
  if (params.get_string("model") == "mlp" && params.get_int("depth") == 2) {
    const int64_t p = params.get_int("p"), pairs = p * p;
    const auto n_train = static_cast<int64_t>(params.get_float("train_fraction") * static_cast<double>(pairs));
    double floor = 1e300;
    for (int rep = 0; rep < 3; ++rep)  // the least of three: the products at their fastest here
      floor = std::min(floor, matmul_floor_seconds(p, params.get_int("width"), n_train, pairs - n_train, epochs,
                                                   params.get_string("dtype") == "float64" ? torch::kFloat64
                                                                                          : torch::kFloat32));
    state.counters["of_matmul_floor"] = floor / run_seconds;
  }
}

genbench::Params defaults() {
  genbench::ModularArithmetic task;
  return genbench::default_params(task.params());
}

}  // namespace

static void BM_GrokkingMlp(benchmark::State& state) {
  auto params = defaults();
  params.set("p", int64_t{113});
  params.set("train_fraction", 0.4);
  params.set("width", int64_t{200});
  params.set("bias", false);
  params.set("dtype", std::string(state.range(0) == 64 ? "float64" : "float32"));
  train(state, params, 50);
}
BENCHMARK(BM_GrokkingMlp)->ArgName("bits")->Arg(64)->Arg(32)->Unit(benchmark::kMillisecond);

// One full-batch gradient of the ci MLP (p = 113, 5107 training pairs, two
// hidden layers of 200, no bias), three ways: autograd, the hand-written
// backward the task uses on a CPU (tasks/models/pair_mlp_backprop.h), and
// the floor: its six matrix products alone, at the same shapes.
// Compare with --benchmark_enable_random_interleaving and repetitions.
struct GradientCase {
  genbench::PairMlp net;
  torch::Tensor a, b, y;
};

GradientCase gradient_case(torch::Dtype dtype) {
  const int64_t p = 113, n = p * p * 2 / 5;
  GradientCase c{genbench::PairMlp(p, 2, 200, false, false), {}, {}, {}};
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
  genbench::init_pair_network(*c.net, 1.0, gen);
  c.net->to(dtype);
  for (auto& w : c.net->parameters()) w.mutable_grad() = torch::zeros_like(w);
  c.a = torch::randint(0, p, {n}, gen, torch::kInt64);
  c.b = torch::randint(0, p, {n}, gen, torch::kInt64);
  c.y = (c.a + c.b).remainder(p);
  return c;
}

torch::Dtype dtype_of(const benchmark::State& state) { return state.range(0) == 64 ? torch::kFloat64 : torch::kFloat32; }

// float64 and float32, in process CPU time, with the least repetition beside
// the median (on a shared machine the least is the one least disturbed).
void gradient_args(benchmark::internal::Benchmark* b) {
  b->ArgName("bits")->Arg(64)->Arg(32)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();
  b->ComputeStatistics("min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); });
}

static void BM_GrokkingGradientAutograd(benchmark::State& state) {
  auto c = gradient_case(dtype_of(state));
  for (auto _ : state) {
    for (auto& w : c.net->parameters()) w.mutable_grad().zero_();
    torch::nn::functional::cross_entropy(c.net->forward(c.a, c.b), c.y).backward();
  }
}
BENCHMARK(BM_GrokkingGradientAutograd)->Apply(gradient_args);

static void BM_GrokkingGradientByHand(benchmark::State& state) {
  auto c = gradient_case(dtype_of(state));
  genbench::PairMlpBackprop backprop(c.net);
  for (auto _ : state) backprop.gradients(c.a, c.b, c.y);
}
BENCHMARK(BM_GrokkingGradientByHand)->Apply(gradient_args);

static void BM_GrokkingGradientMatmulFloor(benchmark::State& state) {
  torch::NoGradGuard no_grad;
  const int64_t p = 113;
  MlpProducts products(p, 200, p * p * 2 / 5, dtype_of(state));
  for (auto _ : state) products.gradient();
}
BENCHMARK(BM_GrokkingGradientMatmulFloor)->Apply(gradient_args);

// S members' gradients as one stack (tasks/modular_arithmetic.cpp,
// run_stack), float64 at the ci tier's width (100) and the paper's (200):
// per_member is the stacked gradient's time over S, against S = 1, a run
// alone. ModularArithmetic::stacks keeps stacks off a CPU on this figure.
static void BM_GrokkingGradientStacked(benchmark::State& state) {
  torch::NoGradGuard no_grad;
  const int64_t S = state.range(0), width = state.range(1), p = 113, n = p * p * 2 / 5;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
  std::vector<genbench::PairMlpBackprop::Layer> layers;
  for (auto [out, in] : {std::pair<int64_t, int64_t>{width, 2 * p}, {width, width}, {p, width}}) {
    auto w = (torch::rand({S, out, in}, gen, torch::kFloat64) * 2 - 1) / std::sqrt(static_cast<double>(in));
    layers.push_back({w, torch::zeros_like(w)});
  }
  genbench::PairMlpBackprop backprop(layers, p);
  auto a = torch::randint(0, p, {S, n}, gen, torch::kInt64), b = torch::randint(0, p, {S, n}, gen, torch::kInt64);
  auto y = (a + b).remainder(p).view(-1);
  for (auto _ : state) backprop.gradients(a, b, y);
  state.counters["per_member"] =
      benchmark::Counter(static_cast<double>(S), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_GrokkingGradientStacked)
    ->ArgNames({"members", "width"})
    ->ArgsProduct({{1, 2, 4}, {100, 200}})
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->ComputeStatistics("min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); });

static void BM_GrokkingTransformer(benchmark::State& state) {
  auto params = defaults();
  params.set("model", std::string("transformer"));
  params.set("p", int64_t{97});
  params.set("op", std::string("div"));
  params.set("train_fraction", 0.5);
  params.set("layers", int64_t{2});
  params.set("d_model", int64_t{128});
  params.set("heads", int64_t{4});
  params.set("mlp_width", int64_t{512});
  params.set("dtype", std::string("float32"));
  train(state, params, 5);
}
BENCHMARK(BM_GrokkingTransformer)->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  genbench::bench::single_thread(argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
