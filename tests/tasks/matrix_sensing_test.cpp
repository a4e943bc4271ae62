// Matrix sensing: the packed measurement operator, the gradient against
// autograd, determinism, and stacked runs (members sharing A) against runs alone.
#include "tasks/matrix_sensing.h"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <numeric>

#include "recorder.h"

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

TEST_CASE("a CPU step's one pass over A gives the gradient the two mat-vecs give", "[tasks][matrix_sensing]") {
  // m not a multiple of the pass's four rows, d(d+1)/2 = 21 not of its eight
  // columns: every remainder loop runs. For l1 the residuals enter as signs.
  auto optimizer = GENERATE(std::string("gd"), std::string("l1_subgradient"));
  auto m = GENERATE(int64_t{40}, int64_t{41}, int64_t{43});
  CAPTURE(optimizer, m);
  auto config = small_config(optimizer);
  config.m = m;
  MatrixSensingProblem problem(config, 7, torch::kCPU);
  auto U = problem.U().clone();
  auto res = problem.residuals();
  auto c = optimizer == "gd" ? res : res.sign();
  auto expected = U - config.lr * problem.adjoint(c).mm(U) * (2.0 / static_cast<double>(m));
  problem.step(res);
  CHECK(torch::allclose(problem.U(), expected, 1e-13, 1e-15));
  // Residuals are affine in X = UU^T: their change is A's mat-vec of X's.
  auto U1 = problem.U();
  auto moved = problem.residuals() - res;
  CHECK(torch::allclose(moved, problem.measure(U1.mm(U1.t()) - U.mm(U.t())), 1e-10, 1e-13));
  // The logged loss and error (loops on a CPU) are the ops' formulas.
  const double loss = optimizer == "gd" ? 0.5 * res.square().mean().item<double>() : res.abs().mean().item<double>();
  CHECK(problem.train_loss(res) == Approx(loss).epsilon(1e-13));
  const double error = (U1.mm(U1.t()) - problem.X_star()).norm().item<double>() / problem.X_star().norm().item<double>();
  CHECK(problem.rel_error() == Approx(error).epsilon(1e-13));

  SECTION("and a step given other residuals than the last computed uses those") {
    auto before = problem.U().clone();
    problem.residuals();
    problem.step(torch::zeros({m}, torch::kFloat64));
    CHECK(torch::equal(problem.U(), before));
  }
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

// ---- stacked runs: members that share a seed share A ----

namespace {

// A sink as strict as the harness's: a non-finite metric ends the run (the
// row that showed it is kept, as the store keeps it).
struct StrictRecorder : test::Recorder {
  void log(int64_t step, const Metrics& metrics) override {
    Recorder::log(step, metrics);
    for (const auto& [name, value] : metrics)
      if (!std::isfinite(value)) throw std::runtime_error("metric '" + name + "' diverged");
  }
};

Params sensing(std::initializer_list<std::pair<const char*, ParamValue>> set) {
  auto params = default_params(MatrixSensing().params());
  params.set("steps", int64_t{400});
  for (const auto& [name, value] : set) params.set(name, value);
  return params;
}

StrictRecorder alone(const Params& params, uint64_t seed) {
  std::atomic<bool> stop{false};
  StrictRecorder rec;
  try {
    MatrixSensing().run({params, seed, "cpu", 10, stop}, rec);
  } catch (const std::runtime_error&) {  // diverged: its rows so far are the run
  }
  return rec;
}

// The largest |stacked - alone| over a member's logged values, relative to
// the metric's largest |value| on its trajectory. (Not to each value: a
// stack's products round differently from a run's mat-vecs, by ~1e-16 of
// ||X*||, and as rel_error converges to 1e-7 that is 1e-9 of the value.)
double worst_difference(const test::Recorder& a, const test::Recorder& b) {
  double worst = 0;
  for (const auto& [name, values] : b.rows) {
    const auto& other = a.rows.at(name);
    REQUIRE(other.size() == values.size());
    double scale = 0;
    for (double v : values)
      if (std::isfinite(v)) scale = std::max(scale, std::abs(v));
    for (size_t i = 0; i < values.size(); ++i)
      if (std::isfinite(values[i])) worst = std::max(worst, std::abs(other[i] - values[i]) / scale);
  }
  return worst;
}

}  // namespace

TEST_CASE("runs that share a seed train as one stack, each member as it trains alone", "[tasks][matrix_sensing][stack]") {
  using P = std::vector<Params>;
  auto [method, params] = GENERATE(table<std::string, P>({
      {"gd: widths padded, inits, conditioning, noise and outliers",
       P{sensing({{"k", int64_t{2}}}), sensing({{"k", int64_t{30}}}),
         sensing({{"k", int64_t{30}}, {"init_scale", 1.0}, {"steps", int64_t{250}}}),
         sensing({{"kappa", 100.0}, {"steps", int64_t{600}}}), sensing({{"noise_std", 0.1}, {"lr", 0.03}}),
         sensing({{"outlier_fraction", 0.2}})}},
      {"l1 subgradient: one decay per member",
       P{sensing({{"optimizer", std::string("l1_subgradient")}, {"outlier_fraction", 0.2}, {"lr_decay", 0.998}}),
         sensing({{"optimizer", std::string("l1_subgradient")}, {"k", int64_t{5}}, {"lr_decay", 0.99}})}},
      {"ScaledGD: one lambda per member",
       P{sensing({{"optimizer", std::string("scaledgd")}, {"kappa", 1.0}}),
         sensing({{"optimizer", std::string("scaledgd")}, {"kappa", 100.0}, {"lambda", 1e-2}})}},
  }));
  CAPTURE(method);
  std::vector<uint64_t> seeds(params.size(), 7);
  auto members = test::train_stack<StrictRecorder>(MatrixSensing(), params, seeds, 10);
  for (size_t i = 0; i < params.size(); ++i) {
    CAPTURE(i);
    auto solo = alone(params[i], 7);
    CHECK(members[i].steps == solo.steps);
    CHECK(members[i].summaries == solo.summaries);
    CHECK(worst_difference(members[i], solo) <= 1e-12);
  }
  SECTION("and a rerun of the stack is bit for bit") {
    auto again = test::train_stack<StrictRecorder>(MatrixSensing(), params, seeds, 10);
    for (size_t i = 0; i < params.size(); ++i) CHECK(again[i].rows == members[i].rows);
  }
}

TEST_CASE("a member that diverges is masked while the stack goes on", "[tasks][matrix_sensing][stack]") {
  std::vector<Params> params{sensing({}), sensing({{"k", int64_t{30}}, {"init_scale", 1.0}, {"lr", 2.0}}),
                             sensing({{"k", int64_t{30}}})};
  std::vector<size_t> ended;
  auto members = test::train_stack<StrictRecorder>(MatrixSensing(), params, {3, 3, 3}, 10,
                                                   [&](size_t i) { ended.push_back(i); });
  CHECK(ended == std::vector<size_t>{1});
  auto diverged = alone(params[1], 3);
  CHECK(members[1].steps == diverged.steps);
  CHECK(members[1].steps.back() < 400);
  for (size_t i : {0, 2}) {
    CAPTURE(i);
    auto solo = alone(params[i], 3);
    CHECK(members[i].steps == solo.steps);
    CHECK(worst_difference(members[i], solo) <= 1e-12);
  }
}

TEST_CASE("a ScaledGD member whose U^T U + lambda I is singular fails as alone, and the stack goes on",
          "[tasks][matrix_sensing][stack]") {
  // lambda = 0 from U = 0: the preconditioner is the zero matrix at the first step.
  auto scaled = [](double lambda, double init_scale) {
    return sensing({{"optimizer", std::string("scaledgd")}, {"lambda", lambda}, {"init_scale", init_scale}});
  };
  std::vector<Params> params{scaled(1e-3, 1e-3), scaled(0, 0), scaled(1e-2, 1e-3)};
  std::atomic<bool> stop{false};
  StrictRecorder singular;
  REQUIRE_THROWS_WITH(MatrixSensing().run({params[1], 5, "cpu", 10, stop}, singular), Catch::Contains("singular"));
  std::vector<size_t> ended;
  auto members = test::train_stack<StrictRecorder>(MatrixSensing(), params, {5, 5, 5}, 10,
                                                   [&](size_t i) { ended.push_back(i); });
  CHECK(ended == std::vector<size_t>{1});
  CHECK(members[1].steps == singular.steps);
  CHECK(members[1].rows == singular.rows);
  for (size_t i : {0, 2}) {
    CAPTURE(i);
    auto solo = alone(params[i], 5);
    CHECK(solo.steps.back() == 400);
    CHECK(members[i].steps == solo.steps);
    CHECK(worst_difference(members[i], solo) <= 1e-12);
  }
}

TEST_CASE("matrix sensing stacks the runs that share seed, d, r, m and optimizer", "[tasks][matrix_sensing][stack]") {
  MatrixSensing task;
  std::vector<Params> params{sensing({}),                                        // 0
                             sensing({{"k", int64_t{30}}}),                      // 1: padded into 0's stack
                             sensing({{"kappa", 100.0}}),                        // 2
                             sensing({{"noise_std", 0.1}, {"steps", int64_t{50}}}),  // 3
                             sensing({{"m", int64_t{200}}}),                     // 4: another A
                             sensing({{"optimizer", std::string("scaledgd")}}),  // 5
                             sensing({{"optimizer", std::string("scaledgd")}, {"lambda", 0.1}}),  // 6
                             sensing({{"optimizer", std::string("scaledgd")}, {"k", int64_t{3}}})};  // 7: its own k
  std::vector<StackCandidate> runs;
  for (const auto& p : params) runs.push_back({&p, 0});
  runs.push_back({&params[0], 1});  // 8: seed 1 draws another A
  auto sorted = [](std::vector<std::vector<size_t>> groups) {
    std::sort(groups.begin(), groups.end());
    return groups;
  };
  SECTION("on a GPU: every group of two or more") {
    CHECK(sorted(task.stacks(runs, "cuda:0", 0)) == std::vector<std::vector<size_t>>{{0, 1, 2, 3}, {5, 6}});
    CHECK(sorted(task.stacks(runs, "cuda:0", 3)) == std::vector<std::vector<size_t>>{{0, 1, 2}, {5, 6}});  // 3 alone
  }
  SECTION("on a CPU: only groups of kFewestStackedOnCpu or more") {
    CHECK(task.stacks(runs, "cpu", 0).empty());
    std::vector<Params> sweep;  // one seed's lr sweep
    for (int64_t i = 0; i <= MatrixSensing::kFewestStackedOnCpu; ++i) sweep.push_back(sensing({{"lr", 0.01 * (i + 1)}}));
    std::vector<StackCandidate> lrs;
    for (const auto& p : sweep) lrs.push_back({&p, 0});
    std::vector<size_t> all(sweep.size()), but_last(sweep.size() - 1);
    std::iota(all.begin(), all.end(), 0);
    std::iota(but_last.begin(), but_last.end(), 0);
    CHECK(task.stacks(lrs, "cpu", 0) == std::vector<std::vector<size_t>>{all});
    CHECK(task.stacks(lrs, "cpu", MatrixSensing::kFewestStackedOnCpu) == std::vector<std::vector<size_t>>{but_last});
    CHECK(task.stacks(lrs, "cpu", MatrixSensing::kFewestStackedOnCpu - 1).empty());
  }
  SECTION("and refuses members that draw different operators") {
    std::atomic<bool> stop{false};
    std::vector<RunContext> members{{params[0], 0, "cpu", 10, stop}, {params[0], 1, "cpu", 10, stop}};
    test::Recorder a, b;
    StackSinks sinks({&a, &b}, [](size_t, std::exception_ptr) {});
    REQUIRE_THROWS_WITH(task.run_stack(members, sinks),
                        "matrix_sensing: the members of a stack must share seed, d, r, m and optimizer (and k for "
                        "scaledgd)");
  }
}
