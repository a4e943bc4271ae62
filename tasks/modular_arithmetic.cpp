#include "tasks/modular_arithmetic.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "tasks/gradient_filters.h"
#include "tasks/models/modular_nets.h"
#include "tasks/models/pair_mlp_backprop.h"
#include "tasks/stacking.h"

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

struct Evaluation {
  double loss, accuracy, softmax_collapse;
};

Evaluation evaluate(PairNetwork& net, const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& labels,
                    const std::string& loss) {
  torch::NoGradGuard no_grad;
  auto logits = net.forward(a, b);
  auto collapsed = torch::softmax(logits, 1).amax(1).eq(1.0);
  return Evaluation{loss_of(logits, labels, loss).item<double>(),
                    logits.argmax(1).eq(labels).to(torch::kFloat64).mean().item<double>(),
                    collapsed.to(torch::kFloat64).mean().item<double>()};
}

// The table's pairs as index tensors on the device: train_fraction of them
// (at least one, at most all but one), drawn by seed, train; the rest test.
struct PairSplit {
  torch::Tensor a, b, y, a_test, b_test, y_test;
};

PairSplit split_table(const ModularArithmeticConfig& config, at::Generator& gen, const torch::Device& device) {
  auto table = modular_table(config.modulus, config.op);
  auto as_tensor = [](const std::vector<int64_t>& v) { return torch::tensor(v, torch::kInt64); };
  const auto column_a = as_tensor(table.a), column_b = as_tensor(table.b), column_y = as_tensor(table.y);
  const int64_t pairs = column_y.size(0);
  const int64_t n_train = std::clamp<int64_t>(
      static_cast<int64_t>(std::floor(config.train_fraction * static_cast<double>(pairs))), 1, pairs - 1);
  auto order = torch::randperm(pairs, gen, torch::kInt64);
  auto train_idx = order.slice(0, 0, n_train), test_idx = order.slice(0, n_train);
  auto pick = [&](const torch::Tensor& column, const torch::Tensor& idx) { return column.index_select(0, idx).to(device); };
  return {pick(column_a, train_idx), pick(column_b, train_idx), pick(column_y, train_idx),
          pick(column_a, test_idx),  pick(column_b, test_idx),  pick(column_y, test_idx)};
}

PairNetwork make_network(const ModularArithmeticConfig& config, at::Generator& gen, const torch::Device& device) {
  auto net = config.model == "mlp"
                 ? as_pair_network(PairMlp(config.modulus, config.depth, config.width, config.bias, config.quadratic))
                 : as_pair_network(PairTransformer(config.modulus, config.layers, config.d_model, config.heads,
                                                   config.mlp_width, config.layernorm));
  init_pair_network(*net.module, config.init_scale, gen);
  net.module->to(device, config.float64 ? torch::kFloat64 : torch::kFloat32);
  return net;
}

// One logged row of a run (run and run_stack share it, so a member logs what
// it would alone); true when the run should end there (stop_test_accuracy).
bool log_row(int64_t epoch, PairNetwork& net, const std::vector<torch::Tensor>& params, const PairSplit& data,
             const ModularArithmeticConfig& config, MetricSink& sink) {
  auto train = evaluate(net, data.a, data.b, data.y, config.loss);
  auto test = evaluate(net, data.a_test, data.b_test, data.y_test, config.loss);
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
  return config.stop_test_accuracy > 0 && test.accuracy >= config.stop_test_accuracy;
}

// The one parameter besides the seed in which the members of a stack may
// differ: it only scales the initial draw.
const char* const kStackFree = "init_scale";

bool stacks_as_mlp(const ModularArithmeticConfig& c) {
  return c.model == "mlp" && c.loss == "cross_entropy" && !c.quadratic && !c.bias && !c.orthogonal_grad;
}

}  // namespace

ModularArithmeticConfig ModularArithmeticConfig::from(const Params& p) {
  ModularArithmeticConfig c;
  c.modulus = p.get_int("p");
  c.op = p.get_string("op");
  c.train_fraction = p.get_float("train_fraction");
  c.model = p.get_string("model");
  c.depth = p.get_int("depth");
  c.width = p.get_int("width");
  c.quadratic = p.get_string("activation") == "quadratic";
  c.bias = p.get_bool("bias");
  c.init_scale = p.get_float("init_scale");
  c.layers = p.get_int("layers");
  c.d_model = p.get_int("d_model");
  c.heads = p.get_int("heads");
  c.mlp_width = p.get_int("mlp_width");
  c.layernorm = p.get_bool("layernorm");
  c.optimizer = {p.get_string("optimizer"), p.get_float("lr")};
  c.optimizer.momentum = p.get_float("momentum");
  c.optimizer.weight_decay = p.get_float("weight_decay");
  c.optimizer.beta1 = p.get_float("beta1");
  c.optimizer.beta2 = p.get_float("beta2");
  c.optimizer.eps = p.get_float("eps");
  c.warmup_steps = p.get_int("warmup_steps");
  c.epochs = p.get_int("epochs");
  c.batch_size = p.get_int("batch_size");
  c.float64 = p.get_string("dtype") == "float64";
  c.loss = p.get_string("loss");
  c.grokfast = p.get_string("grokfast");
  c.grokfast_alpha = p.get_float("grokfast_alpha");
  c.grokfast_lambda = p.get_float("grokfast_lambda");
  c.grokfast_window = p.get_int("grokfast_window");
  c.orthogonal_grad = p.get_bool("orthogonal_grad");
  c.stop_test_accuracy = p.get_float("stop_test_accuracy");
  return c;
}

void ModularArithmetic::run(const RunContext& ctx, MetricSink& sink) const {
  const auto config = ModularArithmeticConfig::from(ctx.params);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(ctx.seed);
  const auto device = torch::Device(ctx.device);
  const auto data = split_table(config, gen, device);
  const int64_t n_train = data.y.size(0);
  sink.summary("train_size", static_cast<double>(n_train));
  sink.summary("test_size", static_cast<double>(data.y_test.size(0)));

  auto net = make_network(config, gen, device);
  auto params = net.module->parameters();
  int64_t parameters = 0;
  for (const auto& w : params) parameters += w.numel();
  sink.summary("parameters", static_cast<double>(parameters));
  auto opt = make_optimizer(params, config.optimizer);
  Grokfast grokfast(config.grokfast, config.grokfast_alpha, config.grokfast_lambda, config.grokfast_window);
  // The relu MLP's cross-entropy gradient by hand: autograd's bits, nearer
  // the matmul floor (bench/grokking_bench.cpp, BM_GrokkingGradient*), the
  // same code as a stack's. Other models and losses: autograd.
  std::optional<PairMlpBackprop> backprop;
  if (config.loss == "cross_entropy")
    if (auto mlp = std::dynamic_pointer_cast<PairMlpImpl>(net.module); mlp && PairMlpBackprop::covers(*mlp))
      backprop.emplace(PairMlp(mlp));

  auto log = [&](int64_t epoch) { return log_row(epoch, net, params, data, config, sink); };

  const int64_t batch = config.batch_size > 0 ? std::min(config.batch_size, n_train) : n_train;
  int64_t step = 0;
  if (log(0)) return;
  for (int64_t epoch = 1; epoch <= config.epochs && !ctx.stop; ++epoch) {
    auto perm = batch < n_train ? torch::randperm(n_train, gen, torch::kInt64).to(device) : torch::Tensor();
    for (int64_t start = 0; start < n_train; start += batch) {
      torch::Tensor xa = data.a, xb = data.b, labels = data.y;
      if (perm.defined()) {
        auto idx = perm.slice(0, start, std::min(start + batch, n_train));
        xa = data.a.index_select(0, idx), xb = data.b.index_select(0, idx), labels = data.y.index_select(0, idx);
      }
      ++step;
      if (config.warmup_steps > 0)
        opt->set_lr(config.optimizer.lr * std::min(1.0, static_cast<double>(step) / static_cast<double>(config.warmup_steps)));
      opt->zero_grad();
      if (backprop) backprop->gradients(xa, xb, labels);
      else loss_of(net.forward(xa, xb), labels, config.loss).backward();
      grokfast.apply(params);
      if (config.orthogonal_grad) orthogonalize_gradients(params);
      opt->step();
    }
    if (epoch % ctx.log_every == 0 || epoch == config.epochs) {
      if (log(epoch)) {
        if (epoch < config.epochs) sink.summary("stopped_early_at", static_cast<double>(epoch));
        return;
      }
    }
  }
}

// ⊥Grad is left out: its projection is per weight tensor, and a stacked
// tensor holds every member's.
std::vector<std::vector<size_t>> ModularArithmetic::stacks(const std::vector<StackCandidate>& runs,
                                                           const std::string& device, int64_t max_size) const {
  if (device == "cpu") return {};
  return stacks_of_equal_params(runs, {kStackFree}, max_size > 0 ? max_size : 64,
                                [](const Params& p) { return stacks_as_mlp(ModularArithmeticConfig::from(p)); });
}

void ModularArithmetic::run_stack(const std::vector<RunContext>& ctxs, StackSinks& sinks) const {
  const auto& shared = ctxs[0].params;  // every member has these but init_scale
  const auto config = ModularArithmeticConfig::from(shared);
  if (!stacks_as_mlp(config))
    throw TaskError("modular_arithmetic: a stack trains the relu MLP without biases on cross-entropy, without orthogonal_grad");
  for (const auto& ctx : ctxs) {
    auto a = ctx.params, b = shared;
    a.set(kStackFree, 1.0), b.set(kStackFree, 1.0);
    if (a.values() != b.values())
      throw TaskError("modular_arithmetic: the members of a stack may differ only in seed and init_scale");
  }
  const auto S = static_cast<int64_t>(ctxs.size());
  const auto device = torch::Device(ctxs[0].device);
  const auto& stop = ctxs[0].stop;

  // Each member draws what its run alone draws, in that order: the split, then the weights.
  struct Member {
    at::Generator gen;
    PairSplit data;
    PairNetwork net;
    std::vector<torch::Tensor> params;
    bool done = false;  // ended by stop_test_accuracy: logs no more (its weights train on with the stack)
  };
  std::vector<Member> members;
  for (size_t i = 0; i < ctxs.size(); ++i) {
    Member m;
    m.gen = at::make_generator<at::CPUGeneratorImpl>(ctxs[i].seed);
    m.data = split_table(config, m.gen, device);
    m.net = make_network(ModularArithmeticConfig::from(ctxs[i].params), m.gen, device);
    m.params = m.net.module->parameters();
    int64_t parameters = 0;
    for (const auto& w : m.params) parameters += w.numel();
    sinks.summary(i, "train_size", static_cast<double>(m.data.y.size(0)));
    sinks.summary(i, "test_size", static_cast<double>(m.data.y_test.size(0)));
    sinks.summary(i, "parameters", static_cast<double>(parameters));
    members.push_back(std::move(m));
  }

  // Layer l of every member as one tensor [S, out, in], trained by one
  // optimizer; each member's weights become its slices, so its own module
  // evaluates it as a run alone would.
  std::vector<torch::Tensor> stacked;
  {
    torch::NoGradGuard no_grad;
    for (size_t l = 0; l < members[0].params.size(); ++l) {
      std::vector<torch::Tensor> layer;
      for (auto& m : members) layer.push_back(m.params[l]);
      stacked.push_back(torch::stack(layer));
    }
  }
  auto opt = make_optimizer(stacked, config.optimizer);
  std::vector<PairMlpBackprop::Layer> layers;
  {
    torch::NoGradGuard no_grad;
    for (size_t l = 0; l < stacked.size(); ++l) {
      layers.push_back({stacked[l], stacked[l].grad()});
      for (int64_t i = 0; i < S; ++i) members[i].params[l].set_data(stacked[l][i]);
    }
  }
  PairMlpBackprop backprop(std::move(layers), config.modulus);
  Grokfast grokfast(config.grokfast, config.grokfast_alpha, config.grokfast_lambda, config.grokfast_window);

  std::vector<torch::Tensor> column_a, column_b, column_y;
  for (auto& m : members) column_a.push_back(m.data.a), column_b.push_back(m.data.b), column_y.push_back(m.data.y);
  const auto a = torch::stack(column_a), b = torch::stack(column_b), y = torch::stack(column_y);  // [S, n]
  const auto labels_all = y.view(-1);
  const int64_t n_train = y.size(1);

  auto log = [&](int64_t epoch) {  // false when no member goes on
    bool going = false;
    for (int64_t i = 0; i < S; ++i) {
      auto& m = members[i];
      if (!sinks.active(i) || m.done) continue;
      if (log_row(epoch, m.net, m.params, m.data, config, sinks.member(i))) {
        m.done = true;
        if (epoch > 0 && epoch < config.epochs) sinks.summary(i, "stopped_early_at", static_cast<double>(epoch));
      }
      going = going || (sinks.active(i) && !m.done);
    }
    return going;
  };

  const int64_t batch = config.batch_size > 0 ? std::min(config.batch_size, n_train) : n_train;
  int64_t step = 0;
  bool going = log(0);
  for (int64_t epoch = 1; epoch <= config.epochs && !stop && going; ++epoch) {
    torch::Tensor perm;  // [S, n]: each member's own order
    if (batch < n_train) {
      std::vector<torch::Tensor> orders;
      for (auto& m : members) orders.push_back(torch::randperm(n_train, m.gen, torch::kInt64));
      perm = torch::stack(orders).to(device);
    }
    for (int64_t start = 0; start < n_train; start += batch) {
      torch::Tensor xa = a, xb = b, labels = labels_all;
      if (perm.defined()) {
        auto idx = perm.slice(1, start, std::min(start + batch, n_train));
        xa = a.gather(1, idx), xb = b.gather(1, idx), labels = y.gather(1, idx).reshape(-1);
      }
      ++step;
      if (config.warmup_steps > 0)
        opt->set_lr(config.optimizer.lr * std::min(1.0, static_cast<double>(step) / static_cast<double>(config.warmup_steps)));
      backprop.gradients(xa, xb, labels);  // member i's weights get the gradient of its own mean loss
      grokfast.apply(stacked);             // elementwise: each member's filter is its own
      opt->step();
    }
    if (epoch % ctxs[0].log_every == 0 || epoch == config.epochs) going = log(epoch);
  }
}

GENBENCH_REGISTER_TASK(ModularArithmetic);

}  // namespace genbench
