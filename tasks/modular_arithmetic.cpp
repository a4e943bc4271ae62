#include "tasks/modular_arithmetic.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <limits>

#include "tasks/training.h"

namespace genbench {

std::vector<ParamSpec> ModularArithmetic::params() const {
  return {
      int_param("p", 113, "the prime modulus", 2, 2000),
      choice_param("op", "add", {"add", "sub", "mul", "div", "quadratic"},
                   "a + b, a - b, a * b, a / b (b != 0), or quadratic: a^2 + a b + b^2, all mod p"),
      float_param("train_fraction", 0.4, "fraction of all pairs that train, drawn by seed", 0, 1),
      choice_param("model", "mlp", {"mlp", "transformer"}, "MLP on one-hot a, b or a decoder-only transformer"),
      int_param("depth", 2, "mlp: hidden layers", 1, 16),
      int_param("width", 200, "mlp: width of each hidden layer", 1),
      choice_param("activation", "relu", {"relu", "quadratic"}, "mlp: hidden activation"),
      bool_param("bias", false, "mlp: biases in every layer"),
      float_param("init_scale", 1.0, "every initial weight multiplied by this", 0),
      int_param("layers", 2, "transformer: blocks", 1, 16),
      int_param("d_model", 128, "transformer: residual width", 1),
      int_param("heads", 4, "transformer: attention heads (divide d_model)", 1),
      int_param("mlp_width", 512, "transformer: hidden width of each block's MLP", 1),
      bool_param("layernorm", true, "transformer: LayerNorm before attention, MLP and unembedding"),
      choice_param("optimizer", "adamw", {"adamw", "sgd"}, "AdamW (decoupled weight decay) or SGD"),
      float_param("lr", 1e-3, "learning rate", 0),
      float_param("beta1", 0.9, "AdamW beta1", 0, 1),
      float_param("beta2", 0.99, "AdamW beta2", 0, 1),
      float_param("eps", 1e-8, "AdamW epsilon", 0),
      float_param("weight_decay", 1.0, "AdamW: decoupled decay; SGD: L2 penalty", 0),
      float_param("momentum", 0.0, "SGD momentum", 0, 1),
      int_param("warmup_steps", 0, "optimizer steps of linear learning-rate warm-up from 0", 0),
      int_param("epochs", 6000, "passes over the training set (full batch: optimizer steps)", 0),
      int_param("batch_size", 0, "minibatch size (0: the whole training set)", 0),
      choice_param("dtype", "float64", {"float32", "float64"}, "parameters, activations and loss"),
      choice_param("loss", "cross_entropy", {"cross_entropy", "stablemax", "mse"},
                   "cross-entropy through softmax or StableMax, or squared error to one-hot targets"),
      choice_param("grokfast", "none", {"none", "ema", "ma"},
                   "Grokfast gradient filter: EMA (alpha) or moving average (window), amplified by lambda"),
      float_param("grokfast_alpha", 0.98, "Grokfast-EMA: weight of the past", 0, 1),
      float_param("grokfast_lambda", 2.0, "Grokfast: amplification of the filtered gradient", 0),
      int_param("grokfast_window", 100, "Grokfast-MA: gradients averaged", 1),
      bool_param("orthogonal_grad", false, "⊥Grad: remove each gradient's component along its weights"),
      float_param("stop_test_accuracy", 0.0, "end the run at the first logged epoch with test accuracy >= this (0: never)",
                  0, 1),
  };
}

namespace {

bool is_prime(int64_t p) {
  if (p < 2) return false;
  for (int64_t d = 2; d * d <= p; ++d)
    if (p % d == 0) return false;
  return true;
}

int64_t power_mod(int64_t base, int64_t exp, int64_t mod) {
  int64_t result = 1;
  base %= mod;
  for (; exp; exp >>= 1, base = base * base % mod)
    if (exp & 1) result = result * base % mod;
  return result;
}

}  // namespace

std::string ModularArithmetic::check(const Params& p) const {
  if (!is_prime(p.get_int("p"))) return "p must be prime, found " + std::to_string(p.get_int("p"));
  if (p.get_string("model") == "transformer" && p.get_int("d_model") % p.get_int("heads") != 0)
    return "heads must divide d_model, found d_model " + std::to_string(p.get_int("d_model")) + " and heads " +
           std::to_string(p.get_int("heads"));
  return "";
}

ModularTable modular_table(int64_t p, const std::string& op) {
  ModularTable t;
  for (int64_t i = 0; i < p; ++i)
    for (int64_t j = 0; j < p; ++j) {
      int64_t label;
      if (op == "add") label = (i + j) % p;
      else if (op == "sub") label = ((i - j) % p + p) % p;
      else if (op == "mul") label = i * j % p;
      else if (op == "div") {
        if (j == 0) continue;
        label = i * power_mod(j, p - 2, p) % p;  // Fermat: j^(p-2) is j's inverse
      } else label = (i * i + i * j + j * j) % p;
      t.a.push_back(i), t.b.push_back(j), t.y.push_back(label);
    }
  return t;
}

namespace {

// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for Linear weights and biases (PyTorch's
// default bound), N(0, 1) for embeddings, LayerNorm left at (1, 0); all but
// LayerNorm scaled by `scale`. Drawn from the run's generator.
void init_parameters(torch::nn::Module& net, double scale, at::Generator& gen) {
  torch::NoGradGuard no_grad;
  auto named = net.named_parameters();
  for (auto& item : named) {
    const auto& key = item.key();
    auto& w = item.value();
    if (key.find("ln") != std::string::npos) continue;
    torch::Tensor draw;
    if (key.find("_embed.") != std::string::npos) {  // token_embed, position_embed; not unembed
      draw = torch::randn(w.sizes(), gen, torch::kFloat64);
    } else {
      auto weight = key.find("weight") != std::string::npos ? w : named[key.substr(0, key.rfind('.')) + ".weight"];
      double bound = 1.0 / std::sqrt(static_cast<double>(weight.size(1)));
      draw = (torch::rand(w.sizes(), gen, torch::kFloat64) * 2 - 1) * bound;
    }
    w.copy_(draw * scale);
  }
}

struct MlpImpl : torch::nn::Module {
  int64_t p;
  bool quadratic;
  std::vector<torch::nn::Linear> hidden;
  torch::nn::Linear out{nullptr};
  MlpImpl(int64_t p, int64_t depth, int64_t width, bool bias, bool quadratic) : p(p), quadratic(quadratic) {
    for (int64_t i = 0; i < depth; ++i)
      hidden.push_back(register_module("hidden" + std::to_string(i),
                                       torch::nn::Linear(torch::nn::LinearOptions(i ? width : 2 * p, width).bias(bias))));
    out = register_module("out", torch::nn::Linear(torch::nn::LinearOptions(width, p).bias(bias)));
  }
  torch::Tensor act(const torch::Tensor& x) const { return quadratic ? x * x : torch::relu(x); }
  torch::Tensor forward(const torch::Tensor& a, const torch::Tensor& b) {
    // [onehot(a), onehot(b)] W^T is the sum of two columns of W.
    auto columns = hidden[0]->weight.t();
    auto x = columns.index_select(0, a) + columns.index_select(0, b + p);
    if (hidden[0]->bias.defined()) x = x + hidden[0]->bias;
    x = act(x);
    for (size_t i = 1; i < hidden.size(); ++i) x = act(hidden[i]->forward(x));
    return out->forward(x);
  }
};
TORCH_MODULE(Mlp);

struct BlockImpl : torch::nn::Module {
  int64_t heads;
  bool layernorm;
  torch::nn::Linear qkv{nullptr}, proj{nullptr}, fc1{nullptr}, fc2{nullptr};
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  BlockImpl(int64_t d, int64_t heads, int64_t mlp_width, bool layernorm) : heads(heads), layernorm(layernorm) {
    qkv = register_module("qkv", torch::nn::Linear(d, 3 * d));
    proj = register_module("proj", torch::nn::Linear(d, d));
    fc1 = register_module("fc1", torch::nn::Linear(d, mlp_width));
    fc2 = register_module("fc2", torch::nn::Linear(mlp_width, d));
    if (layernorm) {
      ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
      ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
    }
  }
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& causal_mask) {
    const int64_t n = x.size(0), t = x.size(1), d = x.size(2), dh = d / heads;
    auto h = layernorm ? ln1->forward(x) : x;
    auto qkv_heads = qkv->forward(h).view({n, t, 3, heads, dh}).permute({2, 0, 3, 1, 4});  // 3, n, H, T, dh
    auto scores = torch::matmul(qkv_heads[0], qkv_heads[1].transpose(-2, -1)) / std::sqrt(static_cast<double>(dh));
    auto attended = torch::matmul(torch::softmax(scores + causal_mask, -1), qkv_heads[2]);
    x = x + proj->forward(attended.transpose(1, 2).reshape({n, t, d}));
    h = layernorm ? ln2->forward(x) : x;
    return x + fc2->forward(torch::relu(fc1->forward(h)));
  }
};
TORCH_MODULE(Block);

struct TransformerImpl : torch::nn::Module {
  int64_t p;
  bool layernorm;
  torch::nn::Embedding token_embed{nullptr}, position_embed{nullptr};
  std::vector<Block> blocks;
  torch::nn::LayerNorm ln_final{nullptr};
  torch::nn::Linear unembed{nullptr};
  TransformerImpl(int64_t p, int64_t layers, int64_t d, int64_t heads, int64_t mlp_width, bool layernorm)
      : p(p), layernorm(layernorm) {
    token_embed = register_module("token_embed", torch::nn::Embedding(p + 2, d));  // 0..p-1, ∘, =
    position_embed = register_module("position_embed", torch::nn::Embedding(4, d));
    for (int64_t i = 0; i < layers; ++i)
      blocks.push_back(register_module("block" + std::to_string(i), Block(d, heads, mlp_width, layernorm)));
    if (layernorm) ln_final = register_module("ln_final", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
    unembed = register_module("unembed", torch::nn::Linear(d, p));  // the answer is one of p residues
  }
  torch::Tensor forward(const torch::Tensor& a, const torch::Tensor& b) {
    auto op = torch::full_like(a, p), equals = torch::full_like(a, p + 1);
    auto tokens = torch::stack({a, op, b, equals}, 1);  // n, 4
    auto positions = torch::arange(4, a.options());
    auto x = token_embed->forward(tokens) + position_embed->forward(positions);
    auto mask = torch::full({4, 4}, -std::numeric_limits<double>::infinity(), x.options()).triu(1);
    for (auto& block : blocks) x = block->forward(x, mask);
    x = x.select(1, 3);  // the `=` position
    if (layernorm) x = ln_final->forward(x);
    return unembed->forward(x);
  }
};
TORCH_MODULE(Transformer);

// s(x) = x + 1 for x >= 0, 1 / (1 - x) below: probabilities s(x_i) / sum s
// that never round to exactly one-hot the way exp does. Both branches see
// clamped inputs so the unused one has a finite gradient.
torch::Tensor stablemax_log_probs(const torch::Tensor& logits) {
  auto s = torch::where(logits >= 0, logits.clamp_min(0) + 1, 1 / (1 - logits.clamp_max(0)));
  return s.log() - s.sum(1, true).log();
}

torch::Tensor loss_of(const torch::Tensor& logits, const torch::Tensor& y, const std::string& loss) {
  if (loss == "cross_entropy") return torch::nn::functional::cross_entropy(logits, y);
  if (loss == "stablemax") return -stablemax_log_probs(logits).gather(1, y.unsqueeze(1)).mean();
  auto target = torch::one_hot(y, logits.size(1)).to(logits.dtype());
  return (logits - target).pow(2).sum(1).mean();  // squared error summed over classes, mean over samples
}

// The gradient filters of Lee et al. (Grokfast): the slow component of the
// gradient, amplified and added.
class Grokfast {
 public:
  Grokfast(std::string mode, double alpha, double lambda, int64_t window)
      : mode_(std::move(mode)), alpha_(alpha), lambda_(lambda), window_(window) {}
  void apply(std::vector<torch::Tensor>& params) {
    if (mode_ == "none") return;
    torch::NoGradGuard no_grad;
    if (mode_ == "ema") {
      if (ema_.empty())
        for (auto& w : params) ema_.push_back(w.grad().clone());
      else
        for (size_t i = 0; i < params.size(); ++i) ema_[i].mul_(alpha_).add_(params[i].grad(), 1 - alpha_);
      for (size_t i = 0; i < params.size(); ++i) params[i].grad().add_(ema_[i], lambda_);
      return;
    }
    // A running sum over the window: one add and one subtract per step, not `window` adds.
    std::vector<torch::Tensor> now;
    for (auto& w : params) now.push_back(w.grad().clone());
    if (window_sum_.empty())
      for (auto& g : now) window_sum_.push_back(torch::zeros_like(g));
    for (size_t i = 0; i < now.size(); ++i) window_sum_[i].add_(now[i]);
    history_.push_back(std::move(now));
    if (static_cast<int64_t>(history_.size()) > window_) {
      for (size_t i = 0; i < params.size(); ++i) window_sum_[i].sub_(history_.front()[i]);
      history_.pop_front();
    }
    if (static_cast<int64_t>(history_.size()) < window_) return;  // average only over a full window
    for (size_t i = 0; i < params.size(); ++i) params[i].grad().add_(window_sum_[i], lambda_ / static_cast<double>(window_));
  }

 private:
  std::string mode_;
  double alpha_, lambda_;
  int64_t window_;
  std::vector<torch::Tensor> ema_, window_sum_;
  std::deque<std::vector<torch::Tensor>> history_;
};

// ⊥Grad (Prieto et al.): g - (w.g / |w|^2) w, rescaled to |g|, per tensor.
void orthogonalize_gradients(std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  for (auto& w : params) {
    auto g = w.grad().view(-1);
    auto flat = w.view(-1);
    auto along = flat.dot(g) / (flat.dot(flat) + 1e-30);
    auto orthogonal = g - along * flat;
    g.copy_(orthogonal * (g.norm() / (orthogonal.norm() + 1e-30)));
  }
}

struct Evaluation {
  double loss, accuracy, softmax_collapse;
};

}  // namespace

void ModularArithmetic::run(const RunContext& ctx, MetricSink& sink) const {
  const auto& p = ctx.params;
  const int64_t modulus = p.get_int("p"), epochs = p.get_int("epochs");
  const auto dtype = p.get_string("dtype") == "float64" ? torch::kFloat64 : torch::kFloat32;
  const auto& loss_kind = p.get_string("loss");
  auto gen = at::make_generator<at::CPUGeneratorImpl>(ctx.seed);

  auto table = modular_table(modulus, p.get_string("op"));
  auto as_tensor = [](const std::vector<int64_t>& v) { return torch::tensor(v, torch::kInt64); };
  const auto column_a = as_tensor(table.a), column_b = as_tensor(table.b), column_y = as_tensor(table.y);
  const int64_t pairs = column_y.size(0);
  const int64_t n_train = std::clamp<int64_t>(
      static_cast<int64_t>(std::floor(p.get_float("train_fraction") * static_cast<double>(pairs))), 1, pairs - 1);
  auto order = torch::randperm(pairs, gen, torch::kInt64);
  auto train_idx = order.slice(0, 0, n_train), test_idx = order.slice(0, n_train);
  sink.summary("train_size", static_cast<double>(n_train));
  sink.summary("test_size", static_cast<double>(pairs - n_train));

  const auto device = torch::Device(ctx.device);
  auto pick = [&](const torch::Tensor& column, const torch::Tensor& idx) { return column.index_select(0, idx).to(device); };
  auto a = pick(column_a, train_idx), b = pick(column_b, train_idx), y = pick(column_y, train_idx);
  auto a_test = pick(column_a, test_idx), b_test = pick(column_b, test_idx), y_test = pick(column_y, test_idx);

  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> forward;
  if (p.get_string("model") == "mlp") {
    Mlp net(modulus, p.get_int("depth"), p.get_int("width"), p.get_bool("bias"), p.get_string("activation") == "quadratic");
    module = net.ptr();
    forward = [net](const torch::Tensor& x1, const torch::Tensor& x2) mutable { return net->forward(x1, x2); };
  } else {
    Transformer net(modulus, p.get_int("layers"), p.get_int("d_model"), p.get_int("heads"), p.get_int("mlp_width"),
                    p.get_bool("layernorm"));
    module = net.ptr();
    forward = [net](const torch::Tensor& x1, const torch::Tensor& x2) mutable { return net->forward(x1, x2); };
  }
  init_parameters(*module, p.get_float("init_scale"), gen);
  module->to(device, dtype);
  auto params = module->parameters();
  int64_t parameters = 0;
  for (const auto& w : params) parameters += w.numel();
  sink.summary("parameters", static_cast<double>(parameters));

  const double lr = p.get_float("lr");
  OptimizerConfig optimizer{p.get_string("optimizer"), lr};
  optimizer.momentum = p.get_float("momentum");
  optimizer.weight_decay = p.get_float("weight_decay");
  optimizer.beta1 = p.get_float("beta1");
  optimizer.beta2 = p.get_float("beta2");
  optimizer.eps = p.get_float("eps");
  auto opt = make_optimizer(params, optimizer);
  Grokfast grokfast(p.get_string("grokfast"), p.get_float("grokfast_alpha"), p.get_float("grokfast_lambda"),
                    p.get_int("grokfast_window"));
  const bool orthogonal = p.get_bool("orthogonal_grad");
  const int64_t warmup = p.get_int("warmup_steps");

  auto evaluate = [&](const torch::Tensor& x1, const torch::Tensor& x2, const torch::Tensor& labels) {
    torch::NoGradGuard no_grad;
    auto logits = forward(x1, x2);
    auto collapsed = torch::softmax(logits, 1).amax(1).eq(1.0);
    return Evaluation{loss_of(logits, labels, loss_kind).item<double>(),
                      logits.argmax(1).eq(labels).to(torch::kFloat64).mean().item<double>(),
                      collapsed.to(torch::kFloat64).mean().item<double>()};
  };
  const double stop_accuracy = p.get_float("stop_test_accuracy");
  auto log = [&](int64_t epoch) {  // true when the run should end here
    auto train = evaluate(a, b, y), test = evaluate(a_test, b_test, y_test);
    double norm_squared = 0;
    {
      torch::NoGradGuard no_grad;
      for (const auto& w : params) norm_squared += w.pow(2).sum().item<double>();
    }
    sink.log(epoch, {{"train_loss", train.loss},
                     {"train_accuracy", train.accuracy},
                     {"test_loss", test.loss},
                     {"test_accuracy", test.accuracy},
                     {"weight_norm", std::sqrt(norm_squared)},
                     {"softmax_collapse", train.softmax_collapse}});
    return stop_accuracy > 0 && test.accuracy >= stop_accuracy;
  };

  const int64_t batch = p.get_int("batch_size") > 0 ? std::min(p.get_int("batch_size"), n_train) : n_train;
  int64_t step = 0;
  if (log(0)) return;
  for (int64_t epoch = 1; epoch <= epochs && !ctx.stop; ++epoch) {
    auto perm = batch < n_train ? torch::randperm(n_train, gen, torch::kInt64).to(device) : torch::Tensor();
    for (int64_t start = 0; start < n_train; start += batch) {
      torch::Tensor xa = a, xb = b, labels = y;
      if (perm.defined()) {
        auto idx = perm.slice(0, start, std::min(start + batch, n_train));
        xa = a.index_select(0, idx), xb = b.index_select(0, idx), labels = y.index_select(0, idx);
      }
      ++step;
      if (warmup > 0)
        for (auto& group : opt->param_groups())
          group.options().set_lr(lr * std::min(1.0, static_cast<double>(step) / static_cast<double>(warmup)));
      opt->zero_grad();
      loss_of(forward(xa, xb), labels, loss_kind).backward();
      grokfast.apply(params);
      if (orthogonal) orthogonalize_gradients(params);
      opt->step();
    }
    if (epoch % ctx.log_every == 0 || epoch == epochs) {
      if (log(epoch)) {
        if (epoch < epochs) sink.summary("stopped_early_at", static_cast<double>(epoch));
        return;
      }
    }
  }
}

GENBENCH_REGISTER_TASK(ModularArithmetic);

}  // namespace genbench
