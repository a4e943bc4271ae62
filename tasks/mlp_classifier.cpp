#include "tasks/mlp_classifier.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "tasks/fashion_mnist.h"
#include "tasks/models/relu_mlp.h"
#include "tasks/models/relu_mlp_backprop.h"
#include "tasks/stacking.h"
#include "tasks/training.h"

namespace genbench {

std::vector<ParamSpec> MlpClassifier::params() const {
  return {
      int_param("n", 1000, "training images, drawn by seed from the 60000", 1, 60000),
      int_param("k", 32, "width of each hidden layer", 1),
      int_param("layers", 1, "hidden layers", 1, 8),
      float_param("label_noise", 0.2, "fraction of training labels replaced by another class", 0, 1),
      int_param("pool", 2, "average-pool the 28 x 28 images by this factor (1, 2, 4, 7)", 1, 28),
      int_param("epochs", 1000, "passes over the training set", 0),
      int_param("batch_size", 128, "minibatch size (0: the whole training set)", 0),
      choice_param("optimizer", "adam", {"adam", "sgd"}, "Adam, or SGD with momentum"),
      float_param("lr", 1e-3, "learning rate", 0),
      float_param("momentum", 0.9, "SGD momentum", 0, 1),
      float_param("weight_decay", 0.0, "L2 penalty (Adam: coupled, as torch.optim.Adam)", 0),
      int_param("n_test", 5000, "test images, drawn by seed from the 10000", 1, 10000),
      fashion_mnist_dir_param(),
  };
}

namespace {

// The one parameter besides the seed in which the members of a stack may differ.
const char* const kStackFree = "label_noise";

// What a run draws before its first step, in the order run() draws it from
// the run's generator: the data split, then the initial weights.
struct Member {
  torch::Tensor X, X_test, y, y_clean, y_test;  // on the device, float32 features
  ReluMlp net{nullptr};
  at::Generator gen;
};

Member prepare(const RunContext& ctx) {
  const auto& p = ctx.params;
  auto data = load_fashion_mnist(p.get_string("data_dir"));
  Member m;
  m.gen = at::make_generator<at::CPUGeneratorImpl>(ctx.seed);
  auto split =
      fashion_mnist_split(*data, p.get_int("n"), p.get_int("n_test"), p.get_float("label_noise"), p.get_int("pool"), m.gen);
  const auto device = torch::Device(ctx.device);
  m.X = split.X.to(torch::kFloat32).to(device);
  m.X_test = split.X_test.to(torch::kFloat32).to(device);
  m.y = split.y.to(device);
  m.y_clean = split.y_clean.to(device);
  m.y_test = split.y_test.to(device);
  m.net = ReluMlp(m.X.size(1), p.get_int("k"), p.get_int("layers"));
  m.net->init(m.gen);
  m.net->to(device);
  return m;
}

OptimizerConfig optimizer_of(const Params& p) {
  OptimizerConfig optimizer{p.get_string("optimizer"), p.get_float("lr")};
  optimizer.momentum = p.get_float("momentum");
  optimizer.weight_decay = p.get_float("weight_decay");
  return optimizer;
}

int64_t parameter_count(ReluMlp& net) {
  int64_t parameters = 0;
  for (const auto& t : net->parameters()) parameters += t.numel();
  return parameters;
}

// The row run() logs, from the logits of the training and the test set.
Metrics metrics_of(const torch::Tensor& train_logits, const torch::Tensor& test_logits, const Member& m) {
  auto loss = [](const torch::Tensor& logits, const torch::Tensor& y) {
    return torch::nn::functional::cross_entropy(logits, y).item<double>();
  };
  auto error = [](const torch::Tensor& logits, const torch::Tensor& y) {
    return logits.argmax(1).ne(y).to(torch::kFloat64).mean().item<double>();
  };
  return {{"train_loss", loss(train_logits, m.y)},
          {"train_error", error(train_logits, m.y)},
          {"train_error_clean", error(train_logits, m.y_clean)},
          {"test_loss", loss(test_logits, m.y_test)},
          {"test_error", error(test_logits, m.y_test)}};
}

// The layers of a member alone in the stacked form ReluMlpBackprop takes: a
// stack of one, viewing the parameters and the gradients the optimizer holds.
std::vector<ReluMlpBackprop::Layer> layers_of(ReluMlp& net) {
  torch::NoGradGuard no_grad;
  std::vector<ReluMlpBackprop::Layer> layers;
  auto add = [&](torch::nn::Linear& linear) {
    layers.push_back({linear->weight.unsqueeze(0), linear->bias.view({1, 1, -1}), linear->weight.grad().unsqueeze(0),
                      linear->bias.grad().view({1, 1, -1})});
  };
  for (auto& h : net->hidden) add(h);
  add(net->out);
  return layers;
}

}  // namespace

void MlpClassifier::run(const RunContext& ctx, MetricSink& sink) const {
  const auto& p = ctx.params;
  const int64_t n = p.get_int("n"), epochs = p.get_int("epochs");
  const int64_t batch = p.get_int("batch_size") > 0 ? std::min(p.get_int("batch_size"), n) : n;
  auto m = prepare(ctx);
  auto& net = m.net;
  sink.summary("parameters", static_cast<double>(parameter_count(net)));
  auto opt = make_optimizer(net->parameters(), optimizer_of(p));
  ReluMlpBackprop backprop(layers_of(net));  // on the parameters as the optimizer re-homed them

  auto log = [&](int64_t epoch) {
    torch::NoGradGuard no_grad;
    sink.log(epoch, metrics_of(net->forward(m.X), net->forward(m.X_test), m));
  };
  log(0);
  const auto device = torch::Device(ctx.device);
  for (int64_t epoch = 1; epoch <= epochs && !ctx.stop; ++epoch) {
    auto order = torch::randperm(n, m.gen, torch::kInt64).to(device);
    for (int64_t start = 0; start < n; start += batch) {
      auto idx = order.slice(0, start, std::min(start + batch, n));
      backprop.gradients(m.X.index_select(0, idx).unsqueeze(0), m.y.index_select(0, idx));
      opt->step();
    }
    if (epoch % ctx.log_every == 0 || epoch == epochs) log(epoch);
  }
}

// Stacks: runs that differ only in seed and label noise share one, of one
// width. (Zero-padding narrower members to a common width trains the same
// network in exact arithmetic, but the BLAS kernels then sum in another order:
// a float32 member would drift from its run alone. A stack is bit for bit.)
// On a CPU a stack pays while the models are narrow and per-op overhead
// dominates (MlpClassifier::kWidestStackedOnCpu).
std::vector<std::vector<size_t>> MlpClassifier::stacks(const std::vector<StackCandidate>& runs,
                                                       const std::string& device, int64_t max_size) const {
  const bool cpu = device == "cpu";
  const int64_t widest = cpu ? kWidestStackedOnCpu : std::numeric_limits<int64_t>::max();
  return stacks_of_equal_params(runs, {kStackFree}, max_size > 0 ? max_size : cpu ? 16 : 256,
                                [widest](const Params& p) { return p.get_int("k") <= widest; });
}

void MlpClassifier::run_stack(const std::vector<RunContext>& ctxs, StackSinks& sinks) const {
  const auto& p = ctxs[0].params;  // every member has these but label_noise
  const auto S = static_cast<int64_t>(ctxs.size());
  const int64_t n = p.get_int("n"), epochs = p.get_int("epochs"), layers = p.get_int("layers");
  const int64_t batch = p.get_int("batch_size") > 0 ? std::min(p.get_int("batch_size"), n) : n;
  const auto device = torch::Device(ctxs[0].device);
  const auto& stop = ctxs[0].stop;
  for (const auto& ctx : ctxs) {
    auto a = ctx.params, b = p;
    a.set(kStackFree, 0.0), b.set(kStackFree, 0.0);
    if (a.values() != b.values())
      throw TaskError("mlp_classifier: the members of a stack may differ only in seed and label_noise");
  }

  std::vector<Member> members;
  for (const auto& ctx : ctxs) members.push_back(prepare(ctx));
  const int64_t K = p.get_int("k");
  for (size_t i = 0; i < ctxs.size(); ++i)
    sinks.summary(i, "parameters", static_cast<double>(parameter_count(members[i].net)));

  // Layer l of every member: weight [S, out, in] and bias [S, 1, out].
  std::vector<torch::Tensor> weights, biases, parameters;
  {
    torch::NoGradGuard no_grad;
    auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
    const int64_t d = members[0].X.size(1);
    for (int64_t l = 0; l <= layers; ++l) {
      const int64_t in = l == 0 ? d : K, out = l == layers ? 10 : K;
      auto W = torch::empty({S, out, in}, opts), b = torch::empty({S, 1, out}, opts);
      for (int64_t i = 0; i < S; ++i) {
        auto& layer = l == layers ? members[i].net->out : members[i].net->hidden[l];
        W[i].copy_(layer->weight);
        b[i][0].copy_(layer->bias);
      }
      weights.push_back(W);
      biases.push_back(b);
      parameters.push_back(weights.back());
      parameters.push_back(biases.back());
    }
  }
  auto forward = [&](torch::Tensor x) {  // x [S, rows, d] -> logits [S, rows, 10]
    for (int64_t l = 0; l <= layers; ++l) {
      x = member_mm(x, weights[l].transpose(1, 2), biases[l]);
      if (l < layers) x = torch::relu(x);
    }
    return x;
  };
  auto opt = make_optimizer(parameters, optimizer_of(p));
  std::vector<ReluMlpBackprop::Layer> stacked;  // on the parameters as the optimizer re-homed them
  for (int64_t l = 0; l <= layers; ++l)
    stacked.push_back({weights[l], biases[l], weights[l].grad(), biases[l].grad()});
  ReluMlpBackprop backprop(std::move(stacked));

  std::vector<torch::Tensor> train_X, test_X, train_y;
  for (auto& m : members) train_X.push_back(m.X), test_X.push_back(m.X_test), train_y.push_back(m.y);
  auto X_train = torch::stack(train_X), X_test = torch::stack(test_X);
  auto X_all = X_train.view({S * n, -1}), y_all = torch::cat(train_y);  // member i's rows at i * n
  auto offsets = (torch::arange(S, torch::kInt64) * n).view({S, 1}).to(device);

  auto log = [&](int64_t epoch) {
    torch::NoGradGuard no_grad;
    auto train = forward(X_train), test = forward(X_test);
    // Each member's logits in memory of their own: a reduction over a slice
    // at another alignment could sum in another order.
    for (int64_t i = 0; i < S; ++i)
      if (sinks.active(i)) sinks.log(i, epoch, metrics_of(train[i].clone(), test[i].clone(), members[i]));
  };
  log(0);
  for (int64_t epoch = 1; epoch <= epochs && !stop && sinks.active_count() > 0; ++epoch) {
    std::vector<torch::Tensor> orders;
    for (auto& m : members) orders.push_back(torch::randperm(n, m.gen, torch::kInt64));
    auto order = (torch::stack(orders).to(device) + offsets);  // [S, n], rows of X_all
    for (int64_t start = 0; start < n; start += batch) {
      const int64_t rows = std::min(start + batch, n) - start;
      auto idx = order.slice(1, start, start + rows).reshape(-1);
      // Member i's weights get exactly the gradient of its own mean loss.
      backprop.gradients(X_all.index_select(0, idx).view({S, rows, -1}), y_all.index_select(0, idx));
      opt->step();
    }
    if (epoch % ctxs[0].log_every == 0 || epoch == epochs) log(epoch);
  }
}

GENBENCH_REGISTER_TASK(MlpClassifier);

}  // namespace genbench
