#include "tasks/adversarial_training.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "tasks/attacks.h"
#include "tasks/cifar10.h"
#include "tasks/fashion_mnist.h"
#include "tasks/models/image_classifiers.h"
#include "tasks/training.h"

namespace genbench {

std::vector<ParamSpec> AdversarialTraining::params() const {
  return {
      choice_param("dataset", "fashion_mnist", {"fashion_mnist", "cifar10"},
                   "Fashion-MNIST (Debian's package) or CIFAR-10 (binary batches in cifar10_dir)"),
      int_param("n", 60000, "training images, drawn by seed (of 60000 in Fashion-MNIST, 50000 in CIFAR-10)", 1, 60000),
      int_param("n_eval", 1000, "images of the fixed train and test subsets every epoch is evaluated on", 1, 10000),
      choice_param("model", "cnn", {"cnn", "cnn_bn", "mlp", "preact_resnet18"},
                   "Wong et al.'s CNN, the same with BatchNorm, an MLP, or PreActResNet-18"),
      int_param("width", 16, "cnn, cnn_bn: channels of the first convolution (the second has twice as many)", 1),
      int_param("hidden", 256, "mlp: units in each of its two hidden layers", 1),
      choice_param("training", "fgsm", {"clean", "fgsm", "pgd"}, "the inputs trained on"),
      choice_param("norm", "linf", {"linf", "l2"}, "the threat model's ball"),
      float_param("epsilon", 0.3, "radius of the ball, in [0, 1] pixel units", 0),
      float_param("fgsm_alpha", 0.375, "fgsm: the step from the random start (Wong et al.: 1.25 epsilon)", 0),
      int_param("pgd_steps", 10, "pgd: attack steps in training", 1),
      float_param("pgd_step_size", 0.075, "pgd: step size in training (epsilon / 4 at the default)", 0),
      choice_param("optimizer", "sgd", {"sgd", "adam"}, "SGD with momentum, or Adam"),
      float_param("lr", 0.05, "peak learning rate", 0),
      float_param("momentum", 0.9, "SGD momentum", 0, 1),
      float_param("weight_decay", 5e-4, "L2 penalty", 0),
      int_param("batch_size", 128, "minibatch size", 1),
      int_param("epochs", 10, "passes over the training set", 1),
      choice_param("lr_schedule", "constant", {"constant", "piecewise", "cyclic"},
                   "constant; piecewise: x lr_drop_factor at each of lr_drops; cyclic: up to lr at mid-training, down to 0"),
      float_list_param("lr_drops", {}, "piecewise: epochs at which the learning rate drops", 0),
      float_param("lr_drop_factor", 0.1, "piecewise: the factor of each drop", 0),
      float_param("warmup_epochs", 0.0, "linear warm-up from 0 over this many epochs", 0),
      choice_param("regularizer", "none", {"none", "gradalign", "elle", "elle_a"},
                   "GradAlign, ELLE or ELLE-A (ELLE with the adaptive weight), added to the loss"),
      float_param("reg_lambda", 0.0, "the regulariser's weight (elle_a: the weight it switches to)", 0),
      float_param("elle_a_decay", 0.99, "elle_a: the weight's factor per minibatch without a spike", 0, 1),
      float_param("elle_a_sensitivity", 2.0,
                  "elle_a: a spike is an error this many standard deviations above the mean of the earlier ones", 0),
      int_param("eval_pgd_steps", 10, "PGD steps (size epsilon / 4, random start) of the evaluation attack", 1),
      fashion_mnist_dir_param(),
      {"cifar10_dir", ParamType::String, std::string(""), "dataset cifar10: the cifar-10-batches-bin folder", {}, {}, {}},
  };
}

std::string AdversarialTraining::check(const Params& p) const {
  if (p.get_string("dataset") == "cifar10") {
    if (p.get_string("cifar10_dir").empty())
      return "dataset cifar10 needs cifar10_dir, the folder of the binary batches (cifar-10-batches-bin)";
    if (p.get_int("n") > 50000) return "n must be <= 50000 for CIFAR-10, found " + std::to_string(p.get_int("n"));
  }
  if (p.get_string("regularizer") != "none" && p.get_string("norm") != "linf")
    return "regularizer " + p.get_string("regularizer") + " is defined for the linf ball, found norm " +
           p.get_string("norm");
  return "";
}

namespace {

// Training and evaluation images in [0, 1], N x C x H x W, and their labels.
struct Images {
  torch::Tensor X, y, X_test, y_test;
  std::vector<double> mean, stddev;  // the dataset's usual per-channel constants: PreActResNet standardises with them
};

Images load_images(const AdversarialTrainingConfig& config, at::Generator& gen) {
  const int64_t n = config.n, n_eval = config.n_eval;
  if (config.dataset == "cifar10") {
    auto data = load_cifar10(config.cifar10_dir);
    auto i64 = torch::TensorOptions().dtype(torch::kInt64);
    auto train_idx = torch::randperm(data->train.labels.size(0), gen, i64).slice(0, 0, n);
    auto test_idx = torch::randperm(data->test.labels.size(0), gen, i64).slice(0, 0, n_eval);
    auto scaled = [](const torch::Tensor& x) { return x.to(torch::kFloat32) / 255; };
    return {scaled(data->train.images.index_select(0, train_idx)), data->train.labels.index_select(0, train_idx),
            scaled(data->test.images.index_select(0, test_idx)), data->test.labels.index_select(0, test_idx),
            {0.4914, 0.4822, 0.4465}, {0.2471, 0.2435, 0.2616}};
  }
  auto images = load_fashion_mnist(config.data_dir);
  auto split = fashion_mnist_split(*images, n, n_eval, 0.0, 1, gen, /*centre=*/false);
  auto as_images = [](const torch::Tensor& x) { return x.to(torch::kFloat32).view({-1, 1, 28, 28}); };
  return {as_images(split.X), split.y, as_images(split.X_test), split.y_test, {0.2860}, {0.3530}};
}

}  // namespace

double LearningRateSchedule::at(double epoch) const {
  double lr = peak;
  if (kind == "piecewise")
    for (double drop : drops)
      if (epoch >= drop) lr *= drop_factor;
  if (kind == "cyclic") {
    double half = static_cast<double>(epochs) / 2;
    lr = peak * std::max(0.0, 1 - std::fabs(epoch / half - 1));
  }
  if (warmup_epochs > 0 && epoch < warmup_epochs) lr *= epoch / warmup_epochs;
  return lr;
}

AdversarialTrainingConfig AdversarialTrainingConfig::from(const Params& p) {
  AdversarialTrainingConfig c;
  c.dataset = p.get_string("dataset");
  c.data_dir = p.get_string("data_dir");
  c.cifar10_dir = p.get_string("cifar10_dir");
  c.n = p.get_int("n");
  c.n_eval = p.get_int("n_eval");
  c.model = p.get_string("model");
  c.width = p.get_int("width");
  c.hidden = p.get_int("hidden");
  c.training = p.get_string("training");
  c.linf = p.get_string("norm") == "linf";
  c.epsilon = p.get_float("epsilon");
  c.fgsm_alpha = p.get_float("fgsm_alpha");
  c.pgd_steps = p.get_int("pgd_steps");
  c.pgd_step_size = p.get_float("pgd_step_size");
  c.optimizer = {p.get_string("optimizer"), p.get_float("lr")};
  c.optimizer.momentum = p.get_float("momentum");
  c.optimizer.weight_decay = p.get_float("weight_decay");
  c.batch_size = p.get_int("batch_size");
  c.epochs = p.get_int("epochs");
  c.schedule = {p.get_string("lr_schedule"), p.get_float("lr"), p.get_float_list("lr_drops"), p.get_float("lr_drop_factor"),
                p.get_float("warmup_epochs"), c.epochs};
  c.regularizer = p.get_string("regularizer");
  c.reg_lambda = p.get_float("reg_lambda");
  c.elle_a_decay = p.get_float("elle_a_decay");
  c.elle_a_sensitivity = p.get_float("elle_a_sensitivity");
  c.eval_pgd_steps = p.get_int("eval_pgd_steps");
  return c;
}

void AdversarialTraining::run(const RunContext& ctx, MetricSink& sink) const {
  const auto config = AdversarialTrainingConfig::from(ctx.params);
  const int64_t n = config.n, n_eval = std::min(config.n_eval, n), epochs = config.epochs, batch = config.batch_size;
  const Ball ball{config.linf, config.epsilon};
  const auto& training = config.training;
  const auto& regularizer = config.regularizer;
  const double lambda = config.reg_lambda;

  auto gen = at::make_generator<at::CPUGeneratorImpl>(ctx.seed);
  const auto data = load_images(config, gen);
  const auto device = torch::Device(ctx.device);
  auto X = data.X.to(device), y = data.y.to(device);
  auto X_eval_train = X.slice(0, 0, n_eval), y_eval_train = y.slice(0, 0, n_eval);
  auto X_eval_test = data.X_test.to(device), y_eval_test = data.y_test.to(device);

  auto model = image_classifier(
      {config.model, data.X.size(1), data.X.size(2), config.width, config.hidden, data.mean, data.stddev});
  model->to(device);
  auto opt = make_optimizer(model->parameters(), config.optimizer);

  // Accuracy and mean loss of clean, FGSM and PGD inputs, in chunks.
  auto evaluate = [&](const torch::Tensor& X_all, const torch::Tensor& y_all, const std::string& prefix,
                      Metrics& row) {
    model->eval();
    double correct[3] = {0, 0, 0}, loss[3] = {0, 0, 0};
    for (int64_t start = 0; start < X_all.size(0); start += 500) {
      auto x = X_all.slice(0, start, start + 500), labels = y_all.slice(0, start, start + 500);
      torch::Tensor inputs[3] = {x, attack(model, x, labels, ball, 1, ball.eps, false, gen),
                                 attack(model, x, labels, ball, config.eval_pgd_steps, ball.eps / 4, true, gen)};
      torch::NoGradGuard no_grad;
      for (int k = 0; k < 3; ++k) {
        auto out = model->forward(inputs[k]);
        correct[k] += out.argmax(1).eq(labels).sum().item<double>();
        loss[k] += torch::nn::functional::cross_entropy(
                       out, labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                       .item<double>();
      }
    }
    const char* kinds[3] = {"clean", "fgsm", "pgd"};
    const auto count = static_cast<double>(X_all.size(0));
    for (int k = 0; k < 3; ++k) {
      row.push_back({prefix + "_" + kinds[k] + "_accuracy", correct[k] / count});
      row.push_back({prefix + "_" + kinds[k] + "_loss", loss[k] / count});
    }
  };
  ElleAdaptiveWeight elle_a(lambda, config.elle_a_decay, config.elle_a_sensitivity);
  auto log = [&](int64_t epoch, double lr) {
    Metrics row{{"lr", lr}};
    if (regularizer == "elle_a") row.push_back({"elle_a_lambda", elle_a.value()});
    evaluate(X_eval_train, y_eval_train, "train", row);
    evaluate(X_eval_test, y_eval_test, "test", row);
    sink.log(epoch, row);
  };

  const int64_t batches = (n + batch - 1) / batch;
  log(0, config.schedule.at(0));
  double lr = 0;
  for (int64_t epoch = 1; epoch <= epochs && !ctx.stop; ++epoch) {
    auto order = torch::randperm(n, gen, torch::kInt64).to(device);
    for (int64_t b = 0; b < batches && !ctx.stop; ++b) {
      auto idx = order.slice(0, b * batch, std::min(n, (b + 1) * batch));
      auto x = X.index_select(0, idx), labels = y.index_select(0, idx);
      lr = config.schedule.at(static_cast<double>(epoch - 1) + static_cast<double>(b + 1) / static_cast<double>(batches));
      opt->set_lr(lr);
      model->train();
      auto inputs = x;
      if (training == "fgsm") inputs = attack(model, x, labels, ball, 1, config.fgsm_alpha, true, gen);
      if (training == "pgd")
        inputs = attack(model, x, labels, ball, config.pgd_steps, config.pgd_step_size, true, gen);
      auto loss = torch::nn::functional::cross_entropy(model->forward(inputs), labels);
      if (regularizer == "gradalign" && lambda > 0) loss = loss + lambda * gradalign_penalty(model, x, labels, ball, gen);
      if ((regularizer == "elle" && lambda > 0) || regularizer == "elle_a") {
        auto error = elle_error(model, x, labels, ball, gen);
        const double weight = regularizer == "elle" ? lambda : elle_a.value();
        if (weight > 0) loss = loss + weight * error;
        if (regularizer == "elle_a") elle_a.observe(error.item<double>());
      }
      opt->zero_grad();
      loss.backward();
      opt->step();
    }
    // The evaluation's random starts come from the run's generator, so log_every is part of
    // the run (its id includes it).
    if (epoch % ctx.log_every == 0 || epoch == epochs || ctx.stop) log(epoch, lr);
  }
}

GENBENCH_REGISTER_TASK(AdversarialTraining);

}  // namespace genbench
