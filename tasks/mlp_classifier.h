// An MLP classifier on Fashion-MNIST trained long enough to interpolate
// noisy labels: the model-wise (sweep the width k) and epoch-wise double
// descent of Nakkiran et al., read off one sweep.
//
// Data from fashion_mnist_split (seeded subsets, label noise, pooling,
// centring), float32. Model: `layers` hidden ReLU layers of width k, then a
// linear map to 10 classes; weights and biases start at U(-1/sqrt(fan_in),
// 1/sqrt(fan_in)) drawn from the run's generator. Training: cross-entropy,
// Adam or SGD (momentum), minibatches reshuffled every epoch.
//
// Metrics every log_every epochs (and at epoch 0 and the last): train loss
// and error against the (noisy) training labels, train error against the
// clean labels, test loss and error. Summaries: parameters.
#pragma once

#include "tasks/task.h"

namespace genbench {

class MlpClassifier : public Task {
 public:
  // On a CPU, stacks of the ci tier's 3 seeds pay up to this width. Measured
  // with the hand-written step (bench_mlp_step): a stack of 3 steps in 1.30x
  // less CPU than 3 runs alone at k = 8 and 1.14x at 32, 1.05-1.07x at 48-64
  // (which the whole run does not show: 4.6 s either way for the ci tier's
  // k = 48 and 64 at 100 epochs), and 0.74x at 128.
  static constexpr int64_t kWidestStackedOnCpu = 32;
  std::string name() const override { return "mlp_classifier"; }
  std::vector<std::pair<std::string, std::string>> units() const override {
    return {{"step", "epoch"}, {"train_error", "fraction misclassified"}, {"train_error_clean", "fraction misclassified, clean labels"}, {"test_error", "fraction misclassified"}, {"train_loss", "cross-entropy, nats"}, {"test_loss", "cross-entropy, nats"}};
  }
  int64_t last_step(const Params& params) const override { return params.get_int("epochs"); }
  std::vector<std::string> summaries() const override { return {"parameters"}; }
  std::string summary() const override {
    return "MLP on Fashion-MNIST with label noise, trained to interpolation (model- and epoch-wise double descent)";
  }
  std::vector<ParamSpec> params() const override;
  void run(const RunContext& ctx, MetricSink& sink) const override;
  std::vector<std::vector<size_t>> stacks(const std::vector<StackCandidate>& runs, const std::string& device,
                                          int64_t max_size) const override;
  void run_stack(const std::vector<RunContext>& members, StackSinks& sinks) const override;
};

}  // namespace genbench
