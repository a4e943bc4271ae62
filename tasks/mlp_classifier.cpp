#include "tasks/mlp_classifier.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>

#include "tasks/fashion_mnist.h"
#include "tasks/models/relu_mlp.h"
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

struct Eval {
  double loss, error;
};

Eval evaluate(ReluMlp& net, const torch::Tensor& X, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  auto logits = net->forward(X);
  return {torch::nn::functional::cross_entropy(logits, y).item<double>(),
          logits.argmax(1).ne(y).to(torch::kFloat64).mean().item<double>()};
}

}  // namespace

void MlpClassifier::run(const RunContext& ctx, MetricSink& sink) const {
  const auto& p = ctx.params;
  const int64_t n = p.get_int("n"), epochs = p.get_int("epochs");
  const int64_t batch = p.get_int("batch_size") > 0 ? std::min(p.get_int("batch_size"), n) : n;
  auto data = load_fashion_mnist(p.get_string("data_dir"));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(ctx.seed);
  auto split = fashion_mnist_split(*data, n, p.get_int("n_test"), p.get_float("label_noise"), p.get_int("pool"), gen);

  const auto device = torch::Device(ctx.device);
  auto X = split.X.to(torch::kFloat32).to(device), X_test = split.X_test.to(torch::kFloat32).to(device);
  auto y = split.y.to(device), y_clean = split.y_clean.to(device), y_test = split.y_test.to(device);
  ReluMlp net(X.size(1), p.get_int("k"), p.get_int("layers"));
  net->init(gen);
  net->to(device);
  int64_t parameters = 0;
  for (const auto& t : net->parameters()) parameters += t.numel();
  sink.summary("parameters", static_cast<double>(parameters));

  OptimizerConfig optimizer{p.get_string("optimizer"), p.get_float("lr")};
  optimizer.momentum = p.get_float("momentum");
  optimizer.weight_decay = p.get_float("weight_decay");
  auto opt = make_optimizer(net->parameters(), optimizer);

  auto log = [&](int64_t epoch) {
    auto train = evaluate(net, X, y), test = evaluate(net, X_test, y_test);
    double clean = evaluate(net, X, y_clean).error;
    sink.log(epoch, {{"train_loss", train.loss},
                     {"train_error", train.error},
                     {"train_error_clean", clean},
                     {"test_loss", test.loss},
                     {"test_error", test.error}});
  };
  log(0);
  for (int64_t epoch = 1; epoch <= epochs && !ctx.stop; ++epoch) {
    auto order = torch::randperm(n, gen, torch::kInt64).to(device);
    for (int64_t start = 0; start < n; start += batch) {
      auto idx = order.slice(0, start, std::min(start + batch, n));
      auto loss = torch::nn::functional::cross_entropy(net->forward(X.index_select(0, idx)), y.index_select(0, idx));
      opt->zero_grad();
      loss.backward();
      opt->step();
    }
    if (epoch % ctx.log_every == 0 || epoch == epochs) log(epoch);
  }
}

GENBENCH_REGISTER_TASK(MlpClassifier);

}  // namespace genbench
