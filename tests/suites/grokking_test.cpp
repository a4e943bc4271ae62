// Grokking on modular addition: the ci tier through bench-run, its claims
// (the float64 reference signatures) judged on the HDF5 file, and the same
// claims on the kept file of the paper's width.
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "harness/suite_file.h"
#include "harness/sweep.h"
#include "results/store.h"
#include "support.h"

using namespace genbench;

TEST_CASE("every claim of the grokking ci tier holds", "[suites][grokking][signatures]") {
  auto file = test::run_tier("grokking.yaml", "ci");
  test::require_every_claim(file);  // configs/grokking.yaml, expect:
  // What a claim does not say: four points of two seeds, and per seed the
  // plain run's test accuracy at chance through the 300 epochs in which ⊥AdamW generalizes.
  std::map<std::string, std::map<uint64_t, const RunRecord*>> runs;  // point -> seed -> run
  for (const auto& run : file.runs) {
    REQUIRE(run.status == RunStatus::Ok);
    runs[run.point][run.seed] = &run;
  }
  REQUIRE(runs.size() == 4);
  for (const auto& [point, seeds] : runs) REQUIRE(seeds.size() == 2);
  for (const auto& [seed, plain] : runs.at("adamw_lr1e-2_wd0")) {
    CAPTURE(seed);
    const auto& acc = plain->metrics.at("test_accuracy");
    for (size_t i = 0; i < plain->steps.size() && plain->steps[i] <= 300; ++i) CHECK(acc[i] <= 0.05);
  }
}

// The paper's width, two hidden layers of 200 (tiers paper and grokfast,
// about 50 CPU-minutes each): the ci tier's file from before the ci tier was
// narrowed to 100 (9de4ae5, 2026-11-29, kept in results/reference/). It holds
// exactly the runs of those two tiers, and every claim of each, as the suite
// file states it now, holds there.
TEST_CASE("the grokking claims hold at the paper's width in the kept file", "[suites][grokking]") {
  auto file = read_results(test::source_path("results/reference/grokking-paper.h5"));
  auto suite = load_suite(test::source_path("configs/grokking.yaml"));
  std::set<std::string> planned, stored;
  for (const std::string tier : {"paper", "grokfast"}) {
    ExpandOptions options;
    options.tier = tier;
    for (const auto& run : expand(suite, options)) planned.insert(run.id);
  }
  for (const auto& run : file.runs) stored.insert(run.id);
  CHECK(stored == planned);
  test::require_every_claim_now("grokking.yaml", "paper", file);
  test::require_every_claim_now("grokking.yaml", "grokfast", file);
}
