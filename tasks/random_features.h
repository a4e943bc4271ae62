// Random-features regression on Fashion-MNIST (real data, Debian's package):
// n training images chosen by seed (optionally a fraction of their labels
// replaced by another class), pixels scaled to [0, 1] and centred by the
// training mean, ReLU random features phi(x) = max(0, x W) with
// W ~ N(0, 1/784) of width N, and min-norm least squares (ridge when
// ridge > 0) on one-hot targets. The solve takes the cheaper of the N x N
// and n x n forms (the SVD-based pseudo-inverse does so by itself).
//
// Logs one row (step 0): train/test error (argmax against the labels; train
// against the possibly noisy ones) and train/test loss (squared error to the
// one-hot targets, summed over classes, averaged over images).
// Summaries: N_over_n.
#pragma once

#include "tasks/task.h"

namespace genbench {

class RandomFeatures : public Task {
 public:
  std::string name() const override { return "random_features"; }
  std::vector<std::pair<std::string, std::string>> units() const override {
    return {{"step", "fit"}, {"train_error", "fraction misclassified"}, {"test_error", "fraction misclassified"}, {"train_loss", "squared error, summed over classes"}, {"test_loss", "squared error, summed over classes"}};
  }
  int64_t last_step(const Params& /*params*/) const override { return 0; }
  std::vector<std::string> summaries() const override { return {"N_over_n"}; }
  std::string summary() const override {
    return "ReLU random-features least squares on Fashion-MNIST (model-wise double descent in N)";
  }
  std::vector<ParamSpec> params() const override;
  void run(const RunContext& ctx, MetricSink& sink) const override;
};

}  // namespace genbench
