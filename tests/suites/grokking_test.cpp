// Grokking on modular addition: the ci tier through bench-run, its claims
// (the float64 reference signatures) judged on the HDF5 file.
#include <catch2/catch.hpp>
#include <map>

#include "results/store.h"
#include "support.h"

using namespace genbench;

TEST_CASE("every claim of the grokking ci tier holds", "[suites][grokking][signatures]") {
  auto file = test::run_tier("grokking.yaml", "ci");
  test::require_every_claim(file);  // configs/grokking.yaml, expect:
  // What a claim does not say: five points of two seeds, and per seed the
  // plain run's test accuracy at chance through the 300 epochs in which ⊥AdamW generalizes.
  std::map<std::string, std::map<uint64_t, const RunRecord*>> runs;  // point -> seed -> run
  for (const auto& run : file.runs) {
    REQUIRE(run.status == RunStatus::Ok);
    runs[run.point][run.seed] = &run;
  }
  REQUIRE(runs.size() == 5);
  for (const auto& [point, seeds] : runs) REQUIRE(seeds.size() == 2);
  for (const auto& [seed, plain] : runs.at("adamw_lr1e-2_wd0")) {
    CAPTURE(seed);
    const auto& acc = plain->metrics.at("test_accuracy");
    for (size_t i = 0; i < plain->steps.size() && plain->steps[i] <= 300; ++i) CHECK(acc[i] <= 0.05);
  }
}
