// Double descent of min-norm least squares: the ci tier through bench-run,
// checked on the HDF5 file against the finite-n closed form.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>

#include "results/store.h"
#include "support.h"

using namespace genbench;

TEST_CASE("every claim of the double-descent linear ci tier holds", "[suites][double_descent][signatures]") {
  auto file = test::run_tier("double_descent_linear.yaml", "ci");
  test::require_every_claim(file);  // configs/double_descent_linear.yaml, expect:
  // What a claim does not say: the sweep is whole, 22 values of gamma x 3 seeds x 200 draws.
  REQUIRE(file.runs.size() == 66);
  std::map<int64_t, size_t> draws;
  for (const auto& run : file.runs) {
    REQUIRE(run.status == RunStatus::Ok);
    draws[run.params.get_int("p")] += run.metrics.at("excess_risk").size();
  }
  REQUIRE(draws.size() == 22);
  for (const auto& [p, n] : draws) CHECK(n == 600);
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
