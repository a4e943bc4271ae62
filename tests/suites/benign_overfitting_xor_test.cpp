// Benign overfitting and grokking on XOR cluster data: the claims of the
// suite file, judged on the ci tier.
#include <catch2/catch.hpp>

#include "results/store.h"
#include "support.h"

using namespace genbench;

TEST_CASE("every claim of the XOR ci tier holds", "[suites][benign_overfitting][signatures]") {
  auto file = test::run_tier("benign_overfitting_xor.yaml", "ci");
  test::require_every_claim(file);  // configs/benign_overfitting_xor.yaml, expect:
  REQUIRE(file.runs.size() == 5);
  for (const auto& run : file.runs) CHECK(run.status == RunStatus::Ok);
}

