// The threat model, the attacks and the robustness regularisers of adversarial
// training, for any classifier of images in [0, 1] (N x C x H x W). Every
// random draw comes from the caller's generator, so a run stays reproducible.
//
// FGSM from a random start (Wong et al. 2020) is attack(.., steps 1, size alpha,
// random start); PGD (Madry et al. 2018) is attack(.., steps k, size s, random
// start); the evaluation's FGSM is one step of epsilon without a start.
#pragma once

#include <torch/torch.h>

namespace genbench {

// An l-inf or l2 ball of radius eps around x, inside the image box [0, 1].
struct Ball {
  bool linf = true;
  double eps = 0;

  torch::Tensor per_sample_norm(const torch::Tensor& v) const;
  torch::Tensor project(const torch::Tensor& delta) const;
  // A uniform draw in the l-inf ball; in the l2 ball a uniform direction at a radius U[0, eps].
  torch::Tensor random(const torch::Tensor& like, at::Generator& gen) const;
  // The steepest-ascent step of this norm: sign(grad) for l-inf, grad / |grad| for l2.
  torch::Tensor step(const torch::Tensor& grad, double size) const;
};

// d/dx of the summed cross-entropy at x; with create_graph, x must already
// require grad and the result can be differentiated again.
torch::Tensor input_gradient(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y,
                             bool create_graph = false);

// `steps` steps of `size` from x (or from a random point of the ball), each
// projected onto the ball and the image box. Returns the detached inputs.
torch::Tensor attack(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y, const Ball& ball,
                     int64_t steps, double size, bool random_start, at::Generator& gen);

// GradAlign (Andriushchenko & Flammarion 2020): mean over the batch of
// 1 - cos(grad_x l(x), grad_x l(x + eta)), eta uniform in the l-inf ball. As in
// the authors' code only the gradient at the random point is differentiated:
// one double backward instead of two.
torch::Tensor gradalign_penalty(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y,
                                const Ball& ball, at::Generator& gen);

// ELLE's local-linearity error (Abad Rocamora et al. 2024): the batch mean of
// (l(x_c) - (1 - a) l(x_a) - a l(x_b))^2, x_a, x_b uniform in the ball,
// a ~ U[0, 1], x_c = (1 - a) x_a + a x_b.
torch::Tensor elle_error(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y,
                         const Ball& ball, at::Generator& gen);

// ELLE-A's weight (as in the authors' code): 0 at first; after a minibatch
// whose linearity error is more than `sensitivity` standard deviations above
// the mean of all earlier ones (from the fourth on), the full lambda;
// otherwise the weight shrinks by `decay` per minibatch.
class ElleAdaptiveWeight {
 public:
  ElleAdaptiveWeight(double lambda, double decay, double sensitivity)
      : lambda_(lambda), decay_(decay), sensitivity_(sensitivity) {}

  // The weight for the next minibatch's loss.
  double value() const { return weight_; }
  // This minibatch's error: updates the weight, then the history.
  void observe(double error);

 private:
  double lambda_, decay_, sensitivity_;
  double weight_ = 0, mean_ = 0, squares_ = 0;
  int64_t count_ = 0;
};

}  // namespace genbench
