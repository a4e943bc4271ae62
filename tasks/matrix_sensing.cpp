#include "tasks/matrix_sensing.h"

#include "tasks/stacking.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

namespace genbench {

std::vector<ParamSpec> MatrixSensing::params() const {
  return {
      int_param("d", 30, "matrix dimension (X* is d x d)", 1, 100000),
      int_param("r", 2, "rank of X*", 1),
      float_param("kappa", 2.0, "condition number of X*: eigenvalues geometric from 1 to 1/kappa "
                                "(ignored when eigenvalues is given)", 1),
      float_list_param("eigenvalues", {}, "explicit eigenvalues of X* (length must be r)", 0),
      int_param("m", 300, "number of measurements", 1),
      int_param("k", 2, "columns of the factor U (k > r over-parameterizes)", 1),
      float_param("init_scale", 1e-3, "alpha: U starts at (alpha / sqrt(d)) N(0, 1)", 0),
      choice_param("optimizer", "gd", {"gd", "scaledgd", "l1_subgradient"},
                   "gd on the l2 loss, ScaledGD(lambda), or the l1-loss subgradient method"),
      float_param("lr", 0.05, "step size eta (initial step for decaying schedules)", 0),
      float_param("lr_decay", 1.0, "step size at step t is lr * lr_decay^t", 0, 1),
      float_param("lambda", 1e-3, "damping of ScaledGD(lambda): (U^T U + lambda I)^-1", 0),
      float_param("noise_std", 0.0, "std of Gaussian noise added to every measurement", 0),
      float_param("outlier_fraction", 0.0, "fraction of measurements replaced by gross outliers", 0, 1),
      float_param("outlier_std", 10.0, "outliers are drawn from N(0, outlier_std^2)", 0),
      int_param("steps", 3000, "optimizer steps", 0),
  };
}

MatrixSensingConfig MatrixSensingConfig::from(const Params& p) {
  MatrixSensingConfig c;
  c.d = p.get_int("d");
  c.r = p.get_int("r");
  c.m = p.get_int("m");
  c.k = p.get_int("k");
  c.steps = p.get_int("steps");
  c.eigenvalues = p.get_float_list("eigenvalues");
  if (c.eigenvalues.empty()) {
    double kappa = p.get_float("kappa");
    for (int64_t i = 0; i < c.r; ++i)
      c.eigenvalues.push_back(c.r == 1 ? 1.0 : std::pow(kappa, -static_cast<double>(i) / (c.r - 1)));
  }
  c.init_scale = p.get_float("init_scale");
  c.lr = p.get_float("lr");
  c.lr_decay = p.get_float("lr_decay");
  c.lambda = p.get_float("lambda");
  c.noise_std = p.get_float("noise_std");
  c.outlier_fraction = p.get_float("outlier_fraction");
  c.outlier_std = p.get_float("outlier_std");
  c.optimizer = p.get_string("optimizer");
  return c;
}

std::string MatrixSensing::check(const Params& p) const {
  auto d = p.get_int("d"), r = p.get_int("r"), k = p.get_int("k");
  const auto& eig = p.get_float_list("eigenvalues");
  if (!eig.empty() && static_cast<int64_t>(eig.size()) != r)
    return "eigenvalues has " + std::to_string(eig.size()) + " values but r is " + std::to_string(r);
  if (r > d) return "r (" + std::to_string(r) + ") must be <= d (" + std::to_string(d) + ")";
  if (k > d) return "k (" + std::to_string(k) + ") must be <= d (" + std::to_string(d) + ")";
  if (p.get_string("optimizer") == "scaledgd" && p.get_float("lambda") == 0 && k > r)
    return "scaledgd with lambda = 0 needs k <= r: U^T U is singular otherwise";
  return "";
}

MatrixSensingProblem::MatrixSensingProblem(const MatrixSensingConfig& config, uint64_t seed, torch::Device device)
    : config_(config) {
  const auto d = config.d, m = config.m, D = d * (d + 1) / 2;
  // Every draw comes from this run's generator, on the CPU, so the problem is
  // the same whatever the device and whatever else runs in the process.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

  auto Q = std::get<0>(torch::linalg_qr(torch::randn({d, config.r}, gen, f64)));
  auto eig = torch::tensor(config.eigenvalues, f64);
  auto X_star = (Q * eig).mm(Q.t());

  std::vector<int64_t> upper, unpack(d * d);
  std::vector<double> w;
  for (int64_t i = 0; i < d; ++i)
    for (int64_t j = i; j < d; ++j) {
      unpack[i * d + j] = unpack[j * d + i] = static_cast<int64_t>(upper.size());
      upper.push_back(i * d + j);
      w.push_back(i == j ? 1.0 : std::sqrt(2.0));
    }
  auto i64 = torch::TensorOptions().dtype(torch::kInt64);
  upper_ = torch::tensor(upper, i64);
  unpack_ = torch::tensor(unpack, i64);
  w_ = torch::tensor(w, f64);

  auto A = torch::randn({m, D}, gen, f64);
  auto y = A.mv(X_star.view(-1).index_select(0, upper_) * w_);
  if (config.noise_std > 0) y += config.noise_std * torch::randn({m}, gen, f64);
  auto outliers = static_cast<int64_t>(std::llround(config.outlier_fraction * static_cast<double>(m)));
  if (outliers > 0) {
    auto idx = torch::randperm(m, gen, i64).slice(0, 0, outliers);
    y.index_put_({idx}, config.outlier_std * torch::randn({outliers}, gen, f64));
  }
  auto U = (config.init_scale / std::sqrt(static_cast<double>(d))) * torch::randn({d, config.k}, gen, f64);

  // The one place where the problem moves to its device.
  A_ = A.to(device);
  y_ = y.to(device);
  X_star_ = X_star.to(device);
  U_ = U.to(device);
  w_ = w_.to(device);
  upper_ = upper_.to(device);
  unpack_ = unpack_.to(device);
  x_star_norm_ = X_star.norm().item<double>();
}

// On a CPU (float64, no autograd) a step is a few plain loops and no ATen
// op: at d = 30 the ops' dispatch and A's two trips from L3 (1.1 MB at m = 300,
// past L2) were most of a step. residuals() reads A once for both products a
// step needs (residuals_and_adjoint below) and keeps the adjoint for the
// step() that is given those residuals; the buffers live from step to step.
// bench_matrix_sensing: a step at d = 30 84 -> 65 us, 1.5x at d = 100-300.
// (The ops stay for other devices and for autograd, which the tests use.)
namespace {
bool loopable(const torch::Tensor& t) { return t.is_cpu() && !t.requires_grad() && t.scalar_type() == torch::kFloat64; }

// 4 doubles, GCC/Clang's vector extension. The default (non-AVX) clone passes
// it in two SSE registers; only this file's inline helpers see that ABI.
#pragma GCC diagnostic ignored "-Wpsabi"
typedef double v4 __attribute__((vector_size(32)));
inline v4 load4(const double* p) {
  v4 out;
  std::memcpy(&out, p, sizeof out);
  return out;
}
inline void store4(double* p, v4 value) { std::memcpy(p, &value, sizeof value); }

// One pass over A (m rows of D): r_i = <A_i, x> - y_i, and v += f(r_i) A_i
// (f: identity, or sign for the l1 method), R rows at a time while they are in
// L1: R dot products are independent chains (one would wait on its adds), and
// v is loaded and stored once per R rows. The order of every sum is fixed: v
// adds the rows in order; a dot product keeps eight interleaved partial sums.
// Always inlined: so it is built with each clone's instructions below.
template <int R>
__attribute__((always_inline)) inline void rows_pass(const double* a, const double* x, const double* y, int64_t D, bool l1, double* r, double* v) {
  const double* A[R];
  for (int t = 0; t < R; ++t) A[t] = a + t * D;
  v4 lo[R] = {}, hi[R] = {};  // partial sums 0-3 and 4-7 of each row
  int64_t j = 0;
  for (; j + 8 <= D; j += 8) {
    const v4 x_lo = load4(x + j), x_hi = load4(x + j + 4);
    for (int t = 0; t < R; ++t) {
      lo[t] += load4(A[t] + j) * x_lo;
      hi[t] += load4(A[t] + j + 4) * x_hi;
    }
  }
  double c[R];
  for (int t = 0; t < R; ++t) {
    double dot = ((lo[t][0] + hi[t][0]) + (lo[t][1] + hi[t][1])) + ((lo[t][2] + hi[t][2]) + (lo[t][3] + hi[t][3]));
    for (int64_t jj = j; jj < D; ++jj) dot += A[t][jj] * x[jj];
    r[t] = dot - y[t];
    c[t] = l1 ? static_cast<double>((0 < r[t]) - (r[t] < 0)) : r[t];  // sign: as torch::sign
  }
  for (j = 0; j + 4 <= D; j += 4) {
    v4 acc = load4(v + j);
    for (int t = 0; t < R; ++t) acc += c[t] * load4(A[t] + j);
    store4(v + j, acc);
  }
  for (; j < D; ++j)
    for (int t = 0; t < R; ++t) v[j] += c[t] * A[t][j];
}

// All of A, four rows at a time. Built twice: with FMA where the CPU has it,
// as BLAS would.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void residuals_and_adjoint(const double* a, const double* x, const double* y, int64_t m, int64_t D, bool l1,
                           double* r, double* v) {
  int64_t i = 0;
  for (; i + 4 <= m; i += 4) rows_pass<4>(a + i * D, x, y + i, D, l1, r + i, v);
  for (; i < m; ++i) rows_pass<1>(a + i * D, x, y + i, D, l1, r + i, v);
}
}  // namespace

torch::Tensor MatrixSensingProblem::pack(const torch::Tensor& X) const {
  if (!loopable(X)) return X.reshape(-1).index_select(0, upper_) * w_;
  auto x = X.contiguous();
  auto out = torch::empty({w_.size(0)}, x.options());
  const double* xs = x.data_ptr<double>();
  const double* w = w_.data_ptr<double>();
  const int64_t* up = upper_.data_ptr<int64_t>();
  double* o = out.data_ptr<double>();
  for (int64_t i = 0, n = out.size(0); i < n; ++i) o[i] = xs[up[i]] * w[i];
  return out;
}

torch::Tensor MatrixSensingProblem::measure(const torch::Tensor& X) const { return A_.mv(pack(X)); }

torch::Tensor MatrixSensingProblem::adjoint(const torch::Tensor& c) const {
  auto d = config_.d;
  auto v = A_.t().mv(c);
  if (!loopable(v)) return (v / w_).index_select(0, unpack_).view({d, d});
  auto out = torch::empty({d, d}, v.options());
  unpack_adjoint(v.data_ptr<double>(), out.data_ptr<double>());
  return out;
}

void MatrixSensingProblem::unpack_adjoint(const double* v, double* out) const {
  const double* w = w_.data_ptr<double>();
  const int64_t* un = unpack_.data_ptr<int64_t>();
  for (int64_t j = 0, n = config_.d * config_.d; j < n; ++j) out[j] = v[un[j]] / w[un[j]];
}

torch::Tensor MatrixSensingProblem::preconditioned(const torch::Tensor& grad) const {
  auto P = U_.t().mm(U_) + config_.lambda * torch::eye(config_.k, U_.options());
  return torch::linalg_solve(P, grad.t(), /*left=*/true).t();  // grad P^-1, P symmetric
}

torch::Tensor MatrixSensingProblem::residuals() const {
  if (!loopable(U_) || !A_.is_cpu()) return measure(U_.mm(U_.t())) - y_;
  const int64_t d = config_.d, k = config_.k, m = config_.m, D = w_.size(0);
  auto U = U_.contiguous();
  const double* u = U.data_ptr<double>();
  const double* w = w_.data_ptr<double>();
  auto& sc = scratch_;
  sc.Ut.resize(static_cast<size_t>(k * d)), sc.x.resize(static_cast<size_t>(D)), sc.row.resize(static_cast<size_t>(d));
  sc.v.assign(static_cast<size_t>(D), 0.0), sc.G.resize(static_cast<size_t>(d * d));
  // x = w * the upper triangle of U U^T, row by row: x_ij = w_ij sum_l U_il U_jl.
  for (int64_t i = 0; i < d; ++i)
    for (int64_t l = 0; l < k; ++l) sc.Ut[static_cast<size_t>(l * d + i)] = u[i * k + l];
  for (int64_t i = 0, p = 0; i < d; ++i) {
    double* acc = sc.row.data() + i;
    const int64_t n = d - i;
    for (int64_t j = 0; j < n; ++j) acc[j] = u[i * k] * sc.Ut[static_cast<size_t>(i + j)];
    for (int64_t l = 1; l < k; ++l) {
      const double uil = u[i * k + l];
      const double* ut = sc.Ut.data() + l * d + i;
      for (int64_t j = 0; j < n; ++j) acc[j] += uil * ut[j];
    }
    for (int64_t j = 0; j < n; ++j, ++p) sc.x[static_cast<size_t>(p)] = acc[j] * w[p];
  }
  // One pass over A: the residuals, and the packed adjoint of f(residuals),
  // unpacked to d x d for the step.
  auto res = torch::empty({m}, U.options());
  residuals_and_adjoint(A_.data_ptr<double>(), sc.x.data(), y_.data_ptr<double>(), m, D,
                        config_.optimizer == "l1_subgradient", res.data_ptr<double>(), sc.v.data());
  unpack_adjoint(sc.v.data(), sc.G.data());
  sc.residuals = res;
  return res;
}

void MatrixSensingProblem::step(const torch::Tensor& res) {
  torch::NoGradGuard no_grad;
  const double m = static_cast<double>(config_.m);
  const double lr = config_.lr * std::pow(config_.lr_decay, static_cast<double>(iteration_));
  const bool l1 = config_.optimizer == "l1_subgradient";
  const bool scaledgd = config_.optimizer == "scaledgd";
  auto& sc = scratch_;
  const bool computed = sc.residuals.defined() && res.is_same(sc.residuals);  // its adjoint is in sc.G
  sc.residuals = torch::Tensor();
  if (!computed) {  // the ops: on other devices, under autograd, or given other residuals than the last computed
    auto grad = adjoint(l1 ? res.sign() : res).mm(U_) * (2.0 / m);
    U_.sub_(scaledgd ? preconditioned(grad) : grad, lr);
    ++iteration_;
    return;
  }
  // G = sum_i f(r_i) A_i (d x d, from residuals()), then grad = (G U) (2/m),
  // a row of G at a time.
  const int64_t d = config_.d, k = config_.k;
  const double* g = sc.G.data();
  U_ = U_.contiguous();
  double* u = U_.data_ptr<double>();
  sc.grad.assign(static_cast<size_t>(d * k), 0.0);
  for (int64_t i = 0; i < d; ++i) {
    double* o = sc.grad.data() + i * k;
    for (int64_t b = 0; b < d; ++b) {
      const double gib = g[i * d + b];
      const double* ub = u + b * k;
      for (int64_t l = 0; l < k; ++l) o[l] += gib * ub[l];
    }
    for (int64_t l = 0; l < k; ++l) o[l] *= 2.0 / m;
  }
  if (scaledgd) {
    U_.sub_(preconditioned(torch::from_blob(sc.grad.data(), {d, k}, U_.options())), lr);
  } else {
    for (int64_t i = 0; i < d * k; ++i) u[i] -= lr * sc.grad[static_cast<size_t>(i)];
  }
  ++iteration_;
}

// On a CPU the loss and the error are loops too (a logged row every 10 steps
// was a dozen ATen ops); each sum runs in index order.
double MatrixSensingProblem::train_loss(const torch::Tensor& res) const {
  const bool l1 = config_.optimizer == "l1_subgradient";
  if (!loopable(res) || !res.is_contiguous()) return l1 ? res.abs().mean().item<double>() : 0.5 * res.square().mean().item<double>();
  const double* r = res.data_ptr<double>();
  const int64_t n = res.numel();
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += l1 ? std::abs(r[i]) : r[i] * r[i];
  return l1 ? sum / static_cast<double>(n) : 0.5 * (sum / static_cast<double>(n));
}

double MatrixSensingProblem::rel_error() const {
  if (!loopable(U_) || !X_star_.is_cpu()) return (U_.mm(U_.t()) - X_star_).norm().item<double>() / x_star_norm_;
  const int64_t d = config_.d, k = config_.k;
  auto U = U_.contiguous();
  auto X = X_star_.contiguous();
  const double* u = U.data_ptr<double>();
  const double* xs = X.data_ptr<double>();
  double sum = 0;  // ||UU^T - X*||_F^2
  for (int64_t i = 0; i < d; ++i)
    for (int64_t j = 0; j < d; ++j) {
      double uu = 0;
      for (int64_t l = 0; l < k; ++l) uu += u[i * k + l] * u[j * k + l];
      const double diff = uu - xs[i * d + j];
      sum += diff * diff;
    }
  return std::sqrt(sum) / x_star_norm_;
}

std::vector<double> MatrixSensingProblem::top_singular_values() const {
  auto n = std::min<int64_t>(config_.k, config_.r + 1);
  auto sv = at::linalg_svdvals(U_).square().slice(0, 0, n).cpu();
  return {sv.data_ptr<double>(), sv.data_ptr<double>() + n};
}

namespace {

// One logged row (run and run_stack share it, so a member logs what it would
// have logged alone): the loss from the residuals, then the error and top
// singular values of this U, when they can be computed.
Metrics logged_row(const MatrixSensingProblem& problem, const torch::Tensor& res) {
  Metrics row{{"train_loss", problem.train_loss(res)}, {"rel_error", problem.rel_error()}};
  if (std::isfinite(row[1].second)) {  // an SVD of a non-finite U throws; the sink reports divergence
    auto sv = problem.top_singular_values();
    for (size_t i = 0; i < sv.size(); ++i) row.emplace_back("sv_" + std::to_string(i + 1), sv[i]);
  }
  return row;
}

void eigenvalue_summaries(const MatrixSensingConfig& config, MetricSink& sink) {
  for (size_t i = 0; i < config.eigenvalues.size(); ++i)
    sink.summary("eigenvalue_" + std::to_string(i + 1), config.eigenvalues[i]);
}

}  // namespace

void MatrixSensing::run(const RunContext& ctx, MetricSink& sink) const {
  auto config = MatrixSensingConfig::from(ctx.params);
  MatrixSensingProblem problem(config, ctx.seed, torch::Device(ctx.device));
  eigenvalue_summaries(config, sink);
  for (int64_t t = 0;; ++t) {
    auto res = problem.residuals();
    if (t % ctx.log_every == 0 || t == config.steps || ctx.stop) sink.log(t, logged_row(problem, res));
    if (t == config.steps || ctx.stop) break;
    problem.step(res);
  }
}

std::vector<std::vector<size_t>> MatrixSensing::stacks(const std::vector<StackCandidate>& runs, const std::string& device,
                                                       int64_t max_size) const {
  // Members share A, drawn from the seed after Q (d x r): seed, d, r, m and
  // the optimizer are the stack's; what is drawn after A and every training
  // constant are the member's.
  std::set<std::string> free{"kappa",     "eigenvalues",      "k",           "init_scale", "lr", "lr_decay",
                             "lambda",    "noise_std",        "outlier_fraction", "outlier_std", "steps"};
  const int64_t cap = max_size > 0 ? max_size : kStackSize;
  auto is_scaledgd = [](const Params& p) { return p.get_string("optimizer") == "scaledgd"; };
  auto out = stacks_of_equal_params(runs, free, cap, [&](const Params& p) { return !is_scaledgd(p); },
                                    StackSeeds::Shared);
  free.erase("k");  // (U^T U + lambda I)^-1 over zero-padded columns is not the k x k one
  for (auto& group : stacks_of_equal_params(runs, free, cap, is_scaledgd, StackSeeds::Shared))
    out.push_back(std::move(group));
  if (device == "cpu")  // below kFewestStackedOnCpu members, the runs alone are the cheaper
    out.erase(std::remove_if(out.begin(), out.end(),
                             [](const auto& group) { return static_cast<int64_t>(group.size()) < kFewestStackedOnCpu; }),
              out.end());
  return out;
}

void MatrixSensing::run_stack(const std::vector<RunContext>& ctxs, StackSinks& sinks) const {
  const auto device = torch::Device(ctxs[0].device);
  const auto& stop = ctxs[0].stop;
  std::vector<MatrixSensingProblem> problems;
  for (const auto& ctx : ctxs) problems.emplace_back(MatrixSensingConfig::from(ctx.params), ctx.seed, device);
  const auto& first = problems[0];
  const auto& c0 = first.config_;
  int64_t K = 0;
  for (size_t i = 0; i < problems.size(); ++i) {
    const auto& c = problems[i].config_;
    if (ctxs[i].seed != ctxs[0].seed || c.d != c0.d || c.r != c0.r || c.m != c0.m || c.optimizer != c0.optimizer ||
        (c.optimizer == "scaledgd" && c.k != c0.k))
      throw TaskError("matrix_sensing: the members of a stack must share seed, d, r, m and optimizer (and k for scaledgd)");
    K = std::max(K, c.k);
    eigenvalue_summaries(c, sinks.member(i));
  }
  const int64_t d = c0.d, m = c0.m;
  const auto& A = first.A_;
  const auto& w = first.w_;

  // The live members, in stack order: U [S, d, K] (zero-padded), y [S, m].
  std::vector<size_t> live;
  std::vector<torch::Tensor> Us, ys;
  for (size_t i = 0; i < problems.size(); ++i) {
    live.push_back(i);
    Us.push_back(torch::constant_pad_nd(problems[i].U_, {0, K - problems[i].config_.k}));
    ys.push_back(problems[i].y_);
  }
  auto U = torch::stack(Us), Y = torch::stack(ys);
  torch::Tensor damping;  // ScaledGD: lambda_j I per member, [S, K, K], compacted with U
  if (c0.optimizer == "scaledgd") {
    std::vector<double> lambdas;
    for (const auto& problem : problems) lambdas.push_back(problem.config_.lambda);
    damping = torch::tensor(lambdas, U.options()).view({-1, 1, 1}) * torch::eye(K, U.options());
  }
  torch::NoGradGuard no_grad;
  // Only the members at positions `keep` stay in the stack (U, y, damping,
  // and the other per-member tensors given).
  auto leave = [&](const std::vector<int64_t>& keep, std::initializer_list<torch::Tensor*> also) {
    auto idx = torch::tensor(keep, torch::TensorOptions().dtype(torch::kInt64)).to(device);
    U = U.index_select(0, idx), Y = Y.index_select(0, idx);
    if (damping.defined()) damping = damping.index_select(0, idx);
    for (auto* tensor : also) *tensor = tensor->index_select(0, idx);
    std::vector<size_t> still;
    for (auto j : keep) still.push_back(live[static_cast<size_t>(j)]);
    live = std::move(still);
  };
  for (int64_t t = 0;; ++t) {
    const auto S = static_cast<int64_t>(live.size());
    if (S == 1) {  // the last member finishes as a run alone: mat-vecs, not products that pack A every step
      auto& problem = problems[live[0]];
      problem.U_ = U[0].narrow(1, 0, problem.config_.k).contiguous();
      problem.iteration_ = t;
      for (;; ++t) {
        auto res = problem.residuals();
        const bool last = t == problem.config_.steps || stop;
        if ((t % ctxs[live[0]].log_every == 0 || last) && !sinks.log(live[0], t, logged_row(problem, res))) return;
        if (last) return;
        problem.step(res);
      }
    }
    auto X = U.bmm(U.transpose(1, 2));
    auto R = X.view({S, d * d}).index_select(1, first.upper_).mul(w).mm(A.t()).sub(Y);  // row j: A vec(X_j) - y_j
    std::vector<int64_t> keep;
    for (int64_t j = 0; j < S; ++j) {
      const size_t i = live[static_cast<size_t>(j)];
      auto& problem = problems[i];
      const bool last = t == problem.config_.steps || stop;
      if (t % ctxs[i].log_every == 0 || last) {
        // The member's own U (its k columns) and residuals, in memory of their own, for the row it logs alone.
        problem.U_ = U[j].narrow(1, 0, problem.config_.k).contiguous();
        if (!sinks.log(i, t, logged_row(problem, R[j].clone()))) continue;  // diverged: masked
      }
      if (!last) keep.push_back(j);
    }
    if (keep.empty()) break;
    if (static_cast<int64_t>(keep.size()) < S) leave(keep, {&R});  // members that ended
    auto n = static_cast<int64_t>(live.size());
    auto C = c0.optimizer == "l1_subgradient" ? R.sign() : R;
    auto G = C.mm(A).div(w).index_select(1, first.unpack_).view({n, d, d});  // row j: sum_i c_ji A_i
    auto grad = G.bmm(U) * (2.0 / static_cast<double>(m));
    if (damping.defined()) {
      auto P = U.transpose(1, 2).bmm(U) + damping, rhs = grad.transpose(1, 2);
      try {
        grad = torch::linalg_solve(P, rhs, /*left=*/true).transpose(1, 2);
      } catch (const c10::Error&) {
        // A member's U^T U + lambda I is singular (lambda = 0 and U lost
        // rank): it fails with the error it would fail with alone, and the
        // others solve on, each by itself.
        std::vector<int64_t> solvable;
        std::vector<torch::Tensor> solved;
        for (int64_t j = 0; j < n; ++j) {
          try {
            solved.push_back(torch::linalg_solve(P[j], rhs[j], /*left=*/true).t());
            solvable.push_back(j);
          } catch (const c10::Error&) {
            sinks.fail(live[static_cast<size_t>(j)], std::current_exception());
          }
        }
        if (solvable.empty()) break;
        if (static_cast<int64_t>(solvable.size()) < n) leave(solvable, {});
        grad = torch::stack(solved);
        n = static_cast<int64_t>(live.size());
      }
    }
    std::vector<double> lrs;
    for (auto i : live) {
      const auto& c = problems[i].config_;
      lrs.push_back(c.lr * std::pow(c.lr_decay, static_cast<double>(t)));
    }
    if (std::all_of(lrs.begin(), lrs.end(), [&](double lr) { return lr == lrs[0]; }))
      U.sub_(grad, lrs[0]);  // as a run alone steps
    else
      U.sub_(grad * torch::tensor(lrs, U.options()).view({n, 1, 1}));
  }
}

GENBENCH_REGISTER_TASK(MatrixSensing);

}  // namespace genbench
