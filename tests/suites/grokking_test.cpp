// Grokking on modular addition: the ci tier through bench-run, checked seed
// by seed on the HDF5 file against the float64 reference signatures.
#include <catch2/catch.hpp>
#include <map>

#include "results/store.h"
#include "support.h"

using namespace genbench;

namespace {

// The highest value of a metric over the steps <= last.
double max_until(const RunRecord& run, const std::string& metric, int64_t last) {
  double best = -1;
  const auto& values = run.metrics.at(metric);
  for (size_t i = 0; i < run.steps.size() && run.steps[i] <= last; ++i) best = std::max(best, values[i]);
  return best;
}

}  // namespace

TEST_CASE("weight decay groks modular addition long after memorizing it, ⊥Grad without the wait",
          "[suites][grokking][signatures]") {
  auto file = test::run_tier("grokking.yaml", "ci");
  std::map<std::string, std::map<uint64_t, const RunRecord*>> runs;  // point -> seed -> run
  for (const auto& run : file.runs) {
    REQUIRE(run.status == RunStatus::Ok);
    runs[run.point][run.seed] = &run;
  }
  REQUIRE(runs.size() == 5);
  for (const auto& [point, seeds] : runs) REQUIRE(seeds.size() == 2);

  for (const auto& [seed, run] : runs.at("adamw_wd1")) {
    CAPTURE(seed);
    const auto& s = run->summaries;
    REQUIRE(s.count("memorization_step"));
    REQUIRE(s.count("generalization_step"));
    // memorized early while the test set is at chance...
    CHECK(s.at("memorization_step") <= 500);
    CHECK(s.at("test_accuracy_at_memorization") <= 0.05);
    // ...and generalized much later: grokking
    CHECK(s.at("generalization_step") >= 5 * s.at("memorization_step"));
    CHECK(s.at("generalization_step") <= 6000);
    CHECK(s.at("grokking_delay") >= 5);
  }
  for (const auto& [seed, run] : runs.at("orthograd_lr1e-2_wd0")) {
    CAPTURE(seed);
    // ⊥AdamW at lr 1e-2 and no weight decay generalizes within its 300 epochs...
    REQUIRE(run->summaries.count("generalization_step"));
    CHECK(run->summaries.at("generalization_step") <= 300);
    // ...while plain AdamW with the same settings memorizes and stays at chance (1/113)
    const auto* plain = runs.at("adamw_lr1e-2_wd0").at(seed);
    CHECK(plain->summaries.at("memorization_step") <= 300);
    CHECK(max_until(*plain, "test_accuracy", 300) <= 0.05);
    CHECK(plain->summaries.at("max_test_accuracy") <= 0.05);  // and for all of its 2000 epochs
  }
  // Grokfast-EMA on the full-batch AdamW run: measured 0.99x and 0.96x, no
  // speed-up (Adam's normalisation cancels the amplified slow gradient); it
  // must still grok, on the same schedule within 20%.
  for (const auto& [seed, run] : runs.at("grokfast_ema_wd1")) {
    CAPTURE(seed);
    const auto& plain = runs.at("adamw_wd1").at(seed)->summaries;
    REQUIRE(run->summaries.count("generalization_step"));
    double speedup = plain.at("generalization_step") / run->summaries.at("generalization_step");
    CAPTURE(speedup);
    CHECK(speedup > 0.8);
    CHECK(speedup < 1.2);
    CHECK(run->summaries.at("test_accuracy_at_memorization") <= 0.05);
  }
  CHECK(file.summaries.at("grokfast_speedup_min") > 0.8);
  CHECK(file.summaries.at("grokfast_speedup_max") < 1.2);
  // Softmax collapse is a float32 effect: without weight decay the train loss
  // falls below what float32 resolves and most training samples' softmax is
  // exactly one-hot by epoch 2000 (measured 0.55 on seed 0), while no float64
  // run of the tier ever has a collapsed sample.
  for (const auto& [seed, run] : runs.at("adamw_lr1e-2_wd0_float32")) {
    CAPTURE(seed);
    CHECK(run->summaries.at("max_softmax_collapse") >= 0.2);
    CHECK(run->summaries.at("max_test_accuracy") <= 0.05);
  }
  for (const auto& run : file.runs)
    if (run.params.get_string("dtype") == "float64") {
      CAPTURE(run.point, run.seed);
      CHECK(run.summaries.at("max_softmax_collapse") == 0);
    }
}
