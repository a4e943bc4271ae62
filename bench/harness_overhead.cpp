// What the harness costs: one matrix-sensing run through Task::run and the
// worker's checking, encoding sink, against a bare LibTorch loop written as a
// user would, doing the same draws, steps and metrics, in the same process.
// Interleaved repetitions, medians, and the ratio (goal: <= 1.10).
//
//   build/bench_harness_overhead [REPETITIONS]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include <ATen/CPUGeneratorImpl.h>

#include "core/stats.h"
#include "harness/worker.h"
#include "single_thread.h"
#include "tasks/matrix_sensing.h"

using namespace genbench;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kD = 30, kR = 2, kM = 300, kK = 30, kSteps = 3000, kLogEvery = 10;
constexpr double kLr = 0.05, kInit = 1e-3;

// The hand-written loop: same problem, same update, metrics kept in vectors.
double bare_loop(uint64_t seed, std::vector<double>& errors) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const int64_t D = kD * (kD + 1) / 2;
  auto Q = std::get<0>(torch::linalg_qr(torch::randn({kD, kR}, gen, f64)));
  auto X_star = (Q * torch::tensor(std::vector<double>{1.0, 0.5}, f64)).mm(Q.t());
  std::vector<int64_t> upper, unpack(kD * kD);
  std::vector<double> w;
  for (int64_t i = 0; i < kD; ++i)
    for (int64_t j = i; j < kD; ++j) {
      unpack[i * kD + j] = unpack[j * kD + i] = static_cast<int64_t>(upper.size());
      upper.push_back(i * kD + j);
      w.push_back(i == j ? 1.0 : std::sqrt(2.0));
    }
  auto up = torch::tensor(upper), un = torch::tensor(unpack), wt = torch::tensor(w, f64);
  auto A = torch::randn({kM, D}, gen, f64);
  auto y = A.mv(X_star.view(-1).index_select(0, up) * wt);
  auto U = (kInit / std::sqrt(static_cast<double>(kD))) * torch::randn({kD, kK}, gen, f64);
  double x_norm = X_star.norm().item<double>();
  torch::NoGradGuard no_grad;
  for (int64_t t = 0;; ++t) {
    auto X = U.mm(U.t());
    auto r = A.mv(X.reshape(-1).index_select(0, up) * wt) - y;
    if (t % kLogEvery == 0 || t == kSteps) {
      (void)(0.5 * r.square().mean().item<double>());
      errors.push_back((X - X_star).norm().item<double>() / x_norm);
      (void)at::linalg_svdvals(U).square().slice(0, 0, kR + 1).cpu();
    }
    if (t == kSteps) break;
    auto S = (A.t().mv(r) / wt).index_select(0, un).view({kD, kD});
    U.sub_(S.mm(U) * (2.0 / kM), kLr);
  }
  return errors.back();
}

double harness_run(uint64_t seed, size_t& bytes) {
  MatrixSensing task;
  auto params = default_params(task.params());
  params.set("d", kD);
  params.set("m", kM);
  params.set("k", kK);
  params.set("steps", kSteps);
  params.set("eigenvalues", std::vector<double>{1.0, 0.5});
  std::atomic<bool> stop{false};
  RunContext ctx{params, seed, "cpu", kLogEvery, stop};
  EncodingSink sink([&](const std::string& b) { bytes += b.size(); });
  auto outcome = run_task(task, ctx, sink);
  sink.finish(outcome, "cpu");
  if (outcome.status != RunStatus::Ok) std::fprintf(stderr, "harness run %s: %s\n", to_string(outcome.status).c_str(), outcome.error.c_str());
  return outcome.wall_s;
}

}  // namespace

int main(int argc, char** argv) {
  bench::single_thread(argv);
  int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
  std::vector<double> bare, harness;
  size_t bytes = 0;
  double bare_error = 0;
  harness_run(0, bytes);  // warm-up: first-touch allocations, LAPACK init
  for (int i = 0; i < reps; ++i) {
    auto time_bare = [&] {
      std::vector<double> errors;
      auto t0 = Clock::now();
      bare_error = bare_loop(0, errors);
      bare.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    };
    // Alternate which goes first: the second of a pair runs measurably faster.
    if (i % 2) time_bare();
    harness.push_back(harness_run(0, bytes));
    if (i % 2 == 0) time_bare();
  }
  double b = median(bare), h = median(harness);
  std::printf("matrix sensing d=%lld k=%lld m=%lld, %lld steps, metrics every %lld, 1 thread, median of %d\n",
              static_cast<long long>(kD), static_cast<long long>(kK), static_cast<long long>(kM),
              static_cast<long long>(kSteps), static_cast<long long>(kLogEvery), reps);
  std::printf("  bare LibTorch loop   %8.1f ms  (%.0f steps/s, final rel error %.3g)\n", b * 1e3, kSteps / b, bare_error);
  std::printf("  through the harness  %8.1f ms  (%.0f steps/s, %zu bytes of metrics a run)\n", h * 1e3, kSteps / h,
              bytes / (reps + 1));
  std::printf("  harness / bare = %.3f (goal <= 1.10)\n", h / b);
  return 0;
}
