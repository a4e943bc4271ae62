// Tempered and catastrophic overfitting of kernel interpolants: the ci tier
// through bench-run, checked on the HDF5 file.
#include <catch2/catch.hpp>
#include <map>

#include "results/store.h"
#include "support.h"

using namespace genbench;

TEST_CASE("every claim of the kernel ci tier holds", "[suites][benign_overfitting][signatures]") {
  auto file = test::run_tier("benign_overfitting_kernel.yaml", "ci");
  test::require_every_claim(file);  // configs/benign_overfitting_kernel.yaml, expect:
  // What a claim does not say: every ridgeless fit has zero train error, draw by draw.
  REQUIRE(file.runs.size() == 120);
  for (const auto& run : file.runs) {
    REQUIRE(run.status == RunStatus::Ok);
    CAPTURE(run.point, run.seed);
    if (run.params.get_float("ridge") == 0)
      for (double v : run.metrics.at("train_error")) CHECK(v == 0);
  }
}
