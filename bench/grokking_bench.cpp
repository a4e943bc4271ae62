// Training throughput of the grokking task's two models, one thread, through
// the task itself: the ci-tier MLP (p = 113, 40% of the table, two hidden
// layers of 200, no bias, full batch, AdamW, float64 and float32) and the
// full tier's Power et al. transformer (p = 97, 50%, 2 layers, width 128,
// 4 heads, float32). Each iteration is a whole short run: the table, the
// split, `epochs` full-batch steps and the two evaluations (first and last
// step); epochs/s is the figure to read, and bench/grokking_vs_python.py
// sets it against a plain PyTorch script.
#include <benchmark/benchmark.h>

#include "single_thread.h"
#include "tasks/modular_arithmetic.h"

namespace {

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
  for (auto _ : state) task.run({params, 0, "cpu", epochs, stop}, sink);
  state.counters["epochs/s"] =
      benchmark::Counter(static_cast<double>(epochs * state.iterations()), benchmark::Counter::kIsRate);
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
