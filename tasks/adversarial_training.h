// Adversarial training on Fashion-MNIST or CIFAR-10: robust overfitting (Rice et al.
// 2020) and the catastrophic overfitting of fast FGSM training (Wong et al.
// 2020) with its cures, GradAlign (Andriushchenko & Flammarion 2020) and
// ELLE (Abad Rocamora et al. 2024).
//
// Data: real Fashion-MNIST (the shared loader) or CIFAR-10 (the binary
// batches in `cifar10_dir`, tasks/cifar10.h), n training images drawn by
// seed, pixels in [0, 1] (not centred: the attacks clamp to the image box).
// Models: cnn (Wong et al.'s MNIST net: conv 16 4x4 stride 2, conv 32 4x4
// stride 2, fc 100, fc 10; `width` sets the 16), cnn_bn (the same with
// BatchNorm after each conv), mlp (pixels-hidden-hidden-10), preact_resnet18
// (Rice et al.'s CIFAR-10 network, tasks/preact_resnet.h).
// Training, per minibatch: clean; fgsm (random start in the epsilon-ball, one
// signed-gradient step of `fgsm_alpha`, projected); pgd (random start,
// `pgd_steps` steps of `pgd_step_size`, projected); the l-inf or l2 ball of
// radius epsilon. SGD with momentum or Adam, weight decay; learning rate
// constant, piecewise (x lr_drop_factor at each epoch in lr_drops) or cyclic
// (linear up to lr at the middle, down to 0), after `warmup_epochs` of linear
// warm-up; all per minibatch.
// Regularisers added to the training loss: gradalign, lambda (1 - cos(grad_x
// l(x), grad_x l(x + eta))), eta uniform in the l-inf ball, differentiated
// through the second gradient only (as the authors' code does); elle, lambda
// (l(x_c) - (1 - a) l(x_a) - a l(x_b))^2, x_a, x_b uniform in the ball, a ~
// U[0, 1], x_c = (1 - a) x_a + a x_b (the loss's local linearity); elle_a, the
// same under ELLE-A's adaptive weight (ElleAdaptiveWeight below, its lambda the
// largest), logged as elle_a_lambda.
//
// Metrics every log_every epochs (and the last), on fixed subsets of `n_eval`
// training and test images drawn once by seed:
// {train,test}_{clean,fgsm,pgd}_{accuracy,loss}, the attacks at the training
// epsilon, PGD with `eval_pgd_steps` steps of epsilon/4 and a random start;
// and lr. Epoch 0 is the initial network.
#pragma once

#include "tasks/task.h"

namespace genbench {

class AdversarialTraining : public Task {
 public:
  std::string name() const override { return "adversarial_training"; }
  std::string summary() const override {
    return "FGSM / PGD adversarial training on Fashion-MNIST (CNN, BN-CNN, MLP), GradAlign, ELLE and ELLE-A";
  }
  std::vector<ParamSpec> params() const override;
  std::string check(const Params& params) const override;
  void run(const RunContext& ctx, MetricSink& sink) const override;
};

// ELLE-A's weight (Abad Rocamora et al. 2024, as in the authors' code): 0 at
// first; after a minibatch whose linearity error is more than `sensitivity`
// standard deviations above the mean of all earlier ones (from the fourth on),
// the full lambda; otherwise the weight shrinks by `decay` per minibatch.
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
