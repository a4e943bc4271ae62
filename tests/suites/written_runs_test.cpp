// Detectors on hand-written trajectories, in milliseconds: what each summary
// means, pinned on runs whose answer is known, without the minutes a ci tier
// takes. (The robust-overfitting detector has its own file; double descent
// and benign overfitting are in written_runs_descent_test.cpp.)
#include <catch2/catch.hpp>

#include <cmath>

#include "suites/detector.h"

using namespace genbench;

namespace {

const Detector& detector(const std::string& name) {
  const auto* d = find_detector(name);
  REQUIRE(d != nullptr);
  return *d;
}

RunRecord written_run(const std::string& task, const std::vector<int64_t>& steps,
                      const std::map<std::string, std::vector<double>>& metrics, uint64_t seed = 0) {
  RunRecord run;
  run.task = task;
  run.status = RunStatus::Ok;
  run.seed = seed;
  run.steps = steps;
  run.metrics = metrics;
  return run;
}

}  // namespace

TEST_CASE("matrix sensing: thresholds, the linear rate and fitting without recovery", "[suites][matrix_sensing]") {
  // Error and loss fall a decade every 100 steps from 1.5 at step 0 (no value sits on a threshold).
  std::vector<int64_t> steps;
  std::vector<double> error, loss;
  for (int64_t t = 0; t <= 1000; t += 100) {
    steps.push_back(t);
    error.push_back(1.5 * std::pow(10.0, -static_cast<double>(t) / 100));
    loss.push_back(1.5 * std::pow(10.0, -static_cast<double>(t) / 100));
  }
  auto run = written_run("matrix_sensing", steps, {{"rel_error", error}, {"train_loss", loss}});
  auto s = detector("matrix_sensing").analyse(run);
  CHECK(s.at("steps_to_rel_error_1e-2") == 300);  // 1.5e-2 at step 200, 1.5e-3 at 300
  CHECK(s.at("steps_to_rel_error_1e-8") == 900);
  CHECK(s.at("decades_per_1k_steps") == Approx(10.0));
  CHECK(s.at("rel_error_when_fit") == Approx(1.5e-4));  // train loss first < 1e-3 at step 400
  CHECK(s.at("final_rel_error") == Approx(1.5e-10));
  CHECK(s.at("min_rel_error") == Approx(1.5e-10));

  SECTION("a threshold never reached is left out, not a sentinel") {
    auto slow = written_run("matrix_sensing", {0, 100}, {{"rel_error", {1.0, 0.5}}, {"train_loss", {1.0, 0.5}}});
    auto t = detector("matrix_sensing").analyse(slow);
    CHECK(t.count("steps_to_rel_error_1e-2") == 0);
    CHECK(t.count("decades_per_1k_steps") == 0);
    CHECK(t.count("rel_error_when_fit") == 0);
  }
}

TEST_CASE("grokking: memorization, generalization, the delay, and Grokfast's speed-up over its twin",
          "[suites][grokking]") {
  auto grokking_run = [](int64_t memorize_at, int64_t generalize_at, const std::string& filter) {
    std::vector<int64_t> steps;
    std::vector<double> train, test;
    for (int64_t t = 0; t <= 1000; t += 10) {
      steps.push_back(t);
      train.push_back(t >= memorize_at ? 1.0 : 0.5);
      test.push_back(t >= generalize_at ? 0.97 : 0.01);
    }
    auto run = written_run("modular_arithmetic", steps, {{"train_accuracy", train}, {"test_accuracy", test}});
    run.params.set("weight_decay", 1.0);
    run.params.set("grokfast", filter);
    run.params.set("grokfast_alpha", filter == "none" ? 0.98 : 0.8);  // a treatment parameter: may differ
    return run;
  };
  auto plain = grokking_run(100, 800, "none");
  auto s = detector("grokking").analyse(plain);
  CHECK(s.at("memorization_step") == 100);
  CHECK(s.at("generalization_step") == 800);
  CHECK(s.at("grokking_delay") == Approx(8.0));
  CHECK(s.at("test_accuracy_at_memorization") == Approx(0.01));

  ResultsFile file;
  file.runs = {plain, grokking_run(100, 200, "ema")};
  SECTION("a filtered run is compared with its unfiltered twin") {
    auto suite = detector("grokking").analyse_suite(file);
    CHECK(suite.at("grokfast_speedup_median") == Approx(4.0));
  }
  SECTION("a run that differs outside the treatment is nobody's twin") {
    file.runs[1].params.set("weight_decay", 0.5);
    CHECK(detector("grokking").analyse_suite(file).empty());
  }
  SECTION("another seed is nobody's twin") {
    file.runs[1].seed = 1;
    CHECK(detector("grokking").analyse_suite(file).empty());
  }
}
