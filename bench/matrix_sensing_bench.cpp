// One optimizer step of matrix sensing at d = 30, 100, 300 (r = 2, m = 10 d),
// single-threaded. Two mat-vecs with the m x d(d+1)/2 packed operator dominate:
// 4 m d(d+1)/2 flops a step, reported as GFLOP/s.
#include <benchmark/benchmark.h>

#include "single_thread.h"
#include "tasks/matrix_sensing.h"

using namespace genbench;

static void BM_MatrixSensingStep(benchmark::State& state, const char* optimizer) {
  auto params = default_params(MatrixSensing().params());
  const int64_t d = state.range(0);
  params.set("d", d);
  params.set("m", 10 * d);
  params.set("k", d);
  params.set("optimizer", std::string(optimizer));
  MatrixSensingProblem problem(MatrixSensingConfig::from(params), 0, torch::kCPU);
  for (auto _ : state) problem.step();
  double flops = 4.0 * static_cast<double>(10 * d) * static_cast<double>(d * (d + 1) / 2);
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * static_cast<double>(state.iterations()) / 1e9,
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_MatrixSensingStep, gd, "gd")->Arg(30)->Arg(100)->Arg(300)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_MatrixSensingStep, scaledgd, "scaledgd")->Arg(30)->Arg(100)->Unit(benchmark::kMicrosecond);

int main(int argc, char** argv) {
  bench::single_thread(argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
