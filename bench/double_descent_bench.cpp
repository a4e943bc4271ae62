// The double-descent tasks are linear algebra. This measures one draw of the
// linear task (n = 100, p = 50 / 200 / 1000) and the random-features min-norm
// solve (SVD-based pseudo-inverse of the n x N feature matrix, as the task
// does) at the ci tier's sizes, and a plain float64 matmul in the same run,
// all single-threaded, so the solve's GFLOP/s reads against what the
// machine's BLAS does at its best.
//
// Flop counts: for the solve, the Householder bidiagonalization that every
// SVD of an m x k matrix (m >= k) performs, 4 m k^2 - 4/3 k^3, plus applying
// the result to the 10 targets: a lower bound on the work, so the GFLOP/s
// is too; for the matmul of n x n by n x n, 2 n^3.
#include <benchmark/benchmark.h>

#include "single_thread.h"
#include "tasks/linear_regression.h"

namespace {

// Discards what a task logs.
struct NullSink : genbench::MetricSink {
  void log(int64_t, const genbench::Metrics&) override {}
  void summary(const std::string&, double) override {}
};

}  // namespace

// One draw of the linear task: data, pseudo-inverse, risks.
static void BM_LinearRegressionDraw(benchmark::State& state) {
  genbench::LinearRegression task;
  auto params = genbench::default_params(task.params());
  params.set("p", static_cast<int64_t>(state.range(0)));
  params.set("trials", int64_t{1});
  std::atomic<bool> stop{false};
  NullSink sink;
  for (auto _ : state) task.run({params, 0, "cpu", 1, stop}, sink);
}
BENCHMARK(BM_LinearRegressionDraw)->Arg(50)->Arg(200)->Arg(1000)->Unit(benchmark::kMillisecond);

static void BM_MinNormSolve(benchmark::State& state) {
  const int64_t n = 1000, N = state.range(0);
  auto phi = torch::relu(torch::randn({n, N}, torch::kFloat64));
  auto Y = torch::randn({n, 10}, torch::kFloat64);
  for (auto _ : state) benchmark::DoNotOptimize(at::linalg_pinv(phi).mm(Y));
  double m = static_cast<double>(std::max(n, N)), k = static_cast<double>(std::min(n, N));
  double flops = 4 * m * k * k - 4.0 / 3 * k * k * k + 2 * m * k * 10;
  state.counters["GFLOP/s"] = benchmark::Counter(flops * static_cast<double>(state.iterations()) / 1e9,
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MinNormSolve)->Arg(300)->Arg(1000)->Arg(3000)->Arg(10000)->Unit(benchmark::kMillisecond);

static void BM_PlainMatmul(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto a = torch::randn({n, n}, torch::kFloat64), b = torch::randn({n, n}, torch::kFloat64);
  for (auto _ : state) benchmark::DoNotOptimize(a.mm(b));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * n * static_cast<double>(state.iterations()) / 1e9,
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PlainMatmul)->Arg(2000)->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  genbench::bench::single_thread(argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
