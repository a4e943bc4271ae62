// Double descent of min-norm least squares: the ci tier through bench-run,
// checked on the HDF5 file against the finite-n closed form.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>

#include "results/store.h"
#include "support.h"

using namespace genbench;

TEST_CASE("min-norm regression follows the double-descent closed form", "[suites][double_descent][signatures]") {
  auto file = test::run_tier("double_descent_linear.yaml", "ci");
  REQUIRE(file.runs.size() == 66);

  // Pool every draw of every seed per gamma, from the raw trajectories.
  struct Pooled {
    double sum = 0, theory = NAN, max_train = 0;
    size_t n = 0;
  };
  std::map<double, Pooled> by_gamma;
  for (const auto& run : file.runs) {
    REQUIRE(run.status == RunStatus::Ok);
    auto& p = by_gamma[run.summaries.at("gamma")];
    for (double v : run.metrics.at("excess_risk")) p.sum += v, ++p.n;
    for (double v : run.metrics.at("train_mse")) p.max_train = std::max(p.max_train, v);
    if (run.summaries.count("theory_excess_risk")) p.theory = run.summaries.at("theory_excess_risk");
  }
  REQUIRE(by_gamma.size() == 22);

  double best_over = INFINITY, argmin = 0, peak = 0, peak_gamma = 0;
  for (const auto& [gamma, p] : by_gamma) {
    CAPTURE(gamma);
    double mean = p.sum / static_cast<double>(p.n);
    CHECK(p.n == 600);  // 3 seeds x 200 draws
    if (std::fabs(gamma - 1) >= 0.2) CHECK(std::fabs(mean / p.theory - 1) < 0.10);
    if (gamma > 1) CHECK(p.max_train < 1e-20);  // it interpolates
    if (gamma > 1 && mean < best_over) best_over = mean, argmin = gamma;
    if (mean > peak) peak = mean, peak_gamma = gamma;
  }
  CHECK(peak_gamma == 1.0);  // the peak sits at the interpolation threshold
  // gamma* = sqrt(SNR) / (sqrt(SNR) - 1) = 2 for SNR 4; the grid steps near it are 0.2
  CHECK(std::fabs(argmin - 2.0) <= 0.2 + 1e-12);

  // the detector's suite summaries say the same
  CHECK(file.summaries.at("linear_gamma_star") == 2.0);
  CHECK(file.summaries.at("linear_argmin_grid_steps_from_gamma_star") <= 1);
  CHECK(file.summaries.at("linear_max_rel_gap_to_theory") < 0.10);
  CHECK(file.summaries.at("linear_peak_gamma") == 1.0);
}

TEST_CASE("the closed form matches the reference values", "[suites][double_descent]") {
  // Reference (NumPy, n = 100, r^2 = 1, sigma^2 = 0.25): formula 0.255 at gamma 0.5,
  // 0.753 at gamma 2, 0.928 at gamma 10.
  test::TempDir dir;
  auto out = dir.file("s.h5");
  REQUIRE(test::bench_run({test::source_path("configs/double_descent_linear.yaml"), "--tier", "smoke", "--set",
                           "trials=2", "--out", out}).exit_code == 0);
  std::map<int64_t, double> theory;
  for (const auto& run : read_results(out).runs) theory[run.params.get_int("p")] = run.summary_or("theory_excess_risk", NAN);
  CHECK(theory.at(50) == Approx(0.255).margin(5e-4));
  CHECK(theory.at(200) == Approx(0.753).margin(5e-4));
}
