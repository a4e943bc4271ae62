// Grokking on modular arithmetic: a network memorizes a fraction of the table
// of a ∘ b mod p long before it generalizes to the rest (Power et al. 2022).
//
// Data: all pairs (a, b) in [0, p)^2 (b != 0 for division) labelled by the
// operation mod p; `train_fraction` of them, drawn by seed, train; the rest
// is the test set.
// Models: mlp (one-hot a and b, `depth` x `width`) or transformer (decoder-only
// over `a ∘ b =`), both in tasks/models/modular_nets.h.
// Every weight starts at U(-1/sqrt(fan_in), 1/sqrt(fan_in)) x init_scale
// (embeddings: N(0, 1) x init_scale), drawn from the run's generator.
// Training: full batch or minibatches reshuffled per epoch; AdamW or SGD with
// linear warm-up; cross-entropy through softmax or StableMax, or MSE on
// one-hot targets; float32 or float64. Gradient transforms, in this order:
// Grokfast (EMA or moving average of past gradients, amplified by lambda and
// added), then ⊥Grad (the component along the weights removed per tensor and
// the norm restored; both in tasks/gradient_filters.h), so a ⊥ update stays orthogonal to the weights.
//
// Metrics every log_every epochs: train/test loss and accuracy, the total
// weight norm, and softmax_collapse: the fraction of training samples whose
// softmax output is exactly one-hot in the run's float type (its largest
// probability rounds to 1), which zeroes their gradient. Summaries: parameters,
// train_size, test_size, stopped_early_at (when stop_test_accuracy ended it).
#pragma once

#include "tasks/task.h"
#include "tasks/training.h"

namespace genbench {

// The whole table of a ∘ b mod p, one row per pair (a, b) in row-major
// order; division skips b = 0.
struct ModularTable {
  std::vector<int64_t> a, b, y;
};
ModularTable modular_table(int64_t p, const std::string& op);

// The task's parameters, read once. The prime is `modulus` here: `p` is only
// the parameter's name (and, in tasks, the usual name of the Params).
struct ModularArithmeticConfig {
  int64_t modulus = 0;
  std::string op, model, loss, grokfast;
  double train_fraction = 0, init_scale = 1;
  int64_t depth = 0, width = 0;              // mlp
  bool quadratic = false, bias = false;      // mlp
  int64_t layers = 0, d_model = 0, heads = 0, mlp_width = 0;  // transformer
  bool layernorm = true;                     // transformer
  OptimizerConfig optimizer;
  int64_t warmup_steps = 0, epochs = 0, batch_size = 0;
  bool float64 = true;
  double grokfast_alpha = 0, grokfast_lambda = 0;
  int64_t grokfast_window = 0;
  bool orthogonal_grad = false;
  double stop_test_accuracy = 0;
  static ModularArithmeticConfig from(const Params& params);
};

class ModularArithmetic : public Task {
 public:
  std::string name() const override { return "modular_arithmetic"; }
  std::vector<std::pair<std::string, std::string>> units() const override {
    return {{"step", "epoch (full batch)"}, {"train_accuracy", "fraction correct"}, {"test_accuracy", "fraction correct"}, {"train_loss", "per example"}, {"test_loss", "per example"}, {"weight_norm", "L2 norm of all parameters"}};
  }
  int64_t last_step(const Params& params) const override { return params.get_int("epochs"); }
  std::vector<std::string> summaries() const override { return {"train_size", "test_size", "parameters", "stopped_early_at"}; }
  std::string summary() const override {
    return "MLP or transformer on a ∘ b mod p: memorization, then grokking (AdamW, Grokfast, StableMax, ⊥Grad)";
  }
  std::vector<ParamSpec> params() const override;
  std::string check(const Params& params) const override;
  void run(const RunContext& ctx, MetricSink& sink) const override;
  // Stacks: the relu MLP without biases, trained on cross-entropy without
  // ⊥Grad, of runs equal but for seed and init_scale, on a GPU only. On a CPU
  // a stack costs more per member than its runs one after another
  // (bench_grokking, BM_GrokkingGradientStacked: 33 ms a member alone, 45 in
  // a stack of 4, at the ci width): the products are already near their floor.
  std::vector<std::vector<size_t>> stacks(const std::vector<StackCandidate>& runs, const std::string& device,
                                          int64_t max_size) const override;
  void run_stack(const std::vector<RunContext>& members, StackSinks& sinks) const override;
};

}  // namespace genbench
