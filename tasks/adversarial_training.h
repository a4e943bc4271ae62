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
// (Rice et al.'s CIFAR-10 network): tasks/models/image_classifiers.h.
// The attacks and regularisers are in tasks/attacks.h.
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
// same under ELLE-A's adaptive weight (ElleAdaptiveWeight in tasks/attacks.h, its lambda the
// largest), logged as elle_a_lambda.
//
// Metrics every log_every epochs (and the last), on fixed subsets of `n_eval`
// training and test images drawn once by seed:
// {train,test}_{clean,fgsm,pgd}_{accuracy,loss}, the attacks at the training
// epsilon, PGD with `eval_pgd_steps` steps of epsilon/4 and a random start;
// and lr. Epoch 0 is the initial network.
#pragma once

#include "tasks/task.h"
#include "tasks/training.h"

namespace genbench {

// The learning rate at a (fractional) epoch: constant, piecewise (x drop_factor
// at each epoch of `drops`) or cyclic (up to peak at mid-training, down to 0),
// times the linear warm-up over `warmup_epochs`.
struct LearningRateSchedule {
  std::string kind = "constant";
  double peak = 0;
  std::vector<double> drops;
  double drop_factor = 0.1, warmup_epochs = 0;
  int64_t epochs = 1;
  double at(double epoch) const;
};

// The task's parameters, read once.
struct AdversarialTrainingConfig {
  std::string dataset, data_dir, cifar10_dir, model, training, regularizer;
  int64_t n = 0, n_eval = 0;  // the test subset; the training one is min(n_eval, n)
  int64_t width = 0, hidden = 0;
  bool linf = true;
  double epsilon = 0, fgsm_alpha = 0, pgd_step_size = 0;
  int64_t pgd_steps = 0, eval_pgd_steps = 0;
  OptimizerConfig optimizer;
  int64_t batch_size = 0, epochs = 0;
  LearningRateSchedule schedule;
  double reg_lambda = 0, elle_a_decay = 0, elle_a_sensitivity = 0;
  static AdversarialTrainingConfig from(const Params& params);
};

class AdversarialTraining : public Task {
 public:
  std::string name() const override { return "adversarial_training"; }
  std::vector<std::pair<std::string, std::string>> units() const override {
    std::vector<std::pair<std::string, std::string>> out{{"step", "epoch"}, {"lr", "learning rate"}};
    for (const char* split : {"train", "test"})
      for (const char* attack : {"clean", "fgsm", "pgd"}) {
        out.push_back({std::string(split) + "_" + attack + "_accuracy", "fraction correct"});
        out.push_back({std::string(split) + "_" + attack + "_loss", "cross-entropy, nats"});
      }
    return out;
  }
  int64_t last_step(const Params& params) const override { return params.get_int("epochs"); }
  std::string summary() const override {
    return "FGSM / PGD adversarial training on Fashion-MNIST (CNN, BN-CNN, MLP), GradAlign, ELLE and ELLE-A";
  }
  std::vector<ParamSpec> params() const override;
  std::string check(const Params& params) const override;
  void run(const RunContext& ctx, MetricSink& sink) const override;
};

}  // namespace genbench
