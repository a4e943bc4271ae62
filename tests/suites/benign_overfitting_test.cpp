// Benign overfitting of the min-norm interpolator: the ci tier through
// bench-run, checked on the HDF5 file.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>

#include "results/store.h"
#include "support.h"

using namespace genbench;

TEST_CASE("a spiked covariance makes interpolating noise benign", "[suites][benign_overfitting][signatures]") {
  auto file = test::run_tier("benign_overfitting.yaml", "ci");
  std::map<std::string, std::vector<const RunRecord*>> by_point;
  for (const auto& run : file.runs) {
    REQUIRE(run.status == RunStatus::Ok);
    by_point[run.point].push_back(&run);
    for (double v : run.metrics.at("train_mse")) CHECK(v <= 1e-8);  // every draw interpolates the noisy labels
  }
  auto pooled = [&](const std::string& point) {  // mean excess risk over every draw of every seed
    double sum = 0;
    size_t n = 0;
    for (const auto* run : by_point.at(point))
      for (double v : run->metrics.at("excess_risk")) sum += v, ++n;
    return sum / static_cast<double>(n);
  };
  const double sigma2 = 1;
  CHECK(pooled("spiked_eps_1e-3") <= 0.1 * sigma2);  // benign: reference 0.041
  CHECK(pooled("spiked_eps_1e-3") < pooled("spiked_eps_5e-3"));
  CHECK(pooled("spiked_eps_5e-3") < pooled("spiked_eps_1e-2"));
  const auto* iso = by_point.at("isotropic_p400").front();
  CHECK(iso->summaries.at("theory_excess_risk") == Approx(1.505).margin(5e-4));
  CHECK(std::fabs(pooled("isotropic_p400") / iso->summaries.at("theory_excess_risk") - 1) < 0.10);
  // the BLLT quantities of the benign spike
  const auto* benign = by_point.at("spiked_eps_1e-3").front();
  CHECK(benign->summaries.at("r0_over_n") == Approx(0.125));
  CHECK(benign->summaries.at("k_star") == 5);
  CHECK(benign->summaries.at("n_over_R_k_star") == Approx(0.01));
  CHECK(file.summaries.at("spiked_risk_increases_with_eps") == 1);
}
