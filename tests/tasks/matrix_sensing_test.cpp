// Matrix sensing: the packed measurement operator, the gradient against
// autograd, and determinism.
#include "tasks/matrix_sensing.h"

#include <catch2/catch.hpp>

using namespace genbench;

namespace {

MatrixSensingConfig small_config(const std::string& optimizer = "gd") {
  auto params = default_params(MatrixSensing().params());
  params.set("d", int64_t{6});
  params.set("r", int64_t{2});
  params.set("m", int64_t{40});
  params.set("k", int64_t{3});
  params.set("init_scale", 0.5);
  params.set("optimizer", optimizer);
  params.set("noise_std", 0.1);
  return MatrixSensingConfig::from(params);
}

}  // namespace

TEST_CASE("measurements are <A_i, X> with symmetric A_i = (G + G^T)/2", "[tasks][matrix_sensing]") {
  auto config = small_config();
  MatrixSensingProblem problem(config, 3, torch::kCPU);
  auto X = torch::randn({6, 6}, torch::kFloat64);  // not symmetric: <A, X> uses all entries
  auto measured = problem.measure((X + X.t()) / 2);
  for (int64_t i = 0; i < config.m; ++i) {
    auto A_i = problem.adjoint(torch::zeros({config.m}, torch::kFloat64).index_put_({i}, 1.0));
    CHECK(torch::allclose(A_i, A_i.t()));
    CHECK(measured[i].item<double>() == Approx((A_i * X).sum().item<double>()).margin(1e-12));
  }
}

TEST_CASE("packed A_i have the law of (G + G^T)/2: unit diagonal, half off-diagonal variance", "[tasks][matrix_sensing]") {
  auto config = small_config();
  config.m = 20000;
  MatrixSensingProblem problem(config, 1, torch::kCPU);
  // E <A, E_jj>^2 = Var A_jj = 1 and E <A, E_jl + E_lj>^2 = 4 Var A_jl = 2.
  auto diag = torch::zeros({6, 6}, torch::kFloat64);
  diag[2][2] = 1;
  auto off = torch::zeros({6, 6}, torch::kFloat64);
  off[1][4] = off[4][1] = 1;
  CHECK(problem.measure(diag).square().mean().item<double>() == Approx(1.0).epsilon(0.05));
  CHECK(problem.measure(off).square().mean().item<double>() == Approx(2.0).epsilon(0.05));
}

TEST_CASE("the GD step follows the gradient of f(U) = (1/2m) sum r_i^2", "[tasks][matrix_sensing]") {
  auto config = small_config();
  MatrixSensingProblem problem(config, 5, torch::kCPU);
  auto U = problem.U().clone().requires_grad_(true);
  auto res = problem.measure(U.mm(U.t())) - (problem.measure(problem.U().mm(problem.U().t())) - problem.residuals());
  auto loss = 0.5 * res.square().mean();
  loss.backward();
  auto before = problem.U().clone();
  CHECK(problem.train_loss(problem.residuals()) == Approx(loss.item<double>()));
  problem.step();
  auto taken = (before - problem.U()) / config.lr;
  CHECK(torch::allclose(taken, U.grad(), 1e-10, 1e-12));
}

TEST_CASE("ScaledGD preconditions the gradient by (U^T U + lambda I)^-1", "[tasks][matrix_sensing]") {
  auto gd_config = small_config("gd");
  auto sgd_config = small_config("scaledgd");
  MatrixSensingProblem gd(gd_config, 2, torch::kCPU), sgd(sgd_config, 2, torch::kCPU);
  auto U = gd.U().clone();
  gd.step();
  sgd.step();
  auto grad = (U - gd.U()) / gd_config.lr;
  auto P = U.t().mm(U) + sgd_config.lambda * torch::eye(3, torch::kFloat64);
  CHECK(torch::allclose((U - sgd.U()) / sgd_config.lr, grad.mm(torch::inverse(P)), 1e-9, 1e-12));
}

TEST_CASE("a problem is a function of its seed alone", "[tasks][matrix_sensing]") {
  auto config = small_config();
  MatrixSensingProblem a(config, 11, torch::kCPU), b(config, 11, torch::kCPU), c(config, 12, torch::kCPU);
  torch::manual_seed(999);  // the global generator must not matter
  for (int i = 0; i < 20; ++i) a.step(), b.step(), c.step();
  CHECK(torch::equal(a.U(), b.U()));
  CHECK(torch::equal(a.X_star(), b.X_star()));
  CHECK_FALSE(torch::equal(a.X_star(), c.X_star()));
}

TEST_CASE("eigenvalues come from kappa unless given", "[tasks][matrix_sensing]") {
  auto params = default_params(MatrixSensing().params());
  params.set("d", int64_t{6});
  params.set("r", int64_t{3});
  params.set("kappa", 100.0);
  auto eig = MatrixSensingConfig::from(params).eigenvalues;
  REQUIRE(eig.size() == 3);
  CHECK(eig[0] == 1.0);
  CHECK(eig[1] == Approx(0.1));
  CHECK(eig[2] == Approx(0.01));
  params.set("eigenvalues", std::vector<double>{2, 1, 0.5});
  CHECK(MatrixSensingConfig::from(params).eigenvalues == std::vector<double>{2, 1, 0.5});
  MatrixSensingProblem p(MatrixSensingConfig::from(params), 0, torch::kCPU);
  auto sv = at::linalg_eigvalsh(p.X_star());
  CHECK(sv[5].item<double>() == Approx(2.0));
  CHECK(sv[3].item<double>() == Approx(0.5));
}
