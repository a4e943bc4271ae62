// The robust-overfitting detector on hand-written trajectories: a run that
// peaks and then falls slowly (robust overfitting), one that collapses under
// a high FGSM accuracy (catastrophic overfitting), and a regularised run
// against its PGD-trained twin.
#include <catch2/catch.hpp>

#include "suites/detector.h"

using namespace genbench;

namespace {

RunRecord adversarial_run(const std::vector<double>& test_pgd, const std::vector<double>& test_fgsm,
                          const std::string& training = "fgsm", const std::string& regularizer = "none",
                          uint64_t seed = 0) {
  RunRecord run;
  run.task = "adversarial_training";
  run.status = RunStatus::Ok;
  run.seed = seed;
  run.params.set("training", training);
  run.params.set("regularizer", regularizer);
  run.params.set("epochs", static_cast<int64_t>(test_pgd.size() - 1));
  for (size_t i = 0; i < test_pgd.size(); ++i) run.steps.push_back(static_cast<int64_t>(i));
  run.metrics["test_pgd_accuracy"] = test_pgd;
  run.metrics["test_fgsm_accuracy"] = test_fgsm;
  std::vector<double> rising;
  for (size_t i = 0; i < test_pgd.size(); ++i) rising.push_back(0.1 + 0.05 * static_cast<double>(i));
  run.metrics["train_pgd_accuracy"] = rising;
  return run;
}

const Detector& detector() {
  const auto* d = find_detector("robust_overfitting");
  REQUIRE(d != nullptr);
  return *d;
}

}  // namespace

TEST_CASE("robust overfitting: the best epoch, the final one and the gap", "[suites][robust_overfitting]") {
  auto run = adversarial_run({0.0, 0.40, 0.52, 0.50, 0.48, 0.47}, {0.0, 0.5, 0.6, 0.6, 0.6, 0.6}, "pgd");
  run.metrics["lr"] = {0.1, 0.1, 0.01, 0.01, 0.001, 0.001};
  auto s = detector().analyse(run);
  CHECK(s.at("best_test_pgd_accuracy") == Approx(0.52));
  CHECK(s.at("best_epoch") == 2);
  CHECK(s.at("final_test_pgd_accuracy") == Approx(0.47));
  CHECK(s.at("robust_overfitting_gap") == Approx(0.05));
  CHECK(s.at("late_test_pgd_accuracy") == Approx((0.50 + 0.48 + 0.47) / 3));  // epochs 3 to 5 of 5
  CHECK(s.at("train_pgd_at_best") == Approx(0.2));
  CHECK(s.at("final_train_pgd_accuracy") == Approx(0.35));
  CHECK(s.at("lr_drop_epoch") == 2);  // the first of the two drops
  CHECK(s.at("best_epoch_after_lr_drop") == 2);
  CHECK(s.at("gap_after_lr_drop") == Approx(0.05));

  SECTION("a swing at the high rate above the peak after the drop") {
    run.metrics["test_pgd_accuracy"] = {0.0, 0.55, 0.50, 0.51, 0.48, 0.46};
    auto t = detector().analyse(run);
    CHECK(t.at("best_epoch") == 1);
    CHECK(t.at("best_epoch_after_lr_drop") == 3);
    CHECK(t.at("best_test_pgd_after_lr_drop") == Approx(0.51));
    CHECK(t.at("gap_after_lr_drop") == Approx(0.05));
    CHECK(t.at("train_pgd_at_best_after_lr_drop") == Approx(0.25));
  }
  CHECK(s.at("lowest_test_pgd_after_best") == Approx(0.47));
  CHECK(s.at("lowest_epoch_after_best") == 5);
  CHECK(s.count("collapse_epoch") == 0);  // a slow decline is no collapse
}

TEST_CASE("catastrophic overfitting: the collapse epoch and the FGSM accuracy at the bottom",
          "[suites][robust_overfitting]") {
  SECTION("PGD accuracy falls below a quarter of its best while FGSM accuracy rises") {
    auto run = adversarial_run({0.0, 0.39, 0.40, 0.19, 0.03, 0.01, 0.02}, {0.0, 0.5, 0.55, 0.6, 0.7, 0.85, 0.9});
    auto s = detector().analyse(run);
    CHECK(s.at("best_epoch") == 2);
    CHECK(s.at("collapse_epoch") == 4);
    CHECK(s.at("lowest_test_pgd_after_best") == Approx(0.01));
    CHECK(s.at("lowest_epoch_after_best") == 5);
    CHECK(s.at("test_fgsm_at_lowest") == Approx(0.85));
  }
  SECTION("a run that peaks at its last epoch has nothing after its best") {
    auto s = detector().analyse(adversarial_run({0.0, 0.2, 0.3}, {0.0, 0.3, 0.4}));
    CHECK(s.at("best_epoch") == 2);
    CHECK(s.at("robust_overfitting_gap") == Approx(0.0));
    CHECK(s.count("lowest_test_pgd_after_best") == 0);
    CHECK(s.count("collapse_epoch") == 0);
    CHECK(s.count("lr_drop_epoch") == 0);  // no lr logged
  }
  SECTION("a run without PGD metrics gets no summaries") {
    RunRecord run;
    run.steps = {0, 1};
    run.metrics["test_accuracy"] = {0.1, 0.5};
    CHECK(detector().analyse(run).empty());
  }
}

TEST_CASE("a regulariser's shortfall is measured against the PGD-trained run of the same seed",
          "[suites][robust_overfitting]") {
  ResultsFile file;
  // late: the mean over epochs 3 and 4
  file.runs.push_back(adversarial_run({0.0, 0.40, 0.45, 0.45, 0.47}, {0.0, 0.5, 0.5, 0.5, 0.5}, "pgd", "none", 0));
  file.runs.push_back(adversarial_run({0.0, 0.30, 0.41, 0.41, 0.43}, {0.0, 0.4, 0.5, 0.5, 0.5}, "fgsm", "gradalign", 0));
  file.runs.push_back(adversarial_run({0.0, 0.42, 0.50, 0.50, 0.52}, {0.0, 0.5, 0.5, 0.5, 0.5}, "pgd", "none", 1));
  file.runs.push_back(adversarial_run({0.0, 0.30, 0.42, 0.40, 0.46}, {0.0, 0.4, 0.5, 0.5, 0.5}, "fgsm", "gradalign", 1));
  file.runs.push_back(adversarial_run({0.0, 0.30, 0.01, 0.01, 0.01}, {0.0, 0.4, 0.9, 0.9, 0.9}, "fgsm", "none", 1));
  auto s = detector().analyse_suite(file);
  REQUIRE(s.count("gradalign_shortfall_max"));
  CHECK(s.at("gradalign_shortfall_max") == Approx(0.08));  // seed 1: 0.51 - 0.43
  CHECK(s.count("elle_shortfall_max") == 0);

  SECTION("a twin of another length does not count") {
    file.runs[2].params.set("epochs", static_cast<int64_t>(100));
    CHECK(detector().analyse_suite(file).at("gradalign_shortfall_max") == Approx(0.04));  // seed 0 only
  }
}
