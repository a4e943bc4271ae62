// Symmetric low-rank matrix sensing, in float64.
//
// Ground truth X* = Q diag(eigenvalues) Q^T (d x d, rank r, Q orthonormal);
// m measurements A_i = (G + G^T)/2 with Gaussian G, y_i = <A_i, X*> plus
// optional Gaussian noise and a fraction of gross outliers (y_i replaced by
// N(0, outlier_std^2)). The factor U (d x k) starts at (init_scale/sqrt(d)) N(0, 1)
// and is trained by one of:
//   gd             U <- U - lr grad f(U),  f(U) = (1/2m) sum (<A_i, UU^T> - y_i)^2
//   scaledgd       U <- U - lr grad f(U) (U^T U + lambda I)^-1          (ScaledGD(lambda))
//   l1_subgradient U <- U - lr_t g,  g a subgradient of (1/m) sum |<A_i, UU^T> - y_i|
// with lr_t = lr * lr_decay^t for every optimizer (geometric decay; 1 = constant).
//
// Why "packed": A_i is symmetric, so only its upper triangle is drawn and
// stored, scaled by sqrt(2) off the diagonal. Then <A_i, X> is a plain dot
// product of packed vectors, each packed A_i is exactly N(0, I) in
// R^{d(d+1)/2}, and memory and flops are halved against storing d x d.
//
// Metrics every log_every steps: train_loss (the optimised objective),
// rel_error = ||UU^T - X*||_F / ||X*||_F, and sv_1..sv_n, the top singular
// values of UU^T (n = min(k, r + 1)). Summaries: eigenvalue_1..eigenvalue_r.
//
// Stacked runs (bench-run --stack): runs with the same seed, d, r and m draw
// the same A (it is drawn right after Q), so they can share it: the stack's
// two mat-vecs per member become two matrix products over all members, which
// read A once a step. Everything drawn after A (noise, outliers, U) and every
// training constant (k, init, lr, lambda, steps...) stays per member; a k
// below the stack's widest is zero-padded (zero columns of U stay zero under
// gd and the l1 method), ScaledGD members share their k. On a CPU a stack
// pays only from kFewestStackedOnCpu members (below, measured).
#pragma once

#include <torch/torch.h>

#include "tasks/task.h"

namespace genbench {

struct MatrixSensingConfig {
  int64_t d, r, m, k, steps;
  std::vector<double> eigenvalues;  // resolved: explicit, or geometric from 1 to 1/kappa
  double init_scale, lr, lr_decay, lambda, noise_std, outlier_fraction, outlier_std;
  std::string optimizer;
  static MatrixSensingConfig from(const Params& params);
};

// The problem and its iterate, usable without the harness (benchmarks, tests).
class MatrixSensingProblem {
 public:
  MatrixSensingProblem(const MatrixSensingConfig& config, uint64_t seed, torch::Device device);

  // Residuals <A_i, UU^T> - y_i at the current U.
  torch::Tensor residuals() const;
  // One optimizer step from the given residuals (as returned above).
  void step(const torch::Tensor& residuals);
  void step() { step(residuals()); }

  double train_loss(const torch::Tensor& residuals) const;
  double rel_error() const;
  std::vector<double> top_singular_values() const;  // of UU^T, n = min(k, r + 1)

  const torch::Tensor& U() const { return U_; }
  const torch::Tensor& X_star() const { return X_star_; }
  int64_t iteration() const { return iteration_; }
  // The symmetric matrix sum_i c_i A_i, for gradient checks.
  torch::Tensor adjoint(const torch::Tensor& c) const;
  torch::Tensor measure(const torch::Tensor& X) const;  // <A_i, X> for all i

 private:
  torch::Tensor pack(const torch::Tensor& X) const;  // w * X's upper triangle, as A_ reads it
  void unpack_adjoint(const double* v, double* out) const;  // d x d from A^T c (packed), on a CPU
  torch::Tensor preconditioned(const torch::Tensor& grad) const;  // ScaledGD's grad (U^T U + lambda I)^-1

 private:
  friend class MatrixSensing;  // run_stack trains several problems' iterates as one
  MatrixSensingConfig config_;
  torch::Tensor A_;          // m x D packed measurements, D = d(d+1)/2
  torch::Tensor y_;          // m
  torch::Tensor X_star_;     // d x d
  torch::Tensor w_;          // D: 1 on the diagonal, sqrt(2) off it
  torch::Tensor upper_;      // D: flat indices of the upper triangle of a d x d matrix
  torch::Tensor unpack_;     // d*d: packed index of (min(i,j), max(i,j))
  torch::Tensor U_;
  double x_star_norm_ = 1;
  // A CPU step's buffers, reused from step to step. residuals() leaves the
  // adjoint step() needs in G (from the same pass over A); step() uses it
  // when given those very residuals.
  struct Scratch {
    std::vector<double> Ut, x, row, v, G, grad;
    torch::Tensor residuals;
  };
  mutable Scratch scratch_;
  int64_t iteration_ = 0;
};

class MatrixSensing : public Task {
 public:
  static constexpr int64_t kStackSize = 32;  // members of a stack at most, unless --stack says
  // On a CPU a stack's products pack A for every product, which costs about
  // what the runs' own mat-vecs save: bench_matrix_sensing (process CPU per
  // member-step against the runs alone, whose step reads A once) measures
  // 0.5x at 2 members, 0.8-0.9x at 4-6, 1.04-1.1x at 12 and 1.13-1.25x at 32
  // (k = 2 and 30), so only 12 or more are stacked.
  static constexpr int64_t kFewestStackedOnCpu = 12;
  std::string name() const override { return "matrix_sensing"; }
  std::vector<std::pair<std::string, std::string>> units() const override {
    return {{"step", "iteration"}, {"rel_error", "||UU^T - X*||_F / ||X*||_F"}, {"train_loss", "mean of r^2 / 2 (l1: of |r|) over measurements"}, {"sv_1", "1st eigenvalue of UU^T"}, {"sv_2", "2nd eigenvalue of UU^T"}, {"sv_3", "3rd eigenvalue of UU^T"}};
  }
  int64_t last_step(const Params& params) const override { return params.get_int("steps"); }
  std::vector<std::string> summaries() const override { return {"eigenvalue_*"}; }
  std::string summary() const override {
    return "symmetric low-rank matrix sensing (GD, ScaledGD(lambda), l1 subgradient), float64";
  }
  std::vector<ParamSpec> params() const override;
  std::string check(const Params& params) const override;
  void run(const RunContext& ctx, MetricSink& sink) const override;
  std::vector<std::vector<size_t>> stacks(const std::vector<StackCandidate>& runs, const std::string& device,
                                          int64_t max_size) const override;
  void run_stack(const std::vector<RunContext>& members, StackSinks& sinks) const override;
};

}  // namespace genbench
