// Catastrophic overfitting of fast FGSM training: the robust_overfitting
// suite's ci tier through bench-run, checked seed by seed on the HDF5 file;
// the local tier's measured file adds the cures (GradAlign, ELLE) against
// their PGD-trained twins.
// Robust overfitting (Rice et al.): the local_robust tier. Both local tiers
// are checked on the files they were measured from and, hidden, anew.
#include <catch2/catch.hpp>
#include <algorithm>
#include <map>

#include "results/store.h"
#include "suites/detector.h"
#include "support.h"

using namespace genbench;

namespace {

// point -> seed -> run; every run ok and every point with `seeds` seeds.
std::map<std::string, std::map<uint64_t, const RunRecord*>> by_point(const ResultsFile& file, size_t points,
                                                                      size_t seeds) {
  std::map<std::string, std::map<uint64_t, const RunRecord*>> runs;
  for (const auto& run : file.runs) {
    REQUIRE(run.status == RunStatus::Ok);
    runs[run.point][run.seed] = &run;
  }
  REQUIRE(runs.size() == points);
  for (const auto& [point, by_seed] : runs) REQUIRE(by_seed.size() == seeds);
  return runs;
}

const Detector& detector() {
  const auto* d = find_detector("robust_overfitting");
  REQUIRE(d != nullptr);
  return *d;
}

// Rice et al.'s robust overfitting, seed by seed, as the detector reads the
// runs afresh: the PGD test accuracy peaks after the learning-rate drop and
// then loses >= 3 points while the PGD train accuracy keeps rising.
void check_robust_overfitting(const ResultsFile& file) {
  auto runs = by_point(file, 1, 2);
  for (const auto& [seed, run] : runs.begin()->second) {
    CAPTURE(seed);
    auto s = detector().analyse(*run);
    REQUIRE(s.count("lr_drop_epoch"));
    REQUIRE(s.count("gap_after_lr_drop"));
    CHECK(s.at("best_epoch_after_lr_drop") > s.at("lr_drop_epoch"));
    CHECK(s.at("gap_after_lr_drop") >= 0.03);
    CHECK(s.at("final_train_pgd_accuracy") >= s.at("train_pgd_at_best_after_lr_drop") + 0.05);
    CHECK(s.at("final_train_pgd_accuracy") >= s.at("final_test_pgd_accuracy") + 0.3);  // memorised
  }
}

// Catastrophic overfitting and its cures over the local tier's 8 epochs:
// FGSM collapses on every seed; GradAlign and ELLE do not, and their late
// PGD test accuracy (epochs 5-8), which the detector reads against the
// PGD-trained twin of the same seed, is within 10 points of it.
void check_cures(const ResultsFile& file) {
  auto runs = by_point(file, 4, 2);
  auto suite = detector().analyse_suite(file);
  for (const char* key : {"gradalign_shortfall_max", "elle_shortfall_max"}) {
    CAPTURE(key);
    REQUIRE(suite.count(key));
    CHECK(suite.at(key) <= 0.10);
  }
  for (const auto& [point, by_seed] : runs)
    for (const auto& [seed, run] : by_seed) {
      CAPTURE(point, seed);
      CHECK(detector().analyse(*run).count("collapse_epoch") == (point == "fgsm" ? 1u : 0u));
    }
}

}  // namespace

// What holds on every CPU measured (three AMD EPYC hosts, where the baselines
// results/baselines/robust_overfitting-ci.h5, -ci.AuthenticAMD-2.h5 (Zen 1) and
// -ci.AuthenticAMD-3.h5 (Zen 5, AVX-512) were made, and two Intel Xeon hosts
// with AVX-512, -ci.GenuineIntel.h5 and -2.h5): the
// collapse is a tipping point, and rounding moves it. FGSM training becomes robust on every
// seed and collapses on at least one. GradAlign (lambda 0.5) learns
// robustness on both seeds on every AMD host and on the first Intel host, on one of two
// on the second (seed 1 never passes 0.15 there): the suite's description
// has the figures, and its claims say "on some seed".
TEST_CASE("every claim of the robust-overfitting ci tier holds and a collapse masks the gradient",
          "[suites][robust_overfitting][signatures]") {
  auto file = test::run_tier("robust_overfitting.yaml", "ci");
  test::require_every_claim(file);  // configs/robust_overfitting.yaml, expect:
  // What a claim does not say: the seed that collapses is the one whose FGSM
  // accuracy stays high there, after its best epoch.
  auto runs = by_point(file, 2, 2);
  int collapsed = 0;
  for (const auto& [seed, run] : runs.at("fgsm")) {
    CAPTURE(seed);
    const auto& s = run->summaries;
    if (!s.count("collapse_epoch")) continue;
    ++collapsed;
    CHECK(s.at("collapse_epoch") > s.at("best_epoch"));
    CHECK(s.at("lowest_test_pgd_after_best") <= 0.02);
    CHECK(s.at("test_fgsm_at_lowest") >= 0.50);
  }
  CHECK(collapsed >= 1);
}

// The ci tier's settings on seeds 2-5, which no other test uses (tier
// fresh_seeds, 87 minutes at one job; bench-run --tier fresh_seeds on a clean
// tree, kept in results/reference/): every claim, as the suite file states it
// now, holds there too.
TEST_CASE("the robust-overfitting claims hold on the 4 fresh seeds they were checked on", "[suites][robust_overfitting]") {
  auto file = read_results(test::source_path("results/reference/robust_overfitting-fresh_seeds.h5"));
  REQUIRE(file.root_string("tier") == "fresh_seeds");
  auto runs = by_point(file, 2, 4);
  CHECK(runs.at("fgsm").begin()->first == 2);
  test::require_every_claim_now("robust_overfitting.yaml", "fresh_seeds", file);
}

// The local tier's file as measured here (bench-run --tier local on a clean
// tree, kept in results/reference/), read afresh by the detector. The hidden
// test below makes the file anew (~30 minutes on 2 cores).
TEST_CASE("GradAlign and ELLE stay within 10 points of PGD training in the measured local file",
          "[suites][robust_overfitting]") {
  auto file = read_results(test::source_path("results/reference/robust_overfitting-local.h5"));
  CHECK(file.root_string("tier") == "local");
  check_cures(file);
}

// Hidden: `genbench_tests "[.local]"`. A tag filter it carries, such as
// [robust_overfitting], selects it too: add ~[.local].
TEST_CASE("the local tier anew: GradAlign and ELLE against PGD training", "[.local][suites][robust_overfitting]") {
  check_cures(test::run_tier("robust_overfitting.yaml", "local"));
}

// The local_robust tier's file as measured here (bench-run --tier local_robust
// on a clean tree, kept in results/reference/): the detector finds robust
// overfitting in it. The hidden test below makes the file anew.
TEST_CASE("robust overfitting in the measured local_robust file", "[suites][robust_overfitting]") {
  auto file = read_results(test::source_path("results/reference/robust_overfitting-local_robust.h5"));
  CHECK(file.root_string("suite") == "robust_overfitting");
  CHECK(file.root_string("tier") == "local_robust");
  check_robust_overfitting(file);
}

// Hidden (tier local_robust, ~13 minutes on 2 cores): `genbench_tests "[.local]"`.
TEST_CASE("PGD training of a wide MLP on 500 images overfits robustly after the learning-rate drop",
          "[.local][suites][robust_overfitting]") {
  check_robust_overfitting(test::run_tier("robust_overfitting.yaml", "local_robust"));
}
