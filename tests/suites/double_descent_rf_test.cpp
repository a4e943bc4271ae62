// Double descent of random features on real Fashion-MNIST: the ci tier
// through bench-run, checked on the HDF5 file.
#include <catch2/catch.hpp>
#include <map>

#include "results/store.h"
#include "support.h"

using namespace genbench;

TEST_CASE("random features on Fashion-MNIST show the test-error peak at N = n", "[suites][double_descent][signatures]") {
  auto file = test::run_tier("double_descent_rf.yaml", "ci");
  std::map<double, std::vector<double>> errors;  // N/n -> test error per seed
  for (const auto& run : file.runs) {
    REQUIRE(run.status == RunStatus::Ok);
    errors[run.summaries.at("N_over_n")].push_back(run.metrics.at("test_error").at(0));
    if (run.summaries.at("N_over_n") >= 1) CHECK(run.metrics.at("train_error").at(0) == 0);  // interpolates
  }
  REQUIRE(errors.size() == 17);
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
  };
  double peak = 0, peak_ratio = 0, best_half = 1;
  for (const auto& [ratio, e] : errors) {
    REQUIRE(e.size() == 3);
    if (mean(e) > peak) peak = mean(e), peak_ratio = ratio;
    if (ratio <= 0.5) best_half = std::min(best_half, mean(e));
  }
  CHECK(peak_ratio >= 0.9);
  CHECK(peak_ratio <= 1.1);
  CHECK(mean(errors.at(10.0)) < best_half);  // the widest model beats every N <= n/2
  CHECK(peak >= 2 * best_half);
  CHECK(peak > 0.8);  // reference 0.872: near chance (0.9) at the threshold
}
