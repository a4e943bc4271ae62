// Grokking on modular arithmetic: a network memorizes a fraction of the table
// of a ∘ b mod p long before it generalizes to the rest (Power et al. 2022).
//
// Data: all pairs (a, b) in [0, p)^2 (b != 0 for division) labelled by the
// operation mod p; `train_fraction` of them, drawn by seed, train; the rest
// is the test set.
// Models:
//   mlp          one-hot a and one-hot b concatenated (2p inputs), `depth`
//                hidden layers of `width` (relu or quadratic), p outputs. The
//                first layer is computed as a lookup of its two weight columns,
//                which is the one-hot product exactly, without the 2p-wide matmul.
//   transformer  decoder-only over the tokens `a ∘ b =` (vocabulary p + 2,
//                learned positions), `layers` pre-norm blocks (optional
//                LayerNorm) of causal attention with `heads` heads and a ReLU
//                MLP of `mlp_width`; the answer is read at the `=` position.
// Every weight starts at U(-1/sqrt(fan_in), 1/sqrt(fan_in)) x init_scale
// (embeddings: N(0, 1) x init_scale), drawn from the run's generator.
// Training: full batch or minibatches reshuffled per epoch; AdamW or SGD with
// linear warm-up; cross-entropy through softmax or StableMax, or MSE on
// one-hot targets; float32 or float64. Gradient transforms, in this order:
// Grokfast (EMA or moving average of past gradients, amplified by lambda and
// added), then ⊥Grad (the component along the weights removed per tensor and
// the norm restored), so a ⊥ update stays orthogonal to the weights.
//
// Metrics every log_every epochs: train/test loss and accuracy, the total
// weight norm, and softmax_collapse: the fraction of training samples whose
// softmax output is exactly one-hot in the run's float type (its largest
// probability rounds to 1), which zeroes their gradient. Summaries: parameters,
// train_size, test_size, stopped_early_at (when stop_test_accuracy ended it).
#pragma once

#include "tasks/task.h"

namespace genbench {

// The whole table of a ∘ b mod p, one row per pair (a, b) in row-major
// order; division skips b = 0.
struct ModularTable {
  std::vector<int64_t> a, b, y;
};
ModularTable modular_table(int64_t p, const std::string& op);

class ModularArithmetic : public Task {
 public:
  std::string name() const override { return "modular_arithmetic"; }
  std::string summary() const override {
    return "MLP or transformer on a ∘ b mod p: memorization, then grokking (AdamW, Grokfast, StableMax, ⊥Grad)";
  }
  std::vector<ParamSpec> params() const override;
  std::string check(const Params& params) const override;
  void run(const RunContext& ctx, MetricSink& sink) const override;
};

}  // namespace genbench
