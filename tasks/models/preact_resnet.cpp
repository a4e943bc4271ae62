#include "tasks/models/preact_resnet.h"

namespace genbench {

namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

}  // namespace

PreActBlockImpl::PreActBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride)
    : bn1_(register_module("bn1", torch::nn::BatchNorm2d(in_channels))),
      bn2_(register_module("bn2", torch::nn::BatchNorm2d(out_channels))),
      conv1_(register_module("conv1", conv(in_channels, out_channels, 3, stride))),
      conv2_(register_module("conv2", conv(out_channels, out_channels, 3, 1))) {
  if (stride != 1 || in_channels != out_channels)
    shortcut_ = register_module("shortcut", conv(in_channels, out_channels, 1, stride));
}

torch::Tensor PreActBlockImpl::forward(const torch::Tensor& x) {
  auto out = torch::relu(bn1_(x));
  auto shortcut = shortcut_ ? shortcut_(out) : x;
  out = conv1_(out);
  out = conv2_(torch::relu(bn2_(out)));
  return out + shortcut;
}

PreActResNet18Impl::PreActResNet18Impl(int64_t in_channels, int64_t classes, std::vector<double> mean,
                                       std::vector<double> stddev)
    : stem_(register_module("stem", conv(in_channels, 64, 3, 1))),
      stages_(register_module("stages", torch::nn::Sequential())),
      bn_(register_module("bn", torch::nn::BatchNorm2d(512))),
      head_(register_module("head", torch::nn::Linear(512, classes))) {
  TORCH_CHECK(static_cast<int64_t>(mean.size()) == in_channels && static_cast<int64_t>(stddev.size()) == in_channels,
              "PreActResNet18: one mean and one deviation per input channel");
  mean_ = register_buffer("mean", torch::tensor(mean, torch::kFloat32).view({1, in_channels, 1, 1}));
  stddev_ = register_buffer("stddev", torch::tensor(stddev, torch::kFloat32).view({1, in_channels, 1, 1}));
  int64_t channels = 64;
  for (int64_t planes : {64, 128, 256, 512}) {
    const int64_t stride = planes == 64 ? 1 : 2;
    stages_->push_back(PreActBlock(channels, planes, stride));
    stages_->push_back(PreActBlock(planes, planes, 1));
    channels = planes;
  }
}

torch::Tensor PreActResNet18Impl::forward(const torch::Tensor& x) {
  auto out = stages_->forward(stem_((x - mean_) / stddev_));
  out = torch::relu(bn_(out));
  out = torch::adaptive_avg_pool2d(out, {1, 1}).flatten(1);
  return head_(out);
}

}  // namespace genbench
