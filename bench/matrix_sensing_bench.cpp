// One optimizer step of matrix sensing at d = 30, 100, 300 (r = 2, m = 10 d),
// single-threaded. Two mat-vecs with the m x d(d+1)/2 packed operator dominate:
// 4 m d(d+1)/2 flops a step, reported as GFLOP/s.
#include <benchmark/benchmark.h>

#include "single_thread.h"
#include "tasks/matrix_sensing.h"

#include <atomic>
#include <vector>

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

// What a logged row costs (every log_every = 10 steps in the suite): the loss
// from the residuals, the relative error and the top singular values, at d = 30
// and the suite's k = 2 and 30.
static void BM_MatrixSensingLoggedRow(benchmark::State& state) {
  auto params = default_params(MatrixSensing().params());
  params.set("k", state.range(0));
  MatrixSensingProblem problem(MatrixSensingConfig::from(params), 0, torch::kCPU);
  for (int i = 0; i < 100; ++i) problem.step();
  auto res = problem.residuals();
  for (auto _ : state) {
    benchmark::DoNotOptimize(problem.train_loss(res));
    benchmark::DoNotOptimize(problem.rel_error());
    benchmark::DoNotOptimize(problem.top_singular_values());
  }
}
BENCHMARK(BM_MatrixSensingLoggedRow)->Arg(2)->Arg(30)->Unit(benchmark::kMicrosecond);

// S runs that share A (one seed; the ci tier's exact_k2, k = 2, or
// overparam_k30, k = 30, at their own init scales), 200 steps each: trained as
// one stack, or one after another as bench-run --stack off runs them. The
// counter is process CPU per member-step; MatrixSensing::stacks stacks on a
// CPU from the S where the stack's is the lower.
namespace {
struct Discard : MetricSink {
  void log(int64_t, const Metrics&) override {}
  void summary(const std::string&, double) override {}
};

std::vector<Params> sharing_a(int64_t S, int64_t k) {
  std::vector<Params> out;
  for (int64_t i = 0; i < S; ++i) {
    auto p = default_params(MatrixSensing().params());
    p.set("k", k);
    p.set("steps", int64_t{200});
    p.set("init_scale", 1e-3 * static_cast<double>(i + 1));
    out.push_back(p);
  }
  return out;
}

void train(benchmark::State& state, bool stacked) {
  const int64_t S = state.range(0), k = state.range(1);
  auto params = sharing_a(S, k);
  std::atomic<bool> stop{false};
  std::vector<RunContext> ctxs;
  for (const auto& p : params) ctxs.push_back({p, 0, "cpu", 1000, stop});
  MatrixSensing task;
  for (auto _ : state) {
    std::vector<Discard> sinks(params.size());
    if (stacked) {
      std::vector<MetricSink*> ptrs;
      for (auto& s : sinks) ptrs.push_back(&s);
      StackSinks stack(ptrs, [](size_t, std::exception_ptr) {});
      task.run_stack(ctxs, stack);
    } else {
      for (size_t i = 0; i < ctxs.size(); ++i) task.run(ctxs[i], sinks[i]);
    }
  }
  state.counters["s/member-step"] = benchmark::Counter(
      static_cast<double>(S * 200), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
}  // namespace

static void BM_MatrixSensingStacked(benchmark::State& state) { train(state, true); }
static void BM_MatrixSensingAlone(benchmark::State& state) { train(state, false); }
BENCHMARK(BM_MatrixSensingStacked)->ArgsProduct({{2, 4, 6, 12, 32}, {2, 30}})->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();
BENCHMARK(BM_MatrixSensingAlone)->ArgsProduct({{2, 4, 6, 12, 32}, {2, 30}})->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

int main(int argc, char** argv) {
  bench::single_thread(argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
