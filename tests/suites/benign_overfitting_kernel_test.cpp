// Tempered and catastrophic overfitting of kernel interpolants: the ci tier
// through bench-run, checked on the HDF5 file.
#include <catch2/catch.hpp>
#include <map>

#include "results/store.h"
#include "support.h"

using namespace genbench;

TEST_CASE("Laplace interpolants overfit tempered, Gaussian ones catastrophically",
          "[suites][benign_overfitting][signatures]") {
  auto file = test::run_tier("benign_overfitting_kernel.yaml", "ci");
  REQUIRE(file.runs.size() == 120);
  for (const auto& run : file.runs) {
    REQUIRE(run.status == RunStatus::Ok);
    CAPTURE(run.point, run.seed);
    if (run.params.get_float("ridge") == 0) {  // every ridgeless fit interpolates the flipped labels
      for (double v : run.metrics.at("train_mse")) CHECK(v <= 1e-12);
      for (double v : run.metrics.at("train_error")) CHECK(v == 0);
    } else {
      CHECK(run.summaries.at("train_mse_mean") > 0.1);
    }
  }
  const auto& s = file.summaries;
  enum { benign = 0, tempered = 1, catastrophic = 2 };
  // Laplace: a steady slope well inside (0.1, 1) at every n (measured 0.25 to 0.31)
  for (std::string point : {"laplace_sphere", "laplace_fashion"}) {
    CAPTURE(point);
    CHECK(s.at(point + "_regime") == tempered);
    for (int n : {250, 500, 1000, 2000}) {
      CAPTURE(n);
      CHECK(s.at(point + "_n" + std::to_string(n) + "_noise_slope") > 0.15);
      CHECK(s.at(point + "_n" + std::to_string(n) + "_noise_slope") < 0.5);
    }
    CHECK(s.at(point + "_slope_growth") > 0.8);
    CHECK(s.at(point + "_slope_growth") < 1.2);
  }
  // Gaussian: the slope rises with n (measured 1.76x and 1.61x); on the sphere it passes 1
  for (std::string point : {"gaussian_sphere", "gaussian_fashion"}) {
    CAPTURE(point);
    CHECK(s.at(point + "_regime") == catastrophic);
    CHECK(s.at(point + "_slope_growth") > 1.4);
  }
  CHECK(s.at("gaussian_sphere_noise_slope") > 1.3);
  // Regularized, the slope falls with n instead
  CHECK(s.at("laplace_sphere_ridge_1e-2_slope_growth") < 0.95);

  // The classification view: at 20% noise and n = 2000 the ridge fit's clean
  // test error is a third of the interpolant's (0.041 against 0.135).
  auto mean_error = [&](const std::string& point, int64_t n, double rho) {
    double sum = 0;
    int count = 0;
    for (const auto& run : file.runs)
      if (run.point.rfind(point + " ", 0) == 0 && run.params.get_int("n") == n && run.params.get_float("label_noise") == rho)
        sum += run.summaries.at("test_error_mean"), ++count;
    REQUIRE(count == 2);
    return sum / count;
  };
  CHECK(mean_error("laplace_sphere", 2000, 0.0) < 0.08);
  CHECK(mean_error("laplace_sphere", 2000, 0.2) > 0.1);
  CHECK(mean_error("laplace_sphere_ridge_1e-2", 2000, 0.2) < 0.5 * mean_error("laplace_sphere", 2000, 0.2));
}
