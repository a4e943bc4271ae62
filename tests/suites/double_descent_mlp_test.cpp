// Model-wise double descent of an MLP on Fashion-MNIST with label noise:
// the ci tier through bench-run, checked per seed on the HDF5 file.
#include <catch2/catch.hpp>
#include <map>

#include "results/store.h"
#include "support.h"

using namespace genbench;

namespace {

struct Width {
  int64_t k;
  double test, train;
};

}  // namespace

TEST_CASE("every claim of the double-descent MLP ci tier holds and each seed descends twice", "[suites][double_descent][signatures]") {
  auto file = test::run_tier("double_descent_mlp.yaml", "ci");
  test::require_every_claim(file);  // configs/double_descent_mlp.yaml, expect: (the mean curve)
  // What a claim does not say: the shape of each seed's own curve.
  std::map<uint64_t, std::vector<Width>> by_seed;  // widths in increasing order (plan order)
  for (const auto& run : file.runs) {
    REQUIRE(run.status == RunStatus::Ok);
    by_seed[run.seed].push_back({run.params.get_int("k"), run.summaries.at("final_test_error"),
                                 run.summaries.at("final_train_error")});
    CHECK(run.summaries.at("best_test_error") <= run.summaries.at("final_test_error"));
  }
  REQUIRE(by_seed.size() == 3);
  for (const auto& [seed, curve] : by_seed) {
    CAPTURE(seed);
    REQUIRE(curve.size() == 11);
    // the interpolation threshold: the narrowest width that fits the noisy labels
    size_t threshold = 0;
    while (threshold < curve.size() && curve[threshold].train > 0.01) ++threshold;
    REQUIRE(threshold < curve.size());
    REQUIRE(threshold > 1);
    size_t under = 0;  // the best width below the threshold
    for (size_t i = 1; i < threshold; ++i)
      if (curve[i].test < curve[under].test) under = i;
    size_t peak = under;  // the worst width from there on
    for (size_t i = under; i < curve.size(); ++i)
      if (curve[i].test > curve[peak].test) peak = i;
    CAPTURE(curve[under].k, curve[peak].k, curve[threshold].k);
    CHECK(peak > under);  // the rise comes while the noisy labels are being fitted,
    CHECK(peak <= threshold + 1);  // up to the threshold (one seed peaked at k = 12 < 24, on a plateau)
    CHECK(curve[peak].test >= curve[under].test + 0.015);  // first descent, then a rise (0.018 the least of 13 seeds)
    CHECK(curve.back().test <= curve[peak].test - 0.03);  // and the second descent
  }
}
