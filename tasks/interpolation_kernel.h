// Ridgeless kernel regression on noisy labels: is fitting the noise benign,
// tempered or catastrophic (Mallinar et al. 2022)? A run does `trials`
// independent draws (step t of the trajectory is trial t) at one label-noise
// level; a suite sweeps the level and reads the slope of the test error
// against it.
//
// Data, binary labels +-1:
//   sphere          x uniform on the unit sphere S^(d-1), y = sign(x_1)
//   fashion_mnist   real Fashion-MNIST images (the shared loader: seeded
//                   subsets, pooled by `pool`, centred), each scaled to unit
//                   norm; y = +1 for classes 0-4 (T-shirt, trouser, pullover,
//                   dress, coat), -1 for 5-9 (sandal, shirt, sneaker, bag, boot)
// A `label_noise` fraction of the n training labels (exactly round(rho n),
// drawn by seed) is flipped; the test labels stay clean.
//
// Kernels with bandwidth L: laplace exp(-|x - x'| / L), gaussian
// exp(-|x - x'|^2 / (2 L^2)). The estimator is f(x) = k(x, X) alpha with
// alpha = K^+ y, the min-norm interpolant, computed from the eigenvectors of
// K with eigenvalues below n * eps * lambda_max (float64) dropped, as a
// pseudo-inverse does: an ill-conditioned Gaussian K is solved as far as
// float64 resolves it. With `ridge` > 0: (K + ridge n I) alpha = y.
//
// Per trial: train_mse and train_error against the noisy labels (0 for an
// interpolant), test_mse and test_error (sign) against clean test labels.
// Summaries: noise_variance = 4 rho (1 - rho), the variance of a +-1 label
// flipped with probability rho about its mean, the x-axis of the slope.
#pragma once

#include <torch/torch.h>

#include "tasks/task.h"

namespace genbench {

// The kernel matrix k(A, B) for rows of A and B (float64).
torch::Tensor kernel_matrix(const torch::Tensor& A, const torch::Tensor& B, const std::string& kernel,
                            double bandwidth);
// alpha = K^+ y for a symmetric positive semi-definite K (ridge 0), or
// (K + ridge n I)^-1 y; y may have several columns.
torch::Tensor kernel_coefficients(const torch::Tensor& K, const torch::Tensor& y, double ridge);

class InterpolationKernel : public Task {
 public:
  std::string name() const override { return "interpolation_kernel"; }
  std::vector<std::pair<std::string, std::string>> units() const override {
    return {{"step", "draw"}, {"train_mse", "squared error"}, {"test_mse", "squared error vs clean labels"}, {"train_error", "fraction of signs wrong"}, {"test_error", "fraction of signs wrong"}};
  }
  int64_t last_step(const Params& params) const override { return params.get_int("trials") - 1; }
  std::vector<std::string> summaries() const override { return {"noise_variance"}; }
  std::string summary() const override {
    return "ridgeless Laplace / Gaussian kernel regression on flipped labels (sphere or Fashion-MNIST)";
  }
  std::vector<ParamSpec> params() const override;
  void run(const RunContext& ctx, MetricSink& sink) const override;
};

}  // namespace genbench
