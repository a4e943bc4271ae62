// Linear regression: the closed forms, and the estimator run in-process.
#include "tasks/linear_regression.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>

#include "recorder.h"

using namespace genbench;
using test::Recorder;

namespace {

// The estimator in-process, with what it logs kept.
Recorder run(int64_t n, int64_t p, double ridge, int64_t trials = 20) {
  LinearRegression task;
  auto params = default_params(task.params());
  params.set("n", n);
  params.set("p", p);
  params.set("ridge", ridge);
  params.set("trials", trials);
  params.set("n_test", int64_t{200});
  std::atomic<bool> stop{false};
  Recorder rec;
  task.run({params, 7, "cpu", 1, stop}, rec);
  return rec;
}

}  // namespace

TEST_CASE("min-norm risk: finite-n and asymptotic closed forms", "[tasks][linear_regression]") {
  CHECK(*min_norm_risk_finite(100, 50, 1, 0.25) == Approx(0.25 * 50 / 49.0));
  CHECK(*min_norm_risk_finite(100, 200, 1, 0.25) == Approx(0.5 + 0.25 * 100 / 99.0));
  CHECK_FALSE(min_norm_risk_finite(100, 100, 1, 0.25));  // undefined at the threshold
  CHECK_FALSE(min_norm_risk_finite(100, 99, 1, 0.25));
  CHECK(*min_norm_risk_asymptotic(0.5, 1, 0.25) == Approx(0.25));
  CHECK(*min_norm_risk_asymptotic(2, 1, 0.25) == Approx(0.75));
  CHECK_FALSE(min_norm_risk_asymptotic(1, 1, 0.25));
}

TEST_CASE("the min-norm estimator interpolates past the threshold, ridge shrinks toward it", "[tasks][linear_regression]") {
  auto over = run(50, 120, 0);
  REQUIRE(over.rows["train_mse"].size() == 20);
  for (double v : over.rows["train_mse"]) CHECK(v < 1e-20);
  CHECK(over.summaries.at("gamma") == Approx(2.4));
  CHECK(over.summaries.count("theory_excess_risk"));
  auto under = run(120, 50, 0);
  for (double v : under.rows["train_mse"]) CHECK(v > 0.05);  // least squares cannot fit the noise
  auto tiny_ridge = run(50, 120, 1e-10);
  for (size_t i = 0; i < 20; ++i)
    CHECK(tiny_ridge.rows["excess_risk"][i] == Approx(over.rows["excess_risk"][i]).epsilon(1e-5));
  CHECK_FALSE(tiny_ridge.summaries.count("theory_excess_risk"));  // no closed form for ridge here
  auto big_ridge = run(50, 120, 1000);  // n lambda = 5e4 against eigenvalues of X X^T below ~300
  for (double v : big_ridge.rows["excess_risk"]) CHECK(v == Approx(1.0).margin(0.02));  // beta_hat ~ 0
}

TEST_CASE("effective ranks of spiked and power-law spectra", "[tasks][linear_regression]") {
  std::vector<double> spiked(20005, 1e-3);
  for (int i = 0; i < 5; ++i) spiked[i] = 1;
  auto e = effective_ranks(spiked, 1.0, 200);
  CHECK(e.r0 == Approx(25.0));  // (5 + 20000 * 1e-3) / 1
  CHECK(e.k_star == 5);         // r_5 = 20 / 1e-3 = 20000 >= 200, r_4 = 21 < 200
  CHECK(e.R_k_star == Approx(20000.0));
  auto none = effective_ranks(std::vector<double>(50, 1.0), 1.0, 200);  // r_k = 50 - k < 200: no k*
  CHECK(none.k_star == -1);

  LinearRegression task;
  auto params = default_params(task.params());
  params.set("p", int64_t{4});
  params.set("spectrum", std::string("power_law"));
  params.set("power_a", 2.0);
  auto lambda = covariance_spectrum(params);
  REQUIRE(lambda.size() == 4);
  CHECK(lambda[0] == 1.0);
  CHECK(lambda[1] == Approx(0.25));
  CHECK(lambda[3] == Approx(1.0 / 16));
}
