// The matrix-sensing suite reproduces its reference signatures: the ci tier
// runs through bench-run and its claims are judged on the HDF5 file, over
// every seed of the tier.
#include <catch2/catch.hpp>
#include <map>

#include "results/store.h"
#include "support.h"

using namespace genbench;

TEST_CASE("every claim of the matrix-sensing ci tier holds", "[suites][matrix_sensing][signatures]") {
  auto file = test::run_tier("matrix_sensing.yaml", "ci");
  test::require_every_claim(file);  // configs/matrix_sensing.yaml, expect:
  // What a claim does not say: ten points of three seeds, each run ok.
  std::map<std::string, size_t> seeds;
  for (const auto& run : file.runs) {
    REQUIRE(run.status == RunStatus::Ok);
    ++seeds[run.point.substr(0, run.point.find(' '))];
  }
  REQUIRE(seeds.size() == 10);
  for (const auto& [point, n] : seeds) CHECK(n == 3);
}
