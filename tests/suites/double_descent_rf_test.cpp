// Double descent of random features on real Fashion-MNIST: the ci tier
// through bench-run, checked on the HDF5 file.
#include <catch2/catch.hpp>
#include <map>

#include "results/store.h"
#include "support.h"

using namespace genbench;

TEST_CASE("every claim of the random-features ci tier holds", "[suites][double_descent][signatures]") {
  auto file = test::run_tier("double_descent_rf.yaml", "ci");
  test::require_every_claim(file);  // configs/double_descent_rf.yaml, expect:
  // What a claim does not say: the sweep is whole, 17 widths x 3 seeds, each run one solve.
  std::map<double, size_t> seeds;  // N/n -> runs
  for (const auto& run : file.runs) {
    REQUIRE(run.status == RunStatus::Ok);
    CHECK(run.metrics.at("test_error").size() == 1);
    ++seeds[run.summaries.at("N_over_n")];
  }
  REQUIRE(seeds.size() == 17);
  for (const auto& [ratio, n] : seeds) CHECK(n == 3);
}
