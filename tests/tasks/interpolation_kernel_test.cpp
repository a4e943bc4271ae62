// The kernel-interpolation task in-process: the kernels are what they say,
// the ridgeless solve is the min-norm interpolant (the pseudo-inverse), and a
// run interpolates its flipped labels and is a function of its seed.
#include "tasks/interpolation_kernel.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>

#include "recorder.h"

using namespace genbench;
using test::Recorder;

namespace {

Recorder run(std::map<std::string, ParamValue> overrides, uint64_t seed = 0) {
  InterpolationKernel task;
  auto params = default_params(task.params());
  params.set("n", int64_t{200});
  params.set("n_test", int64_t{500});
  for (auto& [k, v] : overrides) params.set(k, v);
  std::atomic<bool> stop{false};
  Recorder rec;
  task.run({params, seed, "cpu", 1, stop}, rec);
  return rec;
}

}  // namespace

TEST_CASE("Laplace and Gaussian kernels of known points", "[tasks][interpolation_kernel]") {
  auto A = torch::tensor({{1.0, 0.0}, {0.0, 1.0}}, torch::kFloat64);
  auto B = torch::tensor({{1.0, 0.0}, {-1.0, 0.0}}, torch::kFloat64);
  auto laplace = kernel_matrix(A, B, "laplace", 2.0);
  auto gaussian = kernel_matrix(A, B, "gaussian", 2.0);
  // |a1 - b1| = 0, |a1 - b2| = 2, |a2 - b1| = |a2 - b2| = sqrt 2
  CHECK(laplace[0][0].item<double>() == Approx(1.0));
  CHECK(laplace[0][1].item<double>() == Approx(std::exp(-1.0)));
  CHECK(laplace[1][0].item<double>() == Approx(std::exp(-std::sqrt(2.0) / 2)));
  CHECK(gaussian[0][1].item<double>() == Approx(std::exp(-4.0 / 8)));
  CHECK(gaussian[1][1].item<double>() == Approx(std::exp(-2.0 / 8)));
}

TEST_CASE("the ridgeless solve is the pseudo-inverse, ridge solves the regularized system",
          "[tasks][interpolation_kernel]") {
  auto X = torch::randn({30, 3}, torch::kFloat64);
  auto y = torch::randn({30}, torch::kFloat64);
  SECTION("full rank: the interpolant") {
    auto K = kernel_matrix(X, X, "laplace", 1.0);
    auto alpha = kernel_coefficients(K, y, 0);
    CHECK(torch::allclose(K.mv(alpha), y, 1e-8, 1e-8));
  }
  SECTION("rank deficient (a repeated point): the min-norm solution") {
    auto Xd = torch::cat({X, X.slice(0, 0, 1)});
    auto yd = torch::cat({y, y.slice(0, 0, 1) + 1.0});  // the two copies disagree: no exact fit exists
    auto K = kernel_matrix(Xd, Xd, "laplace", 1.0);
    K.fill_diagonal_(1.0);
    auto alpha = kernel_coefficients(K, yd, 0);
    CHECK(torch::allclose(alpha, at::linalg_pinv(K).mv(yd), 1e-6, 1e-8));
    CHECK(std::isfinite(alpha.abs().max().item<double>()));
  }
  SECTION("ridge") {
    auto K = kernel_matrix(X, X, "gaussian", 1.0);
    auto alpha = kernel_coefficients(K, y, 0.1);
    CHECK(torch::allclose((K + 0.1 * 30 * torch::eye(30, K.options())).mv(alpha), y, 1e-10, 1e-10));
  }
}

TEST_CASE("a run interpolates its flipped labels and depends only on its seed", "[tasks][interpolation_kernel]") {
  auto clean = run({{"label_noise", 0.0}});
  auto noisy = run({{"label_noise", 0.2}});
  auto again = run({{"label_noise", 0.2}});
  auto other = run({{"label_noise", 0.2}}, 1);
  REQUIRE(noisy.rows["train_mse"].size() == 2);  // one row per trial
  for (double v : noisy.rows["train_mse"]) CHECK(v < 1e-12);
  for (double v : noisy.rows["train_error"]) CHECK(v == 0);
  CHECK(noisy.rows == again.rows);
  CHECK(noisy.rows != other.rows);
  CHECK(noisy.summaries.at("noise_variance") == Approx(4 * 0.2 * 0.8));
  // same seed, same data: the flipped labels cost test accuracy
  CHECK(noisy.rows["test_mse"][0] > clean.rows["test_mse"][0]);
  CHECK(clean.rows["test_error"][0] < 0.2);  // sign(x_1) is learnable from 200 points on S^9
  SECTION("ridge does not interpolate") {
    auto ridge = run({{"label_noise", 0.2}, {"ridge", 0.01}});
    for (double v : ridge.rows["train_mse"]) CHECK(v > 0.05);
  }
  SECTION("Fashion-MNIST") {
    auto images = run({{"data", std::string("fashion_mnist")}, {"label_noise", 0.1}});
    for (double v : images.rows["train_mse"]) CHECK(v < 1e-12);
    CHECK(images.rows["test_error"][0] < 0.25);  // classes 0-4 against 5-9
  }
}
