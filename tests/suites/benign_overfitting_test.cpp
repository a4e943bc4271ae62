// Benign overfitting of the min-norm interpolator: the ci tier through
// bench-run, checked on the HDF5 file.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>

#include "results/store.h"
#include "support.h"

using namespace genbench;

TEST_CASE("every claim of the benign-overfitting ci tier holds", "[suites][benign_overfitting][signatures]") {
  auto file = test::run_tier("benign_overfitting.yaml", "ci");
  test::require_every_claim(file);  // configs/benign_overfitting.yaml, expect:
  // What a claim does not say: the closed form at the isotropic point, and
  // the benign spike's r_0/n, against the reference's numbers.
  const RunRecord* iso = nullptr;
  const RunRecord* benign = nullptr;
  for (const auto& run : file.runs) {
    REQUIRE(run.status == RunStatus::Ok);
    if (run.point == "isotropic_p400") iso = &run;
    if (run.point == "spiked_eps_1e-3") benign = &run;
  }
  REQUIRE(iso != nullptr);
  REQUIRE(benign != nullptr);
  CHECK(iso->summaries.at("theory_excess_risk") == Approx(1.505).margin(5e-4));
  CHECK(benign->summaries.at("r0_over_n") == Approx(0.125));
}
