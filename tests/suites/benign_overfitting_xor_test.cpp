// Benign overfitting and grokking on XOR cluster data: the ci tier through
// bench-run, checked seed by seed on the HDF5 file.
#include <catch2/catch.hpp>

#include "results/store.h"
#include "support.h"

using namespace genbench;

TEST_CASE("a ReLU network fits flipped XOR labels at chance, then generalizes still fitting them",
          "[suites][benign_overfitting][signatures]") {
  auto file = test::run_tier("benign_overfitting_xor.yaml", "ci");
  REQUIRE(file.runs.size() == 5);
  int fitted_at_step1 = 0;
  for (const auto& run : file.runs) {
    REQUIRE(run.status == RunStatus::Ok);
    CAPTURE(run.seed);
    const auto& s = run.summaries;
    // after one step: (nearly) every label fitted, the test set at chance
    CHECK(s.at("step1_train_accuracy") >= 0.85);
    CHECK(s.at("step1_test_accuracy") <= 0.6);
    fitted_at_step1 += s.at("step1_train_accuracy") == 1.0;
    // every label, flipped included, by step 5 and kept to the end
    REQUIRE(s.count("fit_step"));
    CHECK(s.at("fit_step") <= 5);
    CHECK(s.at("min_train_accuracy_flipped_after_fit") >= 0.8);
    CHECK(s.at("final_train_accuracy") == 1.0);
    CHECK(s.at("final_train_accuracy_flipped") == 1.0);
    // near-optimal on clean test labels while fitting the noise
    REQUIRE(s.count("generalization_step"));
    CHECK(s.at("generalization_step") > 1);
    CHECK(s.at("final_test_accuracy") >= 0.94);
    // learned features: the weights turned toward the clusters
    CHECK(run.metrics.at("feature_alignment").front() < 0.01);
    CHECK(s.at("final_feature_alignment") > 0.1);
  }
  CHECK(fitted_at_step1 >= 2);  // measured 3 of 5
}
