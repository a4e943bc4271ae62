// The double-descent and benign-overfitting detectors on hand-written runs,
// in milliseconds: each summary pinned on a sweep whose answer is worked out
// by hand in the comments, and the sweeps too small or too flat to have one.
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

RunRecord written_run(const std::string& task, const std::map<std::string, std::vector<double>>& metrics,
                      const std::string& point = "p") {
  RunRecord run;
  run.task = task;
  run.point = point;
  run.status = RunStatus::Ok;
  for (const auto& [name, values] : metrics) {
    run.metrics[name] = values;
    run.steps.resize(values.size());
  }
  for (size_t i = 0; i < run.steps.size(); ++i) run.steps[i] = static_cast<int64_t>(i);
  return run;
}

// Min-norm linear regression at one gamma = p/n: two draws of the excess risk.
RunRecord linear_run(double gamma, double risk_a, double risk_b, double theory) {
  auto run = written_run("linear_regression", {{"excess_risk", {risk_a, risk_b}}});
  run.params.set("ridge", 0.0);
  run.params.set("r2", 4.0);
  run.params.set("sigma2", 1.0);
  run.params.set("n", int64_t{100});
  run.params.set("p", static_cast<int64_t>(std::llround(gamma * 100)));
  run.summaries["gamma"] = gamma;
  run.summaries["theory_excess_risk"] = theory;
  return run;
}

}  // namespace

TEST_CASE("the gap to theory counts gamma 0.8 and 1.2 and leaves out 0.9 to 1.1", "[suites][double_descent]") {
  // |gamma - 1| >= 0.2 compared in integers (5 |p - n| >= n): as doubles
  // 1 - 0.8 is 0.19999999999999996, and gamma 0.8 would be left out.
  std::vector<RunRecord> runs = {linear_run(0.5, 1.0, 1.0, 1.0), linear_run(0.8, 1.3, 1.3, 1.0),
                                 linear_run(0.9, 5.0, 5.0, 1.0), linear_run(2.0, 1.0, 1.0, 1.0)};
  ResultsFile file;
  for (auto& r : runs) file.runs.push_back(r);
  CHECK(detector("double_descent").analyse_suite(file).at("linear_max_rel_gap_to_theory") == Approx(0.3));
  file.runs[1] = linear_run(1.2, 1.0, 1.0, 1.25);
  CHECK(detector("double_descent").analyse_suite(file).at("linear_max_rel_gap_to_theory") == Approx(0.2));
}

TEST_CASE("double descent, per run: Monte Carlo means, their standard error and the gap to theory",
          "[suites][double_descent]") {
  auto run = linear_run(0.5, 1.0, 3.0, 2.5);
  run.metrics["excess_risk"] = {1.0, 2.0, 3.0};
  run.steps = {0, 1, 2};
  auto s = detector("double_descent").analyse(run);
  CHECK(s.at("excess_risk_mean") == Approx(2.0));
  CHECK(s.at("excess_risk_sem") == Approx(std::sqrt(1.0 / 3)));  // sample variance 1, over 3 draws
  CHECK(s.at("theory_rel_gap") == Approx(-0.2));                  // 2 / 2.5 - 1

  SECTION("the MLP's final errors and its early-stopping optimum") {
    auto mlp = written_run("mlp_classifier", {{"test_error", {0.9, 0.3, 0.2, 0.25}}, {"train_error", {0.9, 0.2, 0.05, 0.0}}});
    auto m = detector("double_descent").analyse(mlp);
    CHECK(m.at("final_test_error") == 0.25);
    CHECK(m.at("final_train_error") == 0.0);
    CHECK(m.at("best_test_error") == 0.2);
    CHECK(m.at("best_test_epoch") == 2);
  }
}

TEST_CASE("double descent, linear sweep: the peak at gamma = 1, the optimum past it, the distance to theory",
          "[suites][double_descent]") {
  // Means per gamma: 1 | 10 | 2 | 1.5 | 1.8; theory misses by 10 % at gamma = 0.5 and 3 (|gamma - 1| >= 0.2).
  // SNR r2 / sigma2 = 4: gamma* = sqrt(4) / (sqrt(4) - 1) = 2, which is also the simulated argmin over gamma > 1.
  ResultsFile file;
  file.runs = {linear_run(0.5, 0.5, 1.5, 1.0 / 1.1), linear_run(1.0, 10, 10, 1e9), linear_run(1.5, 2, 2, 2),
               linear_run(2.0, 1.5, 1.5, 1.5), linear_run(3.0, 1.8, 1.8, 2.0)};
  auto s = detector("double_descent").analyse_suite(file);
  CHECK(s.at("linear_peak_gamma") == 1.0);
  CHECK(s.at("linear_peak_over_best_under") == Approx(10.0));
  CHECK(s.at("linear_argmin_gamma_over_1") == 2.0);
  CHECK(s.at("linear_min_risk_over_1") == Approx(1.5));
  CHECK(s.at("linear_max_rel_gap_to_theory") == Approx(0.1));  // 1.8 / 2 - 1 and 1 / (1 / 1.1) - 1
  CHECK(s.at("linear_gamma_star") == Approx(2.0));
  CHECK(s.at("linear_argmin_grid_steps_from_gamma_star") == 0);

  SECTION("ridge runs and failed runs are not part of the min-norm curve") {
    file.runs[1].params.set("ridge", 0.1);
    file.runs[2].status = RunStatus::Diverged;
    auto t = detector("double_descent").analyse_suite(file);
    CHECK(t.at("linear_peak_gamma") == 3.0);  // of 1 | 1.5 | 1.8 left
  }
  SECTION("fewer than three gammas make no curve") {
    file.runs.resize(2);
    CHECK(detector("double_descent").analyse_suite(file).empty());
  }
}

TEST_CASE("double descent, random features: the peak in N/n against the best N <= n/2 and the widest",
          "[suites][double_descent]") {
  ResultsFile file;
  const std::vector<std::pair<double, double>> curve = {{0.25, 0.3}, {0.5, 0.25}, {1.0, 0.6}, {2.0, 0.2}, {4.0, 0.15}};
  for (auto [ratio, error] : curve) {
    for (uint64_t seed : {0, 1}) {  // the seeds straddle the mean
      auto run = written_run("random_features", {{"test_error", {error + (seed ? 0.01 : -0.01)}}});
      run.seed = seed;
      run.params.set("label_noise", 0.0);
      run.params.set("ridge", 0.0);
      run.summaries["N_over_n"] = ratio;
      file.runs.push_back(run);
    }
  }
  auto s = detector("double_descent").analyse_suite(file);
  CHECK(s.at("rf_peak_N_over_n") == 1.0);
  CHECK(s.at("rf_peak_test_error") == Approx(0.6));
  CHECK(s.at("rf_best_test_error_N_below_half_n") == Approx(0.25));
  CHECK(s.at("rf_peak_over_best_below_half") == Approx(2.4));
  CHECK(s.at("rf_widest_N_over_n") == 4.0);
  CHECK(s.at("rf_widest_test_error") == Approx(0.15));
}

TEST_CASE("double descent, MLP widths: the interpolation threshold, the best width below it, the peak, the widest",
          "[suites][double_descent]") {
  // k:     4    8    16     32    64
  // train  0.3  0.1  0.005  0     0      -> interpolates from k = 16 (train <= 1 %)
  // test   0.4  0.3  0.5    0.35  0.25   -> best below: k = 8; peak from there on: k = 16
  auto sweep = [](const std::vector<double>& train) {
    ResultsFile file;
    const std::vector<int64_t> widths = {4, 8, 16, 32, 64};
    const std::vector<double> test = {0.4, 0.3, 0.5, 0.35, 0.25};
    for (size_t i = 0; i < widths.size(); ++i) {
      auto run = written_run("mlp_classifier", {{"test_error", {0.9, test[i]}}, {"train_error", {0.9, train[i]}}});
      run.params.set("k", widths[i]);
      file.runs.push_back(run);
    }
    return file;
  };
  auto s = detector("double_descent").analyse_suite(sweep({0.3, 0.1, 0.005, 0, 0}));
  CHECK(s.at("mlp_interpolation_k") == 16);
  CHECK(s.at("mlp_best_under_k") == 8);
  CHECK(s.at("mlp_best_under_test_error") == Approx(0.3));
  CHECK(s.at("mlp_peak_k") == 16);
  CHECK(s.at("mlp_peak_test_error") == Approx(0.5));
  CHECK(s.at("mlp_widest_k") == 64);
  CHECK(s.at("mlp_widest_test_error") == Approx(0.25));
  CHECK(s.at("mlp_peak_grid_steps_from_threshold") == 0);

  SECTION("a sweep that never interpolates, or always does, has no threshold to report") {
    CHECK(detector("double_descent").analyse_suite(sweep({0.3, 0.2, 0.1, 0.05, 0.02})).empty());
    CHECK(detector("double_descent").analyse_suite(sweep({0, 0, 0, 0, 0})).empty());
  }
}

TEST_CASE("benign overfitting, spiked covariance: whether the risk grows with the tail eigenvalue",
          "[suites][benign_overfitting]") {
  auto spiked = [](double eps, double risk) {
    auto run = written_run("linear_regression", {{"excess_risk", {risk - 0.1, risk + 0.1}}});
    run.params.set("spectrum", std::string("spiked"));
    run.params.set("ridge", 0.0);
    run.params.set("spike_eps", eps);
    return run;
  };
  ResultsFile file;
  file.runs = {spiked(0.1, 0.5), spiked(0.01, 0.2), spiked(1.0, 0.9)};
  auto s = detector("benign_overfitting").analyse_suite(file);
  CHECK(s.at("spiked_risk_increases_with_eps") == 1);
  CHECK(s.at("spiked_smallest_eps_excess_risk") == Approx(0.2));

  SECTION("a risk that falls anywhere along eps is not increasing") {
    file.runs[2] = spiked(1.0, 0.4);
    CHECK(detector("benign_overfitting").analyse_suite(file).at("spiked_risk_increases_with_eps") == 0);
  }
  SECTION("the per-run means are the double-descent detector's") {
    auto a = detector("benign_overfitting").analyse(file.runs[0]), b = detector("double_descent").analyse(file.runs[0]);
    CHECK(a == b);
    CHECK(a.at("excess_risk_mean") == Approx(0.5));
  }
}

TEST_CASE("benign overfitting, kernels: the slope of the test MSE in the fitted noise, and the regime it implies",
          "[suites][benign_overfitting]") {
  // Test MSE = 0.1 + slope * sigma^2 at sigma^2 = 0, 0.36, 0.64: least squares through the clean point
  // returns the slope exactly.
  auto kernel_sweep = [](double slope_small_n, double slope_large_n) {
    ResultsFile file;
    for (auto [n, slope] : {std::pair<int64_t, double>{100, slope_small_n}, {400, slope_large_n}})
      for (double variance : {0.0, 0.36, 0.64}) {
        auto run = written_run("interpolation_kernel", {{"test_mse", {0.1 + slope * variance, 0.1 + slope * variance}}},
                               "laplace n=" + std::to_string(n) + " label_noise=0.1");
        run.params.set("n", n);
        run.summaries["noise_variance"] = variance;
        file.runs.push_back(run);
      }
    return file;
  };
  const auto& d = detector("benign_overfitting_kernel");
  SECTION("a steady slope between 0.1 and 1 is tempered") {
    auto s = d.analyse_suite(kernel_sweep(0.5, 0.5));
    CHECK(s.at("laplace_n100_noise_slope") == Approx(0.5));
    CHECK(s.at("laplace_noise_slope") == Approx(0.5));
    CHECK(s.at("laplace_slope_growth") == Approx(1.0));
    CHECK(s.at("laplace_regime") == 1);
  }
  SECTION("a slope under 0.1 that does not rise is benign") {
    CHECK(d.analyse_suite(kernel_sweep(0.05, 0.05)).at("laplace_regime") == 0);
  }
  SECTION("a slope that rises with n, or exceeds 1, is catastrophic") {
    auto rising = d.analyse_suite(kernel_sweep(0.5, 0.8));
    CHECK(rising.at("laplace_slope_growth") == Approx(1.6));
    CHECK(rising.at("laplace_regime") == 2);
    CHECK(d.analyse_suite(kernel_sweep(1.5, 1.5)).at("laplace_regime") == 2);
  }
  SECTION("without a clean point there is no slope") {
    auto file = kernel_sweep(0.5, 0.5);
    file.runs.erase(file.runs.begin() + 3);  // n = 400, sigma^2 = 0
    file.runs.erase(file.runs.begin());      // n = 100, sigma^2 = 0
    CHECK(d.analyse_suite(file).empty());
  }
}

TEST_CASE("benign overfitting, XOR clusters: fitting every label, then generalizing while still fitting the flipped",
          "[suites][benign_overfitting]") {
  auto run = written_run("xor_cluster", {{"train_accuracy", {0.5, 0.8, 0.9, 1.0, 1.0}},
                                         {"train_accuracy_flipped", {0.0, 0.1, 0.5, 1.0, 0.9}},
                                         {"test_accuracy", {0.5, 0.6, 0.7, 0.9, 0.96}}});
  auto s = detector("benign_overfitting_xor").analyse(run);
  CHECK(s.at("step1_train_accuracy") == 0.8);
  CHECK(s.at("step1_test_accuracy") == 0.6);
  CHECK(s.at("fit_step") == 3);
  CHECK(s.at("min_train_accuracy_flipped_after_fit") == 0.9);
  CHECK(s.at("generalization_step") == 4);
  CHECK(s.at("final_test_accuracy") == 0.96);
  CHECK(s.at("max_test_accuracy") == 0.96);

  SECTION("a network that never fits every label has no fit step and no flipped minimum") {
    run.metrics["train_accuracy"] = {0.5, 0.8, 0.9, 0.99, 0.99};
    auto t = detector("benign_overfitting_xor").analyse(run);
    CHECK(t.count("fit_step") == 0);
    CHECK(t.count("min_train_accuracy_flipped_after_fit") == 0);
    CHECK(t.at("generalization_step") == 4);
  }
}
