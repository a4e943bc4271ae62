// Benign overfitting and grokking of a two-layer ReLU network on XOR cluster
// data with flipped labels (Xu, Wang, Frei, Vardi, Hu, ICLR 2024).
//
// Data: four clusters at +-mu_1 and +-mu_2 (orthogonal, |mu_k| = mu_norm),
// x = mu_c + xi with xi ~ N(0, I_d), c uniform; label +1 for +-mu_1, -1 for
// +-mu_2: no linear classifier beats chance. A `label_noise` fraction of the n
// training labels (exactly round(eta n), drawn by seed) is flipped; the test
// set's labels are clean, so the best test accuracy is ~1 at these norms.
//
// Model: f(x) = sum_j a_j relu(w_j . x), m = `width` neurons, a_j = +1/sqrt(m)
// for the first half and -1/sqrt(m) for the rest, fixed; the w_j start at
// N(0, init_scale^2 I) and are trained by full-batch gradient descent on the
// logistic loss log(1 + exp(-y f(x))), float64.
//
// Metrics at steps 0 to 10 and then every log_every steps: train_accuracy (on the labels trained on,
// flipped included), train_accuracy_flipped (the flipped samples, fit to
// their flipped label), train_accuracy_clean (the others), test_accuracy,
// train_loss, and feature_alignment = (|W mu_1|^2 + |W mu_2|^2) / (mu_norm^2
// |W|_F^2): the share of the weights' energy in the cluster directions, which
// grows as the network learns the features that generalize.
#pragma once

#include "tasks/task.h"

namespace genbench {

class XorCluster : public Task {
 public:
  std::string name() const override { return "xor_cluster"; }
  std::vector<std::pair<std::string, std::string>> units() const override {
    return {{"step", "GD step"}, {"train_accuracy", "fraction correct"}, {"train_accuracy_clean", "fraction correct"}, {"train_accuracy_flipped", "fraction fitting the flipped label"}, {"test_accuracy", "fraction correct, clean labels"}, {"train_loss", "logistic loss"}, {"feature_alignment", "fraction of first-layer energy on the cluster means"}};
  }
  int64_t last_step(const Params& params) const override { return params.get_int("steps"); }
  std::string summary() const override {
    return "two-layer ReLU net, GD on XOR cluster data with flipped labels: fit, then grok";
  }
  std::vector<ParamSpec> params() const override;
  void run(const RunContext& ctx, MetricSink& sink) const override;
};

}  // namespace genbench
